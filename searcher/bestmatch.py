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
import mmap
import os
import shutil
import struct
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .errors import IndexUnusable
from .store import remove_leftovers, write_atomic

__all__ = [
    "min_words",
    "read_manifest",
    "term_key",
    "BestMatchWriter",
    "BestMatchIndex",
    "Candidates",
    "K1",
    "B",
    "PAIR_BOOST",
    "FOLDER",
]

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
# One sorted vocabulary holds the three kinds of term (``searcher.analysis.index_terms``):
# folded syllables as they are (``ngoai``), pairs of folded syllables after PAIR_MARK
# (``_ngoai_giao``) and exact keys after EXACT_MARK (``=ngoai~6``).  Syllables are letters
# and digits only, so the marks cannot start one.
PAIR_MARK = "_"
EXACT_MARK = "="
FIELD_MARKS = {"folded": "", "pairs": PAIR_MARK, "exact": EXACT_MARK}


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


# A build writes a part each time it has collected this many postings, so its memory stays
# bounded (~9 bytes a posting, twice that while a part is sorted) whatever the folder's size.
PART_POSTINGS = 16_000_000
SMALL_PARTS = 4  # more small parts than this (one per update) are merged into one
KEPT_MANIFESTS = 8  # the manifests of this many Whoosh commits stay, for searchers still on them


def manifest_path(folder: Path, generation: int | None = None) -> Path:
    """The manifest that goes with Whoosh's commit ``generation`` (its TOC number), else the latest.

    Every update writes its part and then a manifest for the commit it is about
    to make, before Whoosh commits: a searcher still on the previous commit
    reads the previous manifest, so the postings and the paragraphs it sees
    always belong together (and a Whoosh commit that failed leaves no trace here).
    """
    if generation is not None:
        paired = folder / f"manifest-{generation}.json"
        if paired.is_file():
            return paired
    return folder / MANIFEST


