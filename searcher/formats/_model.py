"""The types every extractor shares: limits, paragraphs with locations, the skip error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping


class DocumentSkipped(Exception):
    """A document that cannot be indexed; ``str(error)`` is a one-line human reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Limits:
    """Bounds on what one document may cost; the defaults suit downloads and attachments."""

    memory_mb: int = 512  # address space of a worker process
    timeout_s: float = 30.0  # per document
    max_inflated_mb: int = 256  # total uncompressed size of a zip-based document
    max_ratio: float = 100.0  # compression ratio of one zip member
    max_pages: int = 2000  # PDF pages indexed
    max_text_mb: float = 50.0  # text indexed per document
    max_xml_depth: int = 256
    workers: int = 2

    @property
    def max_text_chars(self) -> int:
        return int(self.max_text_mb * 1024 * 1024)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> "Limits":
        """The defaults, with any of ``SEARCHER_PARSE_MEMORY_MB``, ``SEARCHER_PARSE_TIMEOUT`` (seconds),
        ``SEARCHER_PARSE_MAX_INFLATED_MB``, ``SEARCHER_PARSE_MAX_PAGES`` and ``SEARCHER_PARSE_MAX_TEXT_MB``
        that are set to a positive number (others are ignored).

        >>> Limits.from_environment({"SEARCHER_PARSE_TIMEOUT": "5", "SEARCHER_PARSE_MAX_PAGES": "oops"}).timeout_s
        5.0
        """
        import os

        env = os.environ if environ is None else environ
        values: dict[str, float] = {}
        for name, attribute, kind in (
            ("SEARCHER_PARSE_MEMORY_MB", "memory_mb", int),
            ("SEARCHER_PARSE_TIMEOUT", "timeout_s", float),
            ("SEARCHER_PARSE_MAX_INFLATED_MB", "max_inflated_mb", int),
            ("SEARCHER_PARSE_MAX_PAGES", "max_pages", int),
            ("SEARCHER_PARSE_MAX_TEXT_MB", "max_text_mb", float),
        ):
            try:
                value = kind(env.get(name, ""))
            except ValueError:
                continue
            if value > 0:
                values[attribute] = value
        return cls(**values)  # type: ignore[arg-type]


@dataclass
class ExtractedParagraph:
    """One paragraph and where a person finds it.

    ``line`` is the source line for Markdown and HTML, the line on the page for
    PDF, the paragraph number (1-based, in document order) for Word and
    OpenDocument, and the paragraph number within the chapter for EPUB.
    ``part`` names a part outside the body ("header", "footer", "footnotes").
    """

    text: str
    line: int
    ordinal: int = 0
    page: int | None = None
    chapter: int | None = None
    part: str | None = None
    column: int = 0
    unit: str = "line"  # what ``line`` counts: "line" or "paragraph"

    @property
    def where(self) -> str:
        """The location in words: "page 3, line 12", "chapter 2, paragraph 5", "line 40"."""
        pieces = [self.part] if self.part else []
        if self.page is not None:
            pieces.append(f"page {self.page}")
        if self.chapter is not None:
            pieces.append(f"chapter {self.chapter}")
        pieces.append(f"{self.unit} {self.line}")
        return ", ".join(pieces)


@dataclass
class Extracted:
    """What came out of one document."""

    kind: str  # "markdown", "html", "docx", "odt", "epub", "pdf"
    title: str = ""
    paragraphs: list[ExtractedParagraph] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    converted_from: str | None = None  # legacy encoding the text was converted from
