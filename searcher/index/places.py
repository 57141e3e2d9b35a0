"""Where indexes live when nobody names them, and which index a command uses.

``search-index FOLDER`` keeps the index of FOLDER in the user's cache folder
(``platformdirs``; ``~/.cache/searcher/indexes/<name>-<hash>/`` on Linux),
keyed by the folder's real path.  ``search`` finds the index to use the way
git finds ``.git``; :func:`resolve` decides, in this order:

1. ``--index DIR`` (with ``--corpus``, ``$SEARCHER_CORPUS`` or ``./corpus`` for a first build);
2. ``-C FOLDER``: the index of FOLDER, else that of the indexed folder that holds it
   (the search then keeps to FOLDER), else a new index of FOLDER built on first use;
3. ``$SEARCHER_INDEX``;
4. ``--corpus DIR`` or ``$SEARCHER_CORPUS``: ``./index`` built from it (as before);
5. the current folder, when it was indexed with ``search-index FOLDER``;
6. ``./index`` and ``./corpus`` in the current folder, when either exists (the quick start);
7. the nearest folder above the current one that was indexed.

Light on purpose (os, hashlib, json): the one-shot CLI imports it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "Location", "cache_dir", "index_for", "indexed_folder_above", "resolve", "list_indexes", "NoIndexHere",
    "scope_under",
]

DEFAULT_INDEX = "index"
DEFAULT_CORPUS = "corpus"


class NoIndexHere(Exception):
    """No index was named and none was found from the current folder up."""


@dataclass(frozen=True)
class Location:
    """The index a command uses, the folder it is built from, and why this one (for messages)."""

    index: str
    corpus: str
    how: str


def cache_dir() -> Path:
    """The folder that holds the indexes nobody named (``$XDG_CACHE_HOME/searcher/indexes`` on Linux)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("searcher", appauthor=False)) / "indexes"


def index_for(folder: str | os.PathLike[str]) -> Path:
    """The default index folder of ``folder``: its name plus a hash of its real path.

    >>> index_for("/srv/công văn").name.startswith("công-văn-")
    True
    """
    real = os.path.realpath(os.fspath(folder))
    name = re.sub(r"[^\w.-]+", "-", os.path.basename(real) or "root").strip("-.")[:40] or "folder"
    digest = hashlib.sha256(real.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return cache_dir() / f"{name}-{digest}"


def _has_index(index: Path) -> bool:
    return (index / "CURRENT").is_file()


def indexed_folder_above(start: str | os.PathLike[str] = ".", include_start: bool = True) -> Path | None:
    """The nearest folder at or above ``start`` that has an index in the cache folder, or None."""
    folder: Path | None = Path(os.path.realpath(os.fspath(start)))
    if not include_start and folder is not None:
        folder = folder.parent if folder.parent != folder else None
    while folder is not None:
        if _has_index(index_for(folder)):
            return folder
        if folder.parent == folder:
            return None
        folder = folder.parent
    return None


def resolve(
    index: str | None = None,
    corpus: str | None = None,
    folder: str | None = None,
    environ: Any = None,
    cwd: str | None = None,
) -> Location:
    """Choose the index and corpus (see the module docstring); raises :class:`NoIndexHere`."""
    env = os.environ if environ is None else environ
    here = cwd or os.getcwd()
    env_index = env.get("SEARCHER_INDEX") or None
    env_corpus = env.get("SEARCHER_CORPUS") or None
    if index:
        return Location(index, corpus or env_corpus or DEFAULT_CORPUS, "--index")
    if folder:
        if not os.path.isdir(folder):
            raise NoIndexHere(f"no such folder: {folder}" if not os.path.exists(folder) else f"not a folder: {folder}")
        if _has_index(index_for(folder)):
            return Location(str(index_for(folder)), folder, "-C")
        # A subfolder of an indexed folder is searched in that folder's index (the
        # search keeps to the subfolder), not indexed a second time.
        enclosing = indexed_folder_above(folder, include_start=False)
        if enclosing is not None:
            return Location(str(index_for(enclosing)), str(enclosing), "-C in indexed folder")
        return Location(str(index_for(folder)), folder, "-C")
    if env_index:
        return Location(env_index, corpus or env_corpus or DEFAULT_CORPUS, "$SEARCHER_INDEX")
    if corpus or env_corpus:
        return Location(DEFAULT_INDEX, corpus or env_corpus or DEFAULT_CORPUS, "--corpus")
    if _has_index(index_for(here)):
        return Location(str(index_for(here)), here, "indexed folder")
    if os.path.isdir(os.path.join(here, DEFAULT_CORPUS)) or os.path.exists(os.path.join(here, DEFAULT_INDEX)):
        return Location(DEFAULT_INDEX, DEFAULT_CORPUS, "./index")
    above = indexed_folder_above(here, include_start=False)
    if above is not None:
        return Location(str(index_for(above)), str(above), "indexed folder above")
    raise NoIndexHere(
        "no index here or in any folder above, and no ./corpus to build one from: "
        "index this folder with `search-index .`, or name one with -C FOLDER or --index DIR"
    )


def list_indexes() -> list[dict[str, Any]]:
    """Every index in the cache folder: ``folder, index, bytes, paragraphs, files, updated, age_s, exists``."""
    root = cache_dir()
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return []
    now = time.time()
    found = []
    for entry in entries:
        if not entry.is_dir():
            continue
        try:
            about = json.loads((entry / "about.json").read_text("utf-8"))
        except (OSError, ValueError):
            about = {}
        if not isinstance(about, dict):
            about = {}
        size = 0
        for dirpath, _dirs, files in os.walk(entry):
            for name in files:
                try:
                    size += os.lstat(os.path.join(dirpath, name)).st_size
                except OSError:
                    pass
        folder = str(about.get("folder", "?"))
        updated = float(about.get("updated") or 0.0)
        found.append({
            "folder": folder,
            "index": str(entry),
            "bytes": size,
            "paragraphs": about.get("paragraphs"),
            "files": about.get("files"),
            "updated": updated,
            "age_s": round(now - updated, 1) if updated else None,
            "exists": os.path.isdir(folder),
        })
    return found


def scope_under(corpus: str | os.PathLike[str], folder: str | os.PathLike[str] | None = None) -> str:
    """The folder a search keeps to, relative to the indexed folder ``corpus``: ``folder``
    (default: the current one) when it lies strictly inside ``corpus``, else ``""`` (everything).

    >>> scope_under("/srv/docs", "/srv/docs/news/2024"), scope_under("/srv/docs", "/srv/docs")
    ('news/2024', '')
    >>> scope_under("/srv/docs", "/tmp")
    ''
    """
    root = os.path.realpath(os.fspath(corpus))
    here = os.path.realpath(os.fspath(folder) if folder is not None else os.getcwd())
    try:
        relative = os.path.relpath(here, root)
    except ValueError:  # another drive
        return ""
    if relative == "." or relative == ".." or relative.startswith(".." + os.sep) or os.path.isabs(relative):
        return ""
    return relative.replace(os.sep, "/")
