"""What postings cannot say, read on a paragraph's stored text: whole phrases, exclusions,
marks, and which of the two i/y spellings it uses.

>>> from searcher.search.query import parse_query
>>> verify("Chính sách ngoại giao kinh tế", parse_query('"ngoai giao" -vaccine'))
([], True)
>>> verify("ngoại giao và vaccine", parse_query('"ngoai giao" -vaccine')) is None
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from searcher.search.planning import Check
from searcher.search.query import ParsedQuery, QueryWord
from searcher.vietnamese.analysis import read_text
from searcher.vietnamese.text import exact_term

__all__ = ["Spellings", "contains", "verify"]

Fields = Callable[[int], dict[str, Any]]


def contains(sequence: list[str], part: list[str]) -> bool:
    """Whether ``part`` occurs in ``sequence`` as a run."""
    size = len(part)
    return any(sequence[i : i + size] == part for i in range(len(sequence) - size + 1))


def verify(text: str, parsed: ParsedQuery) -> tuple[list[QueryWord], bool] | None:
    """None when ``text`` breaks a quoted phrase or an exclusion; else the marked words it has
    in their exact form, and whether every marked word it has is in its exact form."""
    reading = read_text(text)  # remembered: the hits kept are highlighted next
    tokens = [t.text for t in reading.tokens]
    folded = list(reading.terms)
    exact: list[str] | None = None
    for clause in parsed.clauses:
        if len(clause.words) > 1 and not contains(folded, [w.folded for w in clause.words]):
            return None
    for clause in parsed.excluded:
        if any(w.marked for w in clause.words):
            exact = exact if exact is not None else [exact_term(t) for t in tokens]
            if contains(exact, [w.exact for w in clause.words]):
                return None
        elif contains(folded, [w.folded for w in clause.words]):
            return None
    marked = [w for w in parsed.words if w.marked and w is not parsed.prefix]
    if not marked:
        return [], True
    exact_set = set(exact if exact is not None else (exact_term(t) for t in tokens))
    folded_set = set(folded)
    exact_words = [w for w in marked if w.exact in exact_set]
    present = [w for w in marked if w.folded in folded_set]
    return exact_words, len(exact_words) == len(present)


class Spellings:
    """Which paragraphs spell an i/y syllable one way (``li`` for *lí*, not *lý*), as far as
    searches have read them: one per index state, so that the own-spelling tiers of the next
    keystrokes find most of their candidates already known."""

    LIMIT = 200_000  # paragraphs remembered in all, before it starts afresh

    def __init__(self) -> None:
        # (question, syllable) -> docnum -> the answer read from the paragraph's text
        self.answers: dict[tuple[str, str], dict[int, bool]] = {}
        self.size = 0
        # (syllables, docnums best first) that a search ran out of time to read: the engine reads them after it.
        self.pending: list[tuple[tuple[str, ...], Any]] = []
        self.reading = False  # a thread is reading them
        self.cut: tuple[str, ...] = ()  # the syllables whose own-spelling tier the last search cut short

    def later(self, syllables: tuple[str, ...], docnums: Any) -> None:
        """Remember to read what paragraphs ``docnums`` spell, after the search that could not."""
        if len(self.pending) > 8:
            del self.pending[0]  # typing went on: the newest keystrokes' candidates matter
        self.pending.append((syllables, docnums))

    def has_fold(self, fields: Fields, docnum: int, plain: str) -> bool:
        """Whether paragraph ``docnum`` has a token that folds to ``plain`` (``li``: *lí*, not *lý*), read
        from its text once: questions about one law ask about the same paragraphs' *quy định* again and again."""
        return self._answer("fold", plain, docnum, lambda: plain in read_text(fields(docnum).get("text", "")).folds)

    def spells(self, fields: Fields, docnum: int, syllable: str) -> bool:
        """Whether paragraph ``docnum`` has ``syllable`` spelled that way (read from its text once)."""
        return self._answer(
            "spells", syllable, docnum, lambda: Check(spelled=(syllable,)).passes(fields(docnum).get("text", ""))
        )

    def _answer(self, question: str, syllable: str, docnum: int, read: Callable[[], bool]) -> bool:
        """The remembered answer to ``question`` about ``syllable`` in paragraph ``docnum``, else ``read()``,
        remembered (all of them are forgotten past :data:`LIMIT`)."""
        table = self.answers.setdefault((question, syllable), {})
        answer = table.get(docnum)
        if answer is None:
            if self.size >= self.LIMIT:
                self.answers, self.size = {}, 0
                table = self.answers.setdefault((question, syllable), {})
            answer = table[docnum] = read()
            self.size += 1
        return answer
