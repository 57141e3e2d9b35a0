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
tuples.  The files' layout and checksums are :mod:`searcher.index.arrays`.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from typing import Any

from whoosh.codec.base import FieldCursor, TermsReader
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3PerDocReader, W3PerDocWriter
from whoosh.matching import ListMatcher
from whoosh.reading import TermInfo, TermNotFound
from whoosh.writing import PostingPool

from searcher.index.arrays import (
    ARRAY_FIELDS,
    LENGTH_FIELD,
    LENGTHS_EXT,
    LENGTHS_MAGIC,
    MAGIC,
    MAX_LENGTH,
    POSTINGS_EXT,
    ArrayFile,
    DamagedSegment,
    FieldArrays,
    FieldCollector,
    SegmentArrays,
    file_check,
    narrow,
    write_arrays,
)

__all__ = [
    "ARRAY_FIELDS",
    "LENGTH_FIELD",
    "POSTINGS_EXT",
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


# -- writing ------------------------------------------------------------------------------


class ArrayPool(PostingPool):
    """Whoosh's posting pool, with the syllable fields' postings kept as arrays instead of sorted tuples.

    Needs :class:`searcher.index.whoosh_patches.PoolSegmentWriter` (whoosh3's
    ``SegmentWriter`` takes ``poolclass=`` and ignores it).
    """

    def __init__(self, tempstore: Any, segment: Any, limitmb: int = 128, **kwargs: Any) -> None:
        super().__init__(tempstore, segment, limitmb=limitmb, **kwargs)
        self.collectors = {name: FieldCollector() for name in ARRAY_FIELDS}

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

    def add_segment(self, arrays: SegmentArrays, new_docs: Any) -> None:
        """Append the syllable fields of a segment being merged (see :func:`merge_small`)."""
        for name, collector in self.collectors.items():
            field = arrays.fields.get(name)
            if field is not None and field.terms:
                self.fieldnames.add(name)
                collector.add_arrays(field, new_docs)

    def iter_postings(self) -> _PoolPostings:
        return _PoolPostings(super().iter_postings(), self.collectors)


class _PoolPostings:
    """The pool's other postings, as Whoosh iterates them, and the collected arrays beside them."""

    def __init__(self, others: Iterable[Any], collectors: dict[str, FieldCollector]) -> None:
        self.others, self.collectors = others, collectors

    def __iter__(self) -> Iterator[Any]:
        return iter(self.others)


class _ArrayPerDocWriter(W3PerDocWriter):
    """Whoosh's per-document writer, also keeping each paragraph's exact syllable count.

    Whoosh stores field lengths in one byte (a lossy code); BM25 needs the count.
    """

    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:
        super().__init__(codec, storage, segment)
        self._exact_lengths = array("H")

    def add_field(self, fieldname: str, fieldobj: Any, value: Any, length: int) -> None:
        if fieldname == LENGTH_FIELD and length:
            lengths = self._exact_lengths
            docnum = self._docnum  # Whoosh's writer keeps the document being written
            assert docnum is not None  # start_doc() set it before any field
            if len(lengths) <= docnum:
                lengths.extend([0] * (docnum + 1 - len(lengths)))
            lengths[docnum] = min(int(length), MAX_LENGTH)
        super().add_field(fieldname, fieldobj, value, length)

    def close(self) -> None:
        if self.is_closed:
            return
        import numpy as np

        count = self._doccount
        lengths = np.zeros(count, dtype=np.uint16)
        known = np.frombuffer(self._exact_lengths, dtype=np.uint16)[:count]
        lengths[: len(known)] = known
        write_arrays(self._storage, self._segment, LENGTHS_EXT, LENGTHS_MAGIC, {"lengths": lengths}, {"docs": count})
        super().close()


class _ArrayFieldWriter(W3FieldWriter):
    """Whoosh's field writer for the other fields; the syllable fields go to one array file."""

    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:
        super().__init__(codec, storage, segment)
        self._collectors: dict[str, FieldCollector] = {name: FieldCollector() for name in ARRAY_FIELDS}
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
            terms, offsets, docs, tfs = collector.arrays()
            blob = b"".join(terms)
            starts = np.zeros(len(terms) + 1, dtype=np.int64)
            np.cumsum([len(t) for t in terms], out=starts[1:])
            arrays[f"{name}.vocabulary"] = np.frombuffer(blob, dtype=np.uint8)
            arrays[f"{name}.starts"] = narrow(starts)
            arrays[f"{name}.offsets"] = narrow(offsets)
            arrays[f"{name}.docs"] = np.asarray(docs, dtype=np.uint32)
            arrays[f"{name}.tfs"] = np.asarray(tfs, dtype=np.uint8)
        # The size and CRC-32 of every other file of the segment: Whoosh's own files carry no
        # checksum, and a damaged one that keeps its size would otherwise answer wrongly in silence.
        files = {name: file_check(self._storage, name) for name in self._segment.list_files(self._storage)}
        header = {"fields": list(ARRAY_FIELDS), "files": files}
        write_arrays(self._storage, self._segment, POSTINGS_EXT, MAGIC, arrays, header)


# -- reading -------------------------------------------------------------------------------


class _ArrayCursor(FieldCursor):
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


class ArrayTermsReader(TermsReader):
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


class _ArrayPerDocReader(W3PerDocReader):
    """Whoosh's per-document reader, with the exact syllable count as the ``folded`` field's length."""

    def __init__(self, storage: Any, segment: Any) -> None:
        super().__init__(storage, segment)
        self._exact = ArrayFile(storage, segment, LENGTHS_EXT, LENGTHS_MAGIC).arrays["lengths"]

    def doc_field_length(self, docnum: int, fieldname: str, default: Any = 0) -> Any:
        if fieldname == LENGTH_FIELD and 0 <= docnum < len(self._exact):
            return int(self._exact[docnum])
        return super().doc_field_length(docnum, fieldname, default)

    def doc_field_length_reader(self, fieldname: str, default: int = 0) -> Any:
        if fieldname != LENGTH_FIELD:
            return super().doc_field_length_reader(fieldname, default)
        exact = self._exact

        def get(docnum: int) -> int:
            return int(exact[docnum]) if 0 <= docnum < len(exact) else default

        return get


class ArrayCodec(W3Codec):
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