def read_manifest(folder: Path, generation: int | None = None, *, missing_ok: bool = False) -> dict[str, Any]:
    """The manifest that goes with Whoosh's commit ``generation`` (see :func:`manifest_path`).

    With ``missing_ok``, a folder that has none yet (a new index) gives an empty one; a manifest
    that is there but unreadable is always :class:`IndexUnusable`, never mistaken for an empty
    index (an update would then number its paragraphs from 0 again).
    """
    path = manifest_path(folder, generation)
    if missing_ok and not path.exists():
        return {"parts": [], "dead": [], "next_pid": 0, "live": 0, "live_length": 0}
    try:
        data = json.loads(path.read_text("utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("parts"), list):
            raise ValueError(path)
        if not all(isinstance(part, dict) and "file" in part for part in data["parts"]):
            raise ValueError(path)
    except (OSError, ValueError):
        raise IndexUnusable(
            f"index at {folder.parent} is damaged ({FOLDER}/{path.name} unreadable); rebuild it with: search-index --full"
        ) from None
    return data


class BestMatchWriter:
    """Collects the term streams of the paragraphs a build writes, then writes them as one part.

    >>> writer = BestMatchWriter(Path("index/gen-x"))          # doctest: +SKIP
    >>> pid = writer.add("ngoai giao kinh te".split(), "ngoai_giao giao_kinh kinh_te".split())  # doctest: +SKIP
    >>> writer.commit()                                       # doctest: +SKIP
    """

    terms_in_documents = False  # the postings are here: the Whoosh documents carry no term streams

    def __init__(self, generation: Path, commit: int | None = None) -> None:
        self.folder = Path(generation) / FOLDER
        self.manifest = read_manifest(self.folder, commit, missing_ok=True)  # the state of Whoosh's commit ``commit``
        self.base = int(self.manifest.get("next_pid", 0))
        self.vocabulary: dict[str, int] = {}
        self.term_ids = array("I")
        self.pids = array("I")
        self.tfs = array("B")
        self.lengths = array("H")
        self.dead: list[int] = []
        self.old_pids: dict[str, list[int]] = {}  # path -> pids, for paths an update rewrites
        self.written: list[dict[str, Any]] = []  # parts written by this build, not yet in the manifest
        self.written_length = 0

    @property
    def next_pid(self) -> int:
        return self.base + len(self.lengths)

    def add(self, folded: list[str], pairs: list[str], exact: Iterable[str] = ()) -> int:
        """Record one paragraph's folded syllables, pairs and exact keys; return its pid."""
        pid = self.next_pid
        self.lengths.append(min(len(folded), MAX_LENGTH))
        counts = Counter(folded)  # counted in C: this runs once per paragraph of every build
        counts.update([PAIR_MARK + term for term in pairs])  # the kinds share one vocabulary, told apart by a mark
        counts.update([EXACT_MARK + term for term in exact])
        vocabulary = self.vocabulary
        ids = [vocabulary.get(term) for term in counts]
        if None in ids:
            for i, term in enumerate(counts):
                if ids[i] is None:
                    ids[i] = vocabulary[term] = len(vocabulary)
        self.term_ids.extend(ids)  # type: ignore[arg-type]
        self.pids.extend([pid] * len(ids))
        self.tfs.extend([count if count < MAX_TF else MAX_TF for count in counts.values()])
        if len(self.pids) >= PART_POSTINGS:
            self._flush()
        return pid

    def delete(self, pids: Iterable[int]) -> None:
        """Mark paragraphs as gone (their file changed or was removed)."""
        self.dead.extend(int(p) for p in pids)

    def delete_path(self, path: str) -> None:
        """Mark the paragraphs of ``path`` (listed in :attr:`old_pids` beforehand) as gone."""
        self.delete(self.old_pids.pop(path, ()))

    def _flush(self) -> None:
        """Write the paragraphs added so far as one part, and start the next part."""
        import numpy as np

        if not len(self.lengths):
            return
        entry = _write_part(
            self.folder,
            f"part-{self.base:010d}",
            self.base,
            list(self.vocabulary),  # in id order: dicts keep insertion order
            np.frombuffer(self.term_ids, dtype=np.uint32),
            np.frombuffer(self.pids, dtype=np.uint32),
            np.frombuffer(self.tfs, dtype=np.uint8),
            np.frombuffer(self.lengths, dtype=np.uint16),
        )
        self.written.append(entry)
        self.written_length += int(sum(self.lengths))
        self.base = self.next_pid
        self.vocabulary = {}
        self.term_ids, self.pids, self.tfs, self.lengths = array("I"), array("I"), array("B"), array("H")

    def commit(self, generation: int | None = None) -> None:
        """Write the last part (if any paragraph was added) and the manifest, atomically; with
        ``generation``, also as the manifest of that Whoosh commit (see :func:`manifest_path`)."""
        self._flush()
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
        parts.extend(self.written)
        live += sum(part["count"] for part in self.written)
        live_length += self.written_length
        self.written, self.written_length = [], 0
        parts = _merge_small_parts(self.folder, parts, dead_before | set(newly_dead))
        manifest = {
            "parts": parts,
            "dead": sorted(dead_before | set(newly_dead)),
            "next_pid": self.next_pid,
            "live": max(0, live),
            "live_length": max(0, live_length),
        }
        data = json.dumps(manifest)
        if generation is not None:
            write_atomic(self.folder / f"manifest-{generation}.json", data)
            for old in self.folder.glob("manifest-*.json"):
                number = old.name[len("manifest-") : -len(".json")]
                if number.isdigit() and int(number) <= generation - KEPT_MANIFESTS:
                    old.unlink(missing_ok=True)
        write_atomic(self.folder / MANIFEST, data)
        self.manifest = manifest
        _remove_unreferenced_parts(self.folder)


def _write_part(
    folder: Path, name: str, base: int, terms: list[str], term_ids: Any, pids: Any, tfs: Any, lengths: Any
) -> dict[str, Any]:
    """Write one part: ``terms`` (any order) and, per posting, its term's index in ``terms``,
    its pid (ascending within each term) and frequency; return its manifest entry."""
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    order_of_terms = sorted(range(len(terms)), key=terms.__getitem__)
    rank = np.empty(len(terms), dtype=np.uint32)
    rank[np.asarray(order_of_terms, dtype=np.int64)] = np.arange(len(terms), dtype=np.uint32)
    ranked = rank[term_ids]
    order = np.argsort(ranked, kind="stable")  # keeps each term's pids ascending
    encoded = [terms[i].encode("utf-8") for i in order_of_terms]
    starts = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in encoded], out=starts[1:])
    offsets = np.zeros(len(terms) + 1, dtype=np.int64)
    np.cumsum(np.bincount(ranked, minlength=len(terms)), out=offsets[1:])
    del ranked
    tmp = folder / f"{name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    (tmp / "vocabulary.bin").write_bytes(b"".join(encoded))
    del encoded
    arrays = {
        "starts": starts,
        "offsets": offsets,
        "pids": (pids[order] - np.uint32(base)).astype(np.uint32),
        "tfs": tfs[order],
        "lengths": np.asarray(lengths, dtype=np.uint16),
    }
    for key, value in arrays.items():
        np.save(tmp / f"{key}.npy", value)
    for entry in tmp.iterdir():
        with open(entry, "rb") as f:
            os.fsync(f.fileno())
    final = folder / name
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    return {"file": name, "base": base, "count": len(lengths)}


