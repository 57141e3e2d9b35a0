"""Best-match retrieval and the strict tiers' postings: the syllable fields' arrays, scored with BM25.

A question typed whole (*ngành ngoại giao đã đóng góp gì cho kinh tế?*) has no
paragraph with every word, so it is answered here: every paragraph that has
*any* of the words gets its BM25 score in one vectorized pass over the words'
posting arrays (numpy, loaded only when a query needs it).  A syllable as
frequent as *của* has tens of thousands of postings; walking them one by one in
Python, as Whoosh's matchers do, takes tens of milliseconds per word, while a
numpy gather over the same array takes a fraction of one.

Words rare in this folder weigh more than frequent syllables (BM25's IDF, no
stop list), and adjacent query words found adjacent (the pair terms, which
stand for two-syllable words) add to the score.  The pass also counts, per
paragraph, how many of the query's words it has: when no paragraph has them
all, the engine skips the strict tiers, which could find nothing.

The scoring is written once, here, for every backend.  Locally the arrays are
how Whoosh stores the ``exact``, ``folded`` and ``pairs`` fields
(:mod:`searcher.index.codec`), one part per Whoosh segment; on a cluster they
are built from the candidates it sent (:mod:`searcher.search.candidates`), and
the cluster's index-wide statistics stand in for the part's own.  Paragraphs
are docnums; ties are broken by the ``pid`` column, the folder's order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = [
    "min_words",
    "split_key",
    "term_key",
    "BestMatchIndex",
    "Candidates",
    "Field",
    "Part",
    "Statistics",
    "K1",
    "B",
    "PAIR_BOOST",
]

K1 = 1.2
B = 0.75
PAIR_BOOST = 1.5  # a pair stands for a two-syllable word and for word order
# A paragraph's BM25 is scaled by the share of the query's IDF mass it covers,
# to this power: one that has the rare, telling words of a question beats one
# that repeats two of them (Lucene's old "coord" factor, weighted by IDF).
COVERAGE_POWER = 0.5  # measured on the QA sets: 0 and 0.5 within noise, 2 worse; 0.5 reads better
# A term of any of the three fields is named by one string (what the planner's queries and
# did-you-mean's counts are keyed by): folded syllables as they are (``ngoai``), pairs of
# folded syllables after PAIR_MARK (``_ngoai_giao``) and exact keys after EXACT_MARK
# (``=ngoai~5``).  Syllables are letters and digits only, so the marks cannot start one.
PAIR_MARK = "_"
EXACT_MARK = "="
FIELD_MARKS = {"folded": "", "pairs": PAIR_MARK, "exact": EXACT_MARK}
_FIELD_OF_MARK = {PAIR_MARK: "pairs", EXACT_MARK: "exact"}


def split_key(key: str) -> tuple[str, str]:
    """The field and the term of a vocabulary entry (see :func:`term_key`).

    >>> split_key("_ngoai_giao"), split_key("ngoai")
    (('pairs', 'ngoai_giao'), ('folded', 'ngoai'))
    """
    name = _FIELD_OF_MARK.get(key[:1])
    return ("folded", key) if name is None else (name, key[1:])


def term_key(fieldname: str, text: str) -> str:
    """The vocabulary entry of a term of the ``exact``, ``folded`` or ``pairs`` kind.

    >>> term_key("pairs", "ngoai_giao"), term_key("folded", "ngoai")
    ('_ngoai_giao', 'ngoai')
    """
    return FIELD_MARKS[fieldname] + text


def min_words(count: int) -> int:
    """How many of a query's ``count`` words a best-match hit must have: half of a short query's
    (``thương mại và đầu tư`` is not answered by paragraphs that share only *và*), two of a long one's.

    >>> min_words(2), min_words(5), min_words(13)
    (1, 3, 2)
    """
    return (count + 1) // 2 if count <= 6 else 2


@dataclass
class Candidates:
    """The best paragraphs (docnums) by BM25, best first, with how many of the query's words each has."""

    docnums: list[int] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    words_found: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)  # which of the query's words each has: bit i for word i
    best_coverage: int = 0  # the most query words any paragraph has
    full_matches: int = 0  # paragraphs that have every word (what the strict tiers can find at most)
    idf: dict[str, float] = field(default_factory=dict)  # folded word -> its IDF here


class Field(Protocol):
    """One field's sorted vocabulary and postings (:class:`searcher.index.arrays.FieldArrays` on disk,
    :class:`searcher.search.candidates.MemoryField` for a cluster's candidates)."""

    terms: int

    def term(self, index: int) -> bytes: ...
    def find(self, tbytes: bytes) -> int: ...
    def prefix_range(self, prefix: bytes) -> tuple[int, int]: ...
    def postings(self, index: int) -> tuple[Any, Any]: ...
    def document_frequencies(self, start: int, end: int) -> Any: ...


