"""The files of the array codec (:mod:`searcher.index.codec`): their layout, their checksums, and
the in-memory form of a segment's postings before they are written.

Each segment of an index has two such files beside Whoosh's own:

- ``MAIN_<segment>.vpa``: for each of the ``exact``, ``folded`` and ``pairs``
  fields, a sorted vocabulary (UTF-8 terms and where each starts) and, per term,
  its documents (ascending) and term frequencies; and the size and CRC-32 of
  every other file of the segment;
- ``MAIN_<segment>.vln``: each document's exact syllable count.

Layout of both: a fixed prefix (magic, the header's length and CRC-32), a JSON
header (each array's offset, type and length), the data (each array at an
8-byte boundary), then a CRC-32 of every :data:`BLOCK` bytes of the data.  The
file is memory-mapped; a block is checked the first time it is read.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import zlib
from array import array
from collections.abc import Iterator
from typing import Any

__all__ = [
    "ARRAY_FIELDS",
    "LENGTH_FIELD",
    "POSTINGS_EXT",
    "LENGTHS_EXT",
    "DamagedSegment",
    "ArrayFile",
    "FieldArrays",
    "FieldCollector",
    "SegmentArrays",
    "file_check",
    "narrow",
    "write_arrays",
]

ARRAY_FIELDS = ("exact", "folded", "pairs")
LENGTH_FIELD = "folded"  # BM25's paragraph length: its syllables (the same for all three fields)
POSTINGS_EXT = ".vpa"
LENGTHS_EXT = ".vln"
MAGIC = b"VPA1"
LENGTHS_MAGIC = b"VLN1"
MAX_TF = 255
MAX_LENGTH = 65535
_HEADER = struct.Struct("<4sQI")  # magic, the JSON header's length, its CRC-32
# The data is checksummed in blocks of this many bytes: a search checks only the blocks it reads
# (the first time it reads them), an update checks them all.
BLOCK_SHIFT = 14
BLOCK = 1 << BLOCK_SHIFT
SMALL_FILE = 1 << 20  # Whoosh's files of a segment up to this size are checked whole at every opening


class DamagedSegment(Exception):
    """A segment file of this codec that is not what was written (truncated, overwritten, missing)."""


class FieldCollector:
    """One field's postings as they arrive: term ids, documents and frequencies, in document order."""

    def __init__(self) -> None:
        self.vocabulary: dict[str, int] = {}
        self.term_ids = array("I")
        self.docs = array("I")
        self.tfs = array("B")
        self.chunks: list[tuple[Any, Any, Any]] = []  # whole arrays added by merges, in document order

    def add(self, tbytes: bytes, docnum: int, weight: float) -> None:
        """One posting (Whoosh's way: a term as bytes, its frequency as the weight)."""
        tf = int(weight)
        self.add_counts(docnum, [tbytes.decode("utf-8")], [tf])

    def add_counts(self, docnum: int, terms: list[str], counts: list[int]) -> None:
        """A document's terms and how often each occurs in it, at once."""
        vocabulary = self.vocabulary
        ids = list(map(vocabulary.get, terms))
        if None in ids:
            for i, term in enumerate(terms):
                if ids[i] is None:
                    ids[i] = vocabulary.setdefault(term, len(vocabulary))
        self.term_ids.extend(ids)  # type: ignore[arg-type]
        self.docs.extend([docnum] * len(ids))
        self.tfs.extend([count if count < MAX_TF else MAX_TF for count in counts])

    def _seal(self) -> None:
        """Move the postings added one by one into a chunk (before a merge appends whole arrays)."""
        import numpy as np

        if len(self.docs):
            self.chunks.append(
                (
                    np.frombuffer(self.term_ids, dtype=np.uint32).copy(),
                    np.frombuffer(self.docs, dtype=np.uint32).copy(),
                    np.frombuffer(self.tfs, dtype=np.uint8).copy(),
                )
            )
            self.term_ids, self.docs, self.tfs = array("I"), array("I"), array("B")

    def add_arrays(self, field: FieldArrays, new_docs: Any) -> None:
        """Append a segment's postings of this field, its documents renumbered by ``new_docs``
        (-1 for a deleted document, whose postings are dropped)."""
        import numpy as np

        self._seal()
        vocabulary = self.vocabulary
        ids = np.fromiter(
            (vocabulary.setdefault(term.decode("utf-8"), len(vocabulary)) for term in field.iter_terms()),
            dtype=np.uint32,
            count=field.terms,
        )
        counts: Any = np.diff(np.asarray(field.offsets, dtype=np.int64))
        term_ids = np.repeat(ids, counts)
        docs = new_docs[np.asarray(field.docs, dtype=np.int64)]
        keep = docs >= 0
        self.chunks.append((term_ids[keep], docs[keep].astype(np.uint32), np.asarray(field.tfs)[keep]))

    def arrays(self) -> tuple[list[bytes], Any, Any, Any]:
        """``(sorted terms, where each term's postings start, documents, frequencies)``: each term's
        documents ascending (they arrived in document order; the sort is stable)."""
        import numpy as np

        self._seal()
        terms = list(self.vocabulary)
        if self.chunks:
            term_ids = np.concatenate([c[0] for c in self.chunks])
            docs = np.concatenate([c[1] for c in self.chunks])
            tfs = np.concatenate([c[2] for c in self.chunks])
        else:
            term_ids = np.empty(0, dtype=np.uint32)
            docs = np.empty(0, dtype=np.uint32)
            tfs = np.empty(0, dtype=np.uint8)
        order_of_terms = sorted(range(len(terms)), key=terms.__getitem__)
        rank = np.empty(len(terms), dtype=np.uint32)
        rank[np.asarray(order_of_terms, dtype=np.int64)] = np.arange(len(terms), dtype=np.uint32)
        ranked = rank[term_ids]
        order = np.argsort(ranked, kind="stable")
        offsets = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(np.bincount(ranked, minlength=len(terms)), out=offsets[1:])
        sorted_terms = [terms[i].encode("utf-8") for i in order_of_terms]  # UTF-8 keeps code point order
        return sorted_terms, offsets, docs[order], tfs[order]