def _merge_small_parts(folder: Path, parts: list[dict[str, Any]], dead: set[int]) -> list[dict[str, Any]]:
    """Merge the trailing small parts into one when there are more than :data:`SMALL_PARTS` of them.

    Every update adds a part, and a search looks each term up in every part:
    an index kept current by ``--watch`` would otherwise get slower with
    every save.  "Small" is under an eighth of the largest part's paragraphs,
    so the parts of a full build are never rewritten by an update.  The
    postings of deleted paragraphs are dropped on the way.
    """
    import numpy as np

    if len(parts) <= SMALL_PARTS:
        return parts
    largest = max(part["count"] for part in parts)
    first = len(parts)
    while first > 0 and parts[first - 1]["count"] * 8 < largest:
        first -= 1
    tail = parts[first:]
    if len(tail) <= SMALL_PARTS:
        return parts
    vocabulary: dict[str, int] = {}
    term_ids, pids, tfs, lengths = [], [], [], []
    for part in tail:
        path = folder / part["file"]
        starts = np.load(path / "starts.npy")
        blob = (path / "vocabulary.bin").read_bytes()
        offsets = np.load(path / "offsets.npy")
        local_ids = np.asarray(
            [vocabulary.setdefault(blob[a:b].decode("utf-8"), len(vocabulary)) for a, b in zip(starts[:-1].tolist(), starts[1:].tolist())],
            dtype=np.uint32,
        )
        term_ids.append(np.repeat(local_ids, np.diff(offsets)))
        pids.append(np.load(path / "pids.npy").astype(np.uint32) + np.uint32(part["base"]))
        tfs.append(np.load(path / "tfs.npy"))
        lengths.append(np.load(path / "lengths.npy"))
    all_pids = np.concatenate(pids)
    keep = ~np.isin(all_pids, np.asarray(sorted(dead), dtype=np.uint32)) if dead else slice(None)
    # Parts come in pid order and each term's pids ascend within a part: a stable sort by
    # term keeps them ascending across parts too.
    end = tail[-1]["base"] + tail[-1]["count"]
    merged = _write_part(
        folder,
        f"part-{tail[0]['base']:010d}-{end:010d}",  # a new name: searchers on older manifests read the old parts
        tail[0]["base"],
        list(vocabulary),
        np.concatenate(term_ids)[keep],
        all_pids[keep],
        np.concatenate(tfs)[keep],
        np.concatenate(lengths),
    )
    return parts[:first] + [merged]


def _remove_unreferenced_parts(folder: Path) -> None:
    """Delete the parts no kept manifest names (merged away, or left by a build that died), and the
    temporary files of a build that died while writing (the caller holds the build lock: none is live)."""
    remove_leftovers(folder, folders=True)
    referenced: set[str] = set()
    for manifest in folder.glob("manifest*.json"):
        try:
            referenced.update(str(part["file"]) for part in json.loads(manifest.read_text("utf-8")).get("parts", []))
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return  # unsure what is in use: keep everything
    for entry in folder.glob("part-*"):
        if entry.is_dir() and entry.name not in referenced:
            shutil.rmtree(entry, ignore_errors=True)


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


def _map(path: Path) -> Any:
    """A read-only memory map of a whole file."""
    with open(path, "rb") as f:
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


