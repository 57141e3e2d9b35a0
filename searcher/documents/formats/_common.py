"""Helpers every extractor uses: collecting paragraphs under a text bound, safe zip and XML."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from typing import IO, Any, cast

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse as _defused_iterparse

from searcher.documents.formats._model import DocumentSkipped, Extracted, ExtractedParagraph, Limits
from searcher.documents.paragraphs import MAX_PARAGRAPH_CHARS, TITLE_MAX_CHARS
from searcher.vietnamese.legacy import convert, detect_legacy, has_unicode_vietnamese
from searcher.vietnamese.text import clean

_SPACES = re.compile(r"[ \t\f\v\r]+")
# Control characters a parser can leave in text (PDF soft-hyphen markers, NULs).
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# Metadata titles that say nothing (PDF and Office generators write them by default).
PLACEHOLDER_TITLES = {"untitled", "untitled document", "document", "(anonymous)", "anonymous", "no title"}

class TextFull(Exception):
    """Raised inside an extractor when the document's text bound is reached."""


class Collector:
    """Gathers raw paragraphs, stopping the extractor once the text bound is reached."""

    def __init__(self, kind: str, limits: Limits) -> None:
        self.kind = kind
        self.limits = limits
        self.raw: list[ExtractedParagraph] = []
        self.title = ""
        self.warnings: list[str] = []
        self.chars = 0
        self.ocr_pages = 0  # pages read by OCR

    def add(self, text: str, line: int, **where: Any) -> None:
        """Keep one paragraph's raw text (raises :class:`TextFull` past the bound)."""
        if not text or text.isspace():
            return
        if self.chars + len(text) > self.limits.max_text_chars:
            self.warnings.append(
                f"only the first {self.limits.max_text_mb:g} MB of text was indexed; the rest was not"
            )
            raise TextFull
        self.chars += len(text)
        self.raw.append(ExtractedParagraph(text=text, line=line, **where))

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def finish(self) -> Extracted:
        """Convert legacy encodings, clean, drop repeats, cut over-long paragraphs, number them."""
        result = Extracted(kind=self.kind, warnings=self.warnings, ocr_pages=self.ocr_pages)
        sample = "\n".join(p.text for p in self.raw[:2000])[:200_000]
        encoding = detect_legacy(sample + "\n" + self.title)
        result.converted_from = encoding
        seen: set[bytes] = set()
        for para in self.raw:
            text = para.text
            # Legacy text is converted before cleaning: TCVN3 spells ư as a soft hyphen.
            if encoding and not has_unicode_vietnamese(text):
                text = convert(text, encoding)
            text = tidy(text)
            if not text or not any(ch.isalnum() for ch in text):
                continue
            key = hashlib.blake2b(" ".join(text.split()).encode("utf-8"), digest_size=16).digest()
            if key in seen:  # running headers, duplicated text-box fallbacks
                continue
            seen.add(key)
            for column, piece in _windows(text):
                para_out = ExtractedParagraph(**{**para.__dict__, "text": piece, "column": column})
                para_out.ordinal = len(result.paragraphs)
                result.paragraphs.append(para_out)
        title = self.title
        if title and encoding and not has_unicode_vietnamese(title):
            title = convert(title, encoding)
        title = " ".join(tidy(title).split())
        if title.lower() in PLACEHOLDER_TITLES:
            title = ""  # what a generator wrote when nobody gave a title: the first line says more
        if not title and result.paragraphs:
            title = " ".join(result.paragraphs[0].text.split())
        result.title = title[:TITLE_MAX_CHARS]
        return result


