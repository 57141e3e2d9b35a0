"""Pilot tests of issue 11: never stuck, marks while typing, phrase-aware snippets and n/N, no fixed debounce,
and the best-match / did-you-mean / Telex contract shown in the UI (on fake results)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from searcher.engine import Engine, Hit, SearchResult
from searcher.index.build import build_index
from searcher.search.highlight import best_cluster, query_matches
from searcher.search.query import parse_query
from searcher.tui import document_screen, search_screen
from searcher.tui import live as scheduling
from searcher.tui.document_screen import DocumentScreen
from searcher.tui.protocol import SearchEngine
from test_tui_snapshots import BUILT, FixedEngine
from tui_support import LiveSearch, data_home, live, results_for, run_async, shared_index, wait_until  # noqa: F401  (fixtures)

DOCS = {
    "a.txt": "Máy tính\n\nTôi mua một máy tính bàn mới để làm việc tại nhà.\n\nGiá được tính bằng đồng.\n\nỞ ngoài sân.\n",
    "b.txt": "Tỉnh\n\nỦy ban nhân dân tỉnh, Ban chỉ đạo đã họp.\n\nCô ấy kể chuyện tình ái với bạn trai cũ, rồi nói rằng tình bạn quý hơn.\n",
    "c.txt": "Tình bạn\n\nTình bạn là điều quý giá nhất của tuổi thơ.\n\nNgoài trời mưa, còn ngoại giao vẫn tiếp tục.\n",
    "d.txt": "Hồi ký\n\n" + " ".join(["Những ngày ở quê, chúng tôi đi học, chăn trâu và làm đồng."] * 30)
    + " Cuối cùng, hợp tác quốc tế mở ra con đường mới.\n",
}


@pytest.fixture(scope="module")
def marks_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("marks")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    build_index(corpus, root / "index", parallel=False)
    return corpus, root / "index"


async def ask(pilot: Any, text: str, timeout: float = 5.0) -> None:
    """Put ``text`` in the query and wait for its outcome on screen."""
    screen = pilot.app.main
    before = screen.gen
    screen.query_input.value = text
    await wait_until(pilot, lambda: screen.gen > before, what="the change to arrive")
    await wait_until(pilot, results_for(pilot.app, text), timeout=timeout)


class ScriptedEngine(FixedEngine):
    """A FixedEngine whose results are shaped by ``shape(result)``, or which raises ``error``."""

    def __init__(self, shape: Any = None, error: Exception | None = None, complete: bool = True) -> None:
        super().__init__()
        self.shape = shape
        self.error = error
        self.complete = complete

    def search(self, text: str, limit: int = 10, **options: Any) -> SearchResult:
        if self.error is not None:
            raise self.error
        result = super().search(text, limit, **options)
        result.complete = self.complete
        if self.shape is not None:
            self.shape(result)
        return result


# -- the engine Protocol -------------------------------------------------------


def test_engine_and_fakes_satisfy_the_protocol(shared_index: tuple[Path, Path]) -> None:
    _corpus, index = shared_index
    engine: SearchEngine = Engine.open(index)
    assert isinstance(engine, SearchEngine)
    assert isinstance(FixedEngine(), SearchEngine)


# -- 2. never stuck on "Searching…" ------------------------------------------------


@run_async
async def test_zero_hits_cut_short_twice_settles_to_the_no_hits_help(live: LiveSearch) -> None:
    """Both passes return no hits and say they were cut short: the help replaces 'Searching…'."""
    engine = ScriptedEngine(shape=lambda r: r.clear(), complete=False)
    async with live(engine=engine) as (app, pilot):
        screen = app.main
        await ask(pilot, "ngoại giao thúc đẩy kinh tế", timeout=search_screen.SPINNER_LIMIT + 3)
        assert "Searching" not in screen.message_text
        assert "No hits" in screen.message_text
        assert "more coming" not in screen.status.left_text
        assert screen.query_one("#results-pane").border_title == "0 hits"


@run_async
async def test_an_exception_in_the_search_settles_with_an_error(live: LiveSearch) -> None:
    engine = ScriptedEngine(error=RuntimeError("boom"))
    async with live(engine=engine) as (app, pilot):
        await ask(pilot, "ngoai")
        assert "boom" in app.main.message_text and "Searching" not in app.main.message_text


@run_async
async def test_the_spinner_never_outlives_the_budget(monkeypatch: pytest.MonkeyPatch, live: LiveSearch) -> None:
    """An engine that never answers: after SPINNER_LIMIT the screen stops saying 'Searching…'."""
    import threading

    release = threading.Event()

    class Hanging(ScriptedEngine):
        def search(self, text: str, limit: int = 10, **options: Any) -> SearchResult:
            release.wait(10)
            return super().search(text, limit, **options)

    monkeypatch.setattr(search_screen, "SPINNER_LIMIT", 0.4)
    async with live(engine=Hanging()) as (app, pilot):
        app.main.query_input.value = "ngoai"
        await wait_until(pilot, lambda: app.main.gen > 0)
        await wait_until(pilot, lambda: app.main.settled and app.main.shown_gen == app.main.gen, timeout=5)
        assert "taking too long" in app.main.message_text
        release.set()


@run_async
async def test_best_match_hits_show_k_of_n_words(live: LiveSearch) -> None:
    def partial(result: SearchResult) -> None:
        for hit in result:
            hit.matched, hit.missing = ["ngoại", "giao"], ["gì"]

    async with live(engine=ScriptedEngine(shape=partial)) as (app, pilot):
        await ask(pilot, "ngoại giao")
        head = app.main.results.prompt(0).plain.split("\n")[0]
        assert head.endswith("2/3 words")


@run_async
async def test_unknown_words_suggestion_and_rewrites_are_shown(live: LiveSearch) -> None:
    def shaped(result: SearchResult) -> None:
        result.clear()
        result.unknown = ["xyzzyq"]
        result.suggestion = "ngoại giao"
        result.rewrites = [("ngoaij", "ngoại")]

    async with live(engine=ScriptedEngine(shape=shaped)) as (app, pilot):
        screen = app.main
        await ask(pilot, "ngoaij xyzzyq")
        message = screen.message_text
        assert "Not in the index: xyzzyq" in message
        assert "type without diacritics" not in message
        info = str(screen.query_one("#query-info").visual)
        assert "searching ngoaij as ngoại" in info and "did you mean ngoại giao" in info and "Ctrl-G" in info
        app.engine.shape = None  # type: ignore[union-attr]
        await pilot.press("ctrl+g")
        await wait_until(pilot, results_for(app, "ngoại giao"))
        assert screen.results.hits


@run_async
async def test_did_you_mean_is_offered_while_the_last_word_is_typed(
    marks_index: tuple[Path, Path], live: LiveSearch
) -> None:
    async with live(on=marks_index) as (app, pilot):
        screen = app.main
        await pilot.press(*"tinh", "space", *"ban", "space", "l")
        await wait_until(pilot, results_for(app, "tinh ban l"))
        info = str(screen.query_one("#query-info").visual)
        assert "did you mean tình bạn l?" in info  # the finished words restored, the last as typed
        await pilot.press("ctrl+g")
        await wait_until(pilot, results_for(app, "tình bạn l"))
        assert screen.query_input.value == "tình bạn l"


@run_async
async def test_did_you_mean_agrees_with_the_cli_once_the_last_word_is_finished(
    shared_index: tuple[Path, Path], live: LiveSearch
) -> None:
    # Issue 22 item 16: the live search offered "ngoại giao kinh te", the CLI "ngoại giao kinh tế".
    _corpus, index = shared_index
    with Engine.open(index) as engine:
        cli = engine.search("ngoai giao kinh te").suggestion
    assert cli == "ngoại giao kinh tế"
    async with live() as (app, pilot):
        screen = app.main
        await pilot.press(*"ngoai", "space", *"giao", "space", *"kinh", "space", *"te")
        await wait_until(pilot, results_for(app, "ngoai giao kinh te"))
        assert f"did you mean {cli}?" in str(screen.query_one("#query-info").visual)
        await pilot.press("space")
        await wait_until(pilot, results_for(app, "ngoai giao kinh te "))
        assert f"did you mean {cli}?" in str(screen.query_one("#query-info").visual)
    # `search --tui "ngoai giao kinh te"`: the words came from the command line.
    async with live("ngoai giao kinh te") as (app, pilot):
        assert f"did you mean {cli}?" in str(app.main.query_one("#query-info").visual)


# -- 3. marks count while typing ----------------------------------------------------


@pytest.mark.parametrize("typed", ["tình bạn", "tình bạ"])
def test_finished_words_keep_their_marks_while_typing(marks_index: tuple[Path, Path], typed: str) -> None:
    _corpus, index = marks_index
    with Engine.open(index) as engine:
        hits = engine.search(typed, limit=5, prefix=True, budget=5)
    first = hits[0].text[slice(*hits[0].spans[0])] + " " + hits[0].text[slice(*hits[0].spans[1])]
    assert first.lower() == "tình bạn"
    assert all("tính" not in h.text for h in hits[:2])


def test_a_marked_last_word_ranks_its_exact_form_first(marks_index: tuple[Path, Path]) -> None:
    _corpus, index = marks_index
    with Engine.open(index) as engine:
        hits = engine.search("ngoại", limit=5, prefix=True, budget=5)
    assert "ngoại" in hits[0].text and "ngoài" not in hits[0].text.lower().replace("ngoài trời", "")
    assert hits[0].text != "Ở ngoài sân."


@run_async
async def test_typing_tinh_ban_shows_tinh_ban_first(marks_index: tuple[Path, Path], live: LiveSearch) -> None:
    async with live(on=marks_index) as (app, pilot):
        await pilot.press(*"tình", "space", *"bạn")
        await wait_until(pilot, results_for(app, "tình bạn"))
        assert "tình bạn" in app.main.results.prompt(0).plain.lower()


# -- 4. snippets and preview on the best cluster ------------------------------------


def test_best_cluster_prefers_the_phrase() -> None:
    text = DOCS["b.txt"].split("\n\n")[2]
    start, end = best_cluster(text, parse_query("tình bạn"))
    assert text[start:end] == "tình bạn"


@run_async
async def test_snippet_shows_the_phrase_whole_and_highlighted(marks_index: tuple[Path, Path], live: LiveSearch) -> None:
    async with live("tình bạn ", on=marks_index, size=(60, 24)) as (app, _pilot):
        results = app.main.results
        row = next(i for i, h in enumerate(results.hits) if h.path == "b.txt")
        prompt = results.prompt(row)
        body_start = prompt.plain.index("\n") + 1
        marked = [prompt.plain[s.start : s.end] for s in prompt.spans if s.start >= body_start]
        assert "tình bạn" in marked  # one span over the whole phrase, not "tình ái với bạn"


@run_async
async def test_the_preview_is_scrolled_to_the_phrase_at_80x24(marks_index: tuple[Path, Path], live: LiveSearch) -> None:
    async with live("hợp tác quốc tế", on=marks_index, size=(80, 24)) as (app, pilot):
        preview = app.main.preview
        # The paragraph is long and the phrase is at its end: the 4-line pane scrolls down to it.
        await wait_until(pilot, lambda: preview.scroll_y > 0, what="the preview to scroll to the phrase")


# -- 5. n/N step through phrase matches --------------------------------------------


def test_query_matches_ignore_single_words_and_folded_forms() -> None:
    text = "Nước ngoài và đối ngoại, Giao thông; ngoại giao và Ngoại giao"
    spans = query_matches(text, parse_query("ngoại giao"))
    assert [text[s:e] for s, e in spans] == ["ngoại giao", "Ngoại giao"]
    assert [text[s:e] for s, e in query_matches(text, parse_query("ngoai giao"))] == ["ngoại giao", "Ngoại giao"]


@run_async
async def test_n_counts_phrase_matches_only(live: LiveSearch) -> None:
    async with live("ngoại giao") as (app, pilot):
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DocumentScreen) and app.screen.loaded)
        doc: DocumentScreen = app.screen  # type: ignore[assignment]
        for i, start, end in doc.matches:
            assert doc.paragraphs[i].text[start:end].lower() == "ngoại giao"
        await pilot.press("n")
        i, start, end = doc.matches[doc.current or 0]
        rendered = doc._render_para(i)
        current = [s for s in rendered.spans if "reverse" in str(s.style)]
        assert [(s.start, s.end) for s in current] == [(start, end)]  # the whole phrase is the current match


# -- 6. no fixed debounce ---------------------------------------------------------


@run_async
async def test_fast_searches_start_at_the_keystroke(live: LiveSearch) -> None:
    async with live(engine=ScriptedEngine()) as (app, pilot):
        screen = app.main
        # Each search started, with whether a debounce timer was still pending when it did:
        # started by the keystroke itself, none was; started by the timer, its own was.
        started: list[tuple[str, bool]] = []
        start = screen.start_search

        def spy(*args: Any, **options: Any) -> None:
            started.append((screen.query_input.value, screen._debounce is not None))
            start(*args, **options)

        screen.start_search = spy
        assert screen.live.debounce_delay() == 0
        await pilot.press("n")
        await wait_until(pilot, results_for(app, "n"))
        assert started == [("n", False)]  # fast searches: no timer, the keystroke started it
        screen.live.recent = 0.2  # slow searches: a short debounce, bounded
        assert 0 < screen.live.debounce_delay() <= scheduling.MAX_DEBOUNCE
        await pilot.press("g")
        await wait_until(pilot, results_for(app, "ng"))
        assert started == [("n", False), ("ng", True)]  # slow ones: the debounce timer started it


def hits_of(result: SearchResult) -> list[Hit]:
    return list(result)


# -- editing keys -----------------------------------------------------------------


@run_async
async def test_up_walks_back_through_the_history_one_query_at_a_time(
    shared_index: tuple[Path, Path], live: LiveSearch
) -> None:
    from searcher.tui.history import History

    _corpus, index = shared_index
    for query in ["kinh tế", "hòa bình", "ngoại giao"]:
        History(index).add(query)
    async with live() as (app, pilot):
        screen = app.main
        seen = []
        for _ in range(3):
            await pilot.press("up")
            seen.append(screen.query_input.value)
            await wait_until(pilot, results_for(app, seen[-1]))
        assert seen == ["ngoại giao", "hòa bình", "kinh tế"]
        # Once the query is edited, ↑ moves in the results again.
        await pilot.press("end", "space", "x", "backspace", "backspace")
        await wait_until(pilot, results_for(app, "kinh tế"))
        await pilot.press("down", "up")
        assert screen.query_input.value == "kinh tế"


# -- totals, more hits, grouping, palette, settings, narrow status ---------------------


@run_async
async def test_scrolling_past_the_last_hit_loads_more(live: LiveSearch) -> None:
    async with live(engine=FixedEngine()) as (app, pilot):
        screen = app.main
        await ask(pilot, "giao")
        assert len(screen.results.hits) == scheduling.RESULT_LIMIT
        assert screen.query_one("#results-pane").border_title == f"{scheduling.RESULT_LIMIT}+ hits"
        await pilot.press("ctrl+end")
        await pilot.press("down")
        await wait_until(pilot, lambda: len(screen.results.hits) > scheduling.RESULT_LIMIT, what="more hits")
        assert screen.results.highlighted >= scheduling.RESULT_LIMIT - 1  # the selection stayed at the end


@run_async
async def test_grouping_by_file_toggles_and_is_remembered(data_home: Path, live: LiveSearch) -> None:
    from searcher.tui.settings import Settings

    async with live(engine=FixedEngine()) as (app, pilot):
        screen = app.main
        await ask(pilot, "ngoại giao")
        every = len(screen.results.hits)
        await pilot.press("f2")
        paths = [h.path for h in screen.results.hits]
        assert len(paths) == len(set(paths)) < every  # one row per file
        assert "more" in screen.results.prompt(0).plain.split("\n")[0]
        app.theme = "textual-light"
        await wait_until(pilot, lambda: Settings.load().theme == "textual-light", what="the theme saved")
    settings = Settings.load()
    assert settings.group_by_file is True and settings.theme == "textual-light"
    async with live(engine=FixedEngine()) as (app, pilot):
        await ask(pilot, "ngoại giao")
        assert app.theme == "textual-light" and app.main.results.grouped


@run_async
async def test_command_palette_has_the_apps_commands(live: LiveSearch) -> None:
    async with live(engine=FixedEngine()) as (app, pilot):
        await ask(pilot, "ngoại giao")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for wanted in ("Re-index", "History", "Group by file", "Copy path:line", "Open in editor"):
            assert wanted in titles
        assert any("theme" in t.lower() for t in titles)


@run_async
async def test_narrow_status_keeps_the_hit_count_and_time(live: LiveSearch) -> None:
    async with live(engine=FixedEngine(), clock=lambda: 1e10, size=(60, 20)) as (app, pilot):
        await ask(pilot, "ngoại giao")
        left = app.main.query_one("#status-left")
        assert left.size.width >= 16
        text = app.main.status.left_text
        assert "hits" in text and "ms" in text


class BigIndexStats(FixedEngine):
    """The statistics of the folder of issue 22 (1,035 files), built four minutes before ``clock``."""

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "paragraphs": 123_653, "files": 1_035, "bytes": 312_500_000}


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (60, 20)])
@run_async
async def test_the_status_line_always_shows_the_index_age(size: tuple[int, int], live: LiveSearch) -> None:
    from textual.geometry import Region

    async with live(engine=BigIndexStats(), clock=lambda: BUILT + 240, size=size) as (app, pilot):
        await ask(pilot, "ngoại giao")
        right = app.main.query_one("#status-right")
        await wait_until(pilot, lambda: right.size.width > 0 and "built" in app.main.status.right_text)

        def shown() -> str:
            return right.render_lines(Region(0, 0, right.size.width, 1))[0].text.strip()

        assert shown().endswith("built 4 min ago") and "…" not in shown(), shown()
        if size[0] >= 80:
            assert shown().startswith(("1,035 files", "123,653 paragraphs")), shown()
        left = app.main.status.left_text
        assert left.startswith("50+ hits") and "ms" in left  # the search's own account keeps its place
        assert app.main.query_one("#status-left").size.width >= 16


@run_async
async def test_a_long_document_is_read_in_a_worker_and_shown_as_a_window(tmp_path: Path, live: LiveSearch) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    body = "\n\n".join(f"Đoạn {i}: chuyện ngoại giao và kinh tế số {i}." for i in range(6000))
    (corpus / "long.txt").write_text("Tài liệu dài\n\n" + body + "\n", encoding="utf-8")
    build_index(corpus, tmp_path / "index", parallel=False)
    async with live("kinh tế số 5000", on=(corpus, tmp_path / "index"), timeout=10) as (app, pilot):
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DocumentScreen))
        doc: DocumentScreen = app.screen  # type: ignore[assignment]
        assert doc.loaded or doc.query("#doc-loading")  # composed before the file is read
        await wait_until(pilot, lambda: doc.loaded, timeout=20)
        assert len(doc.paragraphs) >= 6000
        assert len(doc.query(".para")) <= document_screen.MAX_MOUNTED
        assert "shown" in doc.notice and doc.paragraphs[doc.hit_index].text.startswith("Đoạn 5000:")


@run_async
async def test_a_long_document_finds_matches_in_its_window_only_and_n_stays_quick(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, live: LiveSearch
) -> None:
    """The cost of opening a document must not grow with the file (a 50 MB file has tens of
    thousands of paragraphs): matches are looked for in the window shown, and n/N restyle
    two paragraphs without laying out the window again."""
    from textual.widgets import Static

    from searcher.tui import document_screen

    monkeypatch.setattr(document_screen, "MAX_MOUNTED", 200)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    body = "\n\n".join(f"Đoạn {i}: chuyện ngoại giao và kinh tế số {i}." for i in range(3000))
    (corpus / "long.txt").write_text("Tài liệu dài\n\n" + body + "\n", encoding="utf-8")
    build_index(corpus, tmp_path / "index", parallel=False)
    looked_at: list[str] = []
    spans = document_screen.phrase_spans
    monkeypatch.setattr(document_screen, "phrase_spans", lambda text, query: looked_at.append(text) or spans(text, query))
    async with live("ngoại giao và kinh tế", on=(corpus, tmp_path / "index"), timeout=10) as (app, pilot):
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DocumentScreen))
        doc: DocumentScreen = app.screen  # type: ignore[assignment]
        await wait_until(pilot, lambda: doc.loaded, timeout=20)
        assert len(doc.paragraphs) > 3000
        assert len(looked_at) <= 200 + 5  # the window (and the title), not the 3,000 paragraphs
        assert 0 < len(doc.matches) <= 200  # in the window only
        layouts: list[str] = []
        refresh = Static.refresh

        def counting(self, *regions, **options):  # type: ignore[no-untyped-def]
            if options.get("layout") and ("para" in self.classes or self.id == "doc-header"):
                layouts.append(str(self.id))
            return refresh(self, *regions, **options)

        monkeypatch.setattr(Static, "refresh", counting)
        before = doc.current
        await pilot.press("n")
        await pilot.pause()
        assert doc.current == (before or 0) + 1
        assert f"match {doc.current + 1}/" in str(doc.query_one("#doc-header", Static).visual)
        assert not layouts  # restyling a match and its count lays nothing out


@run_async
async def test_a_full_live_pass_reads_as_a_lower_bound(live: LiveSearch) -> None:
    """The live pass asks for a screenful: when it fills it, the title says "8+ hits…",
    never "8 hits…" (which reads as all there is)."""
    async with live(engine=FixedEngine(), size=(80, 24)) as (app, pilot):
        screen = app.main
        await ask(pilot, "và")
        result = screen.result
        assert result is not None and len(result) > screen.live_limit()
        del result[screen.live_limit():]
        result.complete = True
        screen.settled = False  # as between the live pass and the fuller one
        assert screen._results_title(result) == f"{screen.live_limit()}+ hits…"


@run_async
async def test_while_typing_the_preview_never_shows_an_earlier_querys_paragraph(
    monkeypatch: pytest.MonkeyPatch, live: LiveSearch
) -> None:
    monkeypatch.setattr(search_screen, "CONTEXT_DELAY", 1.0)  # the pilot types slower than a person
    async with live() as (app, pilot):
        screen = app.main
        await pilot.press(*"hoa")  # its top hit is not the top hit of "hoa binh"
        await wait_until(pilot, results_for(app, "hoa"))
        await wait_until(pilot, lambda: not screen.preview.waiting, what="the preview")
        assert screen.preview.border_subtitle
        # Whenever hits are shown, the preview beside them shows the selected one or nothing
        # (while typing goes on it waits for a pause, blank): never the 'hoa' hit beside
        # the 'hoa binh' hits.  Checked at each outcome, so a slow machine cannot skip it.
        seen: list[tuple[str, str, str]] = []
        settle = screen._settle_view

        def spy(result: SearchResult, text: str) -> None:
            settle(result, text)
            hit = screen.results.selected_hit
            seen.append((text, str(screen.preview.border_subtitle), f"{hit.path}:{hit.line}" if hit else ""))

        monkeypatch.setattr(screen, "_settle_view", spy)
        await pilot.press("space", *"binh")
        await wait_until(pilot, results_for(app, "hoa binh"))
        assert any(text == "hoa binh" for text, _, _ in seen)
        assert all(shown in ("", selected) for _, shown, selected in seen), seen
        await wait_until(pilot, lambda: not screen.preview.waiting, what="the preview")
        hit = screen.results.selected_hit
        assert screen.preview.border_subtitle == f"{hit.path}:{hit.line}"


class SlowFirstSearch:
    """Wraps a real engine; its first search takes ``delay`` seconds (as on a loaded machine)."""

    def __init__(self, engine: Engine, delay: float) -> None:
        self.engine = engine
        self.delay = delay
        self.searches = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def search(self, text: str, **options: Any) -> SearchResult:
        self.searches += 1
        if self.searches == 1 and self.delay:
            import time

            time.sleep(self.delay)
        return self.engine.search(text, **options)


def record_preview_loads(screen: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, str]]:
    """Spy on the screen's preview: (when, for which query) each hit's document starts loading."""
    import time

    loads: list[tuple[float, str]] = []
    load = screen.preview._load_context

    def spy(hit: Hit, *args: Any) -> Any:
        loads.append((time.perf_counter(), screen.result_text))
        return load(hit, *args)

    monkeypatch.setattr(screen.preview, "_load_context", spy)
    return loads


@pytest.mark.parametrize("search_delay", [0.0, 1.2], ids=["idle", "loaded"])
@run_async
async def test_the_first_keystroke_does_not_load_the_preview_at_once(
    shared_index: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, search_delay: float, live: LiveSearch
) -> None:
    # The preview reads the hit's document in a thread: right after the first letter of a
    # query it would slow the search of the second one.  It waits for a pause.  What is
    # checked is when the document was asked for, measured from the keystroke, so a slow
    # machine (the "loaded" case: a search slower than the pause) can only make it later.
    monkeypatch.setattr(search_screen, "CONTEXT_DELAY", 1.0)
    _corpus, index = shared_index
    async with live(engine=SlowFirstSearch(Engine.open(index), search_delay), on=shared_index) as (app, pilot):
        screen = app.main
        loads = record_preview_loads(screen, monkeypatch)
        await pilot.press("k")
        typed_at = screen._typed_at
        await wait_until(pilot, results_for(app, "k"))
        if not loads:
            assert screen.preview.border_subtitle == ""  # blank meanwhile, not an older paragraph
        await wait_until(pilot, lambda: bool(loads), what="the preview")
        assert loads[0][0] - typed_at >= search_screen.CONTEXT_DELAY
        hit = screen.results.selected_hit
        await wait_until(pilot, lambda: screen.preview.border_subtitle == f"{hit.path}:{hit.line}", what="its location")


@run_async
async def test_a_query_set_whole_is_previewed_at_once(monkeypatch: pytest.MonkeyPatch, live: LiveSearch) -> None:
    # A recalled query or a paste is no typing: its preview follows its hits a frame later,
    # without waiting for a pause (set far beyond this test's timeouts).
    monkeypatch.setattr(search_screen, "CONTEXT_DELAY", 600.0)
    async with live() as (app, pilot):
        screen = app.main
        screen._typed_at = -1e9  # nothing typed for ages (perf_counter may start near 0)
        before = screen.gen
        screen.set_query("ngoai giao")
        await wait_until(pilot, lambda: screen.gen > before, what="the change to arrive")
        await wait_until(pilot, results_for(app, "ngoai giao"))
        hit = screen.results.selected_hit
        await wait_until(pilot, lambda: screen.preview.border_subtitle == f"{hit.path}:{hit.line}", what="the preview")


@run_async
async def test_the_preview_follows_the_selection_once_typing_pauses(live: LiveSearch) -> None:
    async with live() as (app, pilot):
        screen = app.main
        for query in ("kinh", "ngoai giao"):
            await pilot.press("ctrl+u", *[" " if c == " " else c for c in query])
            await wait_until(pilot, results_for(app, query))
            await wait_until(pilot, lambda: not screen.preview.waiting, what="the preview")
            hit = screen.results.selected_hit
            assert screen.preview.border_subtitle == f"{hit.path}:{hit.line}"


# -- borders in a 256-colour terminal ---------------------------------------------------


@run_async
async def test_pane_borders_stay_visible_in_a_256_colour_terminal(live: LiveSearch) -> None:
    """An unfocused pane's border must not take its background's colour once the terminal
    rounds true colour to its 256-colour palette (TERM=xterm-256color, no COLORTERM)."""
    from rich.color import ColorSystem
    from textual.geometry import Region

    async with live("ngoại giao", engine=FixedEngine(), size=(80, 24)) as (app, pilot):
        screen = app.main
        assert screen.query_input.has_focus  # both panes unfocused
        collapsed = []
        for theme in sorted(app.available_themes):
            app.theme = theme
            await pilot.pause()
            for pane in ("#results-pane", "#preview"):
                widget = screen.query_one(pane)
                top = widget.render_lines(Region(0, 0, widget.size.width, 1))[0]
                corner = next(segment for segment in top if segment.text.strip())
                fg, bg = corner.style.color, corner.style.bgcolor
                if fg is None or fg.is_default:
                    continue  # the terminal's own foreground: visible on any background
                fg8 = fg.downgrade(ColorSystem.EIGHT_BIT)
                bg8 = bg.downgrade(ColorSystem.EIGHT_BIT) if bg is not None and not bg.is_default else None
                if bg8 is not None and fg8.number == bg8.number:
                    collapsed.append(f"{theme} {pane}: colour {fg8.number} on {bg8.number}")
        assert not collapsed, collapsed
