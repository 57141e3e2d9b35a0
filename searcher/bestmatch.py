"""Best-match retrieval: compact posting arrays of folded syllables and syllable pairs, scored with BM25.

Whoosh answers the strict tiers (every word present).  A question typed whole
(*ngành ngoại giao đã đóng góp gì cho kinh tế?*) has no such paragraph, so it is
answered here: every paragraph that has *any* of the words gets its BM25 score
in one vectorized pass over the words' posting arrays (numpy, loaded only when
a query needs it).  A syllable as frequent as *của* has tens of thousands of
postings; walking them one by one in Python, as Whoosh's matchers do, takes
tens of milliseconds per word, while a numpy gather over the same array takes
a fraction of one.

Words rare in this folder weigh more than frequent syllables (BM25's IDF, no
stop list), and adjacent query words found adjacent (the pair terms, which
stand for two-syllable words) add to the score.  The pass also counts, per
paragraph, how many of the query's words it has: when no paragraph has them
all, the engine skips the strict tiers, which could find nothing.

On disk, inside a generation folder::

    bm/
      manifest.json         parts, dead paragraph ids, counts (replaced atomically)
      part-<n>/             one build's paragraphs: the vocabulary (sorted, one term a
                            line, and where each line starts), each term's postings
                            (paragraph ids and term frequencies) and paragraph lengths,
                            as .npy files that are memory-mapped, not read, on opening

A full build writes one part.  An incremental build adds a part for the
paragraphs it wrote and marks the ones it deleted as dead.  Paragraphs are
numbered by ``pid`` (stored in Whoosh too, to map a hit back to its text).
"""

from __future__ import annotations

import json
import math
import os
import shutil
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .store import write_atomic

__all__ = ["min_words", "BestMatchWriter", "BestMatchIndex", "Candidates", "K1", "B", "PAIR_BOOST", "FOLDER"]

FOLDER = "bm"
MANIFEST = "manifest.json"
K1 = 1.2
B = 0.75
PAIR_BOOST = 1.5  # a pair stands for a two-syllable word and for word order
# A paragraph's BM25 is scaled by the share of the query's IDF mass it covers,
# to this power: one that has the rare, telling words of a question beats one
# that repeats two of them (Lucene's old "coord" factor, weighted by IDF).
COVERAGE_POWER = 0.5  # measured on the QA sets: 0 and 0.5 within noise, 2 worse; 0.5 reads better
MAX_TF = 255
MAX_LENGTH = 65535


def min_words(count: int) -> int:
    """How many of a query's ``count`` words a best-match hit must have: half of a short query's
    (``thương mại và đầu tư`` is not answered by paragraphs that share only *và*), two of a long one's.

    >>> min_words(2), min_words(5), min_words(13)
    (1, 3, 2)
    """
    return (count + 1) // 2 if count <= 6 else 2


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / MANIFEST).read_text("utf-8"))
        if isinstance(data, dict):
            return data
    except (OSError, ValueError):
        pass
    return {"parts": [], "dead": [], "next_pid": 0, "live": 0, "live_length": 0}


