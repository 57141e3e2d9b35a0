"""The strict tiers' queries, answered from the posting arrays of :mod:`searcher.search.bestmatch`.

:mod:`searcher.search.planning` writes each tier as a Whoosh query tree over three
kinds of term: ``exact`` keys, ``folded`` syllables and ``pairs`` of folded
syllables.  Their postings live once, as sorted numpy arrays of paragraph ids
(Whoosh docnums), stored by the index's codec (:mod:`searcher.index.codec`).  Here a tree becomes set
operations on those arrays (``And`` an intersection, ``Or`` a union, ``Not`` a
difference) and every paragraph in the result gets the BM25 score of the terms
it matched.  A syllable as frequent as *của* has tens of thousands of postings;
intersecting them this way takes a fraction of a millisecond, where walking them
in Python took tens.

What arrays cannot say, the tier's :class:`~searcher.search.planning.Check` says on
the stored text: a ``Phrase`` of three or more syllables is the paragraphs with
all its pairs, and the check keeps those where the pairs follow each other.

>>> from whoosh.query import And, Term
>>> matches = evaluate(index, And([Term("pairs", "ngoai_giao"), Term("exact", "ngoai~5")]))  # doctest: +SKIP
>>> matches.docnums[:3], matches.scores[:3]                                                   # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from whoosh.query import And, Not, Or, Phrase, Query, Term
from whoosh.query.qcore import _NullQuery

from searcher.search.bestmatch import term_key

if TYPE_CHECKING:
    from searcher.search.bestmatch import BestMatchIndex

__all__ = ["PREFIX_EXPANSIONS", "Matches", "completion_query", "evaluate", "top"]

PREFIX_EXPANSIONS = 12  # completions of an unfinished last word that are searched


@dataclass
class Matches:
    """Paragraphs (docnums, ascending) and their scores, aligned."""

    docnums: Any
    scores: Any

    def __len__(self) -> int:
        return len(self.docnums)


def _empty() -> Matches:
    import numpy as np

    return Matches(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32))


def evaluate(index: BestMatchIndex, query: Query) -> Matches:
    """The paragraphs that match ``query`` and their scores (BM25, each term times its boost).

    Understands ``Term``, ``And``, ``Or``, ``Not`` (inside an ``And``) and
    ``Phrase`` (all its terms; the order is the tier's check's to verify).
    """
    return _evaluate(index, query, 1.0)


def _evaluate(index: BestMatchIndex, query: Query, boost: float) -> Matches:
    import numpy as np

    boost *= float(getattr(query, "boost", 1.0))
    if isinstance(query, Term):
        key = term_key(query.fieldname, str(query.text))
        docnums, factors = index.postings(key)
        if not len(docnums):
            return _empty()
        weight = np.float32(boost * index.idf(key))
        return Matches(docnums, factors * weight if weight else np.zeros(len(docnums), dtype=np.float32))
    if isinstance(query, Phrase):
        return _intersect(index, [Term(query.fieldname, word) for word in query.words], boost)
    if isinstance(query, And):
        return _intersect(index, list(query.subqueries), boost)
    if isinstance(query, Or):
        parts = [m for m in (_evaluate(index, q, boost) for q in query.subqueries) if len(m)]
        if not parts:
            return _empty()
        if len(parts) == 1:
            return parts[0]
        every = np.concatenate([m.docnums for m in parts])
        weights = np.concatenate([m.scores for m in parts])
        size = int(every.max()) + 1
        # Many postings (a prefix's completions): one pass over a table is cheaper than a sort.
        if len(every) * 8 > size:
            docnums = np.flatnonzero(np.bincount(every, minlength=size))
            scores = np.bincount(every, weights=weights, minlength=size)[docnums]
        else:
            docnums, inverse = np.unique(every, return_inverse=True)
            scores = np.bincount(inverse, weights=weights, minlength=len(docnums))
        return Matches(docnums, scores.astype(np.float32))
    if isinstance(query, _NullQuery):
        return _empty()
    if isinstance(query, Not):
        raise TypeError("a Not query must sit inside an And (nothing to subtract it from)")
    raise TypeError(f"cannot answer a {type(query).__name__} query from the posting arrays")


def _intersect(index: BestMatchIndex, subqueries: list[Query], boost: float) -> Matches:
    import numpy as np

    wanted = [q for q in subqueries if not isinstance(q, Not)]
    unwanted = [q.query for q in subqueries if isinstance(q, Not)]
    if not wanted:
        raise TypeError("an And needs at least one query that is not a Not")
    parts = [_evaluate(index, q, boost) for q in wanted]
    parts.sort(key=len)  # the rarest first: every step can only shrink the set
    result = parts[0]
    for other in parts[1:]:
        if not len(result):
            break
        result = _and(result, other)
    for query in unwanted:
        if not len(result):
            break
        gone = _evaluate(index, query, 1.0).docnums
        if len(gone):
            keep = ~np.isin(result.docnums, gone, assume_unique=True)
            result = Matches(result.docnums[keep], result.scores[keep])
    return result


def _and(small: Matches, large: Matches) -> Matches:
    """The paragraphs in both (``small`` the shorter), their scores added."""
    import numpy as np

    if not len(large):
        return _empty()
    where = np.searchsorted(large.docnums, small.docnums)
    where[where >= len(large.docnums)] = len(large.docnums) - 1
    both = large.docnums[where] == small.docnums
    return Matches(small.docnums[both], small.scores[both] + large.scores[where[both]])


def completion_query(index: BestMatchIndex, fieldname: str, prefix: str) -> Query | None:
    """An ``Or`` of the :data:`PREFIX_EXPANSIONS` most frequent terms of ``fieldname`` that start with
    ``prefix`` (a ``Term`` when there is one, None when there are none)."""
    mark = term_key(fieldname, "")
    found = [Term(fieldname, term[len(mark) :]) for _, term in index.with_prefix(mark + prefix, PREFIX_EXPANSIONS)]
    return None if not found else found[0] if len(found) == 1 else Or(found)


def top(matches: Matches, count: int, order: Any) -> Any:
    """Indexes into ``matches`` of its ``count`` best, best first; equal scores in the folder's order
    (``order``: each docnum's place, :attr:`searcher.search.bestmatch.BestMatchIndex.order`)."""
    import numpy as np

    size = len(matches)
    if size == 0 or count <= 0:
        return np.empty(0, dtype=np.int64)
    if size > count:
        # Keep every paragraph tied with the last one chosen, so that ties go by the folder's order.
        threshold = np.partition(matches.scores, size - count)[size - count]
        chosen = np.flatnonzero(matches.scores >= threshold)
    else:
        chosen = np.arange(size)
    ranked = np.lexsort((order[matches.docnums[chosen]], -matches.scores[chosen]))
    return chosen[ranked][:count]