class Part:
    """The postings of some documents (a Whoosh segment), at their place (``base``) among all the documents."""

    def __init__(self, fields: Mapping[str, Field], lengths: Any, base: int, count: int, dead: Any) -> None:
        self.fields, self.lengths, self.base, self.count, self.dead = fields, lengths, base, count, dead
        self._norm: tuple[float, Any] | None = None

    def norm(self, average_length: float) -> Any:
        """BM25's length normalisation ``k1·(1 − b + b·len/avglen)`` of every paragraph (cached)."""
        import numpy as np

        if self._norm is None or self._norm[0] != average_length:
            lengths = np.asarray(self.lengths, dtype=np.float32)
            self._norm = (average_length, K1 * (1.0 - B + B * lengths / np.float32(average_length)))
        return self._norm[1]

    def postings(self, key: str) -> tuple[Any, Any] | None:
        """The local documents (ascending) and term frequencies of a vocabulary entry, or None."""
        name, term = split_key(key)
        field = self.fields.get(name)
        if field is None:
            return None
        index = field.find(term.encode("utf-8"))
        return None if index < 0 else field.postings(index)


class Statistics(Protocol):
    """Index-wide figures BM25 needs, for postings that hold only some of the index's paragraphs
    (the candidates a cluster sent): how many live paragraphs, their mean length, and each
    term's document frequency."""

    @property
    def live(self) -> int:
        """How many live paragraphs the whole index holds."""
        ...

    @property
    def average_length(self) -> float:
        """Their mean length, in syllables."""
        ...

    def document_frequency(self, term: str) -> int:
        """In how many live paragraphs of the whole index ``term`` (a vocabulary entry) occurs."""
        ...


