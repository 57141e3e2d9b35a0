"""The Whoosh analysis of the three indexed fields: a syllable tokenizer and the filters that fold them.

The schema pickles these classes by import path, so plain Whoosh analyses a
query exactly as the index was analysed::

    >>> from whoosh.qparser import QueryParser
    >>> from searcher.index.schema import make_schema
    >>> QueryParser("folded", make_schema()).parse("NGOẠI giao")
    And([Term('folded', 'ngoai'), Term('folded', 'giao')])

- ``exact``: each syllable's exact key (:func:`searcher.vietnamese.text.exact_term`,
  ``ngoại`` → ``ngoai~5``): marks kept, case and the tone mark's place not;
- ``folded``: each syllable folded (:func:`searcher.vietnamese.text.folded_term`,
  ``Ngoại`` and ``ngoài`` → ``ngoai``; ``đ`` → ``d``; final i/y one way);
- ``pairs``: adjacent folded syllables (``ngoai_giao``): a two-syllable word.

No stop list and no minimum length: *ở* and *ý* are words.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from whoosh.analysis import Filter, Token, Tokenizer
from whoosh.fields import TEXT

from searcher.vietnamese.analysis import PAIR_SEPARATOR, iter_words, tokenize
from searcher.vietnamese.text import exact_term, folded_term

__all__ = [
    "SyllableTokenizer",
    "FoldFilter",
    "ExactFilter",
    "PairFilter",
    "exact_analyzer",
    "folded_analyzer",
    "pairs_analyzer",
    "SyllableField",
]


class SyllableTokenizer(Tokenizer):
    """Splits text into syllables: runs of letters and digits (``Ngoại``, ``G20``), after NFC.

    >>> [t.text for t in SyllableTokenizer()("Ngoại giao, G20")]
    ['Ngoại', 'giao', 'G20']
    """

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        text = value if unicodedata.is_normalized("NFC", value) else unicodedata.normalize("NFC", value)
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for position, found in enumerate(_tokens(text)):
            token.text = found.text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = found.text  # type: ignore[attr-defined]  # Whoosh's Token takes any attribute
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar = start_char + found.start
                token.endchar = start_char + found.end
            yield token


_tokens = tokenize  # the module's own tokenizer, under a name the method's argument does not hide


class FoldFilter(Filter):
    """Each syllable folded: no marks, lower case, ``đ`` → ``d``, final i/y spelled one way.

    >>> [t.text for t in (SyllableTokenizer() | FoldFilter())("Ngoài Đà Nẵng, kỹ")]
    ['ngoai', 'da', 'nang', 'ki']
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:  # type: ignore[override]
        for token in tokens:
            token.text = folded_term(token.text)
            yield token


class ExactFilter(Filter):
    """Each syllable's exact key: marks kept, case and the tone mark's place not (*hoà* = *hòa*).

    >>> [t.text for t in (SyllableTokenizer() | ExactFilter())("Ngoại hoà")]
    ['ngoai~5', 'hoa~2']
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:  # type: ignore[override]
        for token in tokens:
            token.text = exact_term(token.text)
            yield token


class PairFilter(Filter):
    """Adjacent syllables joined with ``_``: one token for each pair, at the first one's place.

    >>> [t.text for t in (SyllableTokenizer() | FoldFilter() | PairFilter())("ngoại giao Việt Nam")]
    ['ngoai_giao', 'giao_viet', 'viet_nam']
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:  # type: ignore[override]
        previous: str | None = None
        start = 0
        for token in tokens:
            current, end = token.text, getattr(token, "endchar", 0)
            if previous is not None:
                token.text = previous + PAIR_SEPARATOR + current
                if hasattr(token, "startchar"):
                    token.startchar = start
                yield token
            previous, start = current, getattr(token, "startchar", 0)
            if hasattr(token, "endchar"):
                token.endchar = end


def exact_analyzer() -> Any:
    """The analyzer of the ``exact`` field."""
    return SyllableTokenizer() | ExactFilter()


def folded_analyzer() -> Any:
    """The analyzer of the ``folded`` field."""
    return SyllableTokenizer() | FoldFilter()


def pairs_analyzer() -> Any:
    """The analyzer of the ``pairs`` field."""
    return SyllableTokenizer() | FoldFilter() | PairFilter()


@lru_cache(maxsize=4)
def _field_terms(text: str) -> dict[str, list[str]]:
    """The three fields' terms of one paragraph (the writer asks for each field in turn: the words
    are found and folded once).  Plain strings, not the tokenizer's tokens: a build reads millions."""
    words = list(iter_words(text))
    folded = [folded_term(word) for word in words]
    return {
        "exact": [exact_term(word) for word in words],
        "folded": folded,
        "pairs": [a + PAIR_SEPARATOR + b for a, b in itertools.pairwise(folded)],
    }


def field_terms(text: str, exact: bool = True) -> dict[str, list[str]]:
    """The ``exact``, ``folded`` and ``pairs`` terms of one paragraph, as the index's analysis gives them
    (what a backend that sends text, not postings, is scored from); without ``exact``, no ``exact`` terms.

    >>> field_terms("Ngoại giao")["pairs"], field_terms("Ngoại giao", exact=False).keys()
    (['ngoai_giao'], dict_keys(['folded', 'pairs']))
    """
    text = text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)
    if exact:
        return _field_terms(text)
    folded = [folded_term(word) for word in iter_words(text)]
    return {"folded": folded, "pairs": [a + PAIR_SEPARATOR + b for a, b in itertools.pairwise(folded)]}


class SyllableField(TEXT):
    """A ``TEXT`` field (term frequencies, no positions) with one of the analyzers above.

    Indexing takes a short cut that gives the analyzer's terms without its
    per-token objects: the three fields read the same paragraph, and
    :func:`_field_terms` finds and folds its words once for all three (a
    test checks the short cut and the analyzer agree).
    """

    def __init__(self, kind: str) -> None:
        analyzers = {"exact": exact_analyzer, "folded": folded_analyzer, "pairs": pairs_analyzer}
        super().__init__(analyzer=analyzers[kind](), phrase=False)
        self.kind = kind
        # A paragraph's length is its syllables, the same in the three fields: Whoosh keeps it
        # (for its BM25F) with ``folded`` only; the other two score by term frequency.
        self.scorable = kind == "folded"

    def index_counts(self, value: str) -> tuple[list[str], list[int]]:
        """The analyzer's terms of ``value`` and how often each occurs (what the pool of
        :func:`searcher.index.whoosh_patches.pool_writer_class` takes at once)."""
        text = value if unicodedata.is_normalized("NFC", value) else unicodedata.normalize("NFC", value)
        counts = Counter(_field_terms(text)[self.kind])
        return list(counts), list(counts.values())

    def index(self, value: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            return super().index(value, **kwargs)
        terms, counts = self.index_counts(value)
        return [(term.encode("utf-8"), count, float(count), None) for term, count in zip(terms, counts, strict=True)]
