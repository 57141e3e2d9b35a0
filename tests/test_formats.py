"""Documents in real formats: each sentence comes out with a location a person can open,
and hostile files cost one file, never the build."""

from __future__ import annotations

import resource
import struct
import time
import zipfile
from pathlib import Path

import pytest

from searcher.documents.formats import (
    SUPPORTED_SUFFIXES,
    TEST_HOOKS_ENV,
    DocumentSkipped,
    Extracted,
    Limits,
    WorkerPool,
    extract,
    paragraphs_of,
)
from searcher.documents.paragraphs import Document
from searcher.vietnamese.legacy import encode_tcvn3, encode_vni

S1 = "Thủ tướng Phạm Minh Chính đánh giá cao ngành ngoại giao."
S2 = "Thứ nhất, góp phần giữ vững môi trường hòa bình, ổn định và hợp tác cho phát triển."
S3 = "Ngoại giao đã phối hợp chặt chẽ với quốc phòng, an ninh."
S4 = "Một là kiên trì đường lối độc lập dân tộc và chủ nghĩa xã hội."
TITLE = "Ngoại giao kinh tế"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.fixture(scope="module")
def pool() -> WorkerPool:
    pool = WorkerPool(size=1)
    yield pool
    pool.close()


def texts(result: Extracted) -> list[str]:
    return [p.text for p in result.paragraphs]


def find(result: Extracted, sentence: str):
    matches = [p for p in result.paragraphs if sentence in p.text]
    assert matches, f"{sentence!r} not in {texts(result)}"
    return matches[0]


# -- builders -------------------------------------------------------------------------------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)


def write_zip(path: Path, members: dict[str, bytes | str], stored_first: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        if stored_first:
            zf.writestr(zipfile.ZipInfo(stored_first), members[stored_first], compress_type=zipfile.ZIP_STORED)
        for name, data in members.items():
            if name != stored_first:
                zf.writestr(name, data)
    return path


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.core_properties.title = TITLE
    document.add_paragraph(S1)  # paragraph 1
    document.add_paragraph("")  # paragraph 2, empty: numbering still counts it
    document.add_paragraph(S2)  # paragraph 3
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = S3  # paragraph 4
    table.cell(0, 1).text = "ô thứ hai"  # paragraph 5
    section = document.sections[0]
    section.header.paragraphs[0].text = "Đầu trang: Bộ Ngoại giao"
    section.footer.paragraphs[0].text = "Chân trang: Hà Nội"
    document.save(str(path))
    return path


def raw_docx(path: Path, body_xml: str, prolog: str = "") -> Path:
    xml = f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<w:document xmlns:w="{W_NS}"><w:body>{body_xml}</w:body></w:document>'
    return write_zip(path, {"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": xml})


def odt_content(body: str, prolog: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0">'
        f"<office:body><office:text>{body}</office:text></office:body></office:document-content>"
    )


def make_odt(path: Path, body: str | None = None, prolog: str = "") -> Path:
    body = body if body is not None else (
        f"<text:h text:outline-level=\"1\">{TITLE}</text:h>"
        f"<text:p>Thủ tướng <text:span>Phạm Minh Chính</text:span> đánh<text:s/>giá cao ngành ngoại giao.</text:p>"
        f"<table:table><table:table-row><table:table-cell><text:p>{S2}</text:p></table:table-cell></table:table-row></table:table>"
        f"<text:p>{S3}<text:note><text:note-citation>1</text:note-citation><text:note-body><text:p>{S4}</text:p></text:note-body></text:note></text:p>"
    )
    styles = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-styles xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
        '<office:master-styles><style:master-page style:name="Standard"><style:header><text:p>Đầu trang ODT</text:p></style:header>'
        "</style:master-page></office:master-styles></office:document-styles>"
    )
    return write_zip(path, {
        "mimetype": "application/vnd.oasis.opendocument.text",
        "content.xml": odt_content(body, prolog),
        "styles.xml": styles,
        "META-INF/manifest.xml": '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
    }, stored_first="mimetype")


