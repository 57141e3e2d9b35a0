"""What a searcher index on a cluster holds: its settings and mapping, and its documents' ids.

One analysis, in Python, for both backends: every paragraph is turned into the
term streams of :func:`searcher.vietnamese.analysis.index_terms` when it is sent,
into ``text`` fields whose analyzer only splits on whitespace.  The cluster needs
no Vietnamese plugin and indexes exactly the terms the local index holds.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

__all__ = [
    "CLUSTER_SCHEMA_VERSION",
    "SOURCE_FIELDS",
    "TERM_FIELDS",
    "index_body",
    "paragraph_id",
    "path_key",
    "record_id",
]

TERM_FIELDS = ("exact", "folded", "pairs")
# The version of the cluster's documents and mapping: bumped when they or the meaning of a term
# change, apart from the local index's schema.  7: sheet, cell, slide and ocr (issue 23; the mapping
# is strict, so a cluster built at 6 cannot take them).  8: pid and length, so that the shared
# ranking breaks ties and normalises lengths as locally (issue 21).
CLUSTER_SCHEMA_VERSION = 8
SOURCE_FIELDS = [
    "kind",
    "path",
    "pid",
    "line",
    "column",
    "ordinal",
    "page",
    "chapter",
    "sheet",
    "cell",
    "slide",
    "ocr",
    "title",
    "text",
]


def index_body(corpus: Path, shards: int = 1, replicas: int = 0) -> dict[str, Any]:
    """Settings and mapping of one concrete index (defaults fit one node: 1 shard, 0 replicas)."""
    terms = {"type": "text", "analyzer": "terms", "similarity": "BM25"}
    return {
        "settings": {
            "index": {"number_of_shards": shards, "number_of_replicas": replicas},
            "analysis": {"analyzer": {"terms": {"type": "custom", "tokenizer": "whitespace"}}},
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": {
                "format": "searcher-index",
                "schema_version": CLUSTER_SCHEMA_VERSION,
                "corpus": str(Path(corpus).resolve()),
                "created": time.time(),
            },
            # The term streams are indexed, not kept: the text is.
            "_source": {"excludes": list(TERM_FIELDS)},
            "properties": {
                "kind": {"type": "keyword"},
                "path": {"type": "keyword"},
                "line": {"type": "integer"},
                "column": {"type": "integer", "index": False},
                "ordinal": {"type": "integer"},
                # The folder's order (ties between equal scores) and the syllable count (BM25's length),
                # as the local index keeps them.
                "pid": {"type": "long"},
                "length": {"type": "integer"},
                "page": {"type": "integer", "index": False},
                "chapter": {"type": "integer", "index": False},
                "sheet": {"type": "keyword", "index": False},
                "cell": {"type": "keyword", "index": False},
                "slide": {"type": "integer", "index": False},
                "ocr": {"type": "boolean", "index": False},
                "title": {"type": "keyword", "index": False, "doc_values": False},
                "text": {"type": "text", "index": False},
                "info": {"type": "object", "enabled": False},  # file records: size, mtime_ns, sha256, …
                # Single words are only matched as terms: frequencies, no positions.
                "exact": {**terms, "index_options": "freqs"},
                "folded": {**terms, "index_options": "freqs"},
                # Pairs answer phrases (match_phrase): positions.
                "pairs": {**terms, "index_options": "positions"},
            },
        },
    }


def path_key(path: str) -> str:
    return hashlib.sha1(path.encode("utf-8", "surrogateescape")).hexdigest()


def record_id(path: str) -> str:
    return "f-" + path_key(path)


def paragraph_id(path: str, number: int) -> str:
    return f"p-{path_key(path)}-{number}"
