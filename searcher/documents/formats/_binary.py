"""Zip-based and binary documents: Word, OpenDocument, EPUB, PDF.

These run inside a worker process (see ``_pool``): their parsers face
untrusted archives and a C library, so a crash or a bomb must cost one file.
"""

from __future__ import annotations

import itertools
import posixpath
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from searcher.documents.formats._common import Collector, SafeZip, TextFull, iter_xml, local, parse_small_xml
from searcher.documents.formats._lines import pdf_paragraphs
from searcher.documents.formats._model import DocumentSkipped, Limits
from searcher.documents.formats._text import decode_text, html_blocks

NAMES = {"docx": "a Word document", "odt": "an OpenDocument file", "epub": "an EPUB book", "pdf": "a PDF"}
_OFFICE_NAMES = {"sheet": "a spreadsheet", "pptx": "a PowerPoint file"}


def zip_kind(archive: SafeZip) -> str | None:
    """What a zip archive holds: "docx", "odt", "epub", or None."""
    if archive.has("word/document.xml"):
        return "docx"
    if archive.has("mimetype"):
        mimetype = archive.read("mimetype")[:100].strip()
        if mimetype == b"application/epub+zip":
            return "epub"
        if mimetype.startswith(b"application/vnd.oasis.opendocument."):
            return "odt"
    if archive.has("content.xml"):
        return "odt"
    if archive.has("META-INF/container.xml"):
        return "epub"
    return None


def extract_zip(path: str, expected: str, limits: Limits) -> Collector:
    """Open a zip-based document, find out what it really is, and extract it."""
    archive = SafeZip(path, limits)
    try:
        kind = zip_kind(archive)
        office = "sheet" if archive.has("xl/workbook.xml") else "pptx" if archive.has("ppt/presentation.xml") else None
        if kind is None and office is not None:  # a workbook or slides under a Word (or PDF) name
            from searcher.documents.formats import _office

            archive.close()
            if office == "sheet":
                collector = _office.extract_sheet(path, True, limits)
            else:
                collector = _office.extract_pptx(path, limits)
            collector.warn(f"named like {NAMES.get(expected, expected)} but is {_OFFICE_NAMES[office]}; read as such")
            return collector
        if kind is None:
            raise DocumentSkipped(f"not {NAMES.get(expected, expected)} (a zip archive of something else)")
        collector = Collector(kind, limits)
        if kind != expected:
            collector.warn(f"named like {NAMES.get(expected, expected)} but is {NAMES[kind]}; read as such")
        try:
            {"docx": _docx, "odt": _odt, "epub": _epub}[kind](archive, collector, limits)
        except TextFull:
            pass
        return collector
    finally:
        archive.close()


# -- shared: paragraphs out of an XML stream ---------------------------------------------


def _paragraphs(
    archive: SafeZip,
    name: str,
    limits: Limits,
    is_paragraph: Callable[[str], bool],
    render: Callable[[Any, Callable[[Any], bool]], str],
    emit: Callable[[int, str, list[str]], None],
) -> None:
    """Stream one XML part, calling ``emit(number, text, open_element_names)`` per paragraph.

    Paragraphs are numbered in document order at their start; a paragraph
    nested in another (a text box, a footnote) is emitted on its own and left
    out of the outer one's text.
    """
    stack: list[tuple[Any, int]] = []
    names: list[str] = []
    counter = 0
    with archive.open(name) as stream:
        for event, elem, _depth in iter_xml(stream, name, limits):
            tag = local(elem.tag)
            if event == "start":
                names.append(tag)
                if is_paragraph(tag):
                    counter += 1
                    stack.append((elem, counter))
                continue
            names.pop()
            if stack and stack[-1][0] is elem:
                _, number = stack.pop()

                def nested(e: Any, top: Any = elem) -> bool:  # a paragraph inside this one
                    return e is not top and is_paragraph(local(e.tag))

                emit(number, render(elem, nested), names)
            if not stack:
                elem.clear()  # nothing encloses it any more: free the memory


