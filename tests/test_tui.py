"""The live-search TUI, driven through Textual's Pilot (plus its history file and import hygiene)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import ProgressBar

from searcher.engine import Engine
from searcher.errors import IndexUnusable
from searcher.index.build import Progress, build_index
from searcher.search.highlight import document_spans
from searcher.tui import live as scheduling
from searcher.tui import search_screen as screens
from searcher.tui.app import editor_command, format_age, format_size, make_app, run_app
from searcher.tui.history import History, history_file
from searcher.tui.live import Outcome
from searcher.tui.screens import DocumentScreen, HelpScreen, HistoryScreen, IndexScreen, SearchScreen
from searcher.vietnamese.text import exact_key, fold
from tui_support import (  # noqa: F401  (fixtures)
    SIZE,
    FailingEngine,
    LiveSearch,
    SlowEngine,
    data_home,
    live,
    own_index,
    results_for,
    run_async,
    shared_index,
    wait_until,
    workers_idle,
)


async def type_query(pilot: Any, text: str) -> None:
    await pilot.press(*[" " if c == " " else c for c in text])


def folded_words(text: str) -> list[str]:
    return [fold(w) for w in text.split()]


# -- searching ---------------------------------------------------------------------


@run_async
async def test_typing_updates_results(live: LiveSearch) -> None:
    async with live() as (app, pilot):
        screen = app.main
        assert screen.state == "help"
        assert "Type to search" in screen.message_text
        await type_query(pilot, "ngoai giao")
        await wait_until(pilot, results_for(app, "ngoai giao"), what="results")
        assert screen.state == "results"
        hits = screen.results.hits
        assert hits and len(screen.results.lines) == len(hits)
        for hit in hits:
            matched = {fold(hit.text[s:e]) for s, e in hit.spans}
            assert {"ngoai", "giao"} <= matched
        assert "hit" in screen.status.left_text and "ms" in screen.status.left_text
        assert "paragraphs" in screen.status.right_text
        first = [(h.path, h.line) for h in hits]

        await type_query(pilot, " kinh te")
        await wait_until(pilot, results_for(app, "ngoai giao kinh te"))
        narrower = screen.results.hits
        assert narrower and len(narrower) <= len(first)
        assert narrower[0].complete_match  # paragraphs with every word first, best-match ones after
        assert all("kinh" in {fold(h.text[s:e]) for s, e in h.spans} for h in narrower if h.complete_match)
        assert app.focused is screen.query_input


@run_async
async def test_unfinished_last_word_is_a_prefix(live: LiveSearch) -> None:
    async with live("ngoại gi") as (app, _pilot):
        hits = app.main.results.hits
        assert hits
        assert any("ngoại giao" in h.text.lower() for h in hits)
        top = hits[0]
        assert any(fold(top.text[s:e]).startswith("gi") for s, e in top.spans)


@run_async
async def test_result_rows_use_the_cli_snippet(live: LiveSearch) -> None:
    from searcher.cli.presentation import make_snippet
    from searcher.search.highlight import best_cluster, phrase_spans
    from searcher.tui.widgets import snippet_width

    async with live("ngoai giao") as (app, _pilot):
        results = app.main.results
        hit = results.hits[0]
        prompt = results.prompt(0)
        head, body = prompt.plain.split("\n", 1)
        assert head.startswith(f"{hit.path}:{hit.line}")
        query = app.main.result.query
        snippet = make_snippet(
            hit.text, phrase_spans(hit.text, query), width=snippet_width(results.prompt_width()), focus=best_cluster(hit.text, query)
        )
        assert body == snippet.text
        marked = sorted((s.start - len(head) - 1, s.end - len(head) - 1) for s in prompt.spans if s.start > len(head))
        assert marked == sorted(snippet.spans)


@run_async
async def test_stale_slow_search_is_never_shown(shared_index: tuple[Path, Path], live: LiveSearch) -> None:
    _corpus, index = shared_index
    slow = SlowEngine(Engine.open(index), slow_query="ngoai", delay=30)
    async with live(engine=slow) as (app, pilot):
        screen = app.main
        await type_query(pilot, "ngoai")
        await wait_until(pilot, slow.slow_started.is_set, what="the slow search")
        # Typing goes on while the slow search runs: the input never stalls.
        await pilot.press("ctrl+u")
        await type_query(pilot, "kinh te")
        assert screen.query_input.value == "kinh te"
        assert not slow.slow_finished.is_set()
        await wait_until(pilot, results_for(app, "kinh te"))
        assert not slow.slow_finished.is_set()
        newer = [(h.path, h.paragraph) for h in screen.results.hits]
        slow.release.set()
        await wait_until(pilot, slow.slow_finished.is_set, what="the slow search to end")
        await workers_idle(pilot)  # its worker is over: whatever it posted has arrived
        await pilot.pause()
        assert slow.cancelled_seen is True  # it was told to stop
        assert screen.result_text == "kinh te"
        assert [(h.path, h.paragraph) for h in screen.results.hits] == newer
        assert all("kinh" in {fold(h.text[s:e]) for s, e in h.spans} for h in screen.results.hits if h.complete_match)
        # Even a stale outcome that reaches the UI thread is dropped.
        stale = Engine.open(index).search("ngoai", limit=5)
        screen._searched(SearchScreen.Searched(Outcome(screen.gen - 1, "ngoai", time.perf_counter(), result=stale)))
        assert screen.result_text == "kinh te"


@run_async
async def test_empty_query_shows_help_and_no_hits_suggests(live: LiveSearch) -> None:
    async with live("xyzzy quạtzz") as (app, pilot):
        screen = app.main
        assert screen.state == "empty"
        text = screen.message_text
        assert "No hits" in text and "xyzzy quạtzz" in text
        assert "Not in the index: xyzzy, quạtzz" in text  # named, not "try without diacritics"
        assert screen.status.left_text.startswith("no hits")
        await pilot.press("ctrl+u")
        await wait_until(pilot, results_for(app, ""))
        assert screen.state == "help"
        assert '"kinh tế" -mỹ' in screen.message_text


@run_async
async def test_engine_error_is_shown_not_raised(shared_index: tuple[Path, Path], live: LiveSearch) -> None:
    _corpus, index = shared_index
    failing = FailingEngine(Engine.open(index), IndexUnusable("index damaged: segment missing"))
    async with live(engine=failing) as (app, pilot):
        screen = app.main
        await type_query(pilot, "ngoai")
        await wait_until(pilot, results_for(app, "ngoai"))
        assert screen.state == "error"
        assert "index damaged: segment missing" in screen.message_text
        assert "index damaged" in screen.status.left_text
        failing.error = RuntimeError("boom")
        await type_query(pilot, " giao")
        await wait_until(pilot, results_for(app, "ngoai giao"))
        assert "unexpected RuntimeError: boom" in screen.message_text
        assert app.is_running and app.return_code is None
        # A query with no words at all is explained, not an error dialog.
        failing.error = None
    async with live() as (app, pilot):
        await type_query(pilot, "- ***")
        await wait_until(pilot, results_for(app, "- ***"))
        assert app.main.state == "error"
        assert "Nothing to search for" in app.main.message_text


def test_a_cluster_address_without_the_client_names_the_extra_to_install(
    shared_index: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "opensearchpy", None)  # a base install: no searcher[opensearch]

    async def scenario() -> None:
        app = make_app("opensearch://127.0.0.1:9/docs", shared_index[0], "ngoại", cursor_blink=False, check_interval=0)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.main.state == "waiting" and "Error" in app.main.message_text)
            # Shown as written: the brackets are not taken for markup.
            assert "pip install 'searcher[opensearch]'" in app.main.message_text

    asyncio.run(scenario())


@run_async
async def test_notes_in_status_line(live: LiveSearch) -> None:
    long_query = " ".join(["ngoai"] * 40)
    async with live(long_query) as (app, _pilot):
        assert "only the first 32 words are searched" in app.main.status.left_text


# -- keyboard and mouse ------------------------------------------------------------------


@run_async
async def test_navigation_keys_work_while_typing(live: LiveSearch) -> None:
    async with live("ngoai giao") as (app, pilot):
        screen = app.main
        results = screen.results
        count = len(results.hits)
        assert count > 5 and results.highlighted == 0
        await pilot.press("down", "down")
        assert results.highlighted == 2
        await pilot.press("up")
        assert results.highlighted == 1
        await pilot.press("ctrl+end")
        assert results.highlighted == count - 1
        await pilot.press("ctrl+home")
        assert results.highlighted == 0
        # Home/End move the cursor inside the query.
        await pilot.press("home")
        assert screen.query_input.cursor_position == 0 and results.highlighted == 0
        await pilot.press("end")
        assert screen.query_input.cursor_position == len("ngoai giao")
        await pilot.press("pagedown")
        assert results.highlighted > 1
        await pilot.press("pageup")
        assert results.highlighted == 0
        assert app.focused is screen.query_input
        assert screen.query_input.value == "ngoai giao"
        # The preview follows the selection.
        await pilot.press("down")
        hit = results.selected_hit
        await wait_until(pilot, lambda: screen.preview.border_subtitle == f"{hit.path}:{hit.line}", what="the preview")
        preview_text = str(screen.preview.query_one("#preview-text").visual)
        assert " ".join(hit.text.split()) in " ".join(preview_text.split())
        # Tab moves the focus to the results, Shift-Tab back.
        await pilot.press("tab")
        assert app.focused is results
        await pilot.press("down")
        assert results.highlighted == 2
        await pilot.press("shift+tab")
        assert app.focused is screen.query_input


@run_async
async def test_click_selects_and_double_click_opens(live: LiveSearch) -> None:
    async with live("ngoai giao") as (app, pilot):
        screen = app.main
        results = screen.results
        y = results.line_of(1)  # first line of the second result
        await pilot.click(results, offset=(5, y))
        await pilot.pause()
        assert results.highlighted == 1
        assert isinstance(app.screen, SearchScreen)
        await pilot.double_click(results, offset=(5, y))
        await wait_until(pilot, lambda: isinstance(app.screen, DocumentScreen) and app.screen.loaded)
        assert app.screen.hit is results.hits[1]


@run_async
async def test_mouse_wheel_scrolls_results(live: LiveSearch) -> None:
    async with live("ngoai giao") as (app, pilot):
        results = app.main.results
        assert results.scroll_y == 0
        from textual.events import MouseScrollDown

        for _ in range(3):
            results.post_message(MouseScrollDown(results, 2, 2, 0, 1, 0, False, False, False, screen_x=3, screen_y=6))
            await pilot.pause()
        await wait_until(pilot, lambda: results.scroll_y > 0, what="the list to scroll")


def painted_rows(results: Any) -> list[str]:
    """The text of the results list as the next frame would draw it (lines not redrawn come from its cache)."""
    from textual.geometry import Region

    lines = results.render_lines(Region(0, 0, results.size.width, results.size.height))
    return [strip.text.rstrip(" ▁▂▃▄▅▆▇█▔") .strip() for strip in lines]


def expected_rows(results: Any) -> list[str]:
    top = int(results.scroll_y)
    wanted = []
    for y in range(top, top + results.size.height):
        row, part = divmod(y, 2)
        wanted.append(results.lines[row][part].plain.strip() if row < len(results.lines) else "")
    return wanted


@run_async
async def test_the_list_on_screen_follows_every_keystroke(live: LiveSearch) -> None:
    # The list redraws only the lines that changed: a line left stale would show another query's hit.
    async with live("ngo") as (app, pilot):
        results = app.main.results
        for typed in ["ai giao", " kinh", "\b\b\b\b\b", "\b\b\b\b", "ai", " te"]:
            for char in typed:
                await pilot.press("backspace" if char == "\b" else (" " if char == " " else char))
            query = app.main.query_input.value
            await wait_until(pilot, results_for(app, query))
            await pilot.pause()
            assert results.hits, query
            assert painted_rows(results) == expected_rows(results), query
        # Moving the selection redraws the two rows it leaves and enters.
        await pilot.press("down", "down")
        await pilot.pause()
        assert painted_rows(results) == expected_rows(results)
        # As many hits as before, other ones from the third on: the scrollbar stays, those rows change.
        engine = app.engine
        first = engine.search("ngoai giao", limit=6)
        second = first[:2] + engine.search("kinh te", limit=4)[:4]
        assert len(first) == len(second) == 6
        for hits in (first, second, first):
            results.show_hits(hits, 0)
            await pilot.pause()
            assert painted_rows(results) == expected_rows(results)


@run_async
async def test_the_list_follows_theme_and_focus(live: LiveSearch) -> None:
    async with live("ngoai giao") as (app, pilot):
        results = app.main.results

        def background(y: int) -> object:
            return results.render_line(y)._segments[0].style.bgcolor

        selected, other = background(0), background(2)
        assert selected != other  # the selected hit stands out
        await pilot.press("tab")
        assert app.focused is results
        await wait_until(pilot, lambda: background(0) != selected, what="brighter while the list has the focus")
        app.theme = "textual-light"
        await wait_until(pilot, lambda: background(2) != other, what="the new theme's colours, not kept ones")


def selected_row_in_view(results: Any) -> bool:
    """The selected hit's two lines lie inside the part of the list on screen."""
    top, height = int(results.scroll_y), results.scrollable_content_region.height
    first = results.line_of(results.highlighted)
    return height > 0 and top <= first and first + 2 <= top + height


