"""A Whoosh codec that stores the postings of the syllable fields as compact arrays.

``exact``, ``folded`` and ``pairs`` (:mod:`searcher.vietnamese.whoosh_analysis`)
have millions of postings.  Whoosh's own format stores them in blocks read
one posting at a time through Python; this codec stores each of these
fields, per segment, as a sorted vocabulary and three arrays (documents,
term frequencies, where each term's postings start), memory-mapped on
opening.  Everything else (the other fields, stored fields, columns,
deletions, the TOC, merging) is Whoosh's ``W3Codec``, so:

- a segment is still one Whoosh segment: its files are named by the segment
  (``MAIN_<id>.vpa`` for the postings, ``MAIN_<id>.vln`` for the paragraphs'
  exact lengths), committed by Whoosh's TOC and deleted with the segment;
- plain Whoosh opens and searches the index through this codec's
  :class:`ArrayTermsReader` (a ``ListMatcher`` per term);
- searcher reads the arrays themselves (:func:`segment_arrays`) and ranks with
  numpy set operations, no Python loop per posting.

Writing goes through :class:`ArrayPool`, the pool class of the segment writer:
it collects the syllable fields' postings into arrays (and a merge concatenates
the arrays of the merged segments: :func:`merge_small`) instead of sorting
tuples.  A checksum of every array is kept in the file's header, checked by
:meth:`SegmentArrays.verify`.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import zlib
from array import array
from typing import Any, Iterable, Iterator

from whoosh.codec.base import FieldCursor, TermsReader
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3PerDocReader, W3PerDocWriter
from whoosh.matching import ListMatcher
from whoosh.reading import TermInfo, TermNotFound
from whoosh.writing import PostingPool

__all__ = [
    "ARRAY_FIELDS",
    "LENGTH_FIELD",
    "ArrayCodec",
    "ArrayPool",
    "SegmentArrays",
    "FieldArrays",
    "ArrayTermsReader",
    "segment_arrays",
    "merge_small",
    "verify",
    "DamagedSegment",
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


# -- writing ------------------------------------------------------------------------------


class _FieldCollector:
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

    def add_arrays(self, field: "FieldArrays", new_docs: Any) -> None:
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

    def arrays(self) -> tuple[list[bytes], Any, Any, Any, Any]:
        """``(sorted terms, starts of each term's postings, documents, frequencies)`` and the term blob's
        offsets: each term's documents ascending (they arrived in document order; the sort is stable)."""
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
        return sorted_terms, offsets, docs[order], tfs[order], None


class ArrayPool(PostingPool):  # type: ignore[misc]
    """Whoosh's posting pool, with the syllable fields' postings kept as arrays instead of sorted tuples.

    Needs :class:`searcher.whoosh_patches.PoolSegmentWriter` (whoosh3's
    ``SegmentWriter`` takes ``poolclass=`` and ignores it).
    """

    def __init__(self, tempstore: Any, segment: Any, limitmb: int = 128, **kwargs: Any) -> None:
        super().__init__(tempstore, segment, limitmb=limitmb, **kwargs)
        self.collectors = {name: _FieldCollector() for name in ARRAY_FIELDS}

    def add(self, item: tuple[str, bytes, int, float, Any]) -> None:
        collector = self.collectors.get(item[0])
        if collector is None:
            super().add(item)
        else:
            self.fieldnames.add(item[0])
            if item[2] >= 0:  # -1: a spelling word, not a posting
                collector.add(item[1], item[2], item[3])

    def add_counts(self, fieldname: str, docnum: int, terms: list[str], counts: list[int]) -> None:
        """A document's terms of a syllable field and their counts, at once."""
        self.fieldnames.add(fieldname)
        self.collectors[fieldname].add_counts(docnum, terms, counts)

    def add_segment(self, arrays: "SegmentArrays", new_docs: Any) -> None:
        """Append the syllable fields of a segment being merged (see :func:`merge_small`)."""
        for name, collector in self.collectors.items():
            field = arrays.fields.get(name)
            if field is not None and field.terms:
                self.fieldnames.add(name)
                collector.add_arrays(field, new_docs)

    def iter_postings(self) -> "_PoolPostings":
        return _PoolPostings(super().iter_postings(), self.collectors)


class _PoolPostings:
    """The pool's other postings, as Whoosh iterates them, and the collected arrays beside them."""

    def __init__(self, others: Iterable[Any], collectors: dict[str, _FieldCollector]) -> None:
        self.others, self.collectors = others, collectors

    def __iter__(self) -> Iterator[Any]:
        return iter(self.others)


class _ArrayPerDocWriter(W3PerDocWriter):  # type: ignore[misc]
    """Whoosh's per-document writer, also keeping each paragraph's exact syllable count.

    Whoosh stores field lengths in one byte (a lossy code); BM25 needs the count.
    """

    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:
        super().__init__(codec, storage, segment)
        self._exact_lengths = array("H")
        self._current = 0

    def start_doc(self, docnum: int) -> None:
        super().start_doc(docnum)
        self._current = docnum

    def add_field(self, fieldname: str, fieldobj: Any, value: Any, length: int) -> None:
        if fieldname == LENGTH_FIELD and length:
            lengths = self._exact_lengths
            if len(lengths) <= self._current:
                lengths.extend([0] * (self._current + 1 - len(lengths)))
            lengths[self._current] = min(int(length), MAX_LENGTH)
        super().add_field(fieldname, fieldobj, value, length)

    def close(self) -> None:
        if self.is_closed:
            return
        import numpy as np

        count = self._doccount
        lengths = np.zeros(count, dtype=np.uint16)
        known = np.frombuffer(self._exact_lengths, dtype=np.uint16)[:count]
        lengths[: len(known)] = known
        _write_arrays(self._storage, self._segment, LENGTHS_EXT, LENGTHS_MAGIC, {"lengths": lengths}, {"docs": count})
        super().close()


class _ArrayFieldWriter(W3FieldWriter):  # type: ignore[misc]
    """Whoosh's field writer for the other fields; the syllable fields go to one array file."""

    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:
        super().__init__(codec, storage, segment)
        self._storage_ref, self._segment_ref = storage, segment
        self._collectors: dict[str, _FieldCollector] = {name: _FieldCollector() for name in ARRAY_FIELDS}
        self._array_field: str | None = None
        self._array_term: bytes = b""

    def add_postings(self, schema: Any, lengths: Any, items: Any) -> None:
        if isinstance(items, _PoolPostings):
            self._collectors = items.collectors
            super().add_postings(schema, lengths, items.others)
        else:  # postings one by one (plain Whoosh paths): divert the syllable fields'
            super().add_postings(schema, lengths, self._divert(items))

    def _divert(self, items: Iterable[Any]) -> Iterator[Any]:
        collectors = self._collectors
        for item in items:
            collector = collectors.get(item[0])
            if collector is None:
                yield item
            elif item[2] >= 0:
                collector.add(item[1], item[2], item[3])

    def close(self) -> None:
        if self.is_closed:
            return
        import numpy as np

        super().close()  # Whoosh's terms and postings files are complete now, like every other file of the segment
        arrays: dict[str, Any] = {}
        for name, collector in self._collectors.items():
            terms, offsets, docs, tfs, _ = collector.arrays()
            blob = b"".join(terms)
            starts = np.zeros(len(terms) + 1, dtype=np.int64)
            np.cumsum([len(t) for t in terms], out=starts[1:])
            arrays[f"{name}.vocabulary"] = np.frombuffer(blob, dtype=np.uint8)
            arrays[f"{name}.starts"] = _narrow(starts)
            arrays[f"{name}.offsets"] = _narrow(offsets)
            arrays[f"{name}.docs"] = np.asarray(docs, dtype=np.uint32)
            arrays[f"{name}.tfs"] = np.asarray(tfs, dtype=np.uint8)
        # The size and CRC-32 of every other file of the segment: Whoosh's own files carry no
        # checksum, and a damaged one that keeps its size would otherwise answer wrongly in silence.
        files = {name: _file_check(self._storage_ref, name) for name in self._segment_ref.list_files(self._storage_ref)}
        header = {"fields": list(ARRAY_FIELDS), "files": files}
        _write_arrays(self._storage_ref, self._segment_ref, POSTINGS_EXT, MAGIC, arrays, header)


def _narrow(positions: Any) -> Any:
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


def _file_check(storage: Any, name: str) -> list[int]:
    """``[size, CRC-32]`` of a segment file."""
    data = _read_file(storage, name)
    return [len(data), zlib.crc32(data)]


def _write_arrays(storage: Any, segment: Any, ext: str, magic: bytes, arrays: dict[str, Any], extra: dict[str, Any]) -> None:
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


class _ArrayFile:
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

    Every read goes through the file's block checksums (:meth:`_ArrayFile.check`).
    """

    def __init__(self, file: _ArrayFile, name: str) -> None:
        arrays = file.arrays
        self._file, self._keys = file, {part: f"{name}.{part}" for part in ("vocabulary", "starts", "offsets", "docs", "tfs")}
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
        self._postings = _ArrayFile(storage, segment, POSTINGS_EXT, MAGIC)
        self._lengths = _ArrayFile(storage, segment, LENGTHS_EXT, LENGTHS_MAGIC)
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
            data = _read_file(self._storage, name)
        except (OSError, KeyError):
            raise DamagedSegment(f"{name} is missing") from None
        if len(data) != size or zlib.crc32(data) != crc:
            raise DamagedSegment(f"{name} is damaged (checksum mismatch)")


class _ArrayCursor(FieldCursor):  # type: ignore[misc]
    """A cursor over one field's sorted vocabulary (what Whoosh's fuzzy terms walk)."""

    def __init__(self, field: FieldArrays, lengths: Any) -> None:
        self.field, self.lengths, self.index = field, lengths, 0

    def first(self) -> Any:
        self.index = 0
        return self.text()

    def find(self, string: Any) -> Any:
        target = string.encode("utf-8") if isinstance(string, str) else bytes(string)
        self.index = self.field._lower_bound(target)
        return self.text()

    def next(self) -> Any:
        self.index += 1
        return self.text()

    def text(self) -> Any:
        return self.field.term(self.index).decode("utf-8") if self.is_valid() else None

    def term_info(self) -> Any:
        docs, tfs = self.field.postings(self.index)
        return _term_info(docs, tfs, self.lengths)

    def is_valid(self) -> bool:
        return 0 <= self.index < self.field.terms


def _term_info(docs: Any, tfs: Any, lengths: Any) -> TermInfo:
    """Whoosh's statistics of a term (its scorers' bounds need the shortest and longest paragraph)."""
    if not len(docs):
        return TermInfo(minlength=0)
    found = lengths[docs]
    return TermInfo(
        weight=float(tfs.sum(dtype="int64")),
        df=len(docs),
        minlength=int(found.min()),
        maxlength=int(found.max()),
        maxweight=float(tfs.max()),
        minid=int(docs[0]),
        maxid=int(docs[-1]),
    )


class ArrayTermsReader(TermsReader):  # type: ignore[misc]
    """Whoosh's terms reader for the other fields, and the arrays for the syllable fields."""

    def __init__(self, inner: Any, arrays: SegmentArrays) -> None:
        self.inner, self.arrays = inner, arrays

    def _field(self, fieldname: str) -> FieldArrays | None:
        return self.arrays.fields.get(fieldname)

    def __contains__(self, term: Any) -> bool:
        fieldname, tbytes = term
        field = self._field(fieldname)
        if field is None:
            return term in self.inner
        return field.find(_as_bytes(tbytes)) >= 0

    def indexed_field_names(self) -> Any:
        return list(self.inner.indexed_field_names()) + [n for n, f in self.arrays.fields.items() if f.terms]

    def cursor(self, fieldname: str, fieldobj: Any) -> Any:
        field = self._field(fieldname)
        return self.inner.cursor(fieldname, fieldobj) if field is None else _ArrayCursor(field, self.arrays.lengths)

    def _own_terms(self) -> Iterator[tuple[str, bytes]]:
        for name in sorted(self.arrays.fields):
            for tbytes in self.arrays.fields[name].iter_terms():
                yield name, tbytes

    def terms(self) -> Iterator[tuple[str, bytes]]:
        import heapq

        return heapq.merge(self.inner.terms(), self._own_terms())

    def terms_from(self, fieldname: str, prefix: Any) -> Iterator[tuple[str, bytes]]:
        field = self._field(fieldname)
        if field is None:
            yield from self.inner.terms_from(fieldname, prefix)
            return
        for tbytes in field.iter_terms(field._lower_bound(_as_bytes(prefix))):
            yield fieldname, tbytes

    def items(self) -> Iterator[tuple[tuple[str, bytes], TermInfo]]:
        for term in self.terms():
            yield term, self.term_info(*term)

    def items_from(self, fieldname: str, prefix: Any) -> Iterator[tuple[tuple[str, bytes], TermInfo]]:
        for term in self.terms_from(fieldname, prefix):
            yield term, self.term_info(*term)

    def _postings(self, field: FieldArrays, fieldname: str, tbytes: Any) -> tuple[Any, Any]:
        index = field.find(_as_bytes(tbytes))
        if index < 0:
            raise TermNotFound(f"No term {fieldname}:{tbytes!r}")
        return field.postings(index)

    def term_info(self, fieldname: str, tbytes: Any) -> Any:
        field = self._field(fieldname)
        if field is None:
            return self.inner.term_info(fieldname, tbytes)
        return _term_info(*self._postings(field, fieldname, tbytes), self.arrays.lengths)

    def frequency(self, fieldname: str, tbytes: Any) -> Any:
        field = self._field(fieldname)
        if field is None:
            return self.inner.frequency(fieldname, tbytes)
        return float(self._postings(field, fieldname, tbytes)[1].sum(dtype="int64"))

    def doc_frequency(self, fieldname: str, tbytes: Any) -> Any:
        field = self._field(fieldname)
        if field is None:
            return self.inner.doc_frequency(fieldname, tbytes)
        return len(self._postings(field, fieldname, tbytes)[0])

    def matcher(self, fieldname: str, tbytes: Any, format_: Any, scorer: Any = None) -> Any:
        field = self._field(fieldname)
        if field is None:
            return self.inner.matcher(fieldname, tbytes, format_, scorer=scorer)
        docs, tfs = self._postings(field, fieldname, tbytes)
        return ListMatcher(
            docs.tolist(),
            [float(tf) for tf in tfs.tolist()],
            format=format_,
            scorer=scorer,
            term=(fieldname, _as_bytes(tbytes)),
            terminfo=_term_info(docs, tfs, self.arrays.lengths),
        )

    def close(self) -> None:
        self.inner.close()


