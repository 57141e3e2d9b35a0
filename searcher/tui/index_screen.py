"""Building or updating the index with a progress bar; Esc cancels."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import events, work
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, ProgressBar

from searcher.cli.presentation import visible
from searcher.errors import SearcherError

__all__ = ["IndexScreen", "IndexPanel", "BuildOutcome"]

@dataclass
class BuildOutcome:
    status: str  # done | cancelled | error
    summary: Any = None
    message: str = ""


@dataclass
class Built(Message):
    """A build or update is over (posted by the build worker)."""

    outcome: BuildOutcome


class _BuildCancelled(Exception):
    pass


class _Build:
    """The build itself, shared by the first-run dialog and the F5 panel: a worker thread,
    progress polled a few times a second, Esc cancels; the outcome goes to ``_finished``."""

    corpus: str
    index: str
    first_run: bool
    _build_index: Callable[..., Any] | None
    _cancel: threading.Event
    _progress: Any
    outcome: BuildOutcome | None

    def _setup(self, corpus: str, index: str, build: Callable[..., Any] | None, first_run: bool) -> None:
        self.corpus = corpus
        self.index = index
        self.first_run = first_run
        self._build_index = build
        self._cancel = threading.Event()
        self._progress = None
        self.outcome = None

    def _poll(self) -> None:
        progress = self._progress
        if progress is None:
            return
        bar = self.query_one("#index-progress", ProgressBar)  # type: ignore[attr-defined]
        bar.update(total=max(1, progress.files_total), progress=progress.files_done)
        counts = f"{progress.files_done:,}/{progress.files_total:,} files · {progress.paragraphs:,} paragraphs"
        label = self.query_one("#index-current", Label)  # type: ignore[attr-defined]
        if self._cancel.is_set():
            label.update("cancelling… (the previous index stays)")
        elif progress.files_total and progress.files_done >= progress.files_total:
            # Every file is read: the index is being written and swapped in.
            label.update(f"{counts} · finishing… (writing the index)")
        else:
            label.update(f"{counts} · {visible(progress.current)}")  # a file name: controls shown, never sent

    def _on_progress(self, progress: Any) -> None:
        if self._cancel.is_set():
            raise _BuildCancelled()
        self._progress = progress

    def _build(self) -> BuildOutcome:
        if self._build_index is not None:
            build_index = self._build_index
        elif self.first_run:
            from searcher.building import ensure_index as build_index  # the first-use build every face shares
        else:
            from searcher.building import build_index
        try:
            summary = build_index(self.corpus, self.index, progress=self._on_progress, wait=2.0)
        except _BuildCancelled:
            return BuildOutcome("cancelled")
        except SearcherError as exc:
            return BuildOutcome("error", message=str(exc))
        except Exception as exc:
            return BuildOutcome("error", message=f"unexpected {type(exc).__name__}: {exc}")
        if self._cancel.is_set() and summary is None:
            return BuildOutcome("cancelled")
        return BuildOutcome("done", summary)

    def action_cancel(self) -> None:
        self._cancel.set()
        self.query_one("#index-current", Label).update("cancelling… (the previous index stays)")  # type: ignore[attr-defined]


class IndexScreen(_Build, ModalScreen[BuildOutcome]):
    """The first build (nothing to search yet): a dialog with a progress bar; Esc cancels.

    Typing goes on meanwhile: letters, Backspace and pastes go to ``query`` (the main
    screen's query line, behind the dialog), which is searched once the index is ready.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        corpus: str,
        index: str,
        reason: str = "",
        build: Callable[..., Any] | None = None,
        first_run: bool = False,
        query: Input | None = None,
    ) -> None:
        super().__init__()
        self._setup(corpus, index, build, first_run)
        self.reason = reason
        self.query_input = query

    def compose(self):  # type: ignore[no-untyped-def]
        with Vertical(id="index-dialog") as dialog:
            dialog.border_title = "Indexing"
            dialog.border_subtitle = "Esc cancels"
            if self.reason:
                yield Label(self.reason, id="index-reason")
            yield Label(f"corpus: {self.corpus}", id="index-corpus")
            yield ProgressBar(id="index-progress", show_eta=False)
            yield Label("looking for files…", id="index-current")
            yield Label("", id="index-query", markup=False)

    def on_mount(self) -> None:
        self.query_one("#index-query", Label).display = False
        self.set_interval(0.1, self._poll)
        self._run()

    def on_key(self, event: events.Key) -> None:
        query = self.query_input
        if query is None:
            return
        if event.is_printable and event.character:
            query.insert_text_at_cursor(event.character)
        elif event.key == "backspace":
            query.action_delete_left()
        else:
            return  # Esc (cancel) and the app's keys keep their meaning
        event.stop()
        event.prevent_default()
        self._show_query()

    def on_paste(self, event: events.Paste) -> None:
        if self.query_input is not None and event.text:
            self.query_input.insert_text_at_cursor(event.text.splitlines()[0])
            event.stop()
            self._show_query()

    def _show_query(self) -> None:
        """Say what was typed, and that it is searched when the index is ready."""
        label = self.query_one("#index-query", Label)
        text = self.query_input.value if self.query_input is not None else ""
        label.update(f"search: {text}  (when the index is ready)" if text.strip() else "")
        label.display = bool(text.strip())

    @work(thread=True, exclusive=True, group="build", exit_on_error=False)
    def _run(self) -> None:
        self.outcome = self._build()
        self.post_message(Built(self.outcome))

    def on_built(self, message: Built) -> None:
        message.stop()
        self.dismiss(message.outcome)


class IndexPanel(_Build, Vertical):
    """F5: the update runs under the results, which keep answering from the old index
    until the new one is swapped in; Esc cancels it."""

    def __init__(
        self, corpus: str, index: str, finished: Callable[[BuildOutcome], None], build: Callable[..., Any] | None = None
    ) -> None:
        super().__init__(id="index-panel")
        self._setup(corpus, index, build, first_run=False)
        self._finished = finished

    def compose(self):  # type: ignore[no-untyped-def]
        self.border_title = "Re-indexing"
        self.border_subtitle = "Esc cancels · searching goes on meanwhile"
        yield ProgressBar(id="index-progress", show_eta=False)
        yield Label("looking for files…", id="index-current")

    def on_mount(self) -> None:
        self.set_interval(0.2, self._poll)
        self._run()

    @work(thread=True, exclusive=True, group="build", exit_on_error=False)
    def _run(self) -> None:
        self.outcome = self._build()
        self.post_message(Built(self.outcome))

    async def on_built(self, message: Built) -> None:
        message.stop()
        await self.remove()
        self._finished(message.outcome)