@pytest.mark.parametrize("sizes", [((120, 40), (80, 24)), ((80, 24), (120, 40)), ((120, 40), (60, 16))])
@run_async
async def test_resizing_keeps_the_selected_hit_in_view(live: LiveSearch, sizes: Any) -> None:
    big, small = sizes
    async with live("giao", size=big) as (app, pilot):
        screen = app.main
        results = screen.results
        rows_on_screen = results.scrollable_content_region.height // 2
        assert len(results.hits) > rows_on_screen + 4
        for _ in range(rows_on_screen - 1):  # the last hit that fits, without scrolling
            await pilot.press("down")
        await wait_until(pilot, lambda: results.highlighted == rows_on_screen - 1 and selected_row_in_view(results))
        chosen = results.selected_hit
        await wait_until(pilot, lambda: screen.preview.border_subtitle == f"{chosen.path}:{chosen.line}", what="its preview")
        await pilot.resize_terminal(*small)
        await wait_until(pilot, lambda: app.size == small and results.scrollable_content_region.height > 0, what="the resize")
        await wait_until(pilot, lambda: selected_row_in_view(results), timeout=2, what="the selected hit in view")
        assert results.selected_hit is chosen
        assert screen.preview.border_subtitle == f"{chosen.path}:{chosen.line}"


