"""The benchmark's --quick mode runs end to end (about 5k paragraphs, well under a minute).

It checks that the harness works and produces every number, not that the
targets are met: timing targets are for the full runs on a quiet machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RUN = REPO / "bench" / "run.py"
CORPORA = REPO.parent / "shared" / "corpora"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick(tmp_path_factory) -> dict:
    if not (CORPORA / "vi-wiki.jsonl.gz").is_file():
        pytest.skip(f"shared corpora not found at {CORPORA}")
    out = tmp_path_factory.mktemp("bench") / "quick.json"
    results_md = REPO / "bench" / "RESULTS.md"
    before = results_md.read_bytes() if results_md.exists() else None
    done = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--json-out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, f"bench/run.py --quick exited {done.returncode}:\n{done.stderr[-3000:]}"
    after = results_md.read_bytes() if results_md.exists() else None
    assert before == after, "--quick must not touch bench/RESULTS.md"
    return json.loads(out.read_text(encoding="utf-8"))


def test_every_set_has_numbers(quick):
    assert set(quick["sets"]) == {"a", "b", "c", "d", "e", "f"}
    for key, s in quick["sets"].items():
        assert s["queries"] > 0, key
        for engine in ("searcher", "fts5"):
            for stat in ("p50_ms", "p95_ms", "max_ms"):
                assert isinstance(s[engine][stat], float) and s[engine][stat] >= 0, (key, engine, stat)
        if key in "abcd":
            for engine in ("searcher", "fts5"):
                assert 0 <= s[engine]["hit10"] <= 1 and 0 <= s[engine]["mrr10"] <= 1, (key, engine)


def test_searcher_finds_the_known_items(quick):
    assert quick["sets"]["a"]["searcher"]["hit10"] > 0.5


def test_the_fts5_peer_produced_results(quick):
    assert quick["build"]["fts5"]["rows"] > quick["meta"]["paragraphs"]
    assert quick["sets"]["a"]["fts5"]["hit10"] > 0.5
    assert sum(1 for row in quick["queries"]["a"] if row["f_hits"]) > 0


def test_build_and_tools_were_measured(quick):
    build = quick["build"]["searcher"]
    assert build["seconds"] > 0 and build["paragraphs_per_s"] > 0
    assert build["peak_tree_rss"] > 0 and build["index_disk_bytes"] > 0
    assert quick["meta"]["paragraphs"] == 5000
    assert quick["oneshot"]["median_ms"] > 0
    assert quick["incremental"]["seconds"] > 0
    assert quick["incremental"]["found_after"], "the appended paragraph was not found after the incremental re-index"
    assert {t["target"] for t in quick["targets"]}  # pass/fail rows exist
