"""Snapshot (SVG) tests of the live-search screens, with pytest-textual-snapshot.

The pictures must not change when the engine's ranking, the index size or the
machine's speed do, so the app runs on :class:`FixedEngine`: it answers from
the bundled corpus with the real query parser and the real highlighter, in a
fixed order, with fixed statistics; the clock is frozen and the cursor does
not blink.  Regenerate with ``pytest tests/test_tui_snapshots.py --snapshot-update``
after an intended change of the UI, and look at the SVGs before committing them.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from searcher.documents.corpus import read_document
from searcher.errors import QueryError
from searcher.search.highlight import highlight_spans
from searcher.search.query import parse_query
from searcher.search.results import Hit, SearchResult
from searcher.tui.app import make_app
from searcher.tui.screens import DocumentScreen
from searcher.vietnamese.text import fold
from tui_support import CORPUS, data_home, results_for, wait_until, workers_idle  # noqa: F401  (fixture)

BUILT = 1_700_000_000.0


class FixedEngine:
    """A deterministic stand-in for :class:`searcher.engine.Engine` over the bundled corpus."""

    def __init__(self, corpus: Path = CORPUS) -> None:
        self.corpus = corpus
        self.documents = {p.name: read_document(corpus, p.name) for p in sorted(corpus.glob("*.txt"))}
        self.generation = SimpleNamespace(name="gen-snapshot", path=corpus / "no-such-folder")
        self.version = 1

    def refresh(self, force: bool = False) -> bool:
        return False

    def close(self) -> None:
        pass

    def warm(self) -> None:
        pass

    def stats(self) -> dict[str, Any]:
        paragraphs = sum(len(d.paragraphs) for d in self.documents.values())
        return {
            "paragraphs": paragraphs,
            "files": len(self.documents),
            "bytes": 1_557_261,
            "built": BUILT,
            "generation": "gen-snapshot",
            "corpus": str(self.corpus),
        }

    def _hit(self, rank: int, path: str, paragraph: Any, spans: list[tuple[int, int]]) -> Hit:
        return Hit(
            rank=rank,
            score=float(len(spans)),
            path=path,
            line=paragraph.line,
            paragraph=paragraph.ordinal,
            title=self.documents[path].title,
            text=paragraph.text,
            spans=spans,
            file=str(self.corpus / path),
        )

    def search(self, text: str, limit: int = 10, *, prefix: bool = False, **options: Any) -> SearchResult:
        parsed = parse_query(text, prefix=prefix)
        if parsed.empty:
            raise QueryError("the query has no words to search for")
        found = []
        for path, document in self.documents.items():
            for paragraph in document.paragraphs:
                spans = highlight_spans(paragraph.text, parsed)
                matched = {fold(paragraph.text[s:e]) for s, e in spans}
                if all(
                    w.folded in matched or (w is parsed.prefix and any(m.startswith(w.folded) for m in matched))
                    for w in parsed.words
                ):
                    found.append((-len(spans), path, paragraph.ordinal, paragraph, spans))
        found.sort(key=lambda f: f[:3])
        hits = [self._hit(rank, path, p, spans) for rank, (_, path, _, p, spans) in enumerate(found[:limit], 1)]
        result = SearchResult(hits, parsed)
        result.elapsed = 0.004
        return result

    def document(self, path: str) -> list[Hit]:
        return [self._hit(0, path, p, []) for p in self.documents[path].paragraphs]


def snapshot_app(query: str = "") -> Any:
    return make_app(
        CORPUS.parent / "no-index",
        CORPUS,
        query,
        engine=FixedEngine(),
        clock=lambda: BUILT + 300,
        cursor_blink=False,
        show_timings=False,
        check_interval=0,
    )


def settled(query: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Any) -> None:
        await wait_until(pilot, results_for(pilot.app, query))
        await workers_idle(pilot)
        await pilot.pause()

    return run_before


def test_main_screen(snap_compare: Any) -> None:
    """80×24: query, results with highlighted snippets, preview in context, status line, footer."""
    assert snap_compare(snapshot_app("ngoại giao"), terminal_size=(80, 24), run_before=settled("ngoại giao"))


def test_main_screen_wide(snap_compare: Any) -> None:
    """120×40: the preview moves beside the results; the second hit is selected."""

    async def run_before(pilot: Any) -> None:
        await settled("ngoai giao kinh")(pilot)
        await pilot.press("down")
        await workers_idle(pilot)
        await pilot.pause()

    assert snap_compare(snapshot_app("ngoai giao kinh"), terminal_size=(120, 40), run_before=run_before)


def test_empty_query_help(snap_compare: Any) -> None:
    """The help shown for an empty query."""
    assert snap_compare(snapshot_app(""), terminal_size=(80, 24), run_before=settled(""))


def test_empty_query_help_wide(snap_compare: Any) -> None:
    """120×40: the help, and beside it the preview saying what it will show."""
    assert snap_compare(snapshot_app(""), terminal_size=(120, 40), run_before=settled(""))


def test_no_hits(snap_compare: Any) -> None:
    """No hits: what to try instead."""
    assert snap_compare(snapshot_app('"ngoại giao" tàu'), terminal_size=(80, 24), run_before=settled('"ngoại giao" tàu'))


def test_main_screen_density(snap_compare: Any) -> None:
    """80×24: at least six hits of two lines each beside the query and the status line."""
    assert snap_compare(snapshot_app("giao"), terminal_size=(80, 24), run_before=settled("giao"))


def test_no_hits_unknown_word(snap_compare: Any) -> None:
    """No hits for a word that is not in the index: the help names it (no advice about marks)."""

    class Unknown(FixedEngine):
        def search(self, text: str, limit: int = 10, **options: Any) -> SearchResult:
            result = super().search(text, limit, **options)
            result.unknown = ["xyzzyq"]
            return result

    app = make_app(
        CORPUS.parent / "no-index", CORPUS, "ngoại giao xyzzyq", engine=Unknown(),
        clock=lambda: BUILT + 300, cursor_blink=False, show_timings=False, check_interval=0,
    )
    assert snap_compare(app, terminal_size=(80, 24), run_before=settled("ngoại giao xyzzyq"))


def test_document_view(snap_compare: Any) -> None:
    """Enter on the second hit, then n: the document scrolled to the hit, the current match distinct."""

    async def run_before(pilot: Any) -> None:
        await settled("ngoại giao")(pilot)
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, DocumentScreen) and pilot.app.screen.loaded)
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()

    assert snap_compare(snapshot_app("ngoại giao"), terminal_size=(80, 24), run_before=run_before)
