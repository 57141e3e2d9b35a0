"""Paragraphs out of real documents: Markdown, HTML, Word, OpenDocument, EPUB, PDF,
spreadsheets, slides, RTF, legacy Word and PowerPoint, and scans read by OCR.

:func:`extract` reads one file and returns its paragraphs, each with a
location a person can open (a source line, a page and line, a paragraph
number), or raises :class:`DocumentSkipped` with a one-line reason.

Files are known by their content, not only their name.  Zip-based and binary
formats are parsed in worker processes under a memory limit and a timeout
(:class:`Limits`); zip archives are checked before anything is inflated and
XML is parsed with DTDs and entities refused.  Text typed in the legacy TCVN3
and VNI fonts is recognised and converted (``Extracted.converted_from``).

Some formats need optional tools: Tesseract and its Vietnamese model for scans,
antiword (or catdoc, or LibreOffice) for ``.doc``, LibreOffice for ``.ppt``, and
the ``searcher[office]`` Python extra for spreadsheets, slides and RTF.  When
one is missing the file is skipped with a reason ending in the command that
installs it (:func:`missing_tool` reads it back) and the build goes on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from searcher.documents.formats._model import DocumentSkipped, Extracted, ExtractedParagraph, Limits, missing_tool
from searcher.documents.formats._pool import TEST_HOOKS_ENV, WorkerPool, default_pool, shutdown
from searcher.documents.paragraphs import Document, Paragraph

__all__ = [
    "SUPPORTED_SUFFIXES",
    "DocumentSkipped",
    "Extracted",
    "ExtractedParagraph",
    "Limits",
    "WorkerPool",
    "TEST_HOOKS_ENV",
    "extract",
    "paragraphs_of",
    "sniff",
    "shutdown",
    "missing_tool",
    "set_ocr_cache",
]

# Suffix → the format a file so named should hold.
_FORMATS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".docx": "docx",
    ".odt": "odt",
    ".epub": "epub",
    ".pdf": "pdf",
    ".xlsx": "sheet-zip",
    ".xlsm": "sheet-zip",
    ".ods": "sheet-zip",
    ".xls": "sheet",
    ".pptx": "pptx",
    ".ppt": "ppt",
    ".doc": "doc",
    ".rtf": "rtf",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".tif": "image",
    ".tiff": "image",
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(_FORMATS)
_ZIPPED = {"docx", "odt", "epub"}
_IN_WORKER = {*_ZIPPED, "pdf", "sheet", "sheet-zip", "pptx", "ppt", "doc", "rtf", "image"}
_LOOKS_LIKE = {
    "html": "HTML",
    "text": "plain text",
    "ole2": "an old-style or encrypted Office file",
    "image": "an image",
    "empty": "an empty file",
    "binary": "unrecognised binary data",
    "zip": "a zip archive",
    "pdf": "a PDF",
    "rtf": "an RTF document",
}
_NOT_A = {
    "pdf": "a PDF", "docx": "a Word document", "odt": "an OpenDocument file", "epub": "an EPUB book",
    "sheet": "a spreadsheet", "sheet-zip": "a spreadsheet", "pptx": "a PowerPoint file", "ppt": "a PowerPoint file",
    "doc": "a Word document", "rtf": "an RTF document", "image": "an image",
}
# Where a file's content says it is another format than its name, what to read it as.
_RENAMED = {
    ("doc", "zip"): "docx",  # a .docx saved as .doc
    ("doc", "rtf"): "rtf",  # Word's "Rich Text" saved as .doc
    ("doc", "html"): "html",  # Word's "Web page" saved as .doc
    ("sheet", "zip"): "sheet-zip",
    ("sheet", "html"): "html",  # an "export to Excel" that is an HTML table
    ("sheet-zip", "ole2"): "sheet",
    ("ppt", "zip"): "pptx",
    ("pptx", "ole2"): "ppt",
}
_ocr_cache: str | None = None


def set_ocr_cache(folder: str | os.PathLike[str] | None) -> None:
    """Keep OCR results in ``folder`` (the index's) from now on; None: no cache."""
    global _ocr_cache
    _ocr_cache = os.fspath(folder) if folder is not None else None


def sniff(head: bytes) -> str:
    """What the first bytes of a file say it is.

    One of "pdf", "zip", "ole2", "html", "rtf", "text", "image", "empty", "binary".

    >>> sniff(b"%PDF-1.7"), sniff(b"PK\\x03\\x04"), sniff(b"<!DOCTYPE html><html>")
    ('pdf', 'zip', 'html')
    """
    if not head:
        return "empty"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole2"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*")):
        return "image"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<title")) or (
        start.startswith((b"<?xml", b"<!--")) and b"<html" in head.lower()
    ):
        return "html"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"
    return "text"


