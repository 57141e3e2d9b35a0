"""The query language: words, "phrases", -exclusions; nothing else is syntax."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searcher.search.query import MAX_QUERY_CHARS, MAX_QUERY_WORDS, parse_query
from searcher.vietnamese.text import exact_key


def clauses(q):
    return [([w.text for w in c.words], c.quoted) for c in q.clauses]


def excluded(q):
    return [([w.text for w in c.words], c.quoted) for c in q.excluded]


def test_plain_words_are_separate_clauses():
    q = parse_query("ngoại giao kinh tế")
    assert clauses(q) == [(["ngoại"], False), (["giao"], False), (["kinh"], False), (["tế"], False)]
    assert [w.folded for w in q.words] == ["ngoai", "giao", "kinh", "te"]
    assert [w.exact for w in q.words] == [exact_key("ngoại"), "giao", "kinh", exact_key("tế")]
    assert [w.marked for w in q.words] == [True, False, False, True]
    assert q.marked and not q.empty and q.excluded == [] and q.notes == []


def test_quoted_phrase_is_one_clause():
    q = parse_query('ngoại "kinh tế" giao')
    assert clauses(q) == [(["ngoại"], False), (["kinh", "tế"], True), (["giao"], False)]
    assert [w.text for w in q.words] == ["ngoại", "kinh", "tế", "giao"]  # typed order kept


@pytest.mark.parametrize("open_, close", [('"', '"'), ("“", "”"), ("«", "»"), ("„", "“")])
def test_typographic_quotes_make_phrases(open_, close):
    q = parse_query(f"{open_}ngoại giao{close} x")
    assert clauses(q) == [(["ngoại", "giao"], True), (["x"], False)]


def test_unmarked_query_is_not_marked():
    q = parse_query("ngoai giao KINH TE")
    assert not q.marked
    assert [w.folded for w in q.words] == ["ngoai", "giao", "kinh", "te"]


def test_nfd_query_equals_nfc_query():
    nfc = parse_query("Ngoại giao Việt Nam")
    nfd = parse_query(unicodedata.normalize("NFD", "Ngoại giao Việt Nam"))
    assert [(w.folded, w.exact, w.marked) for w in nfc.words] == [(w.folded, w.exact, w.marked) for w in nfd.words]


def test_minus_word_excludes():
    q = parse_query("ngoại giao -mỹ -trung")
    assert clauses(q) == [(["ngoại"], False), (["giao"], False)]
    assert excluded(q) == [(["mỹ"], False), (["trung"], False)]
    assert q.excluded[0].words[0].marked and not q.excluded[1].words[0].marked


def test_minus_quoted_phrase_excludes_the_phrase():
    q = parse_query('ngoại giao -"kinh tế" -“văn hóa”')
    assert clauses(q) == [(["ngoại"], False), (["giao"], False)]
    assert excluded(q) == [(["kinh", "tế"], True), (["văn", "hóa"], True)]


def test_hyphenated_exclusion_is_a_phrase():
    q = parse_query("ngoại -kinh-tế")
    assert excluded(q) == [(["kinh", "tế"], True)]
    # Without the leading minus a hyphen is just a separator.
    assert clauses(parse_query("kinh-tế")) == [(["kinh"], False), (["tế"], False)]


def test_exclusion_only_query_is_empty():
    q = parse_query("-ngoại -giao")
    assert q.empty and q.words == []
    assert len(q.excluded) == 2


@pytest.mark.parametrize("raw", ["", "   ", "-", "- -", '""', '"', "***", "()[]{}", ":~", "-\"\""])
def test_queries_without_words_are_empty(raw):
    q = parse_query(raw)
    assert q.empty and q.words == []


@pytest.mark.parametrize(
    "raw, words",
    [
        ('"ngoai giao', ["ngoai", "giao"]),  # unbalanced opening quote
        ('ngoai" giao"', ["ngoai", "giao"]),  # stray closing quotes
        ('ngoai "giao', ["ngoai", "giao"]),
        ('"""ngoai', ["ngoai"]),
    ],
)
def test_stray_quotes_are_ignored(raw, words):
    q = parse_query(raw)
    assert [w.text for w in q.words] == words
    assert q.excluded == []


@pytest.mark.parametrize(
    "raw, words",
    [
        ("a AND b", ["a", "AND", "b"]),
        ("ngoai OR giao NOT kinh", ["ngoai", "OR", "giao", "NOT", "kinh"]),
        ("ngoai* giao?", ["ngoai", "giao"]),
        ("title:ngoai", ["title", "ngoai"]),
        ("ngoai~2", ["ngoai", "2"]),
        ("(ngoai) [giao] {kinh}", ["ngoai", "giao", "kinh"]),
        ("ngoai^3 +giao", ["ngoai", "3", "giao"]),
        ("a-b", ["a", "b"]),
    ],
)
def test_operators_are_plain_text(raw, words):
    q = parse_query(raw)
    assert [w.text for w in q.words] == words
    assert q.excluded == []
    assert all(not c.quoted for c in q.clauses)


