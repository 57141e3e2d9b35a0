"""The on-disk index: versioned generations, atomic swaps and the build lock.

Layout of an index folder::

    index/
      CURRENT            JSON naming the live generation (replaced atomically)
      .lock              flock()ed by the one running ``search-index``
      gen-<stamp>/       a complete Whoosh index (schema: searcher.index.schema) plus ``searcher.json``;
                         the syllable fields' postings are segment files of its codec (searcher.index.codec)
      selection.json     the --include/--exclude patterns and --follow of the last build (searcher.index.build)
      about.json         folder, paragraphs, files and time of the last build: what ``search-index --list`` shows
      ocr-cache/         text read by OCR, by the scan's content hash: a rebuild never reads a page twice

A full rebuild writes a new generation beside the live one and then replaces
``CURRENT`` with ``os.replace``: readers see either the old or the new index,
never a half-written one, and a build killed halfway leaves only an unpublished
folder that the next build removes.  Incremental updates commit into the live
generation through Whoosh's own atomic commit.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from searcher.errors import IndexBusy, IndexMissing, IndexOutdated, IndexUnusable
from searcher.index import whoosh_patches
from searcher.index.schema import make_schema

__all__ = [
    "SCHEMA_VERSION",
    "make_schema",
    "IndexLocation",
    "Generation",
    "build_lock",
    "make_private_dir",
    "exposure_warning",
]

# Bump whenever the schema or the meaning of any indexed term changes.
SCHEMA_VERSION = 8  # 4: pid (best-match postings); page and chapter of paragraphs from PDF and EPUB
# 5: exact, folded and pair terms spell final i/y one way (kỹ = kĩ, lý = lí, quý = quí)
# 6: a lean index: no xpairs field, exact and folded without positions (issue 12)
# 7: the exact, folded and pair postings only in the best-match arrays, not in Whoosh too (issue 12)
# 8: those arrays are how Whoosh stores the three fields (searcher.index.codec): one store, one commit
#    and sheet, cell, slide and ocr of paragraphs from spreadsheets, slides and scans (issue 23)

META_FILE = "searcher.json"
CURRENT_FILE = "CURRENT"
LOCK_FILE = ".lock"
GEN_PREFIX = "gen-"


@dataclass(frozen=True)
class Generation:
    """One complete index generation on disk."""

    path: Path
    meta: dict[str, Any]

    @property
    def name(self) -> str:
        return self.path.name

    def open(self) -> Any:
        """Open the Whoosh index of this generation."""
        from whoosh.filedb.filestore import FileStorage

        try:
            return FileStorage(str(self.path)).open_index(indexclass=whoosh_patches.FreshReaderIndex)
        except Exception as exc:  # whoosh raises several unrelated types here
            raise IndexUnusable(
                f"index at {self.path} is damaged ({type(exc).__name__}: {exc}); "
                "rebuild it with: search-index --full"
            ) from None

    def size(self) -> int:
        """Bytes on disk of this generation's files."""
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())

    def updated(self) -> float:
        """When this generation was last written (its newest Whoosh TOC, else its creation)."""
        try:
            return max(p.stat().st_mtime for p in self.path.glob("*.toc"))
        except ValueError:
            return float(self.meta.get("created", 0.0))


def unreadable_because(path: Path) -> str:
    """Why a permission error on an index at ``path`` happened, for a message: another user's index
    is not damaged, and ``search-index --full`` cannot fix it."""
    try:
        owner = os.stat(path).st_uid
    except OSError:
        return "cannot be read (permission denied)"
    if owner == os.geteuid():
        return "cannot be read (permission denied): check its permissions (chmod -R u+rwX)"
    try:
        import pwd

        name = pwd.getpwuid(owner).pw_name
    except (ImportError, KeyError):
        name = f"uid {owner}"
    return f"belongs to another user ({name}) and cannot be read by you; use your own index (search-index FOLDER)"


