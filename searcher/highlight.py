"""Which characters of a paragraph to highlight for a query (the CLI, the TUI and ``Hit.spans`` share it)."""

from __future__ import annotations

from .analysis import Token, tokenize
from .query import ParsedQuery, parse_query  # noqa: F401  (parse_query: the doctests)
from .text import exact_term, fold, folded_term, iy_sensitive

__all__ = ["highlight_spans", "words_found", "same_spelling"]


def highlight_spans(text: str, query: ParsedQuery, tokens: list[Token] | None = None) -> list[tuple[int, int]]:
    """Character spans in ``text`` of the tokens that match the query's words.

    A word typed without marks matches by folded form, so ``ngoai`` highlights
    *ngoại* with its marks intact.  A word typed with marks highlights only its
    exact form when the paragraph has it (``ngoại`` does not light up *ngoài*),
    and falls back to the folded form when it does not.  The unfinished last
    word of a live query matches as a prefix.

    >>> highlight_spans("Ngoại giao, kinh tế", parse_query("ngoai te"))
    [(0, 5), (17, 19)]
    >>> highlight_spans("ngoài và ngoại", parse_query("ngoại"))
    [(9, 14)]

    Both spellings of a final i/y that :func:`searcher.text.iy_variant` merges light up:

    >>> highlight_spans("lý luận, lí luận", parse_query("lí"))
    [(0, 2), (9, 11)]
    """
    pairs = [(t, folded_term(t.text)) for t in (tokens if tokens is not None else tokenize(text))]
    words = [w for w in query.words if w is not query.prefix]
    wanted_folds = {w.folded for w in words if w.marked}
    present_exact = {exact_term(t.text) for t, f in pairs if f in wanted_folds} if wanted_folds else set()
    folded_wanted = {w.folded for w in words if not (w.marked and w.exact in present_exact)}
    exact_wanted = {w.exact for w in words if w.marked and w.exact in present_exact}
    # The unfinished word as typed, too: ``quy`` goes on to *quyết* although its term is ``qui``.
    prefixes = (query.prefix.folded, fold(query.prefix.text)) if query.prefix is not None else None
    spans = []
    for token, folded in pairs:
        if (
            folded in folded_wanted
            or (exact_wanted and exact_term(token.text) in exact_wanted)
            or (prefixes is not None and (folded.startswith(prefixes) or fold(token.text).startswith(prefixes)))
        ):
            spans.append((token.start, token.end))
    return spans


def words_found(text: str, query: ParsedQuery, tokens: list[Token] | None = None) -> tuple[list[str], list[str], bool]:
    """Which query words (as typed) ``text`` has, which it lacks, and whether the marked ones match exactly.

    A word counts as found in any diacritic form (``ngoai`` and ``ngoại``
    both find *ngoài*); the third value tells whether every marked word that
    was found has its exact form there too.

    >>> words_found("Ngoại giao và kinh tế", parse_query("ngoại giao đã làm gì"))
    (['ngoại', 'giao'], ['đã', 'làm', 'gì'], True)
    """
    tokens = tokens if tokens is not None else tokenize(text)
    folded_list = [folded_term(t.text) for t in tokens]
    folded = set(folded_list)
    marked_folds = {w.folded for w in query.words if w.marked}
    exact = {exact_term(t.text) for t in tokens if folded_term(t.text) in marked_folds} if marked_folds else set()
    matched: list[str] = []
    missing: list[str] = []
    all_exact = True
    for word in query.words:
        if word.folded in folded or (
            word is query.prefix
            and any(f.startswith(word.folded) or fold(t.text).startswith(fold(word.text)) for t, f in zip(tokens, folded_list))
        ):
            matched.append(word.text)
            if word.marked and word is not query.prefix and word.exact not in exact:
                all_exact = False
        else:
            missing.append(word.text)
    return matched, missing, all_exact


def same_spelling(text: str, query: ParsedQuery, tokens: list[Token] | None = None) -> bool:
    """Whether ``text`` spells the query's i/y words as the user typed them, wherever it has them.

    *lý* and *lí* are one index term; a paragraph with the user's own spelling ranks first.

    >>> same_spelling("lý luận", parse_query("lí luận")), same_spelling("lí luận", parse_query("lí luận"))
    (False, True)
    """
    words = [w for w in query.words if w is not query.prefix and iy_sensitive(w.folded)]
    if not words:
        return True
    tokens = tokens if tokens is not None else tokenize(text)
    spelled = {fold(t.text) for t in tokens}
    merged = {folded_term(t.text) for t in tokens}
    return all(fold(w.text) in spelled for w in words if w.folded in merged)
