"""Vietnamese text as the index sees it: syllables, their folded and exact forms, Whoosh analysis."""
