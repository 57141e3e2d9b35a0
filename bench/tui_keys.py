"""Keystroke-to-paint of the live search, measured in a real terminal (tmux).

Starts ``search --tui`` in a detached tmux session of the given size with
``SEARCHER_TUI_LOG`` set, types queries one character at a time with
``tmux send-keys`` at a human pace, and reads the app's timing log: for every
result the app paints, the time from the keystroke's arrival in the app to the
end of the paint that shows it.  Reports p50/p95 (first paint of each
keystroke, ``live`` lines; the fuller ``refined`` passes are counted apart).

    python bench/tui_keys.py --index bench/work/index --corpus bench/work/corpus
    python bench/tui_keys.py --index IX --corpus C --size 80x24 --size 120x40 --json-out /tmp/keys.json

Needs tmux.  Standard library and the project only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

QUERIES = [
    "ngoại giao",
    "kinh tế",
    "ngoai giao kinh te",
    "tình bạn",
    "hợp tác quốc tế",
    "bộ ngoại giao đã làm gì để thúc đẩy kinh tế",
    "luật đất đai",
    "nguyen tac",
    "thành phố hồ chí minh",
    "xyzzyq",
    "giáo dục",
    "viet nam",
]

LINE_RE = re.compile(r"^\S+ (live|refined) query=(.*) hits=(\d+) search_ms=(\S+) keystroke_to_results_ms=(\S+) keystroke_to_paint_ms=(\S+)$")


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"tui_keys: timed out waiting for {what}")
        time.sleep(0.05)


def read_log(path: Path) -> list[tuple[str, str, float, float, float]]:
    rows = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            m = LINE_RE.match(line)
            if m:
                search = float(m.group(4)) if m.group(4) != "-" else float("nan")
                rows.append((m.group(1), m.group(2), float(m.group(6)), search, float(m.group(5))))
    return rows


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def run_size(
    index: str, corpus: str, width: int, height: int, queries: list[str], pace: float, rounds: int, fps: int | None = None
) -> dict:
    session = f"tui-keys-{os.getpid()}-{width}x{height}"
    log = Path(tempfile.mkdtemp(prefix="tui-keys-")) / "timing.log"
    env = f"SEARCHER_TUI_LOG={log} PYTHONPATH={REPO} XDG_DATA_HOME={log.parent}"
    if fps:
        env += f" TEXTUAL_FPS={fps}"
    command = f"env {env} {sys.executable} -m searcher.cli.search --tui --index {index} --corpus {corpus}"
    tmux("new-session", "-d", "-s", session, "-x", str(width), "-y", str(height), command)
    try:
        wait_for(lambda: "paragraphs" in tmux("capture-pane", "-p", "-t", session), 60, "the app to open the index")
        time.sleep(1.5)  # let the background warm-up of the prefix completions finish
        typed = 0
        for _ in range(rounds):
            for query in queries:
                for char in query:
                    tmux("send-keys", "-t", session, "-l", char)
                    typed += 1
                    time.sleep(pace)
                before = len(read_log(log))
                time.sleep(0.6)  # the fuller pass, if any
                wait_for(lambda before=before: len(read_log(log)) >= before, 5, "the last results")
                tmux("send-keys", "-t", session, "C-u")
                time.sleep(0.3)
        screen = tmux("capture-pane", "-p", "-t", session)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)
    rows = read_log(log)
    live = [ms for kind, _, ms, _, _ in rows if kind == "live"]
    refined = [ms for kind, _, ms, _, _ in rows if kind == "refined"]
    search = [s for kind, _, _, s, _ in rows if kind == "live" and s == s]
    to_results = [r for kind, _, _, _, r in rows if kind == "live"]
    shutil.rmtree(log.parent, ignore_errors=True)
    return {
        "size": f"{width}x{height}",
        "keystrokes": typed,
        "paints": len(live),
        "p50_ms": percentile(live, 0.5),
        "p95_ms": percentile(live, 0.95),
        "max_ms": max(live) if live else float("nan"),
        "mean_ms": statistics.fmean(live) if live else float("nan"),
        "search_p50_ms": percentile(search, 0.5),
        "search_p95_ms": percentile(search, 0.95),
        "results_p50_ms": percentile(to_results, 0.5),
        "results_p95_ms": percentile(to_results, 0.95),
        "rows": rows,
        "refined_paints": len(refined),
        "refined_p50_ms": percentile(refined, 0.5),
        "refined_p95_ms": percentile(refined, 0.95),
        "last_screen": screen,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", required=True, help="index folder (build it first: search-index --corpus C --index IX)")
    parser.add_argument("--corpus", required=True, help="the corpus folder of that index")
    parser.add_argument("--size", action="append", help="terminal size WxH (repeatable; default 80x24 and 120x40)")
    parser.add_argument("--pace", type=float, default=0.12, help="seconds between keystrokes (default 0.12)")
    parser.add_argument("--rounds", type=int, default=1, help="times the query list is typed (default 1)")
    parser.add_argument("--fps", type=int, help="TEXTUAL_FPS for the app (default: the app's own)")
    parser.add_argument("--json-out", help="write the figures as JSON to this file")
    args = parser.parse_args(argv)
    if shutil.which("tmux") is None:
        print("tui_keys: tmux is needed", file=sys.stderr)
        return 2
    sizes = args.size or ["80x24", "120x40"]
    report = []
    for size in sizes:
        width, height = (int(n) for n in size.lower().split("x"))
        figures = run_size(args.index, args.corpus, width, height, QUERIES, args.pace, args.rounds, args.fps)
        report.append(figures)
        print(
            f"{figures['size']}: {figures['keystrokes']} keystrokes, {figures['paints']} paints, "
            f"keystroke-to-paint p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, max {figures['max_ms']:.1f} ms; "
            f"fuller passes: {figures['refined_paints']} (p50 {figures['refined_p50_ms']:.0f} ms); "
            f"search itself p50 {figures['search_p50_ms']:.1f} / p95 {figures['search_p95_ms']:.1f} ms, "
            f"keystroke-to-results p50 {figures['results_p50_ms']:.1f} / p95 {figures['results_p95_ms']:.1f} ms"
        )
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
