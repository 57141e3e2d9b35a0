"""The types every extractor shares: limits, paragraphs with locations, the skip error."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field


class DocumentSkipped(Exception):
    """A document that cannot be indexed; ``str(error)`` is a one-line human reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# How a skip for a missing tool or Python reader ends: "... is not installed (apt install X)".
# A build (searcher.index.feed) counts such skips and tries those files again at every build.
_MISSING = re.compile(r" is not installed \((?P<install>[^()]+)\)$")


def missing_tool(reason: str) -> str | None:
    """The install command a skip reason names when a tool was missing, else None.

    >>> missing_tool("not read: Tesseract OCR is not installed (apt install tesseract-ocr tesseract-ocr-vie)")
    'apt install tesseract-ocr tesseract-ocr-vie'
    >>> missing_tool("damaged: not a zip") is None
    True
    """
    match = _MISSING.search(reason)
    return match.group("install") if match else None


def tool_missing(what: str, install: str) -> DocumentSkipped:
    """The skip for a file that needs ``what`` (a tool or Python package), with the command installing it."""
    return DocumentSkipped(f"not read: {what} is not installed ({install})")


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
    ocr_page_timeout_s: float = 120.0  # one scanned page read by Tesseract
    max_image_pixels: int = 100_000_000  # an image (or a rendered page) declared larger is refused
    ocr_cache: str | None = None  # folder of OCR results by content hash (the index's); None: no cache

    @property
    def max_text_chars(self) -> int:
        return int(self.max_text_mb * 1024 * 1024)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The defaults, with any of ``SEARCHER_PARSE_MEMORY_MB``, ``SEARCHER_PARSE_TIMEOUT`` (seconds),
        ``SEARCHER_PARSE_MAX_INFLATED_MB``, ``SEARCHER_PARSE_MAX_PAGES``, ``SEARCHER_PARSE_MAX_TEXT_MB``
        and ``SEARCHER_OCR_PAGE_TIMEOUT`` (seconds) that are set to a positive number (others are ignored).

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
            ("SEARCHER_OCR_PAGE_TIMEOUT", "ocr_page_timeout_s", float),
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
    A spreadsheet row has its ``sheet`` and ``cell`` (its first cell with a
    value, "B7"), ``line`` being the row; a slide's text its ``slide``
    (``line`` counts paragraphs on the slide).  ``ocr`` marks text read from
    an image by OCR, which may hold errors.
    """

    text: str
    line: int
    ordinal: int = 0
    page: int | None = None
    chapter: int | None = None
    part: str | None = None
    column: int = 0
    unit: str = "line"  # what ``line`` counts: "line", "paragraph" or "row"
    sheet: str | None = None
    cell: str | None = None
    slide: int | None = None
    ocr: bool = False

    @property
    def where(self) -> str:
        """The location in words: "page 3, line 12", "chapter 2, paragraph 5", "line 40"."""
        pieces = [self.part] if self.part else []
        if self.sheet is not None:
            return f"sheet {self.sheet}, cell {self.cell}"
        if self.slide is not None:
            pieces.append(f"slide {self.slide}")
        if self.page is not None:
            pieces.append(f"page {self.page}")
        if self.chapter is not None:
            pieces.append(f"chapter {self.chapter}")
        pieces.append(f"{self.unit} {self.line}")
        return ", ".join(pieces) + (" (OCR)" if self.ocr else "")


@dataclass
class Extracted:
    """What came out of one document."""

    kind: str  # "markdown", "html", "docx", "odt", "epub", "pdf", "sheet", "pptx", "rtf", "doc", "ppt", "image"
    title: str = ""
    paragraphs: list[ExtractedParagraph] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    converted_from: str | None = None  # legacy encoding the text was converted from
    ocr_pages: int = 0  # pages (or images) read by OCR