class IndexLocation:
    """An index folder that holds generations (see the module docstring)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    # -- reading --------------------------------------------------------

    def current_name(self) -> str | None:
        """Name of the live generation, or ``None`` when there is none."""
        try:
            data = json.loads((self.root / CURRENT_FILE).read_text("utf-8"))
            return str(data["generation"])
        except (FileNotFoundError, NotADirectoryError):  # no index (the path may lie under a file)
            return None
        except PermissionError:
            raise IndexUnusable(f"index at {self.root} {unreadable_because(self.root)}") from None
        except (OSError, ValueError, KeyError, TypeError):
            raise IndexUnusable(
                f"index at {self.root} is damaged (unreadable {CURRENT_FILE}); "
                "rebuild it with: search-index --full"
            ) from None

    def current_stamp(self) -> tuple[int, int] | None:
        """A cheap token that changes whenever ``CURRENT`` is replaced."""
        try:
            st = os.stat(self.root / CURRENT_FILE)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def current(self) -> Generation:
        """The live generation, checked for schema version.

        Raises :class:`IndexMissing` when there is no index yet and
        :class:`IndexUnusable`/:class:`IndexOutdated` when it cannot be used.
        """
        if self.root.exists() and not self.root.is_dir():
            raise IndexUnusable(f"index path {self.root} is not a directory")
        name = self.current_name()
        if name is None:
            if self.root.is_dir() and any(self.root.glob("*.toc")):
                raise IndexOutdated(
                    f"index at {self.root} was written by an older version of searcher; "
                    "rebuild it with: search-index --full"
                )
            raise IndexMissing(f"no index at {self.root}")
        path = self.root / name
        try:
            meta = json.loads((path / META_FILE).read_text("utf-8"))
            version = int(meta["schema_version"])
        except FileNotFoundError:
            raise IndexUnusable(
                f"index at {self.root} is damaged (generation {name} is missing); "
                "rebuild it with: search-index --full"
            ) from None
        except PermissionError:
            raise IndexUnusable(f"index at {self.root} {unreadable_because(path)}") from None
        except (OSError, ValueError, KeyError, TypeError):
            raise IndexUnusable(
                f"index at {self.root} is damaged (unreadable {META_FILE}); "
                "rebuild it with: search-index --full"
            ) from None
        if version < SCHEMA_VERSION:
            raise IndexOutdated(
                f"index at {self.root} uses schema {version}, this searcher needs {SCHEMA_VERSION}; "
                "rebuild it with: search-index --full"
            )
        if version > SCHEMA_VERSION:
            raise IndexUnusable(
                f"index at {self.root} was written by a newer searcher (schema {version}, "
                f"this one reads {SCHEMA_VERSION}); upgrade searcher or rebuild with: search-index --full"
            )
        return Generation(path, meta)

    # -- writing (callers hold the build lock) ----------------------------

    def new_generation(self, corpus: Path) -> Generation:
        """Create an empty, unpublished generation folder with its metadata."""
        make_private_dir(self.root)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        path = self.root / f"{GEN_PREFIX}{stamp}-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}"
        path.mkdir(mode=0o700)
        meta = {
            "format": "searcher-index",
            "schema_version": SCHEMA_VERSION,
            "created": time.time(),
            "corpus": str(Path(corpus).resolve()),
        }
        write_atomic(path / META_FILE, json.dumps(meta, ensure_ascii=False, indent=1))
        whoosh_index.create_in(str(path), make_schema())
        return Generation(path, meta)

    def publish(self, generation: Generation) -> None:
        """Make ``generation`` the live one, atomically, and drop stale generations."""
        previous = None
        try:
            previous = self.current_name()
        except IndexUnusable:
            pass
        _fsync_tree(generation.path)
        record = {"generation": generation.name, "previous": previous}
        write_atomic(self.root / CURRENT_FILE, json.dumps(record))
        self.collect_garbage(keep={generation.name, previous})

    def collect_garbage(self, keep: set[str | None] | None = None) -> None:
        """Remove generations that are neither live nor the one just before it.

        The previous generation is kept so that a search which read ``CURRENT``
        just before the swap can still open it.
        """
        if keep is None:
            keep = {None}
            try:
                data = json.loads((self.root / CURRENT_FILE).read_text("utf-8"))
                keep |= {data.get("generation"), data.get("previous")}
            except (OSError, ValueError, AttributeError):
                return  # without a readable CURRENT we cannot tell what is live
        if not self.root.is_dir():
            return
        for entry in self.root.iterdir():
            if entry.name.startswith(GEN_PREFIX) and entry.name not in keep and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
        # Half-written files of a build killed inside an atomic write (CURRENT, about.json, ...):
        # the caller holds the build lock, so no write of them is under way.
        remove_leftovers(self.root)


def remove_leftovers(folder: Path, folders: bool = False) -> None:
    """Delete the ``*.tmp`` files in ``folder`` (and, with ``folders``, ``*.tmp`` folders) that a
    build killed while writing left behind.  Call it under the build lock: then none is being written."""
    for leftover in folder.glob("*.tmp"):
        if leftover.is_dir():
            if folders:
                shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def make_private_dir(path: Path | str) -> Path:
    """Create ``path`` (and missing parents) readable by its owner only (mode 0700).

    An index holds the text of every document it was built from.  A folder
    that already exists keeps its mode (see :func:`exposure_warning`).
    """
    path = Path(path)
    missing = []
    folder = path
    while not folder.is_dir() and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):  # the cache folder above a default index is private too
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            pass
    return path


def exposure_warning(path: Path | str) -> str:
    """A one-line warning when the folder ``path`` can be read by other users, else ``""``."""
    try:
        mode = os.stat(path).st_mode & 0o777
    except OSError:
        return ""
    if mode & 0o044 and mode & 0o011:
        return (
            f"the index folder is readable by other users (mode {mode:04o}) and holds the text of your documents; "
            f"make it private with: chmod 700 {path}"
        )
    return ""


@contextmanager
def build_lock(root: Path, wait: float = 5.0) -> Iterator[None]:
    """Hold the index's build lock, waiting up to ``wait`` seconds for it.

    The lock is an ``flock`` on ``.lock``: the kernel drops it when its holder
    dies, so a crashed build never leaves a stale lock behind.
    """
    root = make_private_dir(root)
    fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise IndexBusy(
                        f"another search-index is already updating {root}; try again when it has finished"
                    ) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


def write_atomic(path: Path, content: str) -> None:
    """Replace ``path`` with ``content`` in one step, durably (the file and its folder are fsynced)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(content)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    for entry in path.iterdir():
        if entry.is_file():
            try:
                with open(entry, "rb") as f:
                    os.fsync(f.fileno())
            except OSError:
                pass
    _fsync_dir(path)
