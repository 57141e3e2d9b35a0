"""Shared helpers of the TUI tests: a small index built from the bundled corpus, waiting in Pilot."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import shutil
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from searcher.engine import Engine
from searcher.index.build import build_index

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"


def make_index(root: Path) -> tuple[Path, Path]:
    """Copy the bundled corpus under ``root`` and index it; return (corpus, index)."""
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    index = root / "index"
    build_index(corpus, index, parallel=False)
    return corpus, index


@pytest.fixture(scope="session")
def shared_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A read-only index shared by the tests that do not change it."""
    return make_index(tmp_path_factory.mktemp("shared"))


@pytest.fixture
def own_index(tmp_path: Path) -> tuple[Path, Path]:
    """An index (and corpus) this test may change."""
    return make_index(tmp_path / "own")


@pytest.fixture(autouse=True)
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Query history goes to a temporary XDG data directory, never the user's."""
    home = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    monkeypatch.delenv("SEARCHER_TUI_LOG", raising=False)
    # Copying (y) talks to tmux or screen when inside one: never to the user's own session.
    monkeypatch.delenv("TMUX", raising=False)
    monkeypatch.delenv("STY", raising=False)
    return home


SIZE = (100, 30)  # the terminal of the TUI tests, unless a test says otherwise

LiveSearch = Callable[..., AbstractAsyncContextManager[tuple[Any, Any]]]


@pytest.fixture
def live(request: pytest.FixtureRequest) -> LiveSearch:
    """Open the live search: ``async with live("ngoai giao") as (app, pilot):``.

    With a query, the block starts once its results are on screen (within ``timeout``
    seconds).  ``on``: the (corpus, index) pair to search (default the shared index, or
    none when an ``engine`` is given); ``size``: the terminal; other keywords go to
    :func:`searcher.tui.app.make_app`.
    """

    @contextlib.asynccontextmanager
    async def open_live(
        query: str = "",
        *,
        on: tuple[Path | str, Path | str] | None = None,
        size: tuple[int, int] = SIZE,
        timeout: float = 5.0,
        **options: Any,
    ) -> AsyncIterator[tuple[Any, Any]]:
        from searcher.tui.app import make_app

        if on is None:
            # A fake engine needs no index; a real one searches the index shared by the tests.
            on = ("corpus", "no-index") if "engine" in options else request.getfixturevalue("shared_index")
        corpus, index = on
        options.setdefault("cursor_blink", False)
        options.setdefault("check_interval", 0)
        app = make_app(index, corpus, query, **options)
        async with app.run_test(size=size) as pilot:
            if query:
                await wait_until(pilot, results_for(app, query), timeout, what=f"the results for {query!r}")
            yield app, pilot

    return open_live


async def wait_until(pilot: Any, predicate: Callable[[], bool], timeout: float = 5.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        errors = getattr(pilot.app, "internal_errors", None)
        if errors:
            raise AssertionError(f"the app reported internal errors: {errors!r}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.02)


async def workers_idle(pilot: Any, timeout: float = 5.0) -> None:
    """Wait until no worker of the app runs (cancelled ones included)."""
    await wait_until(pilot, lambda: all(w.is_finished for w in pilot.app.workers), timeout, "idle workers")


def results_for(app: Any, text: str) -> Callable[[], bool]:
    """Predicate: the outcome of the search for ``text`` is on screen."""
    screen = app.main

    def ready() -> bool:
        return (
            screen.is_mounted
            and screen.query_input.value == text
            and screen._debounce is None
            and screen.shown_gen == screen.gen
            and screen.settled
            and screen.state != "waiting"
        )

    return ready


class SlowEngine:
    """Wraps a real engine; the search for ``slow_query`` sleeps first and ignores cancellation."""

    def __init__(self, engine: Engine, slow_query: str, delay: float = 0.8) -> None:
        self.engine = engine
        self.slow_query = slow_query
        self.delay = delay
        self.slow_started = threading.Event()
        self.slow_finished = threading.Event()
        self.cancelled_seen: bool | None = None
        self.queries: list[str] = []
        self.release = threading.Event()  # set it to end the slow search before ``delay``

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def search(self, text: str, **options: Any) -> Any:
        self.queries.append(text)
        if text == self.slow_query:
            self.slow_started.set()
            self.release.wait(self.delay)
            cancelled = options.pop("cancelled", None)
            self.cancelled_seen = bool(cancelled and cancelled())
            try:
                return self.engine.search(text, **options)  # as if it could not stop early
            finally:
                self.slow_finished.set()
        return self.engine.search(text, **options)


class FailingEngine:
    """Wraps a real engine; every search raises ``error``."""

    def __init__(self, engine: Engine, error: Exception) -> None:
        self.engine = engine
        self.error = error

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def search(self, text: str, **options: Any) -> Any:
        raise self.error


def run_async(test: Callable[..., Any]) -> Callable[..., Any]:
    """Run an ``async def`` test in its own event loop (no asyncio plugin needed)."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return asyncio.run(test(*args, **kwargs))

    return wrapper