def tidy(text: str) -> str:
    """NFC, invisible characters gone, runs of spaces collapsed, blank lines dropped."""
    text = clean(_CONTROLS.sub("", text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _windows(text: str) -> Iterator[tuple[int, str]]:
    """Cut a paragraph longer than the index takes into windows at spaces."""
    start = 0
    while len(text) - start > MAX_PARAGRAPH_CHARS:
        cut = text.rfind(" ", start + MAX_PARAGRAPH_CHARS // 2, start + MAX_PARAGRAPH_CHARS)
        if cut <= start:
            cut = start + MAX_PARAGRAPH_CHARS
        yield start, text[start:cut].strip()
        start = cut
        while start < len(text) and text[start].isspace():
            start += 1
    if start < len(text):
        yield start, text[start:]


# -- zip archives ---------------------------------------------------------------

_MB = 1024 * 1024
_RATIO_MIN_SIZE = 1 * _MB  # small members compress oddly without being bombs
_MAX_MEMBERS = 20_000


class SafeZip:
    """A zip archive checked before anything is inflated, and read under a byte budget."""

    def __init__(self, path: str, limits: Limits) -> None:
        self.limits = limits
        try:
            self.zip = zipfile.ZipFile(path)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
            raise DocumentSkipped(f"damaged: not a readable zip archive ({exc})") from None
        if len(infos) > _MAX_MEMBERS:
            raise DocumentSkipped(f"damaged: {len(infos)} members in the archive")
        budget = limits.max_inflated_mb * _MB
        if sum(i.file_size for i in infos) > budget:
            raise DocumentSkipped(f"would inflate past {limits.max_inflated_mb} MB")
        for info in infos:
            if info.file_size >= _RATIO_MIN_SIZE and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                ratio = info.file_size / max(info.compress_size, 1)
                raise DocumentSkipped(f"looks like a zip bomb: {info.filename} would inflate {ratio:.0f}:1")
        self.infos = {i.filename: i for i in infos}
        self.left = budget  # declared sizes can lie: count what is really inflated

    def names(self) -> list[str]:
        return list(self.infos)

    def has(self, name: str) -> bool:
        return name in self.infos

    def open(self, name: str) -> IO[bytes]:
        """A reader for one member that stops at its declared size and the archive budget."""
        info = self.infos.get(name)
        if info is None:
            raise DocumentSkipped(f"damaged: {name} is missing")
        if info.flag_bits & 0x1:
            raise DocumentSkipped("encrypted")
        try:
            # A raw stream: what IO[bytes]'s readers call (read, readinto, close, the with block) it has.
            return cast(IO[bytes], _Capped(self.zip.open(info), self, info))
        except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError) as exc:
            raise DocumentSkipped(f"damaged: cannot read {name} ({exc})") from None

    def read(self, name: str) -> bytes:
        with self.open(name) as stream:
            data: bytes = _guard(stream.read)
        return data

    def close(self) -> None:
        self.zip.close()


def _guard(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise DocumentSkipped(f"damaged: {exc}") from None


class _Capped(io.RawIOBase):
    """Reads a zip member, refusing more bytes than declared or than the budget allows."""

    def __init__(self, inner: IO[bytes], owner: SafeZip, info: zipfile.ZipInfo) -> None:
        self.inner, self.owner, self.info, self.count = inner, owner, info, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), 1 << 20)
        try:
            data = self.inner.read(want)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise DocumentSkipped(f"damaged: cannot read {self.info.filename} ({exc})") from None
        self.count += len(data)
        self.owner.left -= len(data)
        if self.count > self.info.file_size:
            raise DocumentSkipped(f"damaged: {self.info.filename} is larger than its archive entry says")
        if self.owner.left < 0:
            raise DocumentSkipped(f"would inflate past {self.owner.limits.max_inflated_mb} MB")
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.inner.close()
        super().close()


# -- XML ------------------------------------------------------------------------------


def local(tag: Any) -> str:
    """The local name of an ElementTree tag ("{ns}p" → "p"); "" for comments and PIs."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def iter_xml(source: IO[bytes], name: str, limits: Limits) -> Iterator[tuple[str, Any, int]]:
    """Parse XML safely, yielding ``(event, element, depth)`` for "start" and "end".

    DTDs and entity declarations (billion laughs, XXE) are refused outright:
    the formats read here never need them.  Depth is capped.
    """
    depth = 0
    try:
        for event, elem in _defused_iterparse(
            source, events=("start", "end"), forbid_dtd=True, forbid_entities=True, forbid_external=True
        ):
            if event == "start":
                depth += 1
                if depth > limits.max_xml_depth:
                    raise DocumentSkipped(f"damaged: {name} is nested deeper than {limits.max_xml_depth} levels")
                yield event, elem, depth
            else:
                yield event, elem, depth
                depth -= 1
    except DefusedXmlException:
        raise DocumentSkipped(f"unsafe XML refused: {name} declares a DTD or entities") from None
    except SyntaxError as exc:  # xml.etree.ElementTree.ParseError
        raise DocumentSkipped(f"damaged: {name} is not well-formed XML ({exc})") from None


def parse_small_xml(data: bytes, name: str, limits: Limits) -> Any:
    """Parse a small XML part (an EPUB's container and package document, document properties) into its root element."""
    root = None
    for event, elem, depth in iter_xml(io.BytesIO(data), name, limits):
        if event == "start" and depth == 1:
            root = elem
    return root
