"""The screens of the live search: results, document view, help, history and indexing."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from textual import on, work
from textual.binding import Binding
from textual.containers import Container, Vertical, VerticalScroll
from textual.content import Content
from textual.geometry import Region
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Label, OptionList, ProgressBar, Static
from textual.worker import get_current_worker

from ..corpus import UnreadableFile, read_document
from ..engine import Hit, SearchResult
from ..highlight import highlight_spans
from ..errors import QueryError, SearcherError
from ..query import ParsedQuery
from ..text import fold
from .widgets import (
    MUTED_STYLE,
    PreviewPane,
    QueryInput,
    ResultsList,
    StatusLine,
    highlighted,
)

if TYPE_CHECKING:
    from .app import SearchApp

__all__ = ["SearchScreen", "DocumentScreen", "HelpScreen", "HistoryScreen", "IndexScreen", "BuildOutcome"]

DEBOUNCE = 0.12  # seconds of typing quiet before a search starts
RESULT_LIMIT = 50  # hits listed once a search has settled
LIVE_LIMIT = 20  # hits of the fast pass at each keystroke (a screenful, within the live budget)
HISTORY_PAUSE = 2.0  # seconds results stay on screen before the query goes to history
REFINE_BUDGET = 0.5  # seconds for the fuller pass when the live pass was cut short
DOC_CACHE = 32  # documents kept for the preview

HELP_TEXT = """\
[b]Type to search[/b] — results update as you type.

  [b]ngoại giao[/b]       diacritics are optional: [i]ngoai giao[/i] finds it too
  [b]"kinh tế" -mỹ[/b]    quoted words in that order; [b]-word[/b] excludes
  [b]ngoại gi[/b]         the last word matches as a prefix while you type