class _Part:
    """One part, memory-mapped: opening costs a few system calls whatever its size."""

    def __init__(self, path: Path, base: int, count: int) -> None:
        import numpy as np

        self.vocabulary = np.load(path / "starts.npy", mmap_mode="r")
        # The binary search reads these two a few bytes at a time: plain mmaps and struct are
        # ten times faster at that than numpy's memmap slicing.
        self.blob = _map(path / "vocabulary.bin") if self.vocabulary[-1] else b""
        self._starts = _map(path / "starts.npy")
        self._starts_at = int(self.vocabulary.offset)
        self._two_starts = struct.Struct(self.vocabulary.dtype.str[0] + "qq")  # the byte order it was saved in
        self._found: dict[str, int] = {}  # term -> its index (or -1), for the words of recent queries
        self.offsets = np.load(path / "offsets.npy", mmap_mode="r")
        self.pids = np.load(path / "pids.npy", mmap_mode="r")
        self.tfs = np.load(path / "tfs.npy", mmap_mode="r")
        self._lengths = np.load(path / "lengths.npy", mmap_mode="r")
        self._norm: tuple[float, Any] | None = None
        self.base, self.count = base, count
        self.terms = len(self.vocabulary) - 1
        # A truncated file maps fine and then answers nonsense: check the sizes agree.
        if (
            self.terms < 0
            or self.vocabulary.dtype.kind != "i"
            or self.vocabulary.dtype.itemsize != 8
            or int(self.vocabulary[-1]) != len(self.blob)
            or len(self.offsets) != self.terms + 1
            or int(self.offsets[-1]) != len(self.pids)
            or len(self.tfs) != len(self.pids)
            or len(self._lengths) != count
        ):
            raise IndexUnusable(
                f"index at {path.parent.parent} is damaged ({FOLDER}/{path.name} is inconsistent); "
                "rebuild it with: search-index --full"
            )

    def norm(self, average_length: float) -> Any:
        """BM25's length normalisation ``k1·(1 − b + b·len/avglen)`` of every paragraph (cached)."""
        import numpy as np

        if self._norm is None or self._norm[0] != average_length:
            lengths = np.asarray(self._lengths, dtype=np.float32)
            self._norm = (average_length, K1 * (1.0 - B + B * lengths / np.float32(average_length)))
        return self._norm[1]

    def _term(self, index: int) -> bytes:
        start, end = self._two_starts.unpack_from(self._starts, self._starts_at + 8 * index)
        return self.blob[start:end]

    def _lower_bound(self, target: bytes) -> int:
        """The index of the first term not below ``target``."""
        low, high = 0, self.terms
        while low < high:
            middle = (low + high) // 2
            if self._term(middle) < target:
                low = middle + 1
            else:
                high = middle
        return low

    def _term_index(self, term: str) -> int:
        found = self._found.get(term)
        if found is None:
            target = term.encode("utf-8")
            low = self._lower_bound(target)
            found = low if low < self.terms and self._term(low) == target else -1
            if len(self._found) >= 4096:
                self._found.clear()
            self._found[term] = found
        return found

    def prefix_range(self, prefix: str) -> tuple[int, int]:
        """The vocabulary indexes ``[start, end)`` of the terms that start with ``prefix``."""
        target = prefix.encode("utf-8")
        start = self._lower_bound(target)
        low, high = start, self.terms
        while low < high:  # the first term past the prefix
            middle = (low + high) // 2
            if self._term(middle)[: len(target)] <= target:
                low = middle + 1
            else:
                high = middle
        return start, low

    def term_at(self, index: int) -> str:
        return self._term(index).decode("utf-8")

    def frequencies(self, start: int, end: int) -> Any:
        """The document frequencies of the terms ``start`` to ``end``."""
        import numpy as np

        return np.diff(np.asarray(self.offsets[start : end + 1], dtype=np.int64))

    def postings(self, term: str) -> tuple[Any, Any] | None:
        index = self._term_index(term)
        if index < 0:
            return None
        start, end = int(self.offsets[index]), int(self.offsets[index + 1])
        return self.pids[start:end], self.tfs[start:end]