def xhtml(title: str, body: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml">'
        f"<head><title>{title}</title></head>\n<body>\n{body}\n</body></html>"
    )


def make_epub(path: Path, extra: dict[str, bytes | str] | None = None) -> Path:
    opf = (
        '<?xml version="1.0" encoding="utf-8"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
        f'<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{TITLE}</dc:title></metadata>'
        '<manifest><item id="c1" href="text/ch%201.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="c2" href="text/ch2.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="css" href="style.css" media-type="text/css"/></manifest>'
        '<spine><itemref idref="c1"/><itemref idref="c2"/></spine></package>'
    )
    members: dict[str, bytes | str] = {
        "mimetype": "application/epub+zip",
        "META-INF/container.xml": (
            '<?xml version="1.0"?><container xmlns="urn:oasis:names:tc:opendocument:xmlns:container" version="1.0">'
            '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>'
        ),
        "OEBPS/content.opf": opf,
        "OEBPS/text/ch 1.xhtml": xhtml("Chương 1", f"<h1>Chương một</h1>\n<p>{S1}</p>\n<p>{S2}</p>"),
        "OEBPS/text/ch2.xhtml": xhtml("Chương 2", f"<p>{S3}</p>\n<p>{S4}&#160;</p>"),
        "OEBPS/style.css": "p { margin: 0 }",
    }
    members.update(extra or {})
    return write_zip(path, members, stored_first="mimetype")


