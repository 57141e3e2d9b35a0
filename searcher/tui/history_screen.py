"""Pick an earlier query (Ctrl-R); typing filters the list, diacritics optional."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList

from searcher.vietnamese.text import fold

if TYPE_CHECKING:
    from searcher.tui.app import SearchApp

__all__ = ["HistoryScreen"]

class HistoryScreen(ModalScreen[str | None]):
    """Pick an earlier query; typing filters the list (diacritics optional)."""

    BINDINGS: ClassVar[list[BindingType]] = [
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
