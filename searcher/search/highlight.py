"""Which characters of a paragraph to highlight for a query (the CLI, the TUI and ``Hit.spans`` share it)."""

from __future__ import annotations

from itertools import compress

from searcher.search.query import ParsedQuery, parse_query  # noqa: F401  (parse_query: the doctests)
from searcher.vietnamese.analysis import read_text
from searcher.vietnamese.text import exact_term, fold, iy_sensitive

__all__ = [
    "highlight_spans",
    "words_found",
    "same_spelling",
    "phrase_spans",
    "best_cluster",
    "phrases_and_cluster",
    "query_matches",
    "document_spans",
]


def highlight_spans(text: str, query: ParsedQuery) -> list[tuple[int, int]]:
    """Character spans in ``text`` of the tokens that match the query: what the query matched.

    A word typed without marks matches by folded form, so ``ngoai`` highlights
    *ngoại* with its marks intact.  A word typed with marks highlights only its
    exact form when the paragraph has it (``ngoại`` does not light up *ngoài*),
    and falls back to the folded form when it does not.  The unfinished last
    word of a live query matches as a prefix.  A quoted phrase lights up only
    where it stands whole, never its words alone.

    >>> highlight_spans("Ngoại giao, kinh tế", parse_query("ngoai te"))
    [(0, 5), (17, 19)]
    >>> highlight_spans("ngoài và ngoại", parse_query("ngoại"))
    [(9, 14)]
    >>> text = "Đội tuyển Việt Nam thắng năm nay; đội bạn nằm chờ"
    >>> [text[s:e] for s, e in highlight_spans(text, parse_query('"đội tuyển Việt Nam"'))]
    ['Đội', 'tuyển', 'Việt', 'Nam']

    Both spellings of a final i/y that :func:`searcher.vietnamese.text.iy_variant` merges light up:

    >>> highlight_spans("lý luận, lí luận", parse_query("lí"))
    [(0, 2), (9, 11)]
    """
    return [(s, e) for s, e, _ in _what_matched(text, query, _word_matches(text, query, strict=False))]


def words_found(text: str, query: ParsedQuery) -> tuple[list[str], list[str], bool]:
    """Which query words (as typed) ``text`` has, which it lacks, and whether the marked ones match exactly.

    A word counts as found in any diacritic form (``ngoai`` and ``ngoại``
    both find *ngoài*); the third value tells whether every marked word that
    was found has its exact form there too.

    >>> words_found("Ngoại giao và kinh tế", parse_query("ngoại giao đã làm gì"))
    (['ngoại', 'giao'], ['đã', 'làm', 'gì'], True)
    """
    reading = read_text(text)
    tokens, folded_list = reading.tokens, reading.terms
    folded = set(folded_list)
    marked_folds = {w.folded for w in query.words if w.marked}
    # (The tokens of the marked words picked in C: a news passage has hundreds of tokens.)
    exact = (
        {exact_term(t.text) for t in compress(tokens, map(marked_folds.__contains__, folded_list))}
        if marked_folds
        else set()
    )
    matched: list[str] = []
    missing: list[str] = []
    all_exact = True
    for word in query.words:
        if word.folded in folded or (
            word is query.prefix
            and any(
                f.startswith(word.folded) or p.startswith(fold(word.text))
                for p, f in zip(reading.folds, folded_list, strict=True)
            )
        ):
            matched.append(word.text)
            if word.marked and word is not query.prefix and word.exact not in exact:
                all_exact = False
        else:
            missing.append(word.text)
    return matched, missing, all_exact


def same_spelling(text: str, query: ParsedQuery) -> bool:
    """Whether ``text`` spells the query's i/y words as the user typed them, wherever it has them.

    *lý* and *lí* are one index term; a paragraph with the user's own spelling ranks first.

    >>> same_spelling("lý luận", parse_query("lí luận")), same_spelling("lí luận", parse_query("lí luận"))
    (False, True)
    """
    words = [w for w in query.words if w is not query.prefix and iy_sensitive(w.folded)]
    if not words:
        return True
    reading = read_text(text)
    spelled = set(reading.folds)
    merged = set(reading.terms)
    return all(fold(w.text) in spelled for w in words if w.folded in merged)