def narrow(positions: Any) -> Any:
    """Ascending positions as 4-byte numbers when they fit (a segment's own vocabulary and postings
    almost always do): the pairs field has hundreds of thousands of terms a segment."""
    import numpy as np

    if not len(positions) or int(positions[-1]) < 1 << 32:
        return positions.astype(np.uint32)
    return positions


def _read_file(storage: Any, name: str) -> bytes:
    f = storage.open_file(name)
    try:
        return bytes(f.read())
    finally:
        f.close()


def file_check(storage: Any, name: str) -> list[int]:
    """``[size, CRC-32]`` of a segment file, read a MiB at a time (a segment's stored paragraphs may be
    hundreds of MB)."""
    size, crc = 0, 0
    f = storage.open_file(name)
    try:
        while chunk := f.read(1 << 20):
            size += len(chunk)
            crc = zlib.crc32(chunk, crc)
    finally:
        f.close()
    return [size, crc]


def write_arrays(
    storage: Any, segment: Any, ext: str, magic: bytes, arrays: dict[str, Any], extra: dict[str, Any]
) -> None:
    """Write named arrays into one segment file.

    Layout: a fixed prefix (magic, the header's length and CRC-32), the header
    (JSON: each array's offset in the data, type and length), the data (the
    arrays, each at an 8-byte boundary), then a CRC-32 of each :data:`BLOCK`
    bytes of the data, whose own CRC-32 is in the header.
    """
    import numpy as np

    entries: dict[str, Any] = {}
    chunks: list[bytes] = []
    position = 0
    for name, value in arrays.items():
        data = value.tobytes()
        entries[name] = [position, value.dtype.str, len(value)]
        padding = b"\0" * (-len(data) % 8)
        chunks += [data, padding]
        position += len(data) + len(padding)
    data = b"".join(chunks)
    view = memoryview(data)
    blocks = np.asarray([zlib.crc32(view[i : i + BLOCK]) for i in range(0, len(data), BLOCK)], dtype="<u4").tobytes()
    header: dict[str, Any] = dict(extra, arrays=entries, data=len(data), blocks=zlib.crc32(blocks))
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-(len(encoded) + _HEADER.size) % 8)
    f = segment.create_file(storage, ext)
    try:
        f.write(_HEADER.pack(magic, len(encoded), zlib.crc32(encoded)))
        f.write(encoded)
        f.write(data)
        f.write(blocks)
    finally:
        f.close()


# -- reading -------------------------------------------------------------------------------


