"""Widgets and renderers of the live search UI.

Highlighting uses the engine's spans unchanged: a result shows
``make_snippet(hit.text, hit.spans)`` exactly like the one-shot CLI does, and
the preview and document view use :func:`searcher.highlight.highlight_spans`.
Styles are Textual style strings with theme variables, so theme switching
recolours everything, and each style also sets a non-colour attribute (bold,
underline, reverse) so matches stay visible under ``NO_COLOR``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from typing import Callable, Iterable, Sequence

from textual import events
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.geometry import Region, Size
from textual.reactive import Reactive
from textual.strip import Strip
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ..engine import Hit
from ..highlight import phrases_and_cluster
from ..presentation import make_snippet, where
from ..query import ParsedQuery

__all__ = [
    "MATCH_STYLE",
    "CURRENT_STYLE",
    "highlighted",
    "hit_prompt",
    "QueryInput",
    "MessageView",
    "PaintProbe",
    "ResultsList",
    "Rows",
    "make_rows",
    "PreviewPane",
    "StatusLine",
]

MATCH_STYLE = "bold underline $text-error"
CURRENT_STYLE = "bold reverse $text-warning"
PATH_STYLE = "$text-accent"
LINE_STYLE = "$text-success"
TITLE_STYLE = "bold"
MUTED_STYLE = "$text-muted"


def highlighted(
    text: str,
    spans: Iterable[tuple[int, int]],
    style: str = "",
    match_style: str = MATCH_STYLE,
    current: tuple[int, int] | None = None,
) -> Content:
    """``text`` with its ``spans`` highlighted; ``current`` gets :data:`CURRENT_STYLE` instead."""
    parts: list[str | tuple[str, str]] = []
    position = 0
    for start, end in sorted(spans):
        if start < position or end <= start:
            continue
        if start > position:
            parts.append((text[position:start], style) if style else text[position:start])
        span_style = CURRENT_STYLE if current == (start, end) else match_style
        parts.append((text[start:end], span_style))
        position = end
    if position < len(text):
        parts.append((text[position:], style) if style else text[position:])
    return Content.assemble(*parts)


def hit_prompt(hit: Hit, width: int, query: ParsedQuery | None = None, more: int = 0) -> Content:
    """One result in two lines: ``path:line  title`` (and ``k/n words`` for a
    best-match hit), then one line of the paragraph centred on its best cluster,
    whole phrases highlighted."""
    width = max(20, width)
    words = ""
    if hit.missing:
        found = len(hit.matched)
        words = f"  {found}/{found + len(hit.missing)} words"
    if more:
        words += f"  +{more} more"
    place = where(hit.path, hit.line, hit.page, hit.chapter)  # ":12", " p.3", " ¶4"
    head = Content.assemble(
        (hit.path, PATH_STYLE),
        place[0],
        (place[1:], LINE_STYLE),
        "  ",
        (" ".join(hit.title.split()), TITLE_STYLE),
    ).truncate(max(10, width - len(words)), ellipsis=True)
    if words:
        head = Content.assemble(head, (words, MUTED_STYLE))
    spans, focus = phrases_and_cluster(hit.text, query) if query is not None else (hit.spans, None)
    snippet = make_snippet(hit.text, spans, width=snippet_width(width), focus=focus)
    body = highlighted(snippet.text, snippet.spans).truncate(width, ellipsis=True)
    return Content("\n").join([head, body])


def snippet_width(width: int) -> int:
    """Characters of snippet that fit one line of a results list ``width`` cells wide."""
    return max(20, width - 5)  # room for the two ellipses


class PaintProbe:
    """Calls a function once, right after the frame that next renders this widget.

    For ``SEARCHER_TUI_LOG``: ``call_after_refresh`` can run before that frame (the
    screen may go idle before the widget's update reaches it), which would time the
    paint of the hits too early.
    """

    _after_paint: Callable[[], None] | None = None

    def after_next_paint(self, callback: Callable[[], None]) -> None:
        self._after_paint = callback

    def render_lines(self, crop: Region) -> list[Strip]:
        lines: list[Strip] = super().render_lines(crop)  # type: ignore[misc]
        if self._after_paint is not None:
            callback, self._after_paint = self._after_paint, None
            # The frame being drawn is synchronous: the loop runs this once it is handed to the terminal.
            asyncio.get_running_loop().call_soon(callback)
        return lines


class MessageView(PaintProbe, Static):
    """The help, the no-hits help and errors, in place of the results."""


class QueryInput(Input):
    """The query line.  Result navigation keys work here too, so typing never has to stop."""

    # Input sets its virtual size to the text's width at every keystroke, and Widget's
    # reactive then asks for a layout of the whole screen.  This line has a fixed size
    # (see the CSS): the virtual size only sets how far it scrolls sideways.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    BINDINGS = [
        Binding("enter", "screen.open", "Open", show=True),
        Binding("up", "screen.move('up')", "Up", show=False),
        Binding("down", "screen.move('down')", "Down", show=False),
        Binding("pageup", "screen.move('pageup')", "Page up", show=False),
        Binding("pagedown", "screen.move('pagedown')", "Page down", show=False),
        # Home/End stay the input's (start/end of the query); these move in the results.
        Binding("ctrl+home", "screen.move('home')", "First", show=False),
        Binding("ctrl+end", "screen.move('end')", "Last", show=False),
    ]


@dataclass
class Rows:
    """Hits laid out as the results list's rows (see :func:`make_rows`)."""

    source: Sequence[Hit]  # the hits, as the search returned them
    grouped: bool
    width: int
    hits: list[Hit]  # one per row
    more: list[int]  # grouped: the other hits of each row's file
    row_of: list[int]  # the row of each source hit
    prompts: list[Content]


def make_rows(hits: Sequence[Hit], grouped: bool, width: int, query: ParsedQuery | None) -> Rows:
    """Lay out ``hits`` for a results list ``width`` cells wide: one row per hit, or
    per file (its best hit) when ``grouped``.  Pure: the search worker calls it, so
    the UI thread only swaps the rows in."""
    if grouped:
        first: dict[str, int] = {}
        counts: dict[str, int] = {}
        row_hits: list[Hit] = []
        row_of: list[int] = []
        for hit in hits:
            if hit.path not in first:
                first[hit.path] = len(row_hits)
                row_hits.append(hit)
            counts[hit.path] = counts.get(hit.path, 0) + 1
            row_of.append(first[hit.path])
        more = [counts[h.path] - 1 for h in row_hits]
    else:
        row_hits, more, row_of = list(hits), [0] * len(hits), list(range(len(hits)))
    prompts = [hit_prompt(hit, width, query, extra) for hit, extra in zip(row_hits, more)]
    return Rows(hits, grouped, width, row_hits, more, row_of, prompts)


class ResultsList(PaintProbe, OptionList):
    """The hits.  A click selects, a double click (or Enter) opens."""

    # The list's size comes from the CSS (1fr), never from its content: a new number of
    # hits changes how far it scrolls, and must not cost a layout of the whole screen.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    BINDINGS = [
        Binding("enter", "screen.open", "Open", show=True),
        Binding("e", "screen.edit", "Editor", show=True),
        Binding("y", "screen.copy_location", "Copy path:line", show=True),
    ]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.auto_links = False  # hits hold no links: skip restyling every line for them at each paint
        self.hits: list[Hit] = []
        self.more: list[int] = []  # grouped: the other hits of each row's file
        self.grouped = False
        self.query: ParsedQuery | None = None
        self._rendered_width = 0

    def show_hits(
        self,
        hits: Sequence[Hit],
        keep: int | None = None,
        query: ParsedQuery | None = None,
        rows: "Rows | None" = None,
    ) -> None:
        """Replace the options with ``hits``; highlight ``keep`` (default the first).

        ``rows``: the same hits already laid out by :func:`make_rows` (in the search
        worker), used when made for this list's grouping and width."""
        self.query = query
        width = self.prompt_width()
        if rows is None or rows.grouped != self.grouped or rows.width != width or len(rows.source) != len(hits):
            rows = make_rows(hits, self.grouped, width, query)
        self.hits, self.more = rows.hits, rows.more
        if keep is not None and 0 <= keep < len(hits) and self.grouped:
            keep = rows.row_of[keep]
        self._rendered_width = width
        self.set_options([Option(prompt) for prompt in rows.prompts])
        if self.hits:
            index = keep if keep is not None and 0 <= keep < len(self.hits) else 0
            self.highlighted = index
            self.scroll_to_highlight()

    def action_cursor_down(self) -> None:
        if self.hits and self.highlighted == len(self.hits) - 1 and self.screen.load_more():  # type: ignore[attr-defined]
            return  # more hits are on their way: stay on the last one
        super().action_cursor_down()

    def _render_options(self) -> None:
        width = self._rendered_width = self.prompt_width()
        self.set_options([Option(hit_prompt(hit, width, self.query, more)) for hit, more in zip(self.hits, self.more)])

    def prompt_width(self) -> int:
        """Cells available to a result's text (estimated from the parent while hidden)."""
        padding = self.get_component_styles("option-list--option").padding.width
        width = self.scrollable_content_region.width
        if width <= 0 and self.parent is not None:
            width = self.parent.scrollable_content_region.width - 1  # the scrollbar
        return (width - padding) if width > 10 else 76

    @property
    def selected_hit(self) -> Hit | None:
        index = self.highlighted
        if index is None or not 0 <= index < len(self.hits):
            return None
        return self.hits[index]

    def on_resize(self, event: events.Resize) -> None:
        if self.hits and self.prompt_width() != self._rendered_width:
            keep = self.highlighted
            self._render_options()
            if keep is not None:
                self.highlighted = keep

    async def _on_click(self, event: events.Click) -> None:
        event.prevent_default()  # OptionList would select (open) on a single click
        clicked: int | None = event.style.meta.get("option")
        if clicked is None or self._options[clicked].disabled:
            return
        self.highlighted = clicked
        if event.chain >= 2:
            self.action_select()


