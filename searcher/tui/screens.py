"""The screens of the live search, one module each (re-exported here)."""

from __future__ import annotations

from searcher.tui.document_screen import DocumentScreen
from searcher.tui.help_screen import HelpScreen
from searcher.tui.history_screen import HistoryScreen
from searcher.tui.index_screen import BuildOutcome, IndexScreen
from searcher.tui.search_screen import SearchScreen

__all__ = ["SearchScreen", "DocumentScreen", "HelpScreen", "HistoryScreen", "IndexScreen", "BuildOutcome"]
