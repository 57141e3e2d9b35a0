"""Which files of a folder are indexed: ``.searchignore`` and ``--include``/``--exclude`` globs.

A ``.searchignore`` file at the top of the indexed folder uses gitignore
syntax (``*.bak``, ``drafts/``, ``!keep.pdf``, ``/top-only.txt``); so do the
``--include`` and ``--exclude`` patterns.  A file is indexed when it matches
an include pattern (if any were given), is not excluded and is not ignored.
Patterns are matched by ``pathspec``, imported only when there is a pattern.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["IGNORE_FILE", "FileSelection"]

IGNORE_FILE = ".searchignore"


class FileSelection:
    """A predicate ``selection(relpath, is_folder) -> bool`` over paths relative to the folder root."""

    def __init__(self, root: str | os.PathLike[str], include: Sequence[str] = (), exclude: Sequence[str] = ()) -> None:
        self.include = list(include)
        self.exclude = list(exclude)
        ignore_lines: list[str] = []
        try:
            ignore_lines = (Path(root) / IGNORE_FILE).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            pass
        self._ignored = _spec(ignore_lines + self.exclude)
        self._included = _spec(self.include)

    @property
    def active(self) -> bool:
        """Whether any pattern applies (otherwise every file is taken)."""
        return self._ignored is not None or self._included is not None

    def __call__(self, relpath: str, is_folder: bool) -> bool:
        """Whether to visit (a folder) or index (a file) ``relpath``, written with ``/``.

        >>> pick = FileSelection("/nowhere", include=["*.pdf", "notes/"], exclude=["drafts/"])
        >>> pick("a/b.pdf", False), pick("a/b.txt", False), pick("notes/x.txt", False), pick("drafts", True)
        (True, False, True, False)
        """
        candidate = relpath + "/" if is_folder else relpath
        if self._ignored is not None and self._ignored.match_file(candidate):
            return False
        if is_folder or self._included is None:
            return True
        return bool(self._included.match_file(relpath))


def _spec(lines: list[str]) -> Any:
    lines = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        return None
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)