def _word_matches(text: str, query: ParsedQuery, strict: bool) -> list[tuple[int, int, frozenset[int]]]:
    """The tokens of ``text`` that match query words: ``(start, end, indexes of the words)``.

    ``strict``: a word typed with marks matches only its exact form; otherwise
    it falls back to the folded form when the paragraph lacks the exact one.
    Final i/y spellings that the index merges (*lý*, *lí*) match each other.
    """
    words = query.words
    reading = read_text(text)
    # The unfinished word as typed, too: ``quy`` goes on to *quyết* although its term is ``qui``.
    prefixes = (query.prefix.folded, fold(query.prefix.text)) if query.prefix is not None else ("",)
    prefix_at = next((i for i, w in enumerate(words) if w is query.prefix), -1)
    # The tokens whose folded term is a word's, found by a lookup each: a long paragraph's tokens
    # are not compared with every word of a long question.
    terms = {w.folded for w in words if w is not query.prefix}
    every = zip(reading.tokens, reading.folds, reading.terms, strict=True)
    candidates = (
        [f for f in every if f[2] in terms or f[2].startswith(prefixes) or f[1].startswith(prefixes)]
        if prefix_at >= 0
        else list(compress(every, map(terms.__contains__, reading.terms)))
    )
    marked_folds = {w.folded for w in words if w.marked and w is not query.prefix}
    present_exact = {exact_term(t.text) for t, _, term in candidates if term in marked_folds} if marked_folds else set()
    by_term: dict[str, list[tuple[int, str | None]]] = {}
    for i, w in enumerate(words):
        if w is not query.prefix:
            exact_form = w.exact if w.marked and (strict or w.exact in present_exact) else None
            by_term.setdefault(w.folded, []).append((i, exact_form))
    out = []
    for token, plain, term in candidates:
        exact = None
        found = []
        for i, wanted in by_term.get(term, ()):
            if wanted is not None:
                exact = exact if exact is not None else exact_term(token.text)
                if exact != wanted:
                    continue
            found.append(i)
        if prefix_at >= 0 and (term.startswith(prefixes) or plain.startswith(prefixes)):
            found.append(prefix_at)
        if found:
            out.append((token.start, token.end, frozenset(found)))
    return out


def _what_matched(
    text: str, query: ParsedQuery, matches: list[tuple[int, int, frozenset[int]]]
) -> list[tuple[int, int, frozenset[int]]]:
    """The word matches that are what the query matched: a quoted phrase's words only where the
    phrase stands whole (not *năm* alone for ``"Việt Nam"``)."""
    quoted: list[range] = []
    offset = 0
    for clause in query.clauses:
        size = len(clause.words)
        if clause.quoted and size > 1:
            quoted.append(range(offset, offset + size))
        offset += size
    if not quoted:
        return matches
    in_phrase: set[int] = set()  # token starts inside a whole quoted phrase
    for words in quoted:
        for run in _phrase_runs(matches, text, words):
            in_phrase.update(m[0] for m in run)
    loose = set().union(*quoted)
    kept = []
    for start, end, found in matches:
        words_found = found if start in in_phrase else found - loose
        if words_found:
            kept.append((start, end, frozenset(words_found)))
    return kept


def _phrase_runs(
    matches: list[tuple[int, int, frozenset[int]]], text: str, words: range
) -> list[list[tuple[int, int, frozenset[int]]]]:
    """Runs of matched tokens that spell the query's words ``words`` adjacently and in order."""
    count = len(words)
    runs = []
    i = 0
    while i + count <= len(matches):
        if all(
            words[k] in matches[i + k][2] and (k == 0 or _adjacent(text, matches[i + k - 1][1], matches[i + k][0]))
            for k in range(count)
        ):
            runs.append(matches[i : i + count])
            i += count
        else:
            i += 1
    return runs


def _phrases(matches: list[tuple[int, int, frozenset[int]]], text: str, count: int) -> list[tuple[int, int]]:
    """Spans of the runs of matched tokens that spell the query's words ``0..count-1`` adjacently and in order."""
    return [(run[0][0], run[-1][1]) for run in _phrase_runs(matches, text, range(count))]


def _adjacent(text: str, end: int, start: int) -> bool:
    """Whether only spaces or light punctuation separate two tokens (``quốc tế`` and ``quốc-tế``)."""
    gap = text[end:start]
    return len(gap) <= 3 and all(c.isspace() or c in "-–_/" for c in gap)


def phrase_spans(text: str, query: ParsedQuery) -> list[tuple[int, int]]:
    """:func:`highlight_spans`, with each run of the query's words in order merged into one span.

    >>> text = "Viện Hợp tác quốc tế và hợp tác"
    >>> [text[s:e] for s, e in phrase_spans(text, parse_query("hợp tác quốc tế"))]
    ['Hợp tác quốc tế', 'hợp', 'tác']
    """
    return _merge_phrases(text, query, _word_matches(text, query, strict=False))


