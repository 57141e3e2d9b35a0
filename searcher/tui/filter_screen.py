"""Which files the live search looks in: ripgrep-style globs and types, typed in one line."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from searcher.documents.filters import PathFilter, type_names
from searcher.errors import SearcherError

__all__ = ["FilterScreen", "parse_filter", "format_filter"]


def parse_filter(text: str, under: str = "") -> PathFilter:
    """``*.pdf !nháp/** type:docx -type:md`` as a :class:`PathFilter` (raises FilterError).

    >>> f = parse_filter("*.pdf !old/** type:docx -type:md")
    >>> f.globs, f.types, f.types_not
    (('*.pdf', '!old/**'), ('docx',), ('md',))
    """
    globs, types, types_not = [], [], []
    for word in text.split():
        if word.startswith("type:"):
            types.append(word[5:])
        elif word.startswith("-type:"):
            types_not.append(word[6:])
        else:
            globs.append(word)
    return PathFilter(under=under, globs=tuple(globs), types=tuple(types), types_not=tuple(types_not))


def format_filter(scope: PathFilter) -> str:
    """The line :func:`parse_filter` reads back (the folder left out).

    >>> format_filter(parse_filter("type:pdf *.x"))
    '*.x type:pdf'
    """
    return " ".join([*scope.globs, *(f"type:{t}" for t in scope.types), *(f"-type:{t}" for t in scope.types_not)])


class FilterScreen(ModalScreen[str | None]):
    """Edit the file filter; Enter applies it (an empty line searches every file), Esc keeps the old one."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]
    DEFAULT_CSS = """
    FilterScreen { align: center middle; }
    #filter-dialog {
        width: 76; max-width: 100%; height: auto; border: round $accent; padding: 0 1; background: $surface;
    }
    #filter-dialog Label { width: 100%; }
    #filter-error { color: $error; }
    """

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self):  # type: ignore[no-untyped-def]
        with Vertical(id="filter-dialog") as dialog:
            dialog.border_title = "Files to search"
            dialog.border_subtitle = "Enter applies · Esc closes"
            yield Label(f"globs as rg -g (*.pdf, !nháp/**), type:NAME, -type:NAME ({type_names()})")
            yield Input(value=self.current, placeholder="every file", id="filter-input")
            yield Label("", id="filter-error")

    @on(Input.Submitted, "#filter-input")
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            parse_filter(event.value)
        except SearcherError as exc:
            self.query_one("#filter-error", Label).update(str(exc))
            return
        self.dismiss(event.value.strip())

    def action_close(self) -> None:
        self.dismiss(None)
