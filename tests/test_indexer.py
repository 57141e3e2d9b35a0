"""Building and updating the index: incremental changes, full rebuilds, bad files, schema versions.

Damaged or outdated indexes and unusable paths: test_robust_index.py; the build lock: test_robust_concurrency.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import run_cli, run_search
from searcher import Engine
from searcher.errors import CorpusError, IndexMissing, IndexOutdated
from searcher.index.build import build_index

DOCS = {
    "a.txt": "Tài liệu A\n\nalpha bravo về ngoại giao kinh tế.\n",
    "b.txt": "Tài liệu B\n\ncharlie delta về hòa bình.\n",
    "sub/c.txt": "Tài liệu C\n\necho foxtrot ở nước ngoài.\n",
}


def paths_of(engine, query):
    """The files with a paragraph that has every word of ``query`` (what an update must change)."""
    return sorted({h.path for h in run_search(engine, query, limit=100, all_words=True)})


def bump_mtime(path: Path, seconds: int = 5) -> None:
    """Move the mtime clearly forward, so the change is seen whatever the file system's granularity."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 1_000_000_000))


def generations(index: Path) -> set[str]:
    return {p.name for p in index.iterdir() if p.is_dir() and p.name.startswith("gen-")}


def live_generation(index: Path) -> str:
    return json.loads((index / "CURRENT").read_text("utf-8"))["generation"]


@pytest.fixture
def setup(tmp_path, make_corpus):
    corpus = make_corpus(DOCS, name="corpus")
    index = tmp_path / "index"
    summary = build_index(corpus, index)
    return corpus, index, summary


def test_first_build(setup):
    _, index, summary = setup
    assert summary.mode == "full"
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (3, 0, 0, 0)
    assert summary.skipped == []
    assert summary.files == 3
    assert summary.paragraphs == 6  # a title and a body paragraph per file
    with Engine.open(index) as eng:
        assert paths_of(eng, "alpha") == ["a.txt"]
        assert paths_of(eng, "foxtrot") == ["sub/c.txt"]
        assert eng.stats()["paragraphs"] == 6
        assert eng.stats()["files"] == 3


def test_bundled_corpus_build(bundled, engine):
    from searcher.documents.corpus import iter_corpus_files, read_document

    summary = bundled.summary
    assert (summary.mode, summary.added, summary.files, summary.skipped) == ("full", 4, 4, [])
    expected = sum(len(read_document(bundled.corpus, f.path).paragraphs) for f in iter_corpus_files(bundled.corpus))
    assert summary.paragraphs == expected == engine.stats()["paragraphs"]
    # Every paragraph the reader produces is in the index, in order.
    doc = read_document(bundled.corpus, "002_0b57d89c0472e7fd.txt")
    assert [(h.line, h.text) for h in engine.document(doc.path)] == [(p.line, p.text) for p in doc.paragraphs]


def test_nothing_changed_nothing_done(setup):
    corpus, index, _ = setup
    summary = build_index(corpus, index)
    assert summary.mode == "incremental"
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (0, 0, 0, 3)
    assert summary.paragraphs_indexed == 0
    assert summary.paragraphs == 6 and summary.files == 3


def test_added_file(setup):
    corpus, index, _ = setup
    (corpus / "d.txt").write_text("Tài liệu D\n\ngolf hotel ngoại giao.\n", encoding="utf-8")
    summary = build_index(corpus, index)
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (1, 0, 0, 3)
    assert summary.paragraphs_indexed == 2
    assert summary.paragraphs == 8 and summary.files == 4
    with Engine.open(index) as eng:
        assert paths_of(eng, "golf hotel") == ["d.txt"]
        assert paths_of(eng, "ngoại giao") == ["a.txt", "d.txt"]


def test_modified_file(setup):
    corpus, index, _ = setup
    path = corpus / "a.txt"
    path.write_text("Tài liệu A\n\nindia juliett, bản mới.\n\nthêm một đoạn.\n", encoding="utf-8")
    bump_mtime(path)
    summary = build_index(corpus, index)
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (0, 1, 0, 2)
    assert summary.paragraphs_indexed == 3
    assert summary.paragraphs == 7
    with Engine.open(index) as eng:
        assert paths_of(eng, "india juliett") == ["a.txt"]
        assert paths_of(eng, "alpha") == []  # the old text is gone
        assert paths_of(eng, "bravo") == []
        # Exactly one copy of the document: no stale paragraphs left behind.
        assert [h.text for h in eng.document("a.txt")] == ["Tài liệu A", "india juliett, bản mới.", "thêm một đoạn."]


