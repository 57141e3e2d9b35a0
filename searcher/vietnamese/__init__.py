"""Vietnamese text: syllables and their folded and exact forms, Whoosh analysis, Telex/VNI typing,
legacy encodings, and did-you-mean's restored marks."""
