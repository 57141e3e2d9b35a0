"""Reading a corpus: finding its ``.txt`` files, decoding them, splitting paragraphs.

A corpus is a folder tree of ``.txt`` files.  A paragraph is a block of lines
between blank lines; in a file with no blank lines each line is a paragraph,
except that a hard-wrapped line (the previous line has no closing punctuation
and this one starts in lower case) continues the paragraph before it.  Lines
made only of ``|`` are separators (news caption markers), not text.
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .text import clean, clean_line

__all__ = [
    "Paragraph",
    "Document",
    "CorpusFile",
    "UnreadableFile",
    "iter_corpus_files",
    "decode",
    "read_document",
    "split_paragraphs",
]

# A paragraph longer than this is cut into windows at word boundaries, so one
# enormous line (a dump, a log) neither blows up memory nor makes one giant hit.
MAX_PARAGRAPH_CHARS = 8000

_CLOSING = tuple('.!?…:;"”’»)]}')


class UnreadableFile(Exception):
    """A corpus file that cannot be decoded as text; the message says why."""


@dataclass(frozen=True)
class Paragraph:
    """One paragraph: where it starts in its file and its text (NFC, cleaned).

    ``line`` is 1-based in the original file; ``ordinal`` is 0-based within the
    document (the title paragraph is 0).
    """

    line: int
    ordinal: int
    text: str


@dataclass
class Document:
    """A decoded corpus file: its path relative to the corpus root, title and paragraphs."""

    path: str
    title: str
    paragraphs: list[Paragraph] = field(default_factory=list)


@dataclass(frozen=True)
class CorpusFile:
    """A ``.txt`` file found in the corpus, with what incremental indexing compares."""

    path: str  # relative to the corpus root, always with "/" separators
    abspath: str
    size: int
    mtime_ns: int


def iter_corpus_files(root: Path, exclude: list[Path] | None = None) -> Iterator[CorpusFile]:
    """Yield every visible ``.txt`` file under ``root``, sorted, skipping hidden ones.

    Hidden files and folders (starting with ``.``) and the folders in
    ``exclude`` (the index, when it lives inside the corpus) are not visited.
    Symbolic links to folders are not followed, so link loops cannot trap us.
    """
    root = Path(root)
    excluded = {os.path.realpath(p) for p in (exclude or [])}

    def walk(folder: str, rel: str) -> Iterator[CorpusFile]:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            relpath = f"{rel}{entry.name}"
            try:
                if entry.is_dir(follow_symlinks=False):
                    if os.path.realpath(entry.path) in excluded:
                        continue
                    yield from walk(entry.path, relpath + "/")
                elif entry.name.lower().endswith(".txt") and entry.is_file():
                    st = entry.stat()
                    yield CorpusFile(relpath, entry.path, st.st_size, st.st_mtime_ns)
            except OSError:
                continue

    yield from walk(str(root), "")


def decode(data: bytes) -> str:
    """Decode a corpus file's bytes: UTF-8 (with or without BOM) or UTF-16 with BOM.

    Raises :class:`UnreadableFile` with a short reason for anything else.

    >>> decode("ngoại giao".encode("utf-16"))
    'ngoại giao'
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UnreadableFile(f"invalid UTF-16 at byte {exc.start}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"not UTF-8 (invalid byte at offset {exc.start})") from None
    if "\x00" in text:
        raise UnreadableFile("binary data (NUL bytes)")
    return text


def read_document(root: Path, relpath: str) -> Document:
    """Read and split one corpus file.  Raises ``OSError`` or :class:`UnreadableFile`."""
    data = (Path(root) / relpath).read_bytes()
    return split_paragraphs(relpath, decode(data))


def _is_separator(line: str) -> bool:
    stripped = line.strip()
    return not stripped or set(stripped) <= {"|"}


def _continues(previous: str, line: str) -> bool:
    """Tell whether ``line`` is the hard-wrapped continuation of ``previous``."""
    previous = previous.rstrip(" |")
    stripped = line.lstrip()
    if not previous or not stripped:
        return False
    first = stripped[0]
    return first.islower() and not previous.endswith(_CLOSING)


def split_paragraphs(relpath: str, raw_text: str) -> Document:
    """Split a decoded file into a :class:`Document`.

    Identical paragraphs repeated inside one document (a photo caption printed
    twice) are kept once.

    >>> doc = split_paragraphs("a.txt", "Tiêu đề\\n\\nNgoại giao kinh tế\\nvà văn hóa.\\n")
    >>> doc.title, [(p.line, p.text) for p in doc.paragraphs]
    ('Tiêu đề', [(1, 'Tiêu đề'), (3, 'Ngoại giao kinh tế\\nvà văn hóa.')])
    """
    lines = clean(raw_text).split("\n")
    has_blank_lines = any(not line.strip() for line in _content_span(lines))

    blocks: list[tuple[int, list[str]]] = []  # (1-based first line, lines)
    current: list[str] = []
    start = 0
    for number, line in enumerate(lines, 1):
        if _is_separator(line):
            if current:
                blocks.append((start, current))
                current = []
            continue
        if current and not has_blank_lines and not _continues(current[-1], line):
            blocks.append((start, current))
            current = []
        if not current:
            start = number
        current.append(line.rstrip())
    if current:
        blocks.append((start, current))

    title = clean_line(blocks[0][1][0]).strip(" |") if blocks else ""
    doc = Document(path=relpath, title=title)
    seen: set[str] = set()
    for first_line, block in blocks:
        text = "\n".join(block).strip()
        for piece in _windows(text):
            key = " ".join(piece.split())
            if key in seen:
                continue
            seen.add(key)
            doc.paragraphs.append(Paragraph(first_line, len(doc.paragraphs), piece))
    return doc


def _content_span(lines: list[str]) -> list[str]:
    """The lines between the first and the last non-blank line."""
    begin = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    end = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].strip()), -1)
    return lines[begin : end + 1]


def _windows(text: str) -> Iterator[str]:
    """Cut an over-long paragraph into pieces at whitespace; short ones pass through."""
    while len(text) > MAX_PARAGRAPH_CHARS:
        cut = text.rfind(" ", MAX_PARAGRAPH_CHARS // 2, MAX_PARAGRAPH_CHARS)
        if cut <= 0:
            cut = MAX_PARAGRAPH_CHARS
        yield text[:cut].strip()
        text = text[cut:].strip()
    if text:
        yield text
