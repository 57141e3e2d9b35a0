"""Query planning: from a parsed query to the Whoosh queries of its tiers, best first.

Pure functions: they read nothing from the index except through the
``complete`` function the caller passes in (the completions of an unfinished
last word), so a plan can be tested without an index.

The tiers (see :mod:`searcher.search.ranking` for how they are run):

1. **adjacent**: the query's words next to each other and in order, answered
   from syllable-pair terms, which have short posting lists, so this is fast
   even when every single syllable is very common;
2. **partial**: all the words, with at least one adjacent pair of them;
3. **scattered**: all the words, anywhere in the paragraph.

A query typed with marks gets the three tiers twice: first in exact mode
(every word by its exact key: *ngoại* not *ngoài*, *hoà* = *hòa*), then in
folded mode.  The index has pair terms of folded syllables only: exact
adjacency is the folded pairs and the exact single syllables together, which
a few paragraphs can meet without the exact words being next to each other
(*ngoài giao ... ngoại*), so such a tier carries a :class:`Check` that the
engine applies to the stored text of its hits.

*kỹ* and *kĩ* (and the other i/y pairs of :func:`searcher.vietnamese.text.iy_variant`) are
one term in the index.  With ``own_spelling=True``, a query with such a word
gets each tier twice: first with a check that the paragraph spells the word as
the user did, then without, so the user's own spelling is a tier of its own and
cannot be cut off by the other spelling's better BM25 scores.

>>> from searcher.search.query import parse_query
>>> plan = plan_query(parse_query("ngoại giao"), no_completions)
>>> [(tier.exact, tier.adjacent) for tier in plan.tiers]
[(True, True), (True, False), (False, True), (False, False)]
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from whoosh.query import And, Not, Or, Phrase, Query, Term

from searcher.search.query import Clause, ParsedQuery, QueryWord
from searcher.vietnamese.analysis import pair_term, read_text
from searcher.vietnamese.text import exact_term, fold, iy_sensitive

__all__ = [
    "Tier",
    "Plan",
    "Check",
    "Complete",
    "LONG_QUERY",
    "plan_query",
    "tiers_to_run",
    "word_count",
    "no_completions",
    "phrase_query",
    "exclusion_query",
]

# (field name, prefix) -> (an Or of the completions or None when there are
# none, whether the lexicon scan that found them was whole)
Complete = Callable[[str, str], "tuple[Query | None, bool]"]


# One run of syllables that must be next to each other: (mode, key) per syllable,
# mode "x" for an exact key, "f" for a folded term, "p" for a folded prefix.
Run = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Check:
    """What a tier's Whoosh query cannot say: exact adjacency, checked on a hit's stored text.

    ``needs``: every entry is a choice of runs, one of which the text must have;
    ``forbids``: runs the text must not have (excluded phrases typed with marks, by their exact
    keys; excluded phrases of three or more syllables without marks, by their folded terms);
    ``spelled``: syllables (folded, i/y as typed: ``li`` for *lí*) the text must spell that way.
    """

    needs: tuple[tuple[Run, ...], ...] = ()
    forbids: tuple[Run, ...] = ()
    spelled: tuple[str, ...] = ()

    def passes(self, text: str) -> bool:
        """Whether ``text`` (a paragraph as stored) meets every need and no exclusion."""
        if self.spelled:
            # Most candidates of an own-spelling tier fail: a regex on the text says so
            # without tokenizing it (it may pass a text the tokens then reject, never the reverse).
            low = text.lower()
            if not all(_spelling_pattern(s).search(low) for s in self.spelled):
                return False
        reading = read_text(text)  # remembered: the hits that pass are highlighted next
        if self.spelled and not set(self.spelled) <= set(reading.folds):
            return False
        exact = [exact_term(t.text) for t in reading.tokens]
        folded = reading.terms
        for choice in self.needs:
            if not any(_has_run(exact, folded, run) for run in choice):
                return False
        return not any(_has_run(exact, folded, run) for run in self.forbids)


_IY_LETTERS = {"i": "iíìỉĩị", "y": "yýỳỷỹỵ"}


@lru_cache(maxsize=256)
def _spelling_pattern(spelled: str) -> re.Pattern[str]:
    """A regex that finds ``spelled`` (a folded i/y syllable: ``li``, ``ky``, ``quy``) in lower-case NFC
    text with any tone mark, as a whole token."""
    head, last = spelled[:-1], spelled[-1]
    return re.compile(rf"(?<![^\W_]){re.escape(head)}[{_IY_LETTERS.get(last, re.escape(last))}](?![^\W_])")


def _has_run(exact: Sequence[str], folded: Sequence[str], run: Run) -> bool:
    size = len(run)
    for i in range(len(exact) - size + 1):
        for j, (mode, key) in enumerate(run):
            if mode == "x":
                ok = exact[i + j] == key
            elif mode == "f":
                ok = folded[i + j] == key
            else:
                ok = folded[i + j].startswith(key)
            if not ok:
                break
        else:
            return True
    return False


@dataclass
class Tier:
    """One tier: a Whoosh query, whether it means an exact-diacritic match, whether it is an adjacency tier,
    the check its hits must pass on their stored text (None: the query says it all), and whether it is
    the own-spelling half of a tier (its check reads the text of candidates that mostly fail it)."""

    query: Query
    exact: bool
    adjacent: bool = False
    check: Check | None = None
    own_spelling: bool = False


@dataclass
class Plan:
    """The tiers of one query, best first, and whether the completions of a prefix were all found."""

    tiers: list[Tier]
    whole: bool = True
    completions: Query | None = None  # of the unfinished last word, for best match


# A query of this many words or more is a question more than a phrase: its paragraphs are
# ranked by best match, after those that have it whole as a phrase (the adjacent tiers).
LONG_QUERY = 5


def word_count(parsed: ParsedQuery) -> int:
    """How many distinct words (the unfinished last one included) a strict match needs."""
    return len({w.folded for w in parsed.words if w is not parsed.prefix}) + (parsed.prefix is not None)


def tiers_to_run(plan: Plan, parsed: ParsedQuery, all_words: bool = False) -> list[Tier]:
    """The strict tiers a search runs before best match.

    All of them for a short query, or with ``all_words`` (every word must be
    there).  For a long query only the adjacent ones: a paragraph that has
    every word of *Bộ Ngoại giao đã làm gì để thúc đẩy kinh tế?* scattered
    about, function words included, is no better an answer than one that has
    its telling words next to each other, and best match weighs both (measured
    on the QA sets with 100,000 distractor paragraphs: P@1 0.814 → 0.832 on ALQAC,
    0.502 → 0.586 on ViNewsQA).

    >>> from searcher.search.query import parse_query
    >>> question = parse_query("ngành ngoại giao đã đóng góp gì cho kinh tế")
    >>> [t.adjacent for t in tiers_to_run(plan_query(question, no_completions), question)]
    [True, True]
    """
    if all_words or word_count(parsed) < LONG_QUERY:
        return plan.tiers
    return [tier for tier in plan.tiers if tier.adjacent]


def no_completions(fieldname: str, prefix: str) -> tuple[Query | None, bool]:
    """A ``complete`` function for queries without a prefix (or for tests): none, and nothing missed."""
    return None, True


def plan_query(parsed: ParsedQuery, complete: Complete, own_spelling: bool = False) -> Plan:
    """The tiers of ``parsed``, best first (see the module docstring).

    ``own_spelling``: a query with an i/y word (*lí*, *kĩ*) gets each tier first
    for the paragraphs that spell it as typed, then for the rest.

    >>> from searcher.search.query import parse_query
    >>> plan = plan_query(parse_query("lí do"), no_completions, own_spelling=True)
    >>> [(tier.own_spelling, tier.check.spelled if tier.check else ()) for tier in plan.tiers][:2]
    [(True, ('li',)), (False, ())]
    """
    plan = _plan(parsed, complete)
    spelled = tuple(
        dict.fromkeys(fold(w.text) for w in parsed.words if w is not parsed.prefix and iy_sensitive(w.folded))
    )
    if own_spelling and spelled:
        plan.tiers = [split for tier in plan.tiers for split in (_spelled(tier, spelled), tier)]
    return plan


def _spelled(tier: Tier, spelled: tuple[str, ...]) -> Tier:
    """``tier`` kept to the paragraphs that spell the i/y syllables ``spelled`` as the user typed them."""
    check = replace(tier.check, spelled=spelled) if tier.check is not None else Check(spelled=spelled)
    return replace(tier, check=check, own_spelling=True)


def _plan(parsed: ParsedQuery, complete: Complete) -> Plan:
    words = parsed.words
    prefix = parsed.prefix
    full_words = words[:-1] if prefix is not None else words
    exclusions = [Not(q) for q in (exclusion_query(c) for c in parsed.excluded) if q is not None]
    forbids = tuple(_forbidden_run(c) for c in parsed.excluded if _checked_exclusion(c))
    whole = True

    completions: Query | None = None
    pair_next: Query | None = None
    stems: dict[str, None] = {}
    if prefix is not None:
        # The unfinished word by its term and as typed: ``quy`` is the term
        # ``qui`` (quý = quí), and as typed it goes on to *quyết*.
        stems = dict.fromkeys([prefix.folded, fold(prefix.text)])
        if full_words:  # the pair completions are the precise ones: find them first
            next_pairs = [pair_term(full_words[-1].folded, s) for s in stems]
            pair_next, found_all = _complete_any(complete, "pairs", next_pairs)
            whole = whole and found_all
        completions, found_all = _complete_any(complete, "folded", list(stems))
        whole = whole and found_all
        if completions is None:
            completions = Term("folded", prefix.folded)

    tiers: list[Tier] = []
    if prefix is not None and prefix.marked:
        # A last word typed with marks may already be whole (``ngoại``, ``tình bạn``):
        # the exact tiers of the query as typed come first, as with ``prefix=False``.
        tiers.extend(t for t in _plan(replace(parsed, prefix=None), complete).tiers if t.exact)
    for exact in (True, False) if parsed.marked else (False,):

        def unigram(word: QueryWord, exact: bool = exact) -> Query:
            return Term("exact", word.exact) if exact else Term("folded", word.folded)

        def adjacent(ws: Sequence[QueryWord], exact: bool = exact) -> Query:
            return exact_phrase_query(ws) if exact else phrase_query("pairs", [w.folded for w in ws])

        def run(ws: Sequence[QueryWord], exact: bool = exact) -> Run:
            return tuple(("x", w.exact) if exact else ("f", w.folded) for w in ws)

        required: list[Query] = []
        clause_needs: list[tuple[Run, ...]] = []
        for clause in parsed.clauses:
            if prefix is not None and clause.words[-1] is prefix:
                continue  # the unfinished word is matched by its completions
            if len(clause.words) == 1:
                required.append(unigram(clause.words[0]))
            else:
                required.append(adjacent(clause.words))
                clause_needs.append((run(clause.words),))
        if completions is not None:
            required.append(completions)

        candidates: list[tuple[Query, bool, list[tuple[Run, ...]]]] = []
        # 1. Adjacent: the whole query as one phrase of syllable pairs.
        if prefix is not None:
            if pair_next is not None:
                done = [adjacent(full_words)] if len(full_words) >= 2 else []
                # The pair completions are folded: in exact mode the finished words must also be there exactly.
                marks = (
                    [Term("exact", w.exact) for w in full_words if w.marked] if exact and len(full_words) < 2 else []
                )
                parts = done + marks + [pair_next]
                adjacent_needs: list[tuple[Run, ...]] = [(run(full_words),)] if len(full_words) >= 2 else []
                candidates.append((parts[0] if len(parts) == 1 else And(parts), True, adjacent_needs))
        elif len(words) >= 2:
            candidates.append((adjacent(words), True, [(run(words),)]))
        # 2. Partial: every word, and at least one adjacent pair.  The pair
        #    terms drive the intersection, so this stays fast for common words.
        adjacent_pairs = list(itertools.pairwise(full_words))
        pair_terms: list[Query] = [Term("pairs", pair_term(a.folded, b.folded)) for a, b in adjacent_pairs]
        pair_runs: list[Run] = [run([a, b]) for a, b in adjacent_pairs]
        if pair_next is not None:
            pair_terms.append(pair_next)
            pair_runs.extend((("f", full_words[-1].folded), ("p", stem)) for stem in stems)
        if len(pair_terms) >= 2:
            candidates.append((And([Or(pair_terms)] + required), False, clause_needs + [tuple(pair_runs)]))
        # 3. Scattered: every word, anywhere.
        candidates.append((required[0] if len(required) == 1 else And(required), False, clause_needs))

        for candidate, is_adjacent, needs in candidates:
            query = And([candidate, *exclusions]) if exclusions else candidate
            # One folded pair says the adjacency of two syllables exactly; the pairs of a run of
            # three or more come without positions (matching.py), so their order is checked on
            # the text, as every run of exact mode is.
            kept = tuple(needs) if exact else tuple(n for n in needs if any(len(r) > 2 for r in n))
            check = Check(kept, forbids) if kept or forbids else None
            tiers.append(Tier(query, exact or not parsed.marked, is_adjacent, check))
    return Plan(tiers, whole, completions)


def _complete_any(complete: Complete, fieldname: str, stems: list[str]) -> tuple[Query | None, bool]:
    """The completions of any of ``stems`` (one Or, None if none), and whether every scan was whole."""
    found: list[Query] = []
    whole = True
    for stem in stems:
        query, found_all = complete(fieldname, stem)
        whole = whole and found_all
        if query is not None:
            found.extend(query.subqueries if isinstance(query, Or) else [query])
    if not found:
        return None, whole
    return (found[0] if len(found) == 1 else Or(found)), whole


def phrase_query(fieldname: str, keys: list[str]) -> Query:
    """Adjacent, in-order match of two or more words, through syllable-pair terms."""
    pairs = [pair_term(a, b) for a, b in itertools.pairwise(keys)]
    return Term(fieldname, pairs[0]) if len(pairs) == 1 else Phrase(fieldname, pairs)


def exact_phrase_query(words: Sequence[QueryWord]) -> Query:
    """Adjacent words in their exact forms, as far as the index can say: the folded phrase and every exact syllable.

    A superset of the exact phrase: the tier's :class:`Check` keeps the paragraphs that really have it.
    """
    # Scored as the folded phrase alone (boost 0): the exact syllables only narrow it.
    exact_terms: list[Query] = [Term("exact", k, boost=0.0) for k in dict.fromkeys(w.exact for w in words)]
    return And([phrase_query("pairs", [w.folded for w in words])] + exact_terms)


def _marked_phrase(clause: Clause) -> bool:
    return len(clause.words) > 1 and any(w.marked for w in clause.words)


def _checked_exclusion(clause: Clause) -> bool:
    """Whether an excluded phrase is left to the tiers' :class:`Check`: the postings cannot say it
    (exact pairs are not indexed; pairs have no positions, so three syllables in a row are not
    their pairs anywhere)."""
    return _marked_phrase(clause) or len(clause.words) > 2


def _forbidden_run(clause: Clause) -> Run:
    if _marked_phrase(clause):
        return tuple(("x", w.exact) for w in clause.words)
    return tuple(("f", w.folded) for w in clause.words)


def exclusion_query(clause: Clause) -> Query | None:
    """``-ngoài`` excludes only *ngoài* (typed with marks); ``-ngoai`` excludes every form.

    None for a phrase typed with marks (``-"ngoại giao"``: the index has no exact pairs) and
    for one of three syllables or more (``-"kinh te thi truong"``: its pairs have no positions):
    the tiers' :class:`Check` forbids those on the stored text instead.
    """
    words = clause.words
    if _checked_exclusion(clause):
        return None
    if any(w.marked for w in words):
        return Term("exact", words[0].exact)
    keys = [w.folded for w in words]
    return Term("folded", keys[0]) if len(keys) == 1 else phrase_query("pairs", keys)