class ArrayFile:
    """One of this codec's segment files, memory-mapped (or read, from storage without files).

    Opening checks the header and the block checksums' own checksum; :meth:`check`
    checks the blocks under a range of bytes the first time it is read, so that
    a search never answers from damaged data in silence.
    """

    def __init__(self, storage: Any, segment: Any, ext: str, magic: bytes) -> None:
        import numpy as np

        name = segment.make_filename(ext)
        folder = getattr(storage, "folder", None)
        try:
            if folder is not None:
                with open(os.path.join(folder, name), "rb") as f:
                    size = os.fstat(f.fileno()).st_size
                    self.buffer: Any = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
            else:
                self.buffer = _read_file(storage, name)
        except (FileNotFoundError, KeyError):
            raise DamagedSegment(f"{name} is missing") from None
        self.name = name
        try:
            found, length, crc = _HEADER.unpack_from(self.buffer, 0)
            if found != magic:
                raise ValueError("not a segment file of this codec")
            encoded = bytes(self.buffer[_HEADER.size : _HEADER.size + length])
            if len(encoded) != length or zlib.crc32(encoded) != crc:
                raise ValueError("header checksum mismatch")
            self.header = json.loads(encoded)
            self.base = _HEADER.size + length
            size = int(self.header["data"])
            count = (size + BLOCK - 1) // BLOCK
            blocks_at = self.base + size
            if len(self.buffer) != blocks_at + 4 * count:
                raise ValueError(f"{len(self.buffer)} bytes, {blocks_at + 4 * count} expected")
            blocks = bytes(self.buffer[blocks_at:])
            if zlib.crc32(blocks) != int(self.header["blocks"]):
                raise ValueError("block checksums damaged")
            self._blocks = np.frombuffer(blocks, dtype="<u4")
            self._verified = bytearray(count)
            self.arrays: dict[str, Any] = {}
            self._offsets: dict[str, tuple[int, int]] = {}
            for key, (offset, dtype, items) in self.header["arrays"].items():
                kind = np.dtype(dtype)
                if offset < 0 or offset + items * kind.itemsize > size:
                    raise ValueError(f"{key} lies outside the data")
                self.arrays[key] = np.frombuffer(self.buffer, dtype=kind, count=items, offset=self.base + offset)
                self._offsets[key] = (offset, kind.itemsize)
        except (ValueError, KeyError, TypeError, struct.error) as exc:
            raise DamagedSegment(f"{name} is damaged ({exc})") from None

    def check(self, key: str, start: int, stop: int) -> None:
        """Check the blocks under items ``start`` to ``stop`` of array ``key`` (once each)."""
        if stop <= start:
            return
        offset, itemsize = self._offsets[key]
        first = (offset + start * itemsize) >> BLOCK_SHIFT
        last = (offset + stop * itemsize - 1) >> BLOCK_SHIFT
        verified = self._verified
        for block in range(first, last + 1):
            if not verified[block]:
                self._check_block(block)

    def _check_block(self, block: int) -> None:
        begin = self.base + block * BLOCK
        end = min(begin + BLOCK, self.base + int(self.header["data"]))
        if zlib.crc32(self.buffer[begin:end]) != int(self._blocks[block]):
            raise DamagedSegment(f"{self.name} is damaged (checksum mismatch at byte {begin})")
        self._verified[block] = 1

    def verify(self) -> None:
        """Check every block (reads the whole file)."""
        for block in range(len(self._verified)):
            if not self._verified[block]:
                self._check_block(block)


