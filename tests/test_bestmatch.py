"""Best match: every paragraph with any of the words, scored with BM25 over the syllable fields' arrays."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from searcher.backends.local import read_postings
from searcher.search.bestmatch import BestMatchIndex
from tests.index_support import add_paragraphs, array_index, open_index

TEXTS = [
    "Ngoại giao kinh tế được đẩy mạnh",
    "Kinh tế vĩ mô ổn định",
    "Giao thông đô thị",
    "Thuế nhập khẩu và thuế xuất khẩu",
]


@pytest.fixture
def index(tmp_path: Path) -> BestMatchIndex:
    return array_index(tmp_path, TEXTS)


def test_scores_follow_bm25_and_count_the_words_found(index: BestMatchIndex) -> None:
    found = index.search([["ngoai"], ["giao"], ["kinh"], ["te"]], ["ngoai_giao", "giao_kinh", "kinh_te"])
    assert found.docnums[0] == 0 and found.words_found[0] == 4 and found.best_coverage == 4
    assert set(found.docnums) == {0, 1, 2}  # "thuế" folds to "thue", not "te"
    assert found.words_found[found.docnums.index(2)] == 1
    # A rare syllable weighs more than a common one: "thue" is in one paragraph of four, "kinh" in two.
    assert index.idf("thue") > index.idf("kinh") > 0
    assert math.isclose(index.idf("thue"), math.log(1 + (4 - 1 + 0.5) / (1 + 0.5)), rel_tol=1e-6)


def test_unknown_words_and_exclusions(index: BestMatchIndex) -> None:
    assert index.search([["xyzzy"], ["qwfp"]], []).docnums == []
    found = index.search([["kinh"], ["te"]], ["kinh_te"], excluded=["ngoai"])
    assert found.docnums == [1]


def test_deleted_paragraphs_are_not_found_nor_counted(tmp_path: Path) -> None:
    from searcher.index import whoosh_patches

    ix = open_index(tmp_path)
    add_paragraphs(ix, TEXTS[:2], path="a.txt")
    add_paragraphs(ix, TEXTS[2:], first_pid=2, path="b.txt", merge=False)
    writer = whoosh_patches.writer(ix)
    writer.delete_by_term("path", "a.txt")
    writer.commit(merge=False)
    index = read_postings(ix.reader())
    assert index.search([["kinh"], ["te"]], ["kinh_te"]).docnums == []
    assert index.live == 2  # the two paragraphs of b.txt
    assert index.document_frequency("kinh") == 0


def test_engine_best_match_follows_incremental_updates(tmp_path, make_corpus) -> None:
    # Only best match finds these (no paragraph has every word): the update must reach it too.
    from searcher import Engine
    from searcher.index.build import build_index

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


def test_many_updates_keep_few_segments_and_the_same_answers(tmp_path, make_corpus) -> None:
    # A folder kept current by --watch gets an update per save: the segments must not pile up
    # (a search looks every term up in every one), and merging them must change no answer.
    from searcher import Engine
    from searcher.index.build import build_index

    files = {f"{n:02d}.txt": f"Tiêu đề {n}\n\nNgoại giao kinh tế năm {2000 + n}.\n\nVăn hóa dân gian số {n}.\n" for n in range(30)}
    corpus = make_corpus(files)
    index = tmp_path / "index"
    build_index(corpus, index)
    for n in range(12):  # twelve saves, each an incremental update of one file
        (corpus / f"{n:02d}.txt").write_text(f"Tiêu đề {n}\n\nHợp tác ngoại giao lần {n}.\n", encoding="utf-8")
        assert build_index(corpus, index).mode == "incremental"
    with Engine.open(index) as engine:
        parts = engine.backend.postings().parts
        updated = [h.path for h in engine.search("hợp tác ngoại giao", limit=50, budget=30, all_words=True)]
        untouched = [(h.path, h.line) for h in engine.search("ngoại giao kinh tế", limit=50, budget=30)]
    assert len(parts) <= 6
    assert sorted(updated) == [f"{n:02d}.txt" for n in range(12)]
    fresh = tmp_path / "fresh"
    build_index(corpus, fresh)
    with Engine.open(fresh) as engine:
        assert [h.path for h in engine.search("hợp tác ngoại giao", limit=50, budget=30, all_words=True)] == updated
        assert [(h.path, h.line) for h in engine.search("ngoại giao kinh tế", limit=50, budget=30)] == untouched


@pytest.mark.parametrize("segments", [1, 2])
def test_which_candidates_hold_a_word_and_which_words_each_candidate_has(tmp_path: Path, segments: int) -> None:
    # Issue 24: what a question typed with marks needs to know of its candidates, without their text.
    import numpy as np

    ix = open_index(tmp_path)
    if segments == 1:
        add_paragraphs(ix, TEXTS)
    else:
        add_paragraphs(ix, TEXTS[:2])
        add_paragraphs(ix, TEXTS[2:], first_pid=2, path="u.txt", merge=False)
    index = read_postings(ix.reader())
    assert len(index.parts) == segments
    docnums = np.asarray([3, 0, 2, 1], dtype=np.int64)
    assert index.holds("=ngoai~5", docnums).tolist() == [False, True, False, False]  # ngoại, exactly
    assert index.holds("kinh", docnums).tolist() == [False, True, False, True]
    assert index.holds("thue", docnums).tolist() == [True, False, False, False]
    assert index.holds("xyzzy", docnums).tolist() == [False] * 4
    found = index.search([["ngoai"], ["giao"], ["thue"]], [])
    assert dict(zip(found.docnums, found.held, strict=True)) == {0: 0b011, 2: 0b010, 3: 0b100}  # bit i: word i