# -- Word (.docx) --------------------------------------------------------------------------

_DOCX_PARTS = re.compile(r"word/(header|footer|footnotes|endnotes|comments)\d*\.xml")
_DOCX_PART_NAMES = {
    "header": "header", "footer": "footer", "footnotes": "footnotes", "endnotes": "endnotes", "comments": "comments"
}


def _docx_render(elem: Any, nested: Callable[[Any], bool]) -> str:
    out: list[str] = []

    def walk(node: Any) -> None:
        for child in node:
            if nested(child):
                continue
            tag = local(child.tag)
            if tag == "t":
                out.append(child.text or "")
            elif tag == "tab":
                out.append("\t")
            elif tag in ("br", "cr"):
                out.append("\n")
            elif tag == "noBreakHyphen":
                out.append("-")
            elif tag in ("delText", "instrText", "fldData"):
                continue  # deleted revisions and field codes are not visible text
            else:
                walk(child)

    walk(elem)
    return "".join(out)


def _docx(archive: SafeZip, collector: Collector, limits: Limits) -> None:
    if archive.has("docProps/core.xml"):
        root = parse_small_xml(archive.read("docProps/core.xml"), "docProps/core.xml", limits)
        for child in root if root is not None else []:
            if local(child.tag) == "title" and child.text:
                collector.title = child.text
    is_paragraph = lambda tag: tag == "p"  # noqa: E731  (w:p, and a:p in shapes)

    def body(number: int, text: str, _names: list[str]) -> None:
        collector.add(text, number, unit="paragraph")

    _paragraphs(archive, "word/document.xml", limits, is_paragraph, _docx_render, body)
    for name in sorted(archive.names()):
        match = _DOCX_PARTS.fullmatch(name)
        if not match:
            continue
        part = _DOCX_PART_NAMES[match.group(1)]

        def other(number: int, text: str, _names: list[str], part: str = part) -> None:
            collector.add(text, number, part=part, unit="paragraph")

        _paragraphs(archive, name, limits, is_paragraph, _docx_render, other)


# -- OpenDocument (.odt) -----------------------------------------------------------------------


def _odf_render(elem: Any, nested: Callable[[Any], bool]) -> str:
    out: list[str] = [elem.text or ""]

    def walk(node: Any) -> None:
        for child in node:
            tag = local(child.tag)
            if nested(child) or tag in ("note", "annotation", "tracked-changes"):
                pass  # a footnote is its own paragraph; its citation mark is noise
            elif tag == "s":
                count = child.get(_TEXT_C, "1")
                out.append(" " * min(int(count), 100) if count.isdigit() else " ")
            elif tag == "tab":
                out.append("\t")
            elif tag == "line-break":
                out.append("\n")
            else:
                out.append(child.text or "")
                walk(child)
            out.append(child.tail or "")

    walk(elem)
    return "".join(out)


_TEXT_C = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}c"
# The package's list of its files (ODF calls it the manifest): an encrypted file has encryption data there.
_ODF_FILE_LIST = "META-INF/manifest.xml"


def _odt(archive: SafeZip, collector: Collector, limits: Limits) -> None:
    if archive.has(_ODF_FILE_LIST) and b"encryption-data" in archive.read(_ODF_FILE_LIST):
        raise DocumentSkipped("encrypted")
    if archive.has("meta.xml"):
        root = parse_small_xml(archive.read("meta.xml"), "meta.xml", limits)
        for elem in root.iter() if root is not None else []:
            if local(elem.tag) == "title" and elem.text:
                collector.title = elem.text
                break
    is_paragraph = lambda tag: tag in ("p", "h")  # noqa: E731

    def body(number: int, text: str, _names: list[str]) -> None:
        collector.add(text, number, unit="paragraph")

    if not archive.has("content.xml"):
        raise DocumentSkipped("damaged: content.xml is missing")
    _paragraphs(archive, "content.xml", limits, is_paragraph, _odf_render, body)
    if archive.has("styles.xml"):
        # Headers and footers live in the page styles.
        def furniture(number: int, text: str, names: list[str]) -> None:
            for part in ("header", "footer"):
                if any(n.startswith(part) for n in names):
                    collector.add(text, number, part=part, unit="paragraph")
                    return

        _paragraphs(archive, "styles.xml", limits, is_paragraph, _odf_render, furniture)


