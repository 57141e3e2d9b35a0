"""Building or updating the index with a progress bar; Esc cancels."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from textual import work
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, ProgressBar

from ..errors import SearcherError

if TYPE_CHECKING:
    from .app import SearchApp

__all__ = ["IndexScreen", "BuildOutcome"]

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
        counts = f"{progress.files_done:,}/{progress.files_total:,} files · {progress.paragraphs:,} paragraphs"
        if progress.files_total and progress.files_done >= progress.files_total:
            # Every file is read: the index is being written and swapped in.
            self.query_one("#index-current", Label).update(f"{counts} · finishing… (writing the index)")
        else:
            self.query_one("#index-current", Label).update(f"{counts} · {progress.current}")

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
