"""Errors the engine reports to users, each with a one-line message and an exit code.

Exit codes follow grep: 0 found, 1 nothing found, 2 error.
"""

from __future__ import annotations

EXIT_FOUND = 0
EXIT_NOT_FOUND = 1
EXIT_ERROR = 2


class SearcherError(Exception):
    """Base class: ``str(error)`` is the one-line message shown to the user."""

    exit_code = EXIT_ERROR


class IndexMissing(SearcherError):
    """There is no index at the given location yet."""


class IndexUnusable(SearcherError):
    """The index exists but cannot be used (damaged, outdated, too new)."""


class IndexOutdated(IndexUnusable):
    """The index was written with an older schema and must be rebuilt."""


class IndexBusy(SearcherError):
    """Another ``search-index`` holds the build lock."""


class Unavailable(SearcherError):
    """The server that holds the index does not answer now: the same request may work later."""


class CorpusError(SearcherError):
    """The corpus folder is missing or unusable."""


class QueryError(SearcherError):
    """The query has nothing to search for."""
