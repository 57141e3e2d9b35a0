"""How hits are shown (searcher.presentation): snippets, paths an editor can open, ``path:line``.

The same snippets through the commands: test_cli.py; in the TUI: test_tui.py.
"""

from __future__ import annotations

import os

import pytest

from searcher.presentation import display_path, location, make_snippet

WORDS = " ".join(f"từ{i}" for i in range(200))  # about 1000 characters, words of 3 to 5 characters


def test_short_paragraph_is_shown_whole_on_one_line():
    snippet = make_snippet("Ngoại giao\nkinh tế", [(0, 5), (11, 15)], width=320)
    assert snippet.text == "Ngoại giao kinh tế"
    assert snippet.spans == [(0, 5), (11, 15)]


def test_long_paragraph_is_cut_around_the_matches_with_ellipses():
    start = WORDS.index("từ100")
    snippet = make_snippet(WORDS, [(start, start + 5)], width=80)
    assert snippet.text.startswith("… ") and snippet.text.endswith(" …")
    assert len(snippet.text) <= 80 + 4
    (a, b), = snippet.spans
    assert snippet.text[a:b] == "từ100"


def test_cuts_fall_between_words():
    for target in ("từ7", "từ100", "từ150", "từ199"):
        start = WORDS.index(target + " ") if target != "từ199" else WORDS.index(target)
        snippet = make_snippet(WORDS, [(start, start + len(target))], width=60)
        inner = snippet.text.removeprefix("… ").removesuffix(" …")
        assert f" {inner} " in f" {WORDS} ", (target, snippet.text)


def test_start_of_the_paragraph_has_no_leading_ellipsis():
    snippet = make_snippet(WORDS, [(0, 3)], width=60)
    assert snippet.text.startswith("từ0 ") and snippet.text.endswith(" …")
    assert snippet.spans == [(0, 3)]


def test_first_word_is_never_cut():
    # A regression: a cut 1-2 characters into the first word printed "… ứ hai, …".
    text = "Thứ hai, " + WORDS
    snippet = make_snippet(text, [(9, 12)], width=len(text) - 2)
    assert snippet.text.startswith("Thứ hai, ")


def test_window_covers_the_densest_cluster_of_matches():
    spans = [(WORDS.index("từ10 "), WORDS.index("từ10 ") + 4)]
    cluster = [WORDS.index(w) for w in ("từ150 ", "từ151 ", "từ152 ")]
    spans += [(s, s + 5) for s in cluster]
    snippet = make_snippet(WORDS, spans, width=80)
    assert [snippet.text[a:b] for a, b in snippet.spans] == ["từ150", "từ151", "từ152"]


def test_display_path_is_relative_under_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inside = str(tmp_path / "corpus" / "văn bản.txt")
    assert display_path(inside) == os.path.join("corpus", "văn bản.txt")
    outside = str(tmp_path.parent / "elsewhere" / "a.txt")
    assert display_path(outside) == outside


@pytest.mark.parametrize("line", [1, 12, 40000])
def test_location_is_path_colon_line(tmp_path, monkeypatch, line):
    monkeypatch.chdir(tmp_path)
    assert location(str(tmp_path / "corpus" / "a.txt"), line) == os.path.join("corpus", "a.txt") + f":{line}"