[b]↑[/b] or [b]Ctrl-R[/b] recalls an earlier query · [b]F1[/b] help · [b]Esc[/b] quits
"""


def _fmt_ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:.0f} ms" if ms >= 10 else f"{ms:.1f} ms"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def suggestions(query: ParsedQuery) -> list[str]:
    """What to try when a query finds nothing."""
    tips: list[str] = []
    words = query.words
    if query.marked:
        tips.append(f"type without diacritics: {fold(' '.join(query.raw.split()))}")
    if any(c.quoted for c in query.clauses):
        tips.append("drop the quotes, so the words may stand apart")
    if len(words) > 1:
        tips.append(f"use fewer words: {' '.join(w.text for w in words[:-1])}")
    if query.excluded:
        tips.append("remove the -exclusions")
    if not tips:
        tips.append("check the spelling, or try a shorter or more common word")
    return tips


class SearchScreen(Screen[None]):
    """The main screen: query, results, preview, status line."""

    AUTO_FOCUS = "#query"
    BINDINGS = [
        Binding("escape", "escape", "Clear/Quit"),
        Binding("ctrl+r", "history", "History"),
        Binding("f5", "reindex", "Re-index"),
    ]

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.initial_query = query
        self.gen = 0  # bumped by every change of the query: older searches are stale
        self.shown_gen = -1  # the generation whose outcome is on screen
        self.result: SearchResult | None = None
        self.result_text = ""
        self.state = "help"  # help | results | empty | error | waiting
        self._debounce: Timer | None = None
        self._pause_timer: Timer | None = None
        self._typed_at = 0.0
        self._open_when_ready = False
        self.settled = True  # False while a fuller pass of the current search is on its way
        self._preview_key: tuple[str, int, str] | None = None
        self._docs: OrderedDict[str, list[Hit]] = OrderedDict()
        self._docs_lock = threading.Lock()

    @property
    def search_app(self) -> "SearchApp":
        return self.app  # type: ignore[return-value]

    # -- layout ------------------------------------------------------------

    def compose(self):  # type: ignore[no-untyped-def]
        yield QueryInput(placeholder="type to search…  (F1 help)", id="query", select_on_focus=False)
        with Container(id="body"):
            with Vertical(id="results-pane"):
                yield ResultsList(id="results", compact=True)
                yield Static(id="message")
            yield PreviewPane(id="preview")
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
        self.query_one("#results-pane").border_title = "Results"
        self.preview.border_title = "Preview"
        self._show_help()
        self.shown_gen = self.gen
        self.update_index_status()
        if self.initial_query:
            self.query_input.value = self.initial_query
            self.query_input.cursor_position = len(self.initial_query)
        self.search_app.start()

    def on_resize(self) -> None:
        self.set_class(self.size.width >= 110, "-wide")

    # -- typing and searching ----------------------------------------------

    @on(Input.Changed, "#query")
    def _query_changed(self, event: Input.Changed) -> None:
        self.gen += 1
        self._typed_at = time.perf_counter()
        self._open_when_ready = False
        if self._pause_timer is not None:
            self._pause_timer.stop()
            self._pause_timer = None
        if self._debounce is not None:
            self._debounce.stop()
        gen = self.gen
        self._debounce = self.set_timer(DEBOUNCE, lambda: self.start_search(gen))

    def start_search(self, gen: int | None = None, keep: tuple[str, int] | None = None) -> None:
        """Search for what the input holds now (``gen`` None: a re-run, e.g. after re-indexing)."""
        rerun = gen is None
        if gen is None:
            self.gen += 1
            gen = self.gen
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
        self._search(engine, text, gen, keep, started)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search(self, engine: Any, text: str, gen: int, keep: tuple[str, int] | None, started: float) -> None:
        """Search in a thread: a fast pass for a screenful of hits with the engine's
        live budget, then, when that pass was cut short or may have more hits, a
        fuller one whose hits replace it in place (the selection stays)."""
        worker = get_current_worker()

        def cancelled() -> bool:
            return worker.is_cancelled or gen != self.gen

        app = self.search_app
        force, app.force_refresh = app.force_refresh, False
        outcome = self._run_search(engine, text, cancelled, LIVE_LIMIT, None, force)
        if cancelled():
            return
        result = outcome[1] if outcome[0] == "ok" else None
        final = result is None or (
            len(result) < LIVE_LIMIT and result.complete and getattr(result, "filled", True)
        )
        self.search_app.call_from_thread_safe(self._finish_search, gen, text, outcome, keep, started, final)
        if final:
            return
        outcome = self._run_search(engine, text, cancelled, RESULT_LIMIT, REFINE_BUDGET)
        if cancelled():
            return
        self.search_app.call_from_thread_safe(self._finish_search, gen, text, outcome, None, started, True, True)

    @staticmethod
    def _run_search(
        engine: Any, text: str, cancelled: Callable[[], bool], limit: int, budget: float | None, force: bool = False
    ) -> tuple[str, Any]:
        options: dict[str, Any] = {"limit": limit, "prefix": True, "cancelled": cancelled}
        if budget is not None:
            options["budget"] = budget
        try:
            engine.refresh(force=force)
            return ("ok", engine.search(text, **options))
        except QueryError as exc:
            return ("query-error", str(exc))
        except SearcherError as exc:
            return ("error", str(exc))
        except Exception as exc:  # never a traceback in the UI
            return ("error", f"unexpected {type(exc).__name__}: {exc}")

    def _finish_search(
        self,
        gen: int,
        text: str,
        outcome: tuple[str, Any],
        keep: tuple[str, int] | None,
        started: float,
        final: bool = True,
        refined: bool = False,
    ) -> None:
        if gen != self.gen:
            return  # a newer query was typed meanwhile: never show stale hits
        self.shown_gen = gen
        self.settled = final
        kind, value = outcome
        if refined:
            if kind != "ok":
                return  # keep the fast pass on screen
            keep = self.selection_key  # the user may have moved meanwhile
            if self.result is not None and [(h.path, h.paragraph) for h in value] == [
                (h.path, h.paragraph) for h in self.result
            ]:
                self.result = value
                self.status.set_left(self._status_text(value))
                self.query_one("#results-pane").border_title = self._results_title(value)
                return
        if kind == "query-error":
            self.result = None
            self._show_message(Content.assemble("Nothing to search for in ", (text, "bold"), f": {value}."), "error")
            self.status.set_left("")
            self._after_results(text, 0, started)
            return
        if kind == "error":
            self.result = None
            self._show_message(Content.assemble(("Error: ", "bold $text-error"), value), "error")
            self.status.set_left(f"error: {value}", error=True)
            self._after_results(text, 0, started)
            return
        result: SearchResult = value
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
            self.results.display = True
            self.preview.display = True
            self.results.show_hits(result, selected)
            self.query_one("#results-pane").border_title = self._results_title(result)
            self._show_preview(self.results.selected_hit)
        elif not self.settled:
            self._show_message(Content.assemble("Searching for ", (text.strip(), "bold"), "…"), "empty")
        else:
            tips = "\n".join(f"  • {tip}" for tip in suggestions(result.query))
            self._show_message(
                Content.assemble(("No hits", "bold"), " for ", (text.strip(), "bold"), ".\n\nTry:\n", tips),
                "empty",
            )
        self.status.set_left(self._status_text(result))
        self._after_results(text, len(result), started, result.elapsed, refined)
        if self._pause_timer is not None:
            self._pause_timer.stop()
            self._pause_timer = None
        if result and text.strip():
            self._pause_timer = self.set_timer(HISTORY_PAUSE, lambda: self.search_app.remember(text))
        if self._open_when_ready:
            self._open_when_ready = False
            if result:
                self.action_open()

    def _results_title(self, result: SearchResult) -> str:
        if not self.settled:
            return f"{_plural(len(result), 'hit')}…"
        if len(result) < RESULT_LIMIT:
            return _plural(len(result), "hit")
        return f"first {RESULT_LIMIT} hits"

    def _status_text(self, result: SearchResult) -> str:
        left = f"{_plural(len(result), 'hit')}" if result else "no hits"
        if self.search_app.show_timings:
            left += f" · {_fmt_ms(result.elapsed)}"
        if not self.settled:
            left += " · more coming…"
        if result.notes and self.settled:
            left += " · " + "; ".join(result.notes)
        return left

    def _after_results(self, text: str, hits: int, started: float, search_s: float | None = None, refined: bool = False) -> None:
        app = self.search_app
        if app.timing_log is None:
            return
        done = time.perf_counter()

        def painted() -> None:
            app.log_timing(text, hits, search_s, done - started, time.perf_counter() - started, refined)

        self.call_after_refresh(painted)

    def _show_help(self) -> None:
        self.result = None
        app = self.search_app
        if app.engine is None and (app.building or app.engine_error):
            self._show_message(app.no_engine_reason(), "waiting")
        else:
            self._show_message(Content.from_markup(HELP_TEXT), "help")
        self.status.set_left("")

    def _show_message(self, content: Content | str, state: str) -> None:
        self.state = state
        message = self.query_one("#message", Static)
        message.update(content)
        message.set_class(state == "error", "-error")
        message.display = True
        results = self.results
        had_focus = results.has_focus
        results.display = False
        results.show_hits([])
        self.query_one("#results-pane").border_title = "Results"
        self.preview.show("", "Preview")
        self._preview_key = None
        self.preview.display = False
        if had_focus or self.preview.has_focus:
            self.query_input.focus()

    def update_index_status(self) -> None:
        self.status.set_right(self.search_app.index_summary())

    # -- preview -------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#results")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_preview(self.results.selected_hit)

    @on(OptionList.OptionSelected, "#results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.action_open()

    def _show_preview(self, hit: Hit | None) -> None:
        if hit is None or self.result is None:
            self._preview_key = None
            self.preview.show("", "Preview")
            return
        key = (hit.path, hit.paragraph, self.result_text)
        if key == self._preview_key:
            return  # already shown (the fuller pass of the same search)
        self._preview_key = key
        # The paragraph itself at once; its neighbours when the document is loaded.
        self.preview.show(highlighted(hit.text, hit.spans), hit.title)
        self.preview.border_subtitle = f"{hit.path}:{hit.line}"
        self._load_context(hit, self.result.query)

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def _load_context(self, hit: Hit, query: ParsedQuery) -> None:
        try:
            paragraphs = self.document(hit.path)
        except Exception:
            return
        content = context_content(hit, paragraphs, query)
        if content is not None and not get_current_worker().is_cancelled:
            self.search_app.call_from_thread_safe(self._set_context, hit, content)

    def _set_context(self, hit: Hit, content: Content) -> None:
        if self.results.selected_hit is hit:
            self.preview.show(content, hit.title)

    def document(self, path: str) -> list[Hit]:
        """The indexed paragraphs of a document (cached; call from a worker thread)."""
        with self._docs_lock:
            if path in self._docs:
                self._docs.move_to_end(path)
                return self._docs[path]
        engine = self.search_app.engine
        paragraphs = engine.document(path) if engine is not None else []
        with self._docs_lock:
            self._docs[path] = paragraphs
            while len(self._docs) > DOC_CACHE:
                self._docs.popitem(last=False)
        return paragraphs

    def forget_documents(self) -> None:
        with self._docs_lock:
            self._docs.clear()

    # -- actions ---------------------------------------------------------------

    def action_move(self, where: str) -> None:
        results = self.results
        if where == "up" and not self.query_input.value and self.state == "help":
            self.recall_latest()
            return
        if not results.display or not results.hits:
            return
        {
            "up": results.action_cursor_up,
            "down": results.action_cursor_down,
            "pageup": results.action_page_up,
            "pagedown": results.action_page_down,
            "home": results.action_first,
            "end": results.action_last,
        }[where]()

    def recall_latest(self) -> None:
        latest = self.search_app.history.latest()
        if latest:
            self.set_query(latest)
        else:
            self.notify("No earlier queries yet.", timeout=2)

    def set_query(self, text: str) -> None:
        query_input = self.query_input
        query_input.value = text
        query_input.cursor_position = len(text)
        query_input.focus()

    def action_escape(self) -> None:
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
            self.search_app.copy_location(hit.file, hit.line)

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


def context_content(hit: Hit, paragraphs: list[Hit], query: ParsedQuery, before_chars: int = 110) -> Content | None:
    """The hit's paragraph with the end of the one before and the two after, matches highlighted."""
    index = next((i for i, p in enumerate(paragraphs) if p.paragraph == hit.paragraph), None)
    if index is None:
        return None
    parts: list[Content] = []
    if index > 0:
        previous = " ".join(paragraphs[index - 1].text.split())
        if len(previous) > before_chars:
            cut = previous.find(" ", len(previous) - before_chars)
            previous = "… " + previous[cut + 1 if cut >= 0 else len(previous) - before_chars :]
        parts.append(highlighted(previous, highlight_spans(previous, query), MUTED_STYLE))
    parts.append(highlighted(hit.text, hit.spans))
    for following in paragraphs[index + 1 : index + 3]:
        parts.append(highlighted(following.text, highlight_spans(following.text, query), MUTED_STYLE))
    return Content("\n\n").join(parts)


