"""Keeping an index current while its folder changes (``search-index --watch``).

Changes are noticed with ``watchfiles`` (inotify on Linux).  A burst of
changes (a thousand files copied in) is gathered for at most
:data:`DEBOUNCE_MS` and turned into one incremental build; changes that
arrive while a build runs make the next one.  When the system's limit on
watched folders is reached, it says so and polls instead.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from searcher.cli.presentation import visible
from searcher.errors import SearcherError

__all__ = ["DEBOUNCE_MS", "watch", "is_watch_limit"]

DEBOUNCE_MS = 300  # longest wait to gather a burst of changes into one update
STEP_MS = 50  # a quiet spell this long ends a burst
POLL_DELAY_MS = 300


def is_watch_limit(exc: BaseException) -> bool:
    """Whether ``exc`` says the system's limit on watched folders (inotify watches) is reached."""
    text = str(exc).lower()
    return "watch limit" in text or "max_user_watches" in text or getattr(exc, "errno", None) == 28


def watch(
    corpus: str | os.PathLike[str],
    index: str | os.PathLike[str],
    *,
    wait: float = 5.0,
    quiet: bool = False,
    json_lines: bool = False,
    stop_event: Any = None,
    force_polling: bool | None = None,
    on_update: Callable[[Any], None] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Update the index at ``index`` whenever files under ``corpus`` change, until ``stop_event`` is set
    or Ctrl-C.  Returns the exit code (0).  Each update's summary goes to ``on_update`` and, unless
    ``quiet``, one line (or a JSON object with ``json_lines``) to ``out``.
    """
    from watchfiles import watch as watch_changes

    from searcher.documents import formats
    from searcher.index.build import build_index

    out = out or sys.stdout
    err = err or sys.stderr
    corpus_real = os.path.realpath(corpus)
    index_real = os.path.realpath(index)

    def wanted(_change: Any, path: str) -> bool:
        real = os.path.realpath(path)
        if real == index_real or real.startswith(index_real + os.sep):
            return False  # our own writes
        relative = os.path.relpath(path, corpus_real)
        parts = relative.split(os.sep)
        return not any(p.startswith(".") and p != ".searchignore" for p in parts)

    def update(changes: set[Any]) -> None:
        started = time.monotonic()
        try:
            summary = build_index(corpus, index, wait=wait, keep_workers=True)
        except SearcherError as exc:  # busy (another build), unreadable folder: try at the next change
            print(f"search-index: warning: {visible(str(exc))}", file=err, flush=True)
            return
        for skipped in summary.skipped:
            if not skipped.get("unchanged"):  # named when it was first skipped
                reason = f"{visible(skipped['path'])}: {visible(skipped['reason'])}"
                print(f"search-index: warning: skipped {reason}", file=err)
        if on_update is not None:
            on_update(summary)
        if quiet:
            return
        if json_lines:
            import json

            print(json.dumps(summary.to_dict(), ensure_ascii=False), file=out, flush=True)
        else:
            print(
                f"{time.strftime('%H:%M:%S')} {len(changes)} changes: {summary.added} added, "
                f"{summary.updated} updated, {summary.removed} removed; {summary.paragraphs} paragraphs; "
                f"{time.monotonic() - started:.2f} s",
                file=out,
                flush=True,
            )

    if not quiet:
        print(f"watching {corpus} (Ctrl-C stops)", file=err, flush=True)
    polling = force_polling
    try:
        while True:
            try:
                for changes in watch_changes(
                    os.fspath(corpus),
                    watch_filter=wanted,
                    debounce=DEBOUNCE_MS,
                    step=STEP_MS,
                    stop_event=stop_event,
                    force_polling=polling,
                    poll_delay_ms=POLL_DELAY_MS,
                    raise_interrupt=False,
                ):
                    update(changes)
                return 0
            except Exception as exc:
                if polling or not is_watch_limit(exc):
                    raise
                print(
                    "search-index: warning: the system's limit on watched folders is reached "
                    "(raise fs.inotify.max_user_watches); polling for changes instead",
                    file=err,
                    flush=True,
                )
                polling = True
                update(set())  # changes may have been missed meanwhile
    finally:
        formats.shutdown()
