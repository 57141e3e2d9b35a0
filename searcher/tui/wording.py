"""What the main screen says: the help, the hints, the titles, the status line and the
advice when nothing is found.  Functions of a search's result and of what is shown, so
that the screen (:mod:`searcher.tui.search_screen`) only decides when to say it.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content

from searcher.engine import SearchResult
from searcher.search.query import ParsedQuery
from searcher.vietnamese.text import fold

__all__ = [
    "HELP_TEXT",
    "PREVIEW_HINT",
    "count_of_hits",
    "fmt_ms",
    "no_hits",
    "plural",
    "query_info",
    "results_title",
    "search_failed",
    "searching",
    "status_text",
    "suggestions",
    "too_slow",
]

Part = str | tuple[str, str]  # a piece of text, or (text, style), for Content.assemble


HELP_TEXT = """\
[b]Type to search[/b] — results update as you type.

  [b]ngoại giao[/b]       marks are optional: [i]ngoai giao[/i] finds it
  [b]"kinh tế" -mỹ[/b]    quoted words in that order; [b]-word[/b] excludes
  [b]ngoại gi[/b]         the last word is a prefix while you type

[b]↑[/b] or [b]Ctrl-R[/b] recalls an earlier query · [b]F1[/b] help · [b]Esc[/b] quits
"""


PREVIEW_HINT = """\
[$text-muted]The selected hit, in its context.

  [b]↑ ↓[/b]     select a hit
  [b]Enter[/b]   open its document
  [b]e[/b]       open it in your editor
  [b]y[/b]       copy its path:line[/]
"""


def fmt_ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:.0f} ms" if ms >= 10 else f"{ms:.1f} ms"


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def suggestions(query: ParsedQuery, unknown: Sequence[str] = ()) -> list[str]:
    """What to try when a query finds nothing (``unknown``: its words no paragraph contains)."""
    tips: list[str] = []
    words = query.words
    unknown_folded = {fold(u) for u in unknown}
    if unknown:
        rest = [w.text for w in words if w.folded not in unknown_folded]
        tips.append(f"check the spelling of {', '.join(unknown)}")
        if rest:
            tips.append(f"search without it: {' '.join(rest)}")
        return tips
    if query.marked:
        tips.append(f"type without diacritics: {fold(' '.join(query.raw.split()))}")
    if any(c.quoted for c in query.clauses):
        tips.append("drop the quotes, so the words may stand apart")
    if len(words) > 1:
        tips.append(f"use fewer words: {' '.join(w.text for w in words[:-1])}")
    if query.excluded:
        tips.append("remove the -exclusions")
    if not tips:
        tips.append("check the spelling, or try a shorter or more common word")
    return tips


def count_of_hits(result: SearchResult, part: bool) -> str:
    """``12 hits``, or ``12+ hits`` when ``part``: the count is a lower bound."""
    return f"{len(result):,}+ hits" if part else plural(len(result), "hit")


def results_title(result: SearchResult, *, part: bool, grouped: bool, settled: bool) -> str:
    """The results pane's title: the count, the files when grouped, ``…`` while more is coming."""
    count = count_of_hits(result, part)
    if grouped and result:
        count += f" in {plural(len({h.path for h in result}), 'file')}"
    return count if settled else count + "…"


def status_text(result: SearchResult, *, part: bool, scope: str, timings: bool, settled: bool) -> str:
    """The status line's account of a search: the count, the files searched (``scope``,
    as the palette's Filter files and F3 set them), the time, and the engine's notes once settled."""
    left = count_of_hits(result, part) if result else "no hits"
    if scope:
        left += f" in {scope}"
    if timings:
        left += f" · {fmt_ms(result.elapsed)}"
    if not settled:
        left += " · more coming…"
    if result.notes and settled:
        left += " · " + "; ".join(result.notes)
    return left


def no_hits(result: SearchResult, text: str) -> Content:
    """Nothing found for ``text``: the words the index lacks, a did-you-mean, what to try."""
    lines: list[Part] = [("No hits", "bold"), " for ", (text.strip(), "bold"), "."]
    if result.unknown:
        lines += ["\n\n", "Not in the index: ", (", ".join(result.unknown), "bold")]
    if result.suggestion:
        lines += [
            "\n\n", "Did you mean ", (result.suggestion, "bold"), "?  ",
            ("Ctrl-G", "bold $text-accent"), " searches it.",
        ]
    tips = "\n".join(f"  • {tip}" for tip in suggestions(result.query, result.unknown))
    lines += ["\n\nTry:\n", tips]
    return Content.assemble(*lines)


def searching(text: str) -> Content:
    """No hits yet, and a fuller pass on its way."""
    return Content.assemble("Searching for ", (text.strip(), "bold"), "…")


def too_slow(text: str) -> Content:
    """The search overran every budget without a hit."""
    return Content.assemble(
        ("No hits yet", "bold"), " for ", (text.strip(), "bold"),
        ": the search is taking too long. Try fewer or less common words.",
    )


def search_failed(text: str, error: str, *, query_error: bool, unavailable: bool) -> Content:
    """A search that failed: a query with nothing to search for, or an error (a server away
    is searched again by itself once it answers)."""
    if query_error:
        return Content.assemble("Nothing to search for in ", (text, "bold"), f": {error}.")
    again = "\n\nThe search runs again by itself when it answers." if unavailable else ""
    return Content.assemble(("Error: ", "bold $text-error"), error, again)


def query_info(result: SearchResult | None) -> Content | None:
    """The line under the query: Telex/VNI words read as Vietnamese, and a did-you-mean (None: nothing to say)."""
    parts: list[Part] = []
    if result is not None and result.rewrites:
        parts.append("searching ")
        for i, (typed, searched) in enumerate(result.rewrites):
            parts += [", " if i else "", (typed, "bold"), " as ", (searched, "bold")]
    if result is not None and result.suggestion:
        if parts:
            parts.append("  ·  ")
        parts += ["did you mean ", (result.suggestion, "bold"), "? ", ("Ctrl-G", "bold $text-accent")]
    return Content.assemble(*parts) if parts else None
