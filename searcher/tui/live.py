"""When the live search searches, with what budget, and which outcome may be shown.  No Textual here.

Every change of the query moves the generation counter on.  A search of an older
generation is told to stop (its ``cancelled`` answers True from then on) and its
outcome, should it arrive anyway, is dropped by :meth:`LiveScheduler.accept`: a
stale result is never shown.  A search runs in two passes: a fast one for a
screenful of hits under :data:`FIRST_PAINT_BUDGET`, then, once typing pauses for
:data:`REFINE_DELAY`, a fuller one under :data:`REFINE_BUDGET` when the first was
cut short or may have more hits.  The debounce adapts to the engine: none while
searches come back quickly, a short one when they are slow.

The screen (:mod:`searcher.tui.search_screen`) runs :meth:`LiveScheduler.run` in a
worker thread and shows what it posts; the tests drive it with a fake engine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from searcher.engine import SearchResult
from searcher.errors import QueryError, SearcherError, Unavailable
from searcher.tui.protocol import SearchEngine

__all__ = [
    "FIRST_PAINT_BUDGET",
    "REFINE_BUDGET",
    "RESULT_LIMIT",
    "LiveScheduler",
    "Outcome",
    "live_limit",
]

FAST_SEARCH = 0.08  # searches quicker than this start at every keystroke, with no debounce
MAX_DEBOUNCE = 0.05  # the longest wait for typing to pause, when searches are slow
RESULT_LIMIT = 50  # hits listed once a search has settled; scrolling past the last asks for this many more
LIVE_LIMIT = 20  # at most this many hits in the fast pass at each keystroke (a screenful)
# Seconds of engine time for the fast pass, whatever the screen size: the keystroke's hits
# must be painted at once.  It is passed to the engine explicitly, so it replaces the
# engine's own default for live searches (searcher.engine.LIVE_BUDGET, 0.02 s per 10
# hits, which grows with the limit and gives the filling tiers their own slice): a screenful
# of 20 hits would get 0.04 s there.  What this pass leaves out, the fuller pass adds.
FIRST_PAINT_BUDGET = 0.015
REFINE_DELAY = 0.15  # the fuller pass waits for typing to pause this long: it must not slow the next keystroke
REFINE_BUDGET = 0.5  # seconds for the fuller pass when the fast pass was cut short
POLL = 0.01  # how often a pausing search looks whether its worker was cancelled

Rows = TypeVar("Rows")  # the hits laid out for the results list (the screen's business)


@dataclass
class Outcome(Generic[Rows]):
    """One pass of a search is over: what the screen needs to show it."""

    gen: int
    text: str
    started: float  # when the keystroke that asked for it arrived (perf_counter)
    result: SearchResult | None = None
    error: str = ""  # the search failed: what to tell the user
    query_error: bool = False  # the query had nothing to search for
    unavailable: bool = False  # the index's server did not answer: worth trying again when it does
    keep: tuple[str, int] | None = None  # the (path, paragraph) to keep selected
    final: bool = True  # no fuller pass follows
    refined: bool = False  # this is the fuller pass (or more hits past the last)
    seconds: float = 0.0  # wall time of the pass
    rows: Rows | None = None  # the hits laid out, made off the UI thread


def live_limit(pane_height: int) -> int:
    """Hits of the fast pass: what a results pane ``pane_height`` lines high shows (two lines a
    hit), and a few more; a pane not laid out yet counts as 20 lines."""
    return max(8, min(LIVE_LIMIT, (pane_height or 20) // 2 + 2))


def _never() -> bool:
    return False


class LiveScheduler(Generic[Rows]):
    """The generation counter, the debounce and the passes of the live search.

    :attr:`gen` and :meth:`change` belong to the UI thread; :meth:`run` and
    :meth:`run_more` run in worker threads and hand their outcomes to ``post``.
    """

    def __init__(self) -> None:
        self.gen = 0  # bumped by every change of the query: older searches are stale
        self.limit = RESULT_LIMIT  # hits asked for by the fuller pass (grows as the user scrolls on)
        self.recent = 0.0  # smoothed wall time of the recent fast passes: sets the debounce
        self._changed = threading.Condition()  # wakes a pausing search when the query changes

    def change(self, *, new_query: bool = True) -> int:
        """The query changed (``new_query`` False: the same query runs again, e.g. after
        re-indexing, and the hits asked for so far stay asked for).  Every older search is
        stale from now on; returns the new generation."""
        with self._changed:
            self.gen += 1
            if new_query:
                self.limit = RESULT_LIMIT
            self._changed.notify_all()
        return self.gen

    def debounce_delay(self) -> float:
        """No wait while searches come back fast; a short one, at most :data:`MAX_DEBOUNCE`, when they are slow."""
        return 0.0 if self.recent < FAST_SEARCH else min(MAX_DEBOUNCE, self.recent / 2)

    def accept(self, outcome: Outcome[Rows]) -> bool:
        """Whether ``outcome`` may be shown: False when a newer query was typed meanwhile.
        An accepted fast pass's time feeds the debounce (a slow index gets a short one)."""
        if outcome.gen != self.gen:
            return False
        if not outcome.refined:
            self.recent = outcome.seconds if not self.recent else 0.5 * self.recent + 0.5 * outcome.seconds
        return True

    def run(
        self,
        engine: SearchEngine,
        text: str,
        gen: int,
        started: float,
        *,
        post: Callable[[Outcome[Rows]], None],
        limit: int,
        stopped: Callable[[], bool] = _never,
        keep: tuple[str, int] | None = None,
        force: bool = False,
        filters: dict[str, Any] | None = None,
        lay_out: Callable[[SearchResult], Rows] | None = None,
    ) -> None:
        """Search ``text`` for generation ``gen`` (call from a worker thread).

        A fast pass for ``limit`` hits under :data:`FIRST_PAINT_BUDGET`; then, when that pass
        was cut short or may have more hits and typing pauses, a fuller one for
        :data:`RESULT_LIMIT` hits under :data:`REFINE_BUDGET`, whose hits replace the first
        in place.  Nothing is posted once ``gen`` is stale or ``stopped()`` (the worker was
        cancelled); otherwise the last outcome posted has ``final`` or ``refined`` set.
        """

        def cancelled() -> bool:
            return stopped() or gen != self.gen

        outcome = self.search_once(
            engine,
            text,
            gen,
            started,
            cancelled,
            limit,
            FIRST_PAINT_BUDGET,
            force=force,
            filters=filters,
            lay_out=lay_out,
        )
        if cancelled():
            return
        result = outcome.result
        outcome.keep = keep
        outcome.final = result is None or (len(result) < limit and result.complete and result.filled)
        post(outcome)
        if outcome.final:
            return
        if not self._pause(REFINE_DELAY, cancelled):
            return  # typing went on: the next keystroke's search runs instead
        self.limit = RESULT_LIMIT
        outcome = self.search_once(
            engine, text, gen, started, cancelled, RESULT_LIMIT, REFINE_BUDGET, filters=filters, lay_out=lay_out
        )
        if cancelled():
            return
        outcome.refined = True
        post(outcome)

    def may_have_more(self, result: SearchResult) -> bool:
        """More hits than ``result`` may exist: it has as many as were asked for, or it was cut short."""
        return bool(result) and (len(result) >= self.limit or not result.complete)

    def more(self, shown: int) -> int:
        """Past the last of ``shown`` hits: how many hits to ask for now (call on the UI thread)."""
        self.limit = max(self.limit, shown) + RESULT_LIMIT
        return self.limit

    def run_more(
        self,
        engine: SearchEngine,
        text: str,
        gen: int,
        limit: int,
        *,
        post: Callable[[Outcome[Rows]], None],
        stopped: Callable[[], bool] = _never,
        filters: dict[str, Any] | None = None,
        lay_out: Callable[[SearchResult], Rows] | None = None,
    ) -> None:
        """Search ``text`` again for ``limit`` hits under :data:`REFINE_BUDGET` (call from a
        worker thread); the outcome is posted ``refined`` even when stale (:meth:`accept`
        drops it), so the screen always learns that loading more is over."""
        outcome = self.search_once(
            engine, text, gen, time.perf_counter(), lambda: stopped() or gen != self.gen, limit, REFINE_BUDGET,
            filters=filters, lay_out=lay_out,
        )
        outcome.refined = True
        post(outcome)

    @staticmethod
    def search_once(
        engine: SearchEngine,
        text: str,
        gen: int,
        started: float,
        cancelled: Callable[[], bool],
        limit: int,
        budget: float | None,
        *,
        force: bool = False,
        filters: dict[str, Any] | None = None,
        lay_out: Callable[[SearchResult], Rows] | None = None,
    ) -> Outcome[Rows]:
        """One pass: the engine's result, or what went wrong in words for the user (never raises)."""
        begun = time.perf_counter()
        outcome: Outcome[Rows] = Outcome(gen, text, started)
        try:
            engine.refresh(force=force)
            result = outcome.result = engine.search(
                text, limit=limit, prefix=True, budget=budget, cancelled=cancelled, **(filters or {})
            )
            if lay_out is not None and not cancelled():
                # Laying out the rows here keeps it off the UI thread, which only paints them.
                outcome.rows = lay_out(result)
        except QueryError as exc:
            outcome.error, outcome.query_error = str(exc), True
        except SearcherError as exc:
            outcome.error = str(exc)
            outcome.unavailable = isinstance(exc, Unavailable)
        except Exception as exc:
            outcome.error = f"unexpected {type(exc).__name__}: {exc}"
        outcome.seconds = time.perf_counter() - begun
        return outcome

    def _pause(self, seconds: float, cancelled: Callable[[], bool]) -> bool:
        """Wait ``seconds`` for typing to go on; False when it did or the search was cancelled.
        A change of the query wakes the wait at once; a cancelled worker is seen within :data:`POLL`."""
        deadline = time.perf_counter() + seconds
        with self._changed:
            while not cancelled():
                left = deadline - time.perf_counter()
                if left <= 0:
                    return True
                self._changed.wait(min(left, POLL))
        return False