@run_async
async def test_a_click_after_scrolling_selects_the_hit_under_the_mouse(live: LiveSearch) -> None:
    async with live("ngoai giao") as (app, pilot):
        results = app.main.results
        assert len(results.hits) > 8
        results.scroll_to(y=6, animate=False)
        await wait_until(pilot, lambda: results.scroll_y == 6, what="the scroll")
        await pilot.click(results, offset=(5, 1))  # the second line on screen: line 7, the fourth hit
        await pilot.pause()
        assert results.highlighted == 3


@run_async
async def test_the_timing_log_has_a_line_for_every_outcome(shared_index: tuple[Path, Path], tmp_path: Path, live: LiveSearch) -> None:
    # SEARCHER_TUI_LOG (bench/tui_keys.py reads it): one line per result shown, even when the
    # hits are the same as the last ones and no line of the list is drawn again.
    log = tmp_path / "timing.log"
    engine = Engine.open(shared_index[1])

    class ThreeHits:
        def __getattr__(self, name: str) -> Any:
            return getattr(engine, name)

        def search(self, text: str, **options: Any) -> Any:
            result = engine.search(text, **options)
            del result[3:]  # fewer than a screenful: no fuller pass follows
            return result

    async with live(timing_log=str(log), engine=ThreeHits()) as (app, pilot):
        await type_query(pilot, "ngoai giao ")
        await wait_until(pilot, results_for(app, "ngoai giao "))
        await pilot.press("space")  # the same hits again
        await wait_until(pilot, results_for(app, "ngoai giao  "))
        await wait_until(pilot, lambda: "query='ngoai giao  '" in log.read_text(encoding="utf-8"), what="the log line")
    lines = [line for line in log.read_text(encoding="utf-8").splitlines() if " live " in line]
    queries = [line.split("query=")[1].split(" hits=")[0] for line in lines]
    assert "'ngoai giao '" in queries and "'ngoai giao  '" in queries
    for line in lines:
        fields = dict(part.split("=", 1) for part in line.split() if "_ms=" in part)
        assert float(fields["keystroke_to_paint_ms"]) >= float(fields["keystroke_to_results_ms"]) > 0


@run_async
async def test_f1_opens_help(live: LiveSearch) -> None:
    async with live() as (app, pilot):
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, SearchScreen)
        assert app.is_running


