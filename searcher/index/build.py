"""Building a local index from a corpus folder.

``build_index`` is what ``search-index`` runs on a local index: incremental by
default (only new, changed and deleted files are touched: :mod:`searcher.index.update`),
or a full rebuild into a fresh generation that is swapped in atomically.  Both
read the files with :func:`searcher.index.feed.feed`.  An index on a cluster is
built by :mod:`searcher.backends`; :mod:`searcher.building` chooses between them.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from searcher.documents import formats
from searcher.documents.corpus import CorpusFile, check_corpus, iter_corpus_files
from searcher.documents.selection import FileSelection
from searcher.errors import IndexMissing, IndexUnusable, SearcherError
from searcher.index import whoosh_patches
from searcher.index.feed import BuildSummary, PidCounter, Progress, feed
from searcher.index.store import IndexLocation, build_lock, exposure_warning, make_private_dir, write_atomic
from searcher.index.update import update

__all__ = ["BuildSummary", "Progress", "build_index", "ensure_index", "check_corpus"]

# Below this many files, starting writer sub-processes costs more than it saves.
PARALLEL_MIN_FILES = 64
SELECTION_FILE = "selection.json"  # the --include/--exclude patterns an index was built with
ABOUT_FILE = "about.json"  # folder, paragraphs, files, updated: what search-index --list shows
OCR_CACHE = "ocr-cache"  # inside the index folder


def build_index(
    corpus: str | os.PathLike[str],
    index: str | os.PathLike[str],
    *,
    full: bool = False,
    progress: Callable[[Progress], None] | None = None,
    wait: float = 5.0,
    parallel: bool = True,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    keep_workers: bool = False,
    follow: bool | None = None,
) -> BuildSummary:
    """Bring the local index at ``index`` (a folder) up to date with the files under ``corpus``
    (the arguments: :func:`searcher.building.build_index`, which sends a cluster address elsewhere)."""
    started = time.monotonic()
    corpus_path = check_corpus(Path(corpus))
    location = IndexLocation(index)
    if location.root.exists() and not location.root.is_dir():
        raise IndexUnusable(f"index path {location.root} is not a directory")
    try:
        make_private_dir(location.root)
    except OSError as exc:
        raise IndexUnusable(f"cannot create index folder {location.root}: {exc.strerror}") from None
    if not os.access(location.root, os.W_OK | os.X_OK):
        from searcher.index.store import unreadable_because

        if os.stat(location.root).st_uid != os.geteuid():  # another user's: --full would not help either
            raise IndexUnusable(f"index at {location.root} {unreadable_because(location.root)}")
        raise IndexUnusable(f"index folder is not writable: {location.root}")

    summary = BuildSummary(corpus=str(corpus_path), index=str(location.root))
    exposed = exposure_warning(location.root)
    # Scans read by OCR are cached by content hash beside the index's generations, so a rebuild
    # (--full, a moved file) never reads a page twice.
    formats.set_ocr_cache(location.root / OCR_CACHE)
    try:
        with build_lock(location.root, wait=wait):
            _build_locked(location, corpus_path, summary, full, progress, parallel, include, exclude, follow)
            try:
                summary.index_bytes = location.current().size()
            except (OSError, SearcherError):
                pass
            if summary.text_bytes:
                summary.index_to_text = round(summary.index_bytes / summary.text_bytes, 2)
    finally:
        formats.set_ocr_cache(None)
        if not keep_workers:
            formats.shutdown()
    if exposed:
        summary.warnings.append({"path": str(location.root), "reason": exposed})
    summary.seconds = round(time.monotonic() - started, 3)
    _write_about(location.root, summary)
    return summary


def _build_locked(
    location: IndexLocation,
    corpus_path: Path,
    summary: BuildSummary,
    full: bool,
    progress: Callable[[Progress], None] | None,
    parallel: bool,
    include: Sequence[str] | None,
    exclude: Sequence[str] | None,
    follow: bool | None = None,
) -> None:
    """The body of :func:`build_index`, run under the build lock."""
    select, follow = _selection(location.root, corpus_path, include, exclude, follow)
    generation = None
    reason = ""
    if not full:
        try:
            generation = location.current()
        except IndexMissing:
            generation = None
        except IndexUnusable as exc:
            reason = f"rebuilt in full: {exc}"
        if generation is not None and generation.meta.get("corpus") != str(corpus_path.resolve()):
            # The hits' file paths come from the corpus the index was built from.
            reason = f"rebuilt in full: the index was built from {generation.meta.get('corpus')}"
            generation = None
    problems: list[dict[str, str]] = []  # unreadable folders, broken links, bad names
    links: list[str] = []  # links leading out of the folder, not followed
    files = list(
        iter_corpus_files(
            corpus_path,
            exclude=[location.root],
            problems=problems,
            select=select if select.active else None,
            follow=follow,
            links=links,
        )
    )
    if generation is not None:
        try:
            update(generation, files, summary, progress)
        except IndexUnusable as exc:
            _reset(summary)
            reason = f"rebuilt in full: {exc}"
            generation = None
    if generation is None:
        summary.mode = "full"
        if reason:
            summary.warnings.append({"path": str(location.root), "reason": reason})
        _full_build(location, corpus_path, files, summary, progress, parallel)
    summary.skipped[:0] = problems
    summary.links_skipped = len(links)
    location.collect_garbage()


def _reset(summary: BuildSummary) -> None:
    """Forget what a failed incremental pass counted (a full build follows)."""
    fresh = BuildSummary(corpus=summary.corpus, index=summary.index)
    for name, value in asdict(fresh).items():
        setattr(summary, name, value)


def _selection(
    root: Path,
    corpus: Path,
    include: Sequence[str] | None,
    exclude: Sequence[str] | None,
    follow: bool | None = None,
) -> tuple[FileSelection, bool]:
    """The file selection of this build and whether it follows links leading out of the folder;
    what is given is saved, what is not comes from the last build."""
    loaded: Any = {}
    try:
        loaded = json.loads((root / SELECTION_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        pass
    saved: dict[str, Any] = loaded if isinstance(loaded, dict) else {}
    if include is not None or exclude is not None or (follow is not None and follow != bool(saved.get("follow"))):
        saved = {
            "include": list(include if include is not None else saved.get("include", [])),
            "exclude": list(exclude if exclude is not None else saved.get("exclude", [])),
            "follow": bool(follow if follow is not None else saved.get("follow", False)),
        }
        write_atomic(root / SELECTION_FILE, json.dumps(saved, ensure_ascii=False))
    selection = FileSelection(corpus, include=saved.get("include", []), exclude=saved.get("exclude", []))
    return selection, bool(saved.get("follow", False))


def _write_about(root: Path, summary: BuildSummary) -> None:
    """Record what ``search-index --list`` shows about this index (best effort)."""
    about = {
        "folder": str(Path(summary.corpus).resolve()),
        "paragraphs": summary.paragraphs,
        "files": summary.files,
        "updated": time.time(),
    }
    try:
        write_atomic(root / ABOUT_FILE, json.dumps(about, ensure_ascii=False))
    except OSError:
        pass


def ensure_index(
    corpus: str | os.PathLike[str],
    index: str | os.PathLike[str],
    *,
    progress: Callable[[Progress], None] | None = None,
    on_build: Callable[[str], None] | None = None,
    wait: float = 5.0,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
) -> BuildSummary | None:
    """Make sure there is a local index at ``index``, building it from ``corpus`` when there is none
    (the arguments and errors: :func:`searcher.building.ensure_index`)."""
    location = IndexLocation(index)
    try:
        location.current()
        return None
    except IndexMissing:
        pass
    check_corpus(Path(corpus))
    if location.root.exists() and not location.root.is_dir():
        raise IndexUnusable(f"index path {location.root} is not a directory")
    try:  # before announcing a build that cannot happen
        make_private_dir(location.root)
    except OSError as exc:
        raise IndexUnusable(f"cannot create index folder {index}: {exc.strerror or exc}") from None
    if on_build is not None:
        on_build(f"no index at {index} yet; indexing {corpus} …")
    return build_index(corpus, index, progress=progress, wait=wait, include=include, exclude=exclude)


def _full_build(
    location: IndexLocation,
    corpus: Path,
    files: list[CorpusFile],
    summary: BuildSummary,
    progress: Callable[[Progress], None] | None,
    parallel: bool,
) -> None:
    location.collect_garbage()  # leftovers of builds that were killed
    generation = location.new_generation(corpus)
    ix = generation.open()
    writer = whoosh_patches.bulk_writer(ix, parallel and len(files) >= PARALLEL_MIN_FILES)
    try:
        feed(writer, files, {}, summary, progress, PidCounter())
        writer.commit()
    except BaseException:
        writer.cancel()
        ix.close()
        raise
    # Whoosh's multiprocess writer drops the segment of a worker that died
    # (killed, out of memory) and commits the rest: never publish that.
    expected = summary.paragraphs_indexed + len(files)  # one file record per file
    written = ix.doc_count()
    ix.close()
    if written != expected:
        shutil.rmtree(generation.path, ignore_errors=True)
        raise SearcherError(
            f"the new index lost documents ({written} of {expected} written: did a worker process die?); "
            "the index in place is unchanged: run search-index --full again"
        )
    location.publish(generation)
