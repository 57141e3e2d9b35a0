"""The index on disk: the Whoosh schema and the codec that stores the syllable fields as arrays."""
