"""The ranking, written once for every backend: a query's tiers under a time budget, then best match.

:mod:`searcher.search.planning` turns a query into tiers (adjacent, partial,
scattered; exact diacritics first); :class:`Ranker` runs them, best first, each
tier filling the result list only with paragraphs the tiers before it did not
return.  Within a tier, BM25 over the syllable fields orders the hits
(:mod:`searcher.search.matching`).  Every query runs under a time budget, so a
query over very frequent syllables returns the best hits found in time instead
of stalling; once an adjacent tier has found hits, the partial and scattered
tiers, which only fill the slots it left, get a few milliseconds of that budget.
When the strict tiers leave slots free, best match follows: paragraphs with most
of the words (:meth:`~searcher.search.bestmatch.BestMatchIndex.search`).

It reads the index only through a backend's :class:`~searcher.backends.base.View`
(postings and stored paragraphs), so the local index and a cluster rank alike.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whoosh.query import Query, Term

from searcher.backends.base import Wanted
from searcher.search import bestmatch, matching
from searcher.search.bestmatch import term_key
from searcher.search.highlight import highlight_spans, words_found
from searcher.search.planning import LONG_QUERY, Plan, Tier, phrase_query, plan_query, tiers_to_run, word_count
from searcher.search.query import Clause, ParsedQuery, QueryWord
from searcher.search.results import Hit
from searcher.search.verify import Spellings, contains, verify
from searcher.vietnamese.analysis import pair_term, read_text
from searcher.vietnamese.text import fold, iy_sensitive

if TYPE_CHECKING:
    from searcher.backends.base import Backend, View
    from searcher.documents.filters import PathFilter
    from searcher.search.bestmatch import BestMatchIndex, Candidates

__all__ = ["Ranked", "Ranker", "Request", "TIER_STEP", "BEST_SCALE", "EXACT_BOOST", "hit_from_fields"]

TIER_STEP = 100.0  # scores of a better tier start this much higher
MIN_SLICE = 0.004  # the best tier always gets at least this long
EXACT_BOOST = 0.5  # a marked word found with the same marks adds half its IDF
BEST_POOL = 130  # best-match candidates ranked at least (what the live search's fuller pass of 50 hits asks for)
BEST_SCALE = 20.0  # a best-match BM25 score s shows as 100·s/(s+20): below every strict tier
STRICT_POOL = 100  # a tier's candidates a backend that sends candidates sends at least
PHRASE_READS = 200  # candidates of a quoted phrase read, at most, to find whether some paragraph holds it


@dataclass
class Ranked:
    """The hits of one search, whether the budget let the tiers run to the end, and what it read."""

    hits: list[Hit]
    parsed: ParsedQuery
    complete: bool = True  # False when the time budget cut the main tiers short
    filled: bool = True  # False when the lower (non-adjacent) tiers were cut short
    view: View | None = None


@dataclass(frozen=True)
class Request:
    """How one search runs: the hits asked for, its time (``budget`` for the tiers, ``fill_budget`` for
    the lower tiers once an adjacent one found hits), and what it keeps to."""

    limit: int
    budget: float
    fill_budget: float
    scope: PathFilter
    cancelled: Callable[[], bool] | None = None
    all_words: bool = False  # no best match: every word must match (grep's meaning)
    highlight: bool = True


class StoredFields:
    """A view's stored fields, each paragraph's read once per search."""

    def __init__(self, view: View) -> None:
        self.read = view.fields
        self.index = view.index
        self.live = view.index.paragraphs
        self.seen: dict[int, dict[str, Any]] = {}

    def __call__(self, docnum: int) -> dict[str, Any]:
        fields = self.seen.get(docnum)
        if fields is None:
            fields = self.seen[docnum] = self.read(docnum)
        return fields

    def docnum(self, docnum: int) -> int | None:
        """``docnum`` when it is a live paragraph (the postings of a deleted one stay until a merge), else None."""
        live = self.live
        return docnum if 0 <= docnum < len(live) and live[docnum] else None


def hit_from_fields(
    rank: int, score: float, fields: dict[str, Any], spans: list[tuple[int, int]], corpus: Path, exact: bool = True
) -> Hit:
    """A :class:`Hit` of a paragraph's stored fields."""
    return Hit(
        rank=rank,
        score=score,
        path=fields["path"],
        line=fields["line"],
        paragraph=fields["ordinal"],
        title=fields.get("title", ""),
        text=fields["text"],
        spans=spans,
        file=str(corpus / fields["path"]),
        exact=exact,
        column=fields.get("column", 0),
        page=fields.get("page"),
        chapter=fields.get("chapter"),
        sheet=fields.get("sheet"),
        cell=fields.get("cell"),
        slide=fields.get("slide"),
        ocr=bool(fields.get("ocr")),
    )


