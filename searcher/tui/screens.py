"""The screens of the live search, one module each (re-exported here)."""

from __future__ import annotations

from .document_screen import DocumentScreen
from .help_screen import HelpScreen
from .history_screen import HistoryScreen
from .index_screen import BuildOutcome, IndexScreen
from .search_screen import SearchScreen

__all__ = ["SearchScreen", "DocumentScreen", "HelpScreen", "HistoryScreen", "IndexScreen", "BuildOutcome"]