def _as_bytes(text: Any) -> bytes:
    return text.encode("utf-8") if isinstance(text, str) else bytes(text)


class _ArrayPerDocReader(W3PerDocReader):  # type: ignore[misc]
    """Whoosh's per-document reader, with the exact syllable count as the ``folded`` field's length."""

    def __init__(self, storage: Any, segment: Any) -> None:
        super().__init__(storage, segment)
        self._exact = _ArrayFile(storage, segment, LENGTHS_EXT, LENGTHS_MAGIC).arrays["lengths"]

    def doc_field_length(self, docnum: int, fieldname: str, default: Any = 0) -> Any:
        if fieldname == LENGTH_FIELD and 0 <= docnum < len(self._exact):
            return int(self._exact[docnum])
        return super().doc_field_length(docnum, fieldname, default)  # type: ignore[no-any-return]

    def doc_field_length_reader(self, fieldname: str, default: int = 0) -> Any:
        if fieldname != LENGTH_FIELD:
            return super().doc_field_length_reader(fieldname, default)
        exact = self._exact

        def get(docnum: int) -> int:
            return int(exact[docnum]) if 0 <= docnum < len(exact) else default

        return get


class ArrayCodec(W3Codec):  # type: ignore[misc]
    """``W3Codec`` with the syllable fields' postings stored as arrays (see the module docstring).

    Pickled into every segment of the TOC (``W3Segment`` keeps its codec), so
    whoever opens the index, searcher or plain Whoosh, reads it through this class.
    """

    def per_document_writer(self, storage: Any, segment: Any) -> Any:
        return _ArrayPerDocWriter(self, storage, segment)

    def field_writer(self, storage: Any, segment: Any) -> Any:
        return _ArrayFieldWriter(self, storage, segment)

    def per_document_reader(self, storage: Any, segment: Any) -> Any:
        return _ArrayPerDocReader(storage, segment)

    def terms_reader(self, storage: Any, segment: Any) -> Any:
        return ArrayTermsReader(super().terms_reader(storage, segment), SegmentArrays(storage, segment))


