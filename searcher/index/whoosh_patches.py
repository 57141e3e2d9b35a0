"""Every place where searcher works around, or reaches inside, Whoosh (the pinned ``whoosh3==3.54.0``).

Each workaround says which Whoosh behaviour it exists for.  Nothing else in
``searcher`` patches or subclasses Whoosh; the rest sticks to its public API.

- :class:`FreshReaderIndex`: ``Searcher.refresh()`` kept stale segments.
- :func:`numeric_column`: a whole column read in one piece, not value by value.
- :func:`bulk_writer`: the multiprocess writer, with sub-writers that die with
  the build, a job queue that notices dead workers, a ``cancel()`` that really
  stops them, and start-up that works under a captured ``sys.stderr`` (Textual).
- :func:`pool_writer_class`: whoosh3's ``SegmentWriter`` accepts ``poolclass=``
  and ignores it; this one uses it (the codec's :class:`~searcher.index.codec.ArrayPool`).
  None of its helper processes (multiprocessing's fork server and resource
  tracker, the sub-writers) holds the caller's stdout or stderr: a caller that
  reads them to the end (``capture_output=True``) is never kept waiting by a
  helper outliving a killed build, and only the build process speaks.

:func:`installed` tells whether each patch took; a test fails loudly when a
Whoosh upgrade leaves one out.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import time
from typing import Any

from whoosh import index as whoosh_index

from searcher.errors import IndexUnusable, SearcherError

__all__ = [
    "writer",
    "bulk_writer",
    "FreshReaderIndex",
    "installed",
]

WRITER_MEMORY_MB = 160
# Compound segment files get paged into memory whole when an index is opened
# (≈ the index size in RSS and ~0.1 s per 100k paragraphs); plain segment
# files are read on demand, so a one-shot search opens a large index in ~1 ms.
COMPOUND = False
# How long a cancelled build waits for a writer process before killing it.
CANCEL_GRACE = 2.0


# -- reading ---------------------------------------------------------------------------


def _folder(storage: Any) -> str:
    """Where an index's files are (a ``FileStorage``'s folder), for messages."""
    return str(getattr(storage, "folder", storage))


class FreshReaderIndex(whoosh_index.FileIndex):
    """A Whoosh index whose ``reader(reuse=...)`` always reads the current TOC afresh.

    Works around whoosh3 3.54's ``FileIndex._reader``, which appends the
    *reused* reader's segments to the new ones: ``Searcher.refresh()`` after an
    incremental commit returned the old versions of updated and deleted
    documents beside the new ones.  Opening a reader costs about a millisecond
    with plain segment files.  Damage found on opening (a missing or truncated
    segment file) is an :class:`IndexUnusable` that names the fix, never a raw
    Whoosh exception.
    """

    def reader(self, reuse: Any = None) -> Any:
        for _attempt in range(5):
            try:
                fresh = super().reader()
                break
            except FileNotFoundError:
                # An incremental commit finished between Whoosh reading the
                # newest TOC's number and opening it (it deletes the older
                # TOC): read the number again.
                time.sleep(0.01)
            except Exception as exc:  # FileFormatError, OSError, struct.error, ...
                raise IndexUnusable(
                    f"index at {_folder(self.storage)} is damaged ({type(exc).__name__}: {exc}); "
                    "rebuild it with: search-index --full"
                ) from None
        else:
            try:
                fresh = super().reader()
            except Exception as exc:
                raise IndexUnusable(
                    f"index at {_folder(self.storage)} is damaged ({type(exc).__name__}: {exc}); "
                    "rebuild it with: search-index --full"
                ) from None
        if reuse is not None:
            try:
                reuse.close()  # the searcher being refreshed is discarded by its caller
            except Exception:
                pass
        return fresh


# -- writing ---------------------------------------------------------------------------


def _writer_args() -> dict[str, Any]:
    """What every segment writer of ours gets: the array codec and its pool (see :mod:`searcher.index.codec`)."""
    from searcher.index.codec import ArrayCodec, ArrayPool

    return {"codec": ArrayCodec(), "poolclass": ArrayPool, "limitmb": WRITER_MEMORY_MB, "compound": COMPOUND}


@functools.cache
def pool_writer_class() -> Any:
    """whoosh3's ``SegmentWriter``, with its ``poolclass=`` argument honoured."""
    from whoosh.util.text import utf8encode
    from whoosh.writing import SegmentWriter

    class PoolSegmentWriter(SegmentWriter):
        """whoosh3 3.54's ``SegmentWriter`` with two changes for pools that take a document's terms at once.

        - ``__init__`` takes ``poolclass`` and always makes a ``PostingPool``:
          this one makes the pool it is given.
        - ``add_document`` hands the pool each posting as a tuple, through a
          Python call: a field with ``index_counts`` (the syllable fields) gives
          its terms and counts to the pool's ``add_counts`` in one call instead
          (the per-posting loop was the larger part of a build's time).
          Everything else is whoosh3's ``add_document`` as it is.
        """

        def __init__(self, ix: Any, poolclass: Any = None, **kwargs: Any) -> None:
            super().__init__(ix, **kwargs)
            if poolclass is not None:
                self.pool.cleanup()
                self.pool = poolclass(self._tempstorage, self.newsegment, limitmb=kwargs.get("limitmb", 128))

        def add_document(self, **fields: Any) -> None:
            self._check_state()
            perdocwriter = self.perdocwriter
            schema = self.schema
            docnum = self.docnum
            add_post = self.pool.add
            add_counts = getattr(self.pool, "add_counts", None)

            docboost = self._doc_boost(fields)
            fieldnames = sorted([name for name in fields if not name.startswith("_")])
            self._check_fields(schema, fieldnames)

            perdocwriter.start_doc(docnum)
            try:
                for fieldname in fieldnames:
                    value = fields.get(fieldname)
                    if value is None:
                        continue
                    field = schema[fieldname]

                    length = 0
                    if field.indexed:
                        fieldboost = self._field_boost(fields, fieldname, docboost)
                        index_counts = getattr(field, "index_counts", None)
                        if add_counts is not None and index_counts is not None and fieldboost == 1.0:
                            terms, counts = index_counts(value)
                            if field.scorable:
                                length = sum(counts)
                            add_counts(fieldname, docnum, terms, counts)
                        else:
                            scorable = field.scorable
                            for tbytes, freq, weight, vbytes in field.index(value):
                                if scorable:
                                    length += freq
                                add_post((fieldname, tbytes, docnum, weight * fieldboost, vbytes))

                    if field.separate_spelling():
                        spellfield = field.spelling_fieldname(fieldname)
                        for word in field.spellable_words(value):
                            add_post((spellfield, utf8encode(word)[0], 0, 1, None))

                    vformat = field.vector
                    if vformat:
                        vitems = vformat.word_values(value, field.analyzer, mode="index")
                        vitems = sorted((text, weight, vbytes) for text, _, weight, vbytes in vitems)
                        perdocwriter.add_vector_items(fieldname, field, vitems)

                    customval = fields.get(f"_stored_{fieldname}", value)
                    perdocwriter.add_field(fieldname, field, customval if field.stored else None, length)

                    column = field.column_type
                    if column and customval is not None:
                        perdocwriter.add_column_value(fieldname, column, field.to_column_value(customval))
            except ValueError:
                perdocwriter.cancel_doc()
                raise

            perdocwriter.finish_doc()
            self._added = True
            self.docnum += 1

    return PoolSegmentWriter


