"""Reading a corpus: finding its files, decoding ``.txt`` files, splitting paragraphs.

A corpus is a folder tree of ``.txt`` files and documents in the formats
:mod:`searcher.documents.formats` reads (Markdown, HTML, Word, OpenDocument, EPUB, PDF);
this module reads the ``.txt`` files.  A paragraph is a block of lines
between blank lines; in a file with no blank lines each line is a paragraph,
except that a hard-wrapped line (the previous line has no closing punctuation
and this one starts in lower case) continues the paragraph before it.  Lines
made only of ``|`` are separators (news caption markers), not text.

Files are read in two streaming passes, so memory stays bounded whatever the
file size: :func:`inspect_file` hashes and validates the bytes and picks the
encoding; :func:`iter_paragraphs` then decodes and splits.  A paragraph longer
than :data:`MAX_PARAGRAPH_CHARS` (a 50 MB one-line dump, say) is cut into
windows at word boundaries, each with the line and column where it starts.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator

from searcher.vietnamese.text import clean, clean_line

__all__ = [
    "MAX_PARAGRAPH_CHARS",
    "Paragraph",
    "Document",
    "CorpusFile",
    "FileCheck",
    "UnreadableFile",
    "iter_corpus_files",
    "inspect_file",
    "iter_paragraphs",
    "decode",
    "read_document",
    "split_paragraphs",
]

MAX_PARAGRAPH_CHARS = 8000
TITLE_MAX_CHARS = 300
_CHUNK = 1 << 20
_LINE_PIECE = 1 << 16  # the longest piece of a line handled at once

_CLOSING = tuple('.!?…:;"”’»)]}')

# Letters only Vietnamese uses, and the combining tone marks Windows-1258 writes.
_VIETNAMESE_MARKERS = set("ăâêôơưđĂÂÊÔƠƯĐ\u0300\u0301\u0303\u0309\u0323")


_LEGACY_SAMPLE = 65536
_UNICODE_ONLY = re.compile("[ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹĩũ]", re.I)
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_HIGH_BYTES = bytes(range(0x80, 0x100))


class UnreadableFile(Exception):
    """A corpus file that cannot be decoded as text; the message says why."""


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


@dataclass(frozen=True)
class CorpusFile:
    """A ``.txt`` file found in the corpus, with what incremental indexing compares."""

    path: str  # relative to the corpus root, always with "/" separators
    abspath: str
    size: int
    mtime_ns: int
    ctime_ns: int = 0  # a chmod changes only this: an update must notice a file made unreadable
    link: bool = False  # listed as a symbolic link (one that may be followed): else never read through one


@dataclass(frozen=True)
class FileCheck:
    """What the first pass over a file found out."""

    sha256: str
    encoding: str
    skip: int  # bytes of byte-order mark to skip
    has_blank_lines: bool
    legacy: str | None = None  # "tcvn3" or "vni": text typed in a pre-Unicode font, converted when read


TEXT_SUFFIX = ".txt"


def indexed_suffixes() -> tuple[str, ...]:
    """File name endings the corpus takes: ``.txt`` and every format :mod:`searcher.documents.formats` reads."""
    from searcher.documents.formats import SUPPORTED_SUFFIXES  # lazily: searcher.documents.formats imports this module

    return (TEXT_SUFFIX, *SUPPORTED_SUFFIXES)


def is_document(path: str) -> bool:
    """Whether ``path`` is read by :mod:`searcher.documents.formats` rather than as a ``.txt`` file.

    >>> is_document("a/b.PDF"), is_document("notes.txt")
    (True, False)
    """
    return path.lower().endswith(indexed_suffixes()[1:])


def iter_corpus_files(
    root: Path,
    exclude: list[Path] | None = None,
    problems: list[dict[str, str]] | None = None,
    select: Callable[[str, bool], bool] | None = None,
    follow: bool = False,
    links: list[str] | None = None,
) -> Iterator[CorpusFile]:
    """Yield every visible file under ``root`` that the index takes, sorted, skipping hidden ones.

    The index takes ``.txt`` files and the document formats (:func:`indexed_suffixes`).
    Hidden files and folders (starting with ``.``) and the folders in
    ``exclude`` (the index, when it lives inside the corpus) are not visited;
    nor is any path for which ``select(relpath, is_folder)`` is False
    (``.searchignore`` and ``--include``/``--exclude``, see :mod:`searcher.documents.selection`).
    Symbolic links that lead out of ``root`` are not followed (``/etc/shadow``
    linked into a shared folder must not become searchable), nor are links
    to folders inside it (their files are indexed where they are); the links
    passed over that lead out are appended to ``links``.  ``follow`` (rg's
    ``-L``) follows every link, to files and folders, except into a folder
    being walked (a loop).  Unreadable folders, entries that are not readable regular files
    (broken or looping links, FIFOs) and names that are not valid UTF-8 are
    passed over, each reported as ``{"path", "reason"}`` into ``problems``.
    """
    root = Path(root)
    excluded = {os.path.realpath(p) for p in (exclude or [])}
    suffixes = indexed_suffixes()
    root_real = os.path.realpath(root)

    def inside(real: str) -> bool:
        return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)

    def report(relpath: str, reason: str) -> None:
        if problems is not None:
            printable = relpath.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            problems.append({"path": printable, "reason": reason})

    def walk(folder: str, rel: str, walking: frozenset[str]) -> Iterator[CorpusFile]:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            report(rel.rstrip("/") or ".", f"cannot read folder: {exc.strerror or exc}")
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            relpath = f"{rel}{entry.name}"
            is_txt = entry.name.lower().endswith(suffixes)
            try:
                if entry.is_symlink() and os.path.exists(entry.path):  # broken and looping ones: below
                    real = os.path.realpath(entry.path)
                    is_folder = entry.is_dir()
                    if not follow and not inside(real) and (is_folder or is_txt):
                        if links is not None and (select is None or select(relpath, is_folder)):
                            links.append(relpath)
                        continue
                    if is_folder:
                        if follow and real not in walking and real not in excluded and (
                            select is None or select(relpath, True)
                        ):
                            yield from walk(entry.path, relpath + "/", walking | {real})
                        continue
                if entry.is_dir(follow_symlinks=False):
                    if os.path.realpath(entry.path) in excluded:
                        continue
                    if select is not None and not select(relpath, True):
                        continue
                    yield from walk(entry.path, relpath + "/", walking | {os.path.realpath(entry.path)})
                elif is_txt and select is not None and not select(relpath, False):
                    continue
                elif is_txt and entry.is_file():
                    if not _utf8_name(relpath):
                        report(relpath, "file name is not valid UTF-8")
                        continue
                    st = entry.stat()
                    yield CorpusFile(
                        relpath, entry.path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, entry.is_symlink()
                    )
                elif is_txt and not entry.is_dir():
                    broken = entry.is_symlink() and not os.path.exists(entry.path)
                    report(relpath, "broken symbolic link" if broken else "not a regular file")
            except OSError as exc:
                if is_txt:
                    report(relpath, f"cannot read: {exc.strerror or exc}")
                continue

    yield from walk(str(root), "", frozenset({root_real}))


def _utf8_name(relpath: str) -> bool:
    """False for a name with bytes that are not UTF-8 (decoded as lone surrogates)."""
    try:
        relpath.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# -- pass 1: hash, encoding, structure ------------------------------------


def _bom(head: bytes) -> tuple[str, int] | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", len(codecs.BOM_UTF8)
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return ("utf-32-le" if head.startswith(codecs.BOM_UTF32_LE) else "utf-32-be"), 4
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    """Recognise BOM-less UTF-16 by where its NUL bytes fall (ASCII letters, spaces)."""
    sample = head[: len(head) - len(head) % 2]
    if len(sample) < 8:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nuls > 0.3 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.3 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def inspect_file(stream: BinaryIO) -> FileCheck:
    """First pass over a file: hash it, choose its encoding, check it is text.

    Accepts UTF-8 (with or without BOM), UTF-16/32 with BOM, UTF-16 without BOM
    and Windows-1258 when the bytes are clearly Vietnamese in it.  Raises
    :class:`UnreadableFile` with a short reason for anything else.
    """
    head = stream.read(_CHUNK)
    bom = _bom(head)
    if bom is not None:
        encoding, skip = bom
    else:
        skip = 0
        encoding = _utf16_without_bom(head[:65536]) if b"\x00" in head[:65536] else None
        encoding = encoding or "utf-8"
    stream.seek(0)
    try:
        check = _scan(stream, encoding, skip)
        legacy = _legacy_font(head[skip:].decode(encoding, errors="ignore"))
        return replace(check, legacy=legacy) if legacy else check
    except UnicodeDecodeError as exc:
        if encoding != "utf-8":
            raise UnreadableFile(f"invalid {encoding.upper()} text") from None
        utf8_error = exc
    # The raw bytes of a TCVN3 or VNI font read as Latin-1 are that font's mojibake.
    legacy = _legacy_font(head.decode("latin-1"))
    if legacy:
        stream.seek(0)
        return replace(_scan(stream, "latin-1", 0), legacy=legacy)
    stream.seek(0)
    try:
        check = _scan(stream, "cp1258", 0)
    except UnicodeDecodeError:
        check = None
    if check is not None and _looks_vietnamese(stream):
        return check
    raise UnreadableFile(
        f"not UTF-8 (invalid byte at offset {utf8_error.start}) nor recognisably Windows-1258 text"
    ) from None


def _legacy_font(sample: str) -> str | None:
    """``"tcvn3"``/``"vni"`` when the text was typed in that pre-Unicode font (see :mod:`searcher.vietnamese.legacy`)."""
    sample = sample[:_LEGACY_SAMPLE]
    if sample.isascii():
        return None
    from searcher.vietnamese.legacy import detect_legacy, has_unicode_vietnamese

    # Unicode Vietnamese is full of letters that no Latin-1 mojibake holds: a cheap "no".
    if has_unicode_vietnamese(sample[:4000]) and len(_UNICODE_ONLY.findall(sample[:4000])) >= 8:
        return None
    return detect_legacy(sample)


def _scan(stream: BinaryIO, encoding: str, skip: int) -> FileCheck:
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    state = _BlankLineState()
    offset = 0
    while True:
        chunk = stream.read(_CHUNK)
        digest.update(chunk)
        final = not chunk
        data = chunk
        if offset < skip:
            cut = min(len(chunk), skip - offset)
            data = chunk[cut:]
        offset += len(chunk)
        try:
            text = decoder.decode(data, final=final)
        except UnicodeDecodeError as exc:
            raise UnicodeDecodeError(exc.encoding, exc.object, offset - len(chunk) + exc.start, offset - len(chunk) + exc.end, exc.reason) from None
        if "\x00" in text:
            raise UnreadableFile("binary data (NUL bytes)")
        state.feed(text)
        if final:
            break
    state.finish()
    return FileCheck(digest.hexdigest(), encoding, skip, state.has_blank_lines)


class _BlankLineState:
    """Tracks, over streamed text, whether blank lines separate non-blank ones."""

    def __init__(self) -> None:
        self.current_blank = True
        self.pending_blank = False
        self.seen_text = False
        self.has_blank_lines = False
        self.carry_cr = False

    def feed(self, text: str) -> None:
        if self.carry_cr:
            text = "\r" + text
            self.carry_cr = False
        if text.endswith("\r"):
            text, self.carry_cr = text[:-1], True
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        parts = text.split("\n")
        for i, part in enumerate(parts):
            if part and self.current_blank and clean(part).strip():
                self.current_blank = False
            if i < len(parts) - 1:
                self._end_line()

    def _end_line(self) -> None:
        if self.current_blank:
            if self.seen_text:
                self.pending_blank = True
        else:
            if self.pending_blank:
                self.has_blank_lines = True
            self.seen_text = True
            self.pending_blank = False
        self.current_blank = True

    def finish(self) -> None:
        if self.carry_cr:
            self.carry_cr = False
            self._end_line()
        self._end_line()


def _looks_vietnamese(stream: BinaryIO) -> bool:
    """Whether Windows-1258-decoded text is clearly Vietnamese (not Western European)."""
    stream.seek(0)
    raw = stream.read(_CHUNK)
    sample = raw.decode("cp1258", errors="replace")
    letters = sum(1 for ch in sample if ch.isalpha())
    markers = sum(1 for ch in sample if ch in _VIETNAMESE_MARKERS)
    if not (letters > 0 and markers >= 3 and markers / letters >= 0.05):
        return False
    # UTF-8 with a stray bad byte decodes as Windows-1258 too (its lead bytes
    # read as Ă, Â, Ê...): mostly well-formed UTF-8 sequences give it away.
    in_sequences = sum(len(m) for m in _UTF8_SEQUENCE.findall(raw))
    high = len(raw) - len(raw.translate(None, _HIGH_BYTES))
    return in_sequences < 0.5 * high


# -- pass 2: lines and paragraphs ---------------------------------------------


def _iter_text(stream: BinaryIO, check: FileCheck) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder(check.encoding)("replace")
    stream.seek(check.skip)
    while True:
        chunk = stream.read(_CHUNK)
        text = decoder.decode(chunk, final=not chunk)
        if text:
            yield text
        if not chunk:
            return


def _iter_lines(chunks: Iterable[str]) -> Iterator[tuple[str, bool]]:
    """Yield ``(piece, ends_line)``: whole lines, or pieces of over-long ones.

    Line ends may be LF, CRLF or a lone CR.  A piece of a long line is cut
    before a combining mark never after, so NFC sees whole letters.
    """
    buffer = ""
    carry_cr = False
    for text in chunks:
        if carry_cr:
            text = "\r" + text
            carry_cr = False
        if text.endswith("\r"):
            text, carry_cr = text[:-1], True
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
        if legacy and not has_unicode_vietnamese(piece):
            piece = convert(piece, legacy)  # before cleaning: TCVN3 spells ư as a soft hyphen
        cleaned = clean(piece)
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
        _iter_lines(_iter_text(stream, check)), check.has_blank_lines, document, check.legacy
    )


def decode(data: bytes) -> str:
    """Decode a whole corpus file held in memory (the same rules as indexing).

    >>> decode("ngoại giao".encode("utf-16"))
    'ngoại giao'
    """
    stream = io.BytesIO(data)
    check = inspect_file(stream)
    return "".join(_iter_text(stream, check))


def read_document(root: str | os.PathLike[str], relpath: str) -> Document:
    """Read and split one corpus file, of any format.  Raises ``OSError`` or :class:`UnreadableFile`."""
    if is_document(relpath):
        from searcher.documents.formats import DocumentSkipped, paragraphs_of

        document = Document(path=relpath, title="")
        try:
            document.paragraphs = list(paragraphs_of(Path(root) / relpath, document))
        except DocumentSkipped as exc:
            raise UnreadableFile(exc.reason) from None
        return document
    with open(Path(root) / relpath, "rb") as stream:
        check = inspect_file(stream)
        document = Document(path=relpath, title="")
        document.paragraphs = list(iter_paragraphs(stream, check, document))
    return document


def split_paragraphs(relpath: str, raw_text: str) -> Document:
    """Split already-decoded text into a :class:`Document`.

    Identical paragraphs repeated inside one document (a photo caption printed
    twice) are kept once.

    >>> doc = split_paragraphs("a.txt", "Tiêu đề\\n\\nNgoại giao kinh tế\\nvà văn hóa.\\n")
    >>> doc.title, [(p.line, p.text) for p in doc.paragraphs]
    ('Tiêu đề', [(1, 'Tiêu đề'), (3, 'Ngoại giao kinh tế\\nvà văn hóa.')])
    """
    state = _BlankLineState()
    state.feed(raw_text)
    state.finish()
    document = Document(path=relpath, title="")
    lines = _iter_lines([raw_text])
    document.paragraphs = list(_paragraphs_from_lines(lines, state.has_blank_lines, document))
    return document
