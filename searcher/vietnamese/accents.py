""""Did you mean": an unaccented query with its marks restored from the index's own statistics.

For a query of two or more syllables typed without marks (``ngoai giao kinh te``):

1. **The whole phrase.**  The paragraphs that have the folded phrase are found
   through the pair terms; the renderings of the phrase in their text are
   counted, and the most frequent is offered when it is at least
   :data:`PHRASE_MARGIN` times as frequent as the next.
2. **Syllable by syllable**, when no paragraph has the phrase: Viterbi over
   each syllable's exact forms (the ones the ``exact`` field knows), with
   pair counts backing off to single-syllable counts.  A pair's count is
   read from the stored text of (at most :data:`MAX_PAIR_PARAGRAPHS`) paragraphs
   that have its folded pair, scaled to the folded pair's paragraph count:
   the index keeps no pairs of exact syllables.  Offered only when, at every syllable, the best sequence is at
   least :data:`VITERBI_MARGIN` times as likely as the best one with another
   form there.

Everything comes from term statistics and a bounded number of stored
paragraphs, so it costs a few milliseconds.  The searcher is any object with
Whoosh's ``doc_frequency``, ``docs_for_query`` and ``stored_fields``.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import threading
import weakref
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from whoosh.query import Phrase, Term

from searcher.search.query import ParsedQuery
from searcher.vietnamese.analysis import _TOKEN_RE, pair_term
from searcher.vietnamese.inputmethod import place_tone
from searcher.vietnamese.text import exact_key, exact_term, fold, folded_term

__all__ = ["suggest", "restore", "PHRASE_MARGIN", "VITERBI_MARGIN"]

PHRASE_MARGIN = 2.0  # the top rendering of the phrase must be this many times as frequent as the next
VITERBI_MARGIN = 4.0  # at every syllable, the best path must be this many times as likely as any other
MAX_PARAGRAPHS = 50  # paragraphs read to count renderings of the phrase
MAX_PAIR_PARAGRAPHS = 50  # paragraphs read to count renderings of one pair (Viterbi)
SMOOTHING = 1.0  # weight of the single-syllable estimate in a pair's probability

# What each plain letter may stand for in a marked syllable.
_VARIANTS = {"a": "aăâ", "e": "eê", "o": "oôơ", "u": "uư", "d": "dđ"}


# A whole question typed without marks gets no suggestion: restoring 20 syllables costs
# tens of milliseconds on a large folder, and nobody narrows a question to its exact marks.
MAX_WORDS = 8


def suggest(searcher: Any, parsed: ParsedQuery) -> str | None:
    """The query with its marks restored, when it was typed without marks and one reading clearly wins.

    While the last word is still being typed (``parsed.prefix``), the finished words
    are restored and the unfinished one is kept as typed (``ngoai giao kinh t`` →
    ``ngoại giao kinh t``): typing on after accepting it still finds the same hits.
    When the last word is already a word of the index and the whole query has a
    clear reading, that reading is offered, as for the finished query: the live
    search and the CLI offer the same (``ngoai giao kinh te`` → ``ngoại giao kinh tế``).
    """
    if parsed.marked or parsed.excluded:
        return None
    finished = [w for w in parsed.words if w is not parsed.prefix]
    if not 2 <= len(finished) <= MAX_WORDS:
        return None
    typed = [w.text for w in finished]
    prefix = parsed.prefix
    if prefix is not None and len(finished) < MAX_WORDS and searcher.doc_frequency("folded", prefix.folded) > 0:
        whole = _restored_words(searcher, typed + [prefix.text])
        if whole is not None:
            return " ".join(whole)
    words = _restored_words(searcher, typed)
    if words is None:
        return None
    if prefix is not None:
        words.append(prefix.text)
    return " ".join(words)


def _restored_words(searcher: Any, typed: list[str]) -> list[str] | None:
    """``typed`` with their marks restored, in the case typed (None: no clear reading, or nothing to restore)."""
    restored = _restore_memoised(searcher, typed)
    if restored is None:
        return None
    words = [_with_case(t, r) for t, r in zip(typed, restored, strict=True)]
    if [folded_term(w) for w in words] != [folded_term(t) for t in typed] or words == typed:
        return None
    return words


def _restore_memoised(searcher: Any, words: Sequence[str]) -> list[str] | None:
    """:func:`restore`, remembered per searcher: while the last word is typed, the
    finished ones are asked again at every keystroke."""
    memo = _memo(searcher)
    key = tuple(fold(w).lower() for w in words)
    if key not in memo.restored:
        memo.restored[key] = restore(searcher, words)
    return memo.restored[key]


def restore(searcher: Any, words: Sequence[str]) -> list[str] | None:
    """The lower-case marked forms of ``words`` (typed without marks), or None when no reading clearly wins."""
    folded = [folded_term(w) for w in words]
    counts = _phrase_renderings(searcher, folded)
    if counts:
        ranked = counts.most_common(2)
        best, count = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0
        return list(best) if count >= PHRASE_MARGIN * runner_up else None
    return _viterbi(searcher, [fold(w) for w in words])


def _phrase_renderings(searcher: Any, folded: list[str]) -> Counter[tuple[str, ...]]:
    """How often each rendering (lower case, as written) of the folded phrase occurs, tone placement aside."""
    pairs = [pair_term(a, b) for a, b in itertools.pairwise(folded)]
    query = Term("pairs", pairs[0]) if len(pairs) == 1 else Phrase("pairs", pairs)
    by_key: Counter[tuple[str, ...]] = Counter()
    surface: dict[tuple[str, ...], Counter[tuple[str, ...]]] = {}
    for docnum in itertools.islice(searcher.docs_for_query(query), MAX_PARAGRAPHS):
        for words in _written_runs(searcher.stored_fields(docnum).get("text", ""), folded):
            written = tuple(w.lower() for w in words)
            key = tuple(exact_key(w) for w in written)
            by_key[key] += 1
            surface.setdefault(key, Counter())[written] += 1
    return Counter({surface[key].most_common(1)[0][0]: n for key, n in by_key.items()})


class _Memo:
    """What one searcher (one snapshot of the index) has told did-you-mean: forms and pair counts.

    Queries share most of their syllables, so these are asked again and again;
    a searcher never changes, so its answers can be kept while it lives.
    """

    LIMIT = 20_000  # entries of each table before it starts afresh

    def __init__(self) -> None:
        self.forms: dict[str, dict[str, int]] = {}
        self.pairs: dict[tuple[str, str], dict[tuple[str, str], float]] = {}
        self.restored: dict[tuple[str, ...], list[str] | None] = {}


_memos: weakref.WeakKeyDictionary[Any, _Memo] = weakref.WeakKeyDictionary()
_memos_lock = threading.Lock()


def _memo(searcher: Any) -> _Memo:
    with _memos_lock:
        try:
            memo = _memos.get(searcher)
            if memo is None:
                memo = _memos[searcher] = _Memo()
        except TypeError:  # not weakly referenceable: nothing kept
            return _Memo()
        for table in (memo.forms, memo.pairs, memo.restored):
            if len(table) > _Memo.LIMIT:
                table.clear()
        return memo


def _forms(searcher: Any, plain: str) -> dict[str, int]:
    """The marked forms of one plain syllable that the index knows, with their paragraph counts."""
    memo = _memo(searcher)
    found = memo.forms.get(plain)
    if found is None:
        found = memo.forms[plain] = _look_up_forms(searcher, plain)
    return found


def _look_up_forms(searcher: Any, plain: str) -> dict[str, int]:
    options = [_VARIANTS.get(ch, ch) for ch in plain]
    if math.prod(len(o) for o in options) > 64:
        return {}
    found: dict[str, int] = {}
    # An exact key is its letters, then ``~`` and the tone: when no key of the index starts with a
    # form's letters (*ngưyen*), none of its six tones is looked up (most forms are no word at all).
    has_prefix = getattr(searcher, "has_prefix", None)
    letters_known: dict[str, bool] = {}
    for letters in itertools.product(*options):
        base = "".join(letters)
        for tone in (None, 1, 2, 3, 4, 5):
            word = place_tone(base, tone) if tone else base
            if word is None:
                continue
            key = exact_term(word)
            if has_prefix is not None:
                head = key.split("~", 1)[0]
                known = letters_known.get(head)
                if known is None:
                    known = letters_known[head] = has_prefix("exact", head)
                if not known:
                    continue
            count = searcher.doc_frequency("exact", key)
            if count:
                found[word] = count
    return found


def _viterbi(searcher: Any, plain: list[str]) -> list[str] | None:
    """The most likely marked sequence, by pair counts backing off to single syllables; None when unsure."""
    forms = [_forms(searcher, p) for p in plain]
    if any(not f for f in forms):
        return None
    total: int = max(1, searcher.doc_count())
    options = [list(f) for f in forms]

    def unigram(i: int, word: str) -> float:
        return forms[i][word] / total

    texts: dict[int, str] = {}  # docnum -> its text, shared by the pairs
    pair_counts = [
        # With one form on each side the pair's count cannot change the choice.
        _pair_renderings(searcher, plain[i - 1], plain[i], texts) if len(forms[i - 1]) * len(forms[i]) > 1 else {}
        for i in range(1, len(plain))
    ]

    def transition(i: int, left: str, right: str) -> float:
        together = pair_counts[i - 1].get((exact_term(left), exact_term(right)), 0.0)
        return math.log((together + SMOOTHING * unigram(i, right)) / (forms[i - 1][left] + SMOOTHING))

    trans = [
        {(a, b): transition(i, a, b) for a in options[i - 1] for b in options[i]} for i in range(1, len(options))
    ]
    forward = [{w: math.log(unigram(0, w)) for w in options[0]}]
    for i in range(1, len(options)):
        forward.append(
            {b: max(forward[-1][a] + trans[i - 1][a, b] for a in options[i - 1]) for b in options[i]}
        )
    backward = [dict.fromkeys(options[-1], 0.0)]
    for i in range(len(options) - 2, -1, -1):
        backward.insert(
            0, {a: max(trans[i][a, b] + backward[0][b] for b in options[i + 1]) for a in options[i]}
        )
    result = []
    margin = math.log(VITERBI_MARGIN)
    for i in range(len(options)):
        scores = sorted(((forward[i][w] + backward[i][w], w) for w in options[i]), reverse=True)
        if len(scores) > 1 and scores[0][0] - scores[1][0] < margin:
            return None
        result.append(scores[0][1])
    return result


@functools.lru_cache(maxsize=1)
def _letter_classes() -> dict[str, str]:
    """Each plain letter or digit to a regex class of every character that folds to it (``d`` → ``[dDđĐ…]``)."""
    spelled: dict[str, list[str]] = {}
    for code in itertools.chain(range(0x30, 0x250), range(0x1E00, 0x1F00)):
        ch = chr(code)
        if not ch.isalnum():
            continue
        folded = fold(ch)
        if len(folded) == 1 and folded.isascii():
            spelled.setdefault(folded, []).append(ch)
    return {plain: "[" + "".join(re.escape(c) for c in chars) + "]" for plain, chars in spelled.items()}


@functools.lru_cache(maxsize=4096)
def _spelled(term: str) -> re.Pattern[str]:
    """A whole token written any way that may fold to ``term`` (a final i may be written y: *kỹ* is ``ki``).

    Compiled once per syllable: a pair's pattern would be compiled for every new pair.
    """
    classes = _letter_classes()
    out = []
    for ch in term:
        if ch in "iy":
            out.append("(?:" + classes["i"] + "|" + classes["y"] + ")")
        else:
            out.append(classes.get(ch, re.escape(ch)))
    return re.compile(r"(?<![^\W_])" + "".join(out) + r"(?![^\W_])")


# The next token after a position (what separates tokens, then one token).
_NEXT_TOKEN = re.compile(r"[\W_]+(" + _TOKEN_RE.pattern + ")")


def _written_runs(text: str, folded: Sequence[str]) -> Iterator[tuple[str, ...]]:
    """Every run of tokens in ``text``, as written, that folds to ``folded`` (tokens in a row: only
    what is no token between them).

    Looked for where the first syllable is written, then the tokens after it: a long paragraph
    (a news body of thousands of words) is not tokenized whole for a phrase it has once or twice.
    """
    size = len(folded)
    for match in _spelled(folded[0]).finditer(text):
        words, end = [match.group()], match.end()
        while len(words) < size and (after := _NEXT_TOKEN.match(text, end)) is not None:
            words.append(after.group(1))
            end = after.end()
        if len(words) == size and all(folded_term(w) == f for w, f in zip(words, folded, strict=True)):
            yield tuple(words)


def _pair_renderings(
    searcher: Any, left: str, right: str, cache: dict[int, str]
) -> dict[tuple[str, str], float]:
    """How many paragraphs have each exact rendering of the folded pair ``left right`` next to each other.

    Counted on up to :data:`MAX_PAIR_PARAGRAPHS` paragraphs that have the folded
    pair (exact when there are no more), scaled to all of them otherwise.
    ``cache`` keeps the paragraphs read, for the next pairs.
    """
    folded = [folded_term(left), folded_term(right)]
    memo = _memo(searcher)
    known = memo.pairs.get((folded[0], folded[1]))
    if known is not None:
        return known
    counts = memo.pairs[folded[0], folded[1]] = _count_pair_renderings(searcher, folded, cache)
    return counts


def _count_pair_renderings(searcher: Any, folded: list[str], cache: dict[int, str]) -> dict[tuple[str, str], float]:
    query = Term("pairs", pair_term(*folded))
    seen: Counter[tuple[str, str]] = Counter()
    read = 0
    for docnum in itertools.islice(searcher.docs_for_query(query), MAX_PAIR_PARAGRAPHS):
        read += 1
        text = cache.get(docnum)
        if text is None:
            text = cache[docnum] = searcher.stored_fields(docnum).get("text", "")
        seen.update({(exact_term(left), exact_term(right)) for left, right in _written_runs(text, folded)})
    if not read:
        return {}
    total = searcher.doc_frequency("pairs", pair_term(*folded))
    scale = max(1.0, total / read)
    return {pair: n * scale for pair, n in seen.items()}


def _with_case(typed: str, restored: str) -> str:
    """``restored`` in the case pattern of ``typed`` (``Viet`` → *Việt*, ``VIET`` → *VIỆT*)."""
    if typed.isupper() and len(typed) > 1:
        return restored.upper()
    if typed[:1].isupper():
        return restored[:1].upper() + restored[1:]
    return restored
