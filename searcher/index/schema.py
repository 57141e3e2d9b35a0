"""The Whoosh schema of an index: the paragraphs, the file records, and the three syllable fields.

Plain Whoosh can open and query an index (searcher must be importable: the
schema pickles its analyzers and the TOC its codec by import path)::

    import whoosh.index
    from whoosh.qparser import QueryParser

    ix = whoosh.index.open_dir("index/gen-…")
    with ix.searcher() as s:
        s.search(QueryParser("folded", ix.schema).parse("NGOẠI giao"))   # Ngoại giao, ngoài giao, …
"""

from __future__ import annotations

from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, STORED, Schema

from searcher.vietnamese.whoosh_analysis import SyllableField

__all__ = ["make_schema", "EXACT", "FOLDED", "PAIRS", "NO_PID", "KIND_PARAGRAPH", "KIND_FILE"]

EXACT = "exact"  # each syllable's exact key: ngoại → ngoai~5 (marks kept, not case nor the tone mark's place)
FOLDED = "folded"  # each syllable folded: Ngoại, ngoài → ngoai
PAIRS = "pairs"  # adjacent folded syllables: ngoai_giao

KIND_PARAGRAPH = "p"
KIND_FILE = "f"
NO_PID = 0xFFFFFFFF  # the pid column's value for file records


def _pid_field() -> COLUMN:
    """A paragraph's number in the folder's order, as a column of 4-byte numbers: the engine reads the
    whole column at once to break ties in the folder's order (a parallel build's segments come in the
    order its workers finished)."""
    field = COLUMN(NumericColumn("I", default=NO_PID))
    field.stored = True
    return field


def make_schema() -> Schema:
    """The schema: the three syllable fields (stored by :class:`searcher.index.codec.ArrayCodec`),
    the paragraph and where it is, and the file records (``kind`` ``f``, with ``info``)."""
    return Schema(
        kind=ID(stored=True),
        path=ID(stored=True),
        exact=SyllableField(EXACT),
        folded=SyllableField(FOLDED),
        pairs=SyllableField(PAIRS),
        pid=_pid_field(),
        line=STORED(),
        column=STORED(),  # where a window of a very long line starts
        ordinal=STORED(),
        page=STORED(),  # PDF page (1-based), absent for other formats
        chapter=STORED(),  # EPUB chapter (1-based), absent for other formats
        sheet=STORED(),  # spreadsheet: the sheet's name, and the row's first cell ("B7")
        cell=STORED(),
        slide=STORED(),  # slides: the slide (1-based)
        ocr=STORED(),  # True for text read from a scan by OCR
        title=STORED(),
        text=STORED(),
        info=STORED(),  # file records: size, mtime_ns, sha256, paragraphs
    )
