"""What a search returns: ranked paragraphs (:class:`Hit`) and how the search went (:class:`SearchResult`).

The same on every backend: the local index and a cluster fill them alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from searcher.search.query import ParsedQuery

__all__ = ["Hit", "SearchResult"]


@dataclass
class Hit:
    """One matching paragraph.

    ``path`` is relative to the corpus root and ``file`` is its absolute path;
    ``line`` is the 1-based line where the paragraph starts; ``paragraph`` is
    its 0-based ordinal in the document; ``spans`` are ``(start, end)``
    character offsets of the matches in ``text``.
    """

    rank: int
    score: float
    path: str
    line: int
    paragraph: int
    title: str
    text: str
    spans: list[tuple[int, int]]
    file: str
    exact: bool = True  # False when only the diacritic-folded form matched
    column: int = 0  # 0-based start column in ``line`` (windows of very long lines)
    # The query's words (as typed) that this paragraph has, and those it lacks:
    # a best-match hit of a long question lacks some (``missing=["gì"]``).
    matched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def complete_match(self) -> bool:
        """Whether the paragraph has every word of the query."""
        return not self.missing

    page: int | None = None  # PDF page (1-based); ``line`` is then the line on that page
    chapter: int | None = None  # EPUB chapter (1-based); ``line`` is then the paragraph in it
    sheet: str | None = None  # spreadsheet: the sheet, and ``cell`` the row's first cell ("B7")
    cell: str | None = None
    slide: int | None = None  # slides (1-based); ``line`` is then the paragraph on the slide
    ocr: bool = False  # the text was read from a scan by OCR (it may hold errors)

    def place(self) -> dict[str, Any]:
        """The keyword arguments of :func:`searcher.cli.presentation.where` beyond line, page and chapter."""
        return {"sheet": self.sheet, "cell": self.cell, "slide": self.slide, "ocr": self.ocr}

    def to_json(self, path: str | None = None) -> dict[str, Any]:
        """The ``--json`` record (``path`` may be replaced by a display path)."""
        return {
            "rank": self.rank,
            "score": round(self.score, 4),
            "path": path if path is not None else self.path,
            "line": self.line,
            "paragraph": self.paragraph,
            "title": self.title,
            "text": self.text,
            "spans": [list(s) for s in self.spans],
            "matched": list(self.matched),
            "missing": list(self.missing),
            **({"page": self.page} if self.page is not None else {}),
            **({"chapter": self.chapter} if self.chapter is not None else {}),
            **({"sheet": self.sheet, "cell": self.cell} if self.sheet is not None else {}),
            **({"slide": self.slide} if self.slide is not None else {}),
            **({"ocr": True} if self.ocr else {}),
        }


class SearchResult(list):  # type: ignore[type-arg]
    """The hits of one query (a list of :class:`Hit`) plus how the search went."""

    query: ParsedQuery
    elapsed: float = 0.0
    complete: bool = True  # False when the time budget cut the main tiers short
    filled: bool = True  # False when the lower (non-adjacent) tiers were cut short
    notes: list[str]
    # Query words (as typed) that no paragraph of the index contains.
    unknown: list[str]
    # "Did you mean": the query with its marks restored, when clearly more likely.
    suggestion: str | None = None
    # (as typed, as searched) for words read as Telex/VNI typing (``ngoaij`` → ``ngoại``).
    rewrites: list[tuple[str, str]]

    def __init__(self, hits: Iterable[Hit], query: ParsedQuery) -> None:
        super().__init__(hits)
        self.query = query
        self.notes = list(query.notes)
        self.unknown = []
        self.rewrites = []
