"""The main screen: the query, the results, the preview and the status line."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static
from textual.worker import get_current_worker

from searcher.search.results import Hit, SearchResult
from searcher.tui import wording
from searcher.tui.document_screen import DocumentScreen
from searcher.tui.history import HistoryWalk
from searcher.tui.history_screen import HistoryScreen
from searcher.tui.index_screen import IndexPanel
from searcher.tui.live import REFINE_BUDGET, LiveScheduler, Outcome, live_limit
from searcher.tui.preview import DocumentCache, PreviewPane
from searcher.tui.protocol import SearchEngine
from searcher.tui.widgets import (
    QueryInput,
    ResultsList,
    Rows,
    StatusLine,
    make_rows,
    set_border_title,
)

if TYPE_CHECKING:
    from searcher.tui.app import SearchApp

__all__ = ["SearchScreen"]

# When which search runs, and with what budget, is searcher.tui.live's business (no Textual there).
HISTORY_PAUSE = 2.0  # seconds results stay on screen before the query goes to history
# No "searching…" outlives this: the live pass's budget, the fuller pass's, and a margin.
SPINNER_LIMIT = 0.2 + REFINE_BUDGET + 0.5
CONTEXT_DELAY = 0.2  # seconds after a keystroke before the preview follows the selected hit
PREVIEW_FRAME = 0.03  # after a single change, the preview follows the hits' paint this much later

class SearchScreen(Screen[None]):
    """The main screen: query, results, preview, status line."""

    AUTO_FOCUS = "#query"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "escape", "Clear/Quit"),
        Binding("ctrl+r", "history", "History"),
        Binding("ctrl+g", "accept_suggestion", "Did you mean", show=False),
        Binding("f2", "toggle_grouping", "Group by file", show=False),
        Binding("f5", "reindex", "Re-index"),
        Binding("f3", "app.toggle_scope", "Everywhere", show=False),
    ]

    @dataclass
    class Searched(Message):
        """One pass of a search is over (posted by the search worker)."""

        outcome: Outcome[Rows]

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.initial_query = query
        self.live: LiveScheduler[Rows] = LiveScheduler()
        self.shown_gen = -1  # the generation whose outcome is on screen
        self.result: SearchResult | None = None
        self.result_text = ""
        self.state = "help"  # help | results | empty | error | waiting
        self._debounce: Timer | None = None
        self._pause_timer: Timer | None = None
        self._typed_at = 0.0
        self._open_when_ready = False
        self.settled = True  # False while a fuller pass of the current search is on its way
        self.waiting_for_server = False  # the search on screen failed because the index's server was away
        self._walk = HistoryWalk()
        self._watchdog: Timer | None = None
        self._loading_more = False
        self._burst = False  # the last change of the query was typing (see _query_changed)
        self._last_value = ""
        self.documents = DocumentCache(self._read_document)  # what the preview read

    @property
    def gen(self) -> int:
        """The generation of the query in the input (see :class:`searcher.tui.live.LiveScheduler`)."""
        return self.live.gen

    @property
    def search_app(self) -> SearchApp:
        return self.app  # type: ignore[return-value]

    # -- layout ------------------------------------------------------------

    def compose(self):  # type: ignore[no-untyped-def]
        yield QueryInput(placeholder="type to search…  (F1 help)", id="query", select_on_focus=False, compact=True)
        yield Static(id="query-info", markup=False)
        with Container(id="body"):
            with Vertical(id="results-pane"):
                yield ResultsList(id="results")
                yield Static(id="message")
            yield PreviewPane(self.documents, id="preview")
        yield StatusLine(id="status")
        yield Footer()

    @property
    def query_input(self) -> QueryInput:
        return self.query_one("#query", QueryInput)

    @property
    def results(self) -> ResultsList:
        return self.query_one("#results", ResultsList)

    @property
    def preview(self) -> PreviewPane:
        return self.query_one("#preview", PreviewPane)

    @property
    def status(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    @property
    def message_text(self) -> str:
        return str(self.query_one("#message", Static).visual)

    def on_mount(self) -> None:
        self.query_input.cursor_blink = self.search_app.cursor_blink
        set_border_title(self.query_one("#results-pane"), "Results")
        set_border_title(self.preview, "Preview")
        self._show_help()
        self.shown_gen = self.gen
        self.update_index_status()
        if self.initial_query:
            self.query_input.value = self.initial_query
            self.query_input.cursor_position = len(self.initial_query)
        self.search_app.start()

    @property
    def wide(self) -> bool:
        """The preview sits beside the results (from 110 columns), not under them."""
        return self.size.width >= 110

    def on_resize(self) -> None:
        self.set_class(self.wide, "-wide")
        self.update_index_status()  # as much of it as the new width holds
        if self.state != "results" and self.preview.display != self.wide:
            self._preview_beside_message()

    def _preview_beside_message(self) -> None:
        """Beside the help or a message (wide terminals) the preview stays, saying what it is
        for: hiding it would cost a layout of the whole screen at the next keystroke."""
        self.preview.show(Content.from_markup(wording.PREVIEW_HINT) if self.wide else "", "Preview")
        self.preview.display = self.wide

    # -- typing and searching ----------------------------------------------

    @on(Input.Changed, "#query")
    def _query_changed(self, event: Input.Changed) -> None:
        gen = self.live.change()
        now = time.perf_counter()
        # Typing: a keystroke may have more coming right after it, so the preview waits for a
        # pause (it reads the hit's document, in a thread that would slow the next keystroke's
        # search).  Even the first keystroke after a pause is typing; a query set at once (a
        # recalled one, a did-you-mean, a paste) previews a frame after its hits.
        one_key = abs(len(event.value) - len(self._last_value)) <= 1
        self._burst = one_key or now - self._typed_at < CONTEXT_DELAY
        self._last_value = event.value
        self._typed_at = now
        self._open_when_ready = False
        if self._pause_timer is not None:
            self._pause_timer.stop()
            self._pause_timer = None
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        delay = self.live.debounce_delay()
        if delay <= 0:
            self.start_search(gen)
        else:
            self._debounce = self.set_timer(delay, lambda: self.start_search(gen))

    def live_limit(self) -> int:
        """Hits of the fast pass: what the results pane shows (two lines a hit), and a few more."""
        return live_limit(self.query_one("#results-pane").size.height)

    def start_search(self, gen: int | None = None, keep: tuple[str, int] | None = None) -> None:
        """Search for what the input holds now (``gen`` None: a re-run, e.g. after re-indexing)."""
        rerun = gen is None
        if gen is None:
            gen = self.live.change(new_query=False)
        elif gen != self.gen:
            return
        self._debounce = None
        self.settled = False
        text = self.query_input.value
        if not text.strip():
            self.shown_gen = gen
            self.settled = True
            self._show_help()
            return
        engine = self.search_app.engine
        if engine is None:
            self.shown_gen = gen
            self.settled = True
            self._show_message(self.search_app.no_engine_reason(), "waiting")
            return
        started = time.perf_counter() if rerun or not self._typed_at else self._typed_at
        if self._watchdog is not None:
            self._watchdog.stop()
        self._watchdog = self.set_timer(SPINNER_LIMIT, lambda: self._give_up(gen))
        self._search(engine, text, gen, keep, started, self._row_layout())

    def _row_layout(self) -> Callable[[SearchResult], Rows]:
        """How the worker lays out the hits as rows: with the grouping and the width of now."""
        grouped, width = self.search_app.settings.group_by_file, self.results.prompt_width()
        return lambda result: make_rows(result, grouped, width, result.query)

    def _post_outcome(self, outcome: Outcome[Rows]) -> None:
        self.post_message(self.Searched(outcome))

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search(
        self,
        engine: SearchEngine,
        text: str,
        gen: int,
        keep: tuple[str, int] | None,
        started: float,
        lay_out: Callable[[SearchResult], Rows],
    ) -> None:
        """Search in a thread: the scheduler's fast pass, then maybe its fuller one (see
        :meth:`searcher.tui.live.LiveScheduler.run`)."""
        worker = get_current_worker()
        app = self.search_app
        force, app.force_refresh = app.force_refresh, False
        self.live.run(
            engine, text, gen, started, post=self._post_outcome, limit=self.live_limit(),
            stopped=lambda: worker.is_cancelled, keep=keep, force=force, filters=app.search_filters(), lay_out=lay_out,
        )

    def _give_up(self, gen: int) -> None:
        """The search of ``gen`` overran its budget: settle with what is on screen."""
        self._watchdog = None
        if gen != self.gen or self.settled:
            return
        self.settled = True
        result = self.result if self.shown_gen == gen else None
        self.shown_gen = gen
        if result is None:
            self._show_message(wording.too_slow(self.query_input.value), "empty")
            self.status.set_left("search took too long")
        else:
            self._settle_view(result, self.result_text)

    @on(Searched)
    def _searched(self, message: SearchScreen.Searched) -> None:
        message.stop()
        if self.live.accept(message.outcome):  # else a newer query was typed meanwhile: never show stale hits
            self._finish_search(message.outcome)

    def _finish_search(self, message: Outcome[Rows]) -> None:
        self._loading_more = False
        gen, text, started, result = message.gen, message.text, message.started, message.result
        refined = message.refined
        keep = message.keep
        self.shown_gen = gen
        self.settled = message.final or refined
        if self.settled and self._watchdog is not None:
            self._watchdog.stop()
            self._watchdog = None
        if refined:
            if result is None:
                if self.result is not None:
                    self._settle_view(self.result, self.result_text)  # keep the fast pass on screen
                    return
            else:
                keep = self.selection_key  # the user may have moved meanwhile
                if result and self.result is not None and [(h.path, h.paragraph) for h in result] == [
                    (h.path, h.paragraph) for h in self.result
                ]:
                    self.result = result
                    self._settle_view(result, text)
                    return
        if result is None:
            self.result = None
            self._show_info(None)
            failed = wording.search_failed(
                text, message.error, query_error=message.query_error, unavailable=message.unavailable
            )
            self._show_message(failed, "error")
            if message.query_error:
                self.status.set_left("")
            else:
                # A cluster that went away: search again by itself once it answers
                # (IndexedApp._check_worker watches for that).
                self.waiting_for_server = message.unavailable
                self.status.set_left(f"error: {message.error}", error=True)
            self.search_app.time_paint(self.status.left, text, 0, started)
            return
        self.waiting_for_server = False
        self.result = result
        self.result_text = text
        selected = 0
        if keep is not None:
            for index, hit in enumerate(result):
                if (hit.path, hit.paragraph) == keep:
                    selected = index
                    break
        if result:
            self.state = "results"
            self.query_one("#message").display = False
            self.preview.display = True
            self.results.grouped = self.search_app.settings.group_by_file
            self.results.show_hits(result, selected, result.query, message.rows)
            self._show_preview(self.results.selected_hit, typing=True)
        self._settle_view(result, text)
        self.search_app.time_paint(self.status.left, text, len(result), started, result.elapsed, refined)
        if self._pause_timer is not None:
            self._pause_timer.stop()
            self._pause_timer = None
        if result and text.strip():
            self._pause_timer = self.set_timer(HISTORY_PAUSE, lambda: self.search_app.remember(text))
        if self._open_when_ready:
            self._open_when_ready = False
            if result:
                self.action_open()

    def _settle_view(self, result: SearchResult, text: str) -> None:
        """Title, status line, the line under the query and, without hits, the no-hits help."""
        self._show_info(result)
        self.status.set_left(self._status_text(result))
        if result:
            set_border_title(self.query_one("#results-pane"), self._results_title(result))
            return
        self._show_message(wording.no_hits(result, text) if self.settled else wording.searching(text), "empty")
        set_border_title(self.query_one("#results-pane"), self._results_title(result))

    def _show_info(self, result: SearchResult | None) -> None:
        """The line under the query: Telex/VNI words read as Vietnamese, and a did-you-mean."""
        said = wording.query_info(result)
        info = self.query_one("#query-info", Static)
        if said is not None or info.display:
            info.update(said if said is not None else "", layout=False)
        if info.display != (said is not None):
            info.display = said is not None

    def action_toggle_grouping(self) -> None:
        """F2: one row per file (its best hit, and how many more it has), or every hit; remembered."""
        settings = self.search_app.settings
        settings.group_by_file = not settings.group_by_file
        self.search_app.save_settings()
        self.results.grouped = settings.group_by_file
        if self.result is not None and self.state == "results":
            keep = self.selection_key
            self.results.regroup(self.result, self.result.query, keep[0] if keep is not None else None)
            set_border_title(self.query_one("#results-pane"), self._results_title(self.result))
        self.notify("Grouped by file" if settings.group_by_file else "Every hit listed", timeout=1.5)

    def action_accept_suggestion(self) -> None:
        if self.result is not None and self.result.suggestion and self.shown_gen == self.gen:
            self.set_query(self.result.suggestion)

    def _shows_part(self, result: SearchResult) -> bool:
        """The count on screen is a lower bound: more hits exist, or the live pass (a
        screenful) filled every slot it asked for ("8+ hits…", not "8 hits…")."""
        return self.live.may_have_more(result) or (not self.settled and len(result) >= self.live_limit())

    def load_more(self) -> bool:
        """Past the last hit: search again for :data:`RESULT_LIMIT` more (the selection stays).
        False when there is nothing more to load (the cursor may wrap around)."""
        result, engine = self.result, self.search_app.engine
        if self._loading_more:
            return True
        if result is None or engine is None or not self.settled:
            return False
        if not self.live.may_have_more(result) or self.shown_gen != self.gen:
            return False
        self._loading_more = True
        limit = self.live.more(len(result))
        self.status.set_left(self._status_text(result) + " · loading more…")
        self._search_more(engine, self.result_text, self.gen, limit, self._row_layout())
        return True

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search_more(
        self, engine: SearchEngine, text: str, gen: int, limit: int, lay_out: Callable[[SearchResult], Rows]
    ) -> None:
        worker = get_current_worker()
        self.live.run_more(
            engine, text, gen, limit, post=self._post_outcome, stopped=lambda: worker.is_cancelled,
            filters=self.search_app.search_filters(), lay_out=lay_out,
        )

    def _results_title(self, result: SearchResult) -> str:
        return wording.results_title(
            result, part=self._shows_part(result), grouped=self.results.grouped, settled=self.settled
        )

    def _status_text(self, result: SearchResult) -> str:
        scope = self.search_app.scope
        return wording.status_text(
            result, part=self._shows_part(result), scope=scope.describe() if scope.active else "",
            timings=self.search_app.show_timings, settled=self.settled,
        )

    def _show_help(self) -> None:
        self.result = None
        self._show_info(None)
        app = self.search_app
        if app.engine is None and (app.building or app.engine_error):
            self._show_message(app.no_engine_reason(), "waiting")
        else:
            self._show_message(Content.from_markup(wording.HELP_TEXT), "help")
        self.status.set_left("")

    def _show_message(self, content: Content | str, state: str) -> None:
        self.state = state
        message = self.query_one("#message", Static)
        # A str is plain text: an error may hold brackets (pip install 'searcher[opensearch]').
        message.update(Content(content) if isinstance(content, str) else content)
        message.set_class(state == "error", "-error")
        message.display = True  # over the list (its own layer): the list keeps its place
        results = self.results
        had_focus = results.has_focus
        results.show_hits([])
        set_border_title(self.query_one("#results-pane"), "Results")
        self._preview_beside_message()
        self.preview.shown = None
        if had_focus or self.preview.has_focus:
            self.query_input.focus()

    def update_index_status(self) -> None:
        try:
            status = self.status
        except NoMatches:
            return  # the first build can start before this screen is composed; on_mount shows it
        status.set_right(self.search_app.index_summary(status.right_width()))

    # -- preview -------------------------------------------------------------

    @on(ResultsList.Highlighted, "#results")
    def _highlighted(self, event: ResultsList.Highlighted) -> None:
        # The user moved the selection; right after a keystroke, that is still typing.
        self._show_preview(self.results.selected_hit, typing=True)

    @on(ResultsList.Selected, "#results")
    def _selected(self, event: ResultsList.Selected) -> None:
        self.action_open()

    def _show_preview(self, hit: Hit | None, typing: bool = False) -> None:
        wait = 0.0
        if typing and time.perf_counter() - self._typed_at < CONTEXT_DELAY:
            # Right after a keystroke the hits are painted first: laying out and rendering a
            # paragraph in the same frame would delay them.  While typing goes on the preview
            # waits for a pause (blank: an earlier query's paragraph beside these hits would
            # mislead); after a single change, it follows a frame later.
            wait = CONTEXT_DELAY if self._burst else PREVIEW_FRAME
        query = self.result.query if self.result is not None else None
        self.preview.follow(hit, query, self.result_text, wait=wait, blank=self._burst, then=self._preview_when_still)

    def _preview_when_still(self) -> None:
        if self.state == "results":
            self._show_preview(self.results.selected_hit)  # whatever is selected now

    @on(PreviewPane.ContextLoaded)
    def _context_loaded(self, message: PreviewPane.ContextLoaded) -> None:
        hit, selected = message.hit, self.results.selected_hit
        # The same paragraph, not the same object: a fuller pass replaces the Hit objects.
        if selected is not None and (selected.path, selected.paragraph) == (hit.path, hit.paragraph):
            self.preview.show(message.content, hit.title, message.focus)

    def _read_document(self, path: str) -> list[Hit]:
        engine = self.search_app.engine
        return engine.document(path) if engine is not None else []

    # -- actions ---------------------------------------------------------------

    def action_move(self, where: str) -> None:
        results = self.results
        value = self.query_input.value
        if where == "up" and self._walk.walking(value) and not results.highlighted:
            self.recall_older()
            return
        if not results.hits:
            return
        at_end = where in ("down", "pagedown", "end") and results.highlighted == len(results.hits) - 1
        if at_end and self.load_more():
            return
        {
            "up": results.action_cursor_up,
            "down": results.action_cursor_down,
            "pageup": results.action_page_up,
            "pagedown": results.action_page_down,
            "home": results.action_first,
            "end": results.action_last,
        }[where]()

    def recall_older(self) -> None:
        """↑ on an empty or recalled query: the next older query of the history."""
        entries = self.search_app.history.newest_first()
        query = self._walk.older(entries, self.query_input.value)
        if query is None:
            self.notify("No earlier queries." if entries else "No earlier queries yet.", timeout=2)
        else:
            self.set_query(query)

    def set_query(self, text: str) -> None:
        query_input = self.query_input
        query_input.value = text
        query_input.cursor_position = len(text)
        query_input.focus()

    def action_escape(self) -> None:
        panels = self.query(IndexPanel)
        if panels:
            panels.first().action_cancel()  # Esc cancels a running re-index first
            return
        if self.query_input.value:
            self.set_query("")
        else:
            self.app.exit(0)

    def action_open(self) -> None:
        if self.shown_gen != self.gen and self.query_input.value.strip():
            # Enter pressed before the results of what was typed arrived: open when they do.
            self._open_when_ready = True
            if self._debounce is not None:
                self._debounce.stop()
                self.start_search(self.gen)
            return
        hit = self.results.selected_hit
        if hit is None or self.result is None:
            return
        self.search_app.remember(self.result_text)
        self.app.push_screen(DocumentScreen(hit, self.result.query))

    def action_edit(self) -> None:
        hit = self.results.selected_hit
        if hit is not None:
            self.search_app.open_in_editor(hit.file, hit.line, hit.page)

    def action_copy_location(self) -> None:
        hit = self.results.selected_hit
        if hit is not None:
            self.search_app.copy_location(hit.file, hit.line, hit.page, hit.chapter)

    def action_history(self) -> None:
        def picked(query: str | None) -> None:
            if query:
                self.set_query(query)

        self.app.push_screen(HistoryScreen(self.search_app.history.newest_first()), picked)

    def action_reindex(self) -> None:
        self.search_app.action_reindex()

    @property
    def selection_key(self) -> tuple[str, int] | None:
        hit = self.results.selected_hit
        return (hit.path, hit.paragraph) if hit is not None else None
