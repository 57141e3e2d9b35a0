"""Concurrency and crashes, with real processes on a corpus of about 2000 paragraphs.

* Searches loop (the ``search`` CLI and a long-lived :class:`~searcher.Engine`
  in another process) while ``search-index --full`` and incremental builds run:
  no error, and every answer comes whole from the old or the new index.
* Two ``search-index`` at once: one waits, or exits 2 with a clear message;
  the index stays whole.
* ``kill -9`` of ``search-index`` at random moments, full and incremental:
  the index still opens and answers with the old or the new content, and the
  next ``search-index`` completes with no manual clean-up.  Also ``kill -9``
  of one writer process of a parallel build, and the
  processes a killed parallel build leaves behind.

The corpus comes in two versions (see ``robust_support.Versions``) whose
marker words tell which version an answer came from.

Environment: ``SEARCHER_CRASH_TRIALS`` (default 6; run with 20 or more before
a release; ``SEARCHER_CRASH_SEED`` replays a run) and ``SEARCHER_CONCURRENCY_CYCLES``
(default 1: four builds).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import clean_env, command_line, run_cli, start_cli
from robust_support import (
    GENERAL_QUERIES,
    MARKERS,
    hits_of_json_lines,
    kill_session,
    make_versions,
    session_pids,
    wait_session_gone,
    workers_of,
)
from searcher import Engine

CRASH_TRIALS = int(os.environ.get("SEARCHER_CRASH_TRIALS", "6"))
CONCURRENCY_CYCLES = int(os.environ.get("SEARCHER_CONCURRENCY_CYCLES", "1"))
# Orphaned worker processes of a killed build must go away by themselves within this.
ORPHAN_GRACE = 10.0

QUERIES = [(m, m) for m in MARKERS] + [(q, None) for q in GENERAL_QUERIES]

# Every test here runs builds and searches as processes.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def versions():
    return make_versions()


@pytest.fixture
def workspace(tmp_path, versions):
    """A corpus holding version A and its index, built by ``search-index --full``."""
    corpus = tmp_path / "corpus"
    index = tmp_path / "index"
    versions.write(corpus, "A")
    started = time.monotonic()
    result = run_cli("search-index", ["--corpus", corpus, "--index", index, "--full", "--quiet"], tmp_path)
    assert result.returncode == 0, result.stderr
    return corpus, index, time.monotonic() - started


def index_version(versions, index: Path) -> str:
    """Which version the index holds, checked with every marker query through a fresh Engine."""
    found = {"A", "B"}
    with Engine.open(index) as engine:
        for marker in MARKERS:
            result = engine.search(marker, limit=50, budget=30)
            assert result.complete
            hits = {(h.path, h.line, h.text) for h in result}
            found &= versions.versions_of(hits, marker)
    assert len(found) == 1, f"the index holds neither version whole: {found}"
    return found.pop()


def generations(index: Path) -> list[str]:
    return sorted(p.name for p in index.glob("gen-*"))


# -- searches while builds run ------------------------------------------------------------

API_LOOP = textwrap.dedent(
    """
    import json, os, sys, time, traceback
    from searcher import Engine

    index, out, stop, queries = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    engine = None
    count = 0
    with open(out, "w", encoding="utf-8") as f:
        while not os.path.exists(stop):
            query, marker = queries[count % len(queries)]
            count += 1
            record = {"query": query, "marker": marker, "t": time.time()}
            try:
                if engine is None:
                    engine = Engine.open(index)
                result = engine.search(query, limit=50, budget=10)
                record["hits"] = [[h.path, h.line, h.text] for h in result]
                record["complete"] = result.complete
            except BaseException as exc:
                record["error"] = f"{type(exc).__name__}: {exc}"
                record["trace"] = traceback.format_exc()
            f.write(json.dumps(record, ensure_ascii=False) + "\\n")
            f.flush()
    """
)


def test_searches_during_full_and_incremental_builds(tmp_path, versions, workspace):
    corpus, index, _ = workspace
    stop = tmp_path / "stop"
    api_out = tmp_path / "api.jsonl"
    script = tmp_path / "api_loop.py"
    script.write_text(API_LOOP, encoding="utf-8")
    api = popen_script(script, [index, api_out, stop, json.dumps(QUERIES)], tmp_path)

    cli_records: list[dict] = []
    building = threading.Event()
    builds_done = threading.Event()

    def cli_loop() -> None:
        count = 0
        while not builds_done.is_set():
            query, marker = QUERIES[count % len(QUERIES)]
            count += 1
            during = building.is_set()
            # cwd is the corpus, so --json paths are the corpus-relative ones.
            result = run_cli("search", ["--json", "-n", "50", "--index", index, "--color", "never", query], corpus, timeout=60)
            cli_records.append(
                {
                    "query": query,
                    "marker": marker,
                    "code": result.returncode,
                    "stdout": result.stdout,
                    "stderr": result.stderr,
                    "during": during or building.is_set(),
                }
            )

    searcher_thread = threading.Thread(target=cli_loop, daemon=True)
    searcher_thread.start()
    plan = [("B", False), ("A", True), ("B", True), ("A", False)] * CONCURRENCY_CYCLES
    build_log = []
    try:
        time.sleep(1.0)  # let both searchers get going on version A
        for version, full in plan:
            versions.write(corpus, version)
            args = ["--corpus", corpus, "--index", index, "--quiet", "--json"] + (["--full"] if full else [])
            building.set()
            started = time.monotonic()
            result = run_cli("search-index", args, tmp_path)
            building.clear()
            assert result.returncode == 0, result.stderr
            summary = json.loads(result.stdout)
            assert summary["mode"] == ("full" if full else "incremental")
            build_log.append((version, summary["mode"], round(time.monotonic() - started, 2)))
            time.sleep(0.5)  # searches on the settled index too
    finally:
        builds_done.set()
        stop.write_text("stop")
        searcher_thread.join(timeout=120)
        try:
            api.wait(timeout=60)
        finally:
            kill_session(api.pid)
    assert api.returncode == 0, api.stderr.read()

    api_records = [json.loads(line) for line in api_out.read_text(encoding="utf-8").splitlines()]
    problems = []
    seen = {"A": 0, "B": 0}
    for record in api_records:
        if "error" in record:
            problems.append(f"API {record['query']!r}: {record['error']}\n{record['trace']}")
            continue
        hits = [tuple(h) for h in record["hits"]]
        found = versions.versions_of(hits, record["marker"], record["complete"])
        if not found:
            problems.append(f"API {record['query']!r}: answer from neither version: {sorted(hits)[:5]}")
        if record["marker"] and len(found) == 1:
            seen[found.pop()] += 1
    for record in cli_records:
        if record["code"] not in (0, 1) or "Traceback" in record["stderr"]:
            problems.append(f"CLI {record['query']!r}: exit {record['code']}: {record['stderr'].strip()}")
            continue
        complete = "time budget" not in record["stderr"]
        hits = hits_of_json_lines(record["stdout"])
        if not versions.versions_of(hits, record["marker"], complete):
            problems.append(f"CLI {record['query']!r}: answer from neither version: {sorted(hits)[:5]}")
    assert not problems, f"{len(problems)} bad answers (builds: {build_log}):\n" + "\n".join(problems[:10])
    # The loops really ran, and ran while the index was being rebuilt.
    assert len(api_records) >= 50, len(api_records)
    assert len(cli_records) >= 8, len(cli_records)
    assert sum(r["during"] for r in cli_records) >= 4, build_log
    assert seen["A"] and seen["B"], seen
    assert index_version(versions, index) == plan[-1][0]


def popen_script(script: Path, args: list, cwd: Path):
    return subprocess.Popen(
        [sys.executable, str(script), *map(str, args)],
        cwd=cwd,
        env=clean_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_engine_refresh_follows_builds(tmp_path, versions, workspace):
    """One Engine kept open across an incremental build and a full rebuild sees each new content."""
    corpus, index, _ = workspace
    with Engine.open(index) as engine:
        assert {h.path for h in engine.search("dauvet", limit=50, budget=30)}
        for version, full in (("B", False), ("A", True), ("B", True)):
            versions.write(corpus, version)
            args = ["--corpus", corpus, "--index", index, "--quiet"] + (["--full"] if full else [])
            assert run_cli("search-index", args, tmp_path).returncode == 0
            engine.refresh(force=True)
            hits = {(h.path, h.line, h.text) for h in engine.search("xacnhan", limit=50, budget=30)}
            assert versions.versions_of(hits, "xacnhan") == {version}


# -- two builds at once -----------------------------------------------------------------


def wait_for_lock_holder(index: Path, process, timeout: float = 60) -> bool:
    """Wait until ``process`` holds the build lock (it writes its pid into ``.lock``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if (index / ".lock").read_text().strip() == str(process.pid):
                return True
        except OSError:
            pass
        time.sleep(0.02)
    return False


@pytest.mark.parametrize("second_full", [False, True], ids=["then-incremental", "then-full"])
def test_second_build_fails_fast_with_a_clear_message(tmp_path, versions, workspace, second_full):
    corpus, index, _ = workspace
    versions.write(corpus, "B")
    first = start_cli("search-index", ["--corpus", corpus, "--index", index, "--full", "--quiet"], tmp_path)
    try:
        assert wait_for_lock_holder(index, first), "the first build never took the lock"
        # Freeze the first build (and its workers) while it holds the lock, so it cannot
        # finish before the second one asks: the second must meet the lock every time.
        os.killpg(first.pid, signal.SIGSTOP)
        try:
            assert first.poll() is None and (index / ".lock").read_text().strip() == str(first.pid)
            second = run_cli(
                "search-index",
                ["--corpus", corpus, "--index", index, "--quiet", "--wait", "0"] + (["--full"] if second_full else []),
                tmp_path,
            )
            assert index_version(versions, index) == "A"  # neither build has changed what searches see
        finally:
            os.killpg(first.pid, signal.SIGCONT)
        _, err = first.communicate(timeout=120)
    finally:
        kill_session(first.pid)
    assert first.returncode == 0, err
    assert second.returncode == 2, second.stderr
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("search-index: error: another search-index"), second.stderr
    assert second.stdout == ""
    assert index_version(versions, index) == "B"
    assert len(generations(index)) <= 2


def test_second_build_waits_for_the_first(tmp_path, versions, workspace):
    corpus, index, _ = workspace
    versions.write(corpus, "B")
    first = start_cli("search-index", ["--corpus", corpus, "--index", index, "--full", "--quiet"], tmp_path)
    try:
        assert wait_for_lock_holder(index, first), "the first build never took the lock"
        second = run_cli("search-index", ["--corpus", corpus, "--index", index, "--json", "--wait", "120"], tmp_path)
        first.communicate(timeout=60)
    finally:
        kill_session(first.pid)
    assert first.returncode == 0
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout)
    # The second one saw the first one's result: nothing left to do.
    assert summary["mode"] == "incremental" and summary["unchanged"] == len(versions.files["B"])
    assert summary["added"] == summary["updated"] == summary["removed"] == 0
    assert index_version(versions, index) == "B"