def test_modified_file_with_same_size(setup):
    corpus, index, _ = setup
    path = corpus / "b.txt"
    old = path.read_bytes()
    new = old.replace(b"charlie", b"kilo-xx")
    assert len(new) == len(old)
    path.write_bytes(new)
    bump_mtime(path)
    summary = build_index(corpus, index)
    assert summary.updated == 1
    with Engine.open(index) as eng:
        assert paths_of(eng, "kilo") == ["b.txt"]
        assert paths_of(eng, "charlie") == []


def test_touched_file_is_not_reindexed(setup):
    corpus, index, _ = setup
    bump_mtime(corpus / "b.txt")
    calls = []
    summary = build_index(corpus, index, progress=calls.append)
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (0, 0, 0, 3)
    assert summary.paragraphs_indexed == 0
    assert summary.paragraphs == 6
    assert [c.current for c in calls] == ["b.txt"]  # only the touched file was looked at (hashed)
    # The new mtime was recorded: the next run does not even hash it again.
    calls.clear()
    summary = build_index(corpus, index, progress=calls.append)
    assert summary.unchanged == 3 and calls == []
    with Engine.open(index) as eng:
        assert paths_of(eng, "charlie delta") == ["b.txt"]
        assert len(eng.document("b.txt")) == 2


def test_deleted_file(setup):
    corpus, index, _ = setup
    (corpus / "sub" / "c.txt").unlink()
    summary = build_index(corpus, index)
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (0, 0, 1, 2)
    assert summary.paragraphs == 4 and summary.files == 2
    with Engine.open(index) as eng:
        assert paths_of(eng, "foxtrot") == []
        assert paths_of(eng, "Tài liệu") == ["a.txt", "b.txt"]
        assert eng.document("sub/c.txt") == []


def test_open_engine_sees_incremental_update(setup):
    corpus, index, _ = setup
    with Engine.open(index) as eng:
        assert paths_of(eng, "lima") == []
        (corpus / "e.txt").write_text("Tài liệu E\n\nlima mike\n", encoding="utf-8")
        build_index(corpus, index)
        eng.refresh(force=True)
        assert paths_of(eng, "lima") == ["e.txt"]


# -- full rebuilds -----------------------------------------------------------


def test_full_rebuild_and_generation_garbage_collection(setup):
    corpus, index, _ = setup
    first = live_generation(index)
    summary = build_index(corpus, index, full=True)
    assert summary.mode == "full"
    assert (summary.added, summary.updated, summary.removed) == (3, 0, 0)
    second = live_generation(index)
    assert second != first
    with Engine.open(index) as eng:
        assert paths_of(eng, "alpha") == ["a.txt"]
        assert eng.backend.generation.name == second
    build_index(corpus, index, full=True)
    third = live_generation(index)
    # The generation before the live one may stay (a search may still be reading it) ...
    assert generations(index) <= {second, third}
    # ... the older one is gone.
    assert first not in generations(index)
    build_index(corpus, index, full=True)
    assert second not in generations(index)
    assert len(generations(index)) <= 2


def test_open_engine_follows_a_full_rebuild(setup):
    corpus, index, _ = setup
    with Engine.open(index) as eng:
        (corpus / "a.txt").write_text("Tài liệu A\n\nnovember oscar\n", encoding="utf-8")
        build_index(corpus, index, full=True)
        assert eng.refresh(force=True) is True
        assert paths_of(eng, "november") == ["a.txt"]
        assert paths_of(eng, "alpha") == []


def test_full_rebuild_removes_deleted_files(setup):
    corpus, index, _ = setup
    (corpus / "b.txt").unlink()
    summary = build_index(corpus, index, full=True)
    assert summary.added == 2 and summary.files == 2
    with Engine.open(index) as eng:
        assert paths_of(eng, "charlie") == []


# -- bad files -----------------------------------------------------------------


