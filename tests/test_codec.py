"""The array codec: a Whoosh index that plain Whoosh opens and searches, one store, merges that compact."""

from __future__ import annotations

from pathlib import Path

from searcher.index import whoosh_patches
from searcher.index.codec import POSTINGS_EXT, segment_arrays
from tests.index_support import add_paragraphs, open_index

TEXTS = [
    "Ngoại giao kinh tế được đẩy mạnh",
    "Ngoài giao thông, kinh tế vĩ mô",
    "Đà Nẵng đón khách quốc tế",
]


def test_plain_whoosh_opens_the_built_index_and_finds_folded_words(bundled) -> None:
    import whoosh.index
    from whoosh.qparser import QueryParser

    generation = next(bundled.index.glob("gen-*"))
    ix = whoosh.index.open_dir(str(generation))
    with ix.searcher() as searcher:
        query = QueryParser("folded", ix.schema).parse("NGOẠI giao")
        texts = [hit["text"] for hit in searcher.search(query, limit=None)]
        assert texts and all("ngoại giao" in t.lower() or "ngoài giao" in t.lower() for t in texts[:5])
        exact = QueryParser("exact", ix.schema).parse("ngoại")
        assert all("ngoại" in hit["text"].lower() for hit in searcher.search(exact, limit=20))
        pair = QueryParser("pairs", ix.schema).parse("kinh_te")
        assert len(searcher.search(pair, limit=None)) > 0


def test_no_postings_outside_whoosh_segments(bundled) -> None:
    generation = next(bundled.index.glob("gen-*"))
    names = [p.name for p in generation.iterdir()]
    assert not [p for p in generation.rglob("*") if p.is_dir()]  # no part folders
    assert not [n for n in names if n.endswith((".npy", ".json")) and n != "searcher.json"]
    segments = {n.split(".")[0] for n in names if n.startswith("MAIN_") and n != "MAIN_WRITELOCK"}
    assert segments and all(f"{s}{POSTINGS_EXT}" in names for s in segments)


def test_a_merge_concatenates_the_arrays_and_drops_deleted_paragraphs(tmp_path: Path) -> None:
    from searcher.index.codec import merge_small

    ix = open_index(tmp_path)
    for n in range(8):  # small segments, so that Whoosh's policy merges them
        add_paragraphs(ix, TEXTS, first_pid=n * 3, path=f"{n}.txt", merge=False)
    writer = whoosh_patches.writer(ix)
    writer.delete_by_term("path", "0.txt")
    writer.commit(mergetype=merge_small)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        assert len(list(reader.leaf_readers())) < 8
        assert not reader.has_deletions()
        counts = [len(segment_arrays(leaf).lengths) for leaf, _ in reader.leaf_readers()]
        assert sum(counts) == 21
        from whoosh.query import Term

        found = {searcher.stored_fields(d)["path"] for d in searcher.docs_for_query(Term("folded", "ngoai"))}
        assert found == {f"{n}.txt" for n in range(1, 8)}


def test_a_segment_mostly_deleted_is_rewritten_without_its_dead(tmp_path: Path) -> None:
    from searcher.index.codec import merge_small

    ix = open_index(tmp_path)
    add_paragraphs(ix, TEXTS * 20, path="big.txt")  # one large segment, never "small"
    for n in range(3):
        add_paragraphs(ix, TEXTS, first_pid=100 + 3 * n, path=f"{n}.txt", merge=False)
    writer = whoosh_patches.writer(ix)
    writer.delete_by_term("path", "big.txt")
    writer.commit(mergetype=merge_small)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        assert not reader.has_deletions()
        assert reader.doc_count_all() == 9
