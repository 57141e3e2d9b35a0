"""Which characters of a paragraph are highlighted: highlight_spans, and the spans of real hits."""

from __future__ import annotations

import pytest

from conftest import run_search
from searcher.search.highlight import highlight_spans
from searcher.search.query import parse_query
from searcher.vietnamese.analysis import tokenize
from searcher.vietnamese.text import clean, exact_key, fold

NGOAI_DOT = exact_key("ngoại")  # "foreign"
NGOAI_GRAVE = exact_key("ngoài")  # "outside"


def exact_words(text: str) -> set[str]:
    return {exact_key(t.text) for t in tokenize(clean(text))}


def marked(text: str, query: str, prefix: bool = False) -> list[str]:
    return [text[a:b] for a, b in highlight_spans(text, parse_query(query, prefix=prefix))]


# -- highlight_spans --------------------------------------------------------------------------


def test_unmarked_word_highlights_every_form_with_its_marks():
    assert marked("Ngoài trời, NGOẠI giao và ngoại tệ", "ngoai") == ["Ngoài", "NGOẠI", "ngoại"]


def test_marked_word_highlights_only_its_own_form_when_present():
    assert marked("ngoài trời và ngoại giao", "ngoại") == ["ngoại"]
    assert marked("hoà bình, hòa bình", "hòa") == ["hoà", "hòa"]  # tone placement does not matter


def test_marked_word_falls_back_to_the_folded_form_when_absent():
    assert marked("ngoài trời, ngoài sân", "ngoại") == ["ngoài", "ngoài"]


def test_whole_tokens_only():
    assert marked("giao dịch, giaothông, bàn giao", "giao") == ["giao", "giao"]


def test_unfinished_last_word_highlights_as_a_prefix():
    text = "ngoại giao, giảng dạy, ngoài giờ"
    assert marked(text, "ngoai gi", prefix=True) == ["ngoại", "giao", "giảng", "ngoài", "giờ"]
    # Without prefix mode the same word must match whole.
    assert marked(text, "ngoai gi") == ["ngoại", "ngoài"]


def test_excluded_words_are_not_highlighted():
    assert marked("ngoại giao, kinh tế", "ngoại -kinh") == ["ngoại"]


# -- the spans of real hits -----------------------------------------------------------------


@pytest.mark.parametrize("query", ["ngoai giao", "ngoại giao kinh tế", "HÒA BÌNH", "lan dau tien", "P4G"])
def test_spans_point_at_the_accented_text(engine, query):
    wanted = {fold(w) for w in query.split()}
    hits = run_search(engine, query)
    assert hits
    for hit in hits:
        assert hit.spans
        assert hit.spans == sorted(hit.spans)
        for start, end in hit.spans:
            assert 0 <= start < end <= len(hit.text)
            piece = hit.text[start:end]
            assert fold(piece) in wanted, (piece, query)
            # Whole tokens only.
            assert start == 0 or not hit.text[start - 1].isalnum()
            assert end == len(hit.text) or not hit.text[end].isalnum()


def test_unmarked_query_highlights_every_form(engine):
    hits = run_search(engine, "ngoai giao", limit=20)
    for hit in hits:
        expected = [(t.start, t.end) for t in tokenize(hit.text) if fold(t.text) in ("ngoai", "giao")]
        assert hit.spans == expected


def test_marked_query_does_not_highlight_the_other_word(engine):
    hits = run_search(engine, "ngoại", limit=200)
    both = [h for h in hits if {NGOAI_DOT, NGOAI_GRAVE} <= exact_words(h.text)]
    assert both, "the corpus has paragraphs with both ngoại and ngoài (e.g. 002 line 36)"
    for hit in both:
        marked = [hit.text[a:b] for a, b in hit.spans]
        assert marked and all(exact_key(m) == NGOAI_DOT for m in marked), marked
        assert all(m.lower() != "ngoài" for m in marked)


def test_highlight_falls_back_to_folded_form(small_engine):
    eng = small_engine({"a.txt": "Tiêu đề\n\nở nước ngoài và ngoài trời\n"})
    hits = run_search(eng, "ngoại")
    assert len(hits) == 1 and not hits[0].exact
    assert [hits[0].text[a:b] for a, b in hits[0].spans] == ["ngoài", "ngoài"]


# -- what the query matched (issue 22 item 11) ---------------------------------------------------

PHRASE_TEXT = "Đội tuyển Việt Nam thắng. Năm nay đội bạn nằm chờ, người Việt ở Nam Định xem."


def test_a_quoted_phrase_highlights_only_where_it_stands_whole():
    assert marked(PHRASE_TEXT, '"đội tuyển Việt Nam"') == ["Đội", "tuyển", "Việt", "Nam"]
    assert marked(PHRASE_TEXT, '"doi tuyen viet nam"') == ["Đội", "tuyển", "Việt", "Nam"]
    # Its words alone light up nowhere, also when the phrase is not there at all.
    assert marked("Năm nay đội bạn nằm chờ", '"đội tuyển Việt Nam"') == []
    # An unquoted word beside the phrase still lights up wherever it is.
    assert marked(PHRASE_TEXT, '"Việt Nam" xem') == ["Việt", "Nam", "xem"]


def test_phrase_spans_merge_a_quoted_phrase_into_one_span():
    from searcher.search.highlight import phrase_spans

    spans = phrase_spans(PHRASE_TEXT, parse_query('"Việt Nam" xem'))
    assert [PHRASE_TEXT[a:b] for a, b in spans] == ["Việt Nam", "xem"]


def test_json_spans_of_a_quoted_phrase_hit_mark_the_phrase_only(small_engine):
    eng = small_engine({"a.txt": "Tiêu đề\n\n" + PHRASE_TEXT + "\n\nNăm nay đội tuyển bóng chuyền nằm nhà.\n"})
    result = run_search(eng, '"đội tuyển Việt Nam"')
    assert len(result) == 1
    hit = result[0]
    assert [hit.text[a:b] for a, b in hit.spans] == ["Đội", "tuyển", "Việt", "Nam"]
    assert hit.to_json()["spans"] == [list(span) for span in hit.spans]  # --json prints these


def test_the_document_view_highlights_the_matches_only():
    from searcher.search.highlight import document_spans

    query = parse_query("ngoại giao")
    text = "Ra nước ngoài giao lưu, bàn chuyện ngoại giao, rồi giao thông."
    spans, matches = document_spans(text, query)
    assert [text[a:b] for a, b in spans] == ["ngoại giao"] and matches == spans
    # A paragraph without the query's words together lights up nothing.
    assert document_spans("Chuyện giao thông ở nước ngoài.", query) == ([], [])
    # Scattered words that make the best cluster: the words light up, not the text between them.
    text = "Ngoại trưởng bàn về giao dịch và chuyện ngoại vụ"
    spans, matches = document_spans(text, parse_query("ngoại giao"))
    assert [text[a:b] for a, b in spans] == ["Ngoại", "giao"] and len(matches) == 1
