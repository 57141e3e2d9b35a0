"""Building and updating the index from a corpus folder.

``build_index`` is what ``search-index`` runs: incremental by default (only
new, changed and deleted files are touched), or a full rebuild into a fresh
generation that is swapped in atomically.  One bad file never aborts a build;
it is reported in the summary's ``skipped`` list.

``.txt`` files are streamed here (:mod:`searcher.documents.corpus`); documents in other
formats are read by :mod:`searcher.documents.formats` in sandboxed worker processes, a
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

from searcher.documents.corpus import CorpusFile, is_document, iter_corpus_files
from searcher.documents.encoding import UnreadableFile, inspect_file
from searcher.documents.paragraphs import Document, iter_paragraphs
from searcher.documents import formats
from searcher.documents.formats import DocumentSkipped, Extracted
from searcher.documents.selection import FileSelection
from searcher.errors import CorpusError, IndexMissing, IndexUnusable, SearcherError
from searcher.index.store import (
    IndexLocation,
    build_lock,
    exposure_warning,
    make_private_dir,
    remove_leftovers,
    write_atomic,
)
from searcher.index import whoosh_patches
from searcher.index.codec import DamagedSegment, merge_small, verify
from searcher.index.schema import KIND_FILE, KIND_PARAGRAPH, NO_PID
from searcher.cli.presentation import redact

__all__ = ["BuildSummary", "build_index", "ensure_index", "check_corpus", "Progress"]

# Below this many files, starting writer sub-processes costs more than it saves.
PARALLEL_MIN_FILES = 64
# Documents extracted ahead of the writer (in threads, each waiting on a worker process).
READ_AHEAD = 8
SELECTION_FILE = "selection.json"  # the --include/--exclude patterns an index was built with
ABOUT_FILE = "about.json"  # folder, paragraphs, files, updated: what search-index --list shows


# Where a paragraph of a document is, beyond its line (stored when set).
PLACE_FIELDS = ("page", "chapter", "sheet", "cell", "slide", "ocr")
OCR_CACHE = "ocr-cache"  # inside the index folder


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
    # files skipped because a tool or Python reader is missing: install command → files
    missing_tools: dict[str, int] = field(default_factory=dict)
    ocr_pages: int = 0  # pages (or images) read by OCR in this build (cached ones included)
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


def _read_file_records(searcher: Any) -> dict[str, dict[str, Any]]:
    """The file records of an index: path → {size, mtime_ns, sha256, paragraphs, skipped}."""
    records = {}
    for fields in searcher.documents(kind=KIND_FILE):
        records[fields["path"]] = dict(fields.get("info") or {})
    return records


def _index_file(
    writer: Any, file: CorpusFile, known: dict[str, Any] | None, summary: BuildSummary, pids: PidCounter
) -> int:
    """Bring one file's paragraphs in the index up to date; return paragraphs written.

    The file is read through one open descriptor in two streaming passes
    (check, then split and write), so its size does not matter and a rename
    or delete meanwhile cannot mix two versions.
    """
    path = file.path
    if is_document(path):
        return _index_document(writer, file, known, summary, _read_document(file, known), pids)
    try:
        stream = _open_regular(file.abspath, file.link)
    except OSError as exc:
        return _skip(writer, file, known, summary, _open_failure(exc), "", pids)
    if stream is None:  # replaced by a FIFO or device since the corpus was listed
        return _skip(writer, file, known, summary, "not a regular file", "", pids)
    with stream:
        try:
            check = inspect_file(stream)
        except UnreadableFile as exc:
            return _skip(writer, file, known, summary, str(exc), "", pids)
        except OSError as exc:
            return _skip(writer, file, known, summary, f"cannot read: {exc.strerror or exc}", "", pids)
        if known is not None and check.sha256 == known.get("sha256"):
            # Same bytes, new mtime: refresh the file record only.
            writer.delete_by_query(And([Term("kind", KIND_FILE), Term("path", path)]))
            writer.add_document(
                **_file_record(
                    file, check.sha256, known.get("paragraphs", 0), known.get("skipped", ""), known.get("text_bytes", 0)
                )
            )
            _count_unchanged(summary, path, known)
            return 0
        if known is not None:
            writer.delete_by_term("path", path)
        document = Document(path=path, title="")
        written = text_bytes = 0
        try:
            for para in iter_paragraphs(stream, check, document):
                text_bytes += _write_paragraph(writer, pids, path, document.title, para)
                written += 1
        except OSError as exc:
            summary.warnings.append({"path": path, "reason": f"read error part-way: {exc.strerror or exc}"})
        if not written:  # empty, blank, only separators: its old paragraphs are already deleted
            return _skip(writer, file, None, summary, "empty file (no text)", check.sha256, pids)
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


def _read_document(
    file: CorpusFile, known: dict[str, Any] | None, on_page: Callable[[int, int], None] | None = None
) -> _ReadDocument:
    """Hash a document and, unless its bytes are the ones indexed, extract it (thread-safe).

    ``on_page(page, pages)`` hears of each page read by OCR."""
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
    if known is not None and digest == known.get("sha256") and not formats.missing_tool(known.get("skipped") or ""):
        return _ReadDocument(sha256=digest, unchanged=True)
    try:
        extracted = formats.extract(file.abspath, on_page=on_page)
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
    pids: PidCounter,
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
        _count_unchanged(summary, path, known)
        return 0
    if read.extracted is None:
        return _skip(writer, file, known, summary, read.skipped, read.sha256, pids)
    if known is not None:
        writer.delete_by_term("path", path)
    extracted = read.extracted
    summary.ocr_pages += extracted.ocr_pages
    text_bytes = 0
    for para in extracted.paragraphs:
        where = {key: value for key in PLACE_FIELDS if (value := getattr(para, key)) not in (None, False)}
        text_bytes += _write_paragraph(writer, pids, path, extracted.title, para, **where)
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


class PidCounter:
    """Numbers paragraphs in the order a build reads them, which is the folder's order: the
    ``pid`` column that breaks ties between equal scores (two versions of a law)."""

    def __init__(self, start: int = 0) -> None:
        self.next = start

    def take(self) -> int:
        pid = self.next
        self.next += 1
        return pid


def _write_paragraph(writer: Any, pids: PidCounter, path: str, title: str, para: Any, **where: Any) -> int:
    """Write one paragraph (``line``, ``column``, ``ordinal``, ``text``); ``where`` adds its place
    (:data:`PLACE_FIELDS`).  Returns its size in UTF-8 bytes.

    The three syllable fields are analysed from the text by the schema's own analysis
    (:mod:`searcher.vietnamese.whoosh_analysis`), in the writer's processes.
    """
    text = para.text
    writer.add_document(
        kind=KIND_PARAGRAPH,
        path=path,
        pid=pids.take(),
        line=para.line,
        column=para.column,
        ordinal=para.ordinal,
        title=title,
        text=text,
        exact=text,
        folded=text,
        pairs=text,
        **where,
    )
    return len(text.encode("utf-8", "surrogatepass"))


def _skip(
    writer: Any,
    file: CorpusFile,
    known: dict[str, Any] | None,
    summary: BuildSummary,
    reason: str,
    sha256: str,
    pids: PidCounter,
) -> int:
    if known is not None:
        writer.delete_by_term("path", file.path)
    summary.skipped.append({"path": file.path, "reason": reason})
    install = formats.missing_tool(reason)
    if install:
        summary.missing_tools[install] = summary.missing_tools.get(install, 0) + 1
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
    from searcher.backends import is_remote

    if is_remote(index):  # opensearch://host:port/NAME: the same build, into a cluster
        from searcher.backends.opensearch import build_opensearch

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
    from searcher.backends import is_remote

    if is_remote(index):
        from searcher.backends.opensearch import OpenSearchEngine

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
    try:
        _feed(writer, files, {}, summary, progress, PidCounter())
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


def _incremental(
    generation: Any,
    files: list[CorpusFile],
    summary: BuildSummary,
    progress: Callable[[Progress], None] | None,
) -> None:
    # Whoosh's temporary storage of a writer that was killed (the caller holds the build lock:
    # no writer is live); a killed writer's segment files, which no TOC names, go at the next commit.
    remove_leftovers(generation.path, folders=True)
    ix = generation.open()
    try:
        try:
            with ix.searcher() as searcher:
                verify(searcher.reader())  # damage that kept a file's size: the caller rebuilds in full
                records = _read_file_records(searcher)
                jobs, removed = _update_plan(records, files, summary)
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
            _feed(writer, jobs, records, summary, progress, pids)
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


def _update_plan(
    records: dict[str, dict[str, Any]], files: list[CorpusFile], summary: BuildSummary
) -> tuple[list[CorpusFile], list[str]]:
    """What an incremental update must do: the files to (re)index, and the paths gone from the folder.

    Counts the unchanged files in ``summary``.  Shared by the local index and the cluster backend.
    """
    jobs: list[CorpusFile] = []
    for f in files:
        known = records.get(f.path)
        if known is not None and _unchanged(known, f):
            _count_unchanged(summary, f.path, known)
        else:
            jobs.append(f)
    present = {f.path for f in files}
    return jobs, [p for p in records if p not in present]


def _count_unchanged(summary: BuildSummary, path: str, known: dict[str, Any]) -> None:
    """Count a file found as it was: unchanged, or, when it was skipped, skipped again with
    its reason, so that every build counts the files the same way (issue 22: a build said
    1,033 files and the next one "1,035 unchanged")."""
    if known.get("skipped"):
        # "unchanged": skipped by an earlier build, and still as it was then (watch mode says nothing of it).
        summary.skipped.append({"path": path, "reason": str(known["skipped"]), "unchanged": "yes"})
    else:
        summary.unchanged += 1


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
    # A file skipped for a missing tool is read once the tool is installed.
    return reason.startswith("cannot read") or reason == "not a regular file" or formats.missing_tool(reason) is not None


def _feed(
    writer: Any,
    files: list[CorpusFile],
    records: dict[str, dict[str, Any]],
    summary: BuildSummary,
    progress: Callable[[Progress], None] | None,
    pids: PidCounter,
) -> None:
    documents = [f for f in files if is_document(f.path)]
    ahead: dict[str, Future[_ReadDocument]] = {}
    queue = deque(documents)
    executor = ThreadPoolExecutor(max_workers=formats.Limits().workers) if documents else None

    done = 0

    def pages(path: str) -> Callable[[int, int], None] | None:
        """Progress for each page a worker reads by OCR (from a reading thread)."""
        if progress is None:
            return None
        report = progress
        return lambda page, total: report(
            Progress(done, len(files), summary.paragraphs_indexed, f"{path}: OCR page {page} of {total}")
        )

    def fill() -> None:
        while queue and len(ahead) < READ_AHEAD:
            f = queue.popleft()
            ahead[f.path] = executor.submit(  # type: ignore[union-attr]
                _read_document, f, records.get(f.path), pages(f.path)
            )

    try:
        for done, file in enumerate(files, 1):
            known = records.get(file.path)
            if file.path in ahead or (queue and queue[0] is file):
                fill()
                read = ahead.pop(file.path).result()
                fill()
                summary.paragraphs_indexed += _index_document(writer, file, known, summary, read, pids)
            else:
                summary.paragraphs_indexed += _index_file(writer, file, known, summary, pids)
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
