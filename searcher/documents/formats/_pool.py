"""A small pool of worker processes that parse untrusted documents.

Each worker runs with an address-space limit (``RLIMIT_AS``); the parent waits
for an answer at most ``timeout_s``.  A worker that hangs is killed, one that
dies (a segfault in a C parser, the memory limit) is replaced, and either way
only the document it was reading is lost.  Workers are reused across files.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from searcher.documents.formats._model import DocumentSkipped, Extracted, Limits

# Set to "1" to let documents starting with ``%PDF-1.7\n%SEARCHER-TEST <action>``
# make the worker hang, crash, raise or allocate: how the tests simulate a bad
# parser.  Read in the parent on each call, so setting it late works.
TEST_HOOKS_ENV = "SEARCHER_FORMATS_TEST_HOOKS"
TEST_HOOK_PREFIX = b"%PDF-1.7\n%SEARCHER-TEST "

_MB = 1024 * 1024


_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


class _Worker:
    """One worker: a fresh ``python -m searcher.documents.formats._worker`` talking over two pipes.

    A new interpreter (not fork, not multiprocessing's spawn) so the worker
    inherits no threads or locks from an indexer or TUI and never re-imports
    the parent's ``__main__``.
    """

    def __init__(self, memory_mb: int) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p)
        try:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "searcher.documents.formats._worker",
                    str(to_child_r), str(from_child_w), str(memory_mb),
                ],
                pass_fds=(to_child_r, from_child_w),
                # Errors come back over the pipe; the caller's stdout and stderr are only the
                # build's to write (and a killed build's caller must not wait on a worker for them).
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
                close_fds=True,
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.memory_mb = memory_mb
        self.send_conn = Connection(to_child_w, readable=False)
        self.conn = Connection(from_child_r, writable=False)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> int | None:
        """Stop the worker for good; return its exit code (negative: the signal)."""
        for conn in (self.send_conn, self.conn):
            try:
                conn.close()
            except OSError:
                pass
        if self.process.poll() is None:
            self.process.kill()
        try:
            return self.process.wait(5)
        except subprocess.TimeoutExpired:
            return None

    def peak_rss(self) -> int:
        """Peak resident memory of a live worker in bytes (Linux), 0 when unknown."""
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
            worker = _Worker(limits.memory_mb)
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

    def run(
        self, kind: str, path: str, expected: str, limits: Limits, on_page: Callable[[int, int], None] | None = None
    ) -> Extracted:
        """Extract one document in a worker; raises :class:`DocumentSkipped`.

        ``on_page(page, pages)`` is called as the worker starts reading each
        page by OCR; from the first such page on, the worker may take up to
        ``limits.ocr_page_timeout_s`` more between messages (it times
        Tesseract out itself).
        """
        hooks = os.environ.get(TEST_HOOKS_ENV) == "1"
        worker = self._acquire(limits)
        keep = False
        try:
            try:
                worker.send_conn.send((kind, path, expected, limits, hooks))
                wait = limits.timeout_s
                while True:
                    if not worker.conn.poll(wait):
                        raise DocumentSkipped(f"took longer than {wait:g} s")
                    message = worker.conn.recv()
                    if message[0] != "page":
                        break
                    wait = limits.timeout_s + limits.ocr_page_timeout_s
                    if on_page is not None:
                        on_page(message[1], message[2])
                status, payload, peak = message
                self.peak_rss = max(self.peak_rss, peak)
            except (EOFError, OSError):
                with self._cond:
                    self.peak_rss = max(self.peak_rss, worker.peak_rss())
                try:
                    code = worker.process.wait(2)
                except subprocess.TimeoutExpired:
                    code = None
                raise DocumentSkipped(_death_reason(code, limits)) from None
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