def segment_arrays(leaf: Any) -> SegmentArrays | None:
    """The arrays of a Whoosh ``SegmentReader`` written with :class:`ArrayCodec` (None otherwise).

    Whoosh keeps a segment reader's terms reader private (``_terms``): this is
    the one place that reaches for it.
    """
    terms = getattr(leaf, "_terms", None)
    return terms.arrays if isinstance(terms, ArrayTermsReader) else None


def verify(reader: Any) -> None:
    """Check every file of every segment a Whoosh reader reads against its checksum (reads them
    whole: what ``search-index`` does before an update); raise :class:`DamagedSegment`."""
    for leaf, _offset in reader.leaf_readers():
        arrays = segment_arrays(leaf)
        if arrays is None:
            raise DamagedSegment(f"segment {leaf.segment()} was not written by this searcher's codec")
        arrays.verify()


def add_segment(writer: Any, reader: Any) -> None:
    """``writer.add_reader(reader)``, with the syllable fields' arrays appended whole instead of
    replayed posting by posting (the fast path of a merge)."""
    import numpy as np

    arrays = segment_arrays(reader)
    if arrays is None or not isinstance(writer.pool, ArrayPool):
        writer.add_reader(reader)
        return
    writer._check_state()
    basedoc = writer.docnum
    names = {name for name in reader.indexed_field_names() if name in writer.schema}
    docmap = writer.write_per_doc(set(writer.schema.names()) | names, reader)
    count = reader.doc_count_all()
    if docmap is None:
        new_docs = np.arange(basedoc, basedoc + count, dtype=np.int64)
    else:
        new_docs = np.full(count, -1, dtype=np.int64)
        if docmap:
            old = np.fromiter(docmap.keys(), dtype=np.int64, count=len(docmap))
            new_docs[old] = np.fromiter(docmap.values(), dtype=np.int64, count=len(docmap))
    others = (
        (fieldname, btext, docnum, weight, value)
        for fieldname, btext in reader.all_terms()
        if fieldname not in ARRAY_FIELDS
        for docnum, weight, value in _postings_of(reader, fieldname, btext)
    )
    add = writer.pool.add
    for item in writer._process_posts(others, basedoc, docmap):
        add(item)
    writer.pool.add_segment(arrays, new_docs)
    writer._added = True


