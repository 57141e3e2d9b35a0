"""The one place that touches Whoosh features beyond the 2.7 API.

``whoosh3`` (our pinned dependency) adds ``start_method=`` to the
multiprocessing writer; ``whoosh-reloaded==2.7.5`` (the documented fallback)
does not.  Everything else in ``searcher`` sticks to the 2.7 API, so swapping
the two needs no other change.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

__all__ = ["writer", "bulk_writer", "has_start_method", "BudgetExceeded", "search_deadline"]

WRITER_MEMORY_MB = 160
# Compound segment files get paged into memory whole when an index is opened
# (≈ the index size in RSS and ~0.1 s per 100k paragraphs); plain segment
# files are read on demand, so a one-shot search opens a large index in ~1 ms.
COMPOUND = False


def has_start_method() -> bool:
    """Whether the installed Whoosh's MpWriter accepts ``start_method=``."""
    try:
        import inspect

        from whoosh.multiproc import MpWriter

        return "start_method" in inspect.signature(MpWriter.__init__).parameters
    except Exception:
        return False


def writer(ix: Any, timeout: float = 0.0) -> Any:
    """A single-process writer (incremental updates, the TUI)."""
    return ix.writer(limitmb=WRITER_MEMORY_MB, timeout=timeout, compound=COMPOUND)


def bulk_writer(ix: Any, parallel: bool) -> Any:
    """A writer for a full build, using every core when ``parallel`` is true.

    Each sub-process writes its own segment (``multisegment=True``): merging
    them would cost about as much again as writing them.
    """
    procs = min(os.cpu_count() or 1, 4)
    if not parallel or procs < 2:
        return writer(ix)
    options: dict[str, Any] = {
        "procs": procs,
        "multisegment": True,
        "limitmb": WRITER_MEMORY_MB,
        "batchsize": 200,
        "compound": COMPOUND,
    }
    if has_start_method():
        options["start_method"] = "forkserver" if sys.platform.startswith("linux") else "spawn"
        writer_class = _watched_writer_class()
        if writer_class is not None:
            options.pop("procs")
            return writer_class(ix, procs=procs, **options)
        return ix.writer(**options)
    # whoosh-reloaded: no per-writer start method, so fork only from a thread-free process.
    if threading.active_count() > 1:
        return writer(ix)
    return ix.writer(**options)


def _watched_subwriter(parent_pid: int, *args: Any) -> None:
    """Run a Whoosh sub-writer that exits when the build process is gone.

    A ``kill -9`` of ``search-index`` would otherwise leave its writer
    processes blocked on the job queue for good.
    """

    def watch() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(3)
            except OSError:
                pass

    threading.Thread(target=watch, daemon=True).start()
    from whoosh.multiproc import _run_subwriter

    _run_subwriter(*args)


def _watched_writer_class() -> Any:
    """whoosh3's MpWriter, with sub-writers that die with the build and a queue that notices if they do."""
    try:
        from whoosh.multiproc import MpWriter, _run_subwriter  # noqa: F401
    except ImportError:
        return None

    from .errors import SearcherError

    class _LiveQueue:
        """The job queue as the parent sees it: ``put`` fails instead of blocking on dead workers."""

        def __init__(self, queue: Any, writer: Any) -> None:
            self.queue, self.writer = queue, writer

        def put(self, item: Any) -> None:
            import queue as queue_module

            while True:
                try:
                    self.queue.put(item, timeout=1.0)
                    return
                except queue_module.Full:
                    if not any(task.is_alive() for task in self.writer.tasks):
                        raise SearcherError(
                            "the index writer processes died (out of memory, or killed); the previous index is unchanged"
                        ) from None

        def __getattr__(self, name: str) -> Any:
            return getattr(self.queue, name)

    class WatchedMpWriter(MpWriter):  # type: ignore[misc, valid-type]
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

    return WatchedMpWriter


class BudgetExceeded(Exception):
    """Raised inside a Whoosh matcher when a search has used up its time budget."""


_budget = threading.local()


def _install_block_check() -> bool:
    """Make posting readers check the current thread's search deadline at each block.

    A collector only sees documents that match; an intersection of long posting
    lists can walk thousands of postings between two matches.  Checking once
    per block (128 postings) bounds that walk at negligible cost.  Returns
    False, leaving Whoosh untouched, if its internals are not the expected ones.
    """
    try:
        from whoosh.codec.whoosh3 import W3LeafMatcher
    except ImportError:
        return False
    original = getattr(W3LeafMatcher, "_goto", None)
    if original is None:
        return False
    if getattr(original, "_searcher_budget", False):
        return True

    def _goto(self: Any, position: int) -> None:
        deadline = getattr(_budget, "deadline", None)
        if deadline is not None:
            cancelled = _budget.cancelled
            if time.perf_counter() > deadline or (cancelled is not None and cancelled()):
                raise BudgetExceeded
        original(self, position)

    _goto._searcher_budget = True  # type: ignore[attr-defined]
    W3LeafMatcher._goto = _goto
    return True


_install_block_check()


@contextmanager
def search_deadline(deadline: float, cancelled: Callable[[], bool] | None = None) -> Iterator[None]:
    """Within this block, Whoosh posting reads in this thread stop at ``deadline``."""
    _budget.deadline, _budget.cancelled = deadline, cancelled
    try:
        yield
    finally:
        _budget.deadline = _budget.cancelled = None
