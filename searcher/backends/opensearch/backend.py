"""Searching an index on a cluster, with the ranking the local index uses.

The cluster does what it is good at, finding candidates: for each of a
search's tier queries and for its best-match pass, it sends its best
paragraphs (by its own BM25, which is close to ours) with their text.  Their
postings are then worked out here by the schema's own analysis
(:func:`searcher.search.candidates.candidate_index`), and scored by the one
ranking (:mod:`searcher.search.ranking`) with the cluster's index-wide
statistics: the number of paragraphs, their mean length and each term's
document frequency.  So a paragraph gets the score it gets locally, and the
same corpus gives the same hits in the same order, wherever it is indexed.
An unfinished last word stands for its most frequent completions in the whole
index, as locally, found from a sample of the paragraphs that have one.  Only a
paragraph that the cluster's own order leaves outside the candidates it
sends (:data:`STRICT_FETCH` a tier, :data:`BEST_FETCH` for best match, and every
paragraph with a word rarer than :data:`RARE_FETCH`) can be missed.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whoosh.query import Or, Phrase, Query, Term

from searcher.backends.base import View, Wanted
from searcher.backends.opensearch.client import (
    Address,
    ClusterError,
    ClusterUnavailable,
    alias_targets,
    call,
    connect,
    index_meta,
    parse_address,
    reason,
    totals,
)
from searcher.backends.opensearch.dsl import to_dsl
from searcher.backends.opensearch.mapping import CLUSTER_SCHEMA_VERSION, SOURCE_FIELDS
from searcher.errors import IndexMissing, IndexUnusable
from searcher.index.schema import KIND_PARAGRAPH
from searcher.search.bestmatch import FIELD_MARKS, PAIR_BOOST, split_key, term_key
from searcher.search.candidates import Analysis, analyse, candidate_index
from searcher.search.matching import PREFIX_EXPANSIONS

if TYPE_CHECKING:
    from searcher.documents.filters import PathFilter

__all__ = ["OpenSearchBackend"]

SEARCH_TIMEOUT = 10.0  # seconds a search waits for the cluster before it says so
CHECK_EVERY = 1.0  # seconds between two looks at where the alias points
STRICT_FETCH = 50  # candidates fetched for each tier query, at least (the ranker asks for 2 × its limit + 30)
BEST_FETCH = 100  # candidates fetched for the best-match pass (its coverage share reorders the cluster's BM25)
ANALYSES_KEPT = 5000  # candidates' analyses remembered (a live search asks for the same ones at every keystroke)
MAX_WINDOW = 10_000  # the most paragraphs one search may send (the cluster's index.max_result_window)
RARE_FETCH = 500  # a query word in at most this many paragraphs brings them all to best match
KNOWN_KEPT = 65536  # term counts remembered per index state
BROAD_FACTOR = 4  # a tier query with an unfinished word's completions fetches this many times more
COMPLETION_SAMPLE = 200  # paragraphs with an unfinished word's completions read to find the frequent ones


class OpenSearchBackend:
    """An index on an OpenSearch cluster (see :mod:`searcher.backends.opensearch`)."""

    def __init__(self, address: str | Address) -> None:
        self.address = address if isinstance(address, Address) else parse_address(address)
        self._lock = threading.RLock()
        # Someone waits for each search: a cluster that hangs is reported after SEARCH_TIMEOUT, not a minute.
        self._client = connect(self.address, timeout=SEARCH_TIMEOUT, retry_on_timeout=False)
        self._target: str | None = None
        self._meta: dict[str, Any] = {}
        self._checked = 0.0
        self._frequencies: dict[str, int] = {}  # term key -> paragraphs with it (the index-wide statistics)
        self._prefixes: dict[tuple[str, str], bool] = {}
        self._totals: tuple[int, float] | None = None  # (paragraphs, mean length)
        self._analyses: dict[str, Analysis] = {}  # document id -> its terms, for this index state
        self._completions: dict[tuple[str, str], Query | None] = {}
        self.version = 0
        self.refresh(force=True)

    # -- lifecycle -------------------------------------------------------

    def refresh(self, force: bool = False) -> bool:
        """Notice an alias swap (a full rebuild) or an update in place (the ``updated`` stamp of the index's
        ``_meta``); at most one look a second unless ``force``."""
        with self._lock:
            now = time.monotonic()
            if not force and now - self._checked < CHECK_EVERY:
                return False
            self._checked = now
            targets = alias_targets(self._client, self.address)
            if not targets:
                raise IndexMissing(
                    f"no index {self.address.name} at {self.address.url}: build it with "
                    f"search-index --index {self.address} --corpus FOLDER"
                )
            meta = index_meta(self._client, self.address, targets[0])
            if targets[0] == self._target and meta.get("updated") == self._meta.get("updated"):
                return False
            if meta.get("schema_version") != CLUSTER_SCHEMA_VERSION:
                raise IndexUnusable(
                    f"the index {self.address} was built by another version of searcher: rebuild it with "
                    f"search-index --full --index {self.address} --corpus FOLDER"
                )
            self._target, self._meta = targets[0], meta
            self._forget()
            return True

    def _forget(self) -> None:
        self._frequencies, self._prefixes, self._totals, self._analyses = {}, {}, None, {}
        self._completions = {}
        self.version += 1

    def close(self) -> None:
        """Close the connection."""
        try:
            self._client.close()
        except Exception:  # closing what may already be gone
            pass

    def recover(self, exc: BaseException) -> bool:
        """Say an unexpected failure of the cluster in one line (those it reports,
        :func:`~searcher.backends.opensearch.client.call` says already)."""
        raise ClusterUnavailable(f"OpenSearch at {self.address.url}: {reason(exc)}") from None

    def warm(self) -> None:
        """Nothing to precompute: a cluster's completions are looked up as they are typed."""

    # -- facts about the index -----------------------------------------

    @property
    def corpus(self) -> Path:
        """The folder the index was built from."""
        return Path(self._meta.get("corpus", "."))

    def stats(self) -> dict[str, Any]:
        """Paragraph and file counts, size of the primaries, build time."""
        index = self._target
        paragraphs, files = totals(self._client, self.address, index or "")
        size = call(self.address, self._client.indices.stats, index=index, metric="store")
        return {
            "paragraphs": paragraphs,
            "files": files,
            "bytes": size["_all"]["primaries"]["store"]["size_in_bytes"],
            "built": self._meta.get("created", 0.0),
            "generation": index,
            "corpus": str(self.corpus),
        }

    def document(self, path: str) -> list[dict[str, Any]]:
        """The stored fields of every paragraph of ``path``, in order."""
        from opensearchpy import helpers

        query = {
            "query": {"bool": {"filter": [{"term": {"path": path}}, {"term": {"kind": KIND_PARAGRAPH}}]}},
            "_source": SOURCE_FIELDS,
        }
        try:
            rows = [hit["_source"] for hit in helpers.scan(self._client, index=self._target, query=query)]
        except Exception as exc:  # said in one line
            self.recover(exc)
        rows.sort(key=lambda f: f["ordinal"])
        return rows

    def term_source(self) -> None:
        """Did-you-mean reads counts of marked forms that a cluster is not asked for (yet)."""
        return

    # -- term statistics ---------------------------------------------------

    def _counts(self, queries: list[dict[str, Any]]) -> list[int]:
        """How many paragraphs match each query (one ``_msearch``)."""
        if not queries:
            return []
        lines: list[dict[str, Any]] = []
        kind = {"term": {"kind": KIND_PARAGRAPH}}
        for query in queries:
            lines.append({"index": self._target})
            lines.append({"size": 0, "track_total_hits": True, "query": {"bool": {"filter": [kind, query]}}})
        responses = call(self.address, self._client.msearch, body=lines)["responses"]
        return [int(r.get("hits", {}).get("total", {}).get("value", 0)) for r in responses]

    def _fetch_frequencies(self, keys: list[str]) -> None:
        """Count the paragraphs of each of ``keys`` (vocabulary entries) not counted yet."""
        missing = [key for key in dict.fromkeys(keys) if key not in self._frequencies]
        if not missing:
            return
        if len(self._frequencies) + len(missing) > KNOWN_KEPT:
            self._frequencies = {}
        queries = [{"term": dict([split_key(key)])} for key in missing]
        self._frequencies.update(zip(missing, self._counts(queries), strict=True))

    def document_frequency(self, term: str) -> int:
        """In how many paragraphs of the whole index ``term`` (a vocabulary entry) occurs."""
        if term not in self._frequencies:
            self._fetch_frequencies([term])
        return self._frequencies[term]

    @property
    def live(self) -> int:
        """How many paragraphs the index holds."""
        return self._statistics()[0]

    @property
    def average_length(self) -> float:
        """Their mean length in syllables."""
        return self._statistics()[1]

    def _statistics(self) -> tuple[int, float]:
        if self._totals is None:
            body = {
                "size": 0,
                "track_total_hits": True,
                "query": {"term": {"kind": KIND_PARAGRAPH}},
                "aggs": {"length": {"sum": {"field": "length"}}},
            }
            found = call(self.address, self._client.search, index=self._target, body=body)
            count = int(found["hits"]["total"]["value"])
            length = float(found["aggregations"]["length"]["value"] or 0.0)
            # As locally: at least one paragraph, of at least one syllable.
            self._totals = (max(1, count), max(1.0, length / max(1, count)))
        return self._totals

    def known(self, fieldname: str, term: str, as_prefix: bool) -> bool:
        """Whether some paragraph has ``term`` in ``fieldname`` (``as_prefix``: a term starting with it)."""
        if not as_prefix:
            return self.document_frequency(term_key(fieldname, term)) > 0
        key = (fieldname, term)
        if key not in self._prefixes:
            self._prefixes[key] = self._counts([{"prefix": {fieldname: term}}])[0] > 0
        return self._prefixes[key]

    def completions(self, fieldname: str, prefix: str) -> Query | None:
        """An ``Or`` of the most frequent terms of the whole index that start with ``prefix``, as locally
        (:func:`searcher.search.matching.completion_query`): the terms come from a sample of the
        paragraphs that have one, and their document frequencies from the cluster."""
        key = (fieldname, prefix)
        if key in self._completions:
            return self._completions[key]
        found: Query | None = None
        if self.known(fieldname, prefix, as_prefix=True):
            body = {
                "size": COMPLETION_SAMPLE,
                "_source": ["text"],
                # A random sample (the same each time: seeded), not the folder's first paragraphs.
                "query": {
                    "function_score": {
                        "query": {
                            "bool": {"filter": [{"term": {"kind": KIND_PARAGRAPH}}, {"prefix": {fieldname: prefix}}]}
                        },
                        "random_score": {"seed": 21, "field": "pid"},
                        "boost_mode": "replace",
                    }
                },
            }
            hits = call(self.address, self._client.search, index=self._target, body=body)["hits"]["hits"]
            seen: Counter[str] = Counter()
            for hit in hits:
                counts = self._analysis(hit["_id"], hit["_source"], fieldname == "exact").counts[fieldname]
                seen.update(term for term in counts if term.startswith(prefix))
            # The sample's most common completions, then the whole index's counts decide.
            terms = [term for term, _ in seen.most_common(COMPLETION_SAMPLE // 4)]
            keys = [term_key(fieldname, term) for term in terms]
            self._fetch_frequencies(keys)
            ranked = sorted(zip(terms, keys, strict=True), key=lambda t: (-self._frequencies[t[1]], t[1]))
            chosen = [Term(fieldname, term) for term, _ in ranked[:PREFIX_EXPANSIONS]]
            found = None if not chosen else chosen[0] if len(chosen) == 1 else Or(chosen)
        if len(self._completions) > KNOWN_KEPT // 16:
            self._completions = {}
        self._completions[key] = found
        return found

    # -- candidates ----------------------------------------------------------

    def view(self, wanted: Wanted, scope: PathFilter) -> View:
        """The postings of the candidates the cluster sends for ``wanted``, scored with its statistics."""
        from searcher.documents.filters import FilterError

        if scope.active:
            raise FilterError("a search on a cluster cannot be kept to some files yet (-g, -t, a subfolder)")
        keys = _keys(wanted)
        self._fetch_frequencies(keys)
        searches: list[dict[str, Any]] = []
        pool = max(wanted.pool, STRICT_FETCH)
        for query in {repr(q): q for q in wanted.queries}.values():
            # An unfinished word's completions make a broad query of many near-equal scores, which the
            # cluster's BM25 (lengths kept in one byte) orders a little differently: more candidates.
            broad = any(isinstance(leaf, Or) for leaf in [query, *_compounds(query)])
            searches.append(_fetch(to_dsl(query), pool * BROAD_FACTOR if broad else pool))
        best = _best_match_query(wanted)
        if best is not None:
            searches.append(_fetch(best, max(wanted.pool, BEST_FETCH)))
            # Best match scales BM25 by the share of the query's IDF a paragraph covers: one with the
            # rare words can rank far higher than in the cluster's own order.  Every paragraph with a
            # rare word of the query (and enough of the others) is a candidate.
            for word in wanted.words:
                frequency = self._frequencies.get(word, RARE_FETCH + 1)
                if 0 < frequency <= RARE_FETCH:
                    rare = {"bool": {"must": [{"term": {"folded": word}}], "filter": [best]}}
                    searches.append(_fetch(rare, frequency))
        sources: dict[str, dict[str, Any]] = {}
        if searches:
            lines: list[dict[str, Any]] = []
            for body in searches:
                lines += [{"index": self._target}, body]
            for response in call(self.address, self._client.msearch, body=lines)["responses"]:
                if "error" in response:
                    refusal = _refusal(response["error"])
                    raise ClusterError(f"OpenSearch at {self.address.url} refused a search: {refusal}")
                for hit in response["hits"]["hits"]:
                    sources.setdefault(hit["_id"], hit["_source"])
        # Numbered in the folder's order, as the local index's docnums mostly are.
        found = sorted(
            sources.items(), key=lambda s: (int(s[1].get("pid", 0)), s[1].get("path", ""), int(s[1].get("ordinal", 0)))
        )
        rows = [source for _, source in found]
        exact = any(key.startswith(FIELD_MARKS["exact"]) for key in keys)
        analyses = [self._analysis(doc_id, source, exact) for doc_id, source in found]
        # Best match counts an unfinished word by its completions: every term it may complete to is kept.
        prefixes = [term_key("folded", wanted.prefix)] if wanted.prefix is not None else []
        index = candidate_index(analyses, [int(row.get("pid", 0)) for row in rows], self, keys, prefixes)
        return View(index, rows.__getitem__, None, lasting=False)

    def _analysis(self, doc_id: str, source: dict[str, Any], exact: bool) -> Analysis:
        """A candidate's terms (its ``exact`` ones when a search weighs them), worked out once per index
        state: the next keystroke asks for most of them again."""
        found = self._analyses.get(doc_id)
        if found is None or (exact and not found.exact):
            if len(self._analyses) >= ANALYSES_KEPT:
                self._analyses = {}
            found = self._analyses[doc_id] = analyse(source.get("text", ""), exact)
        return found


def _refusal(error: Any) -> str:
    """The cluster's reason for refusing one search of an ``_msearch``, on one line."""
    causes = error.get("root_cause") if isinstance(error, dict) else None
    cause = causes[0] if isinstance(causes, list) and causes and isinstance(causes[0], dict) else error
    text = " ".join(str(cause.get("reason", cause) if isinstance(cause, dict) else cause).split())
    return text if len(text) <= 300 else text[:297] + "..."


def _compounds(query: Query) -> list[Query]:
    """Every query inside ``query``, at any depth."""
    inner = [] if query.is_leaf() else list(query.children())
    return inner + [deeper for child in inner for deeper in _compounds(child)]


def _leaves(queries: list[Query]) -> list[Query]:
    """Every leaf query (a term, a phrase, a prefix) of ``queries``."""
    return [leaf for query in queries for leaf in ([query] if query.is_leaf() else query.leaves())]


def _keys(wanted: Wanted) -> list[str]:
    """Every vocabulary entry a search of ``wanted`` weighs: its IDFs are fetched in one request."""
    keys: list[str] = []
    for leaf in _leaves(wanted.queries):
        if isinstance(leaf, Term):
            keys.append(term_key(leaf.fieldname, str(leaf.text)))
        elif isinstance(leaf, Phrase):  # of pair terms
            keys.extend(term_key(leaf.fieldname, str(w)) for w in leaf.words)
    keys += wanted.words + wanted.excluded + [term_key("pairs", pair) for pair in wanted.pairs]
    keys += [term_key("exact", key) for key in wanted.exact]
    return keys


def _fetch(query: dict[str, Any], size: int) -> dict[str, Any]:
    """A search for the ``size`` best paragraphs of ``query``, with their stored fields."""
    return {
        "size": min(size, MAX_WINDOW),
        "_source": SOURCE_FIELDS,
        "query": {"bool": {"must": [query], "filter": [{"term": {"kind": KIND_PARAGRAPH}}]}},
        "sort": [{"_score": "desc"}, {"pid": "asc"}],
    }


def _best_match_query(wanted: Wanted) -> dict[str, Any] | None:
    """The best-match pass's candidates: paragraphs with at least ``min_words`` of the words, pairs adding."""
    words: list[dict[str, Any]] = [{"term": {"folded": word}} for word in wanted.words]
    if wanted.prefix is not None:
        words.append({"prefix": {"folded": wanted.prefix}})
    if len(words) < 2:
        return None
    return {
        "bool": {
            "must": [{"bool": {"should": words, "minimum_should_match": wanted.min_words}}],
            "should": [{"term": {"pairs": {"value": pair, "boost": PAIR_BOOST}}} for pair in wanted.pairs],
            "must_not": [{"term": {"folded": term}} for term in wanted.excluded],
        }
    }