class BestMatchIndex:
    """The syllable fields' postings, opened for scoring: one :class:`Part` per Whoosh segment of
    the local index (:func:`searcher.backends.local.read_postings`), or one part holding the
    candidates a cluster sent (:func:`searcher.search.candidates.candidate_index`).

    ``order`` is each document's place in the folder's order (its ``pid``), which
    breaks ties; ``paragraphs`` says which docnums are live paragraphs (file records
    and deleted documents are not).  BM25's statistics are the parts' own, unless
    ``statistics`` gives the whole index's.
    """

    def __init__(self, parts: list[Part], order: Any, paragraphs: Any, statistics: Statistics | None = None) -> None:
        import numpy as np

        self.order, self.paragraphs, self.parts = order, paragraphs, parts
        self._statistics = statistics
        if statistics is not None:
            self.live = max(1, int(statistics.live))
            self.average_length = max(1.0, float(statistics.average_length))
        else:
            live_length = 0
            for part in parts:
                alive = paragraphs[part.base : part.base + part.count]
                live_length += int(np.asarray(part.lengths, dtype=np.int64)[alive].sum())
            self.live = max(1, int(np.count_nonzero(paragraphs)))
            self.average_length = max(1.0, live_length / self.live)
        self._postings: dict[str, tuple[Any, Any]] = {}
        self._frequencies: dict[str, int] = {}

    def document_frequency(self, term: str) -> int:
        """In how many live paragraphs ``term`` (a vocabulary entry: see :func:`term_key`) occurs."""
        if self._statistics is not None:
            return self._statistics.document_frequency(term)
        cached = self._postings.get(term)
        if cached is not None:
            return len(cached[0])
        found = self._frequencies.get(term)
        if found is None:
            # Counted without BM25's factors: a question's IDFs need only the counts, and the
            # factors of a syllable as frequent as *của* cost a pass over all its postings.
            import numpy as np

            found = 0
            for part in self.parts:
                dead = part.dead
                local = part.postings(term)
                if local is not None:
                    found += len(local[0]) - (int(np.count_nonzero(np.isin(local[0], dead))) if len(dead) else 0)
            if len(self._frequencies) >= 65536:
                self._frequencies.clear()
            self._frequencies[term] = found
        return found

    def postings(self, term: str) -> tuple[Any, Any]:
        """The live paragraphs with ``term`` (docnums, ascending) and BM25's term-frequency factor
        ``tf·(k1+1)/(tf + k1·(1−b+b·len/avglen))`` for each (a vocabulary entry: see :func:`term_key`)."""
        import numpy as np

        cached = self._postings.get(term)
        if cached is not None:
            return cached
        ids: list[Any] = []
        factors: list[Any] = []
        for part in self.parts:
            dead = part.dead
            found = part.postings(term)
            if found is None:
                continue
            local = np.asarray(found[0], dtype=np.int64)
            tf = np.asarray(found[1], dtype=np.float32)
            if len(dead):
                alive = ~np.isin(local, dead, assume_unique=True)
                local, tf = local[alive], tf[alive]
            norm = part.norm(self.average_length)
            ids.append(local + part.base)
            factors.append(tf * np.float32(K1 + 1.0) / (tf + norm[local]))
        if not ids:
            result = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32))
        elif len(ids) == 1:
            result = (ids[0], factors[0])
        else:  # parts cover ascending docnum ranges: concatenated, the docnums stay sorted
            result = (np.concatenate(ids), np.concatenate(factors))
        if len(self._postings) >= 256:
            self._postings.clear()
        self._postings[term] = result
        return result

    def holds(self, term: str, docnums: Any) -> Any:
        """Whether each of ``docnums`` (live paragraphs, an int64 array in any order) has ``term``
        (a vocabulary entry), read from the postings alone: no BM25 factors are worked out."""
        import numpy as np

        cached = self._postings.get(term)
        if cached is not None:
            found = cached[0]
            if not len(found):
                return np.zeros(len(docnums), dtype=bool)
            where = np.minimum(np.searchsorted(found, docnums), len(found) - 1)
            return found[where] == docnums
        held = np.zeros(len(docnums), dtype=bool)
        if len(self.parts) == 1:  # the usual case (one segment after a full build): no masks
            part = self.parts[0]
            local = part.postings(term)
            if local is None or not len(local[0]):
                return held
            found = local[0]
            wanted = (docnums - part.base if part.base else docnums).astype(found.dtype)
            where = found.searchsorted(wanted)
            where[where == len(found)] = 0
            return found[where] == wanted
        for part in self.parts:
            local = part.postings(term)
            if local is None or not len(local[0]):
                continue
            inside = (docnums >= part.base) & (docnums < part.base + part.count)
            if not inside.any():
                continue
            wanted = (docnums[inside] - part.base).astype(local[0].dtype)
            where = np.minimum(np.searchsorted(local[0], wanted), len(local[0]) - 1)
            held[inside] = local[0][where] == wanted
        return held

    def _ranges(self, prefix: str) -> list[tuple[Field, int, int]]:
        """Each part's range ``[start, end)`` of the terms that start with ``prefix`` (a vocabulary entry)."""
        name, text = split_key(prefix)
        target = text.encode("utf-8")
        found = []
        for part in self.parts:
            field = part.fields.get(name)
            if field is not None:
                start, end = field.prefix_range(target)
                if start < end:
                    found.append((field, start, end))
        return found

    def with_prefix(self, prefix: str, limit: int) -> list[tuple[int, str]]:
        """The ``limit`` most frequent terms that start with ``prefix``, as ``(document frequency, term)``,
        most frequent first (ties alphabetical)."""
        import numpy as np

        mark = FIELD_MARKS[split_key(prefix)[0]]
        frequency: dict[str, int] = {}
        for arrays, start, end in self._ranges(prefix):
            counts = arrays.document_frequencies(start, end)
            if len(counts) > limit * 4:  # the other parts may reorder the top few: keep a margin
                chosen = np.argpartition(-counts, limit * 4 - 1)[: limit * 4]
            else:
                chosen = np.arange(len(counts))
            for local in chosen.tolist():
                term = mark + arrays.term(start + local).decode("utf-8")
                frequency[term] = frequency.get(term, 0) + int(counts[local])
        ranked = sorted(((count, term) for term, count in frequency.items()), key=lambda c: (-c[0], c[1]))
        return ranked[:limit]

    def has_prefix(self, prefix: str) -> bool:
        """Whether some term starts with ``prefix`` (a vocabulary entry)."""
        return bool(self._ranges(prefix))

    def prefixes(self, length: int) -> set[str]:
        """The distinct beginnings, ``length`` characters long, of the folded syllables, found by
        jumping over each one's range of the sorted vocabulary."""
        found: set[str] = set()
        for part in self.parts:
            field = part.fields.get("folded")
            if field is None:
                continue
            index = 0
            while index < field.terms:
                term = field.term(index).decode("utf-8")
                if len(term) < length:
                    index += 1
                else:
                    found.add(term[:length])
                    index = field.prefix_range(term[:length].encode("utf-8"))[1]
        return found

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency of a folded syllable (``"ngoai"``) or pair (``"_ngoai_giao"``)."""
        df = self.document_frequency(term)
        return math.log(1.0 + (self.live - df + 0.5) / (df + 0.5))

    def search(
        self,
        words: list[list[str]],
        pairs: list[str],
        excluded: list[str] | None = None,
        allowed: Any = None,
        limit: int = 50,
        min_words: int = 1,
    ) -> Candidates:
        """Score every paragraph that has any of the query's words; return the ``limit`` best.

        ``words`` holds, for each query word, the folded terms that count as
        that word (one, or the completions of an unfinished last word).
        ``pairs`` are folded pair terms (``ngoai_giao``) of adjacent query words.
        Paragraphs with any ``excluded`` folded term (a syllable, or a pair
        with ``_``) are left out, and so are those with fewer than
        ``min_words`` of the words, and those ``allowed`` (a boolean array by
        docnum, None for all) leaves out.  Equal scores go in the folder's order.
        """
        import numpy as np

        k1 = K1
        result = Candidates()
        weighted: list[tuple[int | None, str, float]] = []  # (word index or None for a pair, term, weight)
        for position, terms in enumerate(words):
            for term in dict.fromkeys(terms):
                weighted.append((position, term, 1.0))
        for pair in dict.fromkeys(pairs):
            weighted.append((None, PAIR_MARK + pair, PAIR_BOOST))
        idf = {term: self.idf(term) for _, term, _ in weighted}
        # A word's weight in the coverage share: its (most telling) form's IDF.
        word_idf = {
            position: max(idf[t] for t in dict.fromkeys(terms)) for position, terms in enumerate(words) if terms
        }
        total_mass = sum(word_idf.values())
        result.idf = {term: value for term, value in idf.items() if not term.startswith(PAIR_MARK)}
        best: list[tuple[float, int, int, int]] = []
        for part in self.parts:
            dead = part.dead
            if not part.count:
                continue
            norm = part.norm(self.average_length)
            scores = np.zeros(part.count, dtype=np.float32)
            covered = np.zeros(part.count, dtype=np.uint8)
            seen_word: dict[int, Any] = {}
            for word_at, term, weight in weighted:
                found = part.postings(term)
                if found is None:
                    continue
                postings, tfs = found
                ids = postings.astype(np.int64)
                tf = tfs.astype(np.float32)
                scores[ids] += np.float32(weight * idf[term]) * tf * np.float32(k1 + 1.0) / (tf + norm[ids])
                if word_at is not None:
                    seen_word.setdefault(word_at, []).append(ids)
            # Each word's paragraphs (ascending): its term's postings, or the union of its forms'.
            # Counted through them, not through a mask of every paragraph per word: most words of
            # a question are rare, and a question has fifteen of them.
            for position, found_ids in seen_word.items():
                if len(found_ids) > 1:
                    mask = np.zeros(part.count, dtype=bool)
                    for ids in found_ids:
                        mask[ids] = True
                    seen_word[position] = np.flatnonzero(mask)
                else:
                    seen_word[position] = found_ids[0]
            mass = np.zeros(part.count, dtype=np.float32) if COVERAGE_POWER else None
            for position, ids in seen_word.items():
                covered[ids] += 1
                if mass is not None:
                    mass[ids] += np.float32(word_idf[position])
            if excluded:
                for term in excluded:
                    found = part.postings(term)
                    if found is not None:
                        scores[found[0].astype(np.int64)] = 0.0
            if len(dead):
                scores[dead] = 0.0
            # The paragraphs left, then the filters and the coverage share on them alone: a question's
            # rare words leave a few thousand of a part's hundred thousand.
            positive = np.flatnonzero(scores > 0)
            if min_words > 1:
                positive = positive[covered[positive] >= min_words]
            if allowed is not None:
                positive = positive[allowed[part.base + positive]]
            if mass is not None and total_mass > 0 and len(positive):
                scores[positive] *= (mass[positive] / np.float32(total_mass)) ** np.float32(COVERAGE_POWER)
                positive = positive[scores[positive] > 0]
            if not len(positive):
                continue
            result.best_coverage = max(result.best_coverage, int(covered[positive].max()))
            result.full_matches += int(np.count_nonzero(covered[positive] >= len(words)))
            if len(positive) > limit:
                top = positive[np.argpartition(-scores[positive], limit - 1)[:limit]]
            else:
                top = positive
            held = np.zeros(len(top), dtype=np.int64)
            for position, ids in seen_word.items():
                if not len(ids):
                    continue
                where = ids.searchsorted(top)
                where[where == len(ids)] = 0
                held |= (ids[where] == top).astype(np.int64) << position
            for local, bits in zip(top.tolist(), held.tolist(), strict=True):
                best.append((float(scores[local]), part.base + local, int(covered[local]), bits))
        order = self.order
        best.sort(key=lambda item: (-item[0], int(order[item[1]])))
        for score, docnum, count, bits in best[:limit]:
            result.docnums.append(docnum)
            result.scores.append(score)
            result.words_found.append(count)
            result.held.append(bits)
        return result