class FieldArrays:
    """One field's postings in one segment: a sorted vocabulary and, per term, its documents and frequencies.

    Every read goes through the file's block checksums (:meth:`ArrayFile.check`).
    """

    def __init__(self, file: ArrayFile, name: str) -> None:
        arrays = file.arrays
        parts = ("vocabulary", "starts", "offsets", "docs", "tfs")
        self._file, self._keys = file, {part: f"{name}.{part}" for part in parts}
        self.blob = arrays[f"{name}.vocabulary"]
        self.starts = arrays[f"{name}.starts"]
        self.offsets = arrays[f"{name}.offsets"]
        self.docs = arrays[f"{name}.docs"]
        self.tfs = arrays[f"{name}.tfs"]
        self.terms = len(self.starts) - 1
        self._found: dict[bytes, int] = {}
        if self.terms < 0 or len(self.offsets) != self.terms + 1 or len(self.tfs) != len(self.docs):
            raise DamagedSegment(f"{file.name}: the {name} arrays are inconsistent")
        file.check(self._keys["starts"], self.terms, self.terms + 1)
        file.check(self._keys["offsets"], self.terms, self.terms + 1)
        if int(self.starts[-1]) != len(self.blob) or int(self.offsets[-1]) != len(self.docs):
            raise DamagedSegment(f"{file.name}: the {name} arrays are inconsistent")
        self._bytes = memoryview(self.blob) if len(self.blob) else memoryview(b"")
        # Where the vocabulary's arrays lie in the file's data, for term()'s look at the block flags.
        self._starts_at, self._starts_width = file._offsets[self._keys["starts"]]
        self._blob_at = file._offsets[self._keys["vocabulary"]][0]

    def term(self, index: int) -> bytes:
        """The ``index``-th term of the sorted vocabulary."""
        # The binary searches call this a few dozen times a word: the blocks' flags are looked at
        # here, and the file's check (a call) made only for a block not yet checked.
        verified = self._file._verified
        at = self._starts_at + index * self._starts_width
        if not (verified[at >> BLOCK_SHIFT] and verified[(at + 2 * self._starts_width - 1) >> BLOCK_SHIFT]):
            self._file.check(self._keys["starts"], index, index + 2)
        start, end = int(self.starts[index]), int(self.starts[index + 1])
        if not 0 <= start <= end <= len(self.blob):
            raise DamagedSegment(f"{self._file.name}: the vocabulary is inconsistent")
        if end > start and not (
            verified[(self._blob_at + start) >> BLOCK_SHIFT] and verified[(self._blob_at + end - 1) >> BLOCK_SHIFT]
        ):
            self._file.check(self._keys["vocabulary"], start, end)
        return bytes(self._bytes[start:end])

    def _lower_bound(self, target: bytes) -> int:
        low, high = 0, self.terms
        while low < high:
            middle = (low + high) // 2
            if self.term(middle) < target:
                low = middle + 1
            else:
                high = middle
        return low

    def find(self, tbytes: bytes) -> int:
        """The index of term ``tbytes``, or -1."""
        found = self._found.get(tbytes)
        if found is None:
            low = self._lower_bound(tbytes)
            found = low if low < self.terms and self.term(low) == tbytes else -1
            if len(self._found) >= 4096:
                self._found.clear()
            self._found[tbytes] = found
        return found

    def prefix_range(self, prefix: bytes) -> tuple[int, int]:
        """The indexes ``[start, end)`` of the terms that start with ``prefix``."""
        start = self._lower_bound(prefix)
        low, high = start, self.terms
        while low < high:
            middle = (low + high) // 2
            if self.term(middle)[: len(prefix)] <= prefix:
                low = middle + 1
            else:
                high = middle
        return start, low

    def _extent(self, start: int, end: int) -> tuple[int, int]:
        """Where the postings of the terms ``start`` to ``end`` lie in the documents' arrays."""
        self._file.check(self._keys["offsets"], start, end + 1)
        first, last = int(self.offsets[start]), int(self.offsets[end])
        if not 0 <= first <= last <= len(self.docs):
            raise DamagedSegment(f"{self._file.name}: the postings are inconsistent")
        return first, last

    def postings(self, index: int) -> tuple[Any, Any]:
        """The documents (ascending) and term frequencies of the ``index``-th term."""
        start, end = self._extent(index, index + 1)
        check, keys = self._file.check, self._keys
        check(keys["docs"], start, end)
        check(keys["tfs"], start, end)
        return self.docs[start:end], self.tfs[start:end]

    def document_frequencies(self, start: int, end: int) -> Any:
        """The document frequencies of the terms ``start`` to ``end``."""
        import numpy as np

        self._extent(start, end)
        return np.diff(np.asarray(self.offsets[start : end + 1], dtype=np.int64))

    def iter_terms(self, start: int = 0) -> Iterator[bytes]:
        for index in range(start, self.terms):
            yield self.term(index)


class SegmentArrays:
    """The syllable fields of one segment, and its paragraphs' exact lengths."""

    def __init__(self, storage: Any, segment: Any) -> None:
        self._storage = storage
        self._postings = ArrayFile(storage, segment, POSTINGS_EXT, MAGIC)
        self._lengths = ArrayFile(storage, segment, LENGTHS_EXT, LENGTHS_MAGIC)
        self._lengths.verify()  # two bytes a paragraph: every search reads them all
        try:
            self.fields = {name: FieldArrays(self._postings, name) for name in self._postings.header["fields"]}
            self.lengths = self._lengths.arrays["lengths"]
        except (KeyError, TypeError) as exc:
            raise DamagedSegment(f"{self._postings.name} is damaged ({exc})") from None
        if len(self.lengths) != segment.doc_count_all():
            raise DamagedSegment(
                f"{self._lengths.name} holds {len(self.lengths)} lengths for {segment.doc_count_all()} documents"
            )
        self.files: dict[str, list[int]] = dict(self._postings.header.get("files", {}))
        for name, (size, crc) in self.files.items():  # a stat each: cheap enough for every opening
            try:
                actual = storage.file_length(name)
            except (OSError, KeyError):
                raise DamagedSegment(f"{name} is missing") from None
            if actual != size:
                raise DamagedSegment(f"{name}: {actual} bytes, {size} bytes when written")
            if size <= SMALL_FILE:  # the pid column, the field lengths, the path terms: read whole anyway
                self._check_file(name, size, crc)

    def verify(self) -> None:
        """Check every file of the segment against the checksum written with it (reads them whole)."""
        self._postings.verify()
        self._lengths.verify()
        for name, (size, crc) in self.files.items():
            self._check_file(name, size, crc)

    def _check_file(self, name: str, size: int, crc: int) -> None:
        try:
            found = file_check(self._storage, name)
        except (OSError, KeyError):
            raise DamagedSegment(f"{name} is missing") from None
        if found != [size, crc]:
            raise DamagedSegment(f"{name} is damaged (checksum mismatch)")
