"""The search engine: open an index, run a query's tiers under a time budget, build ranked hits.

:mod:`searcher.search.planning` turns a query into tiers (adjacent, partial,
scattered; exact diacritics first); this module runs them, best first, each
tier filling the result list only with paragraphs the tiers before it did not
return.  Within a tier, Whoosh's BM25F orders the hits.  Every query runs
under a time budget, checked once per posting block, so a query over very
frequent syllables returns the best hits found in time instead of stalling;
once an adjacent tier has found hits, the partial and scattered tiers, which
only fill the slots it left, get a few milliseconds of that budget.

Every note a result carries (budget cuts, capped queries) is written here:
the CLI and the TUI only print them.

>>> engine = Engine.open("index")                           # doctest: +SKIP
>>> for hit in engine.search("ngoại giao kinh tế", limit=3): # doctest: +SKIP
...     print(hit.path, hit.line, hit.text[:40])
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

if TYPE_CHECKING:
    from searcher.search.bestmatch import BestMatchIndex, Candidates

from whoosh.query import Or, Query, Term

from searcher.vietnamese import accents
from searcher.search import bestmatch
from searcher.search import matching
from searcher.vietnamese.analysis import pair_term, read_text
from searcher.errors import IndexUnusable, QueryError, SearcherError
from searcher.documents.filters import PathFilter
from searcher.search.highlight import highlight_spans, words_found
from searcher.search.planning import LONG_QUERY, Check, Tier, phrase_query, plan_query, tiers_to_run, word_count
from searcher.search.query import Clause, ParsedQuery, QueryWord, parse_query
from searcher.search.rewrite import rewrite_note, rewrite_typed
from searcher.vietnamese.text import exact_term, fold, iy_sensitive
from searcher.index.schema import KIND_FILE, KIND_PARAGRAPH
from searcher.index.store import Generation, IndexLocation
from searcher.search.bestmatch import term_key

__all__ = ["Engine", "Hit", "SearchResult"]

DEFAULT_LIMIT = 10
DEFAULT_BUDGET = 0.10  # seconds for all tiers of one query
LIVE_BUDGET = 0.02  # per keystroke in live search (prefix=True): typing must never wait
PREFIX_EXPANSIONS = 12  # completions of an unfinished last word that are searched
TIER_STEP = 100.0  # scores of a better tier start this much higher
# When a query has an adjacent tier, the partial and scattered tiers only fill
# the slots it left; they get this much time in all, not the whole budget.
FILL_BUDGET = 0.006
MIN_SLICE = 0.004  # the best tier always gets at least this long
EXACT_BOOST = 0.5  # a marked word found with the same marks adds half its IDF
BEST_POOL = 130  # best-match candidates ranked at least (what the live search's fuller pass of 50 hits asks for)
BEST_SCALE = 20.0  # a best-match BM25 score s shows as 100·s/(s+20): below every strict tier


@dataclass
class Hit:
    """One matching paragraph.

    ``path`` is relative to the corpus root and ``file`` is its absolute path;
    ``line`` is the 1-based line where the paragraph starts; ``paragraph`` is
    its 0-based ordinal in the document; ``spans`` are ``(start, end)``
    character offsets of the matches in ``text``.
    """

    rank: int
    score: float
    path: str
    line: int
    paragraph: int
    title: str
    text: str
    spans: list[tuple[int, int]]
    file: str
    exact: bool = True  # False when only the diacritic-folded form matched
    column: int = 0  # 0-based start column in ``line`` (windows of very long lines)
    # The query's words (as typed) that this paragraph has, and those it lacks:
    # a best-match hit of a long question lacks some (``missing=["gì"]``).
    matched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def complete_match(self) -> bool:
        """Whether the paragraph has every word of the query."""
        return not self.missing
    page: int | None = None  # PDF page (1-based); ``line`` is then the line on that page
    chapter: int | None = None  # EPUB chapter (1-based); ``line`` is then the paragraph in it
    sheet: str | None = None  # spreadsheet: the sheet, and ``cell`` the row's first cell ("B7")
    cell: str | None = None
    slide: int | None = None  # slides (1-based); ``line`` is then the paragraph on the slide
    ocr: bool = False  # the text was read from a scan by OCR (it may hold errors)

    def place(self) -> dict[str, Any]:
        """The keyword arguments of :func:`searcher.cli.presentation.where` beyond line, page and chapter."""
        return {"sheet": self.sheet, "cell": self.cell, "slide": self.slide, "ocr": self.ocr}

    def to_json(self, path: str | None = None) -> dict[str, Any]:
        """The ``--json`` record (``path`` may be replaced by a display path)."""
        return {
            "rank": self.rank,
            "score": round(self.score, 4),
            "path": path if path is not None else self.path,
            "line": self.line,
            "paragraph": self.paragraph,
            "title": self.title,
            "text": self.text,
            "spans": [list(s) for s in self.spans],
            "matched": list(self.matched),
            "missing": list(self.missing),
            **({"page": self.page} if self.page is not None else {}),
            **({"chapter": self.chapter} if self.chapter is not None else {}),
            **({"sheet": self.sheet, "cell": self.cell} if self.sheet is not None else {}),
            **({"slide": self.slide} if self.slide is not None else {}),
            **({"ocr": True} if self.ocr else {}),
        }


class SearchResult(list):  # type: ignore[type-arg]
    """The hits of one query (a list of :class:`Hit`) plus how the search went."""

    query: ParsedQuery
    elapsed: float = 0.0
    complete: bool = True  # False when the time budget cut the main tiers short
    filled: bool = True  # False when the lower (non-adjacent) tiers were cut short
    notes: list[str]
    # Query words (as typed) that no paragraph of the index contains.
    unknown: list[str]
    # "Did you mean": the query with its marks restored, when clearly more likely.
    suggestion: str | None = None
    # (as typed, as searched) for words read as Telex/VNI typing (``ngoaij`` → ``ngoại``).
    rewrites: list[tuple[str, str]]

    def __init__(self, hits: Iterable[Hit], query: ParsedQuery) -> None:
        super().__init__(hits)
        self.query = query
        self.notes = list(query.notes)
        self.unknown = []
        self.rewrites = []


class Engine:
    """A searchable index.  Thread-safe; reopens itself when the index is rebuilt."""

    def __init__(self, location: IndexLocation) -> None:
        self.location = location
        self._lock = threading.RLock()
        self._generation: Generation | None = None
        self._ix: Any = None
        self._searcher: Any = None
        self._stamp: Any = None
        self._checked = 0.0
        self.version = 0  # grows whenever the index this engine reads changes
        # Worked out for the searcher in use, and dropped with it (see _use).
        self._completions: dict[tuple[str, str], Query | None] = {}
        self._best: BestMatchIndex | None = None
        self._source: _TermSource | None = None
        self._docnum_table: _Docnums | None = None
        self._scopes: dict[PathFilter, Any] = {}
        self._spellings = _Spellings()
        self._waiting = 0  # searches waiting for the lock
        self._waiting_lock = threading.Lock()
        self._open()

    @classmethod
    def open(cls, index: str | Path = "index") -> "Engine":
        """Open the index folder ``index`` (raises :class:`~searcher.errors.IndexMissing` if there is none).

        ``index`` may also be a cluster address, ``opensearch://host:9200/NAME``
        (:mod:`searcher.backends.opensearch`): the engine returned then searches there.
        """
        from searcher.backends import is_remote

        if is_remote(index):
            from searcher.backends.opensearch import OpenSearchEngine

            return OpenSearchEngine(str(index))
        return cls(IndexLocation(index))

    # -- lifecycle -------------------------------------------------------

    def _open(self) -> None:
        last_error: Exception | None = None
        for _attempt in range(5):
            stamp = self.location.current_stamp()
            generation = self.location.current()
            try:
                ix = generation.open()
                searcher = ix.searcher()
            except IndexUnusable as exc:
                # The generation may have been swapped out between reading
                # CURRENT and opening it: read CURRENT again and retry.
                last_error = exc
                if self.location.current_stamp() != stamp:
                    continue
                raise
            except OSError as exc:
                last_error = exc
                time.sleep(0.05)
                continue
            self._close()
            self._generation, self._ix, self._stamp = generation, ix, stamp
            self._use(searcher)
            self._checked = time.monotonic()
            return
        raise IndexUnusable(f"index at {self.location.root} could not be opened: {last_error}")

    def _use(self, searcher: Any) -> None:
        """Read the index through ``searcher`` from now on; what was worked out for the previous
        one (completions, postings, the pid table, did-you-mean's source) goes with it."""
        self._searcher = searcher
        self._completions = {}
        self._best = self._docnum_table = self._source = None
        self._scopes = {}
        self._spellings = _Spellings()
        self.version += 1

    def _close(self) -> None:
        if self._searcher is not None:
            try:
                self._searcher.close()
            except Exception:
                pass
        if self._ix is not None:
            try:
                self._ix.close()
            except Exception:
                pass
        self._searcher = self._ix = None

    def close(self) -> None:
        """Release the open files."""
        with self._lock:
            self._close()

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def refresh(self, force: bool = False) -> bool:
        """Pick up a rebuilt or updated index; return True when something changed.

        Cheap enough to call before every search (a ``stat`` at most every 0.25 s,
        unless ``force``).  Every change also increments :attr:`version`, so a
        caller can tell whether the index changed since it last looked.
        """
        with self._lock:
            now = time.monotonic()
            if not force and now - self._checked < 0.25 and self._searcher is not None:
                return False
            self._checked = now
            if self._searcher is None or self.location.current_stamp() != self._stamp:
                self._open()
                return True
            try:
                if not self._searcher.up_to_date():
                    self._use(self._searcher.refresh())
                    return True
            except Exception:
                self._open()
                return True
            return False

    # -- facts about the index -----------------------------------------

    @property
    def corpus(self) -> Path:
        """The corpus folder this index was built from."""
        assert self._generation is not None
        return Path(self._generation.meta.get("corpus", "."))

    @property
    def generation(self) -> Generation:
        assert self._generation is not None
        return self._generation

    def stats(self) -> dict[str, Any]:
        """Paragraph and file counts (``files`` with text, ``skipped`` files that have none),
        size on disk (bytes) and build time of the index."""
        with self._lock:
            self.refresh()
            searcher = self._searcher
            records = [searcher.stored_fields(d).get("info") or {} for d in searcher.document_numbers(kind=KIND_FILE)]
            skipped = sum(1 for info in records if info.get("skipped"))
            return {
                "paragraphs": searcher.doc_count() - len(records),
                # Counted as search-index counts them: files with text; the skipped ones apart.
                "files": len(records) - skipped,
                "skipped": skipped,
                "bytes": self.generation.size(),
                "built": self.generation.updated(),
                "generation": self.generation.name,
                "corpus": str(self.corpus),
            }

    def document(self, path: str) -> list[Hit]:
        """Every indexed paragraph of one document, in order (no spans, score 0)."""
        with self._lock:
            self.refresh()
            rows = [
                fields
                for fields in self._searcher.documents(path=path)
                if fields.get("kind") == KIND_PARAGRAPH
            ]
        rows.sort(key=lambda f: f["ordinal"])
        return [self._hit(0, 0.0, fields, []) for fields in rows]

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
        rewrites: list[tuple[str, str]] = []
        suggestion: str | None = None
        spelling_cut: tuple[str, ...] = ()
        with self._waiting_lock:
            self._waiting += 1  # the background reading of spellings steps aside
        with self._lock:
            with self._waiting_lock:
                self._waiting -= 1
            try:
                self.refresh()
                clock = self._opened(started)
                parsed, rewrites = rewrite_typed(parsed, self._known)
                result_hits, complete, filled = self._search_once(
                    parsed, limit, clock, budget, fill_budget, cancelled, all_words, self._allowed(scope), highlight
                )
                if not result_hits and not all_words:
                    # A question often quotes a title the folder has in other words (or not at all):
                    # best match then searches the words of the phrases that no paragraph holds.
                    loose, dropped = self._unquote_missing(parsed)
                    if dropped:
                        parsed = loose
                        result_hits, complete, filled = self._search_once(
                            parsed, limit, time.perf_counter(), budget, fill_budget, cancelled, all_words
                        )
                        phrases = ", ".join(f"\"{' '.join(w.text for w in c.words)}\"" for c in dropped)
                        parsed.notes.append(f"no paragraph has {phrases} as a phrase: best match searched its words")
                unknown = self._unknown_words(parsed)
                suggestion = accents.suggest(self._term_source(), parsed)
                spelling_cut = self._spellings.cut
                self._read_spellings_later()
            except SearcherError:
                raise
            except Exception as exc:  # Whoosh reports damage in many shapes
                # A rebuild may have swapped the index out from under us: reopen once.
                try:
                    changed = self.location.current_stamp() != self._stamp
                    if changed:
                        self._open()
                        result_hits, complete, filled = self._search_once(
                            parsed,
                            limit,
                            self._opened(time.perf_counter()),
                            budget,
                            fill_budget,
                            cancelled,
                            all_words,
                            self._allowed(scope),
                            highlight,
                        )
                        unknown = self._unknown_words(parsed)
                except SearcherError:
                    raise
                except Exception:
                    changed = False
                if not changed:
                    raise IndexUnusable(
                        f"index at {self.location.root} looks damaged ({type(exc).__name__}); "
                        "rebuild it with: search-index --full"
                    ) from None
        result = SearchResult(result_hits, parsed)
        result.suggestion = suggestion
        if rewrites:
            result.rewrites = rewrites
            result.notes.insert(0, rewrite_note(rewrites))
        result.complete = complete
        result.filled = filled
        result.unknown = unknown
        if unknown and result_hits:
            result.notes.append("not in the index: " + " ".join(unknown))
        if not complete:
            result.notes.append("search stopped at its time budget: these are the best hits found so far")
        elif spelling_cut and len(result) >= limit:
            typed = ", ".join(dict.fromkeys(w.text for w in parsed.words if fold(w.text) in spelling_cut))
            result.notes.append(
                f"paragraphs that spell {typed} as you did may be missing from the top: finding them ran out of time "
                "(--budget 0 ranks every match)"
            )
        elif not filled and len(result) < limit:
            result.notes.append(
                f"{len(result)} hit{'' if len(result) == 1 else 's'} shown; more paragraphs may match, but ranking them "
                "ran out of time (--budget 0 ranks every match)"
            )
        result.elapsed = time.perf_counter() - started
        return result

    def _search_once(
        self,
        parsed: ParsedQuery,
        limit: int,
        started: float,
        budget: float,
        fill_budget: float,
        cancelled: Callable[[], bool] | None,
        all_words: bool = False,
        allowed: Any = None,
        highlight: bool = True,
    ) -> tuple[list[Hit], bool, bool]:
        """Run the tiers of one query (the caller holds the lock); ``allowed`` is a mask by docnum
        (:meth:`_allowed`) of the paragraphs searched, None for all."""
        searcher = self._searcher
        terms = self._terms()
        stored = _StoredFields(searcher, self._docnums())  # each hit's stored fields are read once per query
        self._spellings.cut = ()
        deadline = started + budget
        plan = plan_query(parsed, lambda field, prefix: self._complete(terms, field, prefix), own_spelling=True)
        tiers, plan_whole = tiers_to_run(plan, parsed, all_words), plan.whole
        # For a long query the best-match pass goes first: when it finds that no
        # paragraph has every word, the strict tiers need not run at all.  A
        # short query runs the strict tiers first and best match only when they
        # leave slots free.
        candidates = None
        if word_count(parsed) >= LONG_QUERY:
            candidates = self._best_candidates(parsed, plan.completions, limit, allowed)
            if candidates is not None and candidates.best_coverage < word_count(parsed):
                tiers = []
        # Planning a new prefix can eat the budget; the first tier still runs.
        deadline = max(deadline, time.perf_counter() + MIN_SLICE)
        fill_deadline: float | None = None
        found: dict[int, tuple[float, bool]] = {}
        matched: dict[int, matching.Matches] = {}  # an own-spelling tier and its tier share one query
        complete = filled = True
        adjacent_found = False
        for number, tier in enumerate(tiers):
            wanted = limit - len(found)
            if wanted <= 0:
                break
            if cancelled is not None and cancelled():
                complete = False
                break
            # The lower tiers only fill what adjacent matches left: once those
            # found something, the rest gets a slice of the budget.  When they
            # found nothing, the lower tiers are the answer and get it all.
            filler = adjacent_found and not tier.adjacent
            now = time.perf_counter()
            tier_deadline = deadline
            if filler:
                if fill_deadline is None:
                    fill_deadline = now + fill_budget
                tier_deadline = min(deadline, fill_deadline)
            if tier.own_spelling:
                # The own-spelling half of a tier reads the text of candidates that mostly have the
                # other spelling: at most half of what is left, so that the tier itself still runs.
                tier_deadline = min(tier_deadline, max(now + MIN_SLICE, now + (tier_deadline - now) / 2))
            if now > tier_deadline:
                if filler or tier.own_spelling:
                    filled = False
                    continue  # a later adjacent tier may still fit
                complete = False
                break
            hits, finished = self._run(
                stored, terms, tier, wanted, set(found), tier_deadline, cancelled, matched, self._spellings, allowed
            )
            if filler or tier.own_spelling:
                filled = filled and finished
            else:
                complete = complete and finished
            bonus = (len(tiers) - number) * TIER_STEP
            for docnum, score in hits:
                found[docnum] = (bonus + min(score, TIER_STEP - 1), tier.exact)
            adjacent_found = adjacent_found or (tier.adjacent and bool(hits))
        strict = set(found)
        if candidates is None and len(found) < limit and (not all_words or not (complete and filled)):
            candidates = self._best_candidates(parsed, plan.completions, limit, allowed)
        if candidates is not None and len(strict) >= candidates.full_matches:
            # Every paragraph with all the words is in: nothing a cut tier could have added.
            complete = filled = True
        # Equal scores (the same paragraph in two files is common: two versions of
        # a law) go in the folder's order: the pids, numbered as the build read
        # the files.  Not the docnums: a parallel build's segments come in the
        # order its workers finished, so two builds of one folder numbered the
        # same paragraphs differently.
        order = {docnum: int(terms.order[docnum]) for docnum in found}
        if candidates is not None and not all_words and len(found) < limit:
            for docnum, score, exact, pid in self._best_hits(stored, parsed, candidates, strict, limit - len(found)):
                # Below every strict tier, in BM25's order.
                found[docnum] = (TIER_STEP * score / (score + BEST_SCALE), exact)
                order[docnum] = pid
        complete = complete and plan_whole
        ranked = sorted(found.items(), key=lambda item: (-item[1][0], order[item[0]]))
        result_hits = []
        for rank, (docnum, (score, exact)) in enumerate(ranked, 1):
            fields = stored(docnum)
            spans = highlight_spans(fields["text"], parsed) if highlight else []
            hit = self._hit(rank, score, fields, spans, exact)
            if docnum in strict:
                hit.matched = [w.text for w in parsed.words]  # the strict tiers require every word
            else:
                hit.matched, hit.missing, hit.exact = words_found(fields["text"], parsed)
            result_hits.append(hit)
        return result_hits, complete, filled

    def _read_spellings_later(self) -> None:
        """Start reading, in the background, the spellings a search ran out of time for (the caller holds the lock).

        The live search's own-spelling tiers get a few milliseconds a keystroke: for a syllable
        that thousands of paragraphs spell the other way (*lý do* for ``lí do``), the next
        keystroke then finds them known, and its first paint already has the user's spelling on top.
        """
        spellings = self._spellings
        if not spellings.pending or spellings.reading:
            return
        spellings.reading = True
        threading.Thread(target=self._read_spellings, args=(spellings,), name="searcher-spellings", daemon=True).start()

    def _read_spellings(self, spellings: _Spellings) -> None:
        """Read what the pending paragraphs spell, a few at a time, each batch under the lock
        (searches wait at most one batch: about a millisecond)."""
        try:
            while True:
                with self._lock:
                    if self._spellings is not spellings or self._searcher is None or not spellings.pending:
                        return
                    syllables, candidates = spellings.pending[-1]
                    stored = _StoredFields(self._searcher, self._docnums())
                    done = 0
                    for candidate in candidates[:32].tolist():
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
        except Exception:  # noqa: BLE001  (a background reader must never raise)
            return  # an index swapped out meanwhile: the next search starts afresh
        finally:
            spellings.reading = False

    def spellings_read(self) -> bool:
        """Whether no spelling is left to read in the background (for tests)."""
        return not self._spellings.pending and not self._spellings.reading

    def _unquote_missing(self, parsed: ParsedQuery) -> tuple[ParsedQuery, list[Clause]]:
        """``parsed`` with every quoted phrase that no paragraph holds made plain words, and those phrases."""
        terms = self._terms()
        stored = _StoredFields(self._searcher, self._docnums())
        dropped: list[Clause] = []
        clauses: list[Clause] = []
        for clause in parsed.clauses:
            if clause.quoted and len(clause.words) > 1 and not self._holds(terms, stored, clause):
                dropped.append(clause)
                clauses.extend(Clause((w,)) for w in clause.words)
            else:
                clauses.append(clause)
        if not dropped:
            return parsed, []
        return replace(parsed, clauses=clauses, notes=list(parsed.notes)), dropped

    @staticmethod
    def _holds(terms: BestMatchIndex, stored: _StoredFields, clause: Clause, most: int = 200) -> bool:
        """Whether some paragraph has the quoted phrase ``clause`` (its syllables in a row, folded).

        The pair terms say it for two syllables; for more, they are the candidates whose text
        is read (at most ``most``: past that, the phrase is taken to be there)."""
        keys = [w.folded for w in clause.words]
        found = matching.evaluate(terms, phrase_query("pairs", keys)).docnums
        if len(keys) == 2 or not len(found):
            return bool(len(found))
        for candidate in found[:most].tolist():
            docnum = stored.docnum(int(candidate))
            if docnum is not None and _contains(list(read_text(stored(docnum).get("text", "")).terms), keys):
                return True
        return len(found) > most

    def _opened(self, started: float) -> float:
        """Open the postings and the pid table of the index state in use, and return ``started``
        moved by what that took (numpy's import, the first time): opening is not ranking, so it is
        not charged to the search's budget."""
        before = time.perf_counter()
        self._terms()
        self._docnums()
        return started + (time.perf_counter() - before)

    def _terms(self) -> "BestMatchIndex":
        """The syllable fields' postings of the Whoosh commit the searcher reads (opened once per searcher)."""
        if self._best is None:
            self._best = bestmatch.BestMatchIndex(self._searcher.reader())
        return self._best

    def _best_candidates(
        self, parsed: ParsedQuery, completions: Query | None, limit: int, allowed: Any = None
    ) -> "Candidates | None":
        """The best-match pass: BM25 over every paragraph with any of the words (None for a one-word query)."""
        groups: dict[str, list[str]] = {}
        for word in parsed.words:
            if word is not parsed.prefix:
                groups.setdefault(word.folded, [word.folded])
        if parsed.prefix is not None:
            texts = [t.text for t in completions.leaves()] if completions is not None else []
            groups.setdefault("\0prefix", [str(t) for t in texts] or [parsed.prefix.folded])
        if len(groups) < 2:
            return None
        index = self._terms()
        full = [w for w in parsed.words if w is not parsed.prefix]
        pairs = [pair_term(a.folded, b.folded) for a, b in zip(full, full[1:])]
        excluded = [c.words[0].folded for c in parsed.excluded if len(c.words) == 1 and not c.words[0].marked]
        # A short query's best-match hits have at least half its words: "thương mại và đầu tư"
        # is not answered by paragraphs that share only "và".  A long question needs two.
        min_words = bestmatch.min_words(len(groups))
        # (Paragraphs with every word are never left out, so the coverage counts stay true.)
        # The pool does not shrink with the hits asked for: the exact-diacritic and spelling bonuses
        # reorder it, so a smaller pool would rank the top differently (the CLI's 10 hits, the live search's 20).
        pool = max(limit * 2 + 30, BEST_POOL)
        return index.search(
            list(groups.values()), pairs, excluded=excluded, allowed=allowed, limit=pool, min_words=min_words
        )

    def _best_hits(
        self, stored: "_StoredFields", parsed: ParsedQuery, candidates: "Candidates", strict: set[int], wanted: int
    ) -> list[tuple[int, float, bool, int]]:
        """Best-match candidates that honour phrases and exclusions, with exact diacritics counted, best first.

        Returns ``(docnum, score, exact, pid)``; equal scores keep the pids' order (the folder's).
        """
        import heapq

        index = self._terms()
        order = index.order
        kept: list[tuple[float, int, bool, int]] = []
        best: list[float] = []  # the ``wanted`` best scores kept so far (a heap: its first is the lowest)
        marked = [w for w in parsed.words if w.marked and w is not parsed.prefix]
        # kỹ and kĩ are one term: a paragraph that has the word only in the other spelling loses
        # what an exact mark adds (a loss, not a gain: a word that everyone spells one way, such as
        # the *vì* of "vi sao", must not weigh more in a question than its other words).
        spelled = [w for w in parsed.words if w is not parsed.prefix and iy_sensitive(w.folded)]
        # The most the exact-diacritic bonus can add: candidates come in BM25
        # order, so once one cannot catch up with the last hit kept, none can.
        most_bonus = EXACT_BOOST * sum(candidates.idf.get(w.folded, 0.0) for w in marked)
        # Phrases and exclusions are read on the stored text.  Which marked words a candidate has, and in
        # which form, the exact and folded postings say as its text would (those fields are its syllables):
        # a question typed with marks then reads no text but that of the hits shown.
        reads_text = bool(parsed.excluded or any(len(c.words) > 1 for c in parsed.clauses))
        has = self._postings_hold(parsed, candidates, marked, spelled) if (marked or spelled) and not reads_text else {}
        reach: list[float] | None = None
        if not reads_text:
            # Each candidate's score with its exact-diacritic bonus, known before any text is read:
            # its spelling can only lower it.  ``reach[i]`` is the most any candidate from ``i`` on can
            # score, a tighter bound than ``most_bonus`` (a question typed with marks reads fewer).
            idfs = [candidates.idf.get(w.folded, 0.0) for w in marked]
            exact_rows = list(zip(*(has["exact", w.exact] for w in marked))) if marked else []
            folded_rows = list(zip(*(has["folded", w.folded] for w in marked))) if marked else []
            boosted = (
                [score + EXACT_BOOST * sum(itertools.compress(idfs, row)) for score, row in zip(candidates.scores, exact_rows)]
                if marked
                else list(candidates.scores)
            )
            reach = list(itertools.accumulate(reversed(boosted), max))[::-1]
        for position, (candidate, score) in enumerate(zip(candidates.docnums, candidates.scores)):
            if len(best) >= wanted and (reach[position] if reach is not None else score + most_bonus) < best[0]:
                break
            docnum = stored.docnum(candidate)
            pid = int(order[candidate])
            if docnum is None or docnum in strict:
                continue
            all_exact = True
            if reads_text:
                verdict = _verify(stored(docnum).get("text", ""), parsed)
                if verdict is None:
                    continue
                exact_words, all_exact = verdict
                score += EXACT_BOOST * sum(candidates.idf.get(w.folded, 0.0) for w in exact_words)
            else:
                if marked:
                    all_exact = sum(exact_rows[position]) == sum(folded_rows[position])
                score = boosted[position]
            if spelled:
                score -= EXACT_BOOST * sum(
                    candidates.idf.get(w.folded, 0.0)
                    for w in self._spelled_otherwise(stored, self._spellings, docnum, spelled, has, position)
                )
            kept.append((score, docnum, all_exact, pid))
            if len(best) < wanted:
                heapq.heappush(best, score)
            elif score > best[0]:
                heapq.heapreplace(best, score)
        kept.sort(key=lambda item: (-item[0], item[3]))
        return [(docnum, score, exact, pid) for score, docnum, exact, pid in kept[:wanted]]

    def _postings_hold(
        self, parsed: ParsedQuery, candidates: Candidates, marked: list[QueryWord], spelled: list[QueryWord]
    ) -> dict[tuple[str, str], list[bool]]:
        """For each marked word's exact key and each marked or i/y word's folded term, whether each candidate has it
        (the folded ones as the best-match pass found them, the exact ones from their postings)."""
        import numpy as np

        index = self._terms()
        wanted = np.asarray(candidates.docnums, dtype=np.int64)
        held: dict[tuple[str, str], list[bool]] = {}
        for key in dict.fromkeys(("exact", w.exact) for w in marked):
            held[key] = index.holds(term_key(*key), wanted).tolist()
        # The best-match pass numbers the words as _best_candidates grouped them: by folded term, in query order.
        positions = {term: i for i, term in enumerate(dict.fromkeys(w.folded for w in parsed.words if w is not parsed.prefix))}
        for word in marked + spelled:
            bit = 1 << positions[word.folded]
            held["folded", word.folded] = [bool(bits & bit) for bits in candidates.held]
        return held

    @staticmethod
    def _spelled_otherwise(
        stored: _StoredFields,
        spellings: _Spellings,
        docnum: int,
        spelled: list[QueryWord],
        has: dict[tuple[str, str], list[bool]],
        position: int,
    ) -> list[QueryWord]:
        """The i/y words of the query that paragraph ``docnum`` has, but only in the other spelling (*lý* for ``lí``)."""
        if has:  # the postings say which it has at all: its text is read only for those
            present = [w for w in spelled if has["folded", w.folded][position]]
            if not present:
                return []
            return [w for w in present if not spellings.has_fold(stored, docnum, fold(w.text))]
        reading = read_text(stored(docnum).get("text", ""))
        folds, terms = set(reading.folds), set(reading.terms)
        return [w for w in spelled if w.folded in terms and fold(w.text) not in folds]

    def _allowed(self, scope: PathFilter) -> Any:
        """The paragraphs a search with ``scope`` may return, as a boolean array indexed by docnum
        (None when the scope keeps everything); worked out once per scope and index state.

        The files are chosen by their paths (the file records); their paragraphs are found
        through the ``path`` terms of whichever side, kept or left out, has fewer paragraphs.
        """
        if not scope.active:
            return None
        mask = self._scopes.get(scope)
        if mask is not None:
            return mask
        import numpy as np

        searcher = self._searcher
        files = [searcher.stored_fields(d) for d in searcher.document_numbers(kind=KIND_FILE)]
        sizes = {f.get("path", ""): int((f.get("info") or {}).get("paragraphs") or 0) + 1 for f in files}
        kept = [p for p in sizes if scope(p)]
        # Reading a path's postings costs per paragraph: read the side with fewer.
        keep_side = sum(sizes[p] for p in kept) * 2 <= sum(sizes.values())
        side = kept if keep_side else [p for p in sizes if not scope(p)]
        docs = np.zeros(searcher.reader().doc_count_all(), dtype=bool)
        for path in side:
            for docnum in searcher.document_numbers(path=path):
                docs[docnum] = True
        mask = docs if keep_side else ~docs
        if len(self._scopes) > 16:
            self._scopes.clear()
        self._scopes[scope] = mask
        return mask

    def _docnums(self) -> "_Docnums":
        """Which docnums are live paragraphs, for the searcher in use (rebuilt when it changes)."""
        if self._docnum_table is None:
            self._docnum_table = _Docnums(self._terms())
        return self._docnum_table

    def _term_source(self) -> "_TermSource":
        """What did-you-mean reads: term statistics and stored paragraphs (one object per index state,
        so that :mod:`searcher.vietnamese.accents` can keep its counts for it)."""
        if self._source is None:
            self._source = _TermSource(self._searcher, self._terms(), self._docnums())
        return self._source

    def _known(self, fieldname: str, term: str, as_prefix: bool) -> bool:
        """Whether some paragraph has ``term`` in ``fieldname`` (or, ``as_prefix``, a term starting with it)."""
        key = term_key(fieldname, term)
        terms = self._terms()
        return terms.has_prefix(key) if as_prefix else terms.document_frequency(key) > 0

    def _unknown_words(self, parsed: ParsedQuery) -> list[str]:
        """The query's words (as typed) that no paragraph contains, in any diacritic form."""
        unknown: list[str] = []
        for word in parsed.words:
            # An unfinished word is unknown when no indexed word starts with it.
            if word.text not in unknown and not self._known("folded", word.folded, word is parsed.prefix):
                unknown.append(word.text)
        return unknown

    def _hit(self, rank: int, score: float, fields: dict[str, Any], spans: list[tuple[int, int]], exact: bool = True) -> Hit:
        return Hit(
            rank=rank,
            score=score,
            path=fields["path"],
            line=fields["line"],
            paragraph=fields["ordinal"],
            title=fields.get("title", ""),
            text=fields["text"],
            spans=spans,
            file=str(self.corpus / fields["path"]),
            exact=exact,
            column=fields.get("column", 0),
            page=fields.get("page"),
            chapter=fields.get("chapter"),
            sheet=fields.get("sheet"),
            cell=fields.get("cell"),
            slide=fields.get("slide"),
            ocr=bool(fields.get("ocr")),
        )

    @staticmethod
    def _run(
        stored: "_StoredFields",
        terms: "BestMatchIndex",
        tier: Tier,
        wanted: int,
        exclude: set[int],
        deadline: float,
        cancelled: Callable[[], bool] | None,
        matched: dict[int, matching.Matches] | None = None,
        spelling: _Spellings | None = None,
        allowed: Any = None,
    ) -> tuple[list[tuple[int, float]], bool]:
        """A tier's ``wanted`` best paragraphs as ``(docnum, score)``, best first, leaving out ``exclude``
        and those that fail its :class:`~searcher.search.planning.Check`; and whether it ran to the end.

        Equal scores go in pid order (the folder's).  The check reads the stored
        text of the candidates in rank order only until enough pass (failures are
        rare: the exact syllables of a folded phrase found apart from each other).
        """
        matches = matched.get(id(tier.query)) if matched is not None else None
        if matches is None:
            matches = matching.evaluate(terms, tier.query)
            if allowed is not None and len(matches):
                matches = _inside(matches, allowed)
            if matched is not None:
                matched[id(tier.query)] = matches
        kept: list[tuple[int, float]] = []
        seen = 0
        count = wanted + len(exclude)
        while seen < len(matches):
            chosen = matching.top(matches, count, terms.order).tolist()
            for looked, i in enumerate(chosen[seen:], 1):
                if looked % 16 == 0 and (time.perf_counter() > deadline or (cancelled is not None and cancelled())):
                    if spelling is not None and tier.check is not None and tier.check.spelled:
                        # Read the rest after this search: the next keystroke's will know them.
                        spelling.later(tier.check.spelled, matches.docnums[matching.top(matches, len(matches), terms.order)])
                        spelling.cut = tier.check.spelled
                    return kept, False
                candidate = int(matches.docnums[i])
                docnum = stored.docnum(candidate)
                if docnum is None or docnum in exclude:
                    continue
                if spelling is not None and tier.check is not None and tier.check.spelled:
                    # Most candidates of an own-spelling tier fail: what a paragraph spells is
                    # remembered, so the next keystrokes' searches do not read it again.
                    if not all(spelling.spells(stored, docnum, syllable) for syllable in tier.check.spelled):
                        continue
                    if not (tier.check.needs or tier.check.forbids):
                        kept.append((docnum, float(matches.scores[i])))
                        if len(kept) >= wanted:
                            return kept, True
                        continue
                if tier.check is not None and not tier.check.passes(stored(docnum).get("text", "")):
                    continue
                kept.append((docnum, float(matches.scores[i])))
                if len(kept) >= wanted:
                    return kept, True
            seen = len(chosen)
            count *= 4
        return kept, True

    def _complete(self, terms: "BestMatchIndex", fieldname: str, prefix: str) -> tuple[Query | None, bool]:
        """An Or of the most frequent terms starting with ``prefix`` (None if there are none), and True:
        the lookup is a range of the sorted vocabulary, never cut short.

        Cached until the index changes: a short prefix has thousands of completions to rank.
        """
        cache_key = (fieldname, prefix)
        if cache_key in self._completions:
            return self._completions[cache_key], True
        query = _completion(terms, fieldname, prefix)
        if len(self._completions) > 5000:
            self._completions.clear()
        self._completions[cache_key] = query
        return query, True

    def warm(self) -> None:
        """Precompute the completions of every one- and two-letter prefix.

        Live search calls this once in the background after opening, so the
        first keystrokes find their completions ready: the same ones a search
        would look up itself.  Safe to call from any thread.
        """
        with self._lock:
            try:
                terms, known = self._terms(), self._completions
            except SearcherError:
                return
        ready = {prefix: _completion(terms, "folded", prefix) for length in (1, 2) for prefix in terms.prefixes(length)}
        with self._lock:
            if self._completions is not known:
                return  # the index changed meanwhile; these are stale
            for prefix, query in ready.items():
                self._completions[("folded", prefix)] = query


def _completion(terms: "BestMatchIndex", fieldname: str, prefix: str) -> Query | None:
    """An Or of the :data:`PREFIX_EXPANSIONS` most frequent terms of ``fieldname`` starting with ``prefix``."""
    mark = term_key(fieldname, "")
    found = [Term(fieldname, term[len(mark) :]) for _, term in terms.with_prefix(mark + prefix, PREFIX_EXPANSIONS)]
    return None if not found else found[0] if len(found) == 1 else Or(found)


class _Docnums:
    """Whether a docnum the postings name is a live paragraph (None: deleted since, or not a paragraph).

    The postings of a deleted document stay in its segment until a merge;
    :attr:`BestMatchIndex.paragraphs` says which docnums are live paragraphs.
    """

    def __init__(self, terms: "BestMatchIndex") -> None:
        self.live = terms.paragraphs

    def __call__(self, docnum: int) -> int | None:
        if 0 <= docnum < len(self.live) and self.live[docnum]:
            return docnum
        return None


class _Spellings:
    """Which paragraphs spell an i/y syllable one way (``li`` for *lí*, not *lý*), as far as
    searches have read them: one per index state, so that the own-spelling tiers of the next
    keystrokes find most of their candidates already known."""

    LIMIT = 200_000  # paragraphs remembered in all, before it starts afresh

    def __init__(self) -> None:
        # (question, syllable) -> docnum -> the answer read from the paragraph's text
        self.answers: dict[tuple[str, str], dict[int, bool]] = {}
        self.size = 0
        # (syllables, docnums best first) that a search ran out of time to read: Engine reads them after it.
        self.pending: list[tuple[tuple[str, ...], Any]] = []
        self.reading = False  # a thread is reading them
        self.cut: tuple[str, ...] = ()  # the syllables whose own-spelling tier the last search cut short

    def later(self, syllables: tuple[str, ...], docnums: Any) -> None:
        """Remember to read what paragraphs ``docnums`` spell, after the search that could not."""
        if len(self.pending) > 8:
            del self.pending[0]  # typing went on: the newest keystrokes' candidates matter
        self.pending.append((syllables, docnums))

    def has_fold(self, stored: _StoredFields, docnum: int, plain: str) -> bool:
        """Whether paragraph ``docnum`` has a token that folds to ``plain`` (``li``: *lí*, not *lý*), read
        from its text once: questions about one law ask about the same paragraphs' *quy định* again and again."""
        return self._answer("fold", plain, docnum, lambda: plain in read_text(stored(docnum).get("text", "")).folds)

    def spells(self, stored: _StoredFields, docnum: int, syllable: str) -> bool:
        """Whether paragraph ``docnum`` has ``syllable`` spelled that way (read from its text once)."""
        return self._answer(
            "spells", syllable, docnum, lambda: Check(spelled=(syllable,)).passes(stored(docnum).get("text", ""))
        )

    def _answer(self, question: str, syllable: str, docnum: int, read: Callable[[], bool]) -> bool:
        """The remembered answer to ``question`` about ``syllable`` in paragraph ``docnum``, else ``read()``,
        remembered (all of them are forgotten past :data:`LIMIT`)."""
        table = self.answers.setdefault((question, syllable), {})
        answer = table.get(docnum)
        if answer is None:
            if self.size >= self.LIMIT:
                self.answers, self.size = {}, 0
                table = self.answers.setdefault((question, syllable), {})
            answer = table[docnum] = read()
            self.size += 1
        return answer


class _StoredFields:
    """``searcher.stored_fields``, remembered for the length of one query, and whether a docnum is live."""

    def __init__(self, searcher: Any, docnum: _Docnums) -> None:
        self.searcher = searcher
        self.docnum = docnum
        self.seen: dict[int, dict[str, Any]] = {}

    def __call__(self, docnum: int) -> dict[str, Any]:
        fields = self.seen.get(docnum)
        if fields is None:
            fields = self.seen[docnum] = self.searcher.stored_fields(docnum)
        return fields


class _TermSource:
    """Whoosh's ``doc_frequency``, ``docs_for_query``, ``stored_fields`` and ``doc_count``, answered
    from the term postings and the stored paragraphs (what :mod:`searcher.vietnamese.accents` reads)."""

    def __init__(self, searcher: Any, terms: "BestMatchIndex", docnums: "_Docnums") -> None:
        self.searcher, self.terms, self.docnums = searcher, terms, docnums

    def doc_frequency(self, fieldname: str, text: str) -> int:
        return self.terms.document_frequency(term_key(fieldname, text))

    def has_prefix(self, fieldname: str, text: str) -> bool:
        """Whether some term of ``fieldname`` starts with ``text`` (one look at the sorted vocabulary)."""
        return self.terms.has_prefix(term_key(fieldname, text))

    def doc_count(self) -> int:
        return self.terms.live

    def docs_for_query(self, query: Query) -> Iterable[int]:
        """The docnums of the paragraphs that match ``query``, in the folder's order."""
        import numpy as np

        found = matching.evaluate(self.terms, query).docnums
        found = found[np.argsort(self.terms.order[found], kind="stable")]
        # A few at a time: did-you-mean reads the first fifty of a pair that may have 100,000.
        for start in range(0, len(found), 64):
            for candidate in found[start : start + 64].tolist():
                docnum = self.docnums(candidate)
                if docnum is not None:
                    yield docnum

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        return self.searcher.stored_fields(docnum)


def _inside(matches: matching.Matches, allowed: Any) -> matching.Matches:
    """The matches whose docnums ``allowed`` (a boolean array by docnum) keeps."""
    keep = allowed[matches.docnums]
    return matching.Matches(matches.docnums[keep], matches.scores[keep])


def _contains(sequence: list[str], part: list[str]) -> bool:
    size = len(part)
    return any(sequence[i : i + size] == part for i in range(len(sequence) - size + 1))


def _verify(text: str, parsed: ParsedQuery) -> "tuple[list[Any], bool] | None":
    """None when ``text`` breaks a quoted phrase or an exclusion; else the marked words it has
    in their exact form, and whether every marked word it has is in its exact form."""
    reading = read_text(text)  # remembered: the hits kept are highlighted next
    tokens = [t.text for t in reading.tokens]
    folded = list(reading.terms)
    exact: list[str] | None = None
    for clause in parsed.clauses:
        if len(clause.words) > 1 and not _contains(folded, [w.folded for w in clause.words]):
            return None
    for clause in parsed.excluded:
        if any(w.marked for w in clause.words):
            exact = exact if exact is not None else [exact_term(t) for t in tokens]
            if _contains(exact, [w.exact for w in clause.words]):
                return None
        elif _contains(folded, [w.folded for w in clause.words]):
            return None
    marked = [w for w in parsed.words if w.marked and w is not parsed.prefix]
    if not marked:
        return [], True
    exact_set = set(exact if exact is not None else (exact_term(t) for t in tokens))
    folded_set = set(folded)
    exact_words = [w for w in marked if w.exact in exact_set]
    present = [w for w in marked if w.folded in folded_set]
    return exact_words, len(exact_words) == len(present)
