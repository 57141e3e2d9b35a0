"""The plan's Whoosh queries, said in OpenSearch's query DSL."""

from __future__ import annotations

from typing import Any

from whoosh.query import And, Not, Or, Phrase, Prefix, Query, Term

from searcher.errors import QueryError

__all__ = ["to_dsl"]


def to_dsl(query: Query) -> dict[str, Any]:
    """The OpenSearch query for one of the plan's Whoosh queries.

    ``And`` → ``bool.must`` (scores add up, as in Whoosh), ``Or`` → ``bool.should``
    with one required, ``Not`` → ``must_not``, a ``Phrase`` of pair terms →
    ``match_phrase`` on the pair field (its analyzer splits on whitespace only).

    >>> to_dsl(And([Term("folded", "ngoai"), Not(Term("folded", "my"))]))
    {'bool': {'must': [{'term': {'folded': 'ngoai'}}], 'must_not': [{'term': {'folded': 'my'}}]}}
    >>> to_dsl(Phrase("pairs", ["ngoai_giao", "giao_kinh"]))
    {'match_phrase': {'pairs': 'ngoai_giao giao_kinh'}}

    A boost is kept; a part of an ``And`` with boost 0 (the exact syllables of a marked
    phrase, :func:`searcher.search.planning.exact_phrase_query`) narrows without scoring, as
    in :mod:`searcher.search.matching`: a ``filter``.

    >>> to_dsl(And([Term("pairs", "ngoai_giao"), Term("exact", "ngoai~5", boost=0.0)]))
    {'bool': {'must': [{'term': {'pairs': 'ngoai_giao'}}], 'filter': [{'term': {'exact': 'ngoai~5'}}]}}
    """
    if isinstance(query, Term):
        boost = float(getattr(query, "boost", 1.0))
        if boost not in (0.0, 1.0):
            return {"term": {query.fieldname: {"value": query.text, "boost": boost}}}
        return {"term": {query.fieldname: query.text}}
    if isinstance(query, Phrase):
        return {"match_phrase": {query.fieldname: " ".join(query.words)}}
    if isinstance(query, Prefix):
        return {"prefix": {query.fieldname: query.text}}
    if isinstance(query, Not):
        return {"bool": {"must_not": [to_dsl(query.query)]}}
    if isinstance(query, And):
        scored = [q for q in query.subqueries if not isinstance(q, Not) and float(getattr(q, "boost", 1.0)) != 0.0]
        unscored = [q for q in query.subqueries if not isinstance(q, Not) and float(getattr(q, "boost", 1.0)) == 0.0]
        must_not = [to_dsl(q.query) for q in query.subqueries if isinstance(q, Not)]
        body: dict[str, Any] = {"must": [to_dsl(q) for q in scored]}
        if unscored:
            body["filter"] = [to_dsl(q) for q in unscored]
        if must_not:
            body["must_not"] = must_not
        return {"bool": body}
    if isinstance(query, Or):
        return {"bool": {"should": [to_dsl(q) for q in query.subqueries], "minimum_should_match": 1}}
    raise QueryError(f"cannot translate {type(query).__name__} for OpenSearch")