# -- document view ------------------------------------------------------------


@dataclass
class _Para:
    line: int
    ordinal: int
    text: str
    spans: list[tuple[int, int]]


class DocumentScreen(Screen[None]):
    """A whole source document, scrolled to the hit; ``n``/``N`` walk through the matches."""

    AUTO_FOCUS = "#doc-body"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("n", "next_match", "Next match"),
        Binding("N,shift+n", "previous_match", "Previous"),
        Binding("e", "edit", "Editor"),
        Binding("y", "copy_location", "Copy path:line"),
    ]

    def __init__(self, hit: Hit, query: ParsedQuery) -> None:
        super().__init__()
        self.hit = hit
        self.query_parsed = query
        self.notice = ""
        self.paragraphs: list[_Para] = []
        self.hit_index = 0
        self.matches: list[tuple[int, int, int]] = []  # (paragraph index, start, end)
        self.current: int | None = None

    @property
    def search_app(self) -> "SearchApp":
        return self.app  # type: ignore[return-value]

    def _load(self) -> None:
        hit = self.hit
        engine = self.search_app.engine
        corpus = Path(engine.corpus) if engine is not None else Path(hit.file).parent
        try:
            document = read_document(corpus, hit.path)
            paragraphs = [(p.line, p.ordinal, p.text) for p in document.paragraphs]
        except (OSError, UnreadableFile) as exc:
            self.notice = f"the source file cannot be read ({exc}); showing the indexed text"
            indexed = engine.document(hit.path) if engine is not None else [hit]
            paragraphs = [(p.line, p.paragraph, p.text) for p in indexed]
        query = self.query_parsed
        self.paragraphs = [_Para(line, ordinal, text, highlight_spans(text, query)) for line, ordinal, text in paragraphs]
        self.hit_index = self._locate()
        self.matches = [(i, s, e) for i, p in enumerate(self.paragraphs) for s, e in p.spans]
        self.current = next((k for k, m in enumerate(self.matches) if m[0] >= self.hit_index), 0 if self.matches else None)

    def _locate(self) -> int:
        hit, paras = self.hit, self.paragraphs
        if not paras:
            return 0
        if hit.paragraph < len(paras) and paras[hit.paragraph].text == hit.text:
            return hit.paragraph
        for i, p in enumerate(paras):
            if p.text == hit.text:
                return i
        if not self.notice:
            self.notice = "the file changed since it was indexed; re-index with F5"
        return min(range(len(paras)), key=lambda i: abs(paras[i].line - hit.line))

    def compose(self):  # type: ignore[no-untyped-def]
        self._load()
        yield Static(id="doc-header")
        with VerticalScroll(id="doc-body"):
            for i, _para in enumerate(self.paragraphs):
                classes = "para -hit" if i == self.hit_index else "para"
                yield Static(self._render_para(i), id=f"para-{i}", classes=classes, markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._update_header()
        self.call_after_refresh(self._scroll_to_current)

    def _render_para(self, index: int) -> Content:
        para = self.paragraphs[index]
        current = None
        if self.current is not None:
            i, start, end = self.matches[self.current]
            if i == index:
                current = (start, end)
        return highlighted(para.text, para.spans, current=current)

    @property
    def current_line(self) -> int:
        """The file line of the current match (of the hit when there is none)."""
        if self.current is None:
            return self.paragraphs[self.hit_index].line if self.paragraphs else self.hit.line
        i, start, _ = self.matches[self.current]
        para = self.paragraphs[i]
        return para.line + para.text.count("\n", 0, start)

    @property
    def current_paragraph(self) -> int | None:
        return None if self.current is None else self.matches[self.current][0]

    def _update_header(self) -> None:
        hit = self.hit
        if self.current is None:
            where = "no matches in this document"
        else:
            where = f"match {self.current + 1}/{len(self.matches)}"
        parts: list[str | tuple[str, str]] = [
            (" ".join(hit.title.split()), "bold"),
            "\n",
            (hit.path, "$text-accent"),
            ":",
            (str(self.current_line), "$text-success"),
            f"  ·  {where}",
        ]
        if self.notice:
            parts += ["  ·  ", (self.notice, "$text-warning")]
        self.query_one("#doc-header", Static).update(Content.assemble(*parts))

    def _scroll_to_current(self) -> None:
        index = self.current_paragraph
        if index is None:
            index = self.hit_index
        if not self.paragraphs:
            return
        body = self.query_one("#doc-body", VerticalScroll)
        widget = self.query_one(f"#para-{index}", Static)
        if widget.outer_size.height < body.size.height or self.current is None:
            body.scroll_to_widget(widget, center=True, animate=False, immediate=True)
            return
        # A paragraph taller than the view: aim at the match's line inside it.
        _, start, _ = self.matches[self.current]
        text = self.paragraphs[index].text
        y = widget.virtual_region.y + int(widget.size.height * start / max(1, len(text)))
        body.scroll_to_region(Region(0, y, 1, 1), center=True, animate=False, immediate=True)

    def _goto(self, target: int) -> None:
        if self.current is None or not self.matches:
            self.notify("No matches in this document.", timeout=2)
            return
        old = self.current_paragraph
        self.current = target % len(self.matches)
        for index in {old, self.current_paragraph}:
            if index is not None:
                self.query_one(f"#para-{index}", Static).update(self._render_para(index))
        self._update_header()
        self._scroll_to_current()

    def action_next_match(self) -> None:
        if self.current is not None and self.current + 1 == len(self.matches):
            self.notify("Back to the first match.", timeout=1.5)
        self._goto((self.current or 0) + 1)

    def action_previous_match(self) -> None:
        if self.current == 0 and self.matches:
            self.notify("Back to the last match.", timeout=1.5)
        self._goto((self.current or 0) - 1)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_edit(self) -> None:
        self.search_app.open_in_editor(self.hit.file, self.current_line, self.hit.page)

    def action_copy_location(self) -> None:
        self.search_app.copy_location(self.hit.file, self.current_line)


# -- help, history, indexing ------------------------------------------------------

KEYS_HELP = """\
[b]Searching[/b]
  type              search as you type (the last word is a prefix)
  ↑ ↓ PgUp PgDn     move in the results, also while typing
  Home End          first / last result (Ctrl-A Ctrl-E: start / end of the query)
  Enter             open the selected hit in its document
  Tab Shift-Tab     move the focus (query, results, preview)
  e  y              (results focused) open in $EDITOR / copy path:line
  ↑ on empty query  recall the last query;  Ctrl-R  pick from the history
  Esc               clear the query; on an empty query, quit
  F5                re-index the corpus (Esc cancels)
  Ctrl-P            command palette (themes, …)
  Ctrl-C Ctrl-Q     quit

[b]Document view[/b]
  n  N              next / previous match (across paragraphs)
  e                 open $VISUAL / $EDITOR at the current match
  y                 copy path:line to the clipboard
  Esc               back to the results

[b]Query language[/b]
  ngoại giao        all the words, anywhere; adjacent ones rank first
  ngoai giao        diacritics optional; typed marks rank exact ones first
  "kinh tế"         these words in this order
  -mỹ  -"kinh tế"   exclude a word or a phrase
  Nothing else is syntax: AND, *, : and brackets are plain text.

[b]History[/b]
  A query is saved when you open one of its hits, or when its results
  stay on screen for 2 seconds. File:
  {history}
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,f1,q", "close", "Close"),
    ]

    def compose(self):  # type: ignore[no-untyped-def]
        app: SearchApp = self.app  # type: ignore[assignment]
        text = Content.from_markup(KEYS_HELP.replace("{history}", "$history"), history=str(app.history.path))
        with VerticalScroll(id="help-dialog") as dialog:
            dialog.border_title = "searcher — help"
            dialog.border_subtitle = "Esc closes"
            yield Static(text)

    def action_close(self) -> None:
        self.dismiss(None)


class HistoryScreen(ModalScreen[str | None]):
    """Pick an earlier query; typing filters the list (diacritics optional)."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("ctrl+r", "move(1)", "Older", show=False),
    ]

    def __init__(self, entries: list[str]) -> None:
        super().__init__()
        self.entries = entries

    def compose(self):  # type: ignore[no-untyped-def]
        with Vertical(id="history-dialog") as dialog:
            dialog.border_title = "Earlier queries"
            dialog.border_subtitle = "Enter picks · Esc closes"
            yield Input(placeholder="filter…", id="history-filter")
            yield OptionList(*self.entries, id="history-list", compact=True)

    def on_mount(self) -> None:
        if not self.entries:
            self.query_one("#history-list", OptionList).set_options(["(no earlier queries)"])
            self.query_one("#history-list", OptionList).disable_option_at_index(0)
        else:
            self.query_one("#history-list", OptionList).highlighted = 0
        app: SearchApp = self.app  # type: ignore[assignment]
        self.query_one("#history-filter", Input).cursor_blink = app.cursor_blink

    @on(Input.Changed, "#history-filter")
    def _filter(self, event: Input.Changed) -> None:
        wanted = fold(event.value.strip())
        shown = [e for e in self.entries if wanted in fold(e)]
        options = self.query_one("#history-list", OptionList)
        options.set_options(shown)
        if shown:
            options.highlighted = 0

    def action_move(self, step: int) -> None:
        options = self.query_one("#history-list", OptionList)
        if step < 0:
            options.action_cursor_up()
        else:
            options.action_cursor_down()

    @on(Input.Submitted, "#history-filter")
    def _submitted(self, event: Input.Submitted) -> None:
        options = self.query_one("#history-list", OptionList)
        option = options.highlighted_option
        if option is not None and not option.disabled:
            self.dismiss(str(option.prompt))

    @on(OptionList.OptionSelected, "#history-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(str(event.option.prompt))

    def action_close(self) -> None:
        self.dismiss(None)


@dataclass
class BuildOutcome:
    status: str  # done | cancelled | error
    summary: Any = None
    message: str = ""


class _BuildCancelled(Exception):
    pass


class IndexScreen(ModalScreen[BuildOutcome]):
    """Builds or updates the index in a worker thread, with a progress bar; Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        corpus: str,
        index: str,
        reason: str = "",
        build: Callable[..., Any] | None = None,
        first_run: bool = False,
    ) -> None:
        super().__init__()
        self.first_run = first_run
        self.corpus = corpus
        self.index = index
        self.reason = reason
        self._build_index = build
        self._cancel = threading.Event()
        self._progress: Any = None
        self.outcome: BuildOutcome | None = None

    def compose(self):  # type: ignore[no-untyped-def]
        with Vertical(id="index-dialog") as dialog:
            dialog.border_title = "Indexing"
            dialog.border_subtitle = "Esc cancels"
            if self.reason:
                yield Label(self.reason, id="index-reason")
            yield Label(f"corpus: {self.corpus}", id="index-corpus")
            yield ProgressBar(id="index-progress", show_eta=False)
            yield Label("looking for files…", id="index-current")

    def on_mount(self) -> None:
        self.set_interval(0.1, self._poll)
        self._run()

    def _poll(self) -> None:
        progress = self._progress
        if progress is None:
            return
        bar = self.query_one("#index-progress", ProgressBar)
        bar.update(total=max(1, progress.files_total), progress=progress.files_done)
        self.query_one("#index-current", Label).update(
            f"{progress.files_done:,}/{progress.files_total:,} files · {progress.paragraphs:,} paragraphs · {progress.current}"
        )

    def _on_progress(self, progress: Any) -> None:
        if self._cancel.is_set():
            raise _BuildCancelled()
        self._progress = progress

    @work(thread=True, exclusive=True, group="build", exit_on_error=False)
    def _run(self) -> None:
        if self._build_index is not None:
            build_index = self._build_index
        elif self.first_run:
            from ..indexer import ensure_index as build_index  # the first-use build every face shares
        else:
            from ..indexer import build_index
        try:
            summary = build_index(self.corpus, self.index, progress=self._on_progress, wait=2.0)
        except _BuildCancelled:
            outcome = BuildOutcome("cancelled")
        except SearcherError as exc:
            outcome = BuildOutcome("error", message=str(exc))
        except Exception as exc:
            outcome = BuildOutcome("error", message=f"unexpected {type(exc).__name__}: {exc}")
        else:
            if self._cancel.is_set() and summary is None:
                outcome = BuildOutcome("cancelled")
            else:
                outcome = BuildOutcome("done", summary)
        self.outcome = outcome
        app: SearchApp = self.app  # type: ignore[assignment]
        app.call_from_thread_safe(self.dismiss, outcome)

    def action_cancel(self) -> None:
        self._cancel.set()
        self.query_one("#index-current", Label).update("cancelling… (the previous index stays)")
