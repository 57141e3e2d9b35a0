"""The incremental update of a local index: only new, changed and deleted files.

The update commits into the live generation through Whoosh's own atomic
commit; what to redo comes from :func:`searcher.index.feed.update_plan`.  An
index that cannot be read raises :class:`~searcher.errors.IndexUnusable`, and
the caller (:func:`searcher.index.build.build_index`) rebuilds it in full.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from searcher.documents.corpus import CorpusFile
from searcher.errors import IndexUnusable
from searcher.index import whoosh_patches
from searcher.index.codec import DamagedSegment, merge_small, verify
from searcher.index.feed import BuildSummary, PidCounter, Progress, feed, update_plan
from searcher.index.schema import KIND_FILE, NO_PID
from searcher.index.store import Generation, remove_leftovers

__all__ = ["update"]


def update(
    generation: Generation,
    files: list[CorpusFile],
    summary: BuildSummary,
    progress: Callable[[Progress], None] | None,
) -> None:
    """Bring ``generation`` up to date with ``files`` (the folder as listed now), counting in ``summary``.

    The caller holds the build lock.  Raises :class:`~searcher.errors.IndexUnusable`
    when the index cannot be read (the caller then rebuilds in full).
    """
    # Whoosh's temporary storage of a writer that was killed (the caller holds the build lock:
    # no writer is live); a killed writer's segment files, which no TOC names, go at the next commit.
    remove_leftovers(generation.path, folders=True)
    ix = generation.open()
    try:
        try:
            with ix.searcher() as searcher:
                verify(searcher.reader())  # damage that kept a file's size: the caller rebuilds in full
                records = _read_file_records(searcher)
                jobs, removed = update_plan(records, files, summary)
                numbered = whoosh_patches.numeric_column(searcher.reader(), "pid", NO_PID)
                numbered = numbered[numbered != NO_PID]
                pids = PidCounter(int(numbered.max()) + 1 if len(numbered) else 0)
        except DamagedSegment as exc:
            raise IndexUnusable(f"the index is damaged ({exc})") from None
        except Exception as exc:  # a damaged index: the caller rebuilds it in full
            raise IndexUnusable(f"cannot read the index ({type(exc).__name__})") from None
        if not jobs and not removed:
            summary.paragraphs, summary.files, summary.text_bytes = _totals(ix)
            return
        writer = whoosh_patches.writer(ix)
        try:
            for path in removed:
                writer.delete_by_term("path", path)
                if not records[path].get("skipped"):
                    summary.removed += 1
            feed(writer, jobs, records, summary, progress, pids)
            # One commit (Whoosh's TOC) for the paragraphs and their postings; small segments are
            # merged, and the paragraphs deleted from them dropped, on the way.
            writer.commit(mergetype=merge_small)
        except BaseException:
            if not writer.is_closed:  # a commit that failed has closed it already
                writer.cancel()
            raise
        summary.paragraphs, summary.files, summary.text_bytes = _totals(ix)
    finally:
        ix.close()


def _read_file_records(searcher: Any) -> dict[str, dict[str, Any]]:
    """The file records of an index: path → {size, mtime_ns, sha256, paragraphs, skipped}."""
    records = {}
    for fields in searcher.documents(kind=KIND_FILE):
        records[fields["path"]] = dict(fields.get("info") or {})
    return records


def _totals(ix: Any) -> tuple[int, int, int]:
    """(paragraphs, files with text, bytes of their text) currently in the index."""
    with ix.searcher() as searcher:
        records = [fields.get("info") or {} for fields in searcher.documents(kind=KIND_FILE)]
        paragraphs = searcher.doc_count() - len(records)
    files = sum(1 for info in records if not info.get("skipped"))
    return paragraphs, files, sum(int(info.get("text_bytes", 0)) for info in records)
