"""Machine facts, the issue's targets, and the Markdown section of one run."""

from __future__ import annotations

import math
import os
import platform
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

HEADER = """# Benchmark results

Written by `bench/run.py` (see `bench/README.md`): one section per run, newest first.
Latencies in ms; *ratio* is searcher / FTS5 (for latency lower is better, for hit@10 and MRR@10 higher).
Raw numbers of each run are in `bench/results/`.

<!-- runs: newest first; bench/run.py inserts new sections below this line -->
"""
MARKER = "<!-- runs: newest first; bench/run.py inserts new sections below this line -->"

MULTI = ("a", "b", "c", "d")


# -- facts ----------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    ram = 0
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    ram = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    return {"cpu": cpu, "cores": os.cpu_count() or 0, "usable_cores": usable, "ram_bytes": ram, "os": platform.platform()}


def git_state(repo: Path) -> dict[str, Any]:
    """Short commit hash; dirty when anything but bench results differs from it."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=all"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return {"commit": "unknown", "dirty": False, "label": "unknown"}
    changed = [
        line[3:] for line in status if not line[3:].startswith(("bench/results/", "bench/RESULTS.md"))
    ]
    dirty = bool(changed)
    return {"commit": commit, "dirty": dirty, "label": commit + ("+dirty" if dirty else ""), "changed": changed[:50]}


def versions() -> dict[str, str]:
    from importlib import metadata

    whoosh = "unknown"
    for dist in ("whoosh3", "whoosh-reloaded", "Whoosh"):
        try:
            whoosh = f"{metadata.version(dist)} ({dist})"
            break
        except metadata.PackageNotFoundError:
            continue
    try:
        searcher = metadata.version("searcher")
    except metadata.PackageNotFoundError:
        searcher = "unknown"
    return {
        "python": platform.python_version(),
        "whoosh": whoosh,
        "sqlite": sqlite3.sqlite_version,
        "searcher": searcher,
        "executable": sys.executable,
    }


# -- statistics -------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (p50 is the median for odd counts)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


# -- targets ----------------------------------------------------------------


def targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured value and pass/fail."""
    rows: list[dict[str, Any]] = []

    def add(target: str, value: float | None, shown: str, ok: bool | None) -> None:
        rows.append({"target": target, "value": value, "shown": shown, "pass": ok})

    sets = r["sets"]
    for key in MULTI:
        s = sets.get(key)
        if not s:
            continue
        p95 = s["ratio"]["p95_ms"]
        add(f"({key}) query p95 ratio to FTS5 ≤ 1.0", p95, _x(p95), None if p95 is None else p95 <= 1.0)
    for key in MULTI:
        s = sets.get(key)
        if not s:
            continue
        p50 = s["searcher"]["p50_ms"]
        add(f"({key}) query median ≤ 10 ms", p50, _ms(p50), None if p50 is None else p50 <= 10)
    f = sets.get("f")
    if f:
        p95 = f["searcher"]["p95_ms"]
        add("(f) keystroke p95 ≤ 30 ms", p95, _ms(p95), None if p95 is None else p95 <= 30)
    worst = [s["searcher"]["max_ms"] for s in sets.values() if s["searcher"]["max_ms"] is not None]
    top = max(worst) if worst else None
    add("no single query over 150 ms (all sets, keystrokes too)", top, _ms(top), None if top is None else top <= 150)
    b = sets.get("b")
    if b:
        h = b["ratio"]["hit10"]
        s_hit, f_hit = b["searcher"]["hit10"], b["fts5"]["hit10"]
        ok = None if s_hit is None or f_hit is None else s_hit >= 1.5 * f_hit
        reach = f"; at most {1 / f_hit:.2f}× reachable" if f_hit else ""
        add("(b) unaccented hit@10 ≥ 1.5× FTS5", h, f"{_pct(s_hit)} vs {_pct(f_hit)} ({_x(h)}{reach})", ok)
    for key in MULTI:
        s = sets.get(key)
        if not s:
            continue
        s_hit, f_hit = s["searcher"]["hit10"], s["fts5"]["hit10"]
        ok = None if s_hit is None or f_hit is None else s_hit >= f_hit
        add(f"({key}) hit@10 ≥ FTS5", s["ratio"]["hit10"], f"{_pct(s_hit)} vs {_pct(f_hit)}", ok)
    build = r["build"]["searcher"]
    rate = build.get("paragraphs_per_s")
    add("build ≥ 1000 paragraphs/s", rate, f"{rate:,.0f}/s" if rate else "—", None if rate is None else rate >= 1000)
    rss = build.get("peak_tree_rss")
    add("peak RSS of the build ≤ 1 GiB", rss, _mib(rss), None if rss is None else rss <= 1 << 30)
    inc = r.get("incremental", {}).get("seconds")
    add("incremental re-index after touching one file ≤ 2 s", inc, _s(inc), None if inc is None else inc <= 2)
    one = r.get("oneshot", {}).get("median_ms")
    add("one-shot `search QUERY` ≤ 300 ms", one, _ms(one), None if one is None else one <= 300)
    return rows


# -- formatting -------------------------------------------------------------


def _ms(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:.1f} ms" if v < 100 else f"{v:,.0f} ms"


def _num(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:.2f}" if v < 10 else f"{v:.1f}" if v < 100 else f"{v:,.0f}"


