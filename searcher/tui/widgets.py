"""Widgets and renderers of the live search UI.

Highlighting uses the engine's spans unchanged: a result shows
``make_snippet(hit.text, hit.spans)`` exactly like the one-shot CLI does, and
the preview and document view use :func:`searcher.search.highlight.highlight_spans`.
Styles are Textual style strings with theme variables, so theme switching
recolours everything, and each style also sets a non-colour attribute (bold,
underline, reverse) so matches stay visible under ``NO_COLOR``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import Reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.widget import Widget
from textual.widgets import Input, Static

from searcher.cli.presentation import make_snippet, visible, where
from searcher.search.highlight import phrases_and_cluster
from searcher.search.query import ParsedQuery
from searcher.search.results import Hit

__all__ = [
    "CURRENT_STYLE",
    "MATCH_STYLE",
    "QueryInput",
    "ResultsList",
    "Rows",
    "StatusLine",
    "StatusText",
    "highlighted",
    "hit_lines",
    "make_rows",
    "set_border_title",
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
    """``text`` with its ``spans`` highlighted; ``current`` gets :data:`CURRENT_STYLE` instead.

    Control characters in the text are shown, never sent to the terminal
    (:func:`searcher.cli.presentation.visible`), piece by piece so the spans stay right.
    """
    parts: list[str | tuple[str, str]] = []
    position = 0
    for start, end in sorted(spans):
        if start < position or end <= start:
            continue
        if start > position:
            piece = visible(text[position:start], keep="\n\t")
            parts.append((piece, style) if style else piece)
        span_style = CURRENT_STYLE if current == (start, end) else match_style
        parts.append((visible(text[start:end], keep="\n\t"), span_style))
        position = end
    if position < len(text):
        piece = visible(text[position:], keep="\n\t")
        parts.append((piece, style) if style else piece)
    return Content.assemble(*parts)


def hit_lines(hit: Hit, width: int, query: ParsedQuery | None = None, more: int = 0) -> tuple[Content, Content]:
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
    place = where(hit.path, hit.line, hit.page, hit.chapter, **hit.place())  # ":12", " p.3", " ¶4", " Lương!B7"
    head = Content.assemble(
        (visible(hit.path), PATH_STYLE),
        place[0],
        (place[1:], LINE_STYLE),
        "  ",
        (visible(" ".join(hit.title.split())), TITLE_STYLE),
    ).truncate(max(10, width - len(words)), ellipsis=True)
    if words:
        head = Content.assemble(head, (words, MUTED_STYLE))
    spans, focus = phrases_and_cluster(hit.text, query) if query is not None else (hit.spans, None)
    snippet = make_snippet(hit.text, spans, width=snippet_width(width), focus=focus)
    body = highlighted(snippet.text, snippet.spans).truncate(width, ellipsis=True)
    return head, body


def snippet_width(width: int) -> int:
    """Characters of snippet that fit one line of a results list ``width`` cells wide."""
    return max(20, width - 5)  # room for the two ellipses


class QueryInput(Input):
    """The query line.  Result navigation keys work here too, so typing never has to stop."""

    # Input sets its virtual size to the text's width at every keystroke, and Widget's
    # reactive then asks for a layout of the whole screen.  This line has a fixed size
    # (see the CSS): the virtual size only sets how far it scrolls sideways.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    BINDINGS: ClassVar[list[BindingType]] = [
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
    lines: list[tuple[Content, Content]]  # each row's two lines: where, then the snippet


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
    lines = [hit_lines(hit, width, query, extra) for hit, extra in zip(row_hits, more, strict=True)]
    return Rows(hits, grouped, width, row_hits, more, row_of, lines)


ROW_HEIGHT = 2  # lines a hit takes in the results list


class ResultsList(ScrollView, can_focus=True):
    """The hits, two lines each.  A click selects, a double click (or Enter) opens.

    Drawn line by line from strips kept between keystrokes: when new hits arrive,
    only the lines that differ from what is on screen are drawn again, and a line
    is made straight from its few styled pieces (a general list widget re-renders
    every visible option through its text layout, 13 ms a frame at 120×40).
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"results--row", "results--row-highlighted"}

    DEFAULT_CSS = """
    ResultsList {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
    }
    ResultsList:focus {
        background-tint: $foreground 5%;
    }
    ResultsList > .results--row-highlighted {
        color: $foreground;
        background: $block-cursor-blurred-background;
        text-style: $block-cursor-blurred-text-style;
    }
    ResultsList:focus > .results--row-highlighted {
        color: $block-cursor-foreground;
        background: $block-cursor-background;
        text-style: $block-cursor-text-style;
    }
    """

    # The list's size comes from the CSS (1fr), never from its content: a new number of
    # hits changes how far it scrolls, and must not cost a layout of the whole screen, nor
    # a redraw of the rows that stay (show_hits redraws the ones that change).
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False, repaint=False)
    highlighted: Reactive[int | None] = Reactive(None, layout=False)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "screen.open", "Open", show=True),
        Binding("e", "screen.edit", "Editor", show=True),
        Binding("y", "screen.copy_location", "Copy path:line", show=True),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
    ]

    @dataclass
    class Highlighted(Message):
        """The selection moved to another hit."""

        results: ResultsList
        index: int

        @property
        def control(self) -> ResultsList:
            return self.results

    @dataclass
    class Selected(Message):
        """A hit was chosen (Enter on the list, or a double click)."""

        results: ResultsList
        index: int

        @property
        def control(self) -> ResultsList:
            return self.results

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's widgets name it `id`)
        super().__init__(id=id)
        self.hits: list[Hit] = []
        self.more: list[int] = []  # grouped: the other hits of each row's file
        self.lines: list[tuple[Content, Content]] = []
        self.grouped = False
        self.parsed_query: ParsedQuery | None = None  # not "query": that is DOMNode.query
        self._rendered_width = 0
        self._strips: dict[tuple[object, ...], Strip] = {}  # (line's text and spans, highlighted, width, look)
        self._parsed_styles: dict[str, VisualStyle] = {}
        self._look: tuple[object, ...] = ()

    # -- content -------------------------------------------------------------

    def show_hits(
        self,
        hits: Sequence[Hit],
        keep: int | None = None,
        query: ParsedQuery | None = None,
        rows: Rows | None = None,
    ) -> None:
        """Replace the rows with ``hits``; highlight ``keep`` (default the first).

        ``rows``: the same hits already laid out by :func:`make_rows` (in the search
        worker), used when made for this list's grouping and width."""
        self.parsed_query = query
        width = self.prompt_width()
        if rows is None or rows.grouped != self.grouped or rows.width != width or len(rows.source) != len(hits):
            rows = make_rows(hits, self.grouped, width, query)
        if keep is not None and 0 <= keep < len(hits) and self.grouped:
            keep = rows.row_of[keep]
        self._rendered_width = width
        was = self.highlighted
        self._set_rows(rows.hits, rows.more, rows.lines)
        if self.hits:
            index = keep if keep is not None and 0 <= keep < len(self.hits) else 0
            if index != was:
                for row in (was, index):
                    if row is not None:
                        self.refresh_lines(row * ROW_HEIGHT, ROW_HEIGHT)
            self.set_reactive(ResultsList.highlighted, index)  # no message: the screen shows the preview itself
            self.scroll_to_highlight()
        else:
            self.set_reactive(ResultsList.highlighted, None)
            self.scroll_to(y=0, animate=False, immediate=True)

    def regroup(self, hits: Sequence[Hit], query: ParsedQuery | None, keep_path: str | None) -> None:
        """Lay ``hits`` out again after :attr:`grouped` changed; select the first row of ``keep_path``."""
        self.show_hits(hits, None, query)
        for index, hit in enumerate(self.hits):
            if hit.path == keep_path:
                self.highlighted = index  # the preview follows, as after a move
                break

    def _set_rows(self, hits: list[Hit], more: list[int], lines: list[tuple[Content, Content]]) -> None:
        old = self.lines
        self.hits, self.more, self.lines = hits, more, lines
        self.can_focus = bool(hits)  # under the help or a message there is nothing to select
        virtual_size = Size(self._rendered_width, len(lines) * ROW_HEIGHT)
        if virtual_size != self.virtual_size:
            self.virtual_size = virtual_size
            self._scroll_update(virtual_size)  # the scrollbar's thumb, as OptionList does
        # Only the rows that look different are drawn again.
        for row in range(max(len(old), len(lines))):
            if (
                row >= len(old)
                or row >= len(lines)
                or _line_key(old[row][0]) != _line_key(lines[row][0])
                or _line_key(old[row][1]) != _line_key(lines[row][1])
            ):
                self.refresh_lines(row * ROW_HEIGHT, ROW_HEIGHT)

    def prompt(self, index: int) -> Content:
        """The two lines of row ``index`` as one text (for tests and tools)."""
        head, body = self.lines[index]
        return Content("\n").join([head, body])

    def line_of(self, index: int) -> int:
        """The first line of row ``index`` in the list's own coordinates."""
        return index * ROW_HEIGHT

    def _render_rows(self) -> None:
        width = self._rendered_width = self.prompt_width()
        lines = [
            hit_lines(hit, width, self.parsed_query, more) for hit, more in zip(self.hits, self.more, strict=True)
        ]
        self._set_rows(self.hits, self.more, lines)

    def prompt_width(self) -> int:
        """Cells available to a result's text (estimated from the parent while hidden)."""
        width = self.scrollable_content_region.width
        if width <= 0 and isinstance(self.parent, Widget):
            width = self.parent.scrollable_content_region.width - 1  # the scrollbar
        return (width - 2 * ROW_PADDING) if width > 10 else 76

    @property
    def selected_hit(self) -> Hit | None:
        index = self.highlighted
        if index is None or not 0 <= index < len(self.hits):
            return None
        return self.hits[index]

    # -- drawing -------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        line = self.scroll_offset.y + y
        row, part = divmod(line, ROW_HEIGHT)
        look = (self.app.theme, self.has_focus, self.app.ansi_color)
        if look != self._look:
            self._look = look
            self._strips.clear()
            self._parsed_styles.clear()
        if not 0 <= row < len(self.lines):
            return Strip.blank(width, self.get_visual_style("results--row").rich_style)
        content = self.lines[row][part]
        highlighted = row == self.highlighted
        key = (_line_key(content), highlighted, width)
        strip = self._strips.get(key)
        if strip is None:
            if len(self._strips) > 4 * 256:
                self._strips.clear()
            strip = self._strips[key] = self._make_strip(content, highlighted, width)
        return strip

    def _make_strip(self, content: Content, highlighted: bool, width: int) -> Strip:
        if highlighted:
            base = self.get_visual_style("results--row", "results--row-highlighted")
        else:
            base = self.get_visual_style("results--row")
        base_rich = base.rich_style
        pad = Segment(" " * ROW_PADDING, base_rich)
        segments = [pad]
        segments += [
            Segment(text, (base + style).rich_style)
            for text, style in content.render(base, end="", parse_style=self._parse_style)
        ]
        return Strip(segments).adjust_cell_length(width, base_rich)

    def _parse_style(self, style: str | VisualStyle) -> VisualStyle:
        if isinstance(style, VisualStyle):
            return style
        parsed = self._parsed_styles.get(style)
        if parsed is None:
            try:
                parsed = VisualStyle.parse(style)  # $variables come from the app's theme
            except Exception:
                parsed = VisualStyle.null()
            self._parsed_styles[style] = parsed
        return parsed

    def watch_highlighted(self, old: int | None, new: int | None) -> None:
        for row in (old, new):
            if row is not None and 0 <= row < len(self.lines):
                self.refresh_lines(row * ROW_HEIGHT, ROW_HEIGHT)
        if new is not None and 0 <= new < len(self.hits):
            self.scroll_to_highlight()
            self.post_message(self.Highlighted(self, new))

    def validate_highlighted(self, value: int | None) -> int | None:
        if value is None or not self.hits:
            return None
        return max(0, min(len(self.hits) - 1, value))

    def scroll_to_highlight(self) -> None:
        """Scroll so that the selected hit is in view."""
        if self.highlighted is None or not self.is_mounted:
            return
        self.scroll_to_region(
            Region(0, self.highlighted * ROW_HEIGHT, max(1, self.scrollable_content_region.width), ROW_HEIGHT),
            animate=False,
            force=True,
            immediate=True,
        )

    def _on_focus(self, event: events.Focus) -> None:
        self.refresh()  # the selected row's colours depend on the focus

    def _on_blur(self, event: events.Blur) -> None:
        self.refresh()

    # -- moving ----------------------------------------------------------------

    def action_cursor_up(self) -> None:
        if self.hits:
            self.highlighted = max(0, (self.highlighted or 0) - 1)

    def action_cursor_down(self) -> None:
        if not self.hits:
            return
        if self.highlighted == len(self.hits) - 1 and self.screen.load_more():  # type: ignore[attr-defined]
            return  # more hits are on their way: stay on the last one
        self.highlighted = min(len(self.hits) - 1, (self.highlighted or 0) + 1)

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height // ROW_HEIGHT)

    def action_page_up(self) -> None:
        if self.hits:
            self.highlighted = max(0, (self.highlighted or 0) - self._page())

    def action_page_down(self) -> None:
        if self.hits:
            self.highlighted = min(len(self.hits) - 1, (self.highlighted or 0) + self._page())

    def action_first(self) -> None:
        if self.hits:
            self.highlighted = 0

    def action_last(self) -> None:
        if self.hits:
            self.highlighted = len(self.hits) - 1

    def action_select(self) -> None:
        if self.highlighted is not None and self.hits:
            self.post_message(self.Selected(self, self.highlighted))

    def on_resize(self, event: events.Resize) -> None:
        if self.hits and self.prompt_width() != self._rendered_width:
            self._render_rows()
            self.refresh()
        # A smaller list would leave the selected hit below the part on screen while the
        # preview still shows it: keep it in view (a scroll, not a change of selection).
        self.scroll_to_highlight()

    async def _on_click(self, event: events.Click) -> None:
        event.prevent_default()
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = (offset.y + self.scroll_offset.y) // ROW_HEIGHT
        if not 0 <= row < len(self.hits):
            return
        self.highlighted = row
        if event.chain >= 2:
            self.action_select()