def writer(ix: Any, timeout: float = 0.0) -> Any:
    """A single-process writer (incremental updates, small builds)."""
    return pool_writer_class()(ix, timeout=timeout, **_writer_args())


def bulk_writer(ix: Any, parallel: bool) -> Any:
    """A writer for a full build, using every core when ``parallel`` is true.

    Each sub-process writes its own segment (``multisegment=True``): merging
    them would cost about as much again as writing them.  Works from any
    thread, including a Textual worker (see :func:`_start_helpers`).
    """
    procs = min(os.cpu_count() or 1, 4)
    if not parallel or procs < 2:
        return writer(ix)
    start_method = "forkserver" if sys.platform.startswith("linux") else "spawn"
    _start_helpers(start_method)
    return watched_writer_class()(
        ix,
        procs=procs,
        multisegment=True,
        batchsize=200,
        start_method=start_method,
        **_writer_args(),
    )


_helpers_lock = threading.Lock()


def _start_helpers(start_method: str) -> None:
    """Start multiprocessing's resource tracker (and fork server) with stdin, stdout and stderr on ``/dev/null``.

    multiprocessing starts both with ``util.spawnv_passfds``, which leaves
    them the caller's stdout and stderr.  After a ``kill -9`` of a build they
    (and the sub-writers forked from the fork server) lived on holding those,
    and a caller reading the output to the end (``subprocess.run(...,
    capture_output=True)``) hung; a sub-writer that failed (a full disk)
    printed a 36-line traceback before the build's one-line error.  Both now
    start through :func:`_quiet_spawnv_passfds`: only the build process speaks.

    The resource tracker also passes ``sys.stderr.fileno()``: inside a Textual
    app ``sys.stderr`` is a capture object whose ``fileno()`` is -1, and
    ``fork_exec`` then failed with "bad value(s) in fds_to_keep" (every build
    of 64 files or more from the TUI failed that way).  Once started, both
    helpers are reused for the life of the process.
    """
    from multiprocessing import forkserver, resource_tracker, util

    with _helpers_lock:
        saved = sys.stderr
        spawn = util.spawnv_passfds
        try:
            if _fileno(saved) < 0:
                sys.stderr = sys.__stderr__ if _fileno(sys.__stderr__) >= 0 else open(os.devnull, "w")  # noqa: SIM115 (closed in the finally below)
            util.spawnv_passfds = _quiet_spawnv_passfds  # type: ignore[assignment]
            resource_tracker.ensure_running()
            if start_method == "forkserver":
                forkserver.ensure_running()
        finally:
            util.spawnv_passfds = spawn
            if sys.stderr is not saved:
                if sys.stderr is not sys.__stderr__:
                    sys.stderr.close()
                sys.stderr = saved