@run_async
async def test_escape_clears_then_quits(live: LiveSearch) -> None:
    async with live("ngoai giao") as (app, pilot):
        screen = app.main
        await pilot.press("tab")
        assert app.focused is screen.results
        await pilot.press("escape")
        assert screen.query_input.value == ""
        assert app.focused is screen.query_input
        await wait_until(pilot, results_for(app, ""))
        assert screen.state == "help"
        assert app.is_running
        await pilot.press("escape")
        await pilot.pause()
    assert app.return_value == 0


@pytest.mark.parametrize("key", ["ctrl+c", "ctrl+q"])
@run_async
async def test_ctrl_c_and_ctrl_q_quit_from_anywhere(live: LiveSearch, key: str) -> None:
    async with live("ngoai giao") as (app, pilot):
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DocumentScreen) and app.screen.loaded)
        await pilot.press(key)
        await pilot.pause()
    assert not app.is_running


# -- document view -------------------------------------------------------------------------


async def open_second_hit(app: Any, pilot: Any, query: str = "ngoai giao") -> DocumentScreen:
    await wait_until(pilot, results_for(app, query))
    await pilot.press("down", "enter")
    await wait_until(pilot, lambda: isinstance(app.screen, DocumentScreen) and app.screen.loaded)
    doc: DocumentScreen = app.screen  # type: ignore[assignment]
    await wait_until(pilot, lambda: paragraph_in_view(doc, doc.hit_index), what="the hit's paragraph in view")
    return doc


def paragraph_in_view(doc: DocumentScreen, index: int | None) -> bool:
    """The document view shows (part of) paragraph ``index``."""
    if index is None:
        return False
    return doc.query_one("#doc-body").scrollable_content_region.overlaps(doc.query_one(f"#para-{index}").region)


@run_async
async def test_enter_opens_the_document_at_the_hit(shared_index: tuple[Path, Path], live: LiveSearch) -> None:
    corpus, _index = shared_index
    async with live("ngoai giao") as (app, pilot):
        screen = app.main
        doc = await open_second_hit(app, pilot)
        hit = screen.results.hits[1]
        assert doc.hit is hit
        source = (corpus / hit.path).read_text(encoding="utf-8")
        assert len(doc.paragraphs) > 3  # the whole document, not just the hit
        assert " ".join(doc.paragraphs[0].text.split()) in " ".join(source.split())
        para = doc.paragraphs[doc.hit_index]
        assert para.text == hit.text and para.line == hit.line and doc.hit_index == hit.paragraph
        assert para.spans == document_spans(hit.text, screen.result.query)[0]  # whole phrases highlighted
        assert doc.current_paragraph == doc.hit_index
        # Every phrase match of the document is a match.
        assert len(doc.matches) == sum(len(p.matches) for p in doc.paragraphs) > 1
        # The hit's paragraph is on screen.
        body = doc.query_one("#doc-body")
        widget = doc.query_one(f"#para-{doc.hit_index}")
        assert widget.has_class("-hit")
        assert body.scrollable_content_region.overlaps(widget.region)


@run_async
async def test_the_document_view_highlights_only_what_the_query_matched(live: LiveSearch) -> None:
    # Issue 22 item 11: "match 1/1" in the header, yet ngoài and lone giao lit up all over the document.
    async with live("ngoại giao") as (app, pilot):
        doc = await open_second_hit(app, pilot, "ngoại giao")
        lit = [p.text[s:e] for p in doc.paragraphs[doc.first : doc.last] for s, e in p.spans]
        assert lit
        assert all([exact_key(w) for w in text.split()] == [exact_key("ngoại"), "giao"] for text in lit), lit
        assert len(lit) == len(doc.matches)


@run_async
async def test_n_and_shift_n_walk_the_matches(live: LiveSearch) -> None:
    async with live("ngoai giao") as (app, pilot):
        doc = await open_second_hit(app, pilot)
        start = doc.current
        assert start is not None
        visited = [doc.current_paragraph]
        for step in range(1, 6):
            await pilot.press("n")
            assert doc.current == (start + step) % len(doc.matches)
            visited.append(doc.current_paragraph)
        assert len(set(visited)) > 1  # it went on into other paragraphs
        await wait_until(pilot, lambda: paragraph_in_view(doc, doc.current_paragraph), what="the match in view")
        header = str(doc.query_one("#doc-header").visual)
        assert f"match {doc.current + 1}/{len(doc.matches)}" in header
        for _ in range(5):
            await pilot.press("N")
        assert doc.current == start
        # Wrapping around both ends.
        await pilot.press("end")
        doc._goto(len(doc.matches) - 1)
        await pilot.press("n")
        assert doc.current == 0
        await pilot.press("shift+n")
        assert doc.current == len(doc.matches) - 1


@run_async
async def test_escape_returns_with_query_and_selection(live: LiveSearch) -> None:
    async with live("ngoai giao") as (app, pilot):
        screen = app.main
        doc = await open_second_hit(app, pilot)
        await pilot.press("n", "n")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        assert screen.query_input.value == "ngoai giao"
        assert screen.results.highlighted == 1
        assert screen.results.selected_hit is doc.hit
        assert screen.state == "results"
        assert app.is_running


