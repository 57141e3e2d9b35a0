"""The preview pane: the selected hit's paragraph, then the paragraphs around it."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from textual import work
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import get_current_worker

from searcher.cli.presentation import make_snippet, where
from searcher.search.highlight import (
    best_cluster,
    highlight_spans,
    phrase_spans,
    phrases_and_cluster,
)
from searcher.search.query import ParsedQuery
from searcher.search.results import Hit
from searcher.tui.widgets import MUTED_STYLE, highlighted, set_border_title

__all__ = ["DocumentCache", "PreviewPane", "context_content"]

DOC_CACHE = 32  # documents kept for the preview
PREVIEW_CHARS = 600  # a longer paragraph is previewed as a window around its best cluster until its document is read


class DocumentCache:
    """The indexed paragraphs of the last documents previewed, read with ``read`` on a miss.
    Called from worker threads: a lock keeps it whole."""

    def __init__(self, read: Callable[[str], list[Hit]], size: int = DOC_CACHE) -> None:
        self.read = read
        self.size = size
        self._docs: OrderedDict[str, list[Hit]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, path: str) -> list[Hit]:
        with self._lock:
            if path in self._docs:
                self._docs.move_to_end(path)
                return self._docs[path]
        paragraphs = self.read(path)  # not under the lock: reading may take a while
        with self._lock:
            self._docs[path] = paragraphs
            while len(self._docs) > self.size:
                self._docs.popitem(last=False)
        return paragraphs

    def clear(self) -> None:
        """Forget every document (the index changed)."""
        with self._lock:
            self._docs.clear()


class PreviewPane(VerticalScroll):
    """The selected hit's paragraph in context.

    :meth:`show_hit` shows the paragraph at once and its neighbours once a worker has read
    the document; the :class:`ContextLoaded` it then posts bubbles to the screen, which
    shows it when that hit is still the one selected.
    """

    @dataclass
    class ContextLoaded(Message):
        """The hit with its neighbours, ready to show (posted by a worker)."""

        hit: Hit
        content: Content
        focus: int | None  # where the best cluster is in ``content``

    DEFAULT_CSS = """
    PreviewPane > Static { width: 1fr; }
    """

    def __init__(self, read: Callable[[str], list[Hit]], *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id)
        self.read = read  # a document's paragraphs (called in a worker)
        self.shown: tuple[str, int, str] | None = None  # (path, paragraph, query text) of the hit on show
        self._timer: Timer | None = None

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="preview-text")

    @property
    def waiting(self) -> bool:
        """A hit is due once typing pauses."""
        return self._timer is not None

    def follow(
        self,
        hit: Hit | None,
        query: ParsedQuery | None,
        text: str,
        *,
        wait: float = 0.0,
        blank: bool = False,
        then: Callable[[], None] = lambda: None,
    ) -> None:
        """Show ``hit`` of the search for ``text`` (nothing when None), unless it is on show.
        ``wait`` > 0: not now, but call ``then`` after ``wait`` seconds (to follow whatever is
        selected by then), and with ``blank`` show nothing meanwhile."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if hit is None or query is None:
            self.shown = None
            self.show("", "Preview")
            return
        key = (hit.path, hit.paragraph, text)
        if key == self.shown:
            return  # already shown (the fuller pass of the same search)
        if wait > 0:
            self._timer = self.set_timer(wait, lambda: self._waited(then))
            if blank and self.shown is not None:
                self.shown = None  # once a burst: an empty preview is not redrawn at later keystrokes
                self.show("", "Preview")
            return
        self.shown = key
        self.show_hit(hit, query)

    def _waited(self, then: Callable[[], None]) -> None:
        self._timer = None
        then()

    def show(self, content: Content | str, title: str = "", focus: int | None = None) -> None:
        """Show ``content``; ``focus`` (a character offset in it) is scrolled to the middle of the pane."""
        # Blanking needs no layout (the empty text draws as blank lines, whatever its height):
        # it happens while typing, in the frame that shows the hits.
        self.query_one("#preview-text", Static).update(content, layout=bool(content))
        set_border_title(self, title)
        if not content:
            set_border_title(self, "", subtitle=True)  # no hit shown: no hit's path either
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

    def show_hit(self, hit: Hit, query: ParsedQuery) -> None:
        """Show ``hit``'s paragraph now (a window around its best cluster when it is long) and
        its location; then read its document in a worker, for the neighbours."""
        spans, cluster = phrases_and_cluster(hit.text, query)
        if len(hit.text) > PREVIEW_CHARS:
            window = make_snippet(hit.text, spans, width=PREVIEW_CHARS, focus=cluster)
            self.show(highlighted(window.text, window.spans), hit.title)
        else:
            self.show(highlighted(hit.text, spans), hit.title, cluster[0] if cluster else None)
        location = where(hit.path, hit.line, hit.page, hit.chapter, **hit.place())
        set_border_title(self, hit.path + location, subtitle=True)
        self._load_context(hit, query)

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def _load_context(self, hit: Hit, query: ParsedQuery) -> None:
        try:
            paragraphs = self.read(hit.path)
        except Exception:
            return
        made = context_content(hit, paragraphs, query)
        if made is not None and not get_current_worker().is_cancelled:
            self.post_message(self.ContextLoaded(hit, *made))



def context_content(
    hit: Hit, paragraphs: list[Hit], query: ParsedQuery, before_chars: int = 110
) -> tuple[Content, int | None] | None:
    """The hit's paragraph with the end of the one before and the two after, matches highlighted,
    and the offset of the hit's best cluster in it (for the preview to scroll to)."""
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
    start = sum(len(p.plain) + 2 for p in parts)
    cluster = best_cluster(hit.text, query)
    parts.append(highlighted(hit.text, phrase_spans(hit.text, query)))
    for following in paragraphs[index + 1 : index + 3]:
        parts.append(highlighted(following.text, phrase_spans(following.text, query), MUTED_STYLE))
    return Content("\n\n").join(parts), (start + cluster[0] if cluster else None)