def _postings_of(reader: Any, fieldname: str, btext: bytes) -> Iterator[tuple[int, float, Any]]:
    matcher = reader.postings(fieldname, btext)
    while matcher.is_active():
        yield matcher.id(), matcher.weight(), matcher.value()
        matcher.next()


# A segment with more than this share of its documents deleted is rewritten at the next commit,
# whatever its size (Lucene's merge policy reclaims deletes past a third too): an index whose
# files are all rewritten by every update would otherwise keep every old version of them.
RECLAIM_DELETED = 1 / 3


def merge_small(writer: Any, segments: list[Any]) -> list[Any]:
    """Whoosh's ``MERGE_SMALL`` policy (the same choice of small segments), plus every segment more
    than :data:`RECLAIM_DELETED` deleted, merging through :func:`add_segment`.

    Deleted paragraphs are dropped from the merged segment, so an index
    updated many times does not keep growing.
    """
    from whoosh.reading import SegmentReader
    from whoosh.util import fib

    reclaim = [s for s in segments if s.deleted_count() > RECLAIM_DELETED * s.doc_count_all()]
    rest = [s for s in segments if s not in reclaim]
    small: list[Any] = []
    total = 0
    found = False
    for i, segment in enumerate(sorted(rest, key=lambda s: s.doc_count_all())):
        count = segment.doc_count_all()
        if count > 0:
            total += count
        if found:
            break
        small.append(segment)
        if i > 3 and total < fib(i + 5):
            found = True
    merged = reclaim + (small if found and len(small) > 1 else [])
    for segment in merged:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        add_segment(writer, reader)
        reader.close()
    return [s for s in segments if s not in merged]
