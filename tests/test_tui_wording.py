"""What the main screen says (searcher.tui.wording), as functions of a result: the counts,
the status line, the no-hits advice, the line under the query."""

from __future__ import annotations

from searcher.search.query import parse_query
from searcher.search.results import Hit, SearchResult
from searcher.tui import wording


def result(query: str, paths: list[str], **shape: object) -> SearchResult:
    hits = [
        Hit(rank=i + 1, score=1.0, path=path, line=1, paragraph=i, title="", text=query, spans=[], file="/" + path)
        for i, path in enumerate(paths)
    ]
    found = SearchResult(hits, parse_query(query, prefix=True))
    found.elapsed = 0.0123
    for name, value in shape.items():
        setattr(found, name, value)
    return found


def test_the_count_says_when_it_is_a_lower_bound() -> None:
    three = result("giao", ["a.txt", "a.txt", "b.txt"])
    assert wording.results_title(three, part=False, grouped=False, settled=True) == "3 hits"
    assert wording.results_title(three, part=True, grouped=False, settled=False) == "3+ hits…"
    assert wording.results_title(three, part=False, grouped=True, settled=True) == "3 hits in 2 files"
    assert wording.results_title(result("giao", ["a.txt"]), part=False, grouped=False, settled=True) == "1 hit"


def test_the_status_line_has_the_count_scope_time_and_notes_once_settled() -> None:
    found = result("giao", ["a.txt"] * 1200, notes=["search stopped at its time budget"])
    line = wording.status_text(found, part=True, scope="news/", timings=True, settled=True)
    assert line == "1,200+ hits in news/ · 12 ms · search stopped at its time budget"
    moving = wording.status_text(found, part=True, scope="", timings=False, settled=False)
    assert moving == "1,200+ hits · more coming…"  # the notes wait for the fuller pass
    assert wording.status_text(result("giao", []), part=False, scope="", timings=False, settled=True) == "no hits"


def test_no_hits_names_the_unknown_words_and_offers_the_spelling() -> None:
    found = result("ngoai xyzzyq", [], unknown=["xyzzyq"], suggestion="ngoại giao")
    said = wording.no_hits(found, "ngoai xyzzyq ").plain
    assert said.startswith("No hits for ngoai xyzzyq.")
    assert "Not in the index: xyzzyq" in said and "Did you mean ngoại giao?" in said and "Ctrl-G" in said
    assert "search without it: ngoai" in said


def test_suggestions_without_unknown_words() -> None:
    tips = wording.suggestions(parse_query('"kinh tế" -vaccine'))
    assert "type without diacritics: \"kinh te\" -vaccine" in tips
    assert "drop the quotes, so the words may stand apart" in tips and "remove the -exclusions" in tips


def test_the_line_under_the_query_reads_telex_and_offers_a_spelling() -> None:
    assert wording.query_info(None) is None
    assert wording.query_info(result("giao", ["a.txt"])) is None
    found = result("ngoaij giao", ["a.txt"], rewrites=[("ngoaij", "ngoại")], suggestion="ngoại giao")
    info = wording.query_info(found)
    assert info is not None and info.plain == "searching ngoaij as ngoại  ·  did you mean ngoại giao? Ctrl-G"


def test_a_failed_search_says_why() -> None:
    nothing = wording.search_failed("- ***", "the query has no words", query_error=True, unavailable=False)
    assert nothing.plain == "Nothing to search for in - ***: the query has no words."
    away = wording.search_failed("giao", "cannot reach the index", query_error=False, unavailable=True)
    assert away.plain.startswith("Error: cannot reach the index") and "runs again by itself" in away.plain
    assert "taking too long" in wording.too_slow(" giao ").plain