def _merge_phrases(
    text: str, query: ParsedQuery, matches: list[tuple[int, int, frozenset[int]]]
) -> list[tuple[int, int]]:
    matches = _what_matched(text, query, matches)
    spans = [(s, e) for s, e, _ in matches]  # the same tokens highlight_spans lights up
    if len(spans) < 2:
        return spans
    phrases = _phrases(matches, text, len(query.words)) if len(query.words) >= 2 else []
    offset = 0
    for clause in query.clauses:  # quoted phrases merge too
        size = len(clause.words)
        if clause.quoted and size > 1:
            phrases += [(run[0][0], run[-1][1]) for run in _phrase_runs(matches, text, range(offset, offset + size))]
        offset += size
    if not phrases:
        return spans
    merged = sorted(set(phrases))
    merged += [(s, e) for s, e in spans if not any(a <= s and e <= b for a, b in merged)]
    return sorted(merged)


def best_cluster(text: str, query: ParsedQuery, strict: bool = False) -> tuple[int, int] | None:
    """Where ``text`` best answers the query: the first phrase match of all its words,
    else the shortest stretch that holds the most distinct query words (None: no word matches).

    >>> text = "tình ái với bạn trai, và tình bạn"
    >>> s, e = best_cluster(text, parse_query("tình bạn"))
    >>> text[s:e]
    'tình bạn'
    """
    return _cluster(text, query, _word_matches(text, query, strict))


def phrases_and_cluster(text: str, query: ParsedQuery) -> tuple[list[tuple[int, int]], tuple[int, int] | None]:
    """``(phrase_spans(text, query), best_cluster(text, query))``, reading the text once."""
    matches = _word_matches(text, query, strict=False)
    return _merge_phrases(text, query, matches), _cluster(text, query, matches)


def _cluster(text: str, query: ParsedQuery, matches: list[tuple[int, int, frozenset[int]]]) -> tuple[int, int] | None:
    if not matches:
        return None
    count = len(query.words)
    phrases = _phrases(matches, text, count) if count >= 2 else []
    if phrases:
        return phrases[0]
    best: tuple[int, int, int] | None = None  # (-distinct words, length, start index)
    have: dict[int, int] = {}
    left = 0
    target = len(set().union(*(m[2] for m in matches)))
    for right, (_, _, found) in enumerate(matches):
        for w in found:
            have[w] = have.get(w, 0) + 1
        while len(have) == target:
            length = matches[right][1] - matches[left][0]
            key = (-len(have), length, left)
            if best is None or key < best:
                best = key
                best_span = (matches[left][0], matches[right][1])
            for w in matches[left][2]:
                have[w] -= 1
                if not have[w]:
                    del have[w]
            left += 1
    return best_span if best is not None else (matches[0][0], matches[0][1])


def query_matches(text: str, query: ParsedQuery) -> list[tuple[int, int]]:
    """The matches of the query a reader steps through in a document.

    A match is a phrase match of the query (all its words adjacent, in order),
    or, in a paragraph without one that has every word, its best cluster.
    A word typed with marks matches only its exact form here.

    >>> text = "nước ngoài, đối ngoại; ngoại giao"
    >>> [text[s:e] for s, e in query_matches(text, parse_query("ngoại giao"))]
    ['ngoại giao']
    """
    matches = _word_matches(text, query, strict=True)
    if not matches:
        return []
    count = len(query.words)
    if count < 2:
        return [(s, e) for s, e, _ in matches]
    phrases = _phrases(matches, text, count)
    if phrases:
        return phrases
    if len(set().union(*(m[2] for m in matches))) < len({w.folded for w in query.words}):
        return []
    cluster = best_cluster(text, query, strict=True)
    return [cluster] if cluster is not None else []


def document_spans(text: str, query: ParsedQuery) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """What a document view highlights in one of its paragraphs, and the matches a reader steps through.

    Only the query's matches (:func:`query_matches`) light up: the whole phrase, or the
    query's words inside the best cluster, in their marked form when typed with marks,
    never a lone word elsewhere (*ngoài*, or *giao* alone, for ``ngoại giao``).

    >>> text = "nước ngoài giao lưu; ngoại giao; giao thông"
    >>> spans, matches = document_spans(text, parse_query("ngoại giao"))
    >>> [text[s:e] for s, e in spans], [text[s:e] for s, e in matches]
    (['ngoại giao'], ['ngoại giao'])
    """
    matches = query_matches(text, query)
    if not matches:
        return [], []
    inside = [m for m in _word_matches(text, query, strict=True) if any(a <= m[0] and m[1] <= b for a, b in matches)]
    return _merge_phrases(text, query, inside), matches
