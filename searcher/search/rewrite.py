"""Queries typed in Telex or VNI without an input method: ``ngoaij giao`` searches *ngoại giao*.

Vietnamese input methods often fail inside terminals, and the keystrokes then
arrive raw.  :func:`rewrite_typed` reads such words back into Vietnamese, but
only when all of these hold (issue 10):

* the word carries Telex or VNI markers and decodes to a valid syllable
  (:func:`searcher.vietnamese.inputmethod.decode_word`);
* the index does not know the word as typed (``bus``, ``tax`` and ``class``
  stay themselves in an index that has them), and it is no number or code
  (``2024``, ``G20``);
* the index knows the decoded word.

Pure: the index is asked only through the ``known`` function the caller
passes in, so the rule can be tested without an index.  Since a rewritten
word is one the index does not know as typed, searching the decoded word
alone finds exactly what searching both would.

>>> index = {("folded", "giao"), ("exact", "ngoai~5"), ("exact", "bu~1"), ("folded", "bus")}
>>> known = lambda field, term, prefix: (field, term) in index
>>> parsed, rewrites = rewrite_typed(parse_query("ngoaij giao bus"), known)
>>> [w.text for w in parsed.words], rewrites
(['ngoại', 'giao', 'bus'], [('ngoaij', 'ngoại')])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from searcher.search.query import Clause, ParsedQuery, QueryWord, parse_query  # noqa: F401  (the doctests use it)
from searcher.vietnamese.inputmethod import decode_word

__all__ = ["Known", "rewrite_typed", "rewrite_note"]

# (field, term, as_prefix) -> whether some paragraph has that term in that field
# (with ``as_prefix``: some term starting with it).
Known = Callable[[str, str, bool], bool]


def decoded_word(word: QueryWord, known: Known, *, prefix: bool = False) -> QueryWord | None:
    """The Vietnamese word ``word`` stands for when it was typed in Telex or VNI, else None.

    ``prefix`` says the word is still being typed (live search): it counts as
    known as typed when some indexed word starts with it.
    """
    text = word.text
    if word.marked or not text.isascii() or text.isdigit() or len(text) < 2:
        return None
    if known("folded", word.folded, prefix):
        return None
    for decoded in decode_word(text):
        candidate = QueryWord.of(decoded)
        if known("exact", candidate.exact, False):
            return candidate
    return None


def rewrite_typed(parsed: ParsedQuery, known: Known) -> tuple[ParsedQuery, list[tuple[str, str]]]:
    """``parsed`` with its Telex/VNI-typed words decoded, and the ``(as typed, as searched)`` pairs."""
    rewrites: list[tuple[str, str]] = []
    changed: dict[int, QueryWord] = {}

    def convert(clauses: list[Clause]) -> list[Clause]:
        out = []
        for clause in clauses:
            words = []
            for word in clause.words:
                new = decoded_word(word, known, prefix=word is parsed.prefix)
                if new is None:
                    words.append(word)
                    continue
                changed[id(word)] = new
                if (word.text, new.text) not in rewrites:
                    rewrites.append((word.text, new.text))
                words.append(new)
            out.append(Clause(tuple(words), clause.quoted) if words != list(clause.words) else clause)
        return out

    clauses, excluded = convert(parsed.clauses), convert(parsed.excluded)
    if not rewrites:
        return parsed, []
    prefix = parsed.prefix
    if prefix is not None:
        prefix = changed.get(id(prefix), prefix)
    return dataclasses.replace(parsed, clauses=clauses, excluded=excluded, prefix=prefix), rewrites


def rewrite_note(rewrites: list[tuple[str, str]]) -> str:
    """The note that says what was searched: ``searching ngoaij as ngoại, tees as tế``.

    >>> rewrite_note([("ngoaij", "ngoại"), ("tees", "tế")])
    'searching ngoaij as ngoại, tees as tế'
    """
    return "searching " + ", ".join(f"{typed} as {searched}" for typed, searched in rewrites)