@run_async
async def test_e_runs_the_editor_at_the_line(live: LiveSearch, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VISUAL", "myedit --wait")
    calls: list[list[str]] = []

    def runner(argv: list[str]) -> int:
        calls.append(argv)
        return 0

    async with live("ngoai giao", editor_runner=runner) as (app, pilot):
        doc = await open_second_hit(app, pilot)
        hit = doc.hit
        await pilot.press("e")
        assert len(calls) == 1
        argv = calls[0]
        assert argv[:4] == ["sh", "-c", 'myedit --wait "$@"', "myedit --wait"]
        assert argv[4] == f"+{doc.current_line}"
        assert doc.current_line == hit.line + hit.text.count("\n", 0, hit.spans[0][0])
        assert os.path.samefile(argv[5], hit.file)
        assert isinstance(app.screen, DocumentScreen) and app.is_running
        # From the results list too (when it has the focus).
        await pilot.press("escape")
        await pilot.press("tab", "e")
        assert calls[1][4] == f"+{hit.line}"


def test_editor_command_fallbacks() -> None:
    sh = ["sh", "-c"]
    assert editor_command("a.txt", 7, {}) == sh + ['vi "$@"', "vi", "+7", "./a.txt"]
    assert editor_command("a.txt", 7, {"EDITOR": "nano"}) == sh + ['nano "$@"', "nano", "+7", "./a.txt"]
    assert editor_command("a b.txt", 3, {"EDITOR": "nano", "VISUAL": "code -w"})[2:] == ['code -w "$@"', "code -w", "+3", "./a b.txt"]


def test_editor_value_with_arguments_and_quotes_runs_like_git(tmp_path: Path) -> None:
    """``$EDITOR`` goes through ``sh -c '$EDITOR "$@"'``: arguments and quotes in it work, the path is one word."""
    script = tmp_path / "my editor.sh"
    out = tmp_path / "args.txt"
    script.write_text(f'#!/bin/sh\nfor a in "$@"; do echo "$a"; done > "{out}"\n')
    script.chmod(0o755)
    argv = editor_command("a b.txt", 4, {"EDITOR": f"'{script}' --wait"})
    assert subprocess.call(argv) == 0
    assert out.read_text().splitlines() == ["--wait", "+4", "./a b.txt"]


@run_async
async def test_missing_editor_is_reported(live: LiveSearch) -> None:
    def runner(argv: list[str]) -> int:
        raise FileNotFoundError(2, "No such file or directory")

    async with live("ngoai giao", editor_runner=runner) as (app, pilot):
        await open_second_hit(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        assert any("cannot run" in str(n.message) for n in app._notifications)
        assert app.is_running


@run_async
async def test_y_copies_path_and_line(live: LiveSearch) -> None:
    async with live("ngoai giao") as (app, pilot):
        doc = await open_second_hit(app, pilot)
        await pilot.press("y")
        path, line = app.clipboard.rsplit(":", 1)
        assert os.path.samefile(path, doc.hit.file) and int(line) == doc.current_line
        assert any("Copied" in str(n.message) for n in app._notifications)


# -- history ------------------------------------------------------------------------------------


@run_async
async def test_history_saved_on_open_and_recalled(shared_index: tuple[Path, Path], data_home: Path, live: LiveSearch) -> None:
    _corpus, index = shared_index
    async with live() as (app, pilot):
        screen = app.main
        await type_query(pilot, "kinh te")
        await wait_until(pilot, results_for(app, "kinh te"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DocumentScreen) and app.screen.loaded)
        await pilot.press("escape", "escape")
        assert screen.query_input.value == ""
        await wait_until(pilot, results_for(app, ""))
        await pilot.press("up")  # ↑ in the empty input recalls the last query
        assert screen.query_input.value == "kinh te"
        await wait_until(pilot, results_for(app, "kinh te"))
        assert screen.state == "results"

    path = history_file(index)
    assert path.parent == data_home / "searcher" / "history"
    assert json.loads(path.read_text(encoding="utf-8"))["queries"] == ["kinh te"]

    # A new session of the same index sees it; Ctrl-R picks from the list, filtered.
    History(index).add("ngoại giao")
    async with live() as (app, pilot):
        screen = app.main
        await pilot.press("ctrl+r")
        assert isinstance(app.screen, HistoryScreen)
        picker = app.screen
        assert [str(o.prompt) for o in picker.query_one("#history-list").options] == ["ngoại giao", "kinh te"]
        await type_query(pilot, "kinh")
        assert [str(o.prompt) for o in picker.query_one("#history-list").options] == ["kinh te"]
        await pilot.press("enter")
        assert isinstance(app.screen, SearchScreen)
        assert screen.query_input.value == "kinh te"
        await pilot.press("ctrl+r", "down", "escape")
        assert screen.query_input.value == "kinh te"


@run_async
async def test_history_saved_after_a_pause_on_results(
    shared_index: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, live: LiveSearch
) -> None:
    _corpus, index = shared_index
    # Results replaced before the pause ends are not saved: a pause longer than the test
    # while typing (a slow machine cannot turn it into a real pause), a short one at the end.
    monkeypatch.setattr(screens, "HISTORY_PAUSE", 600.0)
    async with live() as (app, pilot):
        await type_query(pilot, "hòa bình")
        await wait_until(pilot, results_for(app, "hòa bình"))
        await type_query(pilot, "x")  # typing again before the pause ends: not saved
        await wait_until(pilot, results_for(app, "hòa bìnhx"))
        monkeypatch.setattr(screens, "HISTORY_PAUSE", 0.5)
        await pilot.press("backspace")
        await wait_until(pilot, results_for(app, "hòa bình"))
        await wait_until(pilot, lambda: History(index).entries == ["hòa bình"], timeout=10, what="the query saved")
    assert History(index).entries == ["hòa bình"]


# -- indexing ------------------------------------------------------------------------------------


@run_async
async def test_f5_reindexes_and_refreshes(own_index: tuple[Path, Path], live: LiveSearch) -> None:
    corpus, _index = own_index
    async with live("quasarquux", on=own_index) as (app, pilot):
        screen = app.main
        assert screen.state == "empty"
        (corpus / "new.txt").write_text("Tin mới\n\nMột đoạn có từ quasarquux ở đây.\n", encoding="utf-8")
        await pilot.press("f5")
        assert app.main.query("#index-panel") or not app.building
        await wait_until(pilot, lambda: not app.building and isinstance(app.screen, SearchScreen), timeout=20)
        await wait_until(pilot, lambda: screen.state == "results" and results_for(app, "quasarquux")())
        assert [h.path for h in screen.results.hits] == ["new.txt"]
        assert app.stats is not None and app.stats["files"] == 5
        assert "5 files" in screen.status.right_text
        # The toast says what changed, not just "up to date".
        assert any(n.title == "Index updated" and "1 file added" in str(n.message) for n in app._notifications)


@run_async
async def test_reindex_can_be_cancelled(own_index: tuple[Path, Path], live: LiveSearch) -> None:
    corpus, _index = own_index
    gate = threading.Event()
    calls: list[str] = []

    def slow_build(corpus_arg: str, index_arg: str, progress: Any = None, **options: Any) -> Any:
        calls.append(corpus_arg)
        for done in range(1000):
            progress(Progress(done, 1000, done * 3, f"file{done}.txt"))  # raises once cancelled
            gate.set()
            time.sleep(0.01)
        raise AssertionError("not cancelled")

    async with live("ngoai", build=slow_build, on=own_index) as (app, pilot):
        await pilot.press("f5")
        await wait_until(pilot, gate.is_set)
        # F5 keeps the results on screen: searching goes on meanwhile, on the old index.
        assert isinstance(app.screen, SearchScreen)
        await wait_until(pilot, lambda: "files" in str(app.main.query_one("#index-current").visual), what="the progress")
        await type_query(pilot, " giao")
        await wait_until(pilot, results_for(app, "ngoai giao"))
        assert app.building and app.main.state == "results"
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.building, timeout=5)
        assert isinstance(app.screen, SearchScreen)
        assert any("cancelled" in str(n.message) for n in app._notifications)
        assert app.main.state == "results"  # the old index still answers
    assert calls == [str(corpus)]


@run_async
async def test_missing_index_is_built_with_progress(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    import shutil

    from tui_support import CORPUS

    shutil.copytree(CORPUS, corpus)
    index = tmp_path / "index"
    go = threading.Event()
    midway = threading.Event()
    seen: list[Progress] = []

    def gated_build(*args: Any, progress: Any, **options: Any) -> Any:
        go.wait(10)

        def spy(p: Progress) -> None:
            seen.append(p)
            progress(p)
            if p.files_done == 2:
                midway.wait(10)  # hold the build half done while the test looks at the bar

        return build_index(*args, progress=spy, **options)

    app = make_app(index, corpus, "ngoai giao", cursor_blink=False, check_interval=0, build=gated_build)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.building and isinstance(app.screen, IndexScreen)
        assert "No index yet" in str(app.screen.query_one("#index-reason").visual)
        assert "Indexing" in app.main.message_text
        go.set()
        bar = app.screen.query_one("#index-progress", ProgressBar)
        await wait_until(pilot, lambda: bar.total == 4 and bar.progress == 2, timeout=10, what="the bar at 2 of 4 files")
        assert "2/4 files" in str(app.screen.query_one("#index-current").visual)
        midway.set()
        await wait_until(pilot, lambda: not app.building, timeout=20)
        assert seen and seen[-1].files_done == seen[-1].files_total == 4
        await wait_until(pilot, lambda: app.main.state == "results", timeout=5)
        assert app.engine is not None and app.main.results.hits
    assert (index / "CURRENT").exists()


@run_async
async def test_keys_typed_during_the_first_build_are_searched_when_it_is_ready(tmp_path: Path) -> None:
    import shutil

    from textual.events import Paste

    from tui_support import CORPUS

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    go = threading.Event()

    def gated_build(*args: Any, **options: Any) -> Any:
        go.wait(10)
        return build_index(*args, **options)

    app = make_app(tmp_path / "index", corpus, cursor_blink=False, check_interval=0, build=gated_build)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, IndexScreen), what="the Indexing dialog")
        dialog = app.screen
        await type_query(pilot, "ngoạix")
        await pilot.press("backspace")
        dialog.post_message(Paste(" giao"))  # as a terminal delivers a paste
        await wait_until(pilot, lambda: app.main.query_input.value == "ngoại giao", what="the typed query")
        assert app.building and app.screen is dialog  # typed while the dialog is up
        assert "ngoại giao" in str(dialog.query_one("#index-query").visual)
        go.set()
        await wait_until(pilot, lambda: not app.building and isinstance(app.screen, SearchScreen), timeout=20)
        await wait_until(pilot, lambda: app.main.state == "results" and results_for(app, "ngoại giao")(), timeout=10)
        assert app.main.results.hits and "ngoại giao" in app.main.results.selected_hit.text.lower()


