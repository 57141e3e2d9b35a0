"""The index on disk: where it lives, its Whoosh schema and codec, and how it is built and kept up to date."""
