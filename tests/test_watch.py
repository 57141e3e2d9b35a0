"""search-index --watch: files added, changed and deleted become searchable (or gone) within seconds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import clean_env
from searcher import Engine
from searcher.index.places import index_for

LIMIT_S = 5.0  # the target is 2 s; a loaded 2-core CI machine gets some slack


def wait_for(engine: Engine, query: str, present: bool, limit: float = LIMIT_S) -> float:
    """Seconds until ``query`` has hits (or none, when not ``present``); fails past ``limit``."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        engine.refresh(force=True)
        if bool(engine.search(query, budget=5)) == present:
            return time.monotonic() - started
        time.sleep(0.05)
    pytest.fail(f"{query!r} {'never appeared' if present else 'never went away'} within {limit} s")


@pytest.fixture
def watched(tmp_path, monkeypatch):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("Tài liệu A\n\nngoại giao kinh tế\n", encoding="utf-8")
    env = clean_env(XDG_CACHE_HOME=str(tmp_path / "cache"), PYTHONPATH=os.environ.get("PYTHONPATH", ""))
    process = subprocess.Popen(
        [sys.executable, "-m", "searcher.cli.index", "--watch", str(folder)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
    )
    monkeypatch.setenv("XDG_CACHE_HOME", env["XDG_CACHE_HOME"])
    try:
        index = index_for(folder)
        deadline = time.monotonic() + 60
        while not (index / "CURRENT").exists():
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.05)
        time.sleep(0.5)  # the watch starts just after the first build
        with Engine.open(index) as engine:
            yield folder, engine, process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def test_watch_picks_up_added_changed_and_deleted_files(watched):
    folder, engine, process = watched
    assert engine.search("ngoại giao", budget=5)
    (folder / "sub").mkdir()
    (folder / "sub" / "b.txt").write_text("Tài liệu B\n\nchim cánh cụt\n", encoding="utf-8")
    added = wait_for(engine, "cánh cụt", True)
    (folder / "a.txt").write_text("Tài liệu A\n\nhải âu\n", encoding="utf-8")
    changed = wait_for(engine, "hải âu", True)
    wait_for(engine, "ngoại giao", False)
    (folder / "sub" / "b.txt").unlink()
    deleted = wait_for(engine, "cánh cụt", False)
    print(f"watch latency: added {added:.2f} s, changed {changed:.2f} s, deleted {deleted:.2f} s")
    assert process.poll() is None


@pytest.mark.slow
def test_a_file_saved_during_a_burst_of_1000_is_searchable_soon(watched):
    folder, engine, _process = watched
    burst = folder / "burst"
    burst.mkdir()
    latencies = []
    for i in range(1000):
        (burst / f"{i:04d}.txt").write_text(f"Tệp {i}\n\nnội dung số {i} mã{i:04d}x\n", encoding="utf-8")
        if i % 250 == 125:
            (folder / f"saved{i}.txt").write_text(f"Lưu\n\nđà điểu{i}\n", encoding="utf-8")
            latencies.append(wait_for(engine, f"đà điểu{i}", True, limit=10))
    wait_for(engine, "mã0999x", True, limit=30)
    print("latencies during the burst:", [f"{x:.2f}" for x in latencies])
    assert max(latencies) < LIMIT_S


def test_falls_back_to_polling_when_the_watch_limit_is_reached(tmp_path, monkeypatch, capsys):
    import watchfiles

    from searcher.index import watch as watch_module

    real_watch = watchfiles.watch
    calls = []

    def limited(*args, **kwargs):
        calls.append(kwargs.get("force_polling"))
        if not kwargs.get("force_polling"):
            raise OSError("OS file watch limit reached. about [\"...\"]")
        return real_watch(*args, **kwargs)

    monkeypatch.setattr(watchfiles, "watch", limited)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("A\n\nmột\n", encoding="utf-8")
    index = tmp_path / "index"
    stop = threading.Event()
    updates = []
    thread = threading.Thread(
        target=watch_module.watch, args=(folder, index), kwargs={"stop_event": stop, "quiet": True, "on_update": updates.append}
    )
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not updates and time.monotonic() < deadline:
            time.sleep(0.05)
        (folder / "b.txt").write_text("B\n\nhai\n", encoding="utf-8")
        while len(updates) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(20)
    assert calls[:2] == [None, True]
    assert updates[-1].files == 2
    assert "polling for changes instead" in capsys.readouterr().err