# -- EPUB --------------------------------------------------------------------------------------


def _epub(archive: SafeZip, collector: Collector, limits: Limits) -> None:
    container = parse_small_xml(archive.read("META-INF/container.xml"), "META-INF/container.xml", limits)
    opf_path = next((e.get("full-path") for e in container.iter() if local(e.tag) == "rootfile"), None)
    if not opf_path or not archive.has(opf_path):
        raise DocumentSkipped("damaged: the EPUB has no package document")
    opf = parse_small_xml(archive.read(opf_path), opf_path, limits)
    base = posixpath.dirname(opf_path)
    files_by_id: dict[str, tuple[str, str]] = {}  # the package's <manifest>: id → (path, media type)
    spine: list[str] = []
    for elem in opf.iter():
        tag = local(elem.tag)
        if tag == "title" and not collector.title and elem.text:
            collector.title = elem.text
        elif tag == "item" and elem.get("id") and elem.get("href"):
            href = posixpath.normpath(posixpath.join(base, unquote(elem.get("href", "").split("#")[0])))
            files_by_id[elem.get("id", "")] = (href, elem.get("media-type", ""))
        elif tag == "itemref" and elem.get("idref"):
            spine.append(elem.get("idref", ""))
    protected: set[str] = set()
    if archive.has("META-INF/encryption.xml"):
        enc = parse_small_xml(archive.read("META-INF/encryption.xml"), "META-INF/encryption.xml", limits)
        protected = {unquote(e.get("URI", "")) for e in enc.iter() if local(e.tag) == "CipherReference"}
    chapter = 0
    for idref in spine:
        href, media = files_by_id.get(idref, ("", ""))
        if not href or not archive.has(href) or ("html" not in media and not href.endswith(("html", "htm"))):
            continue
        if href in protected:
            raise DocumentSkipped("encrypted")
        chapter += 1
        blocks, _title, _heading = html_blocks(decode_text(archive.read(href)), limits)
        for number, (_line, text) in enumerate(blocks, 1):
            collector.add(text, number, chapter=chapter, unit="paragraph")
    if not chapter:
        raise DocumentSkipped("damaged: the EPUB spine lists no readable chapters")


# -- PDF -----------------------------------------------------------------------------------------

def extract_pdf(path: str, limits: Limits) -> Collector:
    """Text of each page, with hard wraps and hyphenation undone, located at page and line."""
    import pypdfium2 as pdfium

    collector = Collector("pdf", limits)
    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            raise DocumentSkipped("encrypted") from None
        raise DocumentSkipped(f"damaged: {message.rstrip('.')}") from None
    try:
        pages = len(pdf)
        if pages == 0:
            raise DocumentSkipped("damaged: the PDF has no pages")
        try:
            collector.title = pdf.get_metadata_value("Title") or ""
        except Exception:  # metadata is a nicety; a broken info dict must not cost the text
            collector.title = ""
        if pages > limits.max_pages:
            collector.warn(f"only the first {limits.max_pages} of {pages} pages were indexed; the rest was not")
        any_text = False
        scans = _Scans(path, pages, limits)
        try:
            for index in range(min(pages, limits.max_pages)):
                page = pdf[index]
                try:
                    textpage = page.get_textpage()
                    try:
                        text = textpage.get_text_range()
                        gaps = _paragraph_gaps(textpage, text)
                    finally:
                        textpage.close()
                    if not text.strip():  # no text layer: a scanned page
                        scans.read(page, index + 1, collector)
                        continue
                finally:
                    page.close()
                any_text = True
                for line, paragraph in pdf_paragraphs(text, gaps):
                    collector.add(paragraph, line, page=index + 1)
        except TextFull:
            pass
        if scans.missing is not None:
            if not any_text:
                raise DocumentSkipped(f"scanned (no text layer), {scans.missing.reason}")
            collector.warn(f"{len(scans.skipped)} scanned page(s) were not read: {scans.missing.reason}")
        if not any_text and not collector.raw:
            raise DocumentSkipped("no text layer, and OCR found no text" if scans.read_pages else "no text found")
    finally:
        pdf.close()
    return collector


