"""Which files a search looks in: a folder of the index, ripgrep's ``-g GLOB`` and ``-t TYPE``.

Shared by the CLI, the TUI and :meth:`searcher.Engine.search` (its ``under``,
``globs`` and ``types`` keyword arguments), so the three agree.  Paths are the
index's own: relative to the indexed folder, written with ``/``.

Globs follow ripgrep: gitignore syntax; a glob keeps the files it matches, a
glob starting with ``!`` leaves them out, and when several match a file the
last one given wins.  With any keeping glob, a file no glob matches is left
out.  A glob is matched against the path relative to the folder searched
(``under``, else the indexed folder), as ripgrep matches it against the path
below the folder it searches.

Light on purpose (``pathspec`` is imported only when a glob is given).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from searcher.errors import SearcherError

__all__ = ["FILE_TYPES", "PathFilter", "FilterError", "type_names"]

# ``-t NAME``: the file types the index reads, with their suffixes (as ``rg --type-list``).
FILE_TYPES: dict[str, tuple[str, ...]] = {
    "txt": (".txt",),
    "md": (".md", ".markdown"),
    "html": (".html", ".htm", ".xhtml"),
    "docx": (".docx",),
    "odt": (".odt",),
    "epub": (".epub",),
    "pdf": (".pdf",),
    "doc": (".doc",),
    "rtf": (".rtf",),
    "xlsx": (".xlsx", ".xlsm"),
    "xls": (".xls",),
    "ods": (".ods",),
    "pptx": (".pptx",),
    "ppt": (".ppt",),
    "image": (".png", ".jpg", ".jpeg", ".tif", ".tiff"),  # scans, read by OCR
}


class FilterError(SearcherError):
    """A glob or type that cannot be used; ``str()`` is the one-line message."""


def type_names() -> str:
    """The known ``-t`` names, for messages and help: ``txt, md, html, …``."""
    return ", ".join(FILE_TYPES)


@dataclass(frozen=True)
class PathFilter:
    """A predicate over index paths: inside ``under``, kept by ``globs``, of one of ``types``
    and of none of ``types_not``.  An empty filter keeps everything.

    >>> f = PathFilter(under="news", globs=("*.txt", "!old/**"))
    >>> f("news/a.txt"), f("law/a.txt"), f("news/old/b.txt"), f("news/c.pdf")
    (True, False, False, False)
    >>> PathFilter(types=("pdf", "md"))("a/b.PDF"), PathFilter(types_not=("pdf",))("a/b.pdf")
    (True, False)
    """

    under: str = ""
    globs: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    types_not: tuple[str, ...] = ()
    # Worked out from the fields above (not part of a filter's identity).
    _suffixes: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)
    _excluded: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)
    _specs: tuple[tuple[bool, Any], ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        under = self.under.replace("\\", "/").strip("/")
        object.__setattr__(self, "under", "" if under == "." else under)
        object.__setattr__(self, "globs", tuple(self.globs))
        object.__setattr__(self, "types", tuple(self.types))
        object.__setattr__(self, "types_not", tuple(self.types_not))
        for name in (*self.types, *self.types_not):
            if name not in FILE_TYPES:
                raise FilterError(f"unknown file type {name!r} (known: {type_names()})")
        for glob in self.globs:
            if not glob.lstrip("!").strip():
                raise FilterError(f"empty glob {glob!r}")
        suffixes = tuple(s for name in self.types for s in FILE_TYPES[name])
        excluded = tuple(s for name in self.types_not for s in FILE_TYPES[name])
        object.__setattr__(self, "_suffixes", suffixes)
        object.__setattr__(self, "_excluded", excluded)
        object.__setattr__(self, "_specs", _compile(self.globs) if self.globs else ())

    @property
    def active(self) -> bool:
        """Whether the filter leaves anything out."""
        return bool(self.under or self.globs or self.types or self.types_not)

    def __call__(self, path: str) -> bool:
        """Whether the file at index path ``path`` is searched."""
        path = path.replace("\\", "/")
        if self.under:
            if not path.startswith(self.under + "/"):
                return False
            path = path[len(self.under) + 1 :]
        lower = path.lower()
        if self._suffixes and not lower.endswith(self._suffixes):
            return False
        if self._excluded and lower.endswith(self._excluded):
            return False
        specs = self._specs
        if not specs:
            return True
        for keep, spec in specs[::-1]:  # the last glob that matches decides (rg)
            if spec.match_file(path):
                return keep
        return not any(keep for keep, _ in specs)

    def describe(self) -> str:
        """A short account for status lines: ``news/ · *.txt · !old/** · type:pdf · -type:md``."""
        parts = [f"{self.under}/"] if self.under else []
        parts += list(self.globs)
        parts += [f"type:{name}" for name in self.types]
        parts += [f"-type:{name}" for name in self.types_not]
        return " · ".join(parts)


def _compile(globs: Sequence[str]) -> tuple[tuple[bool, Any], ...]:
    import pathspec

    compiled = []
    for glob in globs:
        keep = not glob.startswith("!")
        pattern = glob[1:] if not keep else glob
        try:
            spec = pathspec.GitIgnoreSpec.from_lines([pattern])
        except Exception as exc:  # pathspec reports bad patterns in several shapes
            raise FilterError(f"bad glob {glob!r}: {exc}") from None
        compiled.append((keep, spec))
    return tuple(compiled)