class Ranker:
    """Ranks a parsed query's paragraphs on one backend.  Not thread-safe: the engine holds its lock."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.spellings = Spellings()
        self._version = backend.version

    def _complete(self, fieldname: str, prefix: str) -> tuple[Query | None, bool]:
        return self.backend.completions(fieldname, prefix), True

    def plan(self, parsed: ParsedQuery) -> Plan:
        """The query's tiers, with the user's own i/y spelling first."""
        return plan_query(parsed, self._complete, own_spelling=True)

    def rank(self, parsed: ParsedQuery, request: Request, started: float) -> Ranked:
        """Up to ``request.limit`` hits of ``parsed``, best first, the budget counted from ``started``.  A quoted
        phrase that no paragraph holds (a title the folder words otherwise) makes best match search its words,
        with a note."""
        if self.backend.version != self._version:
            self.spellings, self._version = Spellings(), self.backend.version
        ranked = self._rank_once(parsed, request, started)
        if ranked.hits or request.all_words or ranked.view is None:
            return ranked
        loose, dropped = self._unquote_missing(parsed, ranked.view)
        if not dropped:
            return ranked
        ranked = self._rank_once(loose, request, time.perf_counter())
        phrases = ", ".join(f'"{" ".join(w.text for w in c.words)}"' for c in dropped)
        ranked.parsed.notes.append(f"no paragraph has {phrases} as a phrase: best match searched its words")
        return ranked

    def _wanted(self, parsed: ParsedQuery, tiers: list[Tier], limit: int) -> Wanted:
        """What this search will read: the tiers' queries, and the words, pairs and exclusions of best match."""
        full = [w for w in parsed.words if w is not parsed.prefix]
        words = list(dict.fromkeys(w.folded for w in full))
        count = len(words) + (parsed.prefix is not None)
        phrases = [
            phrase_query("pairs", [w.folded for w in c.words]) for c in parsed.clauses if c.quoted and len(c.words) > 1
        ]
        return Wanted(
            queries=[tier.query for tier in tiers] + phrases,
            words=words if count >= 2 else [],
            exact=list(dict.fromkeys(w.exact for w in full if w.marked)),
            prefix=parsed.prefix.folded if parsed.prefix is not None and count >= 2 else None,
            pairs=list(dict.fromkeys(pair_term(a.folded, b.folded) for a, b in itertools.pairwise(full))),
            excluded=[c.words[0].folded for c in parsed.excluded if len(c.words) == 1 and not c.words[0].marked],
            # A short query's best-match hits have at least half its words: "thương mại và đầu tư"
            # is not answered by paragraphs that share only "và".  A long question needs two.
            min_words=bestmatch.min_words(count),
            pool=max(limit * 2 + 30, STRICT_POOL),
        )

    def _rank_once(self, parsed: ParsedQuery, request: Request, started: float) -> Ranked:
        limit, cancelled, all_words = request.limit, request.cancelled, request.all_words
        plan = self.plan(parsed)
        tiers = tiers_to_run(plan, parsed, all_words)
        reads = self._wanted(parsed, tiers, limit)
        # Opening the postings (numpy's import, the first time; a cluster's answer) is not ranking:
        # it is not charged to the search's budget.
        before = time.perf_counter()
        view = self.backend.view(reads, request.scope)
        started += time.perf_counter() - before
        terms, allowed = view.index, view.allowed
        stored = StoredFields(view)
        spellings = self.spellings if view.lasting else Spellings()
        spellings.cut = ()
        deadline = started + request.budget
        # For a long query the best-match pass goes first: when it finds that no
        # paragraph has every word, the strict tiers need not run at all.  A
        # short query runs the strict tiers first and best match only when they
        # leave slots free.
        candidates = None
        if word_count(parsed) >= LONG_QUERY:
            candidates = self._best_candidates(terms, reads, plan.completions, limit, allowed)
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
                    fill_deadline = now + request.fill_budget
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
            hits, finished = _run(
                stored, terms, tier, wanted, set(found), tier_deadline, cancelled, matched, spellings, allowed
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
            candidates = self._best_candidates(terms, reads, plan.completions, limit, allowed)
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
            for docnum, score, exact, pid in self._best_hits(
                stored, spellings, parsed, candidates, strict, limit - len(found)
            ):
                # Below every strict tier, in BM25's order.
                found[docnum] = (TIER_STEP * score / (score + BEST_SCALE), exact)
                order[docnum] = pid
        complete = complete and plan.whole
        ordered = sorted(found.items(), key=lambda item: (-item[1][0], order[item[0]]))
        corpus = self.backend.corpus
        result_hits = []
        for rank, (docnum, (score, exact)) in enumerate(ordered, 1):
            fields = stored(docnum)
            spans = highlight_spans(fields["text"], parsed) if request.highlight else []
            hit = hit_from_fields(rank, score, fields, spans, corpus, exact)
            if docnum in strict:
                hit.matched = [w.text for w in parsed.words]  # the strict tiers require every word
            else:
                hit.matched, hit.missing, hit.exact = words_found(fields["text"], parsed)
            result_hits.append(hit)
        return Ranked(result_hits, parsed, complete, filled, view)

    def _unquote_missing(self, parsed: ParsedQuery, view: View) -> tuple[ParsedQuery, list[Clause]]:
        """``parsed`` with every quoted phrase that no paragraph holds made plain words, and those phrases."""
        stored = StoredFields(view)
        dropped: list[Clause] = []
        clauses: list[Clause] = []
        for clause in parsed.clauses:
            if clause.quoted and len(clause.words) > 1 and not _holds(view.index, stored, clause):
                dropped.append(clause)
                clauses.extend(Clause((w,)) for w in clause.words)
            else:
                clauses.append(clause)
        if not dropped:
            return parsed, []
        return replace(parsed, clauses=clauses, notes=list(parsed.notes)), dropped

    def _best_candidates(
        self, index: BestMatchIndex, wanted: Wanted, completions: Query | None, limit: int, allowed: Any = None
    ) -> Candidates | None:
        """The best-match pass: BM25 over every paragraph with any of the words (None for a one-word query).

        Each query word is a group of the folded terms that count as it: itself, or for an unfinished
        last word its completions."""
        if not wanted.words:  # fewer than two words: the strict tiers answer alone
            return None
        groups = [[word] for word in wanted.words]
        if wanted.prefix is not None:
            groups.append([str(t.text) for t in _terms_of(completions)] or [wanted.prefix])
        # (Paragraphs with every word are never left out, so the coverage counts stay true.)
        # The pool does not shrink with the hits asked for: the exact-diacritic and spelling bonuses
        # reorder it, so a smaller pool would rank the top differently (the CLI's 10 hits, the live search's 20).
        pool = max(limit * 2 + 30, BEST_POOL)
        return index.search(
            groups, wanted.pairs, excluded=wanted.excluded, allowed=allowed, limit=pool, min_words=wanted.min_words
        )

    def _best_hits(
        self,
        stored: StoredFields,
        spellings: Spellings,
        parsed: ParsedQuery,
        candidates: Candidates,
        strict: set[int],
        wanted: int,
    ) -> list[tuple[int, float, bool, int]]:
        """Best-match candidates that honour phrases and exclusions, with exact diacritics counted, best first.

        Returns ``(docnum, score, exact, pid)``; equal scores keep the pids' order (the folder's).
        """
        index = stored.index
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
        has = (
            _postings_hold(index, parsed, candidates, marked, spelled) if (marked or spelled) and not reads_text else {}
        )
        reach: list[float] | None = None
        boosted: list[float] = []
        all_exact_at: list[bool] = []
        if not reads_text:
            # Each candidate's score with its exact-diacritic bonus, known before any text is read:
            # its spelling can only lower it.  ``reach[i]`` is the most any candidate from ``i`` on can
            # score, a tighter bound than ``most_bonus`` (a question typed with marks reads fewer).
            import numpy as np

            scores = np.asarray(candidates.scores, dtype=np.float64)
            if marked:
                # Added word by word, in the query's order: the same float sums as one candidate at a time.
                bonus = np.zeros(len(scores))
                exact_count = np.zeros(len(scores), dtype=np.int64)
                folded_count = np.zeros(len(scores), dtype=np.int64)
                for word in marked:
                    exact = has["exact", word.exact]
                    bonus += candidates.idf.get(word.folded, 0.0) * exact
                    exact_count += exact
                    folded_count += has["folded", word.folded]
                scores = scores + EXACT_BOOST * bonus
                all_exact_at = (exact_count == folded_count).tolist()
            boosted = scores.tolist()
            reach = np.maximum.accumulate(scores[::-1])[::-1].tolist()
        for position, (candidate, bm25) in enumerate(zip(candidates.docnums, candidates.scores, strict=True)):
            if len(best) >= wanted and (reach[position] if reach is not None else bm25 + most_bonus) < best[0]:
                break
            score = bm25
            docnum = stored.docnum(candidate)
            pid = int(order[candidate])
            if docnum is None or docnum in strict:
                continue
            all_exact = True
            if reads_text:
                verdict = verify(stored(docnum).get("text", ""), parsed)
                if verdict is None:
                    continue
                exact_words, all_exact = verdict
                score += EXACT_BOOST * sum(candidates.idf.get(w.folded, 0.0) for w in exact_words)
            else:
                if marked:
                    all_exact = all_exact_at[position]
                score = boosted[position]
            if spelled:
                score -= EXACT_BOOST * sum(
                    candidates.idf.get(w.folded, 0.0)
                    for w in _spelled_otherwise(stored, spellings, docnum, spelled, has, position)
                )
            kept.append((score, docnum, all_exact, pid))
            if len(best) < wanted:
                heapq.heappush(best, score)
            elif score > best[0]:
                heapq.heapreplace(best, score)
        kept.sort(key=lambda item: (-item[0], item[3]))
        return [(docnum, score, exact, pid) for score, docnum, exact, pid in kept[:wanted]]


def _terms_of(query: Query | None) -> list[Term]:
    """The terms of a completion query (an ``Or`` of terms, one term, or nothing)."""
    if query is None:
        return []
    return [leaf for leaf in ([query] if query.is_leaf() else query.leaves()) if isinstance(leaf, Term)]


def _holds(index: BestMatchIndex, stored: StoredFields, clause: Clause, most: int = PHRASE_READS) -> bool:
    """Whether some paragraph has the quoted phrase ``clause`` (its syllables in a row, folded).

    The pair terms say it for two syllables; for more, they are the candidates whose text
    is read (at most ``most``: past that, the phrase is taken to be there)."""
    keys = [w.folded for w in clause.words]
    found = matching.evaluate(index, phrase_query("pairs", keys)).docnums
    if len(keys) == 2 or not len(found):
        return bool(len(found))
    for candidate in found[:most].tolist():
        docnum = stored.docnum(int(candidate))
        if docnum is not None and contains(list(read_text(stored(docnum).get("text", "")).terms), keys):
            return True
    return len(found) > most


def _postings_hold(
    index: BestMatchIndex,
    parsed: ParsedQuery,
    candidates: Candidates,
    marked: list[QueryWord],
    spelled: list[QueryWord],
) -> dict[tuple[str, str], Any]:
    """For each marked word's exact key and each marked or i/y word's folded term, whether each candidate has it,
    as a boolean array (the folded ones as the best-match pass found them, the exact ones from their postings)."""
    import numpy as np

    held: dict[tuple[str, str], Any] = {}
    # The best-match pass numbers the words as _best_candidates grouped them: by folded term, in query order.
    positions = {
        term: i for i, term in enumerate(dict.fromkeys(w.folded for w in parsed.words if w is not parsed.prefix))
    }
    bits = np.asarray(candidates.held, dtype=np.int64)
    for word in marked + spelled:
        held["folded", word.folded] = ((bits >> positions[word.folded]) & 1).astype(bool)
    wanted: Any = None
    for word in marked:
        key = ("exact", word.exact)
        if key in held:
            continue
        # Every paragraph with the exact form has the folded one: when as many paragraphs have each,
        # they are the same paragraphs, and the postings need not be read (most marked words of a
        # question have one spelling in the folder).
        if index.document_frequency(term_key(*key)) == index.document_frequency(term_key("folded", word.folded)):
            held[key] = held["folded", word.folded]
            continue
        if wanted is None:
            wanted = np.asarray(candidates.docnums, dtype=np.int64)
        held[key] = index.holds(term_key(*key), wanted)
    return held


def _spelled_otherwise(
    stored: StoredFields,
    spellings: Spellings,
    docnum: int,
    spelled: list[QueryWord],
    has: dict[tuple[str, str], Any],
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


def _inside(matches: matching.Matches, allowed: Any) -> matching.Matches:
    """The matches whose docnums ``allowed`` (a boolean array by docnum) keeps."""
    keep = allowed[matches.docnums]
    return matching.Matches(matches.docnums[keep], matches.scores[keep])


def _run(
    stored: StoredFields,
    terms: BestMatchIndex,
    tier: Tier,
    wanted: int,
    exclude: set[int],
    deadline: float,
    cancelled: Callable[[], bool] | None,
    matched: dict[int, matching.Matches] | None = None,
    spelling: Spellings | None = None,
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
    check = tier.check
    own = spelling is not None and check is not None and bool(check.spelled)
    while seen < len(matches):
        chosen = matching.top(matches, count, terms.order).tolist()
        for looked, i in enumerate(chosen[seen:], 1):
            if looked % 16 == 0 and (time.perf_counter() > deadline or (cancelled is not None and cancelled())):
                if own:
                    # Read the rest after this search: the next keystroke's will know them.
                    assert spelling is not None and check is not None
                    spelling.later(check.spelled, matches.docnums[matching.top(matches, len(matches), terms.order)])
                    spelling.cut = check.spelled
                return kept, False
            candidate = int(matches.docnums[i])
            docnum = stored.docnum(candidate)
            if docnum is None or docnum in exclude:
                continue
            if own:
                # Most candidates of an own-spelling tier fail: what a paragraph spells is
                # remembered, so the next keystrokes' searches do not read it again.
                assert spelling is not None and check is not None
                if not all(spelling.spells(stored, docnum, syllable) for syllable in check.spelled):
                    continue
                if not (check.needs or check.forbids):
                    kept.append((docnum, float(matches.scores[i])))
                    if len(kept) >= wanted:
                        return kept, True
                    continue
            if check is not None and not check.passes(stored(docnum).get("text", "")):
                continue
            kept.append((docnum, float(matches.scores[i])))
            if len(kept) >= wanted:
                return kept, True
        seen = len(chosen)
        count *= 4
    return kept, True
