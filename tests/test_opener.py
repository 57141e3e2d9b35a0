"""Opening a hit: the editor at the line for text formats, a PDF viewer at the page, xdg-open otherwise."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from searcher.cli.opener import open_command, pdf_viewer_command


def test_text_formats_open_in_the_editor_at_the_line() -> None:
    # $VISUAL/$EDITOR run the way git runs them: through sh -c, so arguments and quotes work.
    for name in ("a.txt", "b.md", "c.HTML"):
        assert open_command(name, 7, environ={"EDITOR": "nano"}) == ["sh", "-c", 'nano "$@"', "nano", "+7", "./" + name]
    assert open_command("a.txt", 7, environ={})[2:] == ['vi "$@"', "vi", "+7", "./a.txt"]
    assert open_command("a.txt", 3, environ={"EDITOR": "nano", "VISUAL": "code -w"})[2:] == ['code -w "$@"', "code -w", "+3", "./a.txt"]


def test_pdf_opens_at_the_page() -> None:
    env = {"SEARCHER_PDF_VIEWER": "zathura --page {page} '{file}'"}
    assert open_command("báo cáo.pdf", 3, page=12, environ=env) == ["zathura", "--page", "12", "./báo cáo.pdf"]
    assert open_command("r.pdf", 3, page=2, environ={"SEARCHER_PDF_VIEWER": "mupdf"}) == ["mupdf", "./r.pdf"]
    found = {"okular"}
    assert pdf_viewer_command("r.pdf", 5, {}, which=lambda p: p if p in found else None) == ["okular", "-p", "5", "./r.pdf"]
    found = {"zathura", "okular"}
    assert pdf_viewer_command("r.pdf", 5, {}, which=lambda p: p if p in found else None) == ["zathura", "--page", "5", "./r.pdf"]
    assert pdf_viewer_command("r.pdf", 5, {}, which=lambda p: None) == ["xdg-open", "./r.pdf"]


def test_other_formats_open_with_the_desktop_opener() -> None:
    for name in ("a.docx", "b.odt", "c.epub"):
        assert open_command(name, 4, environ={"EDITOR": "nano"}) == ["xdg-open", "./" + name]


def test_a_scanned_pdf_page_opens_at_its_page_and_other_scans_and_office_files_with_the_opener() -> None:
    env = {"SEARCHER_PDF_VIEWER": "zathura --page {page} {file}"}
    assert open_command("quyết định.pdf", 1, page=2, environ=env) == ["zathura", "--page", "2", "./quyết định.pdf"]
    # A page of a multi-page TIFF has a page too, but no PDF viewer shows a TIFF.
    for name in ("scan.tif", "ảnh.png", "bảng.xlsx", "slides.pptx", "cũ.doc", "cũ.ppt", "thư.rtf"):
        assert open_command(name, 7, page=2 if name.endswith(".tif") else None, environ=env) == ["xdg-open", "./" + name]


def test_searcher_opener_replaces_xdg_open() -> None:
    """Issue 22, item 21: SEARCHER_OPENER is what opens Word, OpenDocument and EPUB files."""
    from searcher.cli.opener import desktop_command

    env = {"SEARCHER_OPENER": "libreoffice --view"}
    assert open_command("a b.docx", 4, environ=env) == ["libreoffice", "--view", "./a b.docx"]
    assert desktop_command("c.epub", {"SEARCHER_OPENER": "foliate {file} --x"}) == ["foliate", "./c.epub", "--x"]
    assert pdf_viewer_command("r.pdf", 5, env, which=lambda p: None) == ["libreoffice", "--view", "./r.pdf"]


def test_a_missing_opener_says_what_to_install_or_set() -> None:
    from searcher.cli.opener import missing_program_advice

    advice = missing_program_advice(["xdg-open", "a.docx"], "a.docx")
    assert "install xdg-utils" in advice and "SEARCHER_OPENER" in advice and "libreoffice" in advice
    assert "SEARCHER_PDF_VIEWER" in missing_program_advice(["zathura", "--page", "2", "r.pdf"], "r.pdf")
    assert "$EDITOR" in missing_program_advice(["sh", "-c", 'vi "$@"', "vi", "+3", "a.txt"], "a.txt")


# -- hostile file names (issue 25) ---------------------------------------------------


def _run_on_terminal(argv: list[str], cwd: Path, env: dict[str, str], keys: bytes, timeout: float = 30.0) -> tuple[int, bytes]:
    """Run ``argv`` on a pseudo-terminal, typing ``keys`` once it has drawn something (and again
    every half second, for prompts), until it exits; returns its status and what it wrote."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    out = b""
    typed_at = None
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    out += os.read(master, 65536)
                except OSError:
                    break
            if out and (typed_at is None or time.monotonic() - typed_at > 0.5):
                os.write(master, keys)
                typed_at = time.monotonic()
        if proc.poll() is None:
            proc.kill()
        return proc.wait(5), out
    finally:
        os.close(master)


@pytest.mark.parametrize("name", ["-c:!touch PWNED;.txt", "+!touch PWNED;.txt"])
def test_a_file_name_never_runs_a_command_in_vi(tmp_path: Path, name: str) -> None:
    """vi reads an argument starting with -c or + as a command: the path is handed over as ./NAME."""
    vi = shutil.which("vi")
    if vi is None:
        pytest.skip("no vi on this machine (apt-get install vim-tiny; .ci/run installs it)")
    (tmp_path / name).write_text("T\n\nquynhonmarker\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("EDITOR", "VISUAL", "VIMINIT", "EXINIT")}
    env.update(HOME=str(tmp_path), TERM="xterm")
    argv = open_command(name, 3, environ=env)
    status, out = _run_on_terminal(argv, tmp_path, env, b"\x1b:qa!\r")
    assert not (tmp_path / "PWNED").exists(), "vi ran a command taken from the file name"
    assert status == 0, out[-500:]
    assert argv[-1] == "./" + name
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [name]


def test_a_file_name_never_reads_as_a_viewer_option(tmp_path: Path) -> None:
    """A PDF named like an option reaches a viewer that takes --page (argparse, like zathura's) as a file."""
    viewer = tmp_path / "zathura"
    seen = tmp_path / "seen.json"
    viewer.write_text(
        f"#!{sys.executable}\nimport argparse, json\n"
        "parser = argparse.ArgumentParser()\nparser.add_argument('--page', type=int)\nparser.add_argument('file')\n"
        f"args = parser.parse_args()\nopen({str(seen)!r}, 'w').write(json.dumps(vars(args)))\n"
    )
    viewer.chmod(0o755)
    name = "--page=99.pdf"
    argv = pdf_viewer_command(name, 3, {}, which=lambda p: str(viewer) if p == "zathura" else None)
    argv[0] = str(viewer)
    assert subprocess.call(argv, cwd=tmp_path) == 0
    assert json.loads(seen.read_text()) == {"page": 3, "file": "./" + name}
    # Absolute paths are safe as they are; other formats go to xdg-open the same way.
    assert open_command("/srv/-c:x.txt", 2, environ={})[-1] == "/srv/-c:x.txt"
    assert open_command("-x.docx", 2) == ["xdg-open", "./-x.docx"]
