"""Where an index lives: a folder on this machine, or a cluster.  Each implements
:class:`~searcher.backends.base.Backend`; the ranking above them is one.

``index`` (a folder): the local Whoosh index (:mod:`searcher.backends.local`).
``opensearch://host:9200/NAME`` (plain HTTP) or ``opensearchs://host:9200/NAME`` (TLS):
an index on an OpenSearch cluster (:mod:`searcher.backends.opensearch`), imported
only when an address names it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from searcher.backends.base import Backend

__all__ = ["is_remote", "open_backend"]

REMOTE_SCHEMES = ("opensearch://", "opensearchs://")


def is_remote(index: object) -> bool:
    """Whether ``index`` is a backend address rather than an index folder.

    >>> is_remote("opensearch://127.0.0.1:9200/docs"), is_remote("index")
    (True, False)
    """
    return isinstance(index, str) and index.lower().startswith(REMOTE_SCHEMES)


def open_backend(index: str | Path) -> Backend:
    """The backend ``index`` names: a cluster address, else an index folder
    (raises :class:`~searcher.errors.IndexMissing` when there is none)."""
    if is_remote(index):
        from searcher.backends.opensearch.backend import OpenSearchBackend

        return OpenSearchBackend(str(index))
    from searcher.backends.local import LocalBackend
    from searcher.index.store import IndexLocation

    return LocalBackend(IndexLocation(index))