class BestMatchWriter:
    """Collects the term streams of the paragraphs a build writes, then writes them as one part.

    >>> writer = BestMatchWriter(Path("index/gen-x"))          # doctest: +SKIP
    >>> pid = writer.add("ngoai giao kinh te".split(), "ngoai_giao giao_kinh kinh_te".split())  # doctest: +SKIP
    >>> writer.commit()                                       # doctest: +SKIP
    """

    def __init__(self, generation: Path) -> None:
        self.folder = Path(generation) / FOLDER
        self.manifest = _read_manifest(self.folder)
        self.base = int(self.manifest.get("next_pid", 0))
        self.vocabulary: dict[str, int] = {}
        self.term_ids = array("I")
        self.pids = array("I")
        self.tfs = array("B")
        self.lengths = array("H")
        self.dead: list[int] = []
        self.old_pids: dict[str, list[int]] = {}  # path -> pids, for paths an update rewrites

    @property
    def next_pid(self) -> int:
        return self.base + len(self.lengths)

    def add(self, folded: list[str], pairs: list[str]) -> int:
        """Record one paragraph's folded syllables and pairs; return its pid."""
        pid = self.next_pid
        self.lengths.append(min(len(folded), MAX_LENGTH))
        counts: dict[str, int] = {}
        for term in folded:
            counts[term] = counts.get(term, 0) + 1
        for term in pairs:
            key = "_" + term  # pairs and syllables share one vocabulary: "_" marks a pair
            counts[key] = counts.get(key, 0) + 1
        vocabulary = self.vocabulary
        for term, count in counts.items():
            term_id = vocabulary.get(term)
            if term_id is None:
                term_id = vocabulary[term] = len(vocabulary)
            self.term_ids.append(term_id)
            self.pids.append(pid)
            self.tfs.append(count if count < MAX_TF else MAX_TF)
        return pid

    def delete(self, pids: Iterable[int]) -> None:
        """Mark paragraphs as gone (their file changed or was removed)."""
        self.dead.extend(int(p) for p in pids)

    def delete_path(self, path: str) -> None:
        """Mark the paragraphs of ``path`` (listed in :attr:`old_pids` beforehand) as gone."""
        self.delete(self.old_pids.pop(path, ()))

    def commit(self) -> None:
        """Write the new part (if any paragraph was added) and the manifest, atomically."""
        import numpy as np

        self.folder.mkdir(parents=True, exist_ok=True)
        manifest = self.manifest
        parts = list(manifest.get("parts", []))
        live = int(manifest.get("live", 0))
        live_length = int(manifest.get("live_length", 0))
        dead_before = set(int(p) for p in manifest.get("dead", []))
        newly_dead = [p for p in set(self.dead) if p not in dead_before]
        if newly_dead:
            lengths_of = _LengthLookup(self.folder, parts)
            for pid in newly_dead:
                length = lengths_of(pid)
                if length is not None:
                    live -= 1
                    live_length -= length
        if len(self.lengths):
            name = f"part-{self.base:010d}"
            terms = list(self.vocabulary)  # in id order: dicts keep insertion order
            order_of_terms = sorted(range(len(terms)), key=terms.__getitem__)
            rank = np.empty(len(terms), dtype=np.uint32)
            rank[np.asarray(order_of_terms, dtype=np.int64)] = np.arange(len(terms), dtype=np.uint32)
            term_ids = rank[np.frombuffer(self.term_ids, dtype=np.uint32)]
            pids = np.frombuffer(self.pids, dtype=np.uint32)
            tfs = np.frombuffer(self.tfs, dtype=np.uint8)
            order = np.lexsort((pids, term_ids))
            encoded = [terms[i].encode("utf-8") for i in order_of_terms]
            starts = np.zeros(len(encoded) + 1, dtype=np.int64)
            np.cumsum([len(t) for t in encoded], out=starts[1:])
            counts = np.bincount(term_ids, minlength=len(terms))
            offsets = np.zeros(len(terms) + 1, dtype=np.int64)
            np.cumsum(counts, out=offsets[1:])
            tmp = self.folder / f"{name}.{os.getpid()}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            (tmp / "vocabulary.bin").write_bytes(b"".join(encoded))
            arrays = {
                "starts": starts,
                "offsets": offsets,
                "pids": (pids[order] - np.uint32(self.base)).astype(np.uint32),
                "tfs": tfs[order],
                "lengths": np.frombuffer(self.lengths, dtype=np.uint16),
            }
            for key, value in arrays.items():
                np.save(tmp / f"{key}.npy", value)
            for entry in tmp.iterdir():
                with open(entry, "rb") as f:
                    os.fsync(f.fileno())
            final = self.folder / name
            shutil.rmtree(final, ignore_errors=True)
            os.replace(tmp, final)
            parts.append({"file": name, "base": self.base, "count": len(self.lengths)})
            live += len(self.lengths)
            live_length += int(sum(self.lengths))
        manifest = {
            "parts": parts,
            "dead": sorted(dead_before | set(newly_dead)),
            "next_pid": self.next_pid,
            "live": max(0, live),
            "live_length": max(0, live_length),
        }
        write_atomic(self.folder / MANIFEST, json.dumps(manifest))
        self.manifest = manifest


