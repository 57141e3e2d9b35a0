"""Query planning: from a parsed query to the Whoosh queries of its tiers, best first.

Pure functions: they read nothing from the index except through the
``complete`` function the caller passes in (the completions of an unfinished
last word), so a plan can be tested without an index.

The tiers (see :mod:`searcher.engine` for how they are run):

1. **adjacent**: the query's words next to each other and in order, answered
   from syllable-pair terms, which have short posting lists, so this is fast
   even when every single syllable is very common;
2. **partial**: all the words, with at least one adjacent pair of them;
3. **scattered**: all the words, anywhere in the paragraph.

A query typed with marks gets the three tiers twice: first in exact mode
(every word by its exact key: *ngoại* not *ngoài*, *hoà* = *hòa*), then in
folded mode.

>>> from searcher.query import parse_query
>>> plan = plan_query(parse_query("ngoại giao"), no_completions)
>>> [(tier.exact, tier.adjacent) for tier in plan.tiers]
[(True, True), (True, False), (False, True), (False, False)]
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from whoosh.query import And, Not, Or, Phrase, Query, Term

from .analysis import pair_term
from .query import Clause, ParsedQuery, QueryWord
from .text import fold

__all__ = ["Tier", "Plan", "Complete", "plan_query", "no_completions", "phrase_query", "exclusion_query"]

# (field name, prefix) -> (an Or of the completions or None when there are
# none, whether the lexicon scan that found them was whole)
Complete = Callable[[str, str], "tuple[Query | None, bool]"]


@dataclass
class Tier:
    """One tier: a Whoosh query, whether it means an exact-diacritic match, whether it is an adjacency tier."""

    query: Query
    exact: bool
    adjacent: bool = False


@dataclass
class Plan:
    """The tiers of one query, best first, and whether the completions of a prefix were all found."""

    tiers: list[Tier]
    whole: bool = True
    completions: Query | None = None  # of the unfinished last word, for best match


def no_completions(fieldname: str, prefix: str) -> tuple[Query | None, bool]:
    """A ``complete`` function for queries without a prefix (or for tests): none, and nothing missed."""
    return None, True


def plan_query(parsed: ParsedQuery, complete: Complete) -> Plan:
    """The tiers of ``parsed``, best first (see the module docstring)."""
    words = parsed.words
    prefix = parsed.prefix
    full_words = words[:-1] if prefix is not None else words
    exclusions = [Not(exclusion_query(c)) for c in parsed.excluded]
    whole = True

    completions: Query | None = None
    pair_next: Query | None = None
    if prefix is not None:
        # The unfinished word by its term and as typed: ``quy`` is the term
        # ``qui`` (quý = quí), and as typed it goes on to *quyết*.
        stems = dict.fromkeys([prefix.folded, fold(prefix.text)])
        if full_words:  # the pair completions are the precise ones: find them first
            pair_next, found_all = _complete_any(complete, "pairs", [pair_term(full_words[-1].folded, s) for s in stems])
            whole = whole and found_all
        completions, found_all = _complete_any(complete, "folded", list(stems))
        whole = whole and found_all
        if completions is None:
            completions = Term("folded", prefix.folded)

    tiers: list[Tier] = []
    if prefix is not None and prefix.marked:
        # A last word typed with marks may already be whole (``ngoại``, ``tình bạn``):
        # the exact tiers of the query as typed come first, as with ``prefix=False``.
        tiers.extend(t for t in plan_query(replace(parsed, prefix=None), complete).tiers if t.exact)
    for exact in (True, False) if parsed.marked else (False,):
        unigrams, pairs = ("exact", "xpairs") if exact else ("folded", "pairs")

        def key(word: QueryWord) -> str:
            return word.exact if exact else word.folded

        required: list[Query] = []
        for clause in parsed.clauses:
            if prefix is not None and clause.words[-1] is prefix:
                continue  # the unfinished word is matched by its completions
            if len(clause.words) == 1:
                required.append(Term(unigrams, key(clause.words[0])))
            else:
                required.append(phrase_query(pairs, [key(w) for w in clause.words]))
        if completions is not None:
            required.append(completions)

        candidates: list[tuple[Query, bool]] = []
        # 1. Adjacent: the whole query as one phrase of syllable pairs.
        if prefix is not None:
            if pair_next is not None:
                done = [phrase_query(pairs, [key(w) for w in full_words])] if len(full_words) >= 2 else []
                # The pair completions are folded: in exact mode the finished words must also be there exactly.
                marks = [Term(unigrams, key(w)) for w in full_words if w.marked] if exact else []
                parts = done + marks + [pair_next]
                candidates.append((parts[0] if len(parts) == 1 else And(parts), True))
        elif len(words) >= 2:
            candidates.append((phrase_query(pairs, [key(w) for w in words]), True))
        # 2. Partial: every word, and at least one adjacent pair.  The pair
        #    terms drive the intersection, so this stays fast for common words.
        pair_terms: list[Query] = [Term(pairs, pair_term(key(a), key(b))) for a, b in zip(full_words, full_words[1:])]
        if pair_next is not None:
            pair_terms.append(pair_next)
        if len(pair_terms) >= 2:
            candidates.append((And([Or(pair_terms)] + required), False))
        # 3. Scattered: every word, anywhere.
        candidates.append((required[0] if len(required) == 1 else And(required), False))

        for query, adjacent in candidates:
            if exclusions:
                query = And([query] + exclusions)
            tiers.append(Tier(query, exact or not parsed.marked, adjacent))
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
    pairs = [pair_term(a, b) for a, b in zip(keys, keys[1:])]
    return Term(fieldname, pairs[0]) if len(pairs) == 1 else Phrase(fieldname, pairs)


def exclusion_query(clause: Clause) -> Query:
    """``-ngoài`` excludes only *ngoài* (typed with marks); ``-ngoai`` excludes every form."""
    words = clause.words
    if any(w.marked for w in words):
        keys, unigrams, pairs = [w.exact for w in words], "exact", "xpairs"
    else:
        keys, unigrams, pairs = [w.folded for w in words], "folded", "pairs"
    return Term(unigrams, keys[0]) if len(keys) == 1 else phrase_query(pairs, keys)

