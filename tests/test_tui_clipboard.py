"""Copying a hit's location with ``y``: what reaches the terminal, tmux's buffer, and when it cannot work."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from searcher.cli.presentation import location
from searcher.tui import clipboard
from searcher.tui.app import make_app
from test_tui_snapshots import FixedEngine
from tui_support import data_home, results_for, run_async, wait_until  # noqa: F401  (fixtures)


def osc52_of(text: str) -> str:
    return "\x1b]52;c;" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "\a"


async def copy_first_hit(app: Any, pilot: Any) -> tuple[str, list[str]]:
    """Press ``y`` on the first hit of "ngoại giao"; return its location and what was written to the terminal."""
    written: list[str] = []
    app._driver.write = written.append  # the headless driver writes nowhere: record instead
    await wait_until(pilot, results_for(app, "ngoại giao"))
    hit = app.main.results.selected_hit
    await pilot.press("tab", "y")
    await wait_until(pilot, lambda: bool(app._notifications), what="the notification")
    return location(hit.file, hit.line), written


def app_on_fixed() -> Any:
    return make_app("no-index", "corpus", "ngoại giao", engine=FixedEngine(), cursor_blink=False, check_interval=0)


@run_async
async def test_y_writes_osc_52_to_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("TERM_PROGRAM", raising=False)
    app = app_on_fixed()
    async with app.run_test(size=(100, 30)) as pilot:
        where, written = await copy_first_hit(app, pilot)
        assert written == [osc52_of(where)]
        assert app.clipboard == where
        assert [str(n.message) for n in app._notifications] == [f"Copied {where}"]


def inside_fake_tmux(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: int = 0, stderr: str = "") -> Path:
    """Run the test as if inside tmux, with a ``tmux`` on PATH that records its arguments and input
    (the real one is tried in a test below); returns the file it records them in."""
    bin_dir, log = tmp_path / "bin", tmp_path / "tmux.log"
    bin_dir.mkdir()
    script = bin_dir / "tmux"
    script.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\ncat >> "{log}"\necho >> "{log}"\necho "{stderr}" >&2\nexit {status}\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("TMUX", "/tmp/tmux-1000/default,123,0")
    monkeypatch.setenv("TERM", "tmux-256color")
    return log


@run_async
async def test_y_inside_tmux_fills_the_tmux_buffer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = inside_fake_tmux(tmp_path, monkeypatch)
    app = app_on_fixed()
    async with app.run_test(size=(100, 30)) as pilot:
        where, written = await copy_first_hit(app, pilot)
        assert log.read_text(encoding="utf-8").splitlines() == ["load-buffer -w -", where]
        assert written == []  # no OSC 52 as well: with `set-clipboard on` tmux would keep a second buffer
        assert [str(n.message) for n in app._notifications] == [f"Copied {where} (tmux buffer)"]


@run_async
async def test_y_says_when_tmux_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inside_fake_tmux(tmp_path, monkeypatch, status=1, stderr="no server running on /tmp/tmux-1000/default")
    app = app_on_fixed()
    async with app.run_test(size=(100, 30)) as pilot:
        where, written = await copy_first_hit(app, pilot)
        assert written == [osc52_of(where)]  # OSC 52 is still worth a try
        (note,) = app._notifications
        assert note.severity == "warning" and where in str(note.message)
        assert "no server running" in str(note.message) and "set-clipboard on" in str(note.message)


@pytest.mark.parametrize(
    ("environ", "reason"),
    [
        ({"TERM": "linux"}, "the Linux console has no clipboard"),
        ({"TERM": "xterm-256color", "TERM_PROGRAM": "Apple_Terminal"}, "macOS Terminal ignores OSC 52"),
        ({"TERM": "dumb"}, "TERM=dumb"),
    ],
)
def test_terminals_without_osc_52_are_named(environ: dict[str, str], reason: str) -> None:
    copied = clipboard.copy("a.txt:3", environ)
    assert reason in copied.problem and copied.osc52 == osc52_of("a.txt:3")


def test_gnu_screen_gets_osc_52_wrapped_for_passthrough() -> None:
    copied = clipboard.copy("a.txt:3", {"TERM": "screen", "STY": "123.pts-0.host"})
    assert copied.osc52 == "\x1bP" + osc52_of("a.txt:3") + "\x1b\\" and not copied.problem


def test_an_old_tmux_without_w_still_gets_the_buffer() -> None:
    calls: list[list[str]] = []

    def run(argv: list[str], **options: Any) -> subprocess.CompletedProcess[bytes]:
        calls.append(argv)
        if "-w" in argv:
            return subprocess.CompletedProcess(argv, 1, b"", b"load-buffer: unknown option -- w\n")
        return subprocess.CompletedProcess(argv, 0, b"", b"")

    copied = clipboard.copy("a.txt:3", {"TMUX": "/tmp/x,1,0", "TERM": "screen"}, run=run)
    assert calls == [["tmux", "load-buffer", "-w", "-"], ["tmux", "load-buffer", "-"]]
    assert copied.how == "tmux buffer" and not copied.problem and not copied.osc52


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_a_real_tmux_with_its_default_settings_gets_the_buffer(tmp_path: Path) -> None:
    # A private server (its own socket folder, no configuration file): never the user's tmux.
    env = {**os.environ, "TMUX_TMPDIR": str(tmp_path)}
    env.pop("TMUX", None)
    tmux = ["tmux", "-f", os.devnull, "-L", "searcher-test"]
    subprocess.run([*tmux, "new-session", "-d", "-s", "t", "sleep 60"], env=env, check=True, timeout=10)
    try:
        socket = subprocess.run(
            [*tmux, "display-message", "-p", "#{socket_path}"], env=env, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        inside = {**env, "TMUX": f"{socket},1,0", "TERM": "tmux-256color"}
        copied = clipboard.copy("tài liệu/ngoại giao.txt:12", inside)
        assert copied.how == "tmux buffer" and not copied.problem
        shown = subprocess.run([*tmux, "show-buffer"], env=env, capture_output=True, check=True, timeout=10).stdout
        assert shown.decode("utf-8") == "tài liệu/ngoại giao.txt:12"
    finally:
        subprocess.run([*tmux, "kill-server"], env=env, timeout=10, check=False)