class _LengthLookup:
    """The stored length of a pid, reading each part's lengths once."""

    def __init__(self, folder: Path, parts: list[dict[str, Any]]) -> None:
        self.folder, self.parts, self.cache = folder, parts, {}

    def __call__(self, pid: int) -> int | None:
        import numpy as np

        for part in self.parts:
            if part["base"] <= pid < part["base"] + part["count"]:
                lengths = self.cache.get(part["file"])
                if lengths is None:
                    lengths = self.cache[part["file"]] = np.load(self.folder / part["file"] / "lengths.npy")
                return int(lengths[pid - part["base"]])
        return None


@dataclass
class Candidates:
    """The best paragraphs by BM25, best first, with how many of the query's words each has."""

    pids: list[int] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    words_found: list[int] = field(default_factory=list)
    best_coverage: int = 0  # the most query words any paragraph has
    full_matches: int = 0  # paragraphs that have every word (what the strict tiers can find at most)
    idf: dict[str, float] = field(default_factory=dict)  # folded word -> its IDF here


class _Part:
    """One part, memory-mapped: opening costs a few system calls whatever its size."""

    def __init__(self, path: Path, base: int, count: int) -> None:
        import numpy as np

        self.vocabulary = np.load(path / "starts.npy", mmap_mode="r")
        self.blob = np.memmap(path / "vocabulary.bin", dtype=np.uint8, mode="r") if self.vocabulary[-1] else b""
        self.offsets = np.load(path / "offsets.npy", mmap_mode="r")
        self.pids = np.load(path / "pids.npy", mmap_mode="r")
        self.tfs = np.load(path / "tfs.npy", mmap_mode="r")
        self._lengths = np.load(path / "lengths.npy", mmap_mode="r")
        self._norm: tuple[float, Any] | None = None
        self.base, self.count = base, count
        self.terms = len(self.vocabulary) - 1

    def norm(self, average_length: float) -> Any:
        """BM25's length normalisation ``k1·(1 − b + b·len/avglen)`` of every paragraph (cached)."""
        import numpy as np

        if self._norm is None or self._norm[0] != average_length:
            lengths = np.asarray(self._lengths, dtype=np.float32)
            self._norm = (average_length, K1 * (1.0 - B + B * lengths / np.float32(average_length)))
        return self._norm[1]

    def _term(self, index: int) -> bytes:
        return bytes(self.blob[int(self.vocabulary[index]) : int(self.vocabulary[index + 1])])

    def _term_index(self, term: str) -> int:
        target = term.encode("utf-8")
        low, high = 0, self.terms
        while low < high:
            middle = (low + high) // 2
            if self._term(middle) < target:
                low = middle + 1
            else:
                high = middle
        return low if low < self.terms and self._term(low) == target else -1

    def postings(self, term: str) -> tuple[Any, Any] | None:
        index = self._term_index(term)
        if index < 0:
            return None
        start, end = int(self.offsets[index]), int(self.offsets[index + 1])
        return self.pids[start:end], self.tfs[start:end]