# -- kill -9 at random moments ----------------------------------------------------------


def _start_build(corpus: Path, index: Path, tmp_path: Path, full: bool, name: str):
    """A ``search-index`` run writing its output to files (orphans may keep pipes open)."""
    args = ["--corpus", corpus, "--index", index, "--quiet"] + (["--full"] if full else [])
    with open(tmp_path / f"{name}.err", "w", encoding="utf-8") as err:  # the child holds its own copy
        build = start_cli("search-index", args, tmp_path, stdout=subprocess.DEVNULL, stderr=err)
    return build, tmp_path / f"{name}.err"


@pytest.mark.slow
def test_kill_9_at_random_moments(tmp_path, versions, workspace):
    """``SEARCHER_CRASH_TRIALS`` builds (full and incremental, alternately) killed with SIGKILL.

    After each kill: the index opens and answers (API and command) with the old
    or the new content, whole; the next plain ``search-index`` completes with no
    clean-up and brings in the new content.
    """
    corpus, index, full_seconds = workspace
    seed = int(os.environ.get("SEARCHER_CRASH_SEED", str(random.randrange(10**6))))
    rng = random.Random(seed)
    estimate = {True: full_seconds, False: 1.5}
    state = "A"
    log = []
    orphans = []
    for trial in range(CRASH_TRIALS):
        target = "B" if state == "A" else "A"
        full = trial % 2 == 0
        versions.write(corpus, target)
        build, err = _start_build(corpus, index, tmp_path, full, f"trial{trial}")
        # Anywhere in the build's life (interpreter start-up included), and half of the
        # time near its end, where it commits, publishes and cleans up.
        delay = rng.choice([rng.uniform(0.05, 0.9), rng.uniform(0.8, 1.1)]) * estimate[full]
        time.sleep(delay)
        finished_first = build.poll() is not None
        try:
            os.kill(build.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        build.wait(timeout=60)
        if finished_first:
            assert build.returncode == 0, err.read_text()

        context = f"trial {trial} (seed {seed}): {'full' if full else 'incremental'} build {state}->{target} killed after {delay:.2f} s"
        # The index still opens, answers (the command too) and holds one version whole.
        after_kill = index_version(versions, index)
        assert after_kill in (state, target), context
        answer = run_cli("search", ["--json", "-n", "50", "--index", index, "xacnhan"], corpus)
        assert answer.returncode == 0, f"{context}: {answer.stderr}"
        assert versions.versions_of(hits_of_json_lines(answer.stdout), "xacnhan") == {after_kill}, context

        # The next plain search-index completes, with no manual clean-up.
        started = time.monotonic()
        again = run_cli("search-index", ["--corpus", corpus, "--index", index, "--json"], tmp_path)
        assert again.returncode == 0, f"{context}: {again.stderr}"
        if after_kill == state:  # an uninterrupted incremental build of the same change: time it
            estimate[False] = time.monotonic() - started
        assert index_version(versions, index) == target, context
        left = session_pids(build.pid)
        if left:
            orphans.append(trial)
            kill_session(build.pid)
        outcome = "done-before-kill" if finished_first else ("killed, new kept" if after_kill == target else "killed, old kept")
        log.append((trial, "full" if full else "incr", round(delay, 2), outcome))
        state = target
    print(f"kill -9 trials (seed {seed}): {log}; trials that left orphaned processes: {orphans}")
    # Leftovers of the killed builds are gone after one more full build.
    assert run_cli("search-index", ["--corpus", corpus, "--index", index, "--full", "--quiet"], tmp_path).returncode == 0
    assert len(generations(index)) <= 2, generations(index)
    leftovers = [p.relative_to(index) for p in index.rglob("*") if p.name.endswith(".tmp")]
    assert not leftovers, leftovers


def _kill_during_parallel_writing(corpus: Path, index: Path, tmp_path: Path, victim: str):
    """Start a parallel full build and SIGKILL ``victim``: "worker" (one of two writer
    processes, once both write) or "build" (search-index itself, as its first writer starts)."""
    build, err = _start_build(corpus, index, tmp_path, True, victim)
    wanted = 2 if victim == "worker" else 1
    deadline = time.monotonic() + 60
    while len(workers_of(build)) < wanted and build.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    workers = workers_of(build)
    if len(workers) < wanted:
        kill_session(build.pid)
        pytest.skip(f"the build did not start {wanted} writer processes (one core?)")
    if victim == "worker":
        time.sleep(0.5)
    try:
        os.kill(build.pid if victim == "build" else workers[0], signal.SIGKILL)
    except ProcessLookupError:
        pass  # the worker had already written its part: the build must then succeed
    return build, err


@pytest.mark.slow
def test_kill_9_of_a_writer_process(tmp_path, versions, workspace):
    """A worker of a parallel build dies: the build fails clearly and publishes nothing half-done."""
    corpus, index, _ = workspace
    versions.write(corpus, "B")
    build, err = _kill_during_parallel_writing(corpus, index, tmp_path, "worker")
    try:
        build.wait(timeout=120)
    finally:
        kill_session(build.pid)
    message = err.read_text()
    if build.returncode == 0:  # the worker had finished its part
        assert index_version(versions, index) == "B"
    else:
        assert build.returncode == 2, message
        lines = message.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("search-index: error: the new index lost documents"), message
        assert index_version(versions, index) == "A"
    assert run_cli("search-index", ["--corpus", corpus, "--index", index, "--quiet"], tmp_path).returncode == 0
    assert index_version(versions, index) == "B"


@pytest.mark.slow
def test_killed_build_leaves_no_processes_behind(tmp_path, versions, workspace):
    corpus, index, _ = workspace
    versions.write(corpus, "B")
    build, _ = _kill_during_parallel_writing(corpus, index, tmp_path, "build")
    build.wait(timeout=60)
    left = wait_session_gone(build.pid, ORPHAN_GRACE)
    kill_session(build.pid)
    assert not left, f"processes of the killed build still running after {ORPHAN_GRACE} s: {left}"


# How long a killed build's helpers may keep its output open: they notice within half a second.
HELPERS_GONE_WITHIN = 5.0


def _session_leader_running(marker: bytes) -> int | None:
    """The pid of a live session leader whose command line holds ``marker``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if marker in cmdline and int(fields[3]) == int(entry.name) and fields[0] not in ("Z", "X"):
            return int(entry.name)
    return None


def _kill_under_a_capturing_caller(argv: list, cwd: Path, env: dict, marker: str, ready, signum: int) -> None:
    """Run ``argv`` as ``subprocess.run(..., capture_output=True)`` does, kill it with ``signum`` once
    ``ready(pid)``, and check that the caller returns soon, with no traceback and no process left."""
    outcome: dict[str, object] = {}

    def caller() -> None:
        outcome["result"] = subprocess.run(
            argv, cwd=cwd, env=env, capture_output=True, start_new_session=True, timeout=300, check=False
        )
        outcome["returned"] = time.monotonic()

    thread = threading.Thread(target=caller, daemon=True)
    thread.start()
    build = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and thread.is_alive():
        build = build or _session_leader_running(marker.encode())
        if build is not None and ready(build):
            break
        time.sleep(0.01)
    else:
        pytest.skip("the build finished before its helper processes could be seen")
    os.kill(build, signum)
    killed = time.monotonic()
    thread.join(HELPERS_GONE_WITHIN + 30)
    try:
        assert not thread.is_alive(), "the caller still waits for the killed build's output"
        assert outcome["returned"] - killed < HELPERS_GONE_WITHIN, outcome["returned"] - killed  # type: ignore[operator]
        assert b"Traceback" not in outcome["result"].stderr  # type: ignore[attr-defined]
        left = wait_session_gone(build, ORPHAN_GRACE)
        assert not left, f"processes of the killed build still running: {left}"
    finally:
        kill_session(build)
        thread.join(30)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_full_build_does_not_hang_a_caller_reading_its_output(tmp_path, versions, workspace, signum):
    """``subprocess.run(..., capture_output=True)`` returns soon after a parallel build is killed.

    The caller reaps the build only once its output is closed: helpers that
    kept stdout or stderr until their parent was reaped (the fork server, the
    resource tracker and the writers, which took the zombie for alive) hung it
    for good (issue 25 item 6).
    """
    corpus, index, _ = workspace
    versions.write(corpus, "B")
    argv = command_line("search-index", ["--corpus", corpus, "--index", index, "--full", "--quiet"])

    def writing(pid: int) -> bool:
        return bool(workers_of(SimpleNamespace(pid=pid)))  # type: ignore[arg-type]

    _kill_under_a_capturing_caller(argv, tmp_path, clean_env(), str(index), writing, signum)
    assert run_cli("search-index", ["--corpus", corpus, "--index", index, "--quiet"], tmp_path).returncode == 0


@pytest.mark.slow
def test_a_build_killed_while_a_parser_hangs_does_not_hang_its_caller(tmp_path):
    """A document parser busy (here: hung) when its build is killed exits at once, output closed."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "treo.pdf").write_bytes(b"%PDF-1.7\n%SEARCHER-TEST hang\n")
    (corpus / "a.txt").write_text("T\n\nnội dung\n", encoding="utf-8")
    index = tmp_path / "index"
    argv = command_line("search-index", ["--corpus", corpus, "--index", index, "--quiet"])

    def parsing(pid: int) -> bool:
        for child in session_pids(pid):
            try:
                if b"searcher.documents.formats._worker" in Path(f"/proc/{child}/cmdline").read_bytes():
                    return True
            except OSError:
                pass
        return False

    env = clean_env(SEARCHER_FORMATS_TEST_HOOKS="1")
    _kill_under_a_capturing_caller(argv, tmp_path, env, str(index), parsing, signal.SIGKILL)