class BestMatchIndex:
    """The best-match postings of one index generation, opened for scoring."""

    def __init__(self, folder: Path, generation: int | None = None) -> None:
        import numpy as np

        self.folder = folder
        manifest = read_manifest(folder, generation)
        self.parts = [_Part(folder / p["file"], int(p["base"]), int(p["count"])) for p in manifest.get("parts", [])]
        self.live = max(1, int(manifest.get("live", 0)))
        self.average_length = max(1.0, int(manifest.get("live_length", 0)) / self.live)
        dead = np.asarray(manifest.get("dead", []), dtype=np.int64)
        self.dead = [dead[(dead >= p.base) & (dead < p.base + p.count)] - p.base for p in self.parts]
        self._postings: dict[str, tuple[Any, Any]] = {}

    @classmethod
    def open(cls, generation: Path) -> "BestMatchIndex | None":
        """The best-match index of a generation, or None when it has none."""
        folder = Path(generation) / FOLDER
        if not (folder / MANIFEST).is_file():
            return None
        return cls(folder)

    def document_frequency(self, term: str) -> int:
        """In how many paragraphs ``term`` (a vocabulary entry: see :func:`term_key`) occurs."""
        return sum(len(found[0]) for part in self.parts if (found := part.postings(term)) is not None)

    def postings(self, term: str) -> tuple[Any, Any]:
        """The live paragraphs with ``term`` (pids, ascending) and BM25's term-frequency factor
        ``tf·(k1+1)/(tf + k1·(1−b+b·len/avglen))`` for each (a vocabulary entry: see :func:`term_key`)."""
        import numpy as np

        cached = self._postings.get(term)
        if cached is not None:
            return cached
        ids: list[Any] = []
        factors: list[Any] = []
        for part, dead in zip(self.parts, self.dead):
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
        else:  # parts cover ascending pid ranges: concatenated, the pids stay sorted
            result = (np.concatenate(ids), np.concatenate(factors))
        if len(self._postings) >= 256:
            self._postings.clear()
        self._postings[term] = result
        return result

    def with_prefix(self, prefix: str, limit: int) -> list[tuple[int, str]]:
        """The ``limit`` most frequent terms that start with ``prefix``, as ``(document frequency, term)``,
        most frequent first (ties alphabetical)."""
        import numpy as np

        frequency: dict[str, int] = {}
        for part in self.parts:
            start, end = part.prefix_range(prefix)
            if start >= end:
                continue
            counts = part.frequencies(start, end)
            if len(counts) > limit * 4:  # the other parts may reorder the top few: keep a margin
                chosen = np.argpartition(-counts, limit * 4 - 1)[: limit * 4]
            else:
                chosen = np.arange(len(counts))
            for local in chosen.tolist():
                term = part.term_at(start + local)
                frequency[term] = frequency.get(term, 0) + int(counts[local])
        ranked = sorted(((count, term) for term, count in frequency.items()), key=lambda c: (-c[0], c[1]))
        return ranked[:limit]

    def has_prefix(self, prefix: str) -> bool:
        """Whether some term starts with ``prefix``."""
        return any(start < end for start, end in (part.prefix_range(prefix) for part in self.parts))

    def prefixes(self, length: int) -> set[str]:
        """The distinct beginnings, ``length`` characters long, of the folded syllables (not of the
        pairs or exact keys), found by jumping over each one's range of the sorted vocabulary."""
        found: set[str] = set()
        for part in self.parts:
            index = 0
            while index < part.terms:
                term = part.term_at(index)
                if term[:1] in (PAIR_MARK, EXACT_MARK):
                    index = part.prefix_range(term[:1])[1]
                elif len(term) < length:
                    index += 1
                else:
                    found.add(term[:length])
                    index = part.prefix_range(term[:length])[1]
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
            weighted.append((None, PAIR_MARK + pair, PAIR_BOOST))
        idf = {term: self.idf(term) for _, term, _ in weighted}
        # A word's weight in the coverage share: its (most telling) form's IDF.
        word_idf = {position: max(idf[t] for t in dict.fromkeys(terms)) for position, terms in enumerate(words) if terms}
        total_mass = sum(word_idf.values())
        result.idf = {term: value for term, value in idf.items() if not term.startswith(PAIR_MARK)}
        # (An array of pids, as a search kept to some files passes, is taken as it is: no Python loop.)
        skip = np.unique(np.asarray(exclude_pids if isinstance(exclude_pids, np.ndarray) else list(exclude_pids), dtype=np.int64))
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