def _x(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}×"


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def _s(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f} s"


def _mib(v: float | None) -> str:
    return "—" if v is None else f"{v / (1 << 20):,.1f} MiB"


def _mark(ok: bool | None) -> str:
    return "—" if ok is None else ("✅ pass" if ok else "❌ FAIL")


def section(r: dict[str, Any], json_name: str | None) -> str:
    meta = r["meta"]
    m = meta["machine"]
    v = meta["versions"]
    lines = [
        f"## {meta['date']} · N = {meta['paragraphs']:,} · {meta['git']['label']}" + (" · quick" if meta["quick"] else ""),
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), {m['ram_bytes'] / (1 << 30):.1f} GiB RAM · "
        f"Python {v['python']} · Whoosh {v['whoosh']} · SQLite {v['sqlite']} · seed {meta['seed']} · "
        f"{meta['files']:,} files ({', '.join(f'{k} {n:,}' for k, n in meta['per_source'].items())} paragraphs)"
        + (f" · Engine.search budget {meta['budget']} s" if meta.get("budget") else "")
        + (f" · raw numbers: `results/{json_name}`" if json_name else ""),
        "",
        "| target (from the issue) | measured | result |",
        "| --- | --- | --- |",
    ]
    for t in r["targets"]:
        lines.append(f"| {t['target']} | {t['shown']} | {_mark(t['pass'])} |")
    lines += [
        "",
        "| set | queries | p50 ms searcher / FTS5 (ratio) | p95 ms | max ms | hit@10 | MRR@10 |",
        "| --- | ---: | --- | --- | --- | --- | --- |",
    ]
    for key, s in r["sets"].items():
        se, fe, ra = s["searcher"], s["fts5"], s["ratio"]
        count = f"{s['queries']:,}" if key != "f" else f"{s['typed']} × {s['queries'] / max(1, s['typed']):.0f} keys = {s['queries']:,}"
        cells = [f"{key}: {s['name']}", count]
        for stat in ("p50_ms", "p95_ms", "max_ms"):
            cells.append(f"{_num(se[stat])} / {_num(fe[stat])} ({_x(ra[stat])})")
        for stat in ("hit10", "mrr10"):
            if se[stat] is None:
                cells.append("—")
            else:
                cells.append(f"{se[stat]:.3f} / {fe[stat]:.3f} ({_x(ra[stat])})")
        lines.append("| " + " | ".join(cells) + " |")
    notes = []
    for key, s in r["sets"].items():
        se = s["searcher"]
        bits = []
        if se.get("incomplete"):
            bits.append(f"{se['incomplete']} cut by the time budget")
        if se.get("zero_hits"):
            bits.append(f"{se['zero_hits']} with no hit (FTS5: {s['fts5'].get('zero_hits', 0)})")
        if se.get("errors"):
            bits.append(f"{se['errors']} errors")
        if bits:
            notes.append(f"{key}: " + ", ".join(bits))
    if notes:
        lines += ["", "Searcher query notes — " + "; ".join(notes) + "."]
    b = r["build"]
    bs, bf = b["searcher"], b["fts5"]
    inc = r.get("incremental", {})
    one = r.get("oneshot", {})
    lines += [
        "",
        "| build and tools | searcher | FTS5 | ratio |",
        "| --- | ---: | ---: | ---: |",
        f"| build, wall seconds | {bs['seconds']:.2f} | {bf['seconds']:.2f} | {_x(ratio(bs['seconds'], bf['seconds']))} |",
        f"| build, paragraphs/s (N / wall s) | {bs['paragraphs_per_s']:,.0f} | {bf['paragraphs_per_s']:,.0f} | {_x(ratio(bs['paragraphs_per_s'], bf['paragraphs_per_s']))} |",
        f"| size on disk, MiB (du) | {bs['index_disk_bytes'] / (1 << 20):,.1f} | {bf['disk_bytes'] / (1 << 20):,.1f} | {_x(ratio(bs['index_disk_bytes'], bf['disk_bytes']))} |",
        f"| peak RSS of the build, process-tree sum (largest process) | {_mib(bs['peak_tree_rss'])} ({_mib(bs['peak_single_rss'])}, {bs['max_processes']} processes) | — | |",
        f"| one-shot `search QUERY`, median of {len(one.get('runs_ms', []))} runs | {_ms(one.get('median_ms'))} | — | |",
        f"| incremental `search-index` after appending a paragraph to one file ({inc.get('file_paragraphs', '?')} paragraphs) | {_s(inc.get('seconds'))}"
        + ("" if inc.get("found_after") else " (new paragraph NOT found after)")
        + " | — | |",
        "",
    ]
    return "\n".join(lines)


def prepend(results_md: Path, text: str) -> None:
    """Insert a run's section at the top of RESULTS.md, keeping earlier runs below it."""
    if results_md.exists():
        old = results_md.read_text(encoding="utf-8")
    else:
        old = HEADER
    if MARKER in old:
        head, tail = old.split(MARKER, 1)
        tail = tail.strip("\n")
        new = head + MARKER + "\n\n" + text.rstrip("\n") + ("\n\n" + tail if tail else "")
    else:
        new = old.rstrip("\n") + "\n\n" + MARKER + "\n\n" + text.rstrip("\n")
    results_md.write_text(new + "\n", encoding="utf-8")
