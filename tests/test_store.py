"""The on-disk index (searcher.index.store): the schema version, the build lock, publishing generations.

Damaged and outdated indexes as the commands report them: test_robust_index.py.
"""

from __future__ import annotations

import threading
import time

import pytest

from searcher.errors import IndexBusy, IndexMissing
from searcher.index.store import SCHEMA_VERSION, IndexLocation, build_lock, make_schema

# The fields of schema version 1, as the first release wrote them (commit b8c3a4c).
V1_FIELDS = {"kind", "path", "line", "ordinal", "title", "text", "info", "exact", "folded", "pairs"}

# The schema's fields for each SCHEMA_VERSION released so far.  Changing the fields without
# bumping SCHEMA_VERSION makes old indexes look current (the bug of commit 540aba2, where
# 'xpairs' arrived under version 1 and search-index then crashed on every existing index).
# (A version may also change only what the terms mean: 3 has the fields of 2, but
# exact keys with a '~' tone separator, Ð read as Đ, and no mark-only tokens.)
KNOWN_SCHEMAS = {
    1: V1_FIELDS,
    2: V1_FIELDS | {"xpairs", "column"},
    3: V1_FIELDS | {"xpairs", "column"},
    4: V1_FIELDS | {"xpairs", "column", "pid", "page", "chapter"},
    # 5: the fields of 4; exact, folded and pair terms spell final i/y one way (iy_variant: kỹ = kĩ).
    5: V1_FIELDS | {"xpairs", "column", "pid", "page", "chapter"},
    # 6: no xpairs; exact and folded without positions (issue 12: a lean index).
    6: V1_FIELDS | {"column", "pid", "page", "chapter"},
    # 7: the term fields only in the best-match arrays (issue 12: Whoosh keeps the paragraphs).
    7: (V1_FIELDS - {"exact", "folded", "pairs"}) | {"column", "pid", "page", "chapter"},
    # 8: the term fields are Whoosh fields again, their postings arrays of searcher.index.codec (issue 20),
    # and where a spreadsheet row, a slide or a scanned page is (issue 23).
    8: V1_FIELDS | {"column", "pid", "page", "chapter", "sheet", "cell", "slide", "ocr"},
}


def test_schema_version_changes_with_the_schema():
    fields = set(make_schema().names())
    # The current fields must be those recorded for the current version: adding
    # a field means bumping SCHEMA_VERSION and recording it here.
    assert max(KNOWN_SCHEMAS) == SCHEMA_VERSION
    assert fields == KNOWN_SCHEMAS[SCHEMA_VERSION]


def test_build_lock_is_exclusive_and_waits_as_long_as_asked(tmp_path):
    index = tmp_path / "index"
    with build_lock(index):
        assert (index / ".lock").read_text().strip().isdigit()  # the holder's pid, for people and tests
        started = time.monotonic()
        with pytest.raises(IndexBusy, match="another search-index"), build_lock(index, wait=0.3):
            pass
        assert 0.25 <= time.monotonic() - started < 3
    with build_lock(index, wait=0):  # released: free at once
        pass


def test_build_lock_is_taken_as_soon_as_it_is_released(tmp_path):
    index = tmp_path / "index"
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with build_lock(index):
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        threading.Timer(0.3, release.set).start()
        started = time.monotonic()
        with build_lock(index, wait=10):
            waited = time.monotonic() - started
    finally:
        release.set()
        holder.join(10)
    assert 0.2 <= waited < 5


def test_publish_swaps_generations_and_keeps_only_the_previous_one(tmp_path, make_corpus):
    corpus = make_corpus({"a.txt": "Tiêu đề\n\nnội dung\n"})
    location = IndexLocation(tmp_path / "index")
    with pytest.raises(IndexMissing):
        location.current()
    names = []
    for _ in range(3):
        generation = location.new_generation(corpus)
        assert location.current_name() == (names[-1] if names else None)  # not live until published
        location.publish(generation)
        names.append(generation.name)
        assert location.current().name == generation.name
    assert sorted(p.name for p in (tmp_path / "index").glob("gen-*")) == sorted(names[-2:])
