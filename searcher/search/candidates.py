"""Postings for a few paragraphs held in memory: how a backend that sends candidates, not postings,
is scored by the same code as the local index.

A cluster answers a tier's query with its best paragraphs and their text.  Their
``exact``, ``folded`` and ``pairs`` terms are worked out here by the schema's own
analysis (:mod:`searcher.vietnamese.whoosh_analysis`), so each candidate's term
frequencies and length are the ones the local index holds for the same paragraph;
with the cluster's index-wide statistics, :class:`~searcher.search.bestmatch.BestMatchIndex`
then gives it the score it has locally.

>>> index = candidate_index([analyse("Ngoại giao kinh tế"), analyse("ngoài giao")], [0, 1], None)
>>> index.postings("ngoai")[0].tolist(), index.document_frequency("_ngoai_giao")
([0, 1], 2)
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from searcher.index.arrays import MAX_LENGTH, MAX_TF
from searcher.search.bestmatch import BestMatchIndex, Part, Statistics, split_key
from searcher.vietnamese.whoosh_analysis import field_terms

__all__ = ["Analysis", "MemoryField", "analyse", "candidate_index"]

FIELDS = ("exact", "folded", "pairs")


@dataclass(frozen=True)
class Analysis:
    """One paragraph's terms as the index holds them: each field's terms and counts, and its length."""

    counts: dict[str, Counter[str]]
    length: int
    exact: bool = True  # whether ``counts["exact"]`` was worked out


def analyse(text: str, exact: bool = True) -> Analysis:
    """The three fields' terms of ``text``, by the schema's own analysis (NFC first, as the index does);
    without ``exact``, the ``exact`` field is left empty (a search of unmarked words never reads it)."""
    terms = field_terms(text, exact)
    counts = {name: Counter(terms[name]) for name in FIELDS if name in terms}
    counts.setdefault("exact", Counter())
    return Analysis(counts, min(len(terms["folded"]), MAX_LENGTH), exact)


class MemoryField:
    """One field's sorted vocabulary and postings over a few documents (the ``Field`` the scoring reads)."""

    def __init__(self, postings: dict[str, tuple[list[int], list[int]]]) -> None:
        import numpy as np

        # Sorted as the codec sorts its vocabulary: by UTF-8 bytes.
        ordered = sorted((term.encode("utf-8"), docs, tfs) for term, (docs, tfs) in postings.items())
        self._vocabulary = [term for term, _, _ in ordered]
        self._docs = [np.asarray(docs, dtype=np.int64) for _, docs, _ in ordered]
        self._tfs = [np.asarray(tfs, dtype=np.uint16) for _, _, tfs in ordered]
        self.terms = len(ordered)

    def term(self, index: int) -> bytes:
        """The ``index``-th term of the sorted vocabulary."""
        return self._vocabulary[index]

    def find(self, tbytes: bytes) -> int:
        """The index of term ``tbytes``, or -1."""
        index = bisect.bisect_left(self._vocabulary, tbytes)
        return index if index < self.terms and self._vocabulary[index] == tbytes else -1

    def prefix_range(self, prefix: bytes) -> tuple[int, int]:
        """The indexes ``[start, end)`` of the terms that start with ``prefix``."""
        start = bisect.bisect_left(self._vocabulary, prefix)
        end = start
        while end < self.terms and self._vocabulary[end].startswith(prefix):
            end += 1
        return start, end

    def postings(self, index: int) -> tuple[Any, Any]:
        """The documents (ascending) and term frequencies of the ``index``-th term."""
        return self._docs[index], self._tfs[index]

    def document_frequencies(self, start: int, end: int) -> Any:
        """The document frequencies of the terms ``start`` to ``end``."""
        import numpy as np

        return np.asarray([len(docs) for docs in self._docs[start:end]], dtype=np.int64)


def candidate_index(
    analyses: Sequence[Analysis],
    order: Sequence[int],
    statistics: Statistics | None,
    keep: Collection[str] | None = None,
    prefixes: Collection[str] = (),
) -> BestMatchIndex:
    """The postings of the paragraphs ``analyses`` (docnum ``i`` is ``analyses[i]``), with ``order``
    breaking ties and ``statistics`` the whole index's (None: these paragraphs' own, as for a folder
    of just them).  With ``keep``, only those vocabulary entries (:func:`~searcher.search.bestmatch.term_key`)
    and the terms starting with one of ``prefixes`` (vocabulary entries too) are kept: what one search weighs.
    """
    import numpy as np

    postings: dict[str, dict[str, tuple[list[int], list[int]]]] = {name: {} for name in FIELDS}
    lengths = np.zeros(len(analyses), dtype=np.uint16)
    # A search weighs a few dozen terms: look those up in each paragraph, rather than go through all of its own.
    kept: dict[str, list[str]] = {name: [] for name in FIELDS}
    for key in set(keep) if keep is not None else ():
        name, term = split_key(key)
        kept[name].append(term)
    starts = {name: [term for key in prefixes for field, term in [split_key(key)] if field == name] for name in FIELDS}
    for docnum, analysis in enumerate(analyses):
        lengths[docnum] = analysis.length
        for name in FIELDS:
            counts, table = analysis.counts[name], postings[name]
            if keep is None:
                chosen: Any = counts.items()
            else:
                chosen = [(term, counts[term]) for term in kept[name] if term in counts]
                if starts[name]:
                    begins = tuple(starts[name])
                    chosen += [(t, c) for t, c in counts.items() if t.startswith(begins) and t not in kept[name]]
            for term, count in chosen:
                docs, tfs = table.setdefault(term, ([], []))
                docs.append(docnum)
                tfs.append(min(count, MAX_TF))  # as the codec keeps them
    fields = {name: MemoryField(postings[name]) for name in FIELDS}
    part = Part(fields, lengths, 0, len(analyses), np.empty(0, dtype=np.int64))
    return BestMatchIndex([part], np.asarray(order, dtype=np.int64), np.ones(len(analyses), dtype=bool), statistics)
