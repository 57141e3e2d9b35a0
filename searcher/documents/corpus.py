"""A corpus: the folder of documents an index is built from, and its files.

:func:`iter_corpus_files` walks the folder and lists the files the index takes
(``.txt`` files and every format :mod:`searcher.documents.formats` reads), with
what an incremental update compares; :func:`read_document` reads any one of them
into paragraphs.  A ``.txt`` file is read in two streaming passes, so memory
stays bounded whatever its size: :mod:`searcher.documents.encoding` finds what
its bytes are, :mod:`searcher.documents.paragraphs` splits the decoded text.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from searcher.documents.encoding import UnreadableFile, inspect_file
from searcher.documents.paragraphs import Document, iter_paragraphs
from searcher.errors import CorpusError, redact

__all__ = [
    "CorpusFile",
    "UnreadableFile",
    "check_corpus",
    "indexed_suffixes",
    "is_document",
    "iter_corpus_files",
    "read_document",
]


@dataclass(frozen=True)
class CorpusFile:
    """A ``.txt`` file found in the corpus, with what incremental indexing compares."""

    path: str  # relative to the corpus root, always with "/" separators
    abspath: str
    size: int
    mtime_ns: int
    ctime_ns: int = 0  # a chmod changes only this: an update must notice a file made unreadable
    link: bool = False  # listed as a symbolic link (one that may be followed): else never read through one



TEXT_SUFFIX = ".txt"


def indexed_suffixes() -> tuple[str, ...]:
    """File name endings the corpus takes: ``.txt`` and every format :mod:`searcher.documents.formats` reads."""
    from searcher.documents.formats import SUPPORTED_SUFFIXES  # lazily: reading one file needs no worker pool

    return (TEXT_SUFFIX, *SUPPORTED_SUFFIXES)


def is_document(path: str) -> bool:
    """Whether ``path`` is read by :mod:`searcher.documents.formats` rather than as a ``.txt`` file.

    >>> is_document("a/b.PDF"), is_document("notes.txt")
    (True, False)
    """
    return path.lower().endswith(indexed_suffixes()[1:])


def iter_corpus_files(
    root: Path,
    exclude: list[Path] | None = None,
    problems: list[dict[str, str]] | None = None,
    select: Callable[[str, bool], bool] | None = None,
    follow: bool = False,
    links: list[str] | None = None,
) -> Iterator[CorpusFile]:
    """Yield every visible file under ``root`` that the index takes, sorted, skipping hidden ones.

    The index takes ``.txt`` files and the document formats (:func:`indexed_suffixes`).
    Hidden files and folders (starting with ``.``) and the folders in
    ``exclude`` (the index, when it lives inside the corpus) are not visited;
    nor is any path for which ``select(relpath, is_folder)`` is False
    (``.searchignore`` and ``--include``/``--exclude``, see :mod:`searcher.documents.selection`).
    Symbolic links that lead out of ``root`` are not followed (``/etc/shadow``
    linked into a shared folder must not become searchable), nor are links
    to folders inside it (their files are indexed where they are); the links
    passed over that lead out are appended to ``links``.  ``follow`` (rg's
    ``-L``) follows every link, to files and folders, except into a folder
    being walked (a loop).  Unreadable folders, entries that are not readable regular files
    (broken or looping links, FIFOs) and names that are not valid UTF-8 are
    passed over, each reported as ``{"path", "reason"}`` into ``problems``.
    """
    root = Path(root)
    excluded = {os.path.realpath(p) for p in (exclude or [])}
    suffixes = indexed_suffixes()
    root_real = os.path.realpath(root)

    def inside(real: str) -> bool:
        return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)

    def report(relpath: str, reason: str) -> None:
        if problems is not None:
            printable = relpath.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            problems.append({"path": printable, "reason": reason})

    def walk(folder: str, rel: str, walking: frozenset[str]) -> Iterator[CorpusFile]:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            report(rel.rstrip("/") or ".", f"cannot read folder: {exc.strerror or exc}")
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            relpath = f"{rel}{entry.name}"
            is_txt = entry.name.lower().endswith(suffixes)
            try:
                if entry.is_symlink() and os.path.exists(entry.path):  # broken and looping ones: below
                    real = os.path.realpath(entry.path)
                    is_folder = entry.is_dir()
                    if not follow and not inside(real) and (is_folder or is_txt):
                        if links is not None and (select is None or select(relpath, is_folder)):
                            links.append(relpath)
                        continue
                    if is_folder:
                        if follow and real not in walking and real not in excluded and (
                            select is None or select(relpath, True)
                        ):
                            yield from walk(entry.path, relpath + "/", walking | {real})
                        continue
                if entry.is_dir(follow_symlinks=False):
                    if os.path.realpath(entry.path) in excluded:
                        continue
                    if select is not None and not select(relpath, True):
                        continue
                    yield from walk(entry.path, relpath + "/", walking | {os.path.realpath(entry.path)})
                elif is_txt and select is not None and not select(relpath, False):
                    continue
                elif is_txt and entry.is_file():
                    if not _utf8_name(relpath):
                        report(relpath, "file name is not valid UTF-8")
                        continue
                    st = entry.stat()
                    yield CorpusFile(
                        relpath, entry.path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, entry.is_symlink()
                    )
                elif is_txt and not entry.is_dir():
                    broken = entry.is_symlink() and not os.path.exists(entry.path)
                    report(relpath, "broken symbolic link" if broken else "not a regular file")
            except OSError as exc:
                if is_txt:
                    report(relpath, f"cannot read: {exc.strerror or exc}")
                continue

    yield from walk(str(root), "", frozenset({root_real}))


def _utf8_name(relpath: str) -> bool:
    """False for a name with bytes that are not UTF-8 (decoded as lone surrogates)."""
    try:
        relpath.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True



def check_corpus(corpus: str | os.PathLike[str]) -> Path:
    """Return the corpus folder, or raise :class:`~searcher.errors.CorpusError` with a one-line reason."""
    corpus = Path(corpus)  # it may be an address with a password (-C opensearch://u:pw@…): redact
    if not corpus.exists():
        raise CorpusError(f"corpus folder not found: {redact(str(corpus))}")
    if not corpus.is_dir():
        raise CorpusError(f"corpus path is not a directory: {redact(str(corpus))}")
    if not os.access(corpus, os.R_OK | os.X_OK):
        raise CorpusError(f"corpus folder is not readable: {redact(str(corpus))}")
    return corpus


def read_document(root: str | os.PathLike[str], relpath: str) -> Document:
    """Read and split one corpus file, of any format.  Raises ``OSError`` or :class:`UnreadableFile`."""
    if is_document(relpath):
        from searcher.documents.formats import DocumentSkipped, paragraphs_of

        document = Document(path=relpath, title="")
        try:
            document.paragraphs = list(paragraphs_of(Path(root) / relpath, document))
        except DocumentSkipped as exc:
            raise UnreadableFile(exc.reason) from None
        return document
    with open(Path(root) / relpath, "rb") as stream:
        check = inspect_file(stream)
        document = Document(path=relpath, title="")
        document.paragraphs = list(iter_paragraphs(stream, check, document))
    return document