def test_unreadable_and_empty_files_are_skipped_with_reasons(tmp_path, make_corpus):
    corpus = make_corpus(
        {
            **DOCS,
            "latin1.txt": "Tiêu đề\n\nGrüße aus Köln, schöne Straße\n".encode("latin-1", errors="replace"),
            "bad.txt": b"Ngo\xe1i giao \x81\x8d\x8f kinh t\xea",
            "empty.txt": b"",
            "blank.txt": " \n\n  \n",
        },
        name="corpus",
    )
    summary = build_index(corpus, tmp_path / "index")
    skipped = {s["path"]: s["reason"] for s in summary.skipped}
    assert set(skipped) == {"latin1.txt", "bad.txt", "empty.txt", "blank.txt"}
    assert "UTF-8" in skipped["bad.txt"]
    assert "empty" in skipped["empty.txt"]
    assert summary.added == 3 and summary.files == 3
    with Engine.open(tmp_path / "index") as eng:
        assert paths_of(eng, "alpha") == ["a.txt"]
        assert paths_of(eng, "ngoai giao") == ["a.txt"]


def test_file_with_only_separator_lines_is_skipped_as_empty(tmp_path, make_corpus):
    corpus = make_corpus({**DOCS, "pipes.txt": "|\n\n||\n | \n"}, name="corpus")
    summary = build_index(corpus, tmp_path / "index")
    assert [s["path"] for s in summary.skipped] == ["pipes.txt"]
    assert "empty" in summary.skipped[0]["reason"]
    assert summary.added == 3 and summary.files == 3


def test_skipped_file_that_becomes_readable_is_added(tmp_path, make_corpus):
    corpus = make_corpus({**DOCS, "bad.txt": b"\xff\xfe\xfd garbage"}, name="corpus")
    index = tmp_path / "index"
    assert [s["path"] for s in build_index(corpus, index).skipped] == ["bad.txt"]
    (corpus / "bad.txt").write_text("Tài liệu sửa\n\npapa quebec\n", encoding="utf-8")
    bump_mtime(corpus / "bad.txt")
    summary = build_index(corpus, index)
    assert summary.skipped == []
    assert summary.added == 1
    with Engine.open(index) as eng:
        assert paths_of(eng, "papa quebec") == ["bad.txt"]


def test_file_that_becomes_unreadable_loses_its_old_paragraphs(setup):
    corpus, index, _ = setup
    (corpus / "a.txt").write_bytes(b"\xff\xfe\xfd not text any more")
    bump_mtime(corpus / "a.txt")
    summary = build_index(corpus, index)
    assert [s["path"] for s in summary.skipped] == ["a.txt"]
    with Engine.open(index) as eng:
        assert paths_of(eng, "alpha") == []


def test_links_out_of_the_folder_are_not_indexed_unless_followed(tmp_path, make_corpus):
    outside = make_corpus({"secret.txt": "Mật\n\nmatkhauzz bí mật\n"}, name="outside")
    corpus = make_corpus(DOCS, name="corpus")
    (corpus / "passwd.txt").symlink_to(outside / "secret.txt")
    index = tmp_path / "index"
    summary = build_index(corpus, index)
    assert summary.links_skipped == 1 and summary.skipped == [] and summary.files == 3
    with Engine.open(index) as eng:
        assert paths_of(eng, "matkhauzz") == []
    summary = build_index(corpus, index, follow=True)
    assert (summary.added, summary.links_skipped) == (1, 0)
    with Engine.open(index) as eng:
        assert paths_of(eng, "matkhauzz") == ["passwd.txt"]
    # Remembered by later updates (the watcher's, the live search's), until follow=False.
    summary = build_index(corpus, index)
    assert (summary.unchanged, summary.removed, summary.links_skipped) == (4, 0, 0)
    summary = build_index(corpus, index, follow=False)
    assert (summary.removed, summary.links_skipped) == (1, 1)
    with Engine.open(index) as eng:
        assert paths_of(eng, "matkhauzz") == []


def test_a_file_replaced_by_a_link_out_of_the_folder_after_listing_is_not_read(tmp_path, make_corpus):
    """The listing decides which links are read: one swapped in afterwards (a race) is not followed."""
    outside = make_corpus({"secret.txt": "Mật\n\nmatkhauzz bí mật\n"}, name="outside")
    corpus = make_corpus(DOCS, name="corpus")

    def swap(progress):
        if progress.current == "a.txt":  # b.txt was listed as a regular file: now a link to a secret
            (corpus / "b.txt").unlink()
            (corpus / "b.txt").symlink_to(outside / "secret.txt")

    summary = build_index(corpus, tmp_path / "index", progress=swap, parallel=False)
    assert summary.skipped == [{"path": "b.txt", "reason": "replaced by a symbolic link while being indexed"}]
    with Engine.open(tmp_path / "index") as eng:
        assert paths_of(eng, "matkhauzz") == []


