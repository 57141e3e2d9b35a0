"""Remembered settings of the live search (theme, grouping by file), beside the query history.

The file is ``$XDG_DATA_HOME/searcher/settings.json``.  A missing or damaged file
gives the defaults; a failed save is reported once by the caller.  No Textual here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from searcher.tui.history import data_home, write_json_atomic

__all__ = ["Settings", "settings_file"]


def settings_file() -> Path:
    return data_home() / "searcher" / "settings.json"


@dataclass
class Settings:
    """What the UI remembers between sessions."""

    theme: str | None = None
    group_by_file: bool = False
    path: Path = field(default_factory=settings_file, repr=False)

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        settings = cls(path=path or settings_file())
        try:
            data = json.loads(settings.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return settings
        if isinstance(data, dict):
            if isinstance(data.get("theme"), str):
                settings.theme = data["theme"]
            settings.group_by_file = data.get("group_by_file") is True
        return settings

    def save(self) -> None:
        """Write the file atomically (raises ``OSError`` when that is impossible)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.path, {"theme": self.theme, "group_by_file": self.group_by_file})
