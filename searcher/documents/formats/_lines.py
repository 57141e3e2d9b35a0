"""A page's lines joined into paragraphs: the text layer of a PDF page, and what OCR reads on a scan.

Shared by :mod:`._binary` (PDF) and :mod:`._ocr` (scans, and the scanned pages of a PDF).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["pdf_paragraphs"]

_CLOSING = tuple('.!?…:;"”’»)]')
_BULLET = re.compile(r"^([•◦▪‣●○■\-–—*]|\d{1,3}[.)]|[a-zđ][.)])\s")
_HYPHENS = ("-", "\xad", "\x02")
_LIGATURES = {ord(c): unicodedata.normalize("NFKC", c) for c in "ﬀﬁﬂﬃﬄﬅﬆ"}


def pdf_paragraphs(text: str, gaps: set[int] | None = None) -> list[tuple[int, str]]:
    """Join one page's lines into paragraphs: ``[(line on the page, text)]``.

    A line continues the paragraph unless vertical space (``gaps``, indices of
    lines) comes before it, or the line before ends a sentence and this one
    starts like a new one (a capital, a digit, a bullet).  A word hyphenated
    across lines is rejoined: pdfium marks such a break with U+FFFE.
    """
    gaps = gaps or set()
    lines = text.translate(_LIGATURES).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[tuple[int, str]] = []
    current = ""
    start = 0
    visual = 0  # lines as a reader counts them on the page
    for index, raw in enumerate(lines):
        visual += 1
        number = visual
        # Each U+FFFE is a hyphenated line end pdfium already joined.
        visual += raw.count("\ufffe")
        line = raw.replace("\ufffe", "").strip()
        if not line or index in gaps:
            if current:
                out.append((start, current))
            current = ""
            if not line:
                continue
        if current:
            first = line[0]
            new_sentence = current.endswith(_CLOSING) and (first.isupper() or first.isdigit() or not first.isalnum())
            if new_sentence or _BULLET.match(line):
                out.append((start, current))
                current = ""
            elif current.endswith(_HYPHENS) and len(current) > 1 and current[-2].isalpha() and first.islower():
                current = current[:-1] + line
                continue
            else:
                current = current.rstrip("\x02\xad") + " " + line
                continue
        current, start = line, number
    if current:
        out.append((start, current))
    return out
