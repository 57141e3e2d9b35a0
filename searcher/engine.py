"""The search engine: an index (a backend) and the one ranking that runs on it.

``Engine.open`` takes an index folder or a cluster address
(:func:`searcher.backends.open_backend`); :meth:`Engine.search` parses the
query, reads Telex/VNI typing, ranks with :class:`~searcher.search.ranking.Ranker`
and writes every note a result carries (budget cuts, words not in the index,
did-you-mean): the CLI and the TUI only print them.  The same corpus gives the
same hits on either backend.

>>> engine = Engine.open("index")                           # doctest: +SKIP
>>> for hit in engine.search("ngoại giao kinh tế", limit=3): # doctest: +SKIP
...     print(hit.path, hit.line, hit.text[:40])
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from searcher.backends import open_backend
from searcher.backends.base import Wanted
from searcher.documents.filters import PathFilter
from searcher.errors import IndexUnusable, QueryError, SearcherError
from searcher.search.query import ParsedQuery, parse_query
from searcher.search.ranking import Ranker, Request, StoredFields, hit_from_fields
from searcher.search.results import Hit, SearchResult
from searcher.search.rewrite import rewrite_note, rewrite_typed
from searcher.vietnamese import accents
from searcher.vietnamese.text import fold

if TYPE_CHECKING:
    from searcher.backends.base import Backend

__all__ = ["Engine", "Hit", "SearchResult", "DEFAULT_LIMIT", "DEFAULT_BUDGET", "LIVE_BUDGET"]

DEFAULT_LIMIT = 10
DEFAULT_BUDGET = 0.10  # seconds for all tiers of one query
LIVE_BUDGET = 0.02  # per keystroke in live search (prefix=True): typing must never wait
# When a query has an adjacent tier, the partial and scattered tiers only fill
# the slots it left; they get this much time in all, not the whole budget.
FILL_BUDGET = 0.006
SPELLINGS_BATCH = 32  # paragraphs the background reader reads per hold of the lock


class Engine:
    """A searchable index.  Thread-safe; reopens itself when the index is rebuilt."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.ranker = Ranker(backend)
        self._lock = threading.RLock()
        self._waiting = 0  # searches waiting for the lock
        self._waiting_lock = threading.Lock()

    @classmethod
    def open(cls, index: str | Path = "index") -> Engine:
        """Open the index folder ``index`` (raises :class:`~searcher.errors.IndexMissing` if there is none).

        ``index`` may also be a cluster address, ``opensearch://host:9200/NAME``
        (:mod:`searcher.backends.opensearch`): the engine then searches there, with the same ranking.
        """
        return cls(open_backend(index))

    # -- lifecycle -------------------------------------------------------

    @property
    def version(self) -> int:
        """Grows whenever the index this engine reads changes."""
        return self.backend.version

    def close(self) -> None:
        """Release the open files or connections."""
        with self._lock:
            self.backend.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def refresh(self, force: bool = False) -> bool:
        """Pick up a rebuilt or updated index; return True when something changed.

        Cheap enough to call before every search (a ``stat`` at most every 0.25 s
        locally, unless ``force``).  Every change also increments :attr:`version`,
        so a caller can tell whether the index changed since it last looked.
        """
        with self._lock:
            return self.backend.refresh(force)

    # -- facts about the index -----------------------------------------

    @property
    def corpus(self) -> Path:
        """The corpus folder this index was built from."""
        return self.backend.corpus

    def stats(self) -> dict[str, Any]:
        """Paragraph and file counts (``files`` with text, ``skipped`` files that have none),
        size on disk (bytes) and build time of the index."""
        with self._lock:
            self.backend.refresh()
            return self.backend.stats()

    def document(self, path: str) -> list[Hit]:
        """Every indexed paragraph of one document, in order (no spans, score 0)."""
        with self._lock:
            self.backend.refresh()
            rows = self.backend.document(path)
        return [hit_from_fields(0, 0.0, fields, [], self.corpus) for fields in rows]

    def warm(self) -> None:
        """Precompute what the first keystrokes of a live search ask for (the completions of every
        one- and two-letter prefix).  Live search calls this once in the background after opening."""
        with self._lock:
            try:
                self.backend.warm()
            except SearcherError:
                return

    # -- searching -------------------------------------------------------

    def search(
        self,
        query: str,
        limit: int = DEFAULT_LIMIT,
        *,
        prefix: bool = False,
        budget: float | None = None,
        cancelled: Callable[[], bool] | None = None,
        all_words: bool = False,
        under: str = "",
        globs: Sequence[str] = (),
        types: Sequence[str] = (),
        types_not: Sequence[str] = (),
        highlight: bool = True,
    ) -> SearchResult:
        """Search and return up to ``limit`` ranked hits.

        ``prefix=True`` treats an unfinished last word as a prefix (live
        search).  ``budget`` bounds the time spent, in seconds (default 0.1 s,
        0.02 s with ``prefix``, both per 10 hits asked for; 0 means no limit);
        the best hits found in time are returned.
        ``result.complete`` is False when the budget cut the best tiers short
        (the note says so); ``result.filled`` is False when the lower tiers,
        which only fill the slots that adjacent matches left free and get a
        few milliseconds, were cut short.  ``cancelled``
        is polled during the search and stops it early when it returns True.

        Paragraphs with every word come first (the strict tiers; for a query of
        five words or more, a question, only those with it whole as a phrase).
        When they are fewer than ``limit``, best match follows: paragraphs
        with *most* of the words, ranked by how much they match; each such hit
        lists the words it lacks in ``hit.missing``.  ``all_words=True`` turns
        best match off (grep's meaning: every word must match).

        ``under`` (a folder of the index, relative to the indexed folder),
        ``globs`` (ripgrep's ``-g``: gitignore syntax, ``!`` leaves out, the last
        match wins) and ``types`` / ``types_not`` (``"pdf"``, ``"md"``…: see
        :data:`searcher.documents.filters.FILE_TYPES`) keep the search to some files
        (:class:`searcher.documents.filters.PathFilter`); a bad one raises
        :class:`~searcher.documents.filters.FilterError`.
        ``highlight=False`` leaves every hit's ``spans`` empty: much faster when
        thousands of hits are only counted (``search -c``).
        Raises :class:`~searcher.errors.QueryError` for a query with no words.

        >>> [h.title for h in engine.search("ngoai giao", limit=2)]  # doctest: +SKIP
        """
        started = time.perf_counter()
        parsed = parse_query(query, prefix=prefix)
        if parsed.empty:
            raise QueryError("the query has no words to search for")
        scope = PathFilter(under=under, globs=tuple(globs), types=tuple(types), types_not=tuple(types_not))
        limit = max(1, int(limit))
        if budget is None:
            # More hits asked for, more time allowed: ranking 3,000 takes longer than 10.
            scale = max(1.0, limit / DEFAULT_LIMIT)
            budget = (LIVE_BUDGET if prefix else DEFAULT_BUDGET) * scale
            fill_budget = FILL_BUDGET * scale
        else:
            budget = budget if budget > 0 else 86400.0
            fill_budget = budget  # an explicit budget is the caller's to spend
        with self._waiting_lock:
            self._waiting += 1  # the background reading of spellings steps aside
        with self._lock:
            with self._waiting_lock:
                self._waiting -= 1
            request = Request(limit, budget, fill_budget, scope, cancelled, all_words, highlight)
            as_typed = parsed
            try:
                self.backend.refresh()
                parsed, rewrites = rewrite_typed(as_typed, self.backend.known)
                ranked = self.ranker.rank(parsed, request, started)
            except SearcherError:
                raise
            except Exception as exc:  # Whoosh reports damage in many shapes
                # A rebuild may have swapped the index out from under us: reopen once, and search again.
                self.backend.recover(exc)
                try:
                    parsed, rewrites = rewrite_typed(as_typed, self.backend.known)
                    ranked = self.ranker.rank(parsed, request, time.perf_counter())
                except SearcherError:
                    raise
                except Exception as again:  # damaged after all: one line, no traceback
                    raise IndexUnusable(
                        f"the index looks damaged ({type(again).__name__}); rebuild it with: search-index --full"
                    ) from None
            parsed = ranked.parsed
            unknown = self._unknown_words(parsed)
            source = self.backend.term_source()
            suggestion = accents.suggest(source, parsed) if source is not None else None
            spelling_cut = self.ranker.spellings.cut if ranked.view is not None and ranked.view.lasting else ()
            self._read_spellings_later()
        result = SearchResult(ranked.hits, parsed)
        result.suggestion = suggestion
        if rewrites:
            result.rewrites = rewrites
            result.notes.insert(0, rewrite_note(rewrites))
        result.complete, result.filled, result.unknown = ranked.complete, ranked.filled, unknown
        if unknown and result:
            result.notes.append("not in the index: " + " ".join(unknown))
        if not ranked.complete:
            result.notes.append("search stopped at its time budget: these are the best hits found so far")
        elif spelling_cut and len(result) >= limit:
            typed = ", ".join(dict.fromkeys(w.text for w in parsed.words if fold(w.text) in spelling_cut))
            result.notes.append(
                f"paragraphs that spell {typed} as you did may be missing from the top: finding them ran out of time "
                "(--budget 0 ranks every match)"
            )
        elif not ranked.filled and len(result) < limit:
            result.notes.append(
                f"{len(result)} hit{'' if len(result) == 1 else 's'} shown; more paragraphs may match, "
                "but ranking them "
                "ran out of time (--budget 0 ranks every match)"
            )
        result.elapsed = time.perf_counter() - started
        return result

    def _unknown_words(self, parsed: ParsedQuery) -> list[str]:
        """The query's words (as typed) that no paragraph contains, in any diacritic form."""
        unknown: list[str] = []
        for word in parsed.words:
            # An unfinished word is unknown when no indexed word starts with it.
            if word.text not in unknown and not self.backend.known("folded", word.folded, word is parsed.prefix):
                unknown.append(word.text)
        return unknown

    # -- the spellings a live search had no time to read ------------------

    def _read_spellings_later(self) -> None:
        """Start reading, in the background, the spellings a search ran out of time for (the caller holds the lock).

        The live search's own-spelling tiers get a few milliseconds a keystroke: for a syllable
        that thousands of paragraphs spell the other way (*lý do* for ``lí do``), the next
        keystroke then finds them known, and its first paint already has the user's spelling on top.
        """
        spellings = self.ranker.spellings
        if not spellings.pending or spellings.reading:
            return
        spellings.reading = True
        version = self.backend.version
        threading.Thread(
            target=self._read_spellings, args=(spellings, version), name="searcher-spellings", daemon=True
        ).start()

    def _read_spellings(self, spellings: Any, version: int) -> None:
        """Read what the pending paragraphs spell, a few at a time, each batch under the lock
        (searches wait at most one batch: about a millisecond)."""
        try:
            while True:
                with self._lock:
                    if (
                        self.ranker.spellings is not spellings
                        or self.backend.version != version
                        or not spellings.pending
                    ):
                        return
                    view = self.backend.view(Wanted(), PathFilter())
                    if not view.lasting:
                        return
                    syllables, candidates = spellings.pending[-1]
                    stored = StoredFields(view)
                    done = 0
                    for candidate in candidates[:SPELLINGS_BATCH].tolist():
                        docnum = stored.docnum(int(candidate))
                        if docnum is not None:
                            for syllable in syllables:
                                spellings.spells(stored, docnum, syllable)
                        done += 1
                    rest = candidates[done:]
                    if len(rest):
                        spellings.pending[-1] = (syllables, rest)
                    else:
                        spellings.pending.pop()
                time.sleep(0)
                for _ in range(100):  # a search wants the lock: it goes first (then the next one may)
                    if not self._waiting:
                        break
                    time.sleep(0.001)
        except Exception:  # a background reader must never raise
            return  # an index swapped out meanwhile: the next search starts afresh
        finally:
            spellings.reading = False

    def spellings_read(self) -> bool:
        """Whether no spelling is left to read in the background (for tests)."""
        spellings = self.ranker.spellings
        return not spellings.pending and not spellings.reading