ROW_PADDING = 1  # cells on each side of a result's text


def _line_key(content: Content) -> tuple[str, tuple[object, ...]]:
    """What a line looks like: its text and its styled spans (Content's own equality compares the text only)."""
    return content.plain, tuple(content.spans)


def set_border_title(widget: Widget, title: str, subtitle: bool = False) -> None:
    """Set a border's title (or subtitle) when it changes: setting one redraws the whole bordered
    widget (2 ms for the results pane at 120×40), and most keystrokes keep the title.
    Titles name documents: control characters in them are shown (:func:`searcher.cli.presentation.visible`)."""
    title = visible(title)
    if (widget.border_subtitle if subtitle else widget.border_title) == title:
        return
    if subtitle:
        widget.border_subtitle = title
    else:
        widget.border_title = title


class StatusText(Static):
    """The status line's account of the last search.  It is redrawn with every outcome
    of a search, in the frame that shows it, so ``SEARCHER_TUI_LOG`` times that frame here
    (the results list redraws only the lines that changed: none, when the hits stay the same)."""

    _after_paint: Callable[[], None] | None = None

    def after_next_paint(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once, right after the frame that next draws this line.

        ``call_after_refresh`` can run before that frame (the screen may go idle
        before this widget's update reaches it), which would time the paint too early.
        """
        self._after_paint = callback

    def render_lines(self, crop: Region) -> list[Strip]:
        lines = super().render_lines(crop)
        if self._after_paint is not None:
            callback, self._after_paint = self._after_paint, None
            # The frame being drawn is synchronous: the loop runs this once it is handed to the terminal.
            asyncio.get_running_loop().call_soon(callback)
        return lines


RIGHT_SHARE = 45  # per cent of the status line the index's summary may take (its max-width in searcher.tcss)


class StatusLine(Horizontal):
    """One line: what the last search did on the left, the index on the right."""

    def compose(self):  # type: ignore[no-untyped-def]
        yield StatusText(id="status-left", markup=False)
        yield Static(id="status-right", markup=False)

    def set_left(self, text: str | Content, error: bool = False) -> None:
        widget = self.query_one("#status-left", Static)
        widget.update(text, layout=False)  # one line of fixed size: no layout pass needed
        widget.set_class(error, "-error")

    def set_right(self, text: str) -> None:
        self.query_one("#status-right", Static).update(text)

    def right_width(self) -> int | None:
        """Cells the right part may take: :data:`RIGHT_SHARE` of the line (None before the first layout)."""
        width = self.content_region.width or self.screen.size.width - 2
        return width * RIGHT_SHARE // 100 if width > 0 else None

    @property
    def left(self) -> StatusText:
        return self.query_one("#status-left", StatusText)

    @property
    def left_text(self) -> str:
        return str(self.query_one("#status-left", Static).visual)

    @property
    def right_text(self) -> str:
        return str(self.query_one("#status-right", Static).visual)
