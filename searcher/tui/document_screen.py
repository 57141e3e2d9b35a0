"""The document view: a whole source document scrolled to the hit; ``n``/``N`` walk the matches."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.geometry import Region
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from searcher.cli.presentation import visible
from searcher.cli.presentation import where as location_suffix
from searcher.documents.corpus import UnreadableFile, read_document
from searcher.search.highlight import best_cluster, document_spans, phrase_spans
from searcher.search.query import ParsedQuery
from searcher.search.results import Hit
from searcher.tui.widgets import highlighted

if TYPE_CHECKING:
    from searcher.tui.app import SearchApp

__all__ = ["DocumentScreen"]

MAX_MOUNTED = 600  # paragraphs mounted at most (a window around the hit): 1,500 took 4 s to mount

@dataclass
class _Para:
    line: int
    ordinal: int
    text: str
    spans: list[tuple[int, int]]  # what is highlighted (whole phrases merged)
    matches: list[tuple[int, int]]  # what n/N step through


class DocumentScreen(Screen[None]):
    """A whole source document, scrolled to the hit; ``n``/``N`` walk through the matches."""

    AUTO_FOCUS = "#doc-body"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("n", "next_match", "Next match"),
        Binding("N,shift+n", "previous_match", "Previous"),
        Binding("e", "edit", "Editor"),
        Binding("y", "copy_location", "Copy path:line"),
    ]

    @dataclass
    class Loaded(Message):
        """The document was read and its matches found (posted by the loading worker)."""

    def __init__(self, hit: Hit, query: ParsedQuery) -> None:
        super().__init__()
        self.loaded = False  # True once the paragraphs are on screen
        self.first = 0  # the window of paragraphs mounted (a long document shows a part)
        self.last = 0
        self.hit = hit
        self.query_parsed = query
        self.notice = ""
        self.paragraphs: list[_Para] = []
        self.hit_index = 0
        self.matches: list[tuple[int, int, int]] = []  # (paragraph index, start, end)
        self.current: int | None = None
        self._header_lines = -1  # lines the header took when last laid out

    @property
    def search_app(self) -> SearchApp:
        return self.app  # type: ignore[return-value]

    @work(thread=True, exclusive=True, group="document", exit_on_error=False)
    def _load_worker(self) -> None:
        """Read and decode the file, find the matches: off the UI thread (files of tens of MB)."""
        try:
            self._load()
        except Exception as exc:  # never a traceback: show what the index has
            self.notice = f"cannot show this document ({type(exc).__name__}: {exc})"
            self.paragraphs = [_Para(self.hit.line, self.hit.paragraph, self.hit.text, list(self.hit.spans), [])]
            self.hit_index, self.matches, self.current = 0, [], None
            self.first, self.last = 0, 1
        self.post_message(self.Loaded())

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
        # Matches are found in the window of paragraphs that is shown only: a 50 MB file
        # has tens of thousands of paragraphs, and n/N stay inside the window anyway.
        self.paragraphs = [_Para(line, ordinal, text, [], []) for line, ordinal, text in paragraphs]
        self.hit_index = self._locate()
        first = max(0, self.hit_index - MAX_MOUNTED // 2)
        last = min(len(self.paragraphs), first + MAX_MOUNTED)
        first = max(0, last - MAX_MOUNTED)
        self.first, self.last = first, last
        query = self.query_parsed
        for para in self.paragraphs[first:last]:
            # Only the matches light up: not ngoài, nor a lone giao, for "ngoại giao".
            para.spans, para.matches = document_spans(para.text, query)
        hit_para = self.paragraphs[self.hit_index] if self.paragraphs else None
        if hit_para is not None and not hit_para.matches:
            # A best-match hit lacks some words: its best cluster is still a match, and the words it has show.
            cluster = best_cluster(hit_para.text, query)
            hit_para.matches = [cluster] if cluster is not None else []
            hit_para.spans = phrase_spans(hit_para.text, query)
        self.matches = [(i, s, e) for i in range(first, last) for s, e in self.paragraphs[i].matches]
        self.current = next(
            (k for k, m in enumerate(self.matches) if m[0] >= self.hit_index), 0 if self.matches else None
        )
        if first > 0 or last < len(self.paragraphs):
            shown = f"paragraphs {first + 1:,}–{last:,} of {len(self.paragraphs):,} shown"
            self.notice = f"{shown}; {self.notice}" if self.notice else shown

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
        yield Static(id="doc-header")
        with VerticalScroll(id="doc-body"):
            yield Static("Reading the document…", id="doc-loading", classes="para")
        yield Footer()

    def on_mount(self) -> None:
        hit = self.hit
        self.query_one("#doc-header", Static).update(
            Content.assemble(
                (visible(" ".join(hit.title.split())), "bold"), "\n", (visible(hit.path), "$text-accent"), ":",
                (str(hit.line), "$text-success"),
            )
        )
        self._load_worker()

    @on(Loaded)
    async def _loaded(self, message: DocumentScreen.Loaded) -> None:
        # A very long document shows a window of paragraphs around the hit (mounting one
        # widget per paragraph of a 50 MB file would take minutes); n/N stay inside it.
        first, last = self.first, self.last
        body = self.query_one("#doc-body", VerticalScroll)
        await body.query_one("#doc-loading").remove()
        await body.mount_all(
            Static(
                self._render_para(i),
                id=f"para-{i}",
                classes="para -hit" if i == self.hit_index else "para",
                markup=False,
            )
            for i in range(first, last)
        )
        self.loaded = True
        self._update_header()
        self.call_after_refresh(self._scroll_to_current)

    def _render_para(self, index: int) -> Content:
        para = self.paragraphs[index]
        current = None
        if self.current is not None:
            i, start, end = self.matches[self.current]
            if i == index:
                current = (start, end)
        spans = para.spans
        if current is not None:
            spans = [current] + [(s, e) for s, e in spans if e <= current[0] or s >= current[1]]
        return highlighted(para.text, spans, current=current)

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
        title = " ".join(hit.title.split())
        place = location_suffix(hit.path, self.current_line, hit.page, hit.chapter)
        parts: list[str | tuple[str, str] | Content] = [
            highlighted(title, phrase_spans(title, self.query_parsed), style="bold").truncate(
                max(10, self.app.size.width - 2), ellipsis=True
            ),
            "\n",
            (visible(hit.path), "$text-accent"),
            place[0],
            (place[1:], "$text-success"),
            f"  ·  {where}",
        ]
        if self.notice:
            parts += ["  ·  ", (self.notice, "$text-warning")]
        content = Content.assemble(*parts)
        header = self.query_one("#doc-header", Static)
        width = header.content_region.width
        lines = len(content.wrap(width)) if width > 0 else -1
        # "match 3/4" → "match 4/4" keeps the header's height: no layout of the (up to
        # MAX_MOUNTED) paragraphs at each n/N, only when the header's line count changes.
        header.update(content, layout=lines != self._header_lines or lines < 0)
        self._header_lines = lines

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
        if not self.loaded:
            return
        if self.current is None or not self.matches:
            self.notify("No matches in this document.", timeout=2)
            return
        old = self.current_paragraph
        self.current = target % len(self.matches)
        for index in {old, self.current_paragraph}:
            if index is not None:
                # Only the styles of the match change, never the text's size: no layout of
                # the (up to MAX_MOUNTED) paragraphs at each n/N.
                self.query_one(f"#para-{index}", Static).update(self._render_para(index), layout=False)
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
        self.search_app.copy_location(self.hit.file, self.current_line, self.hit.page, self.hit.chapter)