def test_search_index_counts_the_links_it_did_not_follow(tmp_path, make_corpus, capsys):
    outside = make_corpus({"secret.txt": "Mật\n\nmatkhauzz bí mật\n"}, name="outside")
    corpus = make_corpus(DOCS, name="corpus")
    (corpus / "passwd.txt").symlink_to(outside / "secret.txt")
    (corpus / "etc").symlink_to(outside, target_is_directory=True)
    result = run_cli("search-index", ["--corpus", corpus, "--index", tmp_path / "index"], tmp_path, capsys=capsys)
    assert result.returncode == 0, result.stderr
    assert ", 2 links out of the folder not followed (--follow);" in result.stdout
    result = run_cli("search-index", ["-L", "--corpus", corpus, "--index", tmp_path / "index"], tmp_path, capsys=capsys)
    assert result.returncode == 0 and "2 added" in result.stdout and "not followed" not in result.stdout


def test_a_file_made_unreadable_is_dropped_by_an_update(setup):
    """chmod 000 changes only the ctime: a plain update must notice it, as --full does (issue 25 item 8)."""
    from robust_support import without_root_powers

    corpus, index, _ = setup
    prefix = without_root_powers()
    if prefix is None:
        pytest.skip("running as root and cannot drop CAP_DAC_OVERRIDE (no setpriv): chmod 000 would not stop reading")
    os.chmod(corpus / "a.txt", 0)
    try:
        result = run_cli("search-index", ["--corpus", corpus, "--index", index], corpus.parent, prefix=prefix)
    finally:
        os.chmod(corpus / "a.txt", 0o644)
    assert result.returncode == 0, result.stderr
    assert "search-index: warning: skipped a.txt: cannot read: Permission denied" in result.stderr
    with Engine.open(index) as eng:
        assert paths_of(eng, "alpha") == []
    summary = build_index(corpus, index)  # readable again (chmod: a new ctime): back in the index
    assert summary.added == 1
    with Engine.open(index) as eng:
        assert paths_of(eng, "alpha") == ["a.txt"]


# -- schema version ------------------------------------------------------------


def _set_schema_version(index: Path, version: int) -> None:
    meta_path = index / live_generation(index) / "searcher.json"
    meta = json.loads(meta_path.read_text("utf-8"))
    meta["schema_version"] = version
    meta_path.write_text(json.dumps(meta), encoding="utf-8")


def test_engine_open_without_index(tmp_path):
    with pytest.raises(IndexMissing):
        Engine.open(tmp_path / "nothing-here")


def test_missing_corpus_is_a_corpus_error(tmp_path):
    with pytest.raises(CorpusError) as info:
        build_index(tmp_path / "no-such-corpus", tmp_path / "index")
    assert "no-such-corpus" in str(info.value)
    assert not (tmp_path / "index").exists() or not any((tmp_path / "index").glob("gen-*"))


def test_index_inside_the_corpus_is_not_indexed(tmp_path, make_corpus):
    corpus = make_corpus(DOCS, name="corpus")
    index = corpus / "index"
    build_index(corpus, index)
    (index / "stray.txt").write_text("Stray\n\nsierra tango\n", encoding="utf-8")
    summary = build_index(corpus, index)
    assert summary.added == 0 and summary.unchanged == 3
    with Engine.open(index) as eng:
        assert paths_of(eng, "sierra") == []


# -- the build lock -------------------------------------------------------------


# -- indexes written by the previous release ----------------------------------------


