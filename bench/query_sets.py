"""Query sets cut from the sampled paragraphs (known-item search), with a fixed seed.

a  3–5 consecutive syllables, as written (NFC, original case and marks)
b  the same without diacritics (searcher.vietnamese.text.fold per word)
c  the same in upper case
d  other windows, with old/new tone placement swapped (hòa↔hoà, thủy↔thuỷ)
e  single very frequent syllables: latency only, no known item
f  live typing: every prefix of some set-a queries, one character at a time

A syllable is a run of letters/digits (searcher's tokenizer).  Queries are
cut only from paragraphs whose text occurs once in the whole sample (title
lines included), so the paragraph a query came from is the one right answer.
"""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from dataclasses import dataclass

from corpus_mix import Sample
from searcher.vietnamese.analysis import iter_words
from searcher.vietnamese.text import fold

FIXED_FREQUENT = ["của", "và", "người", "được"]

TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
SWAP_PAIRS = {("o", "a"), ("o", "e"), ("u", "y")}

SET_NAMES = {
    "a": "3–5 syllables as written",
    "b": "unaccented (folded)",
    "c": "upper case",
    "d": "tone placement swapped",
    "e": "single frequent syllable",
    "f": "live typing (per keystroke)",
}


@dataclass
class Query:
    set: str
    text: str
    target: int | None  # index into Sample.paragraphs, None for set e


@dataclass
class Typed:
    """One set-f query: the full text and every prefix as typed."""

    text: str
    target: int
    prefixes: list[str]


def swap_tone(syllable: str) -> str:
    """Move the tone mark between the two vowels of a final oa/oe/uy (not after q).

    >>> swap_tone("hòa"), swap_tone("hoà"), swap_tone("Thuỷ"), swap_tone("quà"), swap_tone("hoàn")
    ('hoà', 'hòa', 'Thủy', 'quà', 'hoàn')
    """
    letters: list[list[str]] = []
    for ch in unicodedata.normalize("NFD", syllable):
        if unicodedata.combining(ch) and letters:
            letters[-1].append(ch)
        else:
            letters.append([ch])
    if len(letters) < 2:
        return syllable
    first, second = letters[-2], letters[-1]
    if (first[0].lower(), second[0].lower()) not in SWAP_PAIRS:
        return syllable
    if len(letters) >= 3 and letters[-3][0].lower() == "q":
        return syllable
    marks = first[1:] + second[1:]
    if len(marks) != 1 or marks[0] not in TONES:
        return syllable  # no tone, or a quality mark (not a plain oa/oe/uy)
    if len(first) == 2:
        letters[-2], letters[-1] = [first[0]], [second[0], marks[0]]
    else:
        letters[-2], letters[-1] = [first[0], marks[0]], [second[0]]
    return unicodedata.normalize("NFC", "".join(ch for letter in letters for ch in letter))


def acceptable(words: list[str]) -> bool:
    """Skip queries whose words are all very short (≤ 2 characters) or that are only digits."""
    if not words or all(len(w) <= 2 for w in words) or all(w.isdigit() for w in words):
        return False
    return all(len(w) <= 30 for w in words)  # no glued garbage


class QuerySets:
    def __init__(self, sample: Sample, seed: int, per_set: int, frequent: int, typed: int) -> None:
        self.sample = sample
        self.rng = random.Random(seed)
        paragraphs = sample.paragraphs
        unique = [
            i for i, p in enumerate(paragraphs) if sample.duplicates[" ".join(p.text.split())] == 1
        ]
        self.candidates = unique
        self.sets: dict[str, list[Query]] = {}
        self._make_abc(per_set)
        self._make_d(per_set)
        self._make_e(frequent)
        self.typed = self._make_f(typed)

    def _window(self, words: list[str]) -> list[str] | None:
        if len(words) < 3:
            return None
        size = self.rng.randint(3, 5)
        size = min(size, len(words))
        start = self.rng.randrange(0, len(words) - size + 1)
        window = words[start : start + size]
        return window if acceptable(window) else None

    def _make_abc(self, count: int) -> None:
        order = list(self.candidates)
        self.rng.shuffle(order)
        a: list[Query] = []
        seen: set[str] = set()
        for i in order:
            if len(a) >= count:
                break
            window = self._window(list(iter_words(self.sample.paragraphs[i].text)))
            if window is None:
                continue
            text = " ".join(window)
            if text.lower() in seen:
                continue
            seen.add(text.lower())
            a.append(Query("a", text, i))
        self.sets["a"] = a
        self.sets["b"] = [Query("b", " ".join(fold(w) for w in q.text.split()), q.target) for q in a]
        self.sets["c"] = [Query("c", q.text.upper(), q.target) for q in a]

    def _make_d(self, count: int) -> None:
        order = list(self.candidates)
        self.rng.shuffle(order)
        d: list[Query] = []
        seen: set[str] = set()
        for i in order:
            if len(d) >= count:
                break
            words = list(iter_words(self.sample.paragraphs[i].text))
            swappable = [k for k, w in enumerate(words) if swap_tone(w) != w]
            if not swappable:
                continue
            # A window of 3–5 syllables around one swappable syllable.
            k = self.rng.choice(swappable)
            size = min(self.rng.randint(3, 5), len(words))
            if size < 3:
                continue
            start = self.rng.randint(max(0, k - size + 1), min(k, len(words) - size))
            window = words[start : start + size]
            if not acceptable(window):
                continue
            text = " ".join(swap_tone(w) for w in window)
            if text.lower() in seen:
                continue
            seen.add(text.lower())
            d.append(Query("d", text, i))
        self.sets["d"] = d

    def frequent_syllables(self, limit: int = 60_000) -> list[tuple[str, int]]:
        """The most frequent syllables (lower case) of an evenly spread part of the sample."""
        paragraphs = self.sample.paragraphs
        step = max(1, len(paragraphs) // limit)
        counts: Counter = Counter()
        for p in paragraphs[::step]:
            counts.update(w.lower() for w in iter_words(p.text))
        return counts.most_common(200)

    def _make_e(self, count: int) -> None:
        words = list(FIXED_FREQUENT)
        for word, _ in self.frequent_syllables():
            if len(words) >= count:
                break
            if word not in words and len(word) >= 2 and not word.isdigit():
                words.append(word)
        self.sets["e"] = [Query("e", w, None) for w in words[: max(count, 0)]]

    def _make_f(self, count: int) -> list[Typed]:
        typed = []
        for q in self.sets["a"][:count]:
            prefixes = [q.text[:k] for k in range(1, len(q.text) + 1)]
            assert q.target is not None
            typed.append(Typed(q.text, q.target, [p for p in prefixes if p.strip()]))
        return typed
