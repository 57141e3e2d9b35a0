"""The app's side of its index: opening it, its statistics and age on the status line,
noticing it changed (rebuilt from outside, or by the folder's watcher), an index server
that went away and came back, and building it (the first run, F5) with progress.

:class:`IndexedApp` is the base of :class:`searcher.tui.app.SearchApp`, which adds the
screens' services and commands.  Every call to the engine that may block runs in a
thread worker; the outcome comes back as a message.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import Input

from searcher.cli.presentation import format_size, redact, visible
from searcher.engine import Engine
from searcher.errors import IndexMissing, SearcherError, Unavailable
from searcher.index.feed import BuildSummary
from searcher.tui.index_screen import BuildOutcome, IndexPanel, IndexScreen
from searcher.tui.protocol import SearchEngine
from searcher.tui.search_screen import SearchScreen

__all__ = ["CHECK_INTERVAL", "IndexedApp", "describe_build", "format_age"]

CHECK_INTERVAL = 2.0  # seconds between checks for an index rebuilt from outside


def format_age(seconds: float) -> str:
    if seconds < 5:
        return "just now"
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"


def describe_build(summary: BuildSummary) -> tuple[str, str]:
    """The toast after a build: a title, and what changed (``600 files updated · …``).

    >>> describe_build(BuildSummary(updated=600, unchanged=700, paragraphs=23653, seconds=12.0))
    ('Index updated', '600 files updated · 23,653 paragraphs · 12.0 s')
    """
    changes = [
        f"{_count(n, 'file')} {verb}"
        for n, verb in ((summary.added, "added"), (summary.updated, "updated"), (summary.removed, "removed"))
        if n
    ]
    if summary.skipped:
        changes.append(f"{_count(len(summary.skipped), 'file')} skipped")
    title = "Index updated" if changes else "Index up to date"
    what = ", ".join(changes) if changes else "no file changed"
    return title, f"{what} · {summary.paragraphs:,} paragraphs · {summary.seconds:.1f} s"


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


class IndexedApp(App[int]):
    """An app over one index: it opens (or builds) the index, keeps its statistics, and
    searches again when the index changes.  Subclasses create :attr:`main` in ``__init__``."""

    main: SearchScreen  # the screen whose results follow the index

    @dataclass
    class StatsLoaded(Message):
        """The index's statistics were read (posted by a worker); ``changed``: it changed since last time."""

        stats: dict[str, Any]
        fingerprint: Any
        changed: bool

    @dataclass
    class IndexChecked(Message):
        """The periodic check found the index unchanged (posted by a worker)."""

    @dataclass
    class ServerBack(Message):
        """The index's server answers again after a search failed for want of it (posted by a worker)."""

    def __init__(
        self,
        index: str | os.PathLike[str],
        corpus: str | os.PathLike[str],
        *,
        engine: SearchEngine | None = None,
        build: Callable[..., Any] | None = None,
        clock: Callable[[], float] = time.time,
        check_interval: float = CHECK_INTERVAL,
        tune_gc: bool = False,
    ) -> None:
        super().__init__()
        self.index = str(index)
        self.corpus = str(corpus)
        self.engine: SearchEngine | None = engine
        self.build_function = build
        self.clock = clock
        self.check_interval = check_interval
        self.tune_gc = tune_gc
        self.stats: dict[str, Any] | None = None
        self.fingerprint: Any = None
        self.building = False
        self.force_refresh = False
        self.engine_error = ""
        self.engine_unavailable = False  # the index's server did not answer at start: try again on each check
        self.internal_errors: list[Exception] = []

    def start_checking(self) -> None:
        """Look for changes of the index every ``check_interval`` seconds (none when 0)."""
        if self.check_interval > 0:
            self.set_interval(self.check_interval, self.check_index)

    def start(self) -> None:
        """Open the index, or build it when there is none (called once the main screen is up)."""
        if self.engine is None:
            try:
                self.engine = Engine.open(self.index)
            except IndexMissing:
                self.start_build("No index yet: building it from the corpus.", first_run=True)
            except SearcherError as exc:
                self.engine_error = str(exc)
                self.engine_unavailable = isinstance(exc, Unavailable)
                self.call_later(self.main.start_search)
        if self.engine is not None:
            self.load_stats()

    def no_engine_reason(self) -> str:
        if self.building:
            return "Indexing… the results appear when the index is ready."
        if self.engine_error and self.engine_unavailable:
            return f"Error: {self.engine_error}\n\nSearching starts by itself when it answers."
        if self.engine_error:
            return f"Error: {self.engine_error}\n\nPress F5 to rebuild the index."
        return "There is no index yet. Press F5 to build it."

    # -- index facts and changes ----------------------------------------------------

    def index_summary(self, width: int | None = None) -> str:
        """The index's size and age for the status line, in at most ``width`` cells when given.

        The age always stays (it says whether the results are current); on a narrow line
        the size in bytes goes first, then the paragraph count, then the file count.
        """
        stats = self.stats
        if stats is None:
            if self.building:
                return "indexing…"
            if self.engine is None:
                return "index server away" if self.engine_unavailable else "no index"
            return ""
        age = f"built {format_age(max(0.0, self.clock() - float(stats.get('built') or 0)))}"
        paragraphs, files = f"{stats['paragraphs']:,} paragraphs", f"{stats['files']:,} files"
        forms = [
            f"{paragraphs} · {files} · {format_size(stats['bytes'])} · {age}",
            f"{paragraphs} · {files} · {age}",
            f"{files} · {age}",
        ]
        return next((form for form in forms if width is None or len(form) <= width), age)

    @work(thread=True, exclusive=True, group="stats", exit_on_error=False)
    def load_stats(self, changed: bool = False) -> None:
        engine = self.engine
        if engine is None:
            return
        try:
            engine.refresh(force=True)
            fingerprint = engine.version
            stats = engine.stats()
        except Exception:
            return
        self.post_message(self.StatsLoaded(stats, fingerprint, changed))
        self._warm(engine)

    def _warm(self, engine: SearchEngine) -> None:
        """Let the engine precompute what the first keystrokes need (call from a worker).

        With ``tune_gc`` (the real terminal), the objects alive by then (the open
        index, the UI) are moved out of the garbage collector's sight and full
        collections become rare: each one stalled the UI 70-120 ms on a 100k index,
        long enough to be seen between a keystroke and its results.
        """
        try:
            engine.warm()
        except Exception:
            pass  # only an optimisation
        if self.tune_gc:
            gc.collect()
            gc.freeze()
            gc.set_threshold(700, 10, 1000)

    def on_indexed_app_server_back(self, message: IndexedApp.ServerBack) -> None:
        main = self.main
        if main.waiting_for_server and main.state == "error" and main.query_input.value.strip():
            main.waiting_for_server = False
            main.start_search(keep=main.selection_key)
            self.notify("The index answers again: results refreshed.", timeout=2)
        if self.stats is None:
            self.load_stats()

    def on_indexed_app_index_checked(self, message: IndexedApp.IndexChecked) -> None:
        self.main.update_index_status()  # the age of the index moves on

    def on_indexed_app_stats_loaded(self, message: IndexedApp.StatsLoaded) -> None:
        self._set_stats(message.stats, message.fingerprint, message.changed)

    def _set_stats(self, stats: dict[str, Any], fingerprint: Any, changed: bool) -> None:
        self.stats = stats
        self.fingerprint = fingerprint
        self.main.update_index_status()
        if changed:
            self.main.documents.clear()
            if self.main.query_input.value.strip() and self.main.state in ("results", "empty", "error"):
                self.main.start_search(keep=self.main.selection_key)
            self.notify("The index changed: results refreshed.", timeout=2)

    def check_index(self) -> None:
        """Every ``check_interval`` s: notice an index rebuilt from outside, refresh the age."""
        if self.engine is None and self.engine_unavailable and not self.building:
            self._reopen_worker()
            return
        if self.engine is None or self.building:
            return
        self._check_worker()

    @work(thread=True, exclusive=True, group="check", exit_on_error=False)
    def _reopen_worker(self) -> None:
        """Open the index whose server did not answer at start, once it does."""
        try:
            engine = Engine.open(self.index)
        except Exception:
            return
        self.call_from_thread_safe(self._reopened, engine)

    def _reopened(self, engine: SearchEngine) -> None:
        if self.engine is not None:
            engine.close()
            return
        self.engine, self.engine_error, self.engine_unavailable = engine, "", False
        self.load_stats()
        self.main.update_index_status()
        self.main.start_search(keep=self.main.selection_key)
        self.notify("The index answers: searching.", timeout=2)

    @work(thread=True, exclusive=True, group="check", exit_on_error=False)
    def _check_worker(self) -> None:
        engine = self.engine
        if engine is None:
            return
        try:
            engine.refresh(force=self.main.waiting_for_server)
            if self.main.waiting_for_server:
                # It answers again (a cluster back up): run the search that failed.
                self.post_message(self.ServerBack())
            fingerprint = engine.version  # the engine counts the changes it picked up
            if fingerprint != self.fingerprint and self.fingerprint is not None:
                stats = engine.stats()
                self.post_message(self.StatsLoaded(stats, fingerprint, True))
                self._warm(engine)
                return
        except Exception:
            return
        self.post_message(self.IndexChecked())

    # -- indexing ----------------------------------------------------------------------

    def reindex_corpus(self) -> str:
        """The corpus the index was built from when it still exists, else ``--corpus``."""
        if self.engine is not None:
            try:
                corpus = self.engine.corpus
                if Path(corpus).is_dir():
                    return str(corpus)
            except Exception:
                pass
        return self.corpus

    def start_build(self, reason: str = "", first_run: bool = False) -> None:
        """Build or update the index, with progress.

        ``first_run`` builds through :func:`searcher.index.build.ensure_index`.
        """
        if self.building:
            self.notify("Indexing is already running.", timeout=2)
            return
        self.building = True
        self.main.update_index_status()
        if self.engine is None or first_run:
            screen = IndexScreen(
                self.reindex_corpus(), self.index, reason=reason, build=self.build_function, first_run=first_run,
                query=self._query_line(),
            )
            self.push_screen(screen, self._build_finished)
        else:
            # An update: the old index keeps answering while the new one is built.
            panel = IndexPanel(self.reindex_corpus(), self.index, self._build_finished, build=self.build_function)
            self.main.mount(panel, before=self.main.status)

    def _query_line(self) -> Input | None:
        """The main screen's query line, where keys typed during the first build go."""
        try:
            return self.main.query_input
        except NoMatches:
            return None

    def action_reindex(self) -> None:
        self.start_build()

    def _build_finished(self, outcome: BuildOutcome | None) -> None:
        self.building = False
        if outcome is None or outcome.status == "cancelled":
            self.notify("Indexing cancelled: the previous index is unchanged.", severity="warning", timeout=3)
        elif outcome.status == "error":
            self.notify(visible(redact(outcome.message)), title="Indexing failed", severity="error", timeout=6)
            if self.engine is None:
                self.engine_error = outcome.message
        else:
            summary = outcome.summary
            if self.engine is None:
                try:
                    self.engine = Engine.open(self.index)
                    self.engine_error = ""
                except SearcherError as exc:
                    self.engine_error = str(exc)
            else:
                self.engine_error = ""
                self.force_refresh = True  # the next search reopens the index (in its worker)
            if summary is not None:
                title, message = describe_build(summary)
                self.notify(message, title=title, timeout=5)
            if self.engine is not None:
                self.load_stats()
        self.main.documents.clear()
        self.main.update_index_status()
        self.main.start_search(keep=self.main.selection_key)

    def call_from_thread_safe(self, callback: Callable[..., Any], *args: Any) -> None:
        """``call_from_thread`` that is quiet when the app is already closing."""
        if not self.is_running:
            return
        try:
            self.call_from_thread(callback, *args)
        except RuntimeError:
            pass  # the app stopped meanwhile
        except Exception as exc:
            self.internal_errors.append(exc)
            # Textual's log, not `logging`: it takes no %-arguments.
            self.log.error(f"error in {getattr(callback, '__name__', callback)}: {exc!r}")  # noqa: G004
            try:
                self.call_from_thread(self.notify, f"internal error: {exc!r}", severity="error")
            except Exception:
                pass