def _write_v1_index(corpus: Path, index: Path) -> None:
    """Write an index exactly as the first release did: schema version 1, no later fields."""
    import hashlib

    from whoosh import index as whoosh_index
    from whoosh.analysis import SpaceSeparatedTokenizer
    from whoosh.fields import ID, STORED, TEXT, Schema

    from searcher.documents.corpus import iter_corpus_files, read_document
    from searcher.vietnamese.analysis import index_terms

    terms = SpaceSeparatedTokenizer()
    schema = Schema(
        kind=ID(stored=True), path=ID(stored=True), line=STORED(), ordinal=STORED(), title=STORED(),
        text=STORED(), info=STORED(), exact=TEXT(analyzer=terms, phrase=True),
        folded=TEXT(analyzer=terms, phrase=True), pairs=TEXT(analyzer=terms, phrase=True),
    )  # fmt: skip
    generation = index / "gen-20250101T000000-1-000001"
    generation.mkdir(parents=True)
    meta = {"format": "searcher-index", "schema_version": 1, "created": 0.0, "corpus": str(corpus.resolve())}
    (generation / "searcher.json").write_text(json.dumps(meta), encoding="utf-8")
    ix = whoosh_index.create_in(str(generation), schema)
    writer = ix.writer()
    for f in iter_corpus_files(corpus):
        doc = read_document(corpus, f.path)
        for p in doc.paragraphs:
            exact, folded, pairs = index_terms(p.text)[:3]
            writer.add_document(kind="p", path=f.path, line=p.line, ordinal=p.ordinal, title=doc.title, text=p.text, exact=exact, folded=folded, pairs=pairs)
        sha = hashlib.sha256(Path(f.abspath).read_bytes()).hexdigest()
        writer.add_document(kind="f", path=f.path, info={"size": f.size, "mtime_ns": f.mtime_ns, "sha256": sha, "paragraphs": len(doc.paragraphs)})
    writer.commit()
    ix.close()
    (index / "CURRENT").write_text(json.dumps({"generation": generation.name, "previous": None}), encoding="utf-8")


def test_search_index_upgrades_an_index_of_the_first_release(tmp_path, make_corpus, capsys):
    corpus = make_corpus(DOCS, name="corpus")
    index = tmp_path / "index"
    _write_v1_index(corpus, index)
    (corpus / "d.txt").write_text("Tài liệu D\n\nwhiskey xray ngoại giao.\n", encoding="utf-8")
    result = run_cli("search-index", ["--corpus", str(corpus), "--index", str(index), "--json"], corpus, capsys=capsys)
    code, err = result.returncode, result.stderr
    assert code == 0, err
    with Engine.open(index) as eng:
        assert paths_of(eng, "whiskey") == ["d.txt"]


def test_engine_rejects_an_index_of_the_first_release(tmp_path, make_corpus):
    # Its terms mean something else now (exact keys, pairs): searching it would rank wrongly.
    corpus = make_corpus(DOCS, name="corpus")
    index = tmp_path / "index"
    _write_v1_index(corpus, index)
    with pytest.raises(IndexOutdated) as info:
        Engine.open(index)
    message = str(info.value)
    assert "schema 1" in message and "search-index" in message and "\n" not in message


# -- documents in other formats ------------------------------------------------------


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    """One small document of each format, made here with the makers of tests/test_formats.py."""
    from searcher.vietnamese.legacy import encode_tcvn3, encode_vni
    from test_formats import PDF_PAGES, S1, S3, S4, TITLE, make_docx, make_epub, make_odt, make_pdf

    folder = tmp_path_factory.mktemp("documents")
    (folder / "a.md").write_text(f"# {TITLE}\n\n{S1}\n\n- {S3}\n", encoding="utf-8")
    (folder / "a.html").write_text(f"<html><body>\n<p>{S1}</p>\n<p>{S3}</p>\n</body></html>\n", encoding="utf-8")
    make_docx(folder / "a.docx")
    make_odt(folder / "a.odt")
    make_epub(folder / "a.epub")
    make_pdf(folder / "a.pdf", PDF_PAGES)
    (folder / "old").mkdir()
    (folder / "old" / "tcvn3.txt").write_bytes(encode_tcvn3(f"Công văn cũ\n\n{S4}\n").encode("latin-1"))
    (folder / "old" / "vni.txt").write_text(encode_vni(f"Quyết định cũ\n\n{S4}\n"), encoding="utf-8")
    index = tmp_path_factory.mktemp("documents-index") / "index"
    summary = build_index(folder, index)
    return folder, index, summary


