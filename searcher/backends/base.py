"""What an index must answer, wherever it lives: the :class:`Backend` protocol.

The ranking (:mod:`searcher.search.ranking`) is written once, above this
protocol: the local Whoosh index (:mod:`searcher.backends.local`) and an
OpenSearch cluster (:mod:`searcher.backends.opensearch`) implement it.  A
backend answers with term statistics (``known``, ``completions``), the
postings of the candidates for a plan's tiers (:meth:`Backend.view`, as a
:class:`View`), stored paragraphs and a ``version`` that grows when the
index changes.  Nothing here is Whoosh's or the cluster's own: both give the
ranker the same :class:`~searcher.search.bestmatch.BestMatchIndex`, which is
what makes their answers the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from whoosh.query import Query

    from searcher.documents.filters import PathFilter
    from searcher.search.bestmatch import BestMatchIndex

__all__ = ["Backend", "View", "Wanted"]


@dataclass
class Wanted:
    """What one search will read: the tiers' queries, and the best-match pass's words.

    A backend that holds every posting (the local index) needs none of it; one
    that sends candidates (a cluster) fetches, for each query, its ``pool`` best
    paragraphs, and for best match those with at least ``min_words`` of
    ``words`` (folded syllables; ``prefix``, an unfinished last word), ``pairs``
    adding to the score and ``excluded`` left out.
    """

    queries: list[Query] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    exact: list[str] = field(default_factory=list)  # the exact keys of the marked words (their bonus)
    prefix: str | None = None
    pairs: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    min_words: int = 1
    pool: int = 100


@dataclass
class View:
    """The postings a search scores, and the stored paragraphs they point to, by docnum.

    ``lasting``: the docnums name the same paragraphs for every search until the
    version changes (the local index), so what a search read of them (the
    spellings of :class:`searcher.search.verify.Spellings`) serves the next
    keystrokes.  A cluster's candidates are numbered afresh for each search.
    """

    index: BestMatchIndex
    fields: Callable[[int], dict[str, Any]]
    allowed: Any = None  # a boolean array by docnum of what the scope keeps, None for all
    lasting: bool = True


class Backend(Protocol):
    """An index the engine can search: the local folder index or a cluster."""

    version: int  # grows whenever the index read changes

    @property
    def corpus(self) -> Path:
        """The folder the index was built from."""
        ...

    def refresh(self, force: bool = False) -> bool:
        """Pick up a rebuilt or updated index; True when something changed."""
        ...

    def close(self) -> None:
        """Release files and connections."""
        ...

    def stats(self) -> dict[str, Any]:
        """Paragraph and file counts, size in bytes, build time, generation and corpus."""
        ...

    def document(self, path: str) -> list[dict[str, Any]]:
        """The stored fields of every paragraph of one document, in its order."""
        ...

    def known(self, fieldname: str, term: str, as_prefix: bool) -> bool:
        """Whether some paragraph has ``term`` in ``fieldname`` (``as_prefix``: a term starting with it)."""
        ...

    def completions(self, fieldname: str, prefix: str) -> Query | None:
        """What an unfinished last word stands for: an ``Or`` of its most frequent completions
        (a ``Term`` when there is one), None when nothing starts so."""
        ...

    def view(self, wanted: Wanted, scope: PathFilter) -> View:
        """The postings to score ``wanted`` with, kept to ``scope``."""
        ...

    def term_source(self) -> Any:
        """What did-you-mean reads (:mod:`searcher.vietnamese.accents`), or None when this backend cannot say."""
        ...

    def warm(self) -> None:
        """Precompute what the first keystrokes of a live search will ask for."""
        ...

    def recover(self, exc: BaseException) -> bool:
        """After ``exc`` from a search: True when the index was swapped meanwhile and is now reopened
        (the search is run again); else raise the error to show the user."""
        ...
