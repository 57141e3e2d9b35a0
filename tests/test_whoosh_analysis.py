"""The Whoosh analysis of the syllable fields: what plain Whoosh makes of a query, and the build's short cut."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.qparser import QueryParser

from searcher.index.schema import make_schema
from searcher.vietnamese.whoosh_analysis import SyllableField


def terms(kind: str, text: str) -> list[str]:
    return [t.text for t in SyllableField(kind).analyzer(text)]


def test_a_query_through_plain_whoosh_folds_like_the_index() -> None:
    schema = make_schema()
    assert str(QueryParser("folded", schema).parse("NGOẠI giao")) == "(folded:ngoai AND folded:giao)"
    assert str(QueryParser("exact", schema).parse("ngoài")) == "exact:ngoai~2"
    # NFD input, the old tone-mark place, đ and i/y all meet their indexed forms.
    decomposed = unicodedata.normalize("NFD", "Đà Nẵng hoà kĩ")
    assert terms("folded", decomposed) == ["da", "nang", "hoa", "ki"]
    assert terms("exact", "hoà") == terms("exact", "hòa")
    assert terms("exact", "kĩ") == terms("exact", "kỹ")


def test_no_stop_words_and_no_minimum_length() -> None:
    assert terms("folded", "ở ý máy") == ["o", "y", "may"]
    assert terms("pairs", "ở ý máy") == ["o_y", "y_may"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyAĐÊ áàảãạấầẩẫậíìỉĩịýỳỷỹỵúùủũụ0129,.-_\n", max_size=60))
def test_the_builds_short_cut_gives_the_analyzers_terms(text: str) -> None:
    for kind in ("exact", "folded", "pairs"):
        field = SyllableField(kind)
        fast = {term.decode("utf-8"): count for term, count, _weight, _value in field.index(text)}
        slow: dict[str, int] = {}
        for term in terms(kind, text):
            slow[term] = slow.get(term, 0) + 1
        assert fast == slow, kind


@pytest.mark.parametrize("kind", ["exact", "folded", "pairs"])
def test_the_fields_pickle_by_import_path(kind: str) -> None:
    import pickle

    field = pickle.loads(pickle.dumps(SyllableField(kind)))
    assert field.kind == kind and terms(kind, "Ngoại giao") == [t.text for t in field.analyzer("Ngoại giao")]
