"""Errors the engine reports to users, each with a one-line message and an exit code.

Exit codes follow grep: 0 found, 1 nothing found, 2 error.
"""

from __future__ import annotations

import re

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


# scheme:// (or scheme:/, as a Path prints it) then user:password@: the secret part of an address.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*:/{1,3})[^\s@]*@")


def redact(text: str) -> str:
    """``text`` with the ``user:password@`` of every address in it replaced by ``***@``.

    Applied wherever an address given by the user is echoed (``-C``,
    ``--corpus``, ``--index`` in error messages): no message prints a password.

    >>> redact("corpus folder not found: opensearch:/u:s3cretPW@127.0.0.1:9/laws")
    'corpus folder not found: opensearch:/***@127.0.0.1:9/laws'
    >>> redact("https://bob:pa/ss@h:9200/x and /srv/công văn")
    'https://***@h:9200/x and /srv/công văn'
    """
    return _USERINFO.sub(r"\1***@", text)
