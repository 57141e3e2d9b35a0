"""The public builds, ``from searcher import build_index, ensure_index``: a local index or a cluster.

An index folder is built by :mod:`searcher.index.build`; an ``opensearch://``
(or ``opensearchs://``) address by :mod:`searcher.backends.opensearch`, imported
only when such an address is given.  Both take the same arguments and return the
same :class:`~searcher.index.feed.BuildSummary`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from searcher.backends import is_remote

if TYPE_CHECKING:
    from searcher.index.feed import BuildSummary, Progress

__all__ = ["build_index", "ensure_index"]


def build_index(
    corpus: str | os.PathLike[str],
    index: str | os.PathLike[str],
    *,
    full: bool = False,
    progress: Callable[[Progress], None] | None = None,
    wait: float = 5.0,
    parallel: bool = True,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    keep_workers: bool = False,
    follow: bool | None = None,
) -> BuildSummary:
    """Bring the index at ``index`` (a folder, or an ``opensearch://`` address) up to date with ``corpus``.

    Incremental unless ``full`` is true or there is no usable index yet.
    ``include``/``exclude`` are gitignore-style patterns choosing files (with
    the folder's ``.searchignore``); None keeps the ones the index was built
    with.  Symbolic links leading out of the folder are not followed (the
    summary counts them) unless ``follow``; None keeps the choice the index
    was built with (a cluster never follows them).  The document parsers'
    worker processes are stopped at the end unless ``keep_workers`` (a watcher
    building again soon); ``parallel`` lets a large local build write in
    several processes.  Raises :class:`~searcher.errors.CorpusError` for a
    missing corpus and :class:`~searcher.errors.IndexBusy` when another build
    holds the lock.

    >>> summary = build_index("corpus", "index")      # doctest: +SKIP
    >>> summary.added, summary.paragraphs              # doctest: +SKIP
    (4, 131)
    """
    if is_remote(index):  # opensearch://host:port/NAME: the same build, into a cluster
        from searcher.backends.opensearch import build_opensearch

        summary: BuildSummary = build_opensearch(
            corpus, str(index), full=full, progress=progress, wait=wait, include=include, exclude=exclude
        )
        return summary
    from searcher.index import build

    return build.build_index(
        corpus,
        index,
        full=full,
        progress=progress,
        wait=wait,
        parallel=parallel,
        include=include,
        exclude=exclude,
        keep_workers=keep_workers,
        follow=follow,
    )


def ensure_index(
    corpus: str | os.PathLike[str],
    index: str | os.PathLike[str],
    *,
    progress: Callable[[Progress], None] | None = None,
    on_build: Callable[[str], None] | None = None,
    wait: float = 5.0,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
) -> BuildSummary | None:
    """Make sure there is an index at ``index`` (a folder or an address), built from ``corpus`` if there is none.

    The first-use build of ``search``, of the TUI and of API users.  Returns
    the build's summary, or None when an index was already there.  An index
    that exists but cannot be used raises :class:`~searcher.errors.IndexUnusable`
    (it is never replaced behind the user's back); a missing corpus raises
    :class:`~searcher.errors.CorpusError` before anything is written.
    ``on_build`` receives one line (``no index at index yet; indexing corpus …``)
    just before a build starts; ``progress`` is passed to :func:`build_index`
    (raising from it cancels the build).  Safe to call from any thread.

    >>> ensure_index("corpus", "index")          # doctest: +SKIP
    BuildSummary(mode='full', ..., paragraphs=98, ...)
    """
    if is_remote(index):
        from searcher.backends.opensearch.backend import OpenSearchBackend
        from searcher.documents.corpus import check_corpus
        from searcher.errors import IndexMissing

        try:
            OpenSearchBackend(str(index)).close()
            return None
        except IndexMissing:
            check_corpus(corpus)
            if on_build is not None:
                on_build(f"no index at {index} yet; indexing {corpus} …")
            return build_index(corpus, index, progress=progress, wait=wait, include=include, exclude=exclude)
    from searcher.index import build

    return build.ensure_index(
        corpus, index, progress=progress, on_build=on_build, wait=wait, include=include, exclude=exclude
    )