class BestMatchIndex:
    """The best-match postings of one index generation, opened for scoring."""

    def __init__(self, folder: Path) -> None:
        import numpy as np

        self.folder = folder
        manifest = _read_manifest(folder)
        self.parts = [_Part(folder / p["file"], int(p["base"]), int(p["count"])) for p in manifest.get("parts", [])]
        self.live = max(1, int(manifest.get("live", 0)))
        self.average_length = max(1.0, int(manifest.get("live_length", 0)) / self.live)
        dead = np.asarray(manifest.get("dead", []), dtype=np.int64)
        self.dead = [dead[(dead >= p.base) & (dead < p.base + p.count)] - p.base for p in self.parts]

    @classmethod
    def open(cls, generation: Path) -> "BestMatchIndex | None":
        """The best-match index of a generation, or None when it has none."""
        folder = Path(generation) / FOLDER
        if not (folder / MANIFEST).is_file():
            return None
        return cls(folder)

    def document_frequency(self, term: str) -> int:
        return sum(len(found[0]) for part in self.parts if (found := part.postings(term)) is not None)

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency of a folded syllable (``"ngoai"``) or pair (``"_ngoai_giao"``)."""
        df = self.document_frequency(term)
        return math.log(1.0 + (self.live - df + 0.5) / (df + 0.5))

    def search(
        self,
        words: list[list[str]],
        pairs: list[str],
        excluded: list[str] | None = None,
        exclude_pids: Iterable[int] = (),
        limit: int = 50,
        min_words: int = 1,
    ) -> Candidates:
        """Score every paragraph that has any of the query's words; return the ``limit`` best.

        ``words`` holds, for each query word, the folded terms that count as
        that word (one, or the completions of an unfinished last word).
        ``pairs`` are folded pair terms (``ngoai_giao``) of adjacent query words.
        Paragraphs with any ``excluded`` folded term (a syllable, or a pair
        with ``_``), or whose pid is in ``exclude_pids``, are left out, and so
        are those with fewer than ``min_words`` of the words.
        """
        import numpy as np

        k1 = K1
        result = Candidates()
        weighted: list[tuple[int | None, str, float]] = []  # (word index or None for a pair, term, weight)
        for position, terms in enumerate(words):
            for term in dict.fromkeys(terms):
                weighted.append((position, term, 1.0))
        for pair in dict.fromkeys(pairs):
            weighted.append((None, "_" + pair, PAIR_BOOST))
        idf = {term: self.idf(term) for _, term, _ in weighted}
        # A word's weight in the coverage share: its (most telling) form's IDF.
        word_idf = {position: max(idf[t] for t in dict.fromkeys(terms)) for position, terms in enumerate(words) if terms}
        total_mass = sum(word_idf.values())
        result.idf = {term: value for term, value in idf.items() if not term.startswith("_")}
        skip = np.asarray(sorted(set(int(p) for p in exclude_pids)), dtype=np.int64)
        best: list[tuple[float, int, int]] = []
        for part, dead in zip(self.parts, self.dead):
            if not part.count:
                continue
            norm = part.norm(self.average_length)
            scores = np.zeros(part.count, dtype=np.float32)
            covered = np.zeros(part.count, dtype=np.uint8)
            seen_word: dict[int, Any] = {}
            for position, term, weight in weighted:
                found = part.postings(term)
                if found is None:
                    continue
                ids, tfs = found
                ids = ids.astype(np.int64)
                tf = tfs.astype(np.float32)
                scores[ids] += np.float32(weight * idf[term]) * tf * np.float32(k1 + 1.0) / (tf + norm[ids])
                if position is not None:
                    mask = seen_word.get(position)
                    if mask is None:
                        mask = seen_word[position] = np.zeros(part.count, dtype=bool)
                    mask[ids] = True
            mass = np.zeros(part.count, dtype=np.float32) if COVERAGE_POWER else None
            for position, mask in seen_word.items():
                covered += mask
                if mass is not None:
                    mass[mask] += np.float32(word_idf[position])
            if mass is not None and total_mass > 0:
                scores *= (mass / np.float32(total_mass)) ** np.float32(COVERAGE_POWER)
            if excluded:
                for term in excluded:
                    found = part.postings(term)
                    if found is not None:
                        scores[found[0].astype(np.int64)] = 0.0
            if len(dead):
                scores[dead] = 0.0
            if min_words > 1:
                scores[covered < min_words] = 0.0
            local_skip = skip[(skip >= part.base) & (skip < part.base + part.count)] - part.base
            if len(local_skip):
                scores[local_skip] = 0.0
            positive = np.flatnonzero(scores > 0)
            if not len(positive):
                continue
            result.best_coverage = max(result.best_coverage, int(covered[positive].max()))
            result.full_matches += int(np.count_nonzero(covered[positive] >= len(words)))
            if len(positive) > limit:
                top = positive[np.argpartition(-scores[positive], limit - 1)[:limit]]
            else:
                top = positive
            for local in top.tolist():
                best.append((float(scores[local]), part.base + local, int(covered[local])))
        best.sort(key=lambda item: (-item[0], item[1]))
        for score, pid, count in best[:limit]:
            result.pids.append(pid)
            result.scores.append(score)
            result.words_found.append(count)
        return result
