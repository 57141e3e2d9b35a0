"""The live-search scheduler (searcher.tui.live) without Textual: which outcome may be shown,
the debounce, the fast pass then the fuller one, their budgets, and cancellation.

A fake engine stands in for the index; searches run in plain threads, as in the UI's
workers, and the tests wait on events, never on the clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from searcher.errors import QueryError, Unavailable
from searcher.search.query import parse_query
from searcher.search.results import Hit, SearchResult
from searcher.tui import live
from searcher.tui.live import (
    FIRST_PAINT_BUDGET,
    REFINE_BUDGET,
    RESULT_LIMIT,
    LiveScheduler,
    Outcome,
    live_limit,
)
from searcher.tui.protocol import SearchEngine

WAIT = 10.0  # seconds before a test gives up on an event that should come at once


def hits(text: str, count: int, complete: bool = True) -> SearchResult:
    result = SearchResult(
        [
            Hit(rank=i + 1, score=1.0, path=f"{i}.txt", line=1, paragraph=0, title="", text=text, spans=[], file=f"/{i}.txt")
            for i in range(count)
        ],
        parse_query(text, prefix=True),
    )
    result.complete = complete
    return result


class FakeEngine:
    """Answers ``shape(text, limit, budget)`` (default: 3 complete hits); records every call.

    With ``hold`` set, a search waits for ``release`` first (as a slow index would) and then
    records whether it had been told to stop meanwhile.
    """

    def __init__(self, shape: Callable[[str, int, float | None], SearchResult] | None = None, hold: bool = False) -> None:
        self.shape = shape or (lambda text, limit, budget: hits(text, min(3, limit)))
        self.hold = hold
        self.calls: list[dict[str, Any]] = []
        self.refreshed: list[bool] = []
        self.searching = threading.Event()
        self.release = threading.Event()
        self.told_to_stop: list[bool] = []
        self.error: Exception | None = None

    version = 1
    corpus = Path("corpus")

    def refresh(self, force: bool = False) -> bool:
        self.refreshed.append(force)
        return False

    def document(self, path: str) -> list[Hit]:
        return []

    def stats(self) -> dict[str, Any]:
        return {}

    def warm(self) -> None:
        pass

    def close(self) -> None:
        pass

    def search(self, query: str, limit: int = 10, **options: Any) -> SearchResult:
        self.calls.append({"text": query, "limit": limit, **options})
        self.searching.set()
        if self.hold:
            assert self.release.wait(WAIT)
            self.told_to_stop.append(options["cancelled"]())
        if self.error is not None:
            raise self.error
        return self.shape(query, limit, options.get("budget"))


class Run:
    """One :meth:`LiveScheduler.run` in a thread of its own, with what it posted."""

    def __init__(self, scheduler: LiveScheduler[Any], engine: FakeEngine, text: str, **options: Any) -> None:
        self.posted: list[Outcome[Any]] = []
        self.first_posted = threading.Event()
        gen = options.pop("gen", scheduler.gen)
        options.setdefault("limit", 8)

        def post(outcome: Outcome[Any]) -> None:
            self.posted.append(outcome)
            self.first_posted.set()

        self.thread = threading.Thread(target=scheduler.run, args=(engine, text, gen, 0.0), kwargs={"post": post, **options})
        self.thread.start()

    def finished(self) -> list[Outcome[Any]]:
        self.thread.join(WAIT)
        assert not self.thread.is_alive(), "the search never ended"
        return self.posted


@pytest.fixture
def no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fuller pass follows the fast one without waiting for typing to pause."""
    monkeypatch.setattr(live, "REFINE_DELAY", 0.0)


# -- stale outcomes ------------------------------------------------------------------------


def test_the_fake_engine_is_an_engine_as_the_tui_uses_it() -> None:
    assert isinstance(FakeEngine(), SearchEngine)


def test_an_outcome_of_an_older_query_is_never_accepted() -> None:
    scheduler: LiveScheduler[Any] = LiveScheduler()
    first = scheduler.change()
    older = Run(scheduler, FakeEngine(), "ngoai", gen=first).finished()
    assert [o.gen for o in older] == [first] and scheduler.accept(older[0])
    second = scheduler.change()
    assert second > first
    assert not scheduler.accept(older[0])  # typed on meanwhile: dropped, even when it arrives
    newer = Run(scheduler, FakeEngine(), "ngoai giao", gen=second).finished()
    assert scheduler.accept(newer[0])


