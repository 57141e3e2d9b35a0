"""Query planning (searcher.search.planning): the tiers a parsed query becomes, best first, without an index."""

from __future__ import annotations

from whoosh.query import Not, Query, Term

from searcher.search.planning import no_completions, plan_query
from searcher.search.query import parse_query


def plan(text: str, complete=no_completions, prefix: bool = False):
    return plan_query(parse_query(text, prefix=prefix), complete)


def fields(query: Query) -> set[str]:
    return {field for field, _ in query.all_terms()}


def shape(text: str, **options) -> list[tuple[bool, bool]]:
    return [(tier.exact, tier.adjacent) for tier in plan(text, **options).tiers]


def excluded_terms(query: Query) -> set[tuple[str, str]]:
    """The terms under a Not anywhere in ``query``."""
    found: set[tuple[str, str]] = set()
    stack = [query]
    while stack:
        node = stack.pop()
        if isinstance(node, Not):
            found |= set(node.query.all_terms())
        else:
            stack.extend(node.children())
    return found


def test_marked_query_gets_the_exact_tiers_first():
    tiers = plan("ngoại giao kinh tế").tiers
    # adjacent, partial (one adjacent pair at least), scattered: exact mode, then folded mode.
    assert [(t.exact, t.adjacent) for t in tiers] == [
        (True, True), (True, False), (True, False), (False, True), (False, False), (False, False)
    ]  # fmt: skip
    for tier in tiers[:3]:
        assert fields(tier.query) <= {"exact", "pairs"}, tier.query
    # The index has folded pairs only: exact adjacency is checked on the stored text.
    assert tiers[0].check is not None and tiers[1].check is not None
    # Folded pairs say two syllables are adjacent; four in a row are checked on the text too.
    assert tiers[3].check is not None and all(len(run) == 4 for choice in tiers[3].check.needs for run in choice)
    assert all(t.check is None for t in tiers[4:])
    for tier in tiers[3:]:
        assert fields(tier.query) <= {"folded", "pairs"}, tier.query


def test_unmarked_query_has_only_folded_tiers():
    tiers = plan("ngoai giao kinh te").tiers
    assert [t.adjacent for t in tiers] == [True, False, False]
    assert all(fields(t.query) <= {"folded", "pairs"} for t in tiers)


def test_one_word_query_has_no_adjacent_tier():
    assert shape("ngoai") == [(True, False)]
    assert plan("ngoai").tiers[0].query == Term("folded", "ngoai")
    assert shape("ngoại") == [(True, False), (False, False)]


def test_two_words_have_no_partial_tier():
    # With one pair, "at least one adjacent pair" is the adjacent tier itself.
    assert shape("ngoai giao") == [(True, True), (True, False)]


def test_exclusions_are_in_every_tier():
    for text, excluded in (
        ("ngoại giao kinh -tế", {("exact", "tê~1")}),  # typed with marks: only that form
        ("ngoai giao kinh -te", {("folded", "te")}),  # without: every form
        ('ngoai giao -"kinh te"', {("pairs", "kinh_te")}),  # a phrase, through its pairs
    ):
        tiers = plan(text).tiers
        assert tiers
        for tier in tiers:
            assert excluded_terms(tier.query) == excluded, (text, tier.query)


def test_prefix_asks_for_pair_completions_first_and_reports_a_partial_scan():
    calls = []

    def complete(field: str, prefix: str):
        calls.append((field, prefix))
        return Term(field, prefix + "o"), field != "folded"  # the folded scan was cut short

    result = plan("ngoai gi", complete, prefix=True)
    assert calls == [("pairs", "ngoai_gi"), ("folded", "gi")]
    assert result.whole is False
    adjacent, scattered = result.tiers
    assert adjacent.adjacent and adjacent.query == Term("pairs", "ngoai_gio")
    assert ("folded", "gio") in set(scattered.query.all_terms())
    assert ("folded", "gi") not in set(scattered.query.all_terms())  # the unfinished word itself is not required


def test_prefix_with_whole_scans_is_whole():
    def complete(field: str, prefix: str):
        return Term(field, prefix + "o"), True

    assert plan("ngoai gi", complete, prefix=True).whole is True


def test_lone_prefix_does_not_ask_for_pairs():
    calls = []

    def complete(field: str, prefix: str):
        calls.append((field, prefix))
        return None, True

    tiers = plan("ng", complete, prefix=True).tiers
    assert calls == [("folded", "ng")]
    # No completions found: the prefix is searched as the word it is so far.
    assert [t.query for t in tiers] == [Term("folded", "ng")]


def test_a_long_query_runs_only_its_adjacent_tiers_unless_every_word_is_required() -> None:
    # A question's paragraphs are ranked by best match after those with it whole as a phrase;
    # --all keeps every strict tier (every word must be there, nothing else is shown).
    from searcher.search.planning import tiers_to_run

    question = parse_query("bộ ngoại giao đã làm gì để thúc đẩy kinh tế")
    full = plan_query(question, no_completions)
    assert [t.adjacent for t in tiers_to_run(full, question)] == [True, True]
    assert tiers_to_run(full, question, all_words=True) == full.tiers
    short = parse_query("ngoại giao kinh tế")
    assert tiers_to_run(plan_query(short, no_completions), short) == plan_query(short, no_completions).tiers
