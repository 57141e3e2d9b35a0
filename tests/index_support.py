"""A small Whoosh index written through searcher's schema and codec, for tests of what reads it."""

from __future__ import annotations

from pathlib import Path

from searcher.backends.local import read_postings
from searcher.index import whoosh_patches
from searcher.index.schema import KIND_PARAGRAPH, make_schema
from searcher.search.bestmatch import BestMatchIndex


def open_index(folder: Path) -> object:
    """Create an empty index in ``folder`` (a Whoosh ``FileIndex``)."""
    from whoosh.filedb.filestore import FileStorage

    folder.mkdir(parents=True, exist_ok=True)
    return FileStorage(str(folder)).create_index(make_schema())


def add_paragraphs(ix: object, texts: list[str], first_pid: int = 0, path: str = "t.txt", **commit: object) -> None:
    """Write ``texts`` as paragraphs of ``path``, numbered from ``first_pid``, in one commit."""
    writer = whoosh_patches.writer(ix)
    for number, text in enumerate(texts):
        writer.add_document(
            kind=KIND_PARAGRAPH, path=path, pid=first_pid + number, text=text, exact=text, folded=text, pairs=text
        )
    writer.commit(**commit)


def array_index(folder: Path, texts: list[str]) -> BestMatchIndex:
    """An index of ``texts`` (docnum i is ``texts[i]``), opened for scoring."""
    ix = open_index(folder)
    add_paragraphs(ix, texts)
    return read_postings(ix.reader())
