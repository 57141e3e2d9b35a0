"""Building and updating the index from a corpus folder.

``build_index`` is what ``search-index`` runs: incremental by default (only
new, changed and deleted files are touched), or a full rebuild into a fresh
generation that is swapped in atomically.  One bad file never aborts a build;
it is reported in the summary's ``skipped`` list.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from whoosh.query import And, Term

from .analysis import index_terms
from .corpus import CorpusFile, UnreadableFile, decode, iter_corpus_files, split_paragraphs
from .errors import CorpusError, IndexMissing, IndexUnusable
from .store import KIND_FILE, KIND_PARAGRAPH, IndexLocation, build_lock
from . import wcompat

__all__ = ["BuildSummary", "build_index", "Progress"]

# Below this many files, starting writer sub-processes costs more than it saves.
PARALLEL_MIN_FILES = 64


@dataclass
class Progress:
    """What a progress display needs, sent after every file."""

    files_done: int
    files_total: int
    paragraphs: int
    current: str = ""


@dataclass
class BuildSummary:
    """What a build did; ``search-index --json`` prints exactly this."""

    mode: str = "incremental"
    corpus: str = ""
    index: str = ""
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    paragraphs: int = 0  # paragraphs in the index after the build
    paragraphs_indexed: int = 0  # paragraphs written by this build
    files: int = 0  # files with text in the index after the build
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Prepared:
    """A corpus file read, hashed and analysed, ready for the writer."""

    file: CorpusFile
    sha256: str = ""
    title: str = ""
    rows: list[tuple[int, int, str, str, str, str, str]] = field(default_factory=list)
    error: str = ""


def _prepare(file: CorpusFile, known_sha: str | None = None) -> _Prepared:
    """Read, decode, split and analyse one file (runs in worker processes too)."""
    try:
        with open(file.abspath, "rb") as f:
            data = f.read()
    except OSError as exc:
        return _Prepared(file, error=f"cannot read: {exc.strerror or exc}")
    sha = hashlib.sha256(data).hexdigest()
    if known_sha is not None and sha == known_sha:
        return _Prepared(file, sha256=sha)  # touched but identical: nothing to analyse
    try:
        document = split_paragraphs(file.path, decode(data))
    except UnreadableFile as exc:
        return _Prepared(file, sha256=sha, error=str(exc))
    if not document.paragraphs:
        return _Prepared(file, sha256=sha, error="empty file (no text)")
    rows = []
    for para in document.paragraphs:
        rows.append((para.line, para.ordinal, para.text, *index_terms(para.text)))
    return _Prepared(file, sha256=sha, title=document.title, rows=rows)


def _prepare_all(jobs: list[tuple[CorpusFile, str | None]]) -> Iterator[_Prepared]:
    # Analysis is ~5% of a build; the Whoosh writer's sub-processes do the rest
    # in parallel, so reading stays in this process and keeps memory flat.
    for file, sha in jobs:
        yield _prepare(file, sha)


def _read_manifest(searcher: Any) -> dict[str, dict[str, Any]]:
    """The file records of an index: path → {size, mtime_ns, sha256, paragraphs, skipped}."""
    manifest = {}
    for fields in searcher.documents(kind=KIND_FILE):
        manifest[fields["path"]] = dict(fields.get("info") or {})
    return manifest


def _file_record(prep: _Prepared) -> dict[str, Any]:
    info = {
        "size": prep.file.size,
        "mtime_ns": prep.file.mtime_ns,
        "sha256": prep.sha256,
        "paragraphs": len(prep.rows),
    }
    if prep.error:
        info["skipped"] = prep.error
    return {"kind": KIND_FILE, "path": prep.file.path, "info": info}


def _write(writer: Any, prep: _Prepared) -> int:
    """Add a prepared file's paragraphs and its file record; return paragraphs added."""
    for line, ordinal, text, exact, folded, pairs, xpairs in prep.rows:
        writer.add_document(
            kind=KIND_PARAGRAPH,
            path=prep.file.path,
            line=line,
            ordinal=ordinal,
            title=prep.title,
            text=text,
            exact=exact,
            folded=folded,
            pairs=pairs,
            xpairs=xpairs,
        )
    writer.add_document(**_file_record(prep))
    return len(prep.rows)


def check_corpus(corpus: Path) -> Path:
    """Return the corpus folder, or raise :class:`CorpusError` with a one-line reason."""
    corpus = Path(corpus)
    if not corpus.exists():
        raise CorpusError(f"corpus folder not found: {corpus}")
    if not corpus.is_dir():
        raise CorpusError(f"corpus path is not a directory: {corpus}")
    if not os.access(corpus, os.R_OK | os.X_OK):
        raise CorpusError(f"corpus folder is not readable: {corpus}")
    return corpus


