"""Run a command and watch the resident memory of its whole process tree.

Every ``interval`` seconds the tree under the child (its children, the
multiprocessing fork server, the writer sub-processes, ...) is found through
``/proc/<pid>/stat`` and the RSS of its members is summed.  The peak of that
sum is the honest memory figure for a build that forks: ``ru_maxrss`` only
gives the largest single process.  Shared pages are counted once per process,
so the sum is an upper bound.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field

PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Watched:
    returncode: int
    seconds: float  # wall time, process start to exit
    stdout: str
    stderr: str
    peak_tree_rss: int = 0  # bytes, the largest sum over the process tree
    peak_single_rss: int = 0  # bytes, the largest single process
    max_processes: int = 0  # the most processes seen at once
    samples: int = 0
    processes: dict = field(default_factory=dict)  # pid -> {"cmd", "peak_rss"}
    extra: dict = field(default_factory=dict)


def _parents() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        rest = data[data.rfind(b")") + 2 :].split()
        if len(rest) < 2:
            continue
        children.setdefault(int(rest[1]), []).append(int(name))
    return children


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            parts = f.read().split(b"\0")
    except OSError:
        return "?"
    return " ".join(p.decode("utf-8", "replace") for p in parts if p)[:120]


def tree(root: int) -> dict[int, int]:
    """RSS in bytes of ``root`` and each of its descendants, by pid."""
    children = _parents()
    stack, sizes = [root], {}
    while stack:
        pid = stack.pop()
        sizes[pid] = _rss(pid)
        stack.extend(children.get(pid, ()))
    return sizes


def tree_rss(root: int) -> tuple[int, int, int]:
    """(sum of RSS, largest RSS, process count) of ``root`` and its descendants."""
    sizes = tree(root)
    return sum(sizes.values()), max(sizes.values(), default=0), len(sizes)


def run_watched(cmd: list[str], interval: float = 0.05, env: dict | None = None, timeout: float | None = None) -> Watched:
    """Run ``cmd`` to completion, sampling its process tree's RSS every ``interval`` s."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True, encoding="utf-8")
    result = Watched(0, 0.0, "", "")
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            sizes = tree(proc.pid)
            result.samples += 1
            result.peak_tree_rss = max(result.peak_tree_rss, sum(sizes.values()))
            result.peak_single_rss = max(result.peak_single_rss, max(sizes.values(), default=0))
            result.max_processes = max(result.max_processes, len(sizes))
            for pid, rss in sizes.items():
                seen = result.processes.get(pid)
                if seen is None:
                    seen = result.processes[pid] = {"cmd": _cmdline(pid), "peak_rss": 0}
                seen["peak_rss"] = max(seen["peak_rss"], rss)
            stop.wait(interval)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        result.extra["timed_out"] = True
    result.seconds = time.perf_counter() - started
    stop.set()
    watcher.join()
    result.returncode = proc.returncode
    result.stdout, result.stderr = out, err
    return result


def run_timed(cmd: list[str], env: dict | None = None, timeout: float | None = None) -> tuple[float, subprocess.CompletedProcess]:
    """Wall time of one run of ``cmd`` (output captured)."""
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", env=env, timeout=timeout, check=False)
    return time.perf_counter() - started, done