class PreviewPane(VerticalScroll):
    """The selected hit's paragraph in context."""

    DEFAULT_CSS = """
    PreviewPane > Static { width: 1fr; }
    """

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="preview-text")

    def show(self, content: Content | str, title: str = "", focus: int | None = None) -> None:
        """Show ``content``; ``focus`` (a character offset in it) is scrolled to the middle of the pane."""
        self.query_one("#preview-text", Static).update(content)
        self.border_title = title
        if not content:
            self.border_subtitle = ""  # no hit shown: no hit's path either
        self.scroll_home(animate=False)
        if focus is not None and isinstance(content, Content):
            self.call_after_refresh(self._scroll_to_offset, content, focus)

    def _scroll_to_offset(self, content: Content, offset: int) -> None:
        width = self.scrollable_content_region.width
        if width <= 0:
            return
        line = position = 0
        for paragraph in content.split("\n", allow_blank=True):
            text = paragraph.plain
            cursor = 0
            for piece in paragraph.wrap(width) or [paragraph]:
                found = text.find(piece.plain.strip(), cursor)
                cursor = (found if found >= 0 else cursor) + len(piece.plain.strip())
                if position + cursor >= offset:
                    self.scroll_to(y=max(0, line - self.scrollable_content_region.height // 2), animate=False)
                    return
                line += 1
            position += len(text) + 1


class StatusLine(Horizontal):
    """One line: what the last search did on the left, the index on the right."""

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="status-left", markup=False)
        yield Static(id="status-right", markup=False)

    def set_left(self, text: str | Content, error: bool = False) -> None:
        widget = self.query_one("#status-left", Static)
        widget.update(text, layout=False)  # one line of fixed size: no layout pass needed
        widget.set_class(error, "-error")

    def set_right(self, text: str) -> None:
        self.query_one("#status-right", Static).update(text)

    @property
    def left_text(self) -> str:
        return str(self.query_one("#status-left", Static).visual)

    @property
    def right_text(self) -> str:
        return str(self.query_one("#status-right", Static).visual)
