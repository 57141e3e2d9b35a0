"""The live-search terminal UI (``search --tui``, or ``search`` with no query on a terminal).

>>> app = make_app("index", "corpus", query="ngoại giao")   # doctest: +SKIP
>>> app.run()                                              # doctest: +SKIP

Every search runs in a worker thread, debounced, under a generation counter
so a slow, stale search never overwrites the results of a newer query.
Set ``SEARCHER_TUI_LOG=/some/file`` to log, for every result shown, the
keystroke-to-results and keystroke-to-paint times.
"""

from __future__ import annotations

import gc
import os
import shutil
from dataclasses import dataclass, replace
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from textual import work
from textual.message import Message
from textual.app import App, SuspendNotSupported, SystemCommand
from textual.screen import Screen
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.widgets import Input

from searcher.backends import is_remote
from searcher.engine import Engine
from searcher.documents.filters import PathFilter
from searcher.index.places import scope_under
from searcher.index.build import BuildSummary
from searcher.errors import CorpusError, EXIT_ERROR, IndexMissing, SearcherError, Unavailable
from searcher.cli.opener import editor_command, missing_program_advice, open_command
from searcher.cli.presentation import display_path, format_size, location, redact, visible
from searcher.tui import clipboard
from searcher.tui.history import History
from searcher.tui.help_screen import HelpScreen
from searcher.tui.index_screen import BuildOutcome, IndexPanel, IndexScreen
from searcher.tui.protocol import SearchEngine
from searcher.tui.settings import Settings
from searcher.tui.search_screen import SearchScreen

__all__ = ["SearchApp", "make_app", "run_app", "editor_command"]

CHECK_INTERVAL = 2.0  # seconds between checks for an index rebuilt from outside


def _run_command(argv: Sequence[str]) -> int:
    return subprocess.call(list(argv))


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


