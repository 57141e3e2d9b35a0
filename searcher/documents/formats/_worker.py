"""The worker process: parse documents sent by the parent, under a memory limit."""

from __future__ import annotations

import os
import resource
import signal
import time
from multiprocessing.connection import Connection
from typing import Any

from searcher.documents.formats._model import DocumentSkipped, Limits

_MB = 1024 * 1024


def _limit_memory(memory_mb: int) -> None:
    limit = memory_mb * _MB
    try:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):
        pass  # not permitted here; the timeout still bounds the damage


def _test_hook(path: str) -> None:
    from searcher.documents.formats._pool import TEST_HOOK_PREFIX

    with open(path, "rb") as stream:
        head = stream.read(64)
    if not head.startswith(TEST_HOOK_PREFIX):
        return
    action = head[len(TEST_HOOK_PREFIX):].split()[0].decode("ascii", "replace")
    if action == "hang":
        while True:
            time.sleep(60)
    elif action == "crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    elif action == "raise":
        raise RuntimeError("simulated parser bug")
    elif action == "alloc":
        hog = []
        while True:
            hog.append(bytearray(64 * _MB))


def _extract(kind: str, path: str, expected: str, limits: Limits, hooks: bool) -> Any:
    if hooks:
        _test_hook(path)
    if kind == "pdf":
        from searcher.documents.formats._binary import extract_pdf

        collector = extract_pdf(path, limits)
    elif kind == "zip":
        from searcher.documents.formats._binary import extract_zip

        collector = extract_zip(path, expected, limits)
    elif kind == "image":
        from searcher.documents.formats._ocr import extract_image

        collector = extract_image(path, limits)
    else:
        from searcher.documents.formats import _office

        if kind in ("sheet", "sheet-zip"):
            collector = _office.extract_sheet(path, kind == "sheet-zip", limits)
        else:
            collector = {"pptx": _office.extract_pptx, "rtf": _office.extract_rtf, "doc": _office.extract_doc,
                         "ppt": _office.extract_ppt}[kind](path, limits)
    return collector.finish()


def _exit_with_parent(requests: Connection) -> None:
    """Exit as soon as the parent's end of the request pipe closes (it died), even mid-document.

    The parent's timeout no longer bounds a parse then, and a killed build's
    caller may be waiting for every process of the build to be gone.
    """
    import select
    import threading

    poller = select.poll()
    poller.register(requests.fileno(), 0)  # only what is always reported: POLLHUP, POLLERR, POLLNVAL

    def watch() -> None:
        while True:
            if poller.poll():
                os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def main(requests: Connection, conn: Connection, memory_mb: int) -> None:
    """Serve requests ``(kind, path, expected, limits, hooks)`` until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle
    _exit_with_parent(requests)
    _limit_memory(memory_mb)
    from searcher.documents.formats import _ocr

    # The parent hears of each page read by OCR: its progress shows them, and it waits longer.
    _ocr.report_page = lambda page, pages: conn.send(("page", page, pages))
    while True:
        try:
            kind, path, expected, limits, hooks = requests.recv()
        except (EOFError, OSError):
            return
        healthy = True
        try:
            reply: tuple[str, Any] = ("ok", _extract(kind, path, expected, limits, hooks))
        except DocumentSkipped as exc:
            reply = ("skip", (exc.reason, True))
        except MemoryError:
            # The heap may be in a poor state after this: answer, then let the parent replace us.
            healthy = False
            reply = ("skip", (f"would need more than {memory_mb} MB of memory", False))
        except RecursionError:
            reply = ("skip", ("damaged: nested too deeply", True))
        except OSError as exc:
            reply = ("skip", (f"cannot read: {exc.strerror or exc}", True))
        except Exception as exc:  # a parser bug on a strange file costs that file only
            reply = ("skip", (f"parser crashed ({type(exc).__name__}: {str(exc)[:200]})", True))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
        try:
            conn.send((*reply, peak))
        except MemoryError:
            conn.send(("skip", (f"would need more than {memory_mb} MB of memory", False), peak))
            healthy = False
        if not healthy:
            return


if __name__ == "__main__":
    import sys

    # Anything a library prints must not land in the parent's terminal as noise.
    os.dup2(2, 1)
    _in, _out, _memory = (int(arg) for arg in sys.argv[1:4])
    main(Connection(_in, writable=False), Connection(_out, readable=False), _memory)