def test_a_search_overtaken_by_typing_is_told_to_stop_and_posts_nothing() -> None:
    scheduler: LiveScheduler[Any] = LiveScheduler()
    engine = FakeEngine(hold=True)
    run = Run(scheduler, engine, "ngoai", gen=scheduler.change())
    assert engine.searching.wait(WAIT)
    scheduler.change()  # the next keystroke
    engine.release.set()
    assert run.finished() == []
    assert engine.told_to_stop == [True]


def test_a_cancelled_worker_posts_nothing() -> None:
    scheduler: LiveScheduler[Any] = LiveScheduler()
    engine = FakeEngine(hold=True)
    stop = threading.Event()
    run = Run(scheduler, engine, "ngoai", gen=scheduler.change(), stopped=stop.is_set)
    assert engine.searching.wait(WAIT)
    stop.set()  # the screen went away
    engine.release.set()
    assert run.finished() == []
    assert engine.told_to_stop == [True]


# -- the debounce --------------------------------------------------------------------------


def test_no_debounce_while_searches_are_fast_a_short_one_when_they_are_slow() -> None:
    scheduler: LiveScheduler[Any] = LiveScheduler()
    assert scheduler.debounce_delay() == 0
    gen = scheduler.change()
    assert scheduler.accept(Outcome(gen, "n", 0.0, seconds=0.001))
    assert scheduler.debounce_delay() == 0
    for _ in range(3):
        assert scheduler.accept(Outcome(gen, "n", 0.0, seconds=0.4))
    assert 0 < scheduler.debounce_delay() <= live.MAX_DEBOUNCE


def test_only_accepted_fast_passes_set_the_debounce() -> None:
    scheduler: LiveScheduler[Any] = LiveScheduler()
    gen = scheduler.change()
    assert scheduler.accept(Outcome(gen, "n", 0.0, seconds=0.4, refined=True))  # a fuller pass may take long
    assert not scheduler.accept(Outcome(gen - 1, "n", 0.0, seconds=0.4))  # stale
    assert scheduler.debounce_delay() == 0


# -- the passes and their budgets ------------------------------------------------------------


def test_a_complete_fast_pass_with_room_left_is_the_only_one() -> None:
    scheduler: LiveScheduler[Any] = LiveScheduler()
    engine = FakeEngine()
    posted = Run(scheduler, engine, "ngoai giao", gen=scheduler.change(), limit=8, keep=("a.txt", 2)).finished()
    assert len(posted) == 1 and posted[0].final and not posted[0].refined
    assert posted[0].keep == ("a.txt", 2) and posted[0].text == "ngoai giao" and len(posted[0].result or []) == 3
    assert [(c["limit"], c["budget"], c["prefix"]) for c in engine.calls] == [(8, FIRST_PAINT_BUDGET, True)]


def test_a_cut_short_fast_pass_is_followed_by_a_fuller_one(no_pause: None) -> None:
    def shape(text: str, limit: int, budget: float | None) -> SearchResult:
        return hits(text, 2, complete=False) if budget == FIRST_PAINT_BUDGET else hits(text, 30)

    scheduler: LiveScheduler[Any] = LiveScheduler()
    engine = FakeEngine(shape)
    posted = Run(scheduler, engine, "ngoai giao", gen=scheduler.change(), limit=8).finished()
    assert [(o.final, o.refined, len(o.result or [])) for o in posted] == [(False, False, 2), (True, True, 30)]
    assert [(c["limit"], c["budget"]) for c in engine.calls] == [(8, FIRST_PAINT_BUDGET), (RESULT_LIMIT, REFINE_BUDGET)]
    assert all(scheduler.accept(o) for o in posted)


def test_a_full_screenful_may_have_more_so_the_fuller_pass_runs(no_pause: None) -> None:
    scheduler: LiveScheduler[Any] = LiveScheduler()
    engine = FakeEngine(lambda text, limit, budget: hits(text, limit))
    posted = Run(scheduler, engine, "và", gen=scheduler.change(), limit=8).finished()
    assert [len(o.result or []) for o in posted] == [8, RESULT_LIMIT]
    assert posted[-1].refined


def test_typing_during_the_pause_cancels_the_fuller_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    # The pause is far longer than the test may wait: only the change of the query can end it.
    monkeypatch.setattr(live, "REFINE_DELAY", 600.0)
    scheduler: LiveScheduler[Any] = LiveScheduler()
    engine = FakeEngine(lambda text, limit, budget: hits(text, 2, complete=False))
    run = Run(scheduler, engine, "ngoai", gen=scheduler.change())
    assert run.first_posted.wait(WAIT)
    scheduler.change()
    assert [o.refined for o in run.finished()] == [False]
    assert len(engine.calls) == 1