class _Scans:
    """The pages of a PDF without a text layer, rendered at 300 dpi and read by OCR."""

    def __init__(self, path: str, pages: int, limits: Limits) -> None:
        self.path, self.pages, self.limits = path, pages, limits
        self.missing: DocumentSkipped | None = None  # Tesseract is not installed
        self.skipped: list[int] = []
        self.read_pages = 0
        self.cache: Any = None

    def read(self, page: Any, number: int, collector: Collector) -> None:
        from searcher.documents.formats import _ocr

        if self.cache is None:
            self.cache = _ocr.OcrCache(self.limits.ocr_cache, self.path)
        text = self.cache.get(number)
        if text is None and self.missing is None:
            try:
                _ocr.tesseract()
            except DocumentSkipped as exc:
                self.missing = exc
        if text is None and self.missing is not None:
            self.skipped.append(number)
            return
        if text is None:
            _ocr.pillow()  # pypdfium2 renders into a Pillow image
            _ocr.report_page(number, min(self.pages, self.limits.max_pages))
            width, height = page.get_size()  # points
            scale = _ocr.DPI / 72
            pixels = width * height * scale * scale
            if pixels > self.limits.max_image_pixels:
                # A page declared huge is read at the resolution the pixel limit allows.
                scale *= (self.limits.max_image_pixels / pixels) ** 0.5
            if width * scale < 1 or height * scale < 1:
                return
            image = page.render(scale=scale, grayscale=True).to_pil()
            text = _ocr.ocr_image(image, self.limits, f"page {number}")
            self.cache.put(number, text)
        self.read_pages += 1
        collector.ocr_pages += 1
        _ocr.add_ocr_text(collector, text, number)


def _paragraph_gaps(textpage: Any, text: str) -> set[int]:
    """Indices (0-based, among the text's lines) of lines set apart by vertical space.

    pdfium's text has no blank lines: a gap wider than the usual line spacing
    (or a jump back up, a new column) is what separates paragraphs on the page.
    """
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    count = textpage.count_chars()
    bottoms: list[float | None] = []
    heights: list[float] = []
    for start in starts:
        if start >= count or start >= len(text) or text[start] in "\r\n":
            bottoms.append(None)
            continue
        try:
            _left, bottom, _right, top = textpage.get_charbox(start)
        except Exception:  # a box pdfium cannot give just means no gap information
            bottoms.append(None)
            continue
        bottoms.append(bottom)
        if top > bottom:
            heights.append(top - bottom)
    deltas = [a - b for a, b in itertools.pairwise(bottoms) if a is not None and b is not None and a > b]
    if len(deltas) >= 3:
        threshold = 1.5 * sorted(deltas)[len(deltas) // 2]
    elif heights:
        threshold = 2.4 * sorted(heights)[len(heights) // 2]
    else:
        return set()
    gaps = set()
    for i in range(1, len(bottoms)):
        above, here = bottoms[i - 1], bottoms[i]
        if above is not None and here is not None and (above - here > threshold or here > above + 1):
            gaps.add(i)
    return gaps
