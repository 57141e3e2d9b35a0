"""The key and query-language help (F1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

if TYPE_CHECKING:
    from searcher.tui.app import SearchApp

__all__ = ["HelpScreen", "KEYS_HELP"]

KEYS_HELP = """\
[b]Searching[/b]
  type              search as you type (the last word is a prefix)
  ↑ ↓ PgUp PgDn     move in the results, also while typing
  Home End          start / end of the query (also Ctrl-A Ctrl-E)
  Ctrl-Home Ctrl-End  first / last result
  Enter             open the selected hit in its document
  Tab Shift-Tab     move the focus (query, results, preview)
  e  y              (results focused) open in $EDITOR / copy path:line
  ↑ in the query    walk back through earlier queries
  Ctrl-R            pick an earlier query from the history
  Ctrl-G            search the "did you mean" shown under the query
  Esc               clear the query; on an empty query, quit
  F2                group the hits by file (one row a file), or not
  F3                search everywhere, or only the folder you started in
  F5                update the index; searching goes on (Esc cancels)
  Ctrl-P            command palette (Filter files: *.pdf !nháp/** type:docx; themes, …)
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
    BINDINGS: ClassVar[list[BindingType]] = [
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
