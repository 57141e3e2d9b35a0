"""Which files a search looks in (:mod:`searcher.documents.filters`): folders, rg-style globs, types."""

from __future__ import annotations

import pytest

from searcher.documents.filters import FilterError, PathFilter


def test_a_glob_keeps_and_a_bang_glob_leaves_out_as_in_rg():
    keep_md = PathFilter(globs=("*.md",))
    assert keep_md("a.md") and keep_md("deep/er/b.md") and not keep_md("c.txt")
    no_drafts = PathFilter(globs=("!nháp/**",))
    assert no_drafts("a.txt") and not no_drafts("nháp/a.txt") and no_drafts("x/nháp.txt")
    # The last glob that matches wins.
    assert PathFilter(globs=("*.md", "!old/*.md"))("new/a.md")
    assert not PathFilter(globs=("*.md", "!old/*.md"))("old/a.md")
    assert PathFilter(globs=("!old/*.md", "*.md"))("old/a.md")


def test_globs_are_relative_to_the_folder_searched():
    scoped = PathFilter(under="news", globs=("2024/**",))
    assert scoped("news/2024/a.txt") and not scoped("news/2023/a.txt") and not scoped("law/2024/a.txt")
    assert PathFilter(under="./")("anything.txt")  # the top folder is no scope


def test_types_and_types_not():
    assert PathFilter(types=("md",))("a/B.MARKDOWN") and not PathFilter(types=("md",))("a.txt")
    assert PathFilter(types=("pdf", "docx"))("x.docx")
    assert not PathFilter(types_not=("pdf",))("r.pdf") and PathFilter(types_not=("pdf",))("r.txt")
    with pytest.raises(FilterError, match=r"unknown file type 'word' .*docx"):
        PathFilter(types=("word",))


def test_filters_are_equal_by_what_they_keep():
    assert PathFilter(globs=["*.md"]) == PathFilter(globs=("*.md",))  # a list is fine: a cache key
    assert hash(PathFilter(under="a")) == hash(PathFilter(under="a/"))
    assert not PathFilter().active and PathFilter(types=("pdf",)).active


def test_every_format_the_index_reads_has_a_type() -> None:
    """`-t` must be able to name every kind of file a build reads (spreadsheets, slides, scans too)."""
    from searcher.documents.filters import FILE_TYPES
    from searcher.documents.formats import SUPPORTED_SUFFIXES

    typed = {suffix for suffixes in FILE_TYPES.values() for suffix in suffixes}
    assert set(SUPPORTED_SUFFIXES) | {".txt"} <= typed
    assert PathFilter(types=("image",))("scans/quyết định.JPG") and not PathFilter(types=("xlsx",))("a.xls")
