"""The strict tiers' queries answered from the posting arrays: sets, scores, ties, and what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh.query import And, Not, Or, Phrase, Prefix, Term

from searcher.backends.local import read_postings
from searcher.search.bestmatch import BestMatchIndex
from searcher.search.matching import evaluate, top
from searcher.vietnamese.text import exact_term

TEXTS = [
    "Ngoại giao kinh tế được đẩy mạnh",  # 0
    "Kinh tế vĩ mô ổn định",  # 1
    "Giao thông ngoài đô thị",  # 2
    "Kinh tế, kinh tế và kinh tế",  # 3
    "Ngoài giao kết, ngoại thương kinh tế",  # 4
]


def build(folder: Path, texts: list[str]) -> BestMatchIndex:
    from tests.index_support import array_index

    return array_index(folder, texts)


@pytest.fixture
def index(tmp_path: Path) -> BestMatchIndex:
    return build(tmp_path, TEXTS)


def pids(index: BestMatchIndex, query) -> list[int]:
    return evaluate(index, query).docnums.tolist()


def test_a_term_of_each_kind(index: BestMatchIndex) -> None:
    assert pids(index, Term("folded", "ngoai")) == [0, 2, 4]  # ngoại and ngoài alike
    assert pids(index, Term("exact", exact_term("ngoại"))) == [0, 4]  # only ngoại
    assert pids(index, Term("exact", exact_term("ngoài"))) == [2, 4]
    assert pids(index, Term("pairs", "kinh_te")) == [0, 1, 3, 4]
    assert pids(index, Term("folded", "xyzzy")) == []


def test_and_or_not(index: BestMatchIndex) -> None:
    ngoai, kinh = Term("folded", "ngoai"), Term("folded", "kinh")
    assert pids(index, And([ngoai, kinh])) == [0, 4]
    assert pids(index, Or([Term("folded", "vi"), Term("folded", "thong")])) == [1, 2]
    assert pids(index, And([kinh, Not(Term("exact", exact_term("ngoại")))])) == [1, 3]
    with pytest.raises(TypeError):
        evaluate(index, Not(kinh))  # nothing to subtract from
    with pytest.raises(TypeError):
        evaluate(index, Prefix("folded", "ng"))  # the planner expands prefixes itself


def test_a_phrase_is_every_pair_of_it(index: BestMatchIndex) -> None:
    # The order of the pairs is the tier's Check's to verify on the text.
    assert pids(index, Phrase("pairs", ["ngoai_giao", "giao_kinh"])) == [0]


def test_scores_add_up_and_follow_bm25(index: BestMatchIndex) -> None:
    kinh, te = Term("folded", "kinh"), Term("folded", "te")
    both = evaluate(index, And([kinh, te]))
    alone = dict(zip(evaluate(index, kinh).docnums.tolist(), evaluate(index, kinh).scores.tolist(), strict=True))
    other = dict(zip(evaluate(index, te).docnums.tolist(), evaluate(index, te).scores.tolist(), strict=True))
    for pid, score in zip(both.docnums.tolist(), both.scores.tolist(), strict=True):
        assert score == pytest.approx(alone[pid] + other[pid], rel=1e-5)
    # Three times "kinh tế" in a short paragraph beats once in a longer one.
    ranked = [both.docnums[i] for i in top(both, 4, index.order).tolist()]
    assert ranked[0] == 3
    # A boost of 0 narrows without scoring (exact syllables of an exact phrase).
    narrowed = evaluate(index, And([kinh, Term("exact", exact_term("ngoại"), boost=0.0)]))
    assert narrowed.docnums.tolist() == [0, 4]
    assert narrowed.scores.tolist() == pytest.approx(
        [alone[0], alone[4]], rel=1e-5
    )


def test_equal_scores_go_in_the_folders_order(tmp_path: Path) -> None:
    index = build(tmp_path, ["Hà Nội mùa thu"] * 6)
    matches = evaluate(index, Term("folded", "thu"))
    assert [matches.docnums[i] for i in top(matches, 4, index.order).tolist()] == [0, 1, 2, 3]


def test_several_segments_answer_like_one(tmp_path: Path) -> None:
    from tests.index_support import add_paragraphs, open_index

    one = build(tmp_path / "one", TEXTS * 3)
    ix = open_index(tmp_path / "many")
    for round_ in range(3):  # one Whoosh segment a commit
        add_paragraphs(ix, TEXTS, first_pid=round_ * len(TEXTS), merge=False)
    many = read_postings(ix.reader())
    assert len(many.parts) == 3 and len(one.parts) == 1
    for query in [Term("folded", "kinh"), And([Term("pairs", "kinh_te"), Term("exact", exact_term("ngoại"))])]:
        a, b = evaluate(one, query), evaluate(many, query)
        assert a.docnums.tolist() == b.docnums.tolist()
        assert a.scores.tolist() == pytest.approx(b.scores.tolist(), rel=1e-5)
    assert many.with_prefix("ng", 5) == one.with_prefix("ng", 5)