def hundred_files(root: Path) -> Path:
    """A folder of 100 files: enough for the parallel writer, which the TUI once could not start."""
    from tui_support import CORPUS

    corpus = root / "corpus"
    corpus.mkdir()
    texts = [p.read_text("utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    for i in range(100):
        (corpus / f"f{i:03d}.txt").write_text(texts[i % 4] + f"\n\nđoạn riêng số {i} của tệp\n", "utf-8")
    return corpus


@pytest.mark.slow
@run_async
async def test_first_run_and_f5_build_a_100_file_folder(tmp_path: Path) -> None:
    # 64 files or more take the parallel writer, which failed inside the app
    # with "bad value(s) in fds_to_keep" (Textual's captured stderr).
    corpus = hundred_files(tmp_path)
    index = tmp_path / "index"
    app = make_app(index, corpus, "ngoai giao", cursor_blink=False, check_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: not app.building and app.engine is not None, timeout=120, what="the first build")
        assert not any(n.severity == "error" for n in app._notifications), [n.message for n in app._notifications]
        await wait_until(pilot, lambda: app.main.state == "results", timeout=10)
        await wait_until(pilot, lambda: app.stats is not None, timeout=10, what="the index's counts (a worker)")
        assert app.stats["files"] == 100
        (corpus / "f000.txt").write_text("Tin mới\n\nMột đoạn có từ quasarquux ở đây.\n", encoding="utf-8")
        for i in range(1, 80):  # enough changed files for F5's update to be a real one
            (corpus / f"f{i:03d}.txt").touch()
        await pilot.press("f5")
        await wait_until(pilot, lambda: not app.building and isinstance(app.screen, SearchScreen), timeout=120, what="F5")
        assert not any(n.severity == "error" for n in app._notifications), [n.message for n in app._notifications]
        await pilot.press("escape")  # clears the query
        await type_query(pilot, "quasarquux")
        await wait_until(pilot, lambda: app.main.state == "results" and results_for(app, "quasarquux")(), timeout=10)
        assert [h.path for h in app.main.results.hits] == ["f000.txt"]


@run_async
async def test_index_rebuilt_from_outside_is_noticed(own_index: tuple[Path, Path], live: LiveSearch) -> None:
    corpus, index = own_index
    async with live("quasarquux", check_interval=0.2, on=own_index) as (app, pilot):
        screen = app.main
        await wait_until(pilot, lambda: app.fingerprint is not None)
        assert screen.state == "empty"
        (corpus / "new.txt").write_text("Tin mới\n\nMột đoạn có từ quasarquux ở đây.\n", encoding="utf-8")
        await asyncio_to_thread(build_index, corpus, index, full=True, parallel=False)
        await wait_until(pilot, lambda: screen.state == "results", timeout=10, what="the refreshed results")
        assert [h.path for h in screen.results.hits] == ["new.txt"]


async def asyncio_to_thread(function: Any, *args: Any, **kwargs: Any) -> Any:
    import asyncio

    return await asyncio.to_thread(function, *args, **kwargs)


# -- entry points -----------------------------------------------------------------------------------


def test_run_app_without_index_or_corpus_fails_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_app(tmp_path / "index", tmp_path / "nope") == 2
    assert "corpus folder not found" in capsys.readouterr().err



def test_small_formatters() -> None:
    assert format_size(1_557_261) == "1.6 MB"
    assert format_size(999) == "999 B"
    assert format_age(2) == "just now"
    assert format_age(300) == "5 min ago"
    assert format_age(7200) == "2 h ago"


# -- colours and themes --------------------------------------------------------------------------------


@run_async
async def test_no_color_is_respected(live: LiveSearch, monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.filter import Monochrome, NoColor

    from searcher.tui.widgets import CURRENT_STYLE, MATCH_STYLE

    monkeypatch.setenv("NO_COLOR", "1")
    async with live("ngoai giao") as (app, _pilot):
        assert app.no_color
        assert any(isinstance(f, (Monochrome, NoColor)) for f in app._filters)
    # Without colour, matches still stand out: bold/underline, the current one reversed.
    assert "bold" in MATCH_STYLE and "underline" in MATCH_STYLE and "reverse" in CURRENT_STYLE


@run_async
async def test_theme_switching(live: LiveSearch) -> None:
    from textual.command import CommandPalette

    async with live("ngoai giao") as (app, pilot):
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await type_query(pilot, "theme")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen))
        before = app.export_screenshot()
        app.theme = "textual-light"
        await pilot.pause()
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DocumentScreen) and app.screen.loaded)
        await pilot.press("escape")
        after = app.export_screenshot()
        assert before != after and "ngoại" in after.replace("&#160;", " ")
        assert app.main.query_input.value == "ngoai giao"


