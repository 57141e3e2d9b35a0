"""The Whoosh workarounds: each one installed, and the parallel writer usable from any thread and cancellable."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import CORPUS, clean_env
from searcher.index import whoosh_patches


def test_every_patch_is_installed() -> None:
    # A Whoosh upgrade that renames what a patch relies on must fail here,
    # not silently turn the reader or writer fixes off.
    assert whoosh_patches.installed() == dict.fromkeys(whoosh_patches.installed(), True)
    assert set(whoosh_patches.installed()) == {
        "mp_writer_start_method",
        "mp_writer_internals",
        "fresh_reader",
        "raw_column",
        "quiet_helpers",
    }


def many_files(root: Path, count: int = 100) -> Path:
    """A corpus of ``count`` files: enough for the parallel writer (64 or more)."""
    corpus = root / "corpus"
    corpus.mkdir()
    texts = [p.read_text("utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    for i in range(count):
        (corpus / f"f{i:03d}.txt").write_text(texts[i % len(texts)] + f"\n\nđoạn riêng số {i} của tệp\n", "utf-8")
    return corpus


# The checks run in a fresh interpreter each, as ``python -c`` (no main module
# for the fork server to re-import): the resource tracker reports leaked
# semaphores only when that interpreter exits.
THREADED_BUILD = textwrap.dedent(
    """
    import io, json, os, sys, threading, time

    class Captured(io.TextIOBase):  # what Textual puts in sys.stderr: no real file descriptor
        def write(self, s): return len(s)
        def fileno(self): return -1

    def descendants(pid):
        children = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                children.setdefault(ppid, []).append(int(entry))
        found, todo = [], [pid]
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child)
        return found

    def cmdline(pid):
        try:
            return open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\\0", b" ").decode()
        except OSError:
            return ""

    class Stop(Exception):
        pass

    from searcher.index.build import ensure_index
    corpus, index, cancel_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
    outcome = {}

    def progress(p):
        if cancel_at and p.files_done >= cancel_at:
            raise Stop

    def run():
        real = sys.stderr
        sys.stderr = Captured()
        try:
            summary = ensure_index(corpus, index, progress=progress)
            outcome["paragraphs"] = summary.paragraphs
        except Stop:
            outcome["cancelled"] = True
        except Exception as exc:
            outcome["error"] = repr(exc)
        finally:
            sys.stderr = real

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    time.sleep(0.3)
    helpers = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")
    outcome["workers"] = [cmdline(p) for p in descendants(os.getpid()) if not any(h in cmdline(p) for h in helpers)]
    print(json.dumps(outcome))
    """
)


def run_threaded_build(tmp_path: Path, cancel_at: int) -> tuple[dict, str]:
    corpus = many_files(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", THREADED_BUILD, str(corpus), str(tmp_path / "index"), str(cancel_at)],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


@pytest.mark.slow
def test_parallel_first_build_from_a_thread_with_captured_stderr(tmp_path: Path) -> None:
    # The TUI's situation: a worker thread, and sys.stderr without a file
    # descriptor.  It failed with "bad value(s) in fds_to_keep".
    outcome, stderr = run_threaded_build(tmp_path, cancel_at=0)
    assert outcome.get("error") is None
    assert outcome["paragraphs"] == 100 * 12  # the four articles have 98 paragraphs: 24 or 25 a file, less repeats
    assert outcome["workers"] == []
    assert "leaked" not in stderr and "Traceback" not in stderr, stderr


@pytest.mark.slow
def test_cancelled_parallel_build_leaves_no_worker_and_no_leak(tmp_path: Path) -> None:
    outcome, stderr = run_threaded_build(tmp_path, cancel_at=50)
    assert outcome.get("cancelled") is True, outcome
    assert outcome["workers"] == [], "writer processes outlived the cancelled build"
    assert "leaked semaphore" not in stderr, stderr
    assert "Traceback" not in stderr, stderr  # workers did not die on deleted job files
    from searcher.errors import IndexMissing
    from searcher.index.store import IndexLocation

    with pytest.raises(IndexMissing):  # nothing was published
        IndexLocation(tmp_path / "index").current()


def test_a_column_read_in_one_piece_matches_whoosh_value_by_value(tmp_path: Path) -> None:
    # The engine maps postings to paragraphs through the pid column: a wrong read would
    # show the wrong paragraph for a hit. Two segments (an update) and a deleted document.
    from searcher.index.build import build_index
    from searcher.index.schema import NO_PID
    from searcher.index.store import IndexLocation

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    build_index(corpus, tmp_path / "index", parallel=False)
    first = sorted(corpus.glob("*.txt"))[0]
    first.write_text(first.read_text("utf-8") + "\n\nMột đoạn mới về ngoại giao.\n", "utf-8")
    build_index(corpus, tmp_path / "index", parallel=False)
    ix = IndexLocation(tmp_path / "index").current().open()
    with ix.searcher() as searcher:
        reader = searcher.reader()
        assert len(reader.leaf_readers()) == 2 and reader.has_deletions()
        fast = whoosh_patches.numeric_column(reader, "pid", NO_PID).tolist()
        slow = list(reader.column_reader("pid"))
        assert fast == slow
        assert NO_PID in fast and len({p for p in fast if p != NO_PID}) > 10  # file records have none


@pytest.mark.slow
def test_a_full_disk_is_one_line_from_the_build_never_a_writer_traceback(tmp_path: Path) -> None:
    """Writes that fail in the writer processes (here: past ``RLIMIT_FSIZE``, as on a nearly full
    disk) end the build with one line and exit 2; the writers print nothing (issue 25 item 7)."""
    from conftest import run_cli

    prlimit = shutil.which("prlimit")
    if prlimit is None:
        pytest.skip("no prlimit (util-linux) to limit the size of the files a build writes")
    corpus = many_files(tmp_path, 300)
    # From "the first segment file fails" to "only the last ones do": every writer's turn comes.
    for limit in range(150_000, 1_050_000, 150_000):
        index = tmp_path / f"index-{limit}"
        result = run_cli("search-index", ["--corpus", corpus, "--index", index], tmp_path,
                         prefix=[prlimit, f"--fsize={limit}"], errors="replace")
        if result.returncode == 0:
            continue
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1, (limit, result.stderr)
        assert lines[0].startswith("search-index: error: ") and "Traceback" not in result.stderr, (limit, lines)
    # The first search of a folder with no index builds one: the same, under its own name.
    result = run_cli("search", ["--corpus", corpus, "--index", tmp_path / "first-use", "đoạn"], tmp_path,
                     prefix=[prlimit, "--fsize=300000"], errors="replace")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert lines[-1].startswith("search: error: ") and len(lines) == 2, lines  # "indexing …", then the error
