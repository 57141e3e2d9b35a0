"""bench/qa.py --quick runs end to end: 60 questions per QA set, three engines.

It checks that the harness works and that the peers' figures are sane, not
that searcher ranks well: the benchmark exists to show where it does not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
QA_RUN = REPO / "bench" / "qa.py"
QA = Path(os.environ.get("SEARCHER_QA_DIR") or REPO.parent / "shared" / "qa")
SETS = ("alqac2022", "vinewsqa-dev")
ENGINES = ("searcher", "fts5", "tantivy")
VARIANTS = ("as-written", "unaccented")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick(tmp_path_factory) -> dict:
    if not all((QA / name / "queries.jsonl.gz").is_file() for name in SETS):
        pytest.skip(f"QA sets not found at {QA}")
    pytest.importorskip("tantivy", reason="tantivy is not installed (pip install -e '.[bench]')")
    out = tmp_path_factory.mktemp("qa") / "quick.json"
    results_md = REPO / "bench" / "RESULTS.md"
    before = results_md.read_bytes() if results_md.exists() else None
    done = subprocess.run(
        [sys.executable, str(QA_RUN), "--quick", "--qa", str(QA), "--json-out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=480,
        check=False,
    )
    assert done.returncode == 0, f"bench/qa.py --quick exited {done.returncode}:\n{done.stderr[-3000:]}"
    after = results_md.read_bytes() if results_md.exists() else None
    assert before == after, "--quick must not touch bench/RESULTS.md"
    assert "| alqac2022 | 60 | as-written | fts5 |" in done.stdout  # the Markdown table was printed
    return json.loads(out.read_text(encoding="utf-8"))


def test_every_set_variant_and_engine_has_figures(quick):
    assert set(quick["sets"]) == set(SETS)
    for name, s in quick["sets"].items():
        assert s["questions"] == 60, name
        assert s["paragraphs"] == s["qa_paragraphs"] > 0 and s["distractors"] is None, name
        assert set(s["results"]) == set(VARIANTS), name
        for variant, engines in s["results"].items():
            assert set(engines) == set(ENGINES), (name, variant)
            for engine, m in engines.items():
                assert m["queries"] == 60
                for stat in ("p_at_1", "mrr10", "r_at_10", "no_hit"):
                    assert 0 <= m[stat] <= 1, (name, variant, engine, stat)
                assert m["p_at_1"] <= m["mrr10"], (name, variant, engine)
                for stat in ("p50_ms", "p95_ms", "max_ms"):
                    assert isinstance(m[stat], float) and m[stat] >= 0, (name, variant, engine, stat)
                assert m["p50_ms"] <= m["p95_ms"] <= m["max_ms"]
                assert 0 <= m["cut_by_budget"] <= 60 and (engine == "searcher" or m["cut_by_budget"] == 0)
            assert len(s["per_query"][variant]) == 60
        for engine in ENGINES:
            assert s["build"][engine]["rows"] == s["paragraphs"], (name, engine)


def test_the_peers_rank_whole_questions(quick):
    alqac = quick["sets"]["alqac2022"]["results"]
    for variant in VARIANTS:
        assert alqac[variant]["fts5"]["p_at_1"] > 0.3, variant
        assert alqac[variant]["tantivy"]["p_at_1"] > 0.3, variant
        assert alqac[variant]["fts5"]["no_hit"] == 0, variant
    news = quick["sets"]["vinewsqa-dev"]["results"]["as-written"]
    assert news["fts5"]["p_at_1"] > 0.2 and news["tantivy"]["p_at_1"] > 0.2


def test_the_unaccented_variant_drops_the_diacritics(quick):
    rows = quick["sets"]["alqac2022"]["per_query"]
    for written, bare in zip(rows["as-written"], rows["unaccented"], strict=True):
        assert written["id"] == bare["id"]
        decomposed = unicodedata.normalize("NFD", bare["q"])
        assert not any(unicodedata.combining(ch) or ch in "đĐ" for ch in decomposed), bare["q"]
        assert len(bare["q"]) == len(unicodedata.normalize("NFC", written["q"])), (written["q"], bare["q"])
