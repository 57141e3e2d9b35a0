"""Building and updating the index from a corpus folder.

``build_index`` is what ``search-index`` runs: incremental by default (only
new, changed and deleted files are touched), or a full rebuild into a fresh
generation that is swapped in atomically.  One bad file never aborts a build;
it is reported in the summary's ``skipped`` list.

``.txt`` files are streamed here (:mod:`searcher.corpus`); documents in other
formats are read by :mod:`searcher.formats` in sandboxed worker processes, a
few ahead of the writer in threads, so both workers stay busy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from whoosh.query import And, Term

from .analysis import index_terms
from .corpus import (
    CorpusFile,
    Document,
    UnreadableFile,
    inspect_file,
    is_document,
    iter_corpus_files,
    iter_paragraphs,
)
from . import formats
from .formats import DocumentSkipped, Extracted
from .selection import FileSelection
from .errors import CorpusError, IndexMissing, IndexUnusable, SearcherError
from .store import KIND_FILE, KIND_PARAGRAPH, IndexLocation, build_lock, exposure_warning, make_private_dir, write_atomic
from . import whoosh_patches
from .bestmatch import BestMatchWriter
from .presentation import redact

__all__ = ["BuildSummary", "build_index", "ensure_index", "check_corpus", "Progress"]

# Below this many files, starting writer sub-processes costs more than it saves.
PARALLEL_MIN_FILES = 64
# Documents extracted ahead of the writer (in threads, each waiting on a worker process).
READ_AHEAD = 8
SELECTION_FILE = "selection.json"  # the --include/--exclude patterns an index was built with
ABOUT_FILE = "about.json"  # folder, paragraphs, files, updated: what search-index --list shows


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
    links_skipped: int = 0  # symbolic links leading out of the folder, not followed (follow=True does)
    warnings: list[dict[str, str]] = field(default_factory=list)  # indexed, but worth knowing
    paragraphs: int = 0  # paragraphs in the index after the build
    paragraphs_indexed: int = 0  # paragraphs written by this build
    files: int = 0  # files with text in the index after the build
    converted: dict[str, int] = field(default_factory=dict)  # legacy encoding → files converted by this build
    seconds: float = 0.0
    index_bytes: int = 0  # the live index on disk after the build
    text_bytes: int = 0  # UTF-8 bytes of the paragraphs' text in the index (files indexed by schema 6 on)
    index_to_text: float | None = None  # index_bytes / text_bytes, None without text

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _file_record(
    file: CorpusFile, sha256: str, paragraphs: int, skipped: str = "", text_bytes: int = 0
) -> dict[str, Any]:
    info: dict[str, Any] = {
        "size": file.size,
        "mtime_ns": file.mtime_ns,
        "ctime_ns": file.ctime_ns,
        "sha256": sha256,
        "paragraphs": paragraphs,
        "text_bytes": text_bytes,
    }
    if skipped:
        info["skipped"] = skipped
    return {"kind": KIND_FILE, "path": file.path, "info": info}


def _read_manifest(searcher: Any) -> dict[str, dict[str, Any]]:
    """The file records of an index: path → {size, mtime_ns, sha256, paragraphs, skipped}."""
    manifest = {}
    for fields in searcher.documents(kind=KIND_FILE):
        manifest[fields["path"]] = dict(fields.get("info") or {})
    return manifest


def _index_file(
    writer: Any, file: CorpusFile, known: dict[str, Any] | None, summary: BuildSummary, best: BestMatchWriter
) -> int:
    """Bring one file's paragraphs in the index up to date; return paragraphs written.

    The file is read through one open descriptor in two streaming passes
    (check, then split and write), so its size does not matter and a rename
    or delete meanwhile cannot mix two versions.
    """
    path = file.path
    if is_document(path):
        return _index_document(writer, file, known, summary, _read_document(file, known))
    try:
        stream = _open_regular(file.abspath, file.link)
    except OSError as exc:
        return _skip(writer, file, known, summary, _open_failure(exc), "", best)
    if stream is None:  # replaced by a FIFO or device since the corpus was listed
        return _skip(writer, file, known, summary, "not a regular file", "", best)
    with stream:
        try:
            check = inspect_file(stream)
        except UnreadableFile as exc:
            return _skip(writer, file, known, summary, str(exc), "", best)
        except OSError as exc:
            return _skip(writer, file, known, summary, f"cannot read: {exc.strerror or exc}", "", best)
        if known is not None and check.sha256 == known.get("sha256"):
            # Same bytes, new mtime: refresh the file record only.
            writer.delete_by_query(And([Term("kind", KIND_FILE), Term("path", path)]))
            writer.add_document(
                **_file_record(
                    file, check.sha256, known.get("paragraphs", 0), known.get("skipped", ""), known.get("text_bytes", 0)
                )
            )
            summary.unchanged += 1
            return 0
        if known is not None:
            writer.delete_by_term("path", path)
            best.delete_path(path)
        document = Document(path=path, title="")
        written = text_bytes = 0
        try:
            for para in iter_paragraphs(stream, check, document):
                text_bytes += _write_paragraph(writer, best, path, document.title, para)
                written += 1
        except OSError as exc:
            summary.warnings.append({"path": path, "reason": f"read error part-way: {exc.strerror or exc}"})
        if not written:  # empty, blank, only separators: its old paragraphs are already deleted
            return _skip(writer, file, None, summary, "empty file (no text)", check.sha256, best)
        record = _file_record(file, check.sha256, written, text_bytes=text_bytes)
        summary.text_bytes += text_bytes
        if check.legacy:
            record["info"]["converted"] = check.legacy
            summary.converted[check.legacy] = summary.converted.get(check.legacy, 0) + 1
        try:
            st = os.fstat(stream.fileno())
            if st.st_size != file.size or st.st_mtime_ns != file.mtime_ns:
                # It changed while we read it: index what we read, re-check next time.
                record["info"]["mtime_ns"] = -1
                summary.warnings.append({"path": path, "reason": "changed while being indexed; will be re-checked"})
        except OSError:
            pass
        writer.add_document(**record)
    if known is None or known.get("skipped"):
        summary.added += 1
    else:
        summary.updated += 1
    return written


@dataclass
class _ReadDocument:
    """What reading one document found, before anything is written."""

    sha256: str = ""
    unchanged: bool = False
    extracted: Extracted | None = None
    skipped: str = ""
    changed: bool = False  # the file changed while it was read


def _read_document(file: CorpusFile, known: dict[str, Any] | None) -> _ReadDocument:
    """Hash a document and, unless its bytes are the ones indexed, extract it (thread-safe)."""
    try:
        stream = _open_regular(file.abspath, file.link)
    except OSError as exc:
        return _ReadDocument(skipped=_open_failure(exc))
    if stream is None:
        return _ReadDocument(skipped="not a regular file")
    with stream:
        try:
            digest = hashlib.file_digest(stream, "sha256").hexdigest()
        except OSError as exc:
            return _ReadDocument(skipped=f"cannot read: {exc.strerror or exc}")
    if known is not None and digest == known.get("sha256"):
        return _ReadDocument(sha256=digest, unchanged=True)
    try:
        extracted = formats.extract(file.abspath)
    except DocumentSkipped as exc:
        return _ReadDocument(sha256=digest, skipped=exc.reason)
    if not file.link and os.path.islink(file.abspath):  # the parser opened it again, by name
        return _ReadDocument(sha256=digest, skipped="replaced by a symbolic link while being indexed")
    try:
        st = os.stat(file.abspath)
        changed = st.st_size != file.size or st.st_mtime_ns != file.mtime_ns
    except OSError:
        changed = True
    return _ReadDocument(sha256=digest, extracted=extracted, changed=changed)


def _index_document(
    writer: Any,
    file: CorpusFile,
    known: dict[str, Any] | None,
    summary: BuildSummary,
    read: _ReadDocument,
    best: BestMatchWriter,
) -> int:
    """Write what :func:`_read_document` found; return paragraphs written."""
    path = file.path
    if read.unchanged and known is not None:
        writer.delete_by_query(And([Term("kind", KIND_FILE), Term("path", path)]))
        record = _file_record(
            file, read.sha256, known.get("paragraphs", 0), known.get("skipped", ""), known.get("text_bytes", 0)
        )
        if known.get("converted"):
            record["info"]["converted"] = known["converted"]
        writer.add_document(**record)
        summary.unchanged += 1
        return 0
    if read.extracted is None:
        return _skip(writer, file, known, summary, read.skipped, read.sha256, best)
    if known is not None:
        writer.delete_by_term("path", path)
        best.delete_path(path)
    extracted = read.extracted
    text_bytes = 0
    for para in extracted.paragraphs:
        where = {key: value for key in ("page", "chapter") if (value := getattr(para, key)) is not None}
        text_bytes += _write_paragraph(writer, best, path, extracted.title, para, **where)
    for warning in extracted.warnings:
        summary.warnings.append({"path": path, "reason": warning})
    record = _file_record(file, read.sha256, len(extracted.paragraphs), text_bytes=text_bytes)
    summary.text_bytes += text_bytes
    if extracted.converted_from:
        record["info"]["converted"] = extracted.converted_from
        summary.converted[extracted.converted_from] = summary.converted.get(extracted.converted_from, 0) + 1
    if read.changed:
        record["info"]["mtime_ns"] = -1
        summary.warnings.append({"path": path, "reason": "changed while being indexed; will be re-checked"})
    writer.add_document(**record)
    if known is None or known.get("skipped"):
        summary.added += 1
    else:
        summary.updated += 1
    return len(extracted.paragraphs)


def _open_regular(abspath: str, link: bool = False) -> Any:
    """Open a file for reading, or return None when it is not a regular file.

    ``O_NONBLOCK`` keeps a FIFO that took the file's place from blocking the build.
    Unless it was listed as a link (``link``), a symbolic link that took its place since
    is not followed (``O_NOFOLLOW``): the listing alone decides which links are read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | (0 if link else getattr(os, "O_NOFOLLOW", 0))
    fd = os.open(abspath, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _open_failure(exc: OSError) -> str:
    """Why a listed file could not be opened, for the summary."""
    import errno

    if exc.errno == errno.ELOOP:
        return "replaced by a symbolic link while being indexed"
    return f"cannot read: {exc.strerror or exc}"


def _write_paragraph(writer: Any, best: BestMatchWriter, path: str, title: str, para: Any, **where: int) -> int:
    """Write one paragraph (``line``, ``column``, ``ordinal``, ``text``) to Whoosh and to the
    best-match postings; ``where`` adds its ``page`` or ``chapter``.  Returns its size in UTF-8 bytes."""
    exact, folded, pairs = index_terms(para.text)
    pid = best.add(folded.split(), pairs.split(), exact.split())
    # The term postings live once, in the best-match arrays; Whoosh keeps the paragraph.
    # (A cluster's writer indexes the term streams itself.)
    terms = {"exact": exact, "folded": folded, "pairs": pairs} if best.terms_in_documents else {}
    writer.add_document(
        kind=KIND_PARAGRAPH,
        path=path,
        pid=pid,
        line=para.line,
        column=para.column,
        ordinal=para.ordinal,
        title=title,
        text=para.text,
        **terms,
        **where,
    )
    return len(para.text.encode("utf-8", "surrogatepass"))


def _skip(
    writer: Any,
    file: CorpusFile,
    known: dict[str, Any] | None,
    summary: BuildSummary,
    reason: str,
    sha256: str,
    best: BestMatchWriter,
) -> int:
    if known is not None:
        writer.delete_by_term("path", file.path)
        best.delete_path(file.path)
    summary.skipped.append({"path": file.path, "reason": reason})
    writer.add_document(**_file_record(file, sha256, 0, reason))
    return 0


def check_corpus(corpus: Path) -> Path:
    """Return the corpus folder, or raise :class:`CorpusError` with a one-line reason."""
    corpus = Path(corpus)  # it may be an address with a password (-C opensearch://u:pw@…): redact
    if not corpus.exists():
        raise CorpusError(f"corpus folder not found: {redact(str(corpus))}")
    if not corpus.is_dir():
        raise CorpusError(f"corpus path is not a directory: {redact(str(corpus))}")
    if not os.access(corpus, os.R_OK | os.X_OK):
        raise CorpusError(f"corpus folder is not readable: {redact(str(corpus))}")
    return corpus


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
    """Bring the index at ``index`` up to date with the files under ``corpus``.

    Incremental unless ``full`` is true or there is no usable index yet.
    ``include``/``exclude`` are gitignore-style patterns choosing files (with
    the folder's ``.searchignore``); None keeps the ones the index was built
    with.  Symbolic links leading out of the folder are not followed (the
    summary counts them) unless ``follow``; None keeps the choice the index
    was built with.  The document parsers' worker processes are stopped at the end
    unless ``keep_workers`` (a watcher building again soon).
    Raises :class:`~searcher.errors.CorpusError` for a missing corpus and
    :class:`~searcher.errors.IndexBusy` when another build holds the lock.

    >>> summary = build_index("corpus", "index")      # doctest: +SKIP
    >>> summary.added, summary.paragraphs              # doctest: +SKIP
    (4, 131)
    """
    from .backends import is_remote

    if is_remote(index):  # opensearch://host:port/NAME: the same build, into a cluster
        from .backends.opensearch import build_opensearch

        return build_opensearch(
            corpus, str(index), full=full, progress=progress, wait=wait, include=include, exclude=exclude
        )
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
        from .store import unreadable_because

        if os.stat(location.root).st_uid != os.geteuid():  # another user's: --full would not help either
            raise IndexUnusable(f"index at {location.root} {unreadable_because(location.root)}")
        raise IndexUnusable(f"index folder is not writable: {location.root}")

    summary = BuildSummary(corpus=str(corpus_path), index=str(location.root))
    exposed = exposure_warning(location.root)
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
            _incremental(generation, files, summary, progress)
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
    saved: dict[str, Any] = {}
    try:
        saved = json.loads((root / SELECTION_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        pass
    if not isinstance(saved, dict):
        saved = {}
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
    """Make sure there is an index at ``index``, building it from ``corpus`` when there is none.

    The first-use build of ``search``, of the TUI and of API users.  Returns
    the build's summary, or None when an index was already there.  An index
    that exists but cannot be used raises :class:`~searcher.errors.IndexUnusable`
    (it is never replaced behind the user's back); a missing corpus raises
    :class:`~searcher.errors.CorpusError` before anything is written.
    ``on_build`` receives one line (``no index at index yet; indexing corpus …``)
    just before a build starts; ``progress`` is passed to :func:`build_index`
    (raising from it cancels the build).  Safe to call from any thread.

    >>> ensure_index("corpus", "index")          # doctest: +SKIP
    BuildSummary(mode='full', ..., paragraphs=98, ...)
    """
    from .backends import is_remote

    if is_remote(index):
        from .backends.opensearch import OpenSearchEngine

        try:
            OpenSearchEngine(str(index)).close()
            return None
        except IndexMissing:
            check_corpus(Path(corpus))
            if on_build is not None:
                on_build(f"no index at {index} yet; indexing {corpus} …")
            return build_index(corpus, index, progress=progress, wait=wait, include=include, exclude=exclude)
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
    best = BestMatchWriter(generation.path)
    try:
        _feed(writer, files, {}, summary, progress, best)
        best.commit(writer.generation)
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
    generation.record_files()
    location.publish(generation)


def _incremental(
    generation: Any,
    files: list[CorpusFile],
    summary: BuildSummary,
    progress: Callable[[Progress], None] | None,
) -> None:
    generation.check_files()  # truncated segment files: the caller rebuilds in full
    ix = generation.open()
    try:
        # From the postings of the commit Whoosh is at: a part whose Whoosh commit failed is left out.
        best = BestMatchWriter(generation.path, ix.latest_generation())
        try:
            with ix.searcher() as searcher:
                manifest = _read_manifest(searcher)
                jobs, removed = _update_plan(manifest, files, summary)
                touched = removed + [f.path for f in jobs if f.path in manifest]
                for path in touched:  # the paragraphs this update will delete
                    best.old_pids[path] = [
                        int(fields["pid"])
                        for fields in searcher.documents(path=path)
                        if fields.get("kind") == KIND_PARAGRAPH and fields.get("pid") is not None
                    ]
        except Exception as exc:  # a damaged index: the caller rebuilds it in full
            raise IndexUnusable(f"cannot read the index ({type(exc).__name__})") from None
        if not jobs and not removed:
            summary.paragraphs, summary.files, summary.text_bytes = _totals(ix)
            return
        writer = whoosh_patches.writer(ix)
        try:
            for path in removed:
                writer.delete_by_term("path", path)
                best.delete_path(path)
                if not manifest[path].get("skipped"):
                    summary.removed += 1
            _feed(writer, jobs, manifest, summary, progress, best)
            # The postings first, as the manifest of the commit to come: if the
            # Whoosh commit then fails, searchers and the next build stay on the
            # previous manifest, and the next build redoes the files.
            best.commit(writer.generation)
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        generation.record_files()
        summary.paragraphs, summary.files, summary.text_bytes = _totals(ix)
    finally:
        ix.close()


def _update_plan(
    manifest: dict[str, dict[str, Any]], files: list[CorpusFile], summary: BuildSummary
) -> tuple[list[CorpusFile], list[str]]:
    """What an incremental update must do: the files to (re)index, and the paths gone from the folder.

    Counts the unchanged files in ``summary``.  Shared by the local index and the cluster backend.
    """
    jobs: list[CorpusFile] = []
    for f in files:
        known = manifest.get(f.path)
        if known is not None and _unchanged(known, f):
            summary.unchanged += 1
        else:
            jobs.append(f)
    present = {f.path for f in files}
    return jobs, [p for p in manifest if p not in present]


def _unchanged(known: dict[str, Any], file: CorpusFile) -> bool:
    """Whether a file's record says it is as indexed (same size and mtime, and not skipped for being unopenable)."""
    return (
        known.get("size") == file.size
        and known.get("mtime_ns") == file.mtime_ns
        # A chmod changes only the ctime: a file made unreadable must be tried again (and
        # dropped with a warning).  A record without one (an older index) is checked once.
        and known.get("ctime_ns") == file.ctime_ns
        and not _unopened(known)
    )


def _unopened(known: dict[str, Any]) -> bool:
    """Whether a file was skipped because it could not be opened (tried again at every build).

    A permission fix (``chmod``) changes neither size nor mtime, so such a
    file is not left out for good; files skipped for their content are.
    """
    reason = known.get("skipped") or ""
    return reason.startswith("cannot read") or reason == "not a regular file"


def _feed(
    writer: Any,
    files: list[CorpusFile],
    manifest: dict[str, dict[str, Any]],
    summary: BuildSummary,
    progress: Callable[[Progress], None] | None,
    best: BestMatchWriter,
) -> None:
    documents = [f for f in files if is_document(f.path)]
    ahead: dict[str, Future[_ReadDocument]] = {}
    queue = deque(documents)
    executor = ThreadPoolExecutor(max_workers=formats.Limits().workers) if documents else None

    def fill() -> None:
        while queue and len(ahead) < READ_AHEAD:
            f = queue.popleft()
            ahead[f.path] = executor.submit(_read_document, f, manifest.get(f.path))  # type: ignore[union-attr]

    try:
        for done, file in enumerate(files, 1):
            known = manifest.get(file.path)
            if file.path in ahead or (queue and queue[0] is file):
                fill()
                read = ahead.pop(file.path).result()
                fill()
                summary.paragraphs_indexed += _index_document(writer, file, known, summary, read, best)
            else:
                summary.paragraphs_indexed += _index_file(writer, file, known, summary, best)
            if progress is not None:
                progress(Progress(done, len(files), summary.paragraphs_indexed, file.path))
    finally:
        if executor is not None:
            queue.clear()
            executor.shutdown(wait=True, cancel_futures=True)
    summary.paragraphs = summary.paragraphs_indexed
    summary.files = summary.added


def _totals(ix: Any) -> tuple[int, int, int]:
    """(paragraphs, files with text, bytes of their text) currently in the index."""
    with ix.searcher() as searcher:
        records = [fields.get("info") or {} for fields in searcher.documents(kind=KIND_FILE)]
        paragraphs = searcher.doc_count() - len(records)
    files = sum(1 for info in records if not info.get("skipped"))
    return paragraphs, files, sum(int(info.get("text_bytes", 0)) for info in records)
