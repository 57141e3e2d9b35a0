"""Tokenizing and index terms: what becomes a searchable token (searching for them: test_engine.py)."""

from __future__ import annotations

import itertools
import unicodedata

import pytest

from searcher.vietnamese.analysis import READING_CACHE_CHARS, index_terms, pair_term, read_text, tokenize
from searcher.vietnamese.text import clean, exact_key, fold, folded_term

SENTENCE = "Thứ nhất, mọi hoạt động đối ngoại phải phục vụ tăng trưởng ít nhất 8% (P4G, G20; 18/21 thành viên)."


def test_tokens_carry_offsets_into_the_text():
    tokens = tokenize(SENTENCE)
    assert tokens, "no tokens"
    for token in tokens:
        assert SENTENCE[token.start : token.end] == token.text
    starts = [t.start for t in tokens]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert [t.text for t in tokens] == [
        "Thứ", "nhất", "mọi", "hoạt", "động", "đối", "ngoại", "phải", "phục", "vụ", "tăng",
        "trưởng", "ít", "nhất", "8", "P4G", "G20", "18", "21", "thành", "viên",
    ]  # fmt: skip


def test_offsets_survive_multiline_paragraphs():
    text = "Bộ trưởng Ngoại giao phát biểu khai mạc\nngành Ngoại giao năm 2022."
    for token in tokenize(text):
        assert text[token.start : token.end] == token.text
    assert [t.text for t in tokenize(text)][6:9] == ["khai", "mạc", "ngành"]


def test_punctuation_and_spaces_are_never_part_of_tokens():
    tokens = tokenize("«Ngoại giao» — “kinh tế”… (hòa bình)! x_y a-b")
    assert [t.text for t in tokens] == ["Ngoại", "giao", "kinh", "tế", "hòa", "bình", "x", "y", "a", "b"]
    for token in tokens:
        assert all(c.isalnum() or unicodedata.combining(c) for c in token.text), token
        assert "_" not in token.text  # "_" joins pair terms, it must never be inside a token


@pytest.mark.parametrize(
    "text, expected",
    [
        ("8%", ["8"]),
        ("P4G", ["P4G"]),
        ("G20", ["G20"]),
        ("18/21", ["18", "21"]),
        ("http://www.baoquangtri.vn/tao-buoc-tien", ["http", "www", "baoquangtri", "vn", "tao", "buoc", "tien"]),
        ("ở", ["ở"]),
        ("ý", ["ý"]),
        ("máy thế cần an ninh", ["máy", "thế", "cần", "an", "ninh"]),
        ("a b c", ["a", "b", "c"]),  # minimum length 1, no stop list
    ],
)
def test_token_forms(text, expected):
    assert [t.text for t in tokenize(text)] == expected


def test_index_terms_streams():
    streams = index_terms("Ngoại giao Việt Nam")
    exact, folded, pairs = streams[0], streams[1], streams[2]
    assert exact.split() == [exact_key("Ngoại"), "giao", exact_key("Việt"), "nam"]
    assert len(set(exact.split())) == 4 and exact_key("Ngoại") != "ngoai" and exact_key("Việt") != "viet"
    assert folded == "ngoai giao viet nam"
    assert pairs == "ngoai_giao giao_viet viet_nam"


def test_index_terms_are_aligned_with_tokens():
    text = clean("Thủ tướng: ngoại giao kinh tế, hoà bình và 8% tăng trưởng (G20).")
    tokens = tokenize(text)
    exact, folded, pairs = index_terms(text)[:3]
    assert exact.split() == [exact_key(t.text) for t in tokens]
    assert folded.split() == [fold(t.text) for t in tokens]
    folded_words = folded.split()
    assert pairs.split() == [pair_term(a, b) for a, b in itertools.pairwise(folded_words)]
    assert exact_key("hòa") in exact.split()  # hoà and hòa share one key
    assert index_terms("hòa bình")[0] == index_terms("hoà bình")[0]


def test_index_terms_of_nothing():
    exact, folded, pairs = index_terms("")[:3]
    assert (exact, folded, pairs) == ("", "", "")
    exact, folded, pairs = index_terms("ở")[:3]
    assert (exact, folded, pairs) == (exact_key("ở"), "o", "")
    assert exact not in ("o", "ơ")


def test_pair_term():
    assert pair_term("ngoai", "giao") == "ngoai_giao"


@pytest.mark.parametrize(
    "text",
    [
        "Kỹ sư Ngoại giao, kĩ thuật",
        unicodedata.normalize("NFD", "Bộ Ngoại giao Việt Nam"),
        "ĐƯỜNG Ðơn đường",
        "Ngoại giao " * (READING_CACHE_CHARS // 10),  # a document: read, not remembered
    ],
)
def test_a_reading_is_the_tokens_and_their_folded_forms(text: str) -> None:
    # Highlighting and snippets read a paragraph through read_text, which remembers recent ones:
    # a remembered reading must be exactly a fresh one, each time it is asked for.
    for _ in range(2):
        reading = read_text(text)
        assert list(reading.tokens) == tokenize(text)
        assert reading.folds == tuple(fold(t.text) for t in reading.tokens)
        assert reading.terms == tuple(folded_term(t.text) for t in reading.tokens)
    assert read_text(text + " thêm").tokens[-1].text == "thêm"  # another text, another reading
