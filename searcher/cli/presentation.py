"""How hits are shown: snippets around the matches, paths an editor can open, ``path:line``.

Shared by the one-shot CLI and the TUI so both show the same thing.  Light on
purpose (no Whoosh, no Textual): the one-shot CLI imports it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from searcher.errors import redact

__all__ = [
    "format_size", "Snippet", "make_snippet", "display_path", "location", "where", "describe_conversions",
    "visible", "redact"]

# C0 controls, DEL and C1 controls: what a terminal may read as a command (ESC starts
# colour, title and clear-screen sequences; U+009B is a one-character CSI on some).
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
_SHOWN = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _show(char: str) -> str:
    code = ord(char)
    if char in _SHOWN:
        return _SHOWN[char]
    if code < 0x20 or code == 0x7F:
        return "^" + chr(code ^ 0x40)  # caret notation, as ls and cat -v: ESC is ^[, BEL ^G, DEL ^?
    return f"\\x{code:02x}"


def visible(text: str, keep: str = "") -> str:
    """``text`` with every control character shown, never sent to the terminal: ``^[`` for ESC,
    ``\\n`` for a newline (keep ``"\\n\\t"`` in a paragraph's text, where they are layout).

    Documents and file names are untrusted: a raw ``ESC ]0;…BEL`` sets the
    terminal's title, ``ESC [2J`` clears it, and a newline in a name splits a
    ``path:line`` line.  Every human-facing output goes through this.

    >>> visible("a\\x1b]0;T\\x07 \\x1b[2J"), visible("new\\nline.txt"), visible("x\\ty\\n", keep="\\n\\t")
    ('a^[]0;T^G ^[[2J', 'new\\\\nline.txt', 'x\\ty\\n')
    """
    if not _CONTROLS.search(text):
        return text
    return _CONTROLS.sub(lambda m: m.group() if m.group() in keep else _show(m.group()), text)


def display_path(file: str) -> str:
    """A path an editor can open from here: relative when under the current folder.

    >>> display_path(os.path.join(os.getcwd(), "corpus", "a.txt")) == os.path.join("corpus", "a.txt")
    True
    """
    try:
        relative = os.path.relpath(file)
    except ValueError:
        return file
    return file if relative.startswith(".." + os.sep) or relative == ".." else relative


# Formats whose ``line`` counts paragraphs, not lines of a file an editor could open.
_PARAGRAPH_FORMATS = (".docx", ".odt", ".epub", ".doc", ".rtf")


def where(
    file: str,
    line: int,
    page: int | None = None,
    chapter: int | None = None,
    *,
    sheet: str | None = None,
    cell: str | None = None,
    slide: int | None = None,
    ocr: bool = False,
) -> str:
    """The part of a location after the path: ``:12`` for text, `` p.3`` for a PDF page, `` ¶4`` for a paragraph,
    `` Lương!B7`` for a spreadsheet row, `` slide 3`` for a slide; text read by OCR is marked `` (OCR)``.

    >>> where("a.txt", 12), where("a.pdf", 2, page=3), where("a.docx", 4), where("a.epub", 5, chapter=2)
    (':12', ' p.3', ' ¶4', ' ch.2 ¶5')
    >>> where("a.xlsx", 7, sheet="Lương", cell="B7"), where("a.xlsx", 2, sheet="Bảng 1", cell="A2")
    (' Lương!B7', " 'Bảng 1'!A2")
    >>> where("a.pptx", 1, slide=3), where("a.pdf", 4, page=2, ocr=True), where("a.png", 3, ocr=True)
    (' slide 3', ' p.2 (OCR)', ' (OCR)')
    """
    mark = " (OCR)" if ocr else ""
    if sheet is not None:
        # As the spreadsheet writes a reference: a sheet name with spaces or punctuation is quoted.
        name = sheet if sheet.replace("_", "").isalnum() else "'" + sheet.replace("'", "''") + "'"
        return f" {name}!{cell or ''}"
    if slide is not None:
        return f" slide {slide}"
    if page is not None:
        return f" p.{page}{mark}"
    if chapter is not None:
        return f" ch.{chapter} ¶{line}"
    if ocr:  # a photo or scan of one page: the line OCR read it on means little to a person
        return mark
    if file.lower().endswith(_PARAGRAPH_FORMATS):
        return f" ¶{line}"
    return f":{line}"


def location(file: str, line: int, page: int | None = None, chapter: int | None = None, **place: Any) -> str:
    """``path:line``, the location format editors, grep and ripgrep understand; ``path p.12`` for a PDF.

    >>> location("/nowhere/văn-bản.txt", 12)
    '/nowhere/văn-bản.txt:12'
    >>> location("/nowhere/báo-cáo.pdf", 3, page=12)
    '/nowhere/báo-cáo.pdf p.12'
    """
    return display_path(file) + where(file, line, page, chapter, **place)

def describe_conversions(converted: dict[str, int]) -> list[str]:
    """One line per legacy encoding a build converted: ``converted from TCVN3: 14 files``.

    >>> describe_conversions({"tcvn3": 14, "vni": 1})
    ['converted from TCVN3: 14 files', 'converted from VNI: 1 file']
    """
    return [
        f"converted from {encoding.upper()}: {count} file{'s' if count != 1 else ''}"
        for encoding, count in sorted(converted.items())
    ]


ELLIPSIS = "…"


@dataclass(frozen=True)
class Snippet:
    """A piece of a paragraph, on one line, with spans shifted into it."""

    text: str
    spans: list[tuple[int, int]]


def make_snippet(
    text: str, spans: list[tuple[int, int]], width: int = 320, focus: tuple[int, int] | None = None
) -> Snippet:
    """Return at most about ``width`` characters of ``text`` around the best cluster of spans.

    ``focus`` (for example :func:`searcher.search.highlight.best_cluster`) is the
    stretch to centre on; without it, the window covering the most spans is used.
    Line breaks become spaces; a cut side gets an ellipsis; cuts fall between words.

    >>> text = "Các đơn vị, trong đó có Viện Hợp tác quốc tế, đã họp"
    >>> make_snippet(text, [(28, 31)], width=24, focus=(28, 44)).text
    '… Viện Hợp tác quốc tế, …'

    >>> s = make_snippet("một hai ba ngoại giao bốn năm", [(11, 16)], width=14)
    >>> s.text, s.text[s.spans[0][0]:s.spans[0][1]]
    ('… ba ngoại giao …', 'ngoại')
    """
    flat = text.replace("\n", " ")
    if len(flat) <= width:
        return Snippet(flat, list(spans))
    # Start the window where it covers the most spans.
    start = 0
    if focus is not None:
        room = width - (focus[1] - focus[0])
        start = max(0, focus[0] - room // 2) if room > 0 else focus[0]
    elif spans:
        best = 0
        for i, (s, _) in enumerate(spans):
            covered = sum(1 for a, b in spans[i:] if b <= s + width)
            if covered > best:
                best, start = covered, s
        start = max(0, start - width // 4)
    end = min(len(flat), start + width)
    start = max(0, min(start, end - width))
    if start > 0:
        space = flat.rfind(" ", max(0, start - 20), start + 1)
        if space >= 0:
            start = space + 1
        elif start <= 20:
            start = 0  # inside the first word: show it whole rather than cut it
    if end < len(flat):
        space = flat.rfind(" ", start, end)
        end = space if space > start else end
    prefix = ELLIPSIS + " " if start > 0 else ""
    suffix = " " + ELLIPSIS if end < len(flat) else ""
    shift = len(prefix) - start
    inside = [(a + shift, b + shift) for a, b in spans if a >= start and b <= end]
    return Snippet(prefix + flat[start:end] + suffix, inside)


def format_size(size: float) -> str:
    """A size for people, in SI units (as ``du --si``), the same in ``search-index --list`` and the live search.

    >>> format_size(1536), format_size(5_000_000), format_size(118_919_168)
    ('1.5 kB', '5.0 MB', '119 MB')
    """
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" or size >= 100 else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"
