"""Postings for a few paragraphs held in memory: how a backend that sends candidates, not postings,
is scored by the same code as the local index.

A cluster answers a tier's query with its best paragraphs and their text.  Their
``exact``, ``folded`` and ``pairs`` terms are worked out here by the schema's own
analysis (:mod:`searcher.vietnamese.whoosh_analysis`), so each candidate's term
frequencies and length are the ones the local index holds for the same paragraph;
with the cluster's index-wide statistics, :class:`~searcher.search.bestmatch.BestMatchIndex`
then gives it the score it has locally.

>>> index = candidate_index(["Ngoại giao kinh tế", "ngoài giao"], [0, 1], None)
>>> index.postings("ngoai")[0].tolist(), index.document_frequency("_ngoai_giao")
([0, 1], 2)
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from searcher.index.arrays import LENGTH_FIELD, MAX_LENGTH, MAX_TF
from searcher.search.bestmatch import BestMatchIndex, Part, Statistics
from searcher.vietnamese.whoosh_analysis import SyllableField

__all__ = ["MemoryField", "candidate_index"]

FIELDS = ("exact", "folded", "pairs")


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
        return self._vocabulary[index]

    def find(self, tbytes: bytes) -> int:
        index = bisect.bisect_left(self._vocabulary, tbytes)
        return index if index < self.terms and self._vocabulary[index] == tbytes else -1

    def prefix_range(self, prefix: bytes) -> tuple[int, int]:
        start = bisect.bisect_left(self._vocabulary, prefix)
        end = start
        while end < self.terms and self._vocabulary[end].startswith(prefix):
            end += 1
        return start, end

    def postings(self, index: int) -> tuple[Any, Any]:
        return self._docs[index], self._tfs[index]

    def document_frequencies(self, start: int, end: int) -> Any:
        import numpy as np

        return np.asarray([len(docs) for docs in self._docs[start:end]], dtype=np.int64)


def candidate_index(texts: Sequence[str], order: Sequence[int], statistics: Statistics | None) -> BestMatchIndex:
    """The postings of ``texts`` (docnum ``i`` is ``texts[i]``), with ``order`` breaking ties and
    ``statistics`` the whole index's (None: these texts' own, as for a folder of just them)."""
    import numpy as np

    analysers = {name: SyllableField(name) for name in FIELDS}
    postings: dict[str, dict[str, tuple[list[int], list[int]]]] = {name: {} for name in FIELDS}
    lengths = np.zeros(len(texts), dtype=np.uint16)
    for docnum, text in enumerate(texts):
        for name in FIELDS:
            terms, counts = analysers[name].index_counts(text)
            table = postings[name]
            for term, count in zip(terms, counts, strict=True):
                docs, tfs = table.setdefault(term, ([], []))
                docs.append(docnum)
                tfs.append(min(count, MAX_TF))  # as the codec keeps them
            if name == LENGTH_FIELD:
                lengths[docnum] = min(sum(counts), MAX_LENGTH)
    fields = {name: MemoryField(postings[name]) for name in FIELDS}
    part = Part(fields, lengths, 0, len(texts), np.empty(0, dtype=np.int64))
    return BestMatchIndex([part], np.asarray(order, dtype=np.int64), np.ones(len(texts), dtype=bool), statistics)
