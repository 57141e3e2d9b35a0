"""Opening a hit: the editor at the line for text formats, a PDF viewer at the page, xdg-open otherwise."""

from __future__ import annotations

from searcher.opener import open_command, pdf_viewer_command


def test_text_formats_open_in_the_editor_at_the_line() -> None:
    # $VISUAL/$EDITOR run the way git runs them: through sh -c, so arguments and quotes work.
    for name in ("a.txt", "b.md", "c.HTML"):
        assert open_command(name, 7, environ={"EDITOR": "nano"}) == ["sh", "-c", 'nano "$@"', "nano", "+7", name]
    assert open_command("a.txt", 7, environ={})[2:] == ['vi "$@"', "vi", "+7", "a.txt"]
    assert open_command("a.txt", 3, environ={"EDITOR": "nano", "VISUAL": "code -w"})[2:] == ['code -w "$@"', "code -w", "+3", "a.txt"]


def test_pdf_opens_at_the_page() -> None:
    env = {"SEARCHER_PDF_VIEWER": "zathura --page {page} '{file}'"}
    assert open_command("báo cáo.pdf", 3, page=12, environ=env) == ["zathura", "--page", "12", "báo cáo.pdf"]
    assert open_command("r.pdf", 3, page=2, environ={"SEARCHER_PDF_VIEWER": "mupdf"}) == ["mupdf", "r.pdf"]
    found = {"okular"}
    assert pdf_viewer_command("r.pdf", 5, {}, which=lambda p: p if p in found else None) == ["okular", "-p", "5", "r.pdf"]
    found = {"zathura", "okular"}
    assert pdf_viewer_command("r.pdf", 5, {}, which=lambda p: p if p in found else None) == ["zathura", "--page", "5", "r.pdf"]
    assert pdf_viewer_command("r.pdf", 5, {}, which=lambda p: None) == ["xdg-open", "r.pdf"]


def test_other_formats_open_with_the_desktop_opener() -> None:
    for name in ("a.docx", "b.odt", "c.epub"):
        assert open_command(name, 4, environ={"EDITOR": "nano"}) == ["xdg-open", name]


def test_a_scanned_pdf_page_opens_at_its_page_and_other_scans_and_office_files_with_the_opener() -> None:
    env = {"SEARCHER_PDF_VIEWER": "zathura --page {page} {file}"}
    assert open_command("quyết định.pdf", 1, page=2, environ=env) == ["zathura", "--page", "2", "quyết định.pdf"]
    # A page of a multi-page TIFF has a page too, but no PDF viewer shows a TIFF.
    for name in ("scan.tif", "ảnh.png", "bảng.xlsx", "slides.pptx", "cũ.doc", "cũ.ppt", "thư.rtf"):
        assert open_command(name, 7, page=2 if name.endswith(".tif") else None, environ=env) == ["xdg-open", name]


def test_searcher_opener_replaces_xdg_open() -> None:
    """Issue 22, item 21: SEARCHER_OPENER is what opens Word, OpenDocument and EPUB files."""
    from searcher.opener import desktop_command

    env = {"SEARCHER_OPENER": "libreoffice --view"}
    assert open_command("a b.docx", 4, environ=env) == ["libreoffice", "--view", "a b.docx"]
    assert desktop_command("c.epub", {"SEARCHER_OPENER": "foliate {file} --x"}) == ["foliate", "c.epub", "--x"]
    assert pdf_viewer_command("r.pdf", 5, env, which=lambda p: None) == ["libreoffice", "--view", "r.pdf"]


def test_a_missing_opener_says_what_to_install_or_set() -> None:
    from searcher.opener import missing_program_advice

    advice = missing_program_advice(["xdg-open", "a.docx"], "a.docx")
    assert "install xdg-utils" in advice and "SEARCHER_OPENER" in advice and "libreoffice" in advice
    assert "SEARCHER_PDF_VIEWER" in missing_program_advice(["zathura", "--page", "2", "r.pdf"], "r.pdf")
    assert "$EDITOR" in missing_program_advice(["sh", "-c", 'vi "$@"', "vi", "+3", "a.txt"], "a.txt")