def extract(
    path: Path | str,
    limits: Limits | None = None,
    pool: WorkerPool | None = None,
    on_page: Callable[[int, int], None] | None = None,
) -> Extracted:
    """Read one document into paragraphs; raises :class:`DocumentSkipped` with the reason.

    ``limits`` defaults to :meth:`Limits.from_environment` (with the OCR cache
    of :func:`set_ocr_cache`); ``pool`` to a process-wide pool of
    ``limits.workers`` workers.  ``on_page(page, pages)`` hears of each page
    read by OCR.
    """
    if limits is None:
        limits = Limits.from_environment()
        if _ocr_cache is not None:
            import dataclasses

            limits = dataclasses.replace(limits, ocr_cache=_ocr_cache)
    path = str(path)
    expected = _FORMATS.get(os.path.splitext(path)[1].lower())
    if expected is None:
        raise DocumentSkipped("unsupported file type")
    try:
        with open(path, "rb") as stream:
            head = stream.read(8192)
    except OSError as exc:
        raise DocumentSkipped(f"cannot read: {exc.strerror or exc}") from None
    found = sniff(head)
    if found == "empty":
        raise DocumentSkipped("empty file (no text)")
    kind = _route(expected, found)
    if kind in _IN_WORKER:
        pool = pool or default_pool(limits)
        if kind in _ZIPPED:
            result = pool.run("zip", path, expected if expected in (*_ZIPPED, "pdf") else kind, limits, on_page)
        else:
            result = pool.run(kind, path, expected, limits, on_page)
    else:
        from searcher.documents.formats._text import extract_html, extract_markdown

        result = (extract_markdown if kind == "markdown" else extract_html)(path, limits).finish()
    renamed = kind != expected and {kind, expected} != {"sheet", "sheet-zip"}
    if renamed and not any("named like" in w for w in result.warnings):
        result.warnings.insert(0, f"named like {expected} but holds {kind}; read as such")
    if not result.paragraphs:
        raise DocumentSkipped("empty file (no text)" if result.kind in ("markdown", "html") else "no text found")
    return result


def _route(expected: str, found: str) -> str:
    """The extractor for a file named like ``expected`` whose content looks like ``found``."""
    if expected in ("markdown", "html"):
        if found == "pdf":
            return "pdf"
        if found == "zip":
            return "docx"  # the worker finds out which zip-based format it is
        if found == "rtf":
            return "rtf"
        if found in ("text", "html"):
            return expected if found == "text" or expected == "html" else "html"
        raise DocumentSkipped(f"not text (looks like {_LOOKS_LIKE.get(found, found)})")
    if (expected, found) in _RENAMED:
        return _RENAMED[expected, found]
    if (expected, found) in (("sheet", "ole2"), ("sheet-zip", "zip"), ("pptx", "zip"), ("ppt", "ole2"),
                             ("doc", "ole2"), ("rtf", "rtf"), ("image", "image")):
        return expected
    if expected in ("sheet", "sheet-zip", "pptx", "ppt", "doc", "rtf", "image"):
        if found == "pdf":
            return "pdf"
        raise DocumentSkipped(f"not {_NOT_A[expected]} (looks like {_LOOKS_LIKE.get(found, found)})")
    # A binary format: trust the content when it is another supported binary
    # format; an HTML page saved as .pdf is usually a failed download, not a document.
    if found == "pdf":
        return "pdf"
    if found == "zip":
        return expected if expected != "pdf" else "docx"
    if found == "ole2" and expected in ("docx", "odt"):
        raise DocumentSkipped("encrypted")
    raise DocumentSkipped(f"not {_NOT_A[expected]} (looks like {_LOOKS_LIKE.get(found, found)})")


def paragraphs_of(path: Path | str, document: Document, limits: Limits | None = None,
                  warnings: list[str] | None = None) -> Iterator[Paragraph]:
    """Yield a document's paragraphs shaped like :func:`searcher.documents.paragraphs.iter_paragraphs`.

    Sets ``document.title``; appends the extraction's warnings to ``warnings``.
    Raises :class:`DocumentSkipped` before yielding anything when the file
    cannot be indexed.
    """
    result = extract(path, limits)
    document.title = result.title
    if warnings is not None:
        warnings.extend(result.warnings)
        if result.converted_from:
            warnings.append(f"converted from the legacy {result.converted_from.upper()} encoding")
    return iter([Paragraph(line=p.line, ordinal=p.ordinal, text=p.text, column=p.column) for p in result.paragraphs])