def test_every_format_is_indexed_with_a_location_to_open(documents):
    from test_formats import S3

    _, index, summary = documents
    assert summary.skipped == [] and summary.files == 8
    with Engine.open(index) as engine:
        hits = {h.path: h for h in run_search(engine, S3, limit=20) if h.text == S3}
    assert set(hits) == {"a.md", "a.html", "a.docx", "a.odt", "a.epub", "a.pdf"}
    assert (hits["a.md"].line, hits["a.html"].line) == (5, 3)  # source lines
    assert hits["a.docx"].line == 4 and hits["a.odt"].line == 4  # paragraph numbers
    assert (hits["a.epub"].chapter, hits["a.epub"].line) == (2, 1)
    assert (hits["a.pdf"].page, hits["a.pdf"].line) == (2, 1)
    assert hits["a.pdf"].to_json()["page"] == 2 and "page" not in hits["a.md"].to_json()
    assert hits["a.pdf"].title == "Ngoại giao kinh tế"


def test_legacy_font_text_files_are_converted_and_counted(documents):
    from test_formats import S4

    _, index, summary = documents
    assert summary.converted == {"tcvn3": 1, "vni": 1}
    with Engine.open(index) as engine:
        found = {h.path: h.text for h in run_search(engine, "độc lập dân tộc", limit=20)}
        assert found["old/tcvn3.txt"].lower() == S4.lower() and found["old/vni.txt"] == S4
        titles = {h.path: h.title for h in run_search(engine, "cũ", limit=20)}
    assert titles["old/vni.txt"] == "Quyết định cũ"


def test_unchanged_documents_are_not_read_again(tmp_path, documents, monkeypatch):
    import shutil

    from searcher.documents import formats
    from test_formats import S2

    folder = tmp_path / "docs"
    shutil.copytree(documents[0], folder)
    index = tmp_path / "index"
    build_index(folder, index)
    bump_mtime(folder / "a.pdf")  # same bytes, new time: hashed, not extracted
    (folder / "a.md").write_text(f"# Mới\n\n{S2}\n", encoding="utf-8")
    (folder / "a.odt").unlink()
    extracted = []
    real_extract = formats.extract
    monkeypatch.setattr(formats, "extract", lambda path, *a, **k: extracted.append(Path(path).name) or real_extract(path, *a, **k))
    summary = build_index(folder, index)
    assert extracted == ["a.md"]
    assert (summary.updated, summary.removed, summary.unchanged) == (1, 1, 6)
    assert summary.converted == {}
    with Engine.open(index) as engine:
        assert paths_of(engine, "hòa bình ổn định") == ["a.docx", "a.epub", "a.md", "a.pdf"]


