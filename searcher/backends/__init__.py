"""Backends other than the local Whoosh index.  Each is imported only when an address names it.

``opensearch://host:9200/NAME`` (plain HTTP) or ``opensearchs://host:9200/NAME`` (TLS):
an index on an OpenSearch cluster (:mod:`searcher.backends.opensearch`).
"""

from __future__ import annotations

__all__ = ["is_remote"]

REMOTE_SCHEMES = ("opensearch://", "opensearchs://")


def is_remote(index: object) -> bool:
    """Whether ``index`` is a backend address rather than an index folder.

    >>> is_remote("opensearch://127.0.0.1:9200/docs"), is_remote("index")
    (True, False)
    """
    return isinstance(index, str) and index.lower().startswith(REMOTE_SCHEMES)
