"""Which index a command uses when none is named: the cache folder, and the search up from the current folder."""

from __future__ import annotations

import os

import pytest

from searcher.index.places import NoIndexHere, index_for, indexed_folder_above, list_indexes, resolve


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def fake_index(folder):
    """Make ``folder`` look indexed (a CURRENT file in its cache index)."""
    index = index_for(folder)
    index.mkdir(parents=True, exist_ok=True)
    (index / "CURRENT").write_text("{}")
    return index


def test_default_index_lives_in_the_cache_folder_keyed_by_the_real_path(tmp_path, cache):
    folder = tmp_path / "công văn"
    folder.mkdir()
    link = tmp_path / "link"
    link.symlink_to(folder)
    assert index_for(folder).parent == cache / "searcher" / "indexes"
    assert index_for(link) == index_for(folder) == index_for(str(folder) + "/")
    assert index_for(folder).name.startswith("công-văn-")
    assert index_for(tmp_path / "other") != index_for(folder)


def test_the_nearest_indexed_folder_above_is_found(tmp_path, cache):
    top = tmp_path / "docs"
    deep = top / "2023" / "quý 4"
    deep.mkdir(parents=True)
    assert indexed_folder_above(deep) is None
    fake_index(top)
    assert indexed_folder_above(deep) == top.resolve()
    fake_index(top / "2023")
    assert indexed_folder_above(deep) == (top / "2023").resolve()
    found = resolve(environ={}, cwd=str(deep))
    assert (found.index, found.corpus) == (str(index_for(top / "2023")), str((top / "2023").resolve()))


def test_precedence_keeps_the_quick_start_working(tmp_path, cache):
    repo = tmp_path / "repo"
    (repo / "corpus").mkdir(parents=True)
    fake_index(tmp_path)  # an indexed folder above the repository
    # ./corpus in the current folder is nearer than the folder indexed above it.
    assert (resolve(environ={}, cwd=str(repo)).index, resolve(environ={}, cwd=str(repo)).corpus) == ("index", "corpus")
    # The current folder, indexed itself, comes before its ./corpus.
    fake_index(repo)
    assert resolve(environ={}, cwd=str(repo)).index == str(index_for(repo))
    # Named things come first, in this order.
    env = {"SEARCHER_INDEX": "/e/index", "SEARCHER_CORPUS": "/e/corpus"}
    assert resolve(index="/x", environ=env, cwd=str(repo)).index == "/x"
    assert resolve(index="/x", environ=env, cwd=str(repo)).corpus == "/e/corpus"
    assert resolve(folder=str(tmp_path), environ=env, cwd=str(repo)).index == str(index_for(tmp_path))
    assert resolve(environ=env, cwd=str(repo)).index == "/e/index"
    assert (resolve(corpus="/c", environ={}, cwd=str(repo)).index, resolve(corpus="/c", environ={}, cwd=str(repo)).corpus) == ("index", "/c")


def test_nothing_found_is_a_clear_error(tmp_path, cache):
    with pytest.raises(NoIndexHere, match=r"search-index \."):
        resolve(environ={}, cwd=str(tmp_path))


def test_list_reads_what_builds_recorded(tmp_path, cache):
    from searcher.index.build import build_index

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("Tiêu đề\n\nngoại giao\n", encoding="utf-8")
    build_index(folder, index_for(folder))
    [entry] = list_indexes()
    assert entry["folder"] == str(folder.resolve()) and entry["paragraphs"] == 2 and entry["files"] == 1
    assert entry["bytes"] > 0 and entry["age_s"] < 60 and entry["exists"]
    assert oct(os.stat(index_for(folder)).st_mode & 0o777) == "0o700"
    assert oct(os.stat(cache / "searcher").st_mode & 0o777) == "0o700"


def test_C_of_a_subfolder_uses_the_index_of_the_folder_that_holds_it(tmp_path, cache):
    """Issue 22, item 8: ``-C docs/office`` beside an index of ``docs`` must not make a second index."""
    docs = tmp_path / "docs"
    (docs / "office" / "2024").mkdir(parents=True)
    fake_index(docs)
    found = resolve(folder=str(docs / "office"), environ={}, cwd=str(tmp_path))
    assert (found.index, found.corpus) == (str(index_for(docs)), str(docs.resolve()))
    # A folder indexed itself keeps its own index; one outside any index gets a new one.
    fake_index(docs / "office")
    assert resolve(folder=str(docs / "office" / "2024"), environ={}).index == str(index_for(docs / "office"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert resolve(folder=str(elsewhere), environ={}).index == str(index_for(elsewhere))


def test_C_of_a_missing_folder_names_it_not_a_corpus(tmp_path, cache):
    """Issue 22, item 20: ``-C /nonexistent`` says what the user typed, not "corpus"."""
    with pytest.raises(NoIndexHere) as caught:
        resolve(folder=str(tmp_path / "nope"), environ={})
    assert str(caught.value) == f"no such folder: {tmp_path / 'nope'}"


def test_the_scope_is_the_folder_below_the_indexed_one(tmp_path):
    from searcher.index.places import scope_under

    docs = tmp_path / "docs"
    (docs / "news" / "2024").mkdir(parents=True)
    assert scope_under(docs, docs / "news" / "2024") == "news/2024"
    assert scope_under(docs, docs) == ""
    assert scope_under(docs / "news", docs) == ""  # above the indexed folder: everything
    assert scope_under(docs, tmp_path / "elsewhere") == ""