def build_index(
    corpus: str | os.PathLike[str],
    index: str | os.PathLike[str],
    *,
    full: bool = False,
    progress: Callable[[Progress], None] | None = None,
    wait: float = 5.0,
    parallel: bool = True,
) -> BuildSummary:
    """Bring the index at ``index`` up to date with the ``.txt`` files under ``corpus``.

    Incremental unless ``full`` is true or there is no usable index yet.
    Raises :class:`~searcher.errors.CorpusError` for a missing corpus and
    :class:`~searcher.errors.IndexBusy` when another build holds the lock.

    >>> summary = build_index("corpus", "index")      # doctest: +SKIP
    >>> summary.added, summary.paragraphs              # doctest: +SKIP
    (4, 131)
    """
    started = time.monotonic()
    corpus_path = check_corpus(Path(corpus))
    location = IndexLocation(index)
    if location.root.exists() and not location.root.is_dir():
        raise IndexUnusable(f"index path {location.root} is not a directory")
    try:
        location.root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IndexUnusable(f"cannot create index folder {location.root}: {exc.strerror}") from None
    if not os.access(location.root, os.W_OK | os.X_OK):
        raise IndexUnusable(f"index folder is not writable: {location.root}")

    summary = BuildSummary(corpus=str(corpus_path), index=str(location.root))
    with build_lock(location.root, wait=wait):
        generation = None
        if not full:
            try:
                generation = location.current()
            except (IndexMissing, IndexUnusable):
                generation = None
        files = list(iter_corpus_files(corpus_path, exclude=[location.root]))
        if generation is None:
            summary.mode = "full"
            _full_build(location, corpus_path, files, summary, progress, parallel)
        else:
            try:
                _incremental(generation, files, summary, progress)
            except IndexUnusable:
                summary = BuildSummary(corpus=str(corpus_path), index=str(location.root), mode="full")
                _full_build(location, corpus_path, files, summary, progress, parallel)
        location.collect_garbage()
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


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
    writer = wcompat.bulk_writer(ix, parallel and len(files) >= PARALLEL_MIN_FILES)
    try:
        _feed(writer, [(f, None) for f in files], {}, summary, progress)
        writer.commit()
    except BaseException:
        writer.cancel()
        ix.close()
        raise
    ix.close()
    location.publish(generation)


def _incremental(
    generation: Any,
    files: list[CorpusFile],
    summary: BuildSummary,
    progress: Callable[[Progress], None] | None,
) -> None:
    ix = generation.open()
    try:
        with ix.searcher() as searcher:
            manifest = _read_manifest(searcher)
        current = {f.path: f for f in files}
        jobs: list[tuple[CorpusFile, str | None]] = []
        for f in files:
            known = manifest.get(f.path)
            if known is None:
                jobs.append((f, None))
            elif known.get("size") == f.size and known.get("mtime_ns") == f.mtime_ns:
                summary.unchanged += 1
            else:
                jobs.append((f, known.get("sha256")))
        removed = [p for p in manifest if p not in current]
        if not jobs and not removed:
            summary.paragraphs, summary.files = _totals(ix)
            return
        writer = wcompat.writer(ix)
        try:
            for path in removed:
                writer.delete_by_term("path", path)
                if not manifest[path].get("skipped"):
                    summary.removed += 1
            _feed(writer, jobs, manifest, summary, progress)
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        summary.paragraphs, summary.files = _totals(ix)
    finally:
        ix.close()


def _feed(
    writer: Any,
    jobs: list[tuple[CorpusFile, str | None]],
    manifest: dict[str, dict[str, Any]],
    summary: BuildSummary,
    progress: Callable[[Progress], None] | None,
) -> None:
    total = len(jobs)
    done = 0
    for prep in _prepare_all(jobs):
        done += 1
        known = manifest.get(prep.file.path)
        if known is not None and prep.sha256 and prep.sha256 == known.get("sha256") and not prep.rows and not prep.error:
            # Same bytes, new mtime: refresh the file record only.
            writer.delete_by_query(And([Term("kind", KIND_FILE), Term("path", prep.file.path)]))
            record = _file_record(prep)
            record["info"]["paragraphs"] = known.get("paragraphs", 0)
            if known.get("skipped"):
                record["info"]["skipped"] = known["skipped"]
            writer.add_document(**record)
            summary.unchanged += 1
        else:
            if known is not None:
                writer.delete_by_term("path", prep.file.path)
            if prep.error:
                summary.skipped.append({"path": prep.file.path, "reason": prep.error})
                writer.add_document(**_file_record(prep))
            else:
                summary.paragraphs_indexed += _write(writer, prep)
                if known is None or known.get("skipped"):
                    summary.added += 1
                else:
                    summary.updated += 1
        summary.paragraphs = summary.paragraphs_indexed
        if progress is not None:
            progress(Progress(done, total, summary.paragraphs_indexed, prep.file.path))
    summary.files = summary.added


def _totals(ix: Any) -> tuple[int, int]:
    """(paragraphs, files with text) currently in the index."""
    with ix.searcher() as searcher:
        records = [fields.get("info") or {} for fields in searcher.documents(kind=KIND_FILE)]
        paragraphs = searcher.doc_count() - len(records)
    return paragraphs, sum(1 for info in records if not info.get("skipped"))
