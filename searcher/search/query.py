"""The query language: plain words, ``"quoted phrases"`` and ``-exclusions``.

Nothing else is syntax.  ``AND``, ``*``, ``:``, ``~``, brackets and stray
quotes are plain text or ignored, so no query can fail to parse.

>>> q = parse_query('ngoại giao "kinh tế" -mỹ')
>>> [w.folded for w in q.words], [c.quoted for c in q.clauses], [w.folded for c in q.excluded for w in c.words]
(['ngoai', 'giao', 'kinh', 'te'], [False, False, True], ['mi'])
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from searcher.vietnamese.analysis import iter_words
from searcher.vietnamese.text import clean_line, exact_term, folded_term, has_marks

__all__ = ["QueryWord", "Clause", "ParsedQuery", "parse_query", "MAX_QUERY_CHARS", "MAX_QUERY_WORDS"]

MAX_QUERY_CHARS = 1000
MAX_QUERY_WORDS = 32

_QUOTES = '"“”„«»'
_SEGMENT_RE = re.compile(r'(-?)[' + _QUOTES + r']([^' + _QUOTES + r']*)[' + _QUOTES + r']|(\S+)')


@dataclass(frozen=True)
class QueryWord:
    """One word of a query in the three forms the engine uses (``folded`` and ``exact`` are index terms).

    >>> w = QueryWord.of("Ngoại")
    >>> w.folded, w.exact, w.marked
    ('ngoai', 'ngoai~5', True)
    """

    text: str
    folded: str
    exact: str
    marked: bool

    @classmethod
    def of(cls, text: str) -> QueryWord:
        return cls(text, folded_term(text), exact_term(text), has_marks(text))


@dataclass(frozen=True)
class Clause:
    """A single word, or a quoted phrase (several words that must stand in sequence)."""

    words: tuple[QueryWord, ...]
    quoted: bool = False


@dataclass
class ParsedQuery:
    """A parsed query.  ``words`` are the positive words in the order typed."""

    raw: str
    clauses: list[Clause] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)
    prefix: QueryWord | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def words(self) -> list[QueryWord]:
        return [w for c in self.clauses for w in c.words]

    @property
    def marked(self) -> bool:
        """True when the user typed diacritics: exact-diacritic matches then rank first."""
        return any(w.marked for w in self.words)

    @property
    def empty(self) -> bool:
        return not self.clauses


def parse_query(raw: str, prefix: bool = False) -> ParsedQuery:
    """Parse what the user typed.

    With ``prefix=True`` (search as you type), the last plain word, when the
    user has not typed a space after it yet, matches as a prefix:
    ``ngoại gi`` already finds *ngoại giao*.

    >>> parse_query("ngoại gi", prefix=True).prefix.folded
    'gi'
    >>> parse_query('AND (ngoai) "giao').words[0].folded
    'and'
    """
    text = clean_line(raw)
    query = ParsedQuery(raw=raw)
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        query.notes.append(f"query cut to its first {MAX_QUERY_CHARS} characters")
    # A word followed by punctuation is finished: "… cho học sinh?" ends with the word *sinh*.
    ends_open = bool(text) and not raw[-1:].isspace() and (text[-1].isalnum() or unicodedata.combining(text[-1]) > 0)

    word_count = 0
    truncated = False
    last_plain: Clause | None = None
    for match in _SEGMENT_RE.finditer(text):
        negated, quoted_text, plain = match.group(1), match.group(2), match.group(3)
        if plain is not None:
            negated = "-" if plain.startswith("-") and len(plain) > 1 else ""
            body = plain[1:] if negated else plain
            words = tuple(QueryWord.of(w) for w in iter_words(body))
            quoted = len(words) > 1 and bool(negated)  # "-kinh-tế" excludes the phrase
        else:
            words = tuple(QueryWord.of(w) for w in iter_words(quoted_text or ""))
            quoted = True
        if not words:
            continue
        if negated:
            query.excluded.append(Clause(words, quoted=quoted))
            continue
        room = MAX_QUERY_WORDS - word_count
        if len(words) > room:
            truncated = True
            words = words[:room]
            if not words:
                continue
        if quoted:
            clauses = [Clause(words, quoted=True)]
        else:
            clauses = [Clause((w,)) for w in words]
        query.clauses.extend(clauses)
        word_count += len(words)
        last_plain = query.clauses[-1] if query.clauses and not query.clauses[-1].quoted else None
    if truncated:
        query.notes.append(f"only the first {MAX_QUERY_WORDS} words are searched")
    if prefix and ends_open and not truncated and last_plain is not None and query.clauses[-1] is last_plain:
        # Only when the text really ends with that word (not with an exclusion).
        tail = text.rsplit(None, 1)[-1]
        if not tail.startswith("-"):
            query.prefix = last_plain.words[-1]
    return query
