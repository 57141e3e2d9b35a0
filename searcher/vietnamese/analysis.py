"""Tokenizing Vietnamese text into syllables and the index terms made from them.

A token is a run of letters and digits (``ngoại``, ``G20``, ``P4G``, ``2025``);
everything else separates tokens.  There is no stop list and no minimum
length: *ở* and *ý* are tokens like any other.

Each paragraph is indexed under three term streams, all space-separated so
the Whoosh side needs no custom analyzer class:

* ``exact``  – :func:`searcher.vietnamese.text.exact_term` of every token (its exact key);
* ``folded`` – :func:`searcher.vietnamese.text.folded_term` of every token (its folded form);
  both spell a final i/y one way where the two are interchangeable (*kỹ* = *kĩ*);
* ``pairs``  – folded adjacent-token pairs (``ngoai_giao``).  Single
  syllables are very frequent in Vietnamese; pairs are rare, so a
  multi-syllable query answered through pairs reads short posting lists and
  ranks adjacency first.  Exact adjacency is the folded pairs and the
  ``exact`` syllables together, checked on the stored text
  (:class:`searcher.search.planning.Check`): an index of exact pairs as well
  doubled the size of the index (issue 12).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

from searcher.vietnamese.text import exact_term, fold, folded_term

__all__ = ["Token", "tokenize", "Reading", "read_text", "index_terms", "pair_term", "MAX_TOKEN_CHARS"]

# A letter or digit, then letters, digits and any combining marks NFC could
# not compose (IPA, stray marks).  A mark with no letter before it is no token.
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff"
# Written as runs, not a per-character alternation: three times faster on long text.
_TOKEN_RE = re.compile(rf"[^\W_]+(?:[{_MARKS}]+[^\W_]*)*")

# Longer runs are hashes, base64 or glued garbage, never words someone types.
MAX_TOKEN_CHARS = 64

PAIR_SEPARATOR = "_"  # never inside a token, so a pair term is unambiguous


class Token(NamedTuple):
    """One token of a text, with its character span in that text."""

    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Split NFC ``text`` into tokens with character offsets.

    >>> [t.text for t in tokenize("Ngoại giao kinh tế, G20 (8%)")]
    ['Ngoại', 'giao', 'kinh', 'tế', 'G20', '8']
    """
    return [Token(m.group(), *m.span()) for m in _TOKEN_RE.finditer(text) if m.end() - m.start() <= MAX_TOKEN_CHARS]


class Reading(NamedTuple):
    """A paragraph's tokens with their folded forms (see :func:`read_text`)."""

    tokens: tuple[Token, ...]
    folds: tuple[str, ...]  # fold() of each token: ``ngoai`` for *Ngoại*
    terms: tuple[str, ...]  # folded_term() of each token: i/y spelled one way, ``ki`` for *kỹ*


# A live search shows mostly the same paragraphs from one keystroke to the next, and
# reads each twice (the engine's highlighting, then the result's snippet): remembering
# the last few hundred readings spares most of the tokenizing.  Documents and other long
# texts are read anew: they would crowd the paragraphs out, and their readings are large.
READING_CACHE = 512
READING_CACHE_CHARS = 20_000


def read_text(text: str) -> Reading:
    """:func:`tokenize` ``text`` and fold its tokens, remembering recent paragraphs.

    >>> r = read_text("Kỹ sư Ngoại giao")
    >>> [t.text for t in r.tokens], r.folds, r.terms
    (['Kỹ', 'sư', 'Ngoại', 'giao'], ('ky', 'su', 'ngoai', 'giao'), ('ki', 'su', 'ngoai', 'giao'))
    """
    return _read.__wrapped__(text) if len(text) > READING_CACHE_CHARS else _read(text)


@lru_cache(maxsize=READING_CACHE)
def _read(text: str) -> Reading:
    tokens = tuple(tokenize(text))
    return Reading(tokens, tuple(fold(t.text) for t in tokens), tuple(folded_term(t.text) for t in tokens))


def iter_words(text: str) -> Iterator[str]:
    """Yield just the token strings of ``text`` (faster than :func:`tokenize`)."""
    for word in _TOKEN_RE.findall(text):
        if len(word) <= MAX_TOKEN_CHARS:
            yield word


def pair_term(left_folded: str, right_folded: str) -> str:
    """The ``pairs`` term for two adjacent folded tokens.

    >>> pair_term("ngoai", "giao")
    'ngoai_giao'
    """
    return left_folded + PAIR_SEPARATOR + right_folded


def index_terms(text: str) -> tuple[str, str, str]:
    """Return the ``(exact, folded, pairs)`` term streams for one paragraph.

    >>> index_terms("Ngoại giao Việt Nam")
    ('ngoai~5 giao viêt~5 nam', 'ngoai giao viet nam', 'ngoai_giao giao_viet viet_nam')
    """
    words = list(iter_words(text))
    exact = [exact_term(w) for w in words]
    folded = [folded_term(w) for w in words]
    pairs = [pair_term(a, b) for a, b in itertools.pairwise(folded)]
    return " ".join(exact), " ".join(folded), " ".join(pairs)