# The helpers started by _quiet_spawnv_passfds: kept, so that no Popen is garbage-collected
# and then reaped by subprocess behind multiprocessing's back (it waits for them itself).
_helper_processes: list[Any] = []


def _quiet_spawnv_passfds(path: str, args: list[str], passfds: Any) -> int:
    """``multiprocessing.util.spawnv_passfds`` with stdin, stdout and stderr on ``/dev/null``."""
    import subprocess

    keep = tuple(sorted({int(fd) for fd in passfds if int(fd) > 2}))
    process = subprocess.Popen(
        list(args),
        executable=path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=keep,
        close_fds=True,
    )
    _helper_processes.append(process)
    return process.pid


def _fileno(stream: Any) -> int:
    try:
        return int(stream.fileno())
    except Exception:
        return -1


def _process_start(pid: int) -> bytes | None:
    """A process's start time (``/proc/PID/stat``), or None when it is gone or a zombie (or no ``/proc``)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] in (b"Z", b"X") else fields[19]


def _parent_gone(parent_pid: int, started: bytes | None) -> bool:
    """Whether the build process is gone: dead, killed but not reaped yet (a zombie), or its pid reused."""
    if started is not None:
        return _process_start(parent_pid) != started
    try:
        os.kill(parent_pid, 0)  # no /proc: a zombie still counts as alive here
    except ProcessLookupError:
        return True
    except OSError:
        pass
    return False


def _watched_subwriter(parent_pid: int, *args: Any) -> None:
    """Run a Whoosh sub-writer that exits within about half a second once the build process is gone.

    A ``kill -9`` of ``search-index`` would otherwise leave its writer
    processes blocked on the job queue for good.  A killed build is a zombie
    until its caller reaps it, and a caller reading its output to the end
    reaps it only after the output closes: a zombie parent is a gone parent.
    An error (a full disk) is the build's to report: this process's stderr
    is ``/dev/null`` (see :func:`_start_helpers`), and the build notices the
    sub-writer's exit.
    """
    started = _process_start(parent_pid)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if _parent_gone(parent_pid, started):
                os._exit(3)

    threading.Thread(target=watch, daemon=True).start()
    from whoosh import multiproc

    # whoosh3's sub-writer task makes a plain SegmentWriter, which ignores ``poolclass``:
    # this process is a sub-writer and nothing else, so its module's name can be re-pointed.
    multiproc.SegmentWriter = pool_writer_class()  # type: ignore[misc]  # re-pointing the class is the point
    try:
        multiproc._run_subwriter(*args)
    except OSError as exc:  # the build says it, in one line: a full disk, a read-only one...
        os._exit(_EXIT_ERRNO + exc.errno if exc.errno and 0 < exc.errno < 256 - _EXIT_ERRNO else 1)
    except MemoryError:
        os._exit(_EXIT_MEMORY)


# How a sub-writer tells the build why it failed (its stderr is /dev/null): its exit code.
_EXIT_MEMORY = 63
_EXIT_ERRNO = 64  # + errno


def _writers_failed(tasks: list[Any]) -> BaseException:
    """Stop the sub-writers still running and say, in one line, why one of them ended."""
    for task in tasks:
        if task.is_alive():
            task.kill()  # it may wait for good on a queue lock that a killed one held
    codes = [task.exitcode for task in tasks if task.exitcode not in (None, 0)]
    for code in codes:
        if code > _EXIT_ERRNO:
            import errno as errno_module

            number = code - _EXIT_ERRNO
            if number in errno_module.errorcode:
                return OSError(number, os.strerror(number))
        if code == _EXIT_MEMORY:
            return SearcherError("an index writer process ran out of memory; the previous index is unchanged")
    how = "was killed" if any(code is not None and code < 0 for code in codes) else "failed"
    return SearcherError(
        f"the new index lost documents (an index writer process {how}); "
        "the index in place is unchanged: run search-index --full again"
    )


def _join_watching(task: Any, tasks: list[Any]) -> None:
    """``task.join()`` that gives up, with the reason, when any sub-writer has failed.

    whoosh3 joins its sub-writers one after the other; one killed while it
    held the job queue's lock left the others waiting on that lock, and the
    build waiting on them, for good.
    """
    while True:
        type(task).join(task, 0.2)
        if task.exitcode is not None:
            if task.exitcode != 0:
                raise _writers_failed(tasks)
            return
        if any(other.exitcode not in (None, 0) for other in tasks):
            raise _writers_failed(tasks)


class _LiveQueue:
    """The job queue as the parent sees it: ``put`` fails instead of blocking on dead workers.

    It fails as soon as one has failed: the build has lost its part anyway, and
    one killed while it held the queue's lock leaves the others unable to read.
    """

    def __init__(self, queue: Any, writer: Any) -> None:
        self.queue, self.writer = queue, writer

    def put(self, item: Any) -> None:
        import queue as queue_module

        while True:
            try:
                self.queue.put(item, timeout=1.0)
                return
            except queue_module.Full:
                tasks = self.writer.tasks
                if not any(task.is_alive() for task in tasks) or any(task.exitcode not in (None, 0) for task in tasks):
                    raise _writers_failed(tasks) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.queue, name)


@functools.cache
def watched_writer_class() -> Any:
    """whoosh3's ``MpWriter`` with the fixes below (built on first use: importing
    ``whoosh.multiproc`` costs start-up time that a one-shot search does not need)."""
    from whoosh.multiproc import MpWriter
    from whoosh.writing import SegmentWriter

    class WatchedMpWriter(MpWriter):
        """whoosh3's ``MpWriter`` with four fixes.

        - Sub-writers exit when the build process dies (``kill -9``), instead of
          waiting on the job queue forever.
        - ``commit()`` stops waiting when a sub-writer failed (killed, a full
          disk), and says why, instead of waiting forever on the others.
        - ``put`` on the job queue fails when every sub-writer has died, instead
          of blocking the build.
        - ``cancel()`` ends the sub-writers.  whoosh3's ``MpWriter.cancel()`` only
          cancels tasks that have a ``.cancel`` method, which processes made from
          an explicit start method do not: they stayed blocked on the job queue,
          and their queues' semaphores leaked.
        """

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._raw_jobqueue = self.jobqueue
            self.jobqueue = _LiveQueue(self.jobqueue, self)

        def _new_task(self) -> Any:
            args = (
                os.getpid(),
                self.storage,
                self.indexname,
                self._raw_jobqueue,
                self.resultqueue,
                self.subargs,
                self.multisegment,
            )
            task = self._mpctx.Process(target=_watched_subwriter, args=args)
            self.tasks.append(task)
            task.start()
            return task

        def _commit(self, mergetype: Any, optimize: Any, merge: Any) -> None:
            tasks = list(self.tasks)
            for task in tasks:  # whoosh3 joins them in its _commit: see _join_watching
                task.join = functools.partial(_join_watching, task, tasks)
            try:
                super()._commit(mergetype, optimize, merge)
            finally:
                for task in tasks:
                    del task.join  # cancel() joins with a timeout

        def cancel(self, **kwargs: Any) -> None:
            try:
                for task in self.tasks:
                    if task.is_alive():
                        task.terminate()
                deadline = time.monotonic() + CANCEL_GRACE
                for task in self.tasks:
                    task.join(max(0.0, deadline - time.monotonic()))
                    if task.is_alive():
                        task.kill()
                        task.join(1.0)
                    task.close()
                self.tasks = []
                for queue in (self._raw_jobqueue, self.resultqueue):
                    queue.cancel_join_thread()  # items left for dead readers must not block exit
                    queue.close()
                self.jobqueue = self._raw_jobqueue = self.resultqueue = None
                self._remove_job_files()
            finally:
                SegmentWriter.cancel(self)

        def _remove_job_files(self) -> None:
            """Delete the ``.doclist`` batches that no sub-writer will read now."""
            try:
                storage = self.temp_storage()
                for name in list(storage.list()):
                    if name.endswith(".doclist"):
                        storage.delete_file(name)
            except Exception:
                pass  # only temporary files of a build that is being thrown away

    return WatchedMpWriter


# -- reading a whole column ----------------------------------------------------------------


def numeric_column(reader: Any, fieldname: str, default: int) -> Any:
    """Every document's value of a 4-byte ``NumericColumn`` field, as one numpy array in docnum order
    (``default`` for documents without one, deleted documents included).

    Whoosh reads a column one value at a time through Python; this reads each
    segment's column file in one piece (``FixedBytesColumn.Reader``'s
    ``_dbfile``, ``_basepos`` and ``_count``), which is what makes mapping the
    postings' pids to documents cost about a millisecond per 100,000
    paragraphs.  Falls back to Whoosh's own reads if those internals change
    (see :func:`installed`).
    """
    import numpy as np

    values = np.full(reader.doc_count_all(), default, dtype=np.int64)
    for leaf, offset in reader.leaf_readers():
        size = leaf.doc_count_all()
        if not leaf.has_column(fieldname):
            continue
        column = leaf.column_reader(fieldname, translate=False)
        raw = _raw_column(column)
        if raw is not None:
            values[offset : offset + len(raw)] = raw
        else:
            values[offset : offset + size] = [column[i] for i in range(size)]
    return values


def _raw_column(column: Any) -> Any:
    import numpy as np

    try:
        fixed, count, start, dbfile = column._fixedlen, column._count, column._basepos, column._dbfile
    except AttributeError:
        return None
    if fixed != 4 or getattr(column, "_typecode", None) != "I":
        return None
    return np.frombuffer(dbfile.get(start, fixed * count), dtype=">u4")  # packed "!I"


def _raw_column_readable() -> bool:
    """Whether :func:`numeric_column` can read a column file in one piece (else it reads value by value)."""
    from whoosh.columns import NumericColumn
    from whoosh.filedb.structfile import BufferFile

    column = NumericColumn("I").reader(BufferFile(b"\x00\x00\x00\x07"), 0, 4, 1)
    raw = _raw_column(column)
    return raw is not None and raw.tolist() == [7]


def installed() -> dict[str, bool]:
    """Whether each workaround found the Whoosh internals it relies on.

    A Whoosh upgrade that renames them turns a patch off; the test suite
    asserts every value is True so that this never happens silently.
    """
    from whoosh.multiproc import MpWriter

    def has_param(function: Any, name: str) -> bool:
        import inspect

        try:
            return name in inspect.signature(function).parameters
        except (TypeError, ValueError):
            return False

    return {
        "mp_writer_start_method": has_param(MpWriter.__init__, "start_method"),
        "mp_writer_internals": all(
            hasattr(MpWriter, name) for name in ("_new_task", "_enqueue", "cancel", "temp_storage", "_commit")
        ),
        "fresh_reader": hasattr(whoosh_index.FileIndex, "reader"),
        "raw_column": _raw_column_readable(),
        "quiet_helpers": _spawns_through_util(),
    }


def _spawns_through_util() -> bool:
    """Whether multiprocessing still starts its fork server and resource tracker with
    ``util.spawnv_passfds`` (what :func:`_start_helpers` swaps for a quiet one)."""
    import inspect
    from multiprocessing import forkserver, resource_tracker

    try:
        sources = inspect.getsource(forkserver), inspect.getsource(resource_tracker)
    except (OSError, TypeError):
        return False
    return all("util.spawnv_passfds(" in source for source in sources)