def test_hostile_documents_are_skipped_with_a_reason_and_counted(tmp_path, documents, capsys):
    import shutil

    from searcher.cli import index as index_cli
    from test_formats import CONTENT_TYPES, raw_docx, write_zip

    folder = tmp_path / "docs"
    shutil.copytree(documents[0], folder)
    pdf = (folder / "a.pdf").read_bytes()
    (folder / "truncated.pdf").write_bytes(pdf[: len(pdf) // 3])
    (folder / "login.pdf").write_text("<!DOCTYPE html><html><body>Đăng nhập</body></html>", encoding="utf-8")
    (folder / "locked.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000))
    write_zip(folder / "bomb.docx", {"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"<a>" + b" " * (40 << 20) + b"</a>"})
    secret = tmp_path / "secret.txt"
    secret.write_text("MARKER-XXE-SECRET")
    raw_docx(folder / "xxe.docx", "<w:p><w:r><w:t>&xxe;</w:t></w:r></w:p>",
             prolog=f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file://{secret}">]>')
    code = index_cli.main(["--corpus", str(folder), "--index", str(tmp_path / "index"), "--json"])
    captured = capsys.readouterr()
    assert code == 0
    summary = json.loads(captured.out)
    reasons = {s["path"]: s["reason"] for s in summary["skipped"]}
    assert set(reasons) == {"truncated.pdf", "login.pdf", "locked.docx", "bomb.docx", "xxe.docx"}
    assert "damaged" in reasons["truncated.pdf"] and reasons["login.pdf"] == "not a PDF (looks like HTML)"
    assert reasons["locked.docx"] == "encrypted" and "zip bomb" in reasons["bomb.docx"]
    assert "unsafe XML" in reasons["xxe.docx"]
    for name in reasons:
        assert f"skipped {name}: " in captured.err
    assert summary["files"] == 8  # every other file is indexed
    with Engine.open(tmp_path / "index") as engine:
        assert not run_search(engine, "MARKER XXE SECRET")
        assert len(paths_of(engine, "an ninh")) == 6


def test_a_build_removes_files_a_killed_build_left_half_written(setup):
    # A build killed inside an atomic write (CURRENT, about.json) leaves name.<pid>.tmp behind.
    corpus, index, _ = setup
    for name in ("about.json.31390.tmp", "CURRENT.31390.tmp"):
        (index / name).write_text("{", encoding="utf-8")
    generation = next(index.glob("gen-*"))
    (generation / "MAIN.tmp").mkdir()  # Whoosh's temporary storage of a writer that was killed
    (generation / "MAIN.tmp" / "abc.run").write_bytes(b"\0" * 64)
    (corpus / "a.txt").write_text("Tài liệu A\n\nmột đoạn mới\n", encoding="utf-8")
    assert build_index(corpus, index).mode == "incremental"
    assert not list(index.rglob("*.tmp"))


@pytest.mark.slow  # twelve updates of 40 files
def test_an_index_updated_many_times_answers_and_weighs_like_a_fresh_build(tmp_path, make_corpus):
    # Each update rewrites every file: without reclaiming deleted paragraphs the index grew with
    # every update, and its statistics (and so its ranking) drifted from a fresh build's.
    words = ["ngoại giao", "kinh tế", "văn hóa", "giáo dục", "thể thao", "y tế", "môi trường", "du lịch"]

    def text(n: int, round_: int) -> str:
        picked = [words[(n + round_ + k) % len(words)] for k in range(3)]
        return f"Tài liệu {n}\n\n" + "\n\n".join(f"Đoạn {k} về {w} năm {2000 + round_ + n % 7}." for k, w in enumerate(picked)) + "\n"

    corpus = make_corpus({f"{n:02d}.txt": text(n, 0) for n in range(40)})
    index = tmp_path / "index"
    build_index(corpus, index)
    for round_ in range(1, 13):
        for n in range(40):
            (corpus / f"{n:02d}.txt").write_text(text(n, round_), encoding="utf-8")
        assert build_index(corpus, index).mode == "incremental"
    fresh = tmp_path / "fresh"
    build_index(corpus, fresh, parallel=False)

    def size(folder: Path) -> int:
        return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())

    assert size(index) <= 1.5 * size(fresh)

    def peak_memory(folder: Path) -> int:
        """The peak RSS (KiB) of a process that opens the index and searches it."""
        code = (
            "import resource, sys\nfrom searcher import Engine\n"
            "e = Engine.open(sys.argv[1])\n[e.search(q, budget=30) for q in ('ngoại giao', 'kinh tế', 'du lịch')]\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
        )
        import subprocess
        import sys

        return int(subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, check=True).stdout)

    assert peak_memory(index) <= 1.5 * peak_memory(fresh)
    queries = ["ngoại giao", "kinh te", "văn hóa năm 2010", "du lịch môi trường", "giáo dục y tế thể thao"]
    with Engine.open(index) as updated, Engine.open(fresh) as rebuilt:
        for query in queries:
            a = [(h.path, h.line, round(h.score, 4)) for h in run_search(updated, query, limit=20)]
            b = [(h.path, h.line, round(h.score, 4)) for h in run_search(rebuilt, query, limit=20)]
            assert a == b, query


def test_file_counts_agree_between_builds_and_the_engine(tmp_path):
    """Issue 22, item 22: a build said 1,033 files, the next update "1,035 unchanged", the TUI 1,035.

    Every build counts the files with text as files, and the skipped ones as skipped, by name."""
    corpus = tmp_path / "docs"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text(text, encoding="utf-8")
    (corpus / "trống.txt").write_text("\n\n", encoding="utf-8")  # no text: skipped
    (corpus / "hỏng.pdf").write_bytes(b"<html>not a pdf</html>")  # skipped for its content
    index = tmp_path / "index"
    first = build_index(corpus, index)
    second = build_index(corpus, index)
    for summary in (first, second):
        assert summary.files == 3
        assert sorted(s["path"] for s in summary.skipped) == ["hỏng.pdf", "trống.txt"]
    assert second.unchanged == 3 and second.added == second.updated == 0
    bump_mtime(corpus / "trống.txt")  # same bytes, new mtime: still skipped, not "unchanged"
    third = build_index(corpus, index)
    assert (third.unchanged, sorted(s["path"] for s in third.skipped)) == (3, ["hỏng.pdf", "trống.txt"])
    with Engine.open(index) as engine:
        stats = engine.stats()
    assert (stats["files"], stats["skipped"]) == (3, 2)