class CutShortEngine:
    """The live pass (default budget) returns only the first two hits, marked incomplete."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.budgets: list[Any] = []
        self.moved = threading.Event()  # the test has moved the selection: the fuller pass may land

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def search(self, text: str, **options: Any) -> Any:
        self.budgets.append(options.get("budget"))
        if options.get("budget") == scheduling.REFINE_BUDGET:
            self.moved.wait(10)
        result = self.engine.search(text, **options)
        if options.get("budget") != scheduling.REFINE_BUDGET:
            del result[2:]
            result.complete = False
        return result


@run_async
async def test_a_cut_short_live_pass_is_completed_in_place(
    shared_index: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, live: LiveSearch
) -> None:
    # The fuller pass waits for the test: the watchdog that settles a search overrunning
    # its budget must not fire meanwhile on a slow machine.
    monkeypatch.setattr(screens, "SPINNER_LIMIT", 60.0)
    _corpus, index = shared_index
    engine = CutShortEngine(Engine.open(index))
    full = Engine.open(index).search("ngoai giao", limit=scheduling.RESULT_LIMIT, prefix=True, budget=5)
    async with live(engine=engine) as (app, pilot):
        screen = app.main
        screen.query_input.value = "ngoai giao"
        await wait_until(pilot, lambda: screen.result is not None and len(screen.results.hits) == 2)
        assert not screen.settled and "more coming" in screen.status.left_text
        await pilot.press("down")
        chosen = screen.selection_key
        engine.moved.set()
        await wait_until(pilot, results_for(app, "ngoai giao"))
        assert len(screen.results.hits) == len(full) > 2
        assert screen.selection_key == chosen  # the selection survived the refresh
        assert "more coming" not in screen.status.left_text
        assert engine.budgets == [scheduling.FIRST_PAINT_BUDGET, scheduling.REFINE_BUDGET]


def test_the_folder_is_watched_while_the_ui_is_open(tmp_path: Path, monkeypatch) -> None:
    from searcher.index.build import build_index
    from searcher.tui.app import _watch_in_background

    corpus, index = tmp_path / "docs", tmp_path / "index"
    corpus.mkdir()
    (corpus / "a.txt").write_text("A\n\nmột\n", encoding="utf-8")
    build_index(corpus, index)
    monkeypatch.setenv("SEARCHER_TUI_WATCH", "0")
    assert _watch_in_background(str(corpus), str(index)).__name__ == "<lambda>"  # the setting turns it off
    monkeypatch.delenv("SEARCHER_TUI_WATCH")
    stop = _watch_in_background(str(corpus), str(index))
    try:
        with Engine.open(index) as engine:
            deadline = time.monotonic() + 20
            attempt = 0
            while not engine.search("cánh cụt", budget=5) and time.monotonic() < deadline:
                if attempt % 10 == 0:  # written again until the watcher, which starts in a thread, sees it
                    (corpus / "b.txt").write_text(f"B\n\nchim cánh cụt {attempt}\n", encoding="utf-8")
                attempt += 1
                time.sleep(0.1)
                engine.refresh(force=True)
            assert engine.search("cánh cụt", budget=5)
    finally:
        stop()


# -- which files are searched (issue 22, items 6, 7 and 21) ----------------------------------


@pytest.fixture
def folders_index(tmp_path: Path) -> tuple[Path, Path]:
    import docx

    corpus = tmp_path / "docs"
    for name, text in {
        "news/tin.txt": "Tin\n\nngoại giao kinh tế trong tin\n",
        "news/ghi-chú.md": "# Ghi chú\n\nngoại giao kinh tế trong ghi chú\n",
        "law/luật.txt": "Luật\n\nngoại giao kinh tế trong luật\n",
    }.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text(text, encoding="utf-8")
    document = docx.Document()
    document.add_paragraph("ngoại giao kinh tế trong công văn")
    document.save(str(corpus / "law" / "công-văn.docx"))
    index = tmp_path / "index"
    build_index(corpus, index, parallel=False)
    return corpus, index


def shown_paths(app: Any) -> set[str]:
    return {hit.path for hit in app.main.results.hits}


@run_async
async def test_the_scope_is_shown_and_f3_widens_it(folders_index: tuple[Path, Path], live: LiveSearch) -> None:
    from searcher.documents.filters import PathFilter

    async with live("ngoai giao", on=folders_index, scope=PathFilter(under="news")) as (app, pilot):
        assert shown_paths(app) == {"news/tin.txt", "news/ghi-chú.md"}
        assert "in news/" in app.main.status.left_text
        titles = [command.title for command in app.get_system_commands(app.main)]
        assert "Search everywhere" in titles and "Filter files" in titles
        await pilot.press("f3")
        await wait_until(pilot, lambda: len(shown_paths(app)) == 4, what="hits from everywhere")
        assert "in news/" not in app.main.status.left_text
        assert "Search only news/" in [command.title for command in app.get_system_commands(app.main)]
        await pilot.press("f3")
        await wait_until(pilot, lambda: shown_paths(app) == {"news/tin.txt", "news/ghi-chú.md"}, what="back to news/")


@run_async
async def test_the_palette_filters_files_by_glob_and_type(folders_index: tuple[Path, Path], live: LiveSearch) -> None:
    from searcher.tui.filter_screen import FilterScreen

    async with live("ngoai giao", on=folders_index) as (app, pilot):
        assert len(shown_paths(app)) == 4
        app.action_filter_files()
        await wait_until(pilot, lambda: isinstance(app.screen, FilterScreen), what="the filter dialog")
        await type_query(pilot, "!law/** type:md")
        await pilot.press("enter")
        await wait_until(pilot, lambda: shown_paths(app) == {"news/ghi-chú.md"}, what="only the Markdown file")
        assert "!law/** · type:md" in app.main.status.left_text
        app.action_filter_files()  # a bad type is said in the dialog, which stays open
        await wait_until(pilot, lambda: isinstance(app.screen, FilterScreen), what="the filter dialog")
        await pilot.press("ctrl+u", *"type:word", "enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, FilterScreen)
        await pilot.press("ctrl+u", "enter")  # an empty line: every file again
        await wait_until(pilot, lambda: len(shown_paths(app)) == 4, what="every file again")


@run_async
async def test_open_with_no_opener_says_what_to_do_and_shows_the_document(
    folders_index: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, live: LiveSearch
) -> None:
    monkeypatch.delenv("SEARCHER_OPENER", raising=False)
    calls: list[list[str]] = []

    def runner(argv: list[str]) -> int:
        calls.append(argv)
        raise FileNotFoundError(2, "No such file or directory")

    async with live("ngoai giao", on=folders_index, editor_runner=runner) as (app, pilot):
        row = [hit.path for hit in app.main.results.hits].index("law/công-văn.docx")
        app.main.results.highlighted = row
        await pilot.pause()
        app.main.action_edit()
        await wait_until(pilot, lambda: isinstance(app.screen, DocumentScreen), what="the document view")
        assert calls and calls[0][0] == "xdg-open"
        assert app.screen.hit.path == "law/công-văn.docx"  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: any(n.severity == "error" for n in app._notifications), what="the error")
        message = next(str(n.message) for n in app._notifications if n.severity == "error")
        assert "xdg-utils" in message and "SEARCHER_OPENER" in message


def test_re_indexing_a_cluster_from_the_live_search_builds_the_cluster(tmp_path, monkeypatch) -> None:
    # F5 on `search --tui --index opensearch://…` goes through the public build, which sends an
    # address to the cluster; the local build would write a folder named after the address.
    from searcher import building
    from searcher.tui.index_screen import IndexScreen

    calls: list[tuple[str, str]] = []

    def build_index(corpus, index, **options):  # type: ignore[no-untyped-def]
        calls.append((str(corpus), str(index)))

    monkeypatch.setattr(building, "build_index", build_index)
    monkeypatch.chdir(tmp_path)
    address = "opensearch://127.0.0.1:9/docs"
    outcome = IndexScreen(str(tmp_path), address)._build()
    assert outcome.status == "done" and calls == [(str(tmp_path), address)]
    assert list(tmp_path.iterdir()) == []  # no local index written anywhere
