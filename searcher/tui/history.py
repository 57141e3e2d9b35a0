"""Query history of the live search, one file per index.

The file lives in the user's data directory::

    $XDG_DATA_HOME/searcher/history/<hash>.json     (default ~/.local/share/...)

where ``<hash>`` is derived from the absolute path of the index folder, so
two indexes keep separate histories.  The file holds the index path (for a
human reading it) and the queries, oldest first.  Reading or writing problems
never break the UI: a missing or damaged file is an empty history, and a
failed save is reported once by the caller.

This module does not import Textual.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["History", "HistoryWalk", "data_home", "history_file"]

MAX_ENTRIES = 500


def write_json_atomic(path: Path, data: object) -> None:
    """Replace ``path`` with ``data`` as JSON in one step: a reader sees the old file or the new one, whole.

    The folder must exist.  The file is created 0600 (``mkstemp``).  Raises ``OSError``.
    """
    payload = json.dumps(data, ensure_ascii=False, indent=1)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(payload + "\n")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def data_home() -> Path:
    """``$XDG_DATA_HOME`` when set to an absolute path, else ``~/.local/share``."""
    value = os.environ.get("XDG_DATA_HOME", "")
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / ".local" / "share"


def history_file(index: str | os.PathLike[str]) -> Path:
    """Where the history of the index folder ``index`` is kept."""
    absolute = os.path.abspath(os.fspath(index))
    digest = hashlib.sha256(absolute.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return data_home() / "searcher" / "history" / f"{digest}.json"


class History:
    """The past queries of one index, newest last, without duplicates."""

    def __init__(self, index: str | os.PathLike[str], path: Path | None = None) -> None:
        self.index = os.path.abspath(os.fspath(index))
        self.path = path if path is not None else history_file(index)
        self._entries: list[str] | None = None

    @property
    def entries(self) -> list[str]:
        """All queries, oldest first (loaded on first use)."""
        if self._entries is None:
            self._entries = self._load()
        return self._entries

    def newest_first(self) -> list[str]:
        return list(reversed(self.entries))

    def latest(self) -> str | None:
        return self.entries[-1] if self.entries else None

    def _load(self) -> list[str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        queries = data.get("queries") if isinstance(data, dict) else None
        if not isinstance(queries, list):
            return []
        return [q for q in queries if isinstance(q, str) and q.strip()][-MAX_ENTRIES:]

    def add(self, query: str) -> bool:
        """Remember ``query`` as the newest entry and save; False if nothing changed."""
        query = " ".join(query.split())
        if not query:
            return False
        entries = self.entries
        if entries and entries[-1] == query:
            return False
        if query in entries:
            entries.remove(query)
        entries.append(query)
        del entries[:-MAX_ENTRIES]
        self.save()
        return True

    def save(self) -> None:
        """Write the file atomically (raises ``OSError`` when that is impossible)."""
        _make_private_dirs(self.path.parent)  # queries say what the documents hold: owner only
        write_json_atomic(self.path, {"index": self.index, "queries": self.entries})


def _make_private_dirs(folder: Path) -> None:
    """Create ``folder`` and its missing parents with mode 0700 (the file itself is 0600, from mkstemp)."""
    missing = []
    while not folder.is_dir() and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            pass


class HistoryWalk:
    """↑ on an empty query, or on the query ↑ put there, steps back through the history one query at a time."""

    def __init__(self) -> None:
        self.position: int | None = None  # where ↑ is in the history (newest first)
        self.recalled = ""  # the query ↑ put in the input

    def walking(self, value: str) -> bool:
        """Whether ↑ on the input's ``value`` recalls a query, rather than moving in the results."""
        return not value.strip() or (self.position is not None and value == self.recalled)

    def older(self, entries: Sequence[str], value: str) -> str | None:
        """The query older than the one recalled last (the newest, once ``value`` was edited);
        None past the oldest."""
        position = 0 if self.position is None or value != self.recalled else self.position + 1
        if position >= len(entries):
            return None
        self.position, self.recalled = position, entries[position]
        return entries[position]
