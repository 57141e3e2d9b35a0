"""A small pool of worker processes that parse untrusted documents.

Each worker runs with an address-space limit (``RLIMIT_AS``); the parent waits
for an answer at most ``timeout_s``.  A worker that hangs is killed, one that
dies (a segfault in a C parser, the memory limit) is replaced, and either way
only the document it was reading is lost.  Workers are reused across files.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import signal
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from ._model import DocumentSkipped, Extracted, Limits

# Set to "1" to let documents starting with ``%PDF-1.7\n%SEARCHER-TEST <action>``
# make the worker hang, crash, raise or allocate: how the tests simulate a bad
# parser.  Read in the parent on each call, so setting it late works.
TEST_HOOKS_ENV = "SEARCHER_FORMATS_TEST_HOOKS"
TEST_HOOK_PREFIX = b"%PDF-1.7\n%SEARCHER-TEST "

_MB = 1024 * 1024


def _context() -> Any:
    # forkserver: workers are forked from a clean single-threaded server, not
    # from an indexer or TUI that may hold threads and locks.
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["searcher.formats._worker"])
        return ctx
    return multiprocessing.get_context("spawn")


class _Worker:
    def __init__(self, ctx: Any, memory_mb: int) -> None:
        from ._worker import main

        parent, child = ctx.Pipe()
        self.memory_mb = memory_mb
        self.process = ctx.Process(target=main, args=(child, memory_mb), daemon=True, name="searcher-formats")
        self.process.start()
        child.close()
        self.conn: Connection = parent
        self.served = 0

    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> int | None:
        """Stop the worker for good; return its exit code (negative: the signal)."""
        try:
            self.conn.close()
        except OSError:
            pass
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        return self.process.exitcode

    def peak_rss(self) -> int:
        """Peak resident memory of the worker in bytes (Linux), 0 when unknown."""
        try:
            with open(f"/proc/{self.process.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0


class WorkerPool:
    """Up to ``size`` reusable worker processes; thread-safe."""

    def __init__(self, size: int = 2) -> None:
        self.size = max(1, size)
        self._ctx = _context()
        self._idle: list[_Worker] = []
        self._count = 0
        self._cond = threading.Condition()
        self.started = 0  # workers started so far (tests check reuse and restarts)
        self.peak_rss = 0  # highest peak resident memory (bytes) any worker reported

    def _acquire(self, limits: Limits) -> _Worker:
        with self._cond:
            while True:
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive() and worker.memory_mb == limits.memory_mb:
                        return worker
                    self._retire(worker)
                if self._count < self.size:
                    self._count += 1
                    break
                self._cond.wait()
        try:
            worker = _Worker(self._ctx, limits.memory_mb)
        except BaseException:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise
        self.started += 1
        return worker

    def _retire(self, worker: _Worker) -> int | None:
        """Kill a worker and free its slot (the caller holds the lock or owns the worker)."""
        self.peak_rss = max(self.peak_rss, worker.peak_rss())
        code = worker.kill()
        self._count -= 1
        return code

    def _release(self, worker: _Worker, keep: bool) -> None:
        with self._cond:
            self.peak_rss = max(self.peak_rss, worker.peak_rss())
            if keep and worker.alive():
                self._idle.append(worker)
            else:
                self._retire(worker)
            self._cond.notify()

    def run(self, kind: str, path: str, expected: str, limits: Limits) -> Extracted:
        """Extract one document in a worker; raises :class:`DocumentSkipped`."""
        hooks = os.environ.get(TEST_HOOKS_ENV) == "1"
        worker = self._acquire(limits)
        keep = False
        try:
            try:
                worker.conn.send((kind, path, expected, limits, hooks))
                if not worker.conn.poll(limits.timeout_s):
                    raise DocumentSkipped(f"took longer than {limits.timeout_s:g} s")
                status, payload, peak = worker.conn.recv()
                self.peak_rss = max(self.peak_rss, peak)
            except (EOFError, OSError):
                with self._cond:
                    self.peak_rss = max(self.peak_rss, worker.peak_rss())
                worker.process.join(2)
                code = worker.process.exitcode
                raise DocumentSkipped(_death_reason(code, limits)) from None
            worker.served += 1
            if status == "ok":
                keep = True
                return payload  # type: ignore[no-any-return]
            # "skip": the worker stays unless it said it is no longer trustworthy.
            reason, healthy = payload
            keep = healthy
            raise DocumentSkipped(reason)
        finally:
            self._release(worker, keep)

    def close(self) -> None:
        """Stop every idle worker (busy ones stop when their document is done)."""
        with self._cond:
            while self._idle:
                self._retire(self._idle.pop())


def _death_reason(code: int | None, limits: Limits) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"parser crashed ({name})"
    return "parser crashed"


_default: WorkerPool | None = None
_default_lock = threading.Lock()


def default_pool(limits: Limits) -> WorkerPool:
    """The process-wide pool, created on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = WorkerPool(limits.workers)
            atexit.register(_default.close)
        return _default


def shutdown() -> None:
    """Stop the process-wide pool's workers (they are restarted on the next document)."""
    global _default
    with _default_lock:
        if _default is not None:
            _default.close()
            _default = None
