"""Markdown and HTML: text formats parsed in-process (no archive, no binary parser)."""

from __future__ import annotations

import codecs
import re
from functools import lru_cache
from typing import Any

import lxml.etree
import lxml.html

from searcher.documents.encoding import UnreadableFile, decode
from searcher.documents.formats._common import Collector, TextFull
from searcher.documents.formats._model import DocumentSkipped, Limits
from searcher.vietnamese.legacy import detect_legacy

# -- decoding ------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_.:-]{1,40})""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Decode a text document: BOM, then a declared charset, UTF-8, legacy fonts, Windows-1258.

    Text typed in TCVN3/VNI fonts is neither UTF-8 nor Windows-1258: it is read
    as Latin-1 (what such a font's bytes look like) so that the legacy
    conversion can recognise it afterwards.
    """
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(name, errors="replace")
    if declared:
        try:
            codecs.lookup(declared)
            if codecs.lookup(declared).name not in ("utf-8", "ascii", "latin-1", "cp1252", "iso8859-1"):
                return data.decode(declared, errors="replace")
        except LookupError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    latin = data.decode("latin-1")
    if detect_legacy(latin):
        return latin
    try:
        return decode(data)
    except UnreadableFile:
        return data.decode("cp1252", errors="replace")


def read_bounded(path: str, limits: Limits, collector: Collector) -> bytes:
    """Read a text file, keeping at most what the text bound allows (with a warning)."""
    cap = limits.max_text_chars * 2  # bytes: UTF-8 Vietnamese is about 1.3 bytes a letter
    with open(path, "rb") as stream:
        data = stream.read(cap + 1)
    if len(data) > cap:
        collector.warn(f"only the first {limits.max_text_mb:g} MB of text was indexed; the rest was not")
        data = data[:cap]
    return data


# -- Markdown --------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A(---|\+\+\+)[ \t]*\n.*?\n\1[ \t]*(\n|\Z)", re.S)


@lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").enable("strikethrough")


def extract_markdown(path: str, limits: Limits) -> Collector:
    """Paragraphs of a Markdown file: one per block, located at its first source line."""
    collector = Collector("markdown", limits)
    text = decode_text(read_bounded(path, limits, collector))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Front matter is metadata, not text; blank it out so line numbers stay true.
    match = _FRONT_MATTER.match(text)
    if match:
        text = "\n" * match.group(0).count("\n") + text[match.end():]
    try:
        tokens = _markdown().parse(text)
    except RecursionError:
        raise DocumentSkipped("damaged: Markdown nested too deeply") from None
    row: list[str] = []
    row_line = 0
    in_table = False
    previous = None
    try:
        for token in tokens:
            line = token.map[0] + 1 if token.map else 0
            if token.type == "table_open":
                in_table = True
            elif token.type == "table_close":
                in_table = False
            elif token.type == "tr_open":
                row, row_line = [], line
            elif token.type == "tr_close":
                # A table row is one paragraph: its cells are short and belong together.
                collector.add("\t".join(c for c in row if c), row_line)
            elif token.type == "inline":
                rendered = _inline_text(token.children or [])
                if in_table:
                    row.append(rendered)
                else:
                    collector.add(rendered, line)
                    if not collector.title and previous is not None and previous.tag == "h1":
                        collector.title = rendered
            elif token.type in ("fence", "code_block"):
                collector.add(token.content, line + (1 if token.type == "fence" else 0))
            elif token.type == "html_block":
                collector.add(_html_fragment_text(token.content), line)
            previous = token
    except TextFull:
        pass
    return collector


def _inline_text(children: list[Any]) -> str:
    """Visible text of inline tokens: emphasis and link text kept, URLs and raw HTML dropped."""
    out = []
    for child in children:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type == "softbreak":
            out.append(" ")
        elif child.type == "hardbreak":
            out.append("\n")
        elif child.type == "image":
            out.append(_inline_text(child.children or []))
        # link_open/close, html_inline, em/strong markers carry no text
    return "".join(out)


def _html_fragment_text(source: str) -> str:
    try:
        fragment = lxml.html.fragment_fromstring(source, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return ""
    for bad in fragment.xpath(".//script|.//style"):
        bad.drop_tree()
    return str(fragment.text_content())


# -- HTML ----------------------------------------------------------------------------------

_BLOCKS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li dd dt td th caption figcaption blockquote pre address article "
    "section main table tr ul ol dl figure summary details legend label option title center".split()
)
_BOILERPLATE = frozenset(
    "script style noscript template nav header footer aside form button select svg math iframe object head".split()
)
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())


def html_blocks(markup: str, limits: Limits) -> tuple[list[tuple[int, str]], str, str]:
    """Visible text of the block elements of an HTML page.

    Returns ``([(source line, text)], <title>, first <h1>)``.  Script, style and
    page furniture (nav, header, footer, aside, forms) are left out.
    """
    markup = _XML_DECLARATION.sub("", markup, count=1)
    if not markup.strip():
        return [], "", ""
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True, huge_tree=False)
    try:
        root = lxml.html.document_fromstring(markup, parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise DocumentSkipped(f"damaged: unreadable HTML ({exc})") from None
    title = ""
    heading = ""
    for element in root.iter("title"):
        title = element.text_content()
        break
    body = root.find("body")
    if body is None:
        body = root
    blocks: list[tuple[int, str]] = []
    buffer: list[str] = []
    start_line = [0]
    in_pre = [0]

    def flush() -> None:
        text = "".join(buffer)
        buffer.clear()
        if text.strip():
            blocks.append((start_line[0], text))
        start_line[0] = 0

    def add(text: str | None, line: int) -> None:
        if not text:
            return
        if not in_pre[0]:
            text = re.sub(r"\s+", " ", text)
        if not start_line[0] and text.strip():
            start_line[0] = line
        buffer.append(text)

    walker = lxml.etree.iterwalk(body, events=("start", "end"))
    depth = 0
    skipping = 0
    for event, element in walker:
        tag = element.tag if isinstance(element.tag, str) else ""
        tag = tag.rsplit("}", 1)[-1].lower()
        line = element.sourceline or 0
        if event == "start":
            depth += 1
            if tag in _BOILERPLATE or depth > limits.max_xml_depth:
                walker.skip_subtree()
                skipping += 1
                continue
            if tag in _BLOCKS:
                flush()
            if tag == "pre":
                in_pre[0] += 1
            if tag == "br":
                buffer.append("\n")
            elif tag == "img" and element.get("alt"):
                add(" " + element.get("alt", "") + " ", line)
            add(element.text, line)
        else:
            depth -= 1
            if skipping and (tag in _BOILERPLATE or depth >= limits.max_xml_depth):
                skipping -= 1
            else:
                if tag in _BLOCKS:
                    if tag in _HEADINGS and tag == "h1" and not heading:
                        heading = "".join(buffer)
                    flush()
                if tag == "pre":
                    in_pre[0] -= 1
                elif tag in ("td", "th"):
                    pass
            add(element.tail, line)
    flush()
    return blocks, title, heading


def extract_html(path: str, limits: Limits) -> Collector:
    """Paragraphs of an HTML file, each located at the source line where its text starts."""
    collector = Collector("html", limits)
    data = read_bounded(path, limits, collector)
    declared = _META_CHARSET.search(data[:4096]) or _XML_ENCODING.search(data[:512])
    markup = decode_text(data, declared.group(1).decode("ascii") if declared else None)
    blocks, title, heading = html_blocks(markup, limits)
    collector.title = title or heading
    try:
        for line, text in blocks:
            collector.add(text, line)
    except TextFull:
        pass
    return collector
