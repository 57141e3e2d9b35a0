"""Hostile queries: arbitrary Unicode, control characters, 10k-character queries and every
operator-looking string always give hits, no hits or a one-line error, never a traceback,
in bounded time.

The bulk runs through the Engine API with Hypothesis (fast); a handful run through the
``search`` command.  The time bound (under 2 s) is checked on a 100k-paragraph index built
once from ``/tmp/c100k`` when that corpus exists (a slow test; skipped otherwise).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_cli
from searcher import Engine
from searcher.errors import QueryError
from searcher.search.query import MAX_QUERY_CHARS, MAX_QUERY_WORDS, parse_query

TIME_BOUND = 2.0  # seconds, for any query, on a 100k-paragraph index
C100K = Path(os.environ.get("SEARCHER_C100K", "/tmp/c100k"))

OPERATORS = [
    "AND", "OR", "NOT", "and", "or", "not", "*", "?", ":", "~", "^", "(", ")", "[", "]", "{", "}",
    '"', "'", "-", "+", "\\", "/", "--", "-\"", "\"-", "*:*", "field:", "title:", "~2", "^3", "NEAR/2",
    "\u201c", "\u201d", "\u00ab", "\u00bb", "''", '""', "\\\"", "-\"ngoại giao\"", '"kinh tế', "ngoại*",
    "giao?", "ngo~", "ngoại", "ngoài", "giao", "kinh", "tế", "Việt", "Nam", "và", "của", "-", "-ngoài",
    "\u0301", "\u0323", "\u200b", "\ufeff", "\u00ad", "\x00", "\t", "\n", "\r", "\x1b[31m", "\x7f",
    "\ud800", "\udcff", "Ð", "đ", "ǅ", "ﬁ", "Ⅷ", "١٢٣", "😀", "\U0010ffff",
]  # fmt: skip
SEPARATORS = [" ", "", "  ", "\t", "\n", "\u3000"]

arbitrary = st.text(alphabet=st.characters(exclude_categories=()), max_size=200)
controls = st.text(alphabet=st.characters(categories=["Cc", "Cf", "Cs", "Zl", "Zp", "Mn"]), max_size=60)
operator_soup = st.lists(st.tuples(st.sampled_from(OPERATORS), st.sampled_from(SEPARATORS)), max_size=40).map(
    lambda parts: "".join(a + b for a, b in parts)
)
long_queries = st.builds(
    lambda word, sep, count, tail: (word + sep) * count + tail,
    st.sampled_from(["ngoại", "giao", "và", "a", "-x", '"', "ngoại giao", "AND", "*", "đ"]),
    st.sampled_from([" ", "", "\t"]),
    st.integers(min_value=30, max_value=3000),
    arbitrary,
)
hostile = st.one_of(arbitrary, controls, operator_soup, long_queries)


def check_result(result, query: str, elapsed: float) -> None:
    assert elapsed < TIME_BOUND, f"{elapsed:.2f} s for {query[:80]!r}"
    assert [h.rank for h in result] == list(range(1, len(result) + 1))
    for hit in result:
        assert hit.path and hit.line >= 1
        for start, end in hit.spans:
            assert 0 <= start < end <= len(hit.text)
    parsed = parse_query(query)
    if any("characters" in n for n in parsed.notes):
        assert any(str(MAX_QUERY_CHARS) in n for n in result.notes)
    if any("words" in n for n in parsed.notes):
        assert any(str(MAX_QUERY_WORDS) in n for n in result.notes)


def search_bounded(engine: Engine, query: str, **kwargs) -> None:
    started = time.perf_counter()
    try:
        result = engine.search(query, **kwargs)
    except QueryError:
        assert parse_query(query, prefix=kwargs.get("prefix", False)).empty, query
        assert time.perf_counter() - started < TIME_BOUND
        return
    check_result(result, query, time.perf_counter() - started)


HYPOTHESIS = settings(
    max_examples=int(os.environ.get("SEARCHER_QUERY_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


@HYPOTHESIS
@given(query=hostile, prefix=st.booleans(), limit=st.sampled_from([1, 10, 200]))
def test_any_query_gives_hits_or_none_or_a_query_error(engine, query, prefix, limit):
    """Through the API: results, or QueryError for a query with no words; nothing else."""
    search_bounded(engine, query, limit=limit, prefix=prefix)


@pytest.mark.parametrize(
    "query, note",
    [
        ("ngoại " * 2000, f"first {MAX_QUERY_CHARS} characters"),  # 12k characters
        ("xy " * 3400, f"first {MAX_QUERY_CHARS} characters"),
        (" ".join(f"từ{i}" for i in range(100)), f"first {MAX_QUERY_WORDS} words"),
        ('"' + " ".join(["ngoại giao"] * 40) + '"', f"first {MAX_QUERY_WORDS} words"),
    ],
    ids=["12k-chars", "10k-short-words", "100-words", "80-word-phrase"],
)
def test_long_queries_are_capped_with_a_note(engine, query, note):
    started = time.perf_counter()
    result = engine.search(query)
    assert time.perf_counter() - started < TIME_BOUND
    assert any(note in n for n in result.notes), result.notes


# -- through the command -------------------------------------------------------------------------

CLI_QUERIES = [
    ["--", "AND OR NOT * ? : ~ ^ ( ) [ ] { } \" ' - + \\ /"],
    ["--", '"ngoại giao'],
    ["--", "-"],
    ["--", "--"],
    ["--", "-ngoài", "ngoại"],
    ["ngoại", "-ngoài", '-"kinh tế"'],
    ["--", "ngoại " * 2000],
    ["--", "\x1b[31m\u200b\u0301\t\r\n"],
    ["--", "😀 ǅ ﬁ Ⅷ ١٢٣ \U0010ffff"],
    ["-n", "3", "--", "NOT:ngoại~2^3"],
]


def run_search(index: Path, args: list, cwd: Path) -> tuple[subprocess.CompletedProcess, float]:
    started = time.perf_counter()
    # surrogateescape: bytes that are not UTF-8 survive decoding, and check_cli looks for them.
    result = run_cli("search", ["--index", index, "--json", *args], cwd, errors="surrogateescape")
    return result, time.perf_counter() - started


def check_cli(result: subprocess.CompletedProcess, args) -> None:
    err = result.stderr
    assert result.returncode in (0, 1, 2), (args, result.returncode, err)
    assert "Traceback" not in err, err
    if result.returncode == 2:
        assert err.strip().splitlines()[-1].startswith("search: error: "), err
    assert not any("\udc80" <= ch <= "\udcff" for ch in result.stdout), "stdout is not UTF-8"
    for line in result.stdout.splitlines():
        json.loads(line)


@pytest.mark.slow  # runs the commands as processes
@pytest.mark.parametrize("args", CLI_QUERIES, ids=range(len(CLI_QUERIES)))
def test_hostile_queries_through_the_command(bundled, tmp_path, args):
    result, _ = run_search(bundled.index, args, tmp_path)
    check_cli(result, args)


@pytest.mark.slow  # runs the commands as processes
def test_query_bytes_that_are_not_utf8(bundled, tmp_path):
    """A terminal in another encoding: argv bytes that are not UTF-8."""
    for raw in (b"ngo\xe1i giao", b"\xff\xfe", b"\xc3", b"-\xff"):
        result, _ = run_search(bundled.index, [b"--", raw], tmp_path)
        check_cli(result, raw)


# -- the time bound on 100k paragraphs ----------------------------------------------------------------


@pytest.fixture(scope="session")
def index_100k(tmp_path_factory):
    if not C100K.is_dir() or not any(C100K.glob("*.txt")):
        pytest.skip(f"no 100k-paragraph corpus at {C100K} (set SEARCHER_C100K to one)")
    from searcher.index.build import build_index

    index = tmp_path_factory.mktemp("c100k") / "index"
    summary = build_index(C100K, index)
    if summary.paragraphs < 90_000:
        pytest.skip(f"{C100K} has only {summary.paragraphs} paragraphs")
    engine = Engine.open(index)
    yield index, engine
    engine.close()


FREQUENT = ["và", "của", "các", "là", "những", "người", "có", "được", "trong", "cho", "không", "này", "với", "một"]
worst_cases = st.one_of(
    hostile,
    st.lists(st.sampled_from(FREQUENT), min_size=1, max_size=40).map(" ".join),
    st.lists(st.sampled_from(FREQUENT + ["a", "n", "t", "c", "đ", "-và", '"'] + OPERATORS), max_size=50).map(" ".join),
)


@pytest.mark.slow
@settings(
    max_examples=int(os.environ.get("SEARCHER_QUERY_EXAMPLES_100K", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(query=worst_cases, prefix=st.booleans())
def test_time_bound_on_100k_paragraphs(index_100k, query, prefix):
    _, engine = index_100k
    search_bounded(engine, query, limit=10, prefix=prefix)


@pytest.mark.slow
def test_time_bound_of_the_command_on_100k_paragraphs(index_100k, tmp_path):
    """Start-up included, each hostile query through ``search`` answers in under 2 s."""
    index, _ = index_100k
    worst = [
        ["--", " ".join(FREQUENT * 3)],
        ["--", '"' + " ".join(FREQUENT) + '"'],
        ["--", "ngoại " * 2000],
        ["--", "AND OR NOT * ? : ~ ^ ( ) [ ] { } \" ' - + \\ /"],
        ["--", "và -của -các -là"],
        ["-n", "50", "--", "và của"],
    ]
    slowest = 0.0
    for args in worst:
        result, elapsed = run_search(index, args, tmp_path)
        check_cli(result, args)
        slowest = max(slowest, elapsed)
    assert slowest < TIME_BOUND, f"slowest command took {slowest:.2f} s"
