"""The TUI's query history (searcher.tui.history): one file per index, under XDG_DATA_HOME.

Saving and recalling history from the live-search screen: test_tui.py.
"""

from __future__ import annotations

from pathlib import Path

from searcher.tui.history import History, HistoryWalk
from tui_support import data_home  # noqa: F401  (fixture: a temporary XDG_DATA_HOME)


def test_history_file_per_index(tmp_path: Path, data_home: Path) -> None:
    a, b = History(tmp_path / "a"), History(tmp_path / "b")
    assert a.path != b.path and a.path.parent == b.path.parent == data_home / "searcher" / "history"
    assert a.path == History(str(tmp_path / "a" / ".." / "a")).path
    for query in ["one", "two", "one", "  two  ", ""]:
        a.add(query)
    assert a.entries == ["one", "two"]
    assert History(tmp_path / "a").newest_first() == ["two", "one"]
    assert History(tmp_path / "b").entries == []
    assert a.path.stat().st_mode & 0o777 == 0o600  # queries tell what the documents hold
    assert (data_home / "searcher" / "history").stat().st_mode & 0o777 == 0o700
    a.path.write_text("{not json", encoding="utf-8")
    assert History(tmp_path / "a").entries == []


def test_a_repeated_query_moves_to_the_newest_place(tmp_path: Path) -> None:
    history = History(tmp_path / "index")
    assert history.add("ngoại giao") and history.add("kinh tế")
    assert not history.add("kinh   tế")  # the newest already: nothing changes
    assert history.add("ngoại  giao")
    assert History(tmp_path / "index").newest_first() == ["ngoại giao", "kinh tế"]
    assert History(tmp_path / "index").latest() == "ngoại giao"


def test_history_keeps_the_newest_entries_only(tmp_path: Path) -> None:
    from searcher.tui.history import MAX_ENTRIES

    history = History(tmp_path / "index")
    for i in range(MAX_ENTRIES + 5):
        history.add(f"q{i}")
    kept = History(tmp_path / "index").entries
    assert len(kept) == MAX_ENTRIES
    assert kept[0] == "q5" and kept[-1] == f"q{MAX_ENTRIES + 4}"


def test_up_walks_back_one_query_at_a_time_until_the_query_is_edited() -> None:
    newest_first = ["ngoại giao", "hòa bình", "kinh tế"]
    walk = HistoryWalk()
    assert walk.walking("") and not walk.walking("kinh")  # typed text: ↑ moves in the results
    assert walk.older(newest_first, "") == "ngoại giao"
    assert walk.walking("ngoại giao")
    assert walk.older(newest_first, "ngoại giao") == "hòa bình"
    assert walk.older(newest_first, "hòa bình") == "kinh tế"
    assert walk.older(newest_first, "kinh tế") is None  # past the oldest
    assert not walk.walking("kinh tế x")  # edited
    assert walk.older(newest_first, "kinh tế x") == "ngoại giao"  # starts again from the newest