class SearchApp(App[int]):
    """Live search over one index."""

    CSS_PATH = "searcher.tcss"
    TITLE = "searcher"
    BINDINGS = [
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
        Binding("f1", "help", "Help"),
    ]

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
        query: str = "",
        *,
        engine: SearchEngine | None = None,
        editor_runner: Callable[[list[str]], int | None] | None = None,
        build: Callable[..., Any] | None = None,
        clock: Callable[[], float] = time.time,
        cursor_blink: bool = True,
        show_timings: bool = True,
        check_interval: float = CHECK_INTERVAL,
        timing_log: str | None = None,
        tune_gc: bool = False,
        scope: PathFilter | None = None,
    ) -> None:
        super().__init__()
        # Which files are searched: the folder the UI was started in (as the CLI, like
        # git grep), and the palette's globs and types.  The folder can be widened.
        self.scope: PathFilter = scope or PathFilter()
        self.home_under = self.scope.under
        self.tune_gc = tune_gc
        self.index = str(index)
        self.corpus = str(corpus)
        self.initial_query = query
        self.engine: SearchEngine | None = engine
        self.editor_runner = editor_runner or _run_command
        self.build_function = build
        self.clock = clock
        self.cursor_blink = cursor_blink
        self.show_timings = show_timings
        self.check_interval = check_interval
        self.timing_log = timing_log if timing_log is not None else (os.environ.get("SEARCHER_TUI_LOG") or None)
        self.history = History(self.index)
        self.settings = Settings.load()
        self._settings_warned = False
        self.stats: dict[str, Any] | None = None
        self.fingerprint: Any = None
        self.building = False
        self.force_refresh = False
        self.engine_error = ""
        self.engine_unavailable = False  # the index's server did not answer at start: try again on each check
        self._history_warned = False
        self.internal_errors: list[Exception] = []
        self.last_copy = clipboard.Copied()
        self.main: SearchScreen = SearchScreen(query)

    # -- start-up ----------------------------------------------------------------

    def get_default_screen(self) -> SearchScreen:
        return self.main

    def on_mount(self) -> None:
        if self.settings.theme and self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        self.theme_changed_signal.subscribe(self, self._theme_changed)
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

    def on_search_app_server_back(self, message: "SearchApp.ServerBack") -> None:
        main = self.main
        if main.waiting_for_server and main.state == "error" and main.query_input.value.strip():
            main.waiting_for_server = False
            main.start_search(keep=main.selection_key)
            self.notify("The index answers again: results refreshed.", timeout=2)
        if self.stats is None:
            self.load_stats()

    def on_search_app_index_checked(self, message: "SearchApp.IndexChecked") -> None:
        self.main.update_index_status()  # the age of the index moves on

    def on_search_app_stats_loaded(self, message: "SearchApp.StatsLoaded") -> None:
        self._set_stats(message.stats, message.fingerprint, message.changed)

    def _set_stats(self, stats: dict[str, Any], fingerprint: Any, changed: bool) -> None:
        self.stats = stats
        self.fingerprint = fingerprint
        self.main.update_index_status()
        if changed:
            self.main.forget_documents()
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
        """Build (``first_run``: through :func:`searcher.index.build.ensure_index`) or update the index, with progress."""
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
        self.main.forget_documents()
        self.main.update_index_status()
        self.main.start_search(keep=self.main.selection_key)

    # -- services for the screens -----------------------------------------------------

    def call_from_thread_safe(self, callback: Callable[..., Any], *args: Any) -> None:
        """``call_from_thread`` that is quiet when the app is already closing."""
        if not self.is_running:
            return
        try:
            self.call_from_thread(callback, *args)
        except RuntimeError:
            pass  # the app stopped meanwhile
        except Exception as exc:  # a bug: report it in the UI rather than kill the app
            self.internal_errors.append(exc)
            self.log.error(f"error in {getattr(callback, '__name__', callback)}: {exc!r}")
            try:
                self.call_from_thread(self.notify, f"internal error: {exc!r}", severity="error")
            except Exception:
                pass

    def remember(self, query: str) -> None:
        """Save ``query`` to the history (see HISTORY in the help screen for when)."""
        try:
            self.history.add(query)
        except OSError as exc:
            if not self._history_warned:
                self._history_warned = True
                self.notify(f"cannot save the query history: {exc.strerror or exc}", severity="warning")

    def open_in_editor(self, file: str, line: int, page: int | None = None) -> None:
        """Suspend the UI and open the hit: ``$VISUAL``/``$EDITOR`` at ``+line path``, a PDF viewer at ``page``."""
        argv = open_command(display_path(file), line, page)
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["status"] = self.editor_runner(argv)
            except OSError as exc:  # the editor does not exist, ...
                outcome["error"] = exc

        if self.editor_runner is _run_command and argv[:2] != ["sh", "-c"] and shutil.which(argv[0]) is None:
            outcome["error"] = FileNotFoundError(argv[0])  # no need to leave the screen to find that out
        else:
            try:
                with self.suspend():
                    run()
            except SuspendNotSupported:
                run()  # headless (tests): the injected runner captures the command
        editor = argv[3] if argv[:2] == ["sh", "-c"] else argv[0]
        if argv[:2] != ["sh", "-c"] and (isinstance(outcome.get("error"), FileNotFoundError) or outcome.get("status") == 127):
            # Nothing to open it with: say what to install or set, and show the paragraph here.
            self.notify(
                f"cannot open {display_path(file)}: {missing_program_advice(argv, display_path(file))}",
                severity="error",
                timeout=8,
            )
            if self.screen is self.main:
                self.main.action_open()
        elif "error" in outcome:
            exc = outcome["error"]
            self.notify(f"cannot run {editor}: {exc.strerror or exc}", severity="error")
        elif outcome.get("status") in (126, 127):  # the shell could not find or run it
            self.notify(f"cannot run {editor}: command not found (set $VISUAL or $EDITOR)", severity="error")
        elif outcome.get("status") not in (0, None):
            self.notify(f"{editor} exited with status {outcome['status']}", severity="warning")

    def copy_to_clipboard(self, text: str) -> None:
        """Copy ``text``: OSC 52 to the terminal, or tmux's paste buffer inside tmux (see :mod:`.clipboard`);
        ``last_copy`` tells how, and why it may not have worked."""
        self._clipboard = text  # what App.clipboard (and a paste inside the app) reads
        self.last_copy = copied = clipboard.copy(text)
        if copied.osc52 and self._driver is not None:
            self._driver.write(copied.osc52)

    def copy_location(self, file: str, line: int, page: int | None = None, chapter: int | None = None) -> None:
        # What is pasted lands in a shell or an editor: no control characters (visible).
        text = visible(location(file, line, page, chapter))
        self.copy_to_clipboard(text)
        copied = self.last_copy
        if copied.problem:
            self.notify(f"{text}: {copied.problem}", title="Copying may not work here", severity="warning", timeout=8)
        elif copied.how == "tmux buffer":
            self.notify(f"Copied {text} (tmux buffer)", timeout=2)
        else:
            self.notify(f"Copied {text}", timeout=2)

    def _theme_changed(self, theme: Any) -> None:
        if self.settings.theme != theme.name:
            self.settings.theme = theme.name
            self.save_settings()

    def save_settings(self) -> None:
        """Save the theme and grouping (see :mod:`searcher.tui.settings`); a failure is reported once."""
        try:
            self.settings.save()
        except OSError as exc:
            if not self._settings_warned:
                self._settings_warned = True
                self.notify(f"cannot save the settings: {exc.strerror or exc}", severity="warning")

    # -- which files are searched ----------------------------------------------------

    def search_filters(self) -> dict[str, Any]:
        """The keyword arguments of ``engine.search`` that keep the search to :attr:`scope`."""
        scope = self.scope
        if not scope.active:
            return {}
        return {"under": scope.under, "globs": scope.globs, "types": scope.types, "types_not": scope.types_not}

    def set_scope(self, scope: PathFilter) -> None:
        """Search these files from now on, and search again."""
        self.scope = scope
        main = self.main
        if main.query_input.value.strip():
            main.start_search(keep=main.selection_key)
        main.update_index_status()

    def action_toggle_scope(self) -> None:
        """Search the whole index, or again only the folder the UI was started in (F3)."""
        if not self.home_under:
            self.notify("Already searching the whole index.", timeout=2)
            return
        under = "" if self.scope.under else self.home_under
        self.set_scope(replace(self.scope, under=under))
        self.notify(f"Searching {under + '/' if under else 'the whole index'}.", timeout=2)

    def action_filter_files(self) -> None:
        """Ask for the globs and types of the files to search (palette: Filter files)."""
        from searcher.tui.filter_screen import FilterScreen, format_filter, parse_filter

        def chosen(text: str | None) -> None:
            if text is not None:
                self.set_scope(parse_filter(text, under=self.scope.under))

        self.push_screen(FilterScreen(format_filter(self.scope)), chosen)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The command palette: the app's own commands first, then Textual's (themes, keys, quit, …)."""
        main = self.main
        if self.home_under:
            yield SystemCommand(
                "Search everywhere" if self.scope.under else f"Search only {self.home_under}/",
                "Widen the search to the whole index, or keep it to the folder it started in (F3)",
                self.action_toggle_scope,
            )
        yield SystemCommand(
            "Filter files",
            "Search only some files: globs as rg -g (*.pdf, !nháp/**) and types (type:pdf); "
            f"now: {self.scope.describe() or 'all'}",
            self.action_filter_files,
        )
        yield SystemCommand("Re-index", "Update the index from the corpus (F5)", self.action_reindex)
        yield SystemCommand("History", "Pick an earlier query (Ctrl-R)", main.action_history)
        yield SystemCommand(
            "Group by file" if not self.settings.group_by_file else "Ungroup results",
            "One row per file, with the count of its other hits (F2)",
            main.action_toggle_grouping,
        )
        target = screen if hasattr(screen, "action_copy_location") else main
        yield SystemCommand("Copy path:line", "Copy the selected hit's location (y)", target.action_copy_location)  # type: ignore[attr-defined]
        yield SystemCommand("Open in editor", "Run $VISUAL / $EDITOR at the hit (e)", target.action_edit)  # type: ignore[attr-defined]
        yield SystemCommand("Help", "Keys and query language (F1)", self.action_help)
        yield from super().get_system_commands(screen)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def log_timing(
        self, text: str, hits: int, search_s: float | None, results_s: float, paint_s: float, refined: bool = False
    ) -> None:
        if not self.timing_log:
            return
        search = f"{search_s * 1000:.1f}" if search_s is not None else "-"
        line = (
            f"{time.strftime('%H:%M:%S')} {'refined' if refined else 'live'} query={text!r} hits={hits} search_ms={search} "
            f"keystroke_to_results_ms={results_s * 1000:.1f} keystroke_to_paint_ms={paint_s * 1000:.1f}\n"
        )
        try:
            with open(self.timing_log, "a", encoding="utf-8") as f:
                f.write(line)
        except OSError:
            pass


def make_app(index: str | os.PathLike[str], corpus: str | os.PathLike[str], query: str = "", **options: Any) -> SearchApp:
    """Create the app (``options``: engine, editor_runner, build, clock, cursor_blink, show_timings, …)."""
    return SearchApp(index, corpus, query, **options)


def run_app(
    index: str | os.PathLike[str],
    corpus: str | os.PathLike[str],
    query: str = "",
    folder: str | None = None,
    everywhere: bool = False,
    globs: tuple[str, ...] = (),
    types: tuple[str, ...] = (),
    types_not: tuple[str, ...] = (),
) -> int:
    """Run the UI on the terminal; returns the exit code.

    As the CLI: inside the indexed folder (or ``folder``, from ``-C``) the search keeps to
    that folder unless ``everywhere``; ``globs`` and ``types`` keep it to some files.
    """
    engine = None
    try:
        engine = Engine.open(index)
    except IndexMissing:
        from searcher.index.build import check_corpus

        try:
            check_corpus(Path(corpus))
        except CorpusError as exc:
            print(visible(redact(f"search: error: no index at {index}, and {exc}")), file=sys.stderr)
            return EXIT_ERROR
    except SearcherError:
        engine = None  # the UI shows the error and offers F5
    under = ""
    if engine is not None and not everywhere and not is_remote(str(index)):
        under = scope_under(engine.corpus, folder)
    scope = PathFilter(under=under, globs=globs, types=types, types_not=types_not)
    app = make_app(index, corpus, query, engine=engine, tune_gc=True, scope=scope)
    stop_watching = _watch_in_background(str(engine.corpus) if engine is not None else str(corpus), str(index))
    try:
        code = app.run()
    finally:
        stop_watching()
        if app.engine is not None:
            app.engine.close()
    return code if isinstance(code, int) else 0


def _watch_in_background(corpus: str, index: str) -> Callable[[], None]:
    """While the UI is open, keep the index current as its folder changes (``SEARCHER_TUI_WATCH=0`` turns it off).

    The app's periodic check then sees the updated index and refreshes the results.
    Returns the function that stops watching.
    """
    if os.environ.get("SEARCHER_TUI_WATCH", "1") == "0" or not os.path.isdir(corpus):
        return lambda: None
    import io
    import threading

    from searcher.index.watch import watch

    stop = threading.Event()

    def run() -> None:
        try:
            watch(corpus, index, quiet=True, stop_event=stop, err=io.StringIO(), wait=30.0)
        except Exception:
            pass  # a convenience: the UI works on without it, and F5 still re-indexes

    thread = threading.Thread(target=run, name="searcher-watch", daemon=True)
    thread.start()

    def stop_watching() -> None:
        stop.set()
        thread.join(5)

    return stop_watching
