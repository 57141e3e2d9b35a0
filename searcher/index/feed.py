"""What every build shares: reading the corpus's files and writing them into an index writer.

:func:`feed` reads each file and writes its paragraphs and its file record
(size, mtime, hash, paragraphs, or why it was skipped) to a writer: Whoosh's
for the local index (:mod:`searcher.index.build`, :mod:`searcher.index.update`),
or anything with the same ``add_document``/``delete_by_term``/``delete_by_query``
(the OpenSearch backend's bulk writer).  :func:`update_plan` compares the file
records of an index with the folder: what an incremental update must redo.

``.txt`` files are streamed here (:mod:`searcher.documents.encoding`,
:mod:`searcher.documents.paragraphs`); documents in other formats are read by
:mod:`searcher.documents.formats` in sandboxed worker processes, a few ahead of
the writer in threads, so both stay busy.  One bad file never aborts a build: it
is reported in the summary's ``skipped`` list.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from whoosh.query import And, Term

from searcher.documents import formats
from searcher.documents.corpus import CorpusFile, is_document
from searcher.documents.encoding import UnreadableFile, inspect_file
from searcher.documents.formats import DocumentSkipped, Extracted
from searcher.documents.paragraphs import Document, iter_paragraphs
from searcher.index.schema import KIND_FILE, KIND_PARAGRAPH

__all__ = ["PLACE_FIELDS", "Progress", "BuildSummary", "PidCounter", "feed", "update_plan"]

# Documents extracted ahead of the writer (in threads, each waiting on a worker process).
READ_AHEAD = 8

# Where a paragraph of a document is, beyond its line (stored when set).
PLACE_FIELDS = ("page", "chapter", "sheet", "cell", "slide", "ocr")


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


class PidCounter:
    """Numbers paragraphs in the order a build reads them, which is the folder's order: the
    ``pid`` column that breaks ties between equal scores (two versions of a law)."""

    def __init__(self, start: int = 0) -> None:
        self.next = start

    def take(self) -> int:
        pid = self.next
        self.next += 1
        return pid


def feed(
    writer: Any,
    files: list[CorpusFile],
    records: dict[str, dict[str, Any]],
    summary: BuildSummary,
    progress: Callable[[Progress], None] | None = None,
    pids: PidCounter | None = None,
) -> None:
    """Read ``files`` and write their paragraphs and file records to ``writer``, counting in ``summary``.

    ``records`` are the index's file records (path → record; empty for a full
    build): a file whose bytes are the ones indexed gets a fresh record only.
    ``progress`` hears after every file (and of each page read by OCR); ``pids``
    numbers the paragraphs on from where the index stops (a new counter from 0
    when None).  Leaves ``summary.paragraphs`` and ``summary.files`` at what
    this feed wrote; an update sets them from the index afterwards.
    """
    pids = pids if pids is not None else PidCounter()
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


def update_plan(
    records: dict[str, dict[str, Any]], files: list[CorpusFile], summary: BuildSummary
) -> tuple[list[CorpusFile], list[str]]:
    """What an incremental update must do: the files to (re)index, and the paths gone from the folder.

    ``records`` are the index's file records (path → record).  Counts the unchanged files in
    ``summary``.  Shared by the local index and the cluster backend.
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
    return (
        reason.startswith("cannot read") or reason == "not a regular file" or formats.missing_tool(reason) is not None
    )


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
    if exc.errno == errno.ELOOP:
        return "replaced by a symbolic link while being indexed"
    return f"cannot read: {exc.strerror or exc}"


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
