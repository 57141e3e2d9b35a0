"""How hits are shown (searcher.cli.presentation): snippets, paths an editor can open, ``path:line``.

The same snippets through the commands: test_cli.py; in the TUI: test_tui.py.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import time

import pytest

from conftest import clean_env, command_line
from searcher.cli.presentation import display_path, location, make_snippet, redact, visible

WORDS = " ".join(f"từ{i}" for i in range(200))  # about 1000 characters, words of 3 to 5 characters


def test_short_paragraph_is_shown_whole_on_one_line():
    snippet = make_snippet("Ngoại giao\nkinh tế", [(0, 5), (11, 15)], width=320)
    assert snippet.text == "Ngoại giao kinh tế"
    assert snippet.spans == [(0, 5), (11, 15)]


def test_long_paragraph_is_cut_around_the_matches_with_ellipses():
    start = WORDS.index("từ100")
    snippet = make_snippet(WORDS, [(start, start + 5)], width=80)
    assert snippet.text.startswith("… ") and snippet.text.endswith(" …")
    assert len(snippet.text) <= 80 + 4
    (a, b), = snippet.spans
    assert snippet.text[a:b] == "từ100"


def test_cuts_fall_between_words():
    for target in ("từ7", "từ100", "từ150", "từ199"):
        start = WORDS.index(target + " ") if target != "từ199" else WORDS.index(target)
        snippet = make_snippet(WORDS, [(start, start + len(target))], width=60)
        inner = snippet.text.removeprefix("… ").removesuffix(" …")
        assert f" {inner} " in f" {WORDS} ", (target, snippet.text)


def test_start_of_the_paragraph_has_no_leading_ellipsis():
    snippet = make_snippet(WORDS, [(0, 3)], width=60)
    assert snippet.text.startswith("từ0 ") and snippet.text.endswith(" …")
    assert snippet.spans == [(0, 3)]


def test_first_word_is_never_cut():
    # A regression: a cut 1-2 characters into the first word printed "… ứ hai, …".
    text = "Thứ hai, " + WORDS
    snippet = make_snippet(text, [(9, 12)], width=len(text) - 2)
    assert snippet.text.startswith("Thứ hai, ")


def test_window_covers_the_densest_cluster_of_matches():
    spans = [(WORDS.index("từ10 "), WORDS.index("từ10 ") + 4)]
    cluster = [WORDS.index(w) for w in ("từ150 ", "từ151 ", "từ152 ")]
    spans += [(s, s + 5) for s in cluster]
    snippet = make_snippet(WORDS, spans, width=80)
    assert [snippet.text[a:b] for a, b in snippet.spans] == ["từ150", "từ151", "từ152"]


def test_display_path_is_relative_under_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inside = str(tmp_path / "corpus" / "văn bản.txt")
    assert display_path(inside) == os.path.join("corpus", "văn bản.txt")
    outside = str(tmp_path.parent / "elsewhere" / "a.txt")
    assert display_path(outside) == outside


@pytest.mark.parametrize("line", [1, 12, 40000])
def test_location_is_path_colon_line(tmp_path, monkeypatch, line):
    monkeypatch.chdir(tmp_path)
    assert location(str(tmp_path / "corpus" / "a.txt"), line) == os.path.join("corpus", "a.txt") + f":{line}"


# -- control characters from documents and file names (issue 25 item 2) ----------------

HOSTILE_TEXT = "đoạn văn \x1b]0;PWNTITLE\x07 \x1b[2J\x1b[31m escmarker"
HOSTILE_NAME = "esc\x1b[32mname.txt"
NEWLINE_NAME = "new\nline.txt"
# The only escape sequences `search` may write itself: its own colours (searcher.cli.output.STYLE).
OWN_STYLES = re.compile(rb"\x1b\[(?:35|32|1|1;31|2|0)m")


def test_visible_shows_control_characters_as_ls_and_cat_do():
    assert visible(HOSTILE_TEXT) == "đoạn văn ^[]0;PWNTITLE^G ^[[2J^[[31m escmarker"
    assert visible(NEWLINE_NAME) == "new\\nline.txt"
    assert visible("a\tb\r\x7f\x9b") == "a\\tb\\r^?\\x9b"
    assert visible("dòng 1\ndòng\t2", keep="\n\t") == "dòng 1\ndòng\t2"
    assert visible("Hòa bình, ngoại giao") == "Hòa bình, ngoại giao"  # Vietnamese text is untouched


def test_redact_hides_the_password_of_an_address():
    for text in ("opensearch://u:s3cretPW@127.0.0.1:9/laws", "opensearch:/u:s3cretPW@127.0.0.1:9/laws",
                 "see https://bob:s3cretPW@search.example:9200/x", "opensearchs://s3cretPW@h/x"):
        assert "s3cretPW" not in redact(text) and "***@" in redact(text)
    assert redact("/srv/công văn/a@b.txt") == "/srv/công văn/a@b.txt"


@pytest.mark.parametrize("option", ["-C", "--corpus"])
def test_an_address_given_as_a_folder_never_echoes_its_password(tmp_path, capsys, option):
    from conftest import run_cli

    args = [option, "opensearch://u:s3cretPW@127.0.0.1:9/laws", "ngoại"]
    if option == "--corpus":
        args += ["--index", str(tmp_path / "index")]
    result = run_cli("search", args, tmp_path, capsys=capsys)
    assert result.returncode == 2
    assert "s3cretPW" not in result.stderr + result.stdout
    assert "***@127.0.0.1:9/laws" in result.stderr  # the address is still named, without its password


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory):
    """A folder whose documents and file names hold escape sequences and a newline, and its index."""
    from searcher.index.build import build_index

    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / HOSTILE_NAME).write_text(f"Tiêu đề \x1b[31mđỏ\n\n{HOSTILE_TEXT}\n", encoding="utf-8")
    (corpus / NEWLINE_NAME).write_text("Tiêu đề\n\nnlmarker ở đây\n", encoding="utf-8")
    build_index(corpus, root / "index", parallel=False)
    return root


def _on_terminal(argv, cwd, steps=(), timeout=60.0):
    """Run ``argv`` with its stdout and stderr on a pseudo-terminal (80x24); return every byte it wrote.

    ``steps`` are ``(wait_for, keys)`` pairs: ``keys`` are typed once ``wait_for`` (bytes) has been
    written since the previous step (and again every second while it does not move on).
    """
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = clean_env(TERM="xterm-256color", HOME=str(cwd), XDG_DATA_HOME=str(cwd / "data"),
                    XDG_CACHE_HOME=str(cwd / "cache"), SEARCHER_TUI_WATCH="0")
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    out = b""
    todo = list(steps)
    seen_from = 0  # where the output since the last step starts
    typed = None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: every holder of the terminal is gone
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
            if todo and todo[0][0] in out[seen_from:]:
                seen_from = len(out)
                os.write(master, todo.pop(0)[1])
                typed = time.monotonic()
            elif todo and typed is not None and time.monotonic() - typed > 1 and len(todo) < len(steps):
                os.write(master, steps[len(steps) - len(todo) - 1][1])  # the last keys again
                typed = time.monotonic()
        assert proc.poll() is not None or proc.wait(10) is not None, "did not exit"
        return out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        os.close(master)


@pytest.mark.slow
@pytest.mark.parametrize("color", ["never", "always"])
def test_search_never_writes_a_documents_escape_sequences_to_the_terminal(hostile_index, color):
    out = _on_terminal(command_line("search", ["--index", "index", "--color", color, "escmarker", "nlmarker"]),
                       hostile_index)
    text = out.decode("utf-8", "replace")
    assert b"\x1b]" not in out and b"\x07" not in out  # no title, no bell
    assert OWN_STYLES.sub(b"", out).count(b"\x1b") == 0, text  # no escape but our own colours
    plain = OWN_STYLES.sub(b"", out).decode("utf-8")
    assert "^[]0;PWNTITLE^G ^[[2J^[[31m escmarker" in plain
    assert "esc^[[32mname.txt:3  Tiêu đề ^[[31mđỏ" in plain
    assert "new\\nline.txt:3  Tiêu đề" in plain  # one line: path:line stays whole


@pytest.mark.slow
def test_build_warnings_show_control_characters_in_names(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bad\x1b]0;PWN\x07.txt").write_bytes(b"\xff\xfe\x00\x00garbage\x00\x01\x02" * 50)
    (corpus / "ok.txt").write_text("T\n\nnội dung\n", encoding="utf-8")
    out = _on_terminal(command_line("search-index", ["--corpus", "corpus", "--index", "index"]), tmp_path)
    assert b"\x1b]0;PWN" not in out, out
    assert b"bad^[]0;PWN^G.txt" in out, out


@pytest.mark.slow
def test_live_search_never_writes_a_documents_escape_sequences_to_the_terminal(hostile_index):
    """The live search at 80x24: the results, the preview and its title show ^[ where the text has ESC,
    and ``y`` copies a location with none (the copy reaches the terminal as OSC 52)."""
    import base64

    steps = [(b"PWNTITLE", b"\r"), (b"match 1/", b"y"), (b"\x1b]52;", b"\x11")]  # open the hit, y, Ctrl-Q
    out = _on_terminal(command_line("search", ["--index", "index", "--tui", "escmarker"]), hostile_index, steps)
    assert b"PWNTITLE" in out
    assert b"\x1b]0;PWNTITLE" not in out
    assert b"esc\x1b[32mname" not in out
    assert b"^[]0;PWNTITLE" in out
    copied = re.search(rb"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07", out)
    assert copied, "y copied nothing"
    assert base64.b64decode(copied.group(1)).decode("utf-8") == "corpus/esc^[[32mname.txt:3"
