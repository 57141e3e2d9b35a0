"""Scans read by OCR (searcher/documents/formats/_ocr.py): limits, the cache, a missing Tesseract."""

from __future__ import annotations

import shutil
import struct
import zlib
from pathlib import Path

import pytest

from office_support import FILLER, SENTENCE, make_image, make_scan_pdf, render_page
from searcher.documents import formats
from searcher.documents.formats import DocumentSkipped, Limits, WorkerPool, extract

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs tesseract (see .ci/run)")


@pytest.fixture(scope="module")
def pool() -> WorkerPool:
    pool = WorkerPool(2)
    yield pool
    pool.close()


def _png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` × ``height`` pixels, with almost no data behind it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = chunk(b"IDAT", zlib.compress(b"\0" * 1000))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + data + chunk(b"IEND", b"")


@needs_tesseract
def test_a_scan_is_read_with_its_marks(tmp_path: Path, pool: WorkerPool) -> None:
    make_image(tmp_path / "scan.png")
    result = extract(tmp_path / "scan.png", pool=pool)
    assert SENTENCE in [p.text for p in result.paragraphs]
    assert all(p.ocr for p in result.paragraphs) and result.ocr_pages == 1


def test_a_huge_declared_image_costs_only_its_file(tmp_path: Path, pool: WorkerPool) -> None:
    (tmp_path / "huge.png").write_bytes(_png_declaring(100_000, 100_000))
    with pytest.raises(DocumentSkipped) as caught:
        extract(tmp_path / "huge.png", pool=pool)
    assert "too large" in caught.value.reason
    # The worker that refused it is fine for the next file.
    if shutil.which("tesseract"):
        make_image(tmp_path / "scan.png")
        assert SENTENCE in [p.text for p in extract(tmp_path / "scan.png", pool=pool).paragraphs]


@needs_tesseract
def test_an_ocr_page_over_its_time_limit_costs_only_its_file(tmp_path: Path, pool: WorkerPool) -> None:
    make_image(tmp_path / "slow.png")
    with pytest.raises(DocumentSkipped) as caught:
        extract(tmp_path / "slow.png", Limits(ocr_page_timeout_s=0.001), pool=pool)
    assert caught.value.reason == "OCR of the image took longer than 0.001 s (SEARCHER_OCR_PAGE_TIMEOUT)"
    assert Limits.from_environment({"SEARCHER_OCR_PAGE_TIMEOUT": "7"}).ocr_page_timeout_s == 7.0
    assert SENTENCE in [p.text for p in extract(tmp_path / "slow.png", pool=pool).paragraphs]


@needs_tesseract
def test_a_two_page_scan_is_read_page_by_page(tmp_path: Path, pool: WorkerPool) -> None:
    make_scan_pdf(tmp_path / "scan.pdf")
    pages: list[tuple[int, int]] = []
    result = extract(tmp_path / "scan.pdf", pool=pool, on_page=lambda page, total: pages.append((page, total)))
    assert [(p.page, p.ocr) for p in result.paragraphs if p.text == SENTENCE] == [(2, True)]
    assert pages == [(1, 2), (2, 2)]


@needs_tesseract
def test_a_rebuild_reads_no_scan_twice(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from searcher import Engine
    from searcher.index.build import build_index

    folder = tmp_path / "folder"
    folder.mkdir()
    make_scan_pdf(folder / "scan.pdf")
    make_image(folder / "scan.jpg")
    index = tmp_path / "index"
    assert build_index(folder, index).ocr_pages == 3
    assert any((index / "ocr-cache").rglob("*.json"))  # inside the index, nowhere in HOME
    # Without Tesseract a full rebuild still has every page: it came from the cache.
    formats.shutdown()
    monkeypatch.setenv("PATH", str(tmp_path))
    summary = build_index(folder, index, full=True)
    assert summary.skipped == [] and summary.ocr_pages == 3
    with Engine.open(index) as engine:
        hits = engine.search("ngan sach huyen dong hoi", budget=30.0)
        assert {(Path(h.path).name, h.page, h.ocr) for h in hits} == {("scan.pdf", 2, True), ("scan.jpg", None, True)}
    formats.shutdown()


def test_without_tesseract_a_scan_names_the_package_to_install(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    make_image(tmp_path / "scan.png")
    make_scan_pdf(tmp_path / "scan.pdf")
    monkeypatch.setenv("PATH", str(tmp_path))
    pool = WorkerPool(1)
    try:
        for name in ("scan.png", "scan.pdf"):
            with pytest.raises(DocumentSkipped) as caught:
                extract(tmp_path / name, pool=pool)
            assert formats.missing_tool(caught.value.reason) == "apt install tesseract-ocr tesseract-ocr-vie"
    finally:
        pool.close()


@needs_tesseract
def test_each_page_of_a_multi_page_tiff_is_a_page(tmp_path: Path, pool: WorkerPool) -> None:
    first, second = render_page([FILLER[0]]), render_page([SENTENCE])
    first.save(tmp_path / "hồ sơ.tif", save_all=True, append_images=[second], dpi=(300, 300))
    result = extract(tmp_path / "hồ sơ.tif", pool=pool)
    assert [(p.page, p.text) for p in result.paragraphs] == [(1, FILLER[0]), (2, SENTENCE)]
