"""The best-match postings: written by builds, updated by incremental ones, scored with BM25."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from searcher.bestmatch import BestMatchIndex, BestMatchWriter
from searcher.analysis import index_terms


def add(writer: BestMatchWriter, text: str) -> int:
    _exact, folded, pairs = index_terms(text)
    return writer.add(folded.split(), pairs.split())


@pytest.fixture
def generation(tmp_path: Path) -> Path:
    writer = BestMatchWriter(tmp_path)
    for text in [
        "Ngoại giao kinh tế được đẩy mạnh",
        "Kinh tế vĩ mô ổn định",
        "Giao thông đô thị",
        "Thuế nhập khẩu và thuế xuất khẩu",
    ]:
        add(writer, text)
    writer.commit()
    return tmp_path


def test_scores_follow_bm25_and_count_the_words_found(generation: Path) -> None:
    index = BestMatchIndex.open(generation)
    assert index is not None
    found = index.search([["ngoai"], ["giao"], ["kinh"], ["te"]], ["ngoai_giao", "giao_kinh", "kinh_te"])
    assert found.pids[0] == 0 and found.words_found[0] == 4 and found.best_coverage == 4
    assert set(found.pids) == {0, 1, 2}  # "thuế" folds to "thue", not "te"
    assert found.words_found[found.pids.index(2)] == 1
    # A rare syllable weighs more than a common one: "thue" is in one paragraph of four, "kinh" in two.
    assert index.idf("thue") > index.idf("kinh") > 0
    assert math.isclose(index.idf("thue"), math.log(1 + (4 - 1 + 0.5) / (1 + 0.5)), rel_tol=1e-6)


def test_unknown_words_and_exclusions(generation: Path) -> None:
    index = BestMatchIndex.open(generation)
    assert index.search([["xyzzy"], ["qwfp"]], []).pids == []
    found = index.search([["kinh"], ["te"]], ["kinh_te"], excluded=["ngoai"])
    assert found.pids == [1]


def test_an_update_adds_a_part_and_retires_the_old_paragraphs(generation: Path) -> None:
    writer = BestMatchWriter(generation)
    writer.old_pids["a.txt"] = [0]
    writer.delete_path("a.txt")
    new = add(writer, "Hợp tác kinh tế quốc tế")
    writer.commit()
    assert new == 4
    index = BestMatchIndex.open(generation)
    found = index.search([["kinh"], ["te"]], ["kinh_te"])
    assert 0 not in found.pids and set(found.pids) == {1, 4}
    assert index.live == 4  # four paragraphs written, one retired, one added
    assert len(index.parts) == 2


def test_no_manifest_means_no_best_match_index(tmp_path: Path) -> None:
    assert BestMatchIndex.open(tmp_path) is None


def test_engine_best_match_follows_incremental_updates(small_engine, tmp_path, make_corpus) -> None:
    # Only best match finds these (no paragraph has every word): the update must reach it too.
    from searcher import Engine
    from searcher.indexer import build_index

    corpus = make_corpus({"a.txt": "Tiêu đề\n\nHợp tác kinh tế với các nước láng giềng.\n", "b.txt": "Tiêu đề\n\nVăn hóa dân gian.\n"})
    index = tmp_path / "index"
    build_index(corpus, index)
    with Engine.open(index) as engine:
        assert [h.path for h in engine.search("hợp tác kinh tế gì đó", budget=30)] == ["a.txt"]
    (corpus / "a.txt").write_text("Tiêu đề\n\nDu lịch biển đảo.\n", encoding="utf-8")
    (corpus / "c.txt").write_text("Tiêu đề\n\nHợp tác kinh tế song phương.\n", encoding="utf-8")
    summary = build_index(corpus, index)
    assert summary.mode == "incremental"
    with Engine.open(index) as engine:
        hits = engine.search("hợp tác kinh tế gì đó", budget=30)
        assert [h.path for h in hits] == ["c.txt"]
        assert hits[0].missing == ["gì", "đó"]


def test_many_updates_keep_few_parts_and_the_same_answers(tmp_path, make_corpus) -> None:
    # A folder kept current by --watch gets an update per save: the parts must not pile up
    # (a search looks every term up in every part), and merging them must change no answer.
    from searcher import Engine, bestmatch
    from searcher.indexer import build_index

    files = {f"{n:02d}.txt": f"Tiêu đề {n}\n\nNgoại giao kinh tế năm {2000 + n}.\n\nVăn hóa dân gian số {n}.\n" for n in range(30)}
    corpus = make_corpus(files)
    index = tmp_path / "index"
    build_index(corpus, index)
    for n in range(12):  # twelve saves, each an incremental update of one file
        (corpus / f"{n:02d}.txt").write_text(f"Tiêu đề {n}\n\nHợp tác ngoại giao lần {n}.\n", encoding="utf-8")
        assert build_index(corpus, index).mode == "incremental"
    with Engine.open(index) as engine:
        parts = engine._terms().parts
        updated = [h.path for h in engine.search("hợp tác ngoại giao", limit=50, budget=30, all_words=True)]
        untouched = [(h.path, h.line) for h in engine.search("ngoại giao kinh tế", limit=50, budget=30)]
    assert len(parts) <= 1 + bestmatch.SMALL_PARTS + 1
    folder = next(index.glob("gen-*")) / "bm"
    assert len(list(folder.glob("part-*"))) < 13  # merged-away parts are deleted once no manifest names them
    assert sorted(updated) == [f"{n:02d}.txt" for n in range(12)]
    fresh = tmp_path / "fresh"
    build_index(corpus, fresh)
    with Engine.open(fresh) as engine:
        assert [h.path for h in engine.search("hợp tác ngoại giao", limit=50, budget=30, all_words=True)] == updated
        assert [(h.path, h.line) for h in engine.search("ngoại giao kinh tế", limit=50, budget=30)] == untouched


def test_an_update_removes_what_a_killed_build_left_half_written(tmp_path, make_corpus) -> None:
    # A build killed inside an atomic write leaves its temporary file; the next one, which
    # holds the build lock, knows no other build is writing and removes it.
    from searcher.indexer import build_index

    corpus = make_corpus({"a.txt": "Tiêu đề\n\nNgoại giao kinh tế.\n"})
    index = tmp_path / "index"
    build_index(corpus, index)
    folder = next(index.glob("gen-*")) / "bm"
    (folder / "manifest-9.json.12345.tmp").write_text("{", encoding="utf-8")
    (folder / "part-0000000007.12345.tmp").mkdir()
    (corpus / "a.txt").write_text("Tiêu đề\n\nHợp tác kinh tế.\n", encoding="utf-8")
    assert build_index(corpus, index).mode == "incremental"
    assert not list(folder.glob("*.tmp"))
