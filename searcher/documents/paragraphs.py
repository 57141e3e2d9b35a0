"""Pass 2 over a ``.txt`` file: its paragraphs.

A paragraph is a block of lines between blank lines; in a file with no blank
lines each line is a paragraph, except that a hard-wrapped line (the previous
line has no closing punctuation and this one starts in lower case) continues
the paragraph before it.  Lines made only of ``|`` are separators (news caption
markers), not text.  A paragraph longer than :data:`MAX_PARAGRAPH_CHARS` (a 50 MB
one-line dump, say) is cut into windows at word boundaries, each with the line
and column where it starts.  :class:`Paragraph` and :class:`Document` are also
what :mod:`searcher.documents.formats` gives for the other formats.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from searcher.documents.encoding import BlankLines, FileCheck, iter_text
from searcher.vietnamese.text import clean, clean_line

__all__ = ["MAX_PARAGRAPH_CHARS", "TITLE_MAX_CHARS", "Paragraph", "Document", "iter_paragraphs", "split_paragraphs"]

MAX_PARAGRAPH_CHARS = 8000
TITLE_MAX_CHARS = 300
_LINE_PIECE = 1 << 16  # the longest piece of a line handled at once

_CLOSING = tuple('.!?…:;"”’»)]}')


@dataclass(frozen=True)
class Paragraph:
    """One paragraph: where it starts in its file and its text (NFC, cleaned).

    ``line`` is 1-based in the original file and ``column`` the 0-based
    character offset in that line (0 except for windows of a long paragraph);
    ``ordinal`` is 0-based within the document (the title paragraph is 0).
    """

    line: int
    ordinal: int
    text: str
    column: int = 0


@dataclass
class Document:
    """A decoded corpus file: its path relative to the corpus root, title and paragraphs."""

    path: str
    title: str
    paragraphs: list[Paragraph] = field(default_factory=list)


def _iter_lines(chunks: Iterable[str]) -> Iterator[tuple[str, bool]]:
    """Yield ``(piece, ends_line)``: whole lines, or pieces of over-long ones.

    Line ends may be LF, CRLF or a lone CR.  A piece of a long line is cut
    before a combining mark never after, so NFC sees whole letters.
    """
    buffer = ""
    carry_cr = False
    for chunk in chunks:
        text = "\r" + chunk if carry_cr else chunk
        carry_cr = text.endswith("\r")
        if carry_cr:
            text = text[:-1]
        buffer += text.replace("\r\n", "\n").replace("\r", "\n")
        lines = buffer.split("\n")
        buffer = lines.pop()
        for line in lines:
            yield line, True
        while len(buffer) > _LINE_PIECE:
            cut = _LINE_PIECE
            while cut > 1 and unicodedata.combining(buffer[cut]):
                cut -= 1
            yield buffer[:cut], False
            buffer = buffer[cut:]
    if carry_cr:
        buffer += "\n"
        lines = buffer.split("\n")
        buffer = lines.pop()
        for line in lines:
            yield line, True
    if buffer:
        yield buffer, True


def _is_separator(line: str) -> bool:
    # Only pipes (a table's border) or nothing; no set of a long line's characters.
    return not line.strip().strip("|")


def _continues(previous: str, line: str) -> bool:
    """Tell whether ``line`` is the hard-wrapped continuation of ``previous``."""
    previous = previous.rstrip(" |")
    stripped = line.lstrip()
    if not previous or not stripped:
        return False
    return stripped[0].islower() and not previous.endswith(_CLOSING)


class _Assembler:
    """Turns a stream of cleaned lines into paragraphs (see the module docstring)."""

    def __init__(self, has_blank_lines: bool) -> None:
        self.line_mode = not has_blank_lines
        self.pieces: list[tuple[int, int, str]] = []  # (line, column, text) of the open block
        self.size = 0
        self.last_line = ""
        self.seen: set[bytes] = set()
        self.ordinal = 0
        self.title: str | None = None

    def add_line(self, number: int, column: int, text: str, ends_line: bool, starts_line: bool) -> Iterator[Paragraph]:
        if starts_line and ends_line and _is_separator(text):
            yield from self.close()
            return
        if starts_line and ends_line and "|" in (text[:1] + text[-1:]):
            # "(Ảnh: Tuấn Anh) |": a caption marker at the edge of a line is not text.
            stripped = text.rstrip().rstrip("|").rstrip()
            lead = len(stripped) - len(stripped.lstrip().lstrip("|").lstrip())
            text, column = stripped[lead:], column + lead
        if starts_line:
            if self.pieces and self.line_mode and not _continues(self.last_line, text):
                yield from self.close()
            if self.title is None:
                self.title = clean_line(text).strip(" |")[:TITLE_MAX_CHARS]
            text = text.rstrip() if ends_line else text
            if self.pieces:
                self._append(number, column, "\n")
            self._append(number, column, text)
            self.last_line = text
        else:
            text = text.rstrip() if ends_line else text
            self._append(number, column, text)
            self.last_line += text[-200:]
        while self.size > MAX_PARAGRAPH_CHARS:
            yield from self._cut_window()

    def _append(self, number: int, column: int, text: str) -> None:
        if text:
            self.pieces.append((number, column, text))
            self.size += len(text)

    def _cut_window(self) -> Iterator[Paragraph]:
        text = "".join(p[2] for p in self.pieces)
        cut = text.rfind(" ", MAX_PARAGRAPH_CHARS // 2, MAX_PARAGRAPH_CHARS)
        if cut <= 0:
            cut = MAX_PARAGRAPH_CHARS
        while cut > 1 and unicodedata.combining(text[cut]):
            cut -= 1
        line, column = self.pieces[0][0], self.pieces[0][1]
        yield from self._emit(line, column, text[:cut])
        # Work out where the rest starts, for its line and column.
        rest_pieces: list[tuple[int, int, str]] = []
        consumed = 0
        for number, col, piece in self.pieces:
            end = consumed + len(piece)
            if end > cut:
                skip = max(0, cut - consumed)
                rest_pieces.append((number, col + skip if piece != "\n" else col, piece[skip:]))
            consumed = end
        self.pieces = rest_pieces
        self.size = sum(len(p[2]) for p in rest_pieces)
        while self.pieces and not self.pieces[0][2].strip():
            self.size -= len(self.pieces.pop(0)[2])
        if self.pieces:
            number, col, piece = self.pieces[0]
            stripped = piece.lstrip()
            self.pieces[0] = (number, col + len(piece) - len(stripped), stripped)
            self.size -= len(piece) - len(stripped)

    def close(self) -> Iterator[Paragraph]:
        if self.pieces:
            line, column = self.pieces[0][0], self.pieces[0][1]
            text = "".join(p[2] for p in self.pieces)
            self.pieces, self.size = [], 0
            yield from self._emit(line, column, text)

    def _emit(self, line: int, column: int, text: str) -> Iterator[Paragraph]:
        stripped = text.strip()
        if not stripped:
            return
        column += len(text) - len(text.lstrip())
        key = hashlib.blake2b(" ".join(stripped.split()).encode("utf-8"), digest_size=16).digest()
        if key in self.seen:
            return  # a caption printed twice in one article is indexed once
        self.seen.add(key)
        yield Paragraph(line, self.ordinal, stripped, column)
        self.ordinal += 1


def _paragraphs_from_lines(
    lines: Iterable[tuple[str, bool]], has_blank_lines: bool, document: Document, legacy: str | None = None
) -> Iterator[Paragraph]:
    assembler = _Assembler(has_blank_lines)
    number, column, starts = 1, 0, True
    if legacy:
        from searcher.vietnamese.legacy import convert, has_unicode_vietnamese
    for piece, ends_line in lines:
        # Converted before cleaning: TCVN3 spells ư as a soft hyphen.
        cleaned = clean(convert(piece, legacy) if legacy and not has_unicode_vietnamese(piece) else piece)
        yield from assembler.add_line(number, column, cleaned, ends_line, starts)
        if document.title == "" and assembler.title:
            document.title = assembler.title
        if ends_line:
            number, column, starts = number + 1, 0, True
        else:
            column += len(cleaned)
            starts = False
    yield from assembler.close()


def iter_paragraphs(stream: BinaryIO, check: FileCheck, document: Document) -> Iterator[Paragraph]:
    """Second pass: decode ``stream`` and yield its paragraphs; sets ``document.title``."""
    yield from _paragraphs_from_lines(
        _iter_lines(iter_text(stream, check)), check.has_blank_lines, document, check.legacy
    )


def split_paragraphs(relpath: str, raw_text: str) -> Document:
    """Split already-decoded text into a :class:`Document`.

    Identical paragraphs repeated inside one document (a photo caption printed
    twice) are kept once.

    >>> doc = split_paragraphs("a.txt", "Tiêu đề\\n\\nNgoại giao kinh tế\\nvà văn hóa.\\n")
    >>> doc.title, [(p.line, p.text) for p in doc.paragraphs]
    ('Tiêu đề', [(1, 'Tiêu đề'), (3, 'Ngoại giao kinh tế\\nvà văn hóa.')])
    """
    state = BlankLines()
    state.feed(raw_text)
    state.finish()
    document = Document(path=relpath, title="")
    lines = _iter_lines([raw_text])
    document.paragraphs = list(_paragraphs_from_lines(lines, state.has_blank_lines, document))
    return document