def test_and_is_a_word_like_any_other():
    q = parse_query("AND")
    assert [w.folded for w in q.words] == ["and"]


def test_prefix_mode_marks_the_unfinished_last_word():
    q = parse_query("ngoại gi", prefix=True)
    assert q.prefix is not None and q.prefix.folded == "gi"
    assert q.prefix is q.words[-1]


@pytest.mark.parametrize(
    "raw",
    [
        "ngoại gi ",  # a space after the last word: it is finished
        '"ngoại gi"',  # inside a finished phrase
        "ngoại -gi",  # the last thing typed is an exclusion
        "ngoại gi -",
    ],
)
def test_prefix_mode_without_an_unfinished_word(raw):
    assert parse_query(raw, prefix=True).prefix is None


def test_prefix_mode_off_by_default():
    assert parse_query("ngoại gi").prefix is None


def test_long_query_is_cut_with_a_note():
    raw = "ngoại giao " * 200  # 2200 characters, 400 words
    q = parse_query(raw)
    assert 0 < len(q.words) <= MAX_QUERY_WORDS
    assert any(str(MAX_QUERY_CHARS) in note for note in q.notes)
    assert any(str(MAX_QUERY_WORDS) in note for note in q.notes)


def test_many_words_are_capped_with_a_note():
    raw = " ".join(f"w{i}" for i in range(MAX_QUERY_WORDS + 8))
    q = parse_query(raw)
    assert [w.text for w in q.words] == [f"w{i}" for i in range(MAX_QUERY_WORDS)]
    assert len(q.notes) == 1 and str(MAX_QUERY_WORDS) in q.notes[0]


def test_short_query_has_no_notes():
    assert parse_query("ngoại giao " * 10).notes == []


def test_over_long_quoted_phrase_is_cut_not_dropped():
    raw = '"' + " ".join(["ngoại giao"] * 20) + '"'  # one phrase of 40 words
    q = parse_query(raw)
    assert q.notes  # the user is told the query was cut ...
    assert not q.empty  # ... and the first words are still searched
    assert 0 < len(q.words) <= MAX_QUERY_WORDS


def test_word_cap_does_not_turn_a_finished_word_into_a_prefix():
    raw = " ".join(f"w{i}" for i in range(MAX_QUERY_WORDS + 8))
    q = parse_query(raw, prefix=True)
    # The unfinished word w39 was cut off; the last word kept, w31, was followed by a space.
    assert q.words[-1].text == f"w{MAX_QUERY_WORDS - 1}"
    assert q.prefix is None


@pytest.mark.parametrize("raw", ["ngoại giao \u0301", "\u0323 ngoại"])
def test_lone_combining_mark_is_not_a_word(raw):
    q = parse_query(raw)
    assert all(w.folded for w in q.words), [(w.text, w.folded, w.exact) for w in q.words]


QUERY_CHARS = st.one_of(
    st.text(),
    st.lists(
        st.sampled_from(
            ['"', "“", "”", "«", "»", "-", "*", ":", "~", "(", ")", "[", "]", "AND", "OR", " ", "\n", "\t",
             "ngoại", "giao", "đ", "Ð", "\u0301", "\u0323", "\u200b", "\u00a0", "\ufeff", "-\"", "\r", "\x00"]
        ),
        max_size=30,
    ).map("".join),
)  # fmt: skip


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=QUERY_CHARS, prefix=st.booleans())
def test_parse_query_never_raises(raw, prefix):
    q = parse_query(raw, prefix=prefix)
    assert len(q.words) <= MAX_QUERY_WORDS
    for word in q.words + [w for c in q.excluded for w in c.words]:
        assert word.text  # no empty words
        assert not any(ch.isspace() for ch in word.folded + word.exact)
    if q.prefix is not None:
        assert q.prefix is q.words[-1]
    assert q.empty == (not q.words)


def test_a_word_followed_by_punctuation_is_finished() -> None:
    # The live search and the CLI read a question the same way (issue 22 item 13).
    assert parse_query("giảm áp lực cho học sinh?", prefix=True).prefix is None
    assert parse_query("Điều 5.", prefix=True).prefix is None
    assert parse_query("cho học sin", prefix=True).prefix.text == "sin"