def test_a_cancelled_worker_ends_the_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "REFINE_DELAY", 600.0)
    scheduler: LiveScheduler[Any] = LiveScheduler()
    engine = FakeEngine(lambda text, limit, budget: hits(text, 2, complete=False))
    stop = threading.Event()
    run = Run(scheduler, engine, "ngoai", gen=scheduler.change(), stopped=stop.is_set)
    assert run.first_posted.wait(WAIT)
    stop.set()
    assert len(run.finished()) == 1 and len(engine.calls) == 1


def test_force_and_filters_reach_the_engine() -> None:
    scheduler: LiveScheduler[Any] = LiveScheduler()
    engine = FakeEngine()
    Run(scheduler, engine, "ngoai", gen=scheduler.change(), force=True, filters={"under": "news", "types": ("pdf",)}).finished()
    assert engine.refreshed == [True]
    assert engine.calls[0]["under"] == "news" and engine.calls[0]["types"] == ("pdf",)


def test_rows_are_laid_out_in_the_worker_thread() -> None:
    scheduler: LiveScheduler[Any] = LiveScheduler()
    threads: list[str] = []

    def lay_out(result: SearchResult) -> list[str]:
        threads.append(threading.current_thread().name)
        return [hit.path for hit in result]

    posted = Run(scheduler, FakeEngine(), "ngoai", gen=scheduler.change(), lay_out=lay_out).finished()
    assert posted[0].rows == ["0.txt", "1.txt", "2.txt"]
    assert threads and threading.main_thread().name not in threads


@pytest.mark.parametrize(
    ("error", "query_error", "unavailable", "said"),
    [
        (QueryError("the query has no words to search for"), True, False, "the query has no words to search for"),
        (Unavailable("cannot reach the index at http://localhost:9200"), False, True, "cannot reach the index"),
        (RuntimeError("boom"), False, False, "unexpected RuntimeError: boom"),
    ],
)
def test_a_failed_search_is_a_final_outcome_that_says_why(error: Exception, query_error: bool, unavailable: bool, said: str) -> None:
    scheduler: LiveScheduler[Any] = LiveScheduler()
    engine = FakeEngine()
    engine.error = error
    posted = Run(scheduler, engine, "ngoai", gen=scheduler.change()).finished()
    assert len(posted) == 1
    outcome = posted[0]
    assert outcome.result is None and outcome.final
    assert said in outcome.error and (outcome.query_error, outcome.unavailable) == (query_error, unavailable)


# -- more hits past the last ----------------------------------------------------------------


def test_more_hits_grow_the_limit_until_the_query_changes() -> None:
    scheduler: LiveScheduler[Any] = LiveScheduler()
    gen = scheduler.change()
    assert scheduler.limit == RESULT_LIMIT
    assert scheduler.more(RESULT_LIMIT) == 2 * RESULT_LIMIT
    engine = FakeEngine(lambda text, limit, budget: hits(text, limit))
    posted: list[Outcome[Any]] = []
    scheduler.run_more(engine, "giao", gen, scheduler.limit, post=posted.append)
    assert [(o.refined, len(o.result or [])) for o in posted] == [(True, 2 * RESULT_LIMIT)]
    assert engine.calls[0]["budget"] == REFINE_BUDGET
    scheduler.change(new_query=False)  # the same query again (after re-indexing): as many asked for
    assert scheduler.limit == 2 * RESULT_LIMIT
    scheduler.change()
    assert scheduler.limit == RESULT_LIMIT


def test_the_fast_pass_asks_for_a_screenful() -> None:
    assert live_limit(0) == 12  # not laid out yet: as for 20 lines
    assert live_limit(10) == 8  # never fewer than 8
    assert live_limit(24) == 14  # two lines a hit, and a few more
    assert live_limit(200) == live.LIVE_LIMIT


def test_more_hits_may_exist_when_the_limit_was_reached_or_the_search_cut_short() -> None:
    scheduler: LiveScheduler[Any] = LiveScheduler()
    assert scheduler.may_have_more(hits("giao", RESULT_LIMIT))  # as many as asked for: "50+ hits"
    assert scheduler.may_have_more(hits("giao", 3, complete=False))  # cut short by its budget
    assert not scheduler.may_have_more(hits("giao", 3))  # all there is
    assert not scheduler.may_have_more(hits("giao", 0, complete=False))  # nothing to scroll to
    scheduler.more(RESULT_LIMIT)
    assert not scheduler.may_have_more(hits("giao", RESULT_LIMIT + 10))  # fewer than the 100 asked for
