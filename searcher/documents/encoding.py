"""Pass 1 over a ``.txt`` file: what its bytes are.

:func:`inspect_file` hashes the bytes, picks the encoding (UTF-8 with or without
a byte-order mark, UTF-16/32, BOM-less UTF-16, Windows-1258 when the text is
clearly Vietnamese), recognises text typed in the legacy TCVN3 and VNI fonts,
refuses binary data, and notes whether blank lines separate the paragraphs.  It
streams the file, so memory stays bounded whatever its size.  Pass 2, the
paragraphs, is :mod:`searcher.documents.paragraphs`.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import BinaryIO

from searcher.vietnamese.text import clean

__all__ = ["UnreadableFile", "FileCheck", "BlankLines", "inspect_file", "iter_text", "decode"]

_CHUNK = 1 << 20

# Letters only Vietnamese uses, and the combining tone marks Windows-1258 writes.
_VIETNAMESE_MARKERS = set("ăâêôơưđĂÂÊÔƠƯĐ\u0300\u0301\u0303\u0309\u0323")

_LEGACY_SAMPLE = 65536
_UNICODE_ONLY = re.compile("[ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹĩũ]", re.I)
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_HIGH_BYTES = bytes(range(0x80, 0x100))


class UnreadableFile(Exception):
    """A file that cannot be decoded as text; the message says why."""


@dataclass(frozen=True)
class FileCheck:
    """What the first pass over a file found out."""

    sha256: str
    encoding: str
    skip: int  # bytes of byte-order mark to skip
    has_blank_lines: bool
    legacy: str | None = None  # "tcvn3" or "vni": text typed in a pre-Unicode font, converted when read


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
        encoding = (_utf16_without_bom(head[:65536]) if b"\x00" in head[:65536] else None) or "utf-8"
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
        cp1258: FileCheck | None = _scan(stream, "cp1258", 0)
    except UnicodeDecodeError:
        cp1258 = None
    if cp1258 is not None and _looks_vietnamese(stream):
        return cp1258
    raise UnreadableFile(
        f"not UTF-8 (invalid byte at offset {utf8_error.start}) nor recognisably Windows-1258 text"
    ) from None


def _legacy_font(sample: str) -> str | None:
    """``"tcvn3"``/``"vni"`` when the text was typed in that pre-Unicode font (:mod:`searcher.vietnamese.legacy`)."""
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
    state = BlankLines()
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
            start = offset - len(chunk)  # the error's offsets in the file, not in this chunk
            raise UnicodeDecodeError(
                exc.encoding, exc.object, start + exc.start, start + exc.end, exc.reason
            ) from None
        if "\x00" in text:
            raise UnreadableFile("binary data (NUL bytes)")
        state.feed(text)
        if final:
            break
    state.finish()
    return FileCheck(digest.hexdigest(), encoding, skip, state.has_blank_lines)


class BlankLines:
    """Tracks, over streamed text, whether blank lines separate non-blank ones."""

    def __init__(self) -> None:
        self.current_blank = True
        self.pending_blank = False
        self.seen_text = False
        self.has_blank_lines = False
        self.carry_cr = False

    def feed(self, text: str) -> None:
        """Take the next piece of the text (a CR at its end may be the first half of a CRLF)."""
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
        """The text has ended: count its last line."""
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


def iter_text(stream: BinaryIO, check: FileCheck) -> Iterator[str]:
    """Decode ``stream`` as :func:`inspect_file` found it, a chunk at a time (bad bytes replaced)."""
    decoder = codecs.getincrementaldecoder(check.encoding)("replace")
    stream.seek(check.skip)
    while True:
        chunk = stream.read(_CHUNK)
        text = decoder.decode(chunk, final=not chunk)
        if text:
            yield text
        if not chunk:
            return


def decode(data: bytes) -> str:
    """Decode a whole corpus file held in memory (the same rules as indexing).

    >>> decode("ngoại giao".encode("utf-16"))
    'ngoại giao'
    """
    stream = io.BytesIO(data)
    check = inspect_file(stream)
    return "".join(iter_text(stream, check))