def make_pdf(path: Path, pages: list[list[str]], title: str = TITLE) -> Path:
    """One line of text per string, each page a list of lines (a blank string: an empty line)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVu", str(FONT)))
    pdf = canvas.Canvas(str(path))
    pdf.setTitle(title)
    for lines in pages:
        pdf.setFont("DejaVu", 11)
        y = 800
        for line in lines:
            pdf.drawString(50, y, line)
            y -= 16
        pdf.showPage()
    pdf.save()
    return path


PDF_PAGES = [
    [TITLE, "", S1, "Thứ nhất, góp phần giữ vững môi trường hòa bình, ổn định", "và hợp tác cho phát triển."],
    ["Ngoại giao đã phối hợp chặt chẽ với quốc phòng, an nin-", "h.", S4],
]


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("docs")
    (folder / "a.md").write_text(
        f"---\ntitle: bỏ qua\n---\n# {TITLE}\n\nThủ tướng **Phạm Minh Chính** đánh giá [cao](http://example.com/url-bi-bo) "
        f"ngành ngoại giao.\n\n- {S2}\n- {S3}\n\n```\n{S4}\n```\n",
        encoding="utf-8",
    )
    (folder / "a.html").write_text(
        f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{TITLE}</title>\n<script>var bi_bo = 'script';</script>\n"
        f"<style>p {{ color: red }}</style></head>\n<body>\n<nav>Trang chủ menu</nav>\n<header>Đầu trang web</header>\n"
        f"<p>Thủ tướng <b>Phạm Minh Chính</b>\nđánh giá cao ngành ngoại giao.</p>\n<ul><li>{S2}</li>\n<li>{S3}</li></ul>\n"
        f"<table><tr><td>{S4}</td></tr></table>\n<footer>Bản quyền chân trang</footer>\n</body></html>\n",
        encoding="utf-8",
    )
    make_docx(folder / "a.docx")
    make_odt(folder / "a.odt")
    make_epub(folder / "a.epub")
    make_pdf(folder / "a.pdf", PDF_PAGES)
    return folder


# -- every format ------------------------------------------------------------------------------


def test_markdown_blocks_and_source_lines(docs: Path) -> None:
    result = extract(docs / "a.md")
    assert result.title == TITLE
    assert find(result, TITLE).line == 4
    assert find(result, S1).line == 6  # emphasis and link text kept as plain text
    assert find(result, S2).line == 8 and find(result, S3).line == 9
    assert find(result, S4).line == 12  # code fences are text, at the code's line
    assert not any("http" in t or "bỏ qua" in t for t in texts(result))  # no URLs, no front matter


def test_html_visible_text_without_boilerplate(docs: Path) -> None:
    result = extract(docs / "a.html")
    assert result.title == TITLE
    assert find(result, S1).line == 8
    assert find(result, S2).line == 10 and find(result, S3).line == 11 and find(result, S4).line == 12
    joined = " ".join(texts(result))
    for boilerplate in ("bi_bo", "color", "menu", "Đầu trang web", "chân trang"):
        assert boilerplate not in joined


def test_docx_paragraphs_tables_headers_footers(docs: Path, pool: WorkerPool) -> None:
    result = extract(docs / "a.docx", pool=pool)
    assert result.kind == "docx" and result.title == TITLE
    assert (find(result, S1).line, find(result, S2).line, find(result, S3).line) == (1, 3, 4)
    assert find(result, S1).where == "paragraph 1"
    assert find(result, "Bộ Ngoại giao").part == "header"
    assert find(result, "Chân trang: Hà Nội").where == "footer, paragraph 1"


def test_odt_paragraphs_tables_notes_headers(docs: Path, pool: WorkerPool) -> None:
    result = extract(docs / "a.odt", pool=pool)
    assert result.kind == "odt"
    assert find(result, TITLE).line == 1
    assert find(result, S1).line == 2  # spans and <text:s/> spaces joined back into the sentence
    assert find(result, S2).line == 3  # a table cell
    assert find(result, S3).line == 4 and find(result, S3).text == S3  # the note is not glued on
    assert find(result, S4).line == 5  # the footnote is its own paragraph
    assert find(result, "Đầu trang ODT").part == "header"


def test_epub_chapters_and_paragraphs(docs: Path, pool: WorkerPool) -> None:
    result = extract(docs / "a.epub", pool=pool)
    assert result.kind == "epub" and result.title == TITLE
    assert (find(result, S1).chapter, find(result, S1).line) == (1, 2)
    assert (find(result, S2).chapter, find(result, S2).line) == (1, 3)
    assert (find(result, S4).chapter, find(result, S4).line) == (2, 2)
    assert find(result, S4).where == "chapter 2, paragraph 2"
    assert "p { margin" not in " ".join(texts(result))


def test_pdf_pages_lines_wraps_and_hyphens(docs: Path, pool: WorkerPool) -> None:
    result = extract(docs / "a.pdf", pool=pool)
    assert result.kind == "pdf" and result.title == TITLE
    first = find(result, S1)
    # Lines are counted as a reader sees them: the blank space is not a line.
    assert (first.page, first.line) == (1, 2)
    assert find(result, TITLE).text == TITLE  # set apart by space, though it has no full stop
    assert (find(result, S2).page, find(result, S2).line) == (1, 3)  # the hard wrap is undone
    assert (find(result, S3).page, find(result, S3).line) == (2, 1)  # "an nin-" + "h." rejoined
    assert (find(result, S4).page, find(result, S4).line) == (2, 3)
    assert find(result, S4).where == "page 2, line 3"


def test_paragraphs_of_matches_the_corpus_shape(docs: Path) -> None:
    document = Document(path="a.md", title="")
    warnings: list[str] = []
    paragraphs = list(paragraphs_of(docs / "a.md", document, warnings=warnings))
    assert document.title == TITLE
    assert [p.ordinal for p in paragraphs] == list(range(len(paragraphs)))
    assert paragraphs[1].line == 6 and paragraphs[1].text == S1
    assert ".pdf" in SUPPORTED_SUFFIXES and ".docx" in SUPPORTED_SUFFIXES


# -- legacy encodings in documents -----------------------------------------------------------


def test_legacy_fonts_are_converted_in_every_format(tmp_path: Path, pool: WorkerPool) -> None:
    sentences = [S1, S2, S3, S4]
    tcvn = [encode_tcvn3(s) for s in sentences]
    vni = [encode_vni(s) for s in sentences]
    raw_docx(tmp_path / "tcvn.docx", "".join(f'<w:p><w:r><w:t xml:space="preserve">{t}</w:t></w:r></w:p>' for t in tcvn))
    (tmp_path / "vni.html").write_text("<html><body>" + "".join(f"<p>{t}</p>" for t in vni) + "</body></html>", encoding="utf-8")
    (tmp_path / "tcvn.md").write_bytes("\n\n".join(tcvn).encode("latin-1"))  # the font's raw bytes
    make_odt(tmp_path / "vni.odt", "".join(f"<text:p>{t}</text:p>" for t in vni))
    make_pdf(tmp_path / "vni.pdf", [vni])
    for name, encoding in [("tcvn.docx", "tcvn3"), ("vni.html", "vni"), ("tcvn.md", "tcvn3"), ("vni.odt", "vni"), ("vni.pdf", "vni")]:
        result = extract(tmp_path / name, pool=pool)
        assert result.converted_from == encoding, name
        got = [p.text.lower() for p in result.paragraphs if p.part is None]
        assert got == [s.lower() for s in sentences], name


def test_french_and_plain_vietnamese_are_not_converted(docs: Path, tmp_path: Path) -> None:
    (tmp_path / "fr.md").write_text("Le café était très bon, où nous avons dîné à côté de la fenêtre.\n\nDéjà là, les élèves préféraient être à Paris.\n", encoding="utf-8")
    assert extract(tmp_path / "fr.md").converted_from is None
    assert extract(docs / "a.md").converted_from is None


# -- hostile and broken files ---------------------------------------------------------------

MB = 1024 * 1024


def patch_declared_size(path: Path, member: str, size: int) -> None:
    """Make the archive's central directory lie about a member's uncompressed size."""
    data = bytearray(path.read_bytes())
    at = 0
    while True:
        at = data.index(b"PK\x01\x02", at)
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46: at + 46 + name_len].decode() == member:
            struct.pack_into("<I", data, at + 24, size)
            break
        at += 4
    path.write_bytes(bytes(data))


def assert_skipped(path: Path, pool: WorkerPool, reason: str, limits: Limits | None = None) -> str:
    with pytest.raises(DocumentSkipped) as caught:
        extract(path, limits, pool=pool)
    assert reason in str(caught.value), str(caught.value)
    assert "\n" not in str(caught.value)
    return str(caught.value)


def assert_pool_still_works(docs: Path, pool: WorkerPool) -> None:
    assert S1 in texts(extract(docs / "a.docx", pool=pool))
    # Nothing hostile was ever inflated in this process either.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 < 512 * MB


def test_zip_bomb_docx_declared_size(tmp_path: Path, docs: Path, pool: WorkerPool) -> None:
    bomb = raw_docx(tmp_path / "bomb.docx", f"<w:p><w:r><w:t>{S1}</w:t></w:r></w:p>")
    patch_declared_size(bomb, "word/document.xml", 300 * MB)
    assert_skipped(bomb, pool, "would inflate past 256 MB")
    assert_pool_still_works(docs, pool)


def test_zip_bomb_docx_compression_ratio(tmp_path: Path, docs: Path, pool: WorkerPool) -> None:
    bomb = raw_docx(tmp_path / "ratio.docx", "<w:p><w:r><w:t>" + " " * (40 * MB) + "</w:t></w:r></w:p>")
    assert bomb.stat().st_size < MB
    assert_skipped(bomb, pool, "looks like a zip bomb: word/document.xml would inflate")
    assert_pool_still_works(docs, pool)
    assert pool.peak_rss < 512 * MB


def test_zip_bomb_epub(tmp_path: Path, docs: Path, pool: WorkerPool) -> None:
    ratio = make_epub(tmp_path / "ratio.epub", {"OEBPS/text/ch2.xhtml": xhtml("x", "<p>" + "a" * (60 * MB) + "</p>")})
    assert_skipped(ratio, pool, "looks like a zip bomb: OEBPS/text/ch2.xhtml")
    # A member that declares 1 kB but inflates to megabytes: reading stops, the file is lost.
    liar = make_epub(tmp_path / "liar.epub", {"OEBPS/text/ch2.xhtml": xhtml("x", "<p>" + S3 * 50_000 + "</p>")})
    patch_declared_size(liar, "OEBPS/text/ch2.xhtml", 1000)
    assert_skipped(liar, pool, "damaged")
    assert_pool_still_works(docs, pool)
    assert pool.peak_rss < 512 * MB


def test_billion_laughs_odt(tmp_path: Path, docs: Path, pool: WorkerPool) -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10)
    )
    bomb = make_odt(tmp_path / "laughs.odt", "<text:p>&lol9;</text:p>", prolog=f"<!DOCTYPE lolz [{entities}]>")
    assert_skipped(bomb, pool, "unsafe XML refused: content.xml")
    assert_pool_still_works(docs, pool)
    assert pool.peak_rss < 512 * MB


def test_xxe_docx_does_not_leak_a_local_file(tmp_path: Path, docs: Path, pool: WorkerPool) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("MARKER-7f3a9c")
    prolog = f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    xxe = raw_docx(tmp_path / "xxe.docx", f"<w:p><w:r><w:t>{S1} &xxe;</w:t></w:r></w:p>", prolog=prolog)
    reason = assert_skipped(xxe, pool, "unsafe XML refused")
    assert "MARKER" not in reason
    assert_pool_still_works(docs, pool)


def test_truncated_and_broken_pdfs(tmp_path: Path, docs: Path, pool: WorkerPool) -> None:
    data = (docs / "a.pdf").read_bytes()
    (tmp_path / "truncated.pdf").write_bytes(data[: len(data) // 3])
    assert_skipped(tmp_path / "truncated.pdf", pool, "damaged")
    (tmp_path / "garbage.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    assert_skipped(tmp_path / "garbage.pdf", pool, "damaged")
    assert_pool_still_works(docs, pool)


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_HOOKS_ENV, "1")


def hook_file(tmp_path: Path, action: str) -> Path:
    path = tmp_path / f"{action}.pdf"
    path.write_bytes(b"%PDF-1.7\n%SEARCHER-TEST " + action.encode() + b"\n")
    return path


def test_hanging_parser_is_killed_and_replaced(tmp_path: Path, docs: Path, pool: WorkerPool, hooks: None) -> None:
    started = pool.started
    begin = time.monotonic()
    assert_skipped(hook_file(tmp_path, "hang"), pool, "took longer than 1 s", Limits(timeout_s=1))
    assert time.monotonic() - begin < 10
    assert_pool_still_works(docs, pool)
    assert pool.started == started + 1  # one replacement, then reused


def test_crashing_and_raising_parsers_cost_one_file(tmp_path: Path, docs: Path, pool: WorkerPool, hooks: None) -> None:
    assert_skipped(hook_file(tmp_path, "crash"), pool, "parser crashed (SIGSEGV)")
    assert_pool_still_works(docs, pool)
    assert_skipped(hook_file(tmp_path, "raise"), pool, "parser crashed (RuntimeError")
    assert_pool_still_works(docs, pool)


def test_memory_limit_stops_a_greedy_parser(tmp_path: Path, docs: Path, pool: WorkerPool, hooks: None) -> None:
    assert_skipped(hook_file(tmp_path, "alloc"), pool, "would need more than 512 MB of memory")
    assert 256 * MB < pool.peak_rss < 512 * MB  # it did grab memory, and was stopped at the bound
    assert_pool_still_works(docs, pool)


def test_workers_are_reused_across_files(docs: Path) -> None:
    pool = WorkerPool(size=1)
    try:
        for _ in range(5):
            extract(docs / "a.pdf", pool=pool)
            extract(docs / "a.epub", pool=pool)
        assert pool.started == 1
    finally:
        pool.close()


def test_lying_extensions(tmp_path: Path, docs: Path, pool: WorkerPool) -> None:
    (tmp_path / "login.pdf").write_text("<!DOCTYPE html><html><body><p>Đăng nhập</p></body></html>")
    assert_skipped(tmp_path / "login.pdf", pool, "not a PDF (looks like HTML)")
    (tmp_path / "notes.docx").write_text(S1)
    assert_skipped(tmp_path / "notes.docx", pool, "not a Word document (looks like plain text)")
    (tmp_path / "report.pdf").write_bytes((docs / "a.docx").read_bytes())
    result = extract(tmp_path / "report.pdf", pool=pool)
    assert result.kind == "docx" and S1 in texts(result)
    assert any("Word document" in w for w in result.warnings)
    (tmp_path / "page.md").write_bytes((docs / "a.pdf").read_bytes())
    assert extract(tmp_path / "page.md", pool=pool).kind == "pdf"


def test_encrypted_documents(tmp_path: Path, docs: Path, pool: WorkerPool) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(docs / "a.pdf").pages:
        writer.add_page(page)
    writer.encrypt(user_password="mật khẩu", owner_password="chủ", algorithm="AES-256")
    with open(tmp_path / "locked.pdf", "wb") as out:
        writer.write(out)
    assert_skipped(tmp_path / "locked.pdf", pool, "encrypted")
    # An encrypted Word file is an OLE2 compound file, not a zip.
    (tmp_path / "locked.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000))
    assert_skipped(tmp_path / "locked.docx", pool, "encrypted")
    assert_pool_still_works(docs, pool)


def test_scanned_pdf_without_text(tmp_path: Path, pool: WorkerPool) -> None:
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(tmp_path / "scan.pdf"))
    pdf.rect(50, 50, 400, 600, fill=1)
    pdf.showPage()
    pdf.save()
    # A page with no text layer is read by OCR (tests/test_formats_office.py); a black box holds no text.
    assert_skipped(tmp_path / "scan.pdf", pool, "no text layer")


def test_large_documents_are_indexed_up_to_a_bound(tmp_path: Path, docs: Path, pool: WorkerPool) -> None:
    result = extract(docs / "a.pdf", Limits(max_pages=1), pool=pool)
    assert {p.page for p in result.paragraphs} == {1}
    assert any("first 1 of 2 pages" in w for w in result.warnings)
    (tmp_path / "long.md").write_text("\n\n".join([S1, S2, S3, S4] * 2000), encoding="utf-8")
    result = extract(tmp_path / "long.md", Limits(max_text_mb=0.05))
    assert 0 < sum(len(p.text) for p in result.paragraphs) <= 0.05 * MB
    assert any("rest was not" in w for w in result.warnings)


def test_empty_and_unsupported_files(tmp_path: Path, pool: WorkerPool) -> None:
    (tmp_path / "empty.pdf").write_bytes(b"")
    assert_skipped(tmp_path / "empty.pdf", pool, "empty file")
    (tmp_path / "x.wpd").write_text("x")
    assert_skipped(tmp_path / "x.wpd", pool, "unsupported file type")


def test_limits_are_settable_from_the_environment(monkeypatch, tmp_path):
    from searcher.documents.formats import Limits

    monkeypatch.setenv("SEARCHER_PARSE_MEMORY_MB", "300")
    monkeypatch.setenv("SEARCHER_PARSE_TIMEOUT", "2.5")
    monkeypatch.setenv("SEARCHER_PARSE_MAX_PAGES", "10")
    monkeypatch.setenv("SEARCHER_PARSE_MAX_TEXT_MB", "0")  # not positive: the default stays
    limits = Limits.from_environment()
    assert (limits.memory_mb, limits.timeout_s, limits.max_pages) == (300, 2.5, 10)
    assert limits.max_text_mb == Limits().max_text_mb
