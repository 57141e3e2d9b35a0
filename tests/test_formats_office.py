"""Spreadsheets, slides, RTF, legacy Word and PowerPoint (searcher/documents/formats/_office.py), end to end.

The fixtures are made here (tests/office_support.py); the legacy .doc, .xls and
.ppt are small committed files.  Tests that need a tool skip without it; CI
installs them all (.ci/run).
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from conftest import run_search
from office_support import SENTENCE, TYPED, make_folder, make_xlsx
from searcher.cli.presentation import where
from searcher.documents import formats
from searcher.documents.formats import DocumentSkipped, WorkerPool, extract
from searcher.vietnamese.legacy import encode_tcvn3

pytest.importorskip("python_calamine")
pytest.importorskip("pptx")
pytest.importorskip("striprtf")

HAVE_ALL_TOOLS = all(shutil.which(tool) for tool in ("tesseract", "antiword", "soffice"))
needs_tools = pytest.mark.skipif(not HAVE_ALL_TOOLS, reason="needs tesseract, antiword and LibreOffice (see .ci/run)")


@pytest.fixture(scope="module")
def pool() -> WorkerPool:
    pool = WorkerPool(2)
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("office") / "văn bản"
    return root, make_folder(root)


@pytest.fixture(scope="module")
def built(folder: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from searcher import Engine
    from searcher.index.build import build_index

    root, _places = folder
    index = tmp_path_factory.mktemp("office-index") / "index"
    summary = build_index(root, index)
    engine = Engine.open(index)
    yield summary, engine, index
    engine.close()


@needs_tools
def test_a_sentence_in_every_format_is_found_typed_without_marks_in_its_place(built, folder) -> None:  # type: ignore[no-untyped-def]
    summary, engine, _index = built
    _root, places = folder
    assert summary.skipped == [] and summary.added == len(places)
    result = run_search(engine, TYPED, limit=20)
    found = {Path(hit.path).name: where(hit.path, hit.line, hit.page, hit.chapter, **hit.place())
             for hit in result if hit.text.startswith(SENTENCE)}
    assert found == places
    # Only the pages, sheets and slides that hold it: the filler elsewhere is not a hit.
    assert all(hit.text.startswith(SENTENCE) for hit in result)


@needs_tools
def test_json_hits_carry_sheet_cell_slide_and_ocr(built) -> None:  # type: ignore[no-untyped-def]
    _summary, engine, _index = built
    records = {Path(hit.path).name: hit.to_json() for hit in run_search(engine, TYPED, limit=20)}
    assert (records["bảng lương.xlsx"]["sheet"], records["bảng lương.xlsx"]["cell"]) == ("Lương", "B7")
    assert records["slides.pptx"]["slide"] == 3 and "ocr" not in records["slides.pptx"]
    assert records["quyết định.pdf"]["page"] == 2 and records["quyết định.pdf"]["ocr"] is True
    assert records["ảnh chụp.png"]["ocr"] is True and "page" not in records["ảnh chụp.png"]
    json.dumps(records, ensure_ascii=False)  # what --json prints


def test_spreadsheet_rows_are_paragraphs_at_their_sheet_and_first_cell(tmp_path: Path, pool: WorkerPool) -> None:
    make_xlsx(tmp_path / "bảng.xlsx")
    result = extract(tmp_path / "bảng.xlsx", pool=pool)
    rows = {(p.sheet, p.cell): p.text for p in result.paragraphs}
    assert rows[("Lương", "B7")] == f"{SENTENCE} | 12500000"  # a row's cells, a whole number as typed
    assert ("Tổng hợp", "A1") in rows and result.kind == "sheet"


def test_legacy_encodings_are_converted_in_the_new_formats(tmp_path: Path, pool: WorkerPool) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    for row, text in enumerate(["Quyết định phê duyệt dự toán", "Ủy ban nhân dân huyện", "ngân sách năm nay"], 1):
        book.active.cell(row=row, column=1, value=encode_tcvn3(text))  # typed in .VnTime: mojibake as Unicode
    book.save(tmp_path / "tcvn3.xlsx")
    result = extract(tmp_path / "tcvn3.xlsx", pool=pool)
    assert result.converted_from == "tcvn3"
    assert "dự toán" in result.paragraphs[0].text and "ngân sách" in result.paragraphs[2].text


def test_decompression_bomb_xlsx_costs_only_its_file(tmp_path: Path, pool: WorkerPool) -> None:
    make_xlsx(tmp_path / "good.xlsx")
    with zipfile.ZipFile(tmp_path / "good.xlsx") as good, zipfile.ZipFile(tmp_path / "bomb.xlsx", "w") as bomb:
        for info in good.infolist():
            bomb.writestr(info, good.read(info))
        # 300 MB of zeros in a few hundred kB: past the inflation budget and the ratio limit.
        bomb.writestr("xl/worksheets/sheet9.xml", b"\0" * (300 * 1024 * 1024), compress_type=zipfile.ZIP_DEFLATED)
    with pytest.raises(DocumentSkipped) as caught:
        extract(tmp_path / "bomb.xlsx", pool=pool)
    assert "inflate" in caught.value.reason  # "would inflate past 256 MB" or "looks like a zip bomb"
    assert SENTENCE in {p.text.split(" | ")[0] for p in extract(tmp_path / "good.xlsx", pool=pool).paragraphs}


@pytest.mark.skipif(not (shutil.which("antiword") or shutil.which("catdoc") or shutil.which("soffice")),
                    reason="needs antiword, catdoc or LibreOffice")
def test_a_corrupt_doc_costs_only_its_file_and_says_why(tmp_path: Path, pool: WorkerPool) -> None:
    legacy = Path(__file__).parent / "fixtures" / "legacy" / "legacy.doc"
    data = legacy.read_bytes()
    (tmp_path / "hỏng.doc").write_bytes(data[:512] + bytes(len(data) - 512))  # the OLE header, then nothing
    with pytest.raises(DocumentSkipped) as caught:
        extract(tmp_path / "hỏng.doc", pool=pool)
    assert caught.value.reason.startswith("damaged")
    assert SENTENCE in [p.text for p in extract(legacy, pool=pool).paragraphs]


def test_a_file_whose_content_is_another_format_is_read_as_that(tmp_path: Path, pool: WorkerPool) -> None:
    rtf = "{\\rtf1\\ansi Quy\\u7871?t \\u273?\\u7883?nh\\par}"
    (tmp_path / "cũ.doc").write_text(rtf, "ascii")  # Word's "Rich Text" saved with a .doc name
    result = extract(tmp_path / "cũ.doc", pool=pool)
    assert result.kind == "rtf" and result.paragraphs[0].text == "Quyết định"
    make_xlsx(tmp_path / "bảng.docx")  # a workbook under a Word name
    result = extract(tmp_path / "bảng.docx", pool=pool)
    assert ("Lương", "B7") in {(p.sheet, p.cell) for p in result.paragraphs}
    assert any("but is a spreadsheet" in w for w in result.warnings)
    (tmp_path / "x.xls").write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(DocumentSkipped, match="damaged"):
        extract(tmp_path / "x.xls", pool=pool)


def test_a_missing_python_reader_skips_the_file_with_the_extra_to_install(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    shadow = tmp_path / "shadow" / "python_calamine"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('hidden by the test')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "shadow"))
    make_xlsx(tmp_path / "bảng.xlsx")
    pool = WorkerPool(1)  # workers started now see the shadow package
    try:
        with pytest.raises(DocumentSkipped) as caught:
            extract(tmp_path / "bảng.xlsx", pool=pool)
    finally:
        pool.close()
    assert formats.missing_tool(caught.value.reason) == "pip install 'searcher[office]'"


def test_without_the_tools_the_build_goes_on_and_names_what_to_install(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from searcher.cli import index as index_cli
    from searcher.index.build import build_index

    root = tmp_path / "folder"
    places = make_folder(root)
    empty = tmp_path / "no-tools"
    empty.mkdir()
    formats.shutdown()  # workers started from now on see only the empty PATH
    monkeypatch.setenv("PATH", str(empty))
    index = tmp_path / "index"
    assert index_cli.main([str(root), "--index", str(index), "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    skipped = {Path(s["path"]).name: s["reason"] for s in summary["skipped"]}
    scans = {"quyết định.pdf", "ảnh chụp.png", "ảnh chụp.jpg"}
    assert set(skipped) == scans | {"legacy.doc", "legacy.ppt"}
    for name in scans:
        assert skipped[name].endswith("Tesseract OCR is not installed (apt install tesseract-ocr tesseract-ocr-vie)")
    assert formats.missing_tool(skipped["legacy.doc"]) == "apt install antiword"
    assert summary["missing_tools"]["apt install tesseract-ocr tesseract-ocr-vie"] == 3
    # Each such file is named once, on one line with the command.
    for name in skipped:
        assert sum(name in line for line in captured.err.splitlines()) == 1
    assert summary["added"] == len(places) - len(skipped)  # the rest was indexed
    if HAVE_ALL_TOOLS:
        # Once the tools are there, the next build reads the files it skipped (their bytes did not change).
        monkeypatch.undo()
        formats.shutdown()
        again = build_index(root, index)
        assert again.skipped == [] and again.missing_tools == {} and again.updated + again.added == len(skipped)


@needs_tools
def test_a_build_shows_the_pages_read_by_ocr(tmp_path: Path) -> None:
    from office_support import make_scan_pdf
    from searcher.index.build import build_index

    (tmp_path / "folder").mkdir()
    make_scan_pdf(tmp_path / "folder" / "scan.pdf")
    seen: list[str] = []
    summary = build_index(tmp_path / "folder", tmp_path / "index", progress=lambda p: seen.append(p.current))
    assert "scan.pdf: OCR page 1 of 2" in seen and "scan.pdf: OCR page 2 of 2" in seen
    assert summary.ocr_pages == 2
    assert os.path.isdir(tmp_path / "index" / "ocr-cache")


def test_a_password_protected_workbook_is_skipped_as_encrypted(tmp_path: Path, pool: WorkerPool) -> None:
    # What Excel writes for a password: an OLE2 container (not a zip) whose directory names the
    # EncryptedPackage stream.
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1016) + "EncryptedPackage".encode("utf-16-le") + bytes(2000)
    (tmp_path / "lương.xlsx").write_bytes(ole)
    with pytest.raises(DocumentSkipped, match=r"^encrypted$"):
        extract(tmp_path / "lương.xlsx", pool=pool)
