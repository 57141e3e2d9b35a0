"""A cluster's candidates, analysed here, score as the local index scores the same paragraphs
(searcher/search/candidates.py): what makes both backends answer alike."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
from whoosh.query import And, Or, Phrase, Term

from searcher.search.candidates import analyse, candidate_index
from searcher.search.matching import evaluate
from searcher.vietnamese.text import exact_term
from tests.index_support import array_index

TEXTS = [
    "Ngoại giao kinh tế được đẩy mạnh",
    unicodedata.normalize("NFD", "Kinh tế vĩ mô ổn định, hoà bình và hòa hợp"),  # decomposed, both tone places
    "Giao thông ngoài đô thị; kỹ thuật và kĩ năng",
    "Kinh tế, kinh tế và kinh tế " * 30,  # long: BM25's length normalisation, term frequencies
    "Đà Nẵng: ngoài giao kết, ngoại thương kinh tế",
    "ở ý máy",  # one-letter words are words
]
QUERIES = [
    Term("folded", "kinh"),
    And([Term("pairs", "kinh_te"), Term("exact", exact_term("ngoại"))]),
    Or([Term("folded", "hoa"), Term("folded", "ky"), Term("folded", "da")]),
    Phrase("pairs", ["ngoai_giao", "giao_kinh"]),
    Term("folded", "o"),
    Or([Term("folded", "ngoai"), Term("folded", "ngo")]),  # an unfinished word's completions
]


class Statistics:
    """The whole index's figures, as a cluster gives them."""

    def __init__(self, whole) -> None:  # type: ignore[no-untyped-def]
        self.whole = whole
        self.live, self.average_length = whole.live, whole.average_length

    def document_frequency(self, term: str) -> int:
        return int(self.whole.document_frequency(term))


def test_every_query_scores_as_on_the_local_index(tmp_path: Path) -> None:
    local = array_index(tmp_path, TEXTS)
    sent = candidate_index([analyse(t) for t in TEXTS], list(range(len(TEXTS))), None)
    for query in QUERIES:
        mine, theirs = evaluate(local, query), evaluate(sent, query)
        assert mine.docnums.tolist() == theirs.docnums.tolist(), query
        assert np.array_equal(mine.scores, theirs.scores), query


def test_some_candidates_with_the_whole_index_s_statistics_score_as_there(tmp_path: Path) -> None:
    # A cluster sends a few of its paragraphs: with its statistics, they score as in the whole index.
    local = array_index(tmp_path, TEXTS)
    chosen = [0, 3, 4]
    sent = candidate_index([analyse(TEXTS[i]) for i in chosen], chosen, Statistics(local))
    for query in QUERIES[:4]:
        mine = evaluate(local, query)
        scores = dict(zip(mine.docnums.tolist(), mine.scores.tolist(), strict=True))
        theirs = evaluate(sent, query)
        assert {chosen[d]: s for d, s in zip(theirs.docnums.tolist(), theirs.scores.tolist(), strict=True)} == {
            d: s for d, s in scores.items() if d in chosen
        }, query


def test_best_match_ranks_the_candidates_as_the_local_index_does(tmp_path: Path) -> None:
    local = array_index(tmp_path, TEXTS)
    sent = candidate_index([analyse(t) for t in TEXTS], list(range(len(TEXTS))), Statistics(local))
    words, pairs = [["ngoai"], ["giao"], ["kinh"], ["te"]], ["ngoai_giao", "giao_kinh", "kinh_te"]
    mine, theirs = local.search(words, pairs, min_words=2), sent.search(words, pairs, min_words=2)
    assert (theirs.docnums, theirs.scores, theirs.held) == (mine.docnums, mine.scores, mine.held)
    assert theirs.idf == mine.idf


def test_keeping_only_the_terms_a_search_weighs_changes_no_score(tmp_path: Path) -> None:
    # A cluster's search builds postings for its own terms only (and a prefix's completions).
    local = array_index(tmp_path, TEXTS)
    keep = {"kinh", "_kinh_te", "=" + exact_term("ngoại"), "hoa", "ky", "da", "_ngoai_giao", "_giao_kinh", "o"}
    sent = candidate_index([analyse(t) for t in TEXTS], list(range(len(TEXTS))), None, keep, prefixes=["ngo"])
    for query in QUERIES:
        mine, theirs = evaluate(local, query), evaluate(sent, query)
        assert mine.docnums.tolist() == theirs.docnums.tolist(), query
        assert np.array_equal(mine.scores, theirs.scores), query
    assert not len(sent.postings("duoc")[0])  # a term no query weighs is not kept
