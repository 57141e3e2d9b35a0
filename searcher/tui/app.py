"""The live-search terminal UI (``search --tui``, or ``search`` with no query on a terminal).

>>> app = make_app("index", "corpus", query="ngoại giao")   # doctest: +SKIP
>>> app.run()                                              # doctest: +SKIP

Every search runs in a worker thread, debounced, under a generation counter
so a slow, stale search never overwrites the results of a newer query (the
scheduling is :mod:`searcher.tui.live`, which imports no Textual).
Set ``SEARCHER_TUI_LOG=/some/file`` to log, for every result shown, the
keystroke-to-results and keystroke-to-paint times.

The modules: ``app`` (this one: the screens' services and commands) on
``indexed_app`` (opening, checking and building the index); ``search_screen``
(the main screen) with ``live`` (when to search), ``wording`` (what it says),
``preview`` and ``widgets``; the other screens, one module each (``screens``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from textual.app import SuspendNotSupported, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from searcher.backends import is_remote
from searcher.cli.opener import editor_command, missing_program_advice, open_command
from searcher.cli.presentation import (
    display_path,
    format_size,
    location,
    redact,
    visible,
)
from searcher.documents.filters import PathFilter
from searcher.engine import Engine
from searcher.errors import EXIT_ERROR, CorpusError, IndexMissing, SearcherError
from searcher.index.places import scope_under
from searcher.tui import clipboard
from searcher.tui.help_screen import HelpScreen
from searcher.tui.history import History
from searcher.tui.indexed_app import (
    CHECK_INTERVAL,
    IndexedApp,
    describe_build,
    format_age,
)
from searcher.tui.protocol import SearchEngine
from searcher.tui.search_screen import SearchScreen
from searcher.tui.settings import Settings
from searcher.tui.widgets import StatusText

# describe_build, format_age and format_size: the status line's and the toasts' words, also here for the tests.
__all__ = ["SearchApp", "describe_build", "editor_command", "format_age", "format_size", "make_app", "run_app"]


def _run_command(argv: Sequence[str]) -> int:
    return subprocess.call(list(argv))


class SearchApp(IndexedApp):
    """Live search over one index (:class:`IndexedApp` keeps the index; this class, the screens' services)."""

    CSS_PATH = "searcher.tcss"
    TITLE = "searcher"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
        Binding("f1", "help", "Help"),
    ]

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
        super().__init__(
            index, corpus, engine=engine, build=build, clock=clock, check_interval=check_interval, tune_gc=tune_gc
        )
        # Which files are searched: the folder the UI was started in (as the CLI, like
        # git grep), and the palette's globs and types.  The folder can be widened.
        self.scope: PathFilter = scope or PathFilter()
        self.home_under = self.scope.under
        self.initial_query = query
        self.editor_runner = editor_runner or _run_command
        self.cursor_blink = cursor_blink
        self.show_timings = show_timings
        self.timing_log = timing_log if timing_log is not None else (os.environ.get("SEARCHER_TUI_LOG") or None)
        self.history = History(self.index)
        self.settings = Settings.load()
        self._settings_warned = False
        self._history_warned = False
        self.last_copy = clipboard.Copied()
        self.main: SearchScreen = SearchScreen(query)

    # -- start-up ----------------------------------------------------------------

    def get_default_screen(self) -> SearchScreen:
        return self.main

    def on_mount(self) -> None:
        if self.settings.theme and self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.start_checking()

    # -- services for the screens -----------------------------------------------------

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
        not_found = isinstance(outcome.get("error"), FileNotFoundError) or outcome.get("status") == 127
        if argv[:2] != ["sh", "-c"] and not_found:
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
        # The document screen copies and opens what it shows; any other, the main screen's hit.
        target: Any = screen if hasattr(screen, "action_copy_location") else main
        yield SystemCommand("Copy path:line", "Copy the selected hit's location (y)", target.action_copy_location)
        yield SystemCommand("Open in editor", "Run $VISUAL / $EDITOR at the hit (e)", target.action_edit)
        yield SystemCommand("Help", "Keys and query language (F1)", self.action_help)
        yield from super().get_system_commands(screen)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def time_paint(
        self,
        status: StatusText,
        text: str,
        hits: int,
        started: float,
        search_s: float | None = None,
        refined: bool = False,
    ) -> None:
        """With ``timing_log``: once ``status`` has painted the outcome of the search for ``text``
        (asked for at ``started``), log the keystroke-to-results and keystroke-to-paint times."""
        if self.timing_log is None:
            return
        done = time.perf_counter()

        def painted() -> None:
            self.log_timing(text, hits, search_s, done - started, time.perf_counter() - started, refined)

        status.after_next_paint(painted)

    def log_timing(
        self, text: str, hits: int, search_s: float | None, results_s: float, paint_s: float, refined: bool = False
    ) -> None:
        if not self.timing_log:
            return
        search = f"{search_s * 1000:.1f}" if search_s is not None else "-"
        line = (
            f"{time.strftime('%H:%M:%S')} {'refined' if refined else 'live'} query={text!r} hits={hits} "
            f"search_ms={search} "
            f"keystroke_to_results_ms={results_s * 1000:.1f} keystroke_to_paint_ms={paint_s * 1000:.1f}\n"
        )
        try:
            with open(self.timing_log, "a", encoding="utf-8") as f:
                f.write(line)
        except OSError:
            pass


def make_app(
    index: str | os.PathLike[str], corpus: str | os.PathLike[str], query: str = "", **options: Any
) -> SearchApp:
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
        engine = Engine.open(os.fspath(index))
    except IndexMissing:
        from searcher.documents.corpus import check_corpus

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
