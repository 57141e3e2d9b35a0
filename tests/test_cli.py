"""The `search` and `search-index` commands, run as a user runs them (subprocesses)."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import CORPUS, FILE_002, clean_env, command_line, run_cli
from searcher.vietnamese.text import clean, fold

ANSI = re.compile(r"\x1b\[[0-9;]*m")
HIT_HEADER = re.compile(r"^(\S+\.txt):(\d+)  ", re.M)
JSON_KEYS = {"matched", "missing", "rank", "score", "path", "line", "paragraph", "title", "text", "spans"}
SUMMARY_KEYS = {"mode", "added", "updated", "removed", "unchanged", "skipped", "paragraphs", "seconds"}

# Every test here starts the commands as processes.
pytestmark = pytest.mark.slow


def assert_one_line_error(result, prog="search"):
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{prog}: error: "), lines[0]
    return lines[0]


@pytest.fixture
def workspace(tmp_path):
    """A fresh folder holding a copy of the bundled corpus, and no index yet."""
    shutil.copytree(CORPUS, tmp_path / "corpus")
    return tmp_path


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """A folder with a copy of the corpus and its ./index, shared read-only by this module's tests."""
    root = tmp_path_factory.mktemp("cli")
    shutil.copytree(CORPUS, root / "corpus")
    result = run_cli("search-index", ["--quiet"], root)
    assert result.returncode == 0, result.stderr
    return root


# -- console scripts --------------------------------------------------------------


@pytest.mark.parametrize("name", ["search", "search-index"])
def test_console_scripts_are_installed(name, tmp_path):
    path = shutil.which(name)
    assert path, f"{name} is not on PATH"
    result = subprocess.run([path, "--help"], cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0
    assert f"usage: {name}" in result.stdout


# -- first run ------------------------------------------------------------------


def test_first_search_builds_the_index(workspace):
    result = run_cli("search", ["ngoại", "giao", "kinh", "tế"], workspace)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "index" in result.stderr.lower()
    assert "indexing" in result.stderr
    assert (workspace / "index" / "CURRENT").is_file()
    headers = HIT_HEADER.findall(result.stdout)
    assert headers, result.stdout
    assert headers[0] == (f"corpus/{FILE_002}", "13")
    assert "ngoại giao kinh tế" in result.stdout
    # The second search uses the index without rebuilding it.
    again = run_cli("search", ["ngoại", "giao", "kinh", "tế"], workspace)
    assert again.returncode == 0
    assert "index" not in again.stderr and "Traceback" not in again.stderr
    assert HIT_HEADER.findall(again.stdout)[:1] == headers[:1]


# -- exit codes -----------------------------------------------------------------


def test_exit_0_with_hits(indexed):
    result = run_cli("search", ["hòa", "bình"], indexed)
    assert result.returncode == 0
    assert HIT_HEADER.search(result.stdout)
    assert result.stderr == ""


def test_exit_1_without_hits(indexed):
    # No word of the query is anywhere in the corpus: nothing to rank, and the words are named.
    result = run_cli("search", ["zzqxv", "qqwwzz-xxkk"], indexed)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "no paragraph has any of these words: zzqxv qqwwzz xxkk" in result.stderr
    assert "Traceback" not in result.stderr


def test_exit_1_when_exclusion_removes_everything(indexed):
    assert run_cli("search", ["--", "P4G"], indexed).returncode == 0
    result = run_cli("search", ["--", "P4G", "-p4g"], indexed)
    assert result.returncode == 1
    assert result.stdout == ""


def test_exit_2_empty_query(indexed):
    result = run_cli("search", [""], indexed)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("search: error:")]
    assert len(errors) == 1 and lines[-1] == errors[0]
    assert "query" in errors[0]
    # Anything else is the usage reminder.
    assert all(line.startswith(("usage:", " ")) for line in lines[:-1])


def test_exit_2_query_without_words(indexed):
    line = assert_one_line_error(run_cli("search", ["!!!", "***"], indexed))
    assert "query" in line


def test_exit_2_missing_corpus(tmp_path):
    line = assert_one_line_error(run_cli("search", ["ngoại"], tmp_path))
    assert "corpus" in line
    assert not (tmp_path / "index" / "CURRENT").exists()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"\xff\xfe garbage \x00", id="binary"),
        pytest.param(b"not json", id="text"),
        pytest.param(b'{"generation": "gen-does-not-exist"}', id="missing-generation"),
        pytest.param(b'["a", "list"]', id="wrong-json"),
        pytest.param(None, id="CURRENT-is-a-folder"),
    ],
)
def test_exit_2_garbled_or_unreadable_current(indexed, tmp_path, content):
    index = tmp_path / "index"
    shutil.copytree(indexed / "index", index)
    (index / "CURRENT").unlink()
    if content is None:
        (index / "CURRENT").mkdir()  # unreadable even for root
    else:
        (index / "CURRENT").write_bytes(content)
    line = assert_one_line_error(run_cli("search", ["--index", str(index), "ngoại"], indexed))
    assert "search-index --full" in line  # says how to fix it


def test_exit_2_bad_limit(indexed):
    for bad in ("0", "-3", "many"):
        result = run_cli("search", ["-n", bad, "ngoại"], indexed)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr


# -- output ----------------------------------------------------------------------


def test_json_lines(indexed):
    # The seven paragraphs with the phrase itself (the adjacent tier: never cut by a time budget).
    result = run_cli("search", ["--json", "-n", "7", "ngoại", "giao", "kinh", "tế"], indexed)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 7
    previous_score = float("inf")
    for rank, line in enumerate(lines, 1):
        record = json.loads(line)
        assert set(record) == JSON_KEYS
        assert record["rank"] == rank
        assert record["score"] <= previous_score
        previous_score = record["score"]
        path = indexed / record["path"]
        assert not Path(record["path"]).is_absolute() and path.is_file()
        assert record["path"].startswith("corpus/")
        text = record["text"]
        for start, end in record["spans"]:
            assert 0 <= start < end <= len(text)
            assert fold(text[start:end]) in {"ngoai", "giao", "kinh", "te"}
        # line is the 1-based line where the paragraph starts in the file.
        file_lines = clean(path.read_text("utf-8")).split("\n")
        assert file_lines[record["line"] - 1].strip() == text.split("\n")[0].strip()
        assert isinstance(record["paragraph"], int) and record["paragraph"] >= 0
        assert record["title"] and "\n" not in record["title"]
        assert "ngoai giao kinh te" in " ".join(fold(w) for w in re.findall(r"\w+", text))
    assert json.loads(lines[0])["path"] == f"corpus/{FILE_002}"


def test_json_output_is_utf8_not_escaped(indexed):
    result = run_cli("search", ["--json", "-n", "1", "hòa", "bình"], indexed)
    assert "hòa bình" in result.stdout
    assert "\\u" not in result.stdout


def test_limit(indexed):
    result = run_cli("search", ["-n", "2", "ngoai"], indexed)
    assert result.returncode == 0
    assert len(HIT_HEADER.findall(result.stdout)) == 2
    result = run_cli("search", ["--json", "--limit", "2", "ngoai"], indexed)
    assert len(result.stdout.splitlines()) == 2
    default = run_cli("search", ["--json", "ngoai"], indexed)
    assert len(default.stdout.splitlines()) == 10


def test_no_colour_in_a_pipe(indexed):
    for args in (["ngoại", "giao"], ["--color", "auto", "ngoại", "giao"], ["--color", "never", "ngoại"]):
        result = run_cli("search", args, indexed)
        assert result.returncode == 0
        assert "\x1b" not in result.stdout


def test_colour_always(indexed):
    # A generous budget: on a loaded machine two runs must not differ by what the time allowed.
    plain = run_cli("search", ["--budget", "30", "--color", "never", "ngoại", "giao"], indexed)
    coloured = run_cli("search", ["--budget", "30", "--color", "always", "ngoại", "giao"], indexed)
    assert coloured.returncode == 0
    assert "\x1b[" in coloured.stdout
    assert ANSI.sub("", coloured.stdout) == plain.stdout  # colour adds escapes, nothing else
    highlighted = re.findall(r"\x1b\[1;31m(.*?)\x1b\[0m", coloured.stdout)
    assert highlighted and {h.lower() for h in highlighted} <= {"ngoại", "giao"}


def _run_on_terminal(args, cwd, env):
    """Run `search` with stdout on a pseudo-terminal; return what it printed."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            command_line("search", args), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE
        )
        os.close(slave)
        chunks = []
        while True:
            ready, _, _ = select.select([master], [], [], 30)
            if not ready:
                break
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=30)
        return proc.returncode, b"".join(chunks).decode("utf-8", "replace")
    finally:
        os.close(master)


def test_colour_on_a_terminal_unless_no_color(indexed):
    env = clean_env(TERM="xterm")
    code, out = _run_on_terminal(["-n", "1", "ngoại"], indexed, env)
    assert code == 0 and "\x1b[" in out
    code, out = _run_on_terminal(["-n", "1", "ngoại"], indexed, clean_env(TERM="xterm", NO_COLOR="1"))
    assert code == 0 and "\x1b[" not in out and "ngoại" in out


def test_snippet_of_a_long_paragraph_is_cut_between_words(indexed):
    # 002 line 47 is 322 characters, just over the snippet width: the cut must not fall inside
    # its first word "Thứ" (it printed "… ứ hai, …" at 540aba2's parent; fixed in 540aba2).
    result = run_cli("search", ["--color", "never", "-n", "50", "cơ", "quan", "đại", "diện"], indexed)
    assert result.returncode == 0
    blocks = result.stdout.split("\n\n")
    assert any(":47  " in b for b in blocks)
    records = [json.loads(line) for line in run_cli("search", ["--json", "-n", "50", "cơ", "quan", "đại", "diện"], indexed).stdout.splitlines()]
    texts = {r["line"]: r["text"] for r in records if r["path"].endswith(FILE_002)}
    for block in blocks:
        header, _, body = block.partition("\n")
        match = HIT_HEADER.match(header)
        if not match or not match.group(1).endswith(FILE_002):
            continue
        flat = texts[int(match.group(2))].replace("\n", " ")
        snippet = body.strip().split("\n")[0]  # a best-match hit has a "(không có: …)" line below
        inner = snippet.removeprefix("… ").removesuffix(" …")
        start = flat.find(inner)
        assert start >= 0, snippet
        assert start == 0 or flat[start - 1] == " ", f"snippet starts inside a word: {snippet[:30]!r}"
        end = start + len(inner)
        assert end == len(flat) or flat[end] == " ", f"snippet ends inside a word: {snippet[-30:]!r}"


# -- help -------------------------------------------------------------------------


def documented_options(command: str) -> list[str]:
    """Every option the command's parser accepts, from the parser itself."""
    import argparse

    from searcher.cli import index as index_cli
    from searcher.cli import search as cli

    parser = {"search": cli, "search-index": index_cli}[command].build_parser()
    return [s for action in parser._actions if action.help != argparse.SUPPRESS for s in action.option_strings]


@pytest.mark.parametrize("command", ["search", "search-index"])
def test_help_lists_every_option(command, tmp_path):
    result = run_cli(command, ["--help"], tmp_path)
    assert result.returncode == 0
    options = documented_options(command)
    assert "--json" in options and "--index" in options  # (the walk found the parser's options)
    for option in options:
        assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", result.stdout), option
    assert not (tmp_path / "index").exists()  # --help builds nothing


def test_search_help(tmp_path):
    text = run_cli("search", ["--help"], tmp_path).stdout
    assert "exit status" in text
    assert re.search(r"0 hits found, 1 no hits, 2 error", text)
    assert "SEARCHER_INDEX" in text and "SEARCHER_CORPUS" in text and "NO_COLOR" in text
    assert "-word" in text  # the query syntax is explained


def test_search_index_help(tmp_path):
    text = run_cli("search-index", ["--help"], tmp_path).stdout
    assert "exit status" in text and "0 success" in text and "2 fatal" in text
    assert "SEARCHER_INDEX" in text and "SEARCHER_CORPUS" in text


# -- environment --------------------------------------------------------------------


def test_environment_variables_set_index_and_corpus(tmp_path):
    shutil.copytree(CORPUS, tmp_path / "docs")
    env = clean_env(SEARCHER_INDEX=str(tmp_path / "idx"), SEARCHER_CORPUS="docs")
    result = run_cli("search", ["--json", "-n", "1", "ngoại", "giao"], tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "idx" / "CURRENT").is_file()
    assert not (tmp_path / "index").exists()
    assert json.loads(result.stdout)["path"].startswith("docs/")
    summary = run_cli("search-index", ["--json"], tmp_path, env=env)
    assert summary.returncode == 0
    data = json.loads(summary.stdout)
    assert data["unchanged"] == 4 and data["added"] == 0
    assert Path(data["index"]).name == "idx"
    # Options win over the environment.
    result = run_cli("search", ["--index", str(tmp_path / "other"), "--corpus", "docs", "-n", "1", "ngoại"], tmp_path, env=env)
    assert result.returncode == 0
    assert (tmp_path / "other" / "CURRENT").is_file()


def test_environment_corpus_missing(tmp_path):
    env = clean_env(SEARCHER_CORPUS=str(tmp_path / "nowhere"))
    line = assert_one_line_error(run_cli("search", ["ngoại"], tmp_path, env=env))
    assert "nowhere" in line


# -- search-index -------------------------------------------------------------------


def test_search_index_json_summary(workspace):
    result = run_cli("search-index", ["--json"], workspace)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert set(summary) >= SUMMARY_KEYS
    assert summary["mode"] == "full"
    assert summary["added"] == 4 and summary["skipped"] == []
    assert summary["paragraphs"] > 50
    assert isinstance(summary["seconds"], (int, float))
    again = json.loads(run_cli("search-index", ["--json"], workspace).stdout)
    assert again["mode"] == "incremental" and again["unchanged"] == 4 and again["added"] == 0
    assert again["paragraphs"] == summary["paragraphs"]


def test_search_index_human_summary(workspace):
    result = run_cli("search-index", [], workspace)
    assert result.returncode == 0
    assert "4 added" in result.stdout
    assert result.stdout.count("\n") == 1


def test_search_index_quiet(workspace):
    result = run_cli("search-index", ["--quiet"], workspace)
    assert result.returncode == 0
    assert result.stdout == ""
    assert (workspace / "index" / "CURRENT").is_file()
    (workspace / "corpus" / "bad.txt").write_bytes(b"\xff\xfe\xfd")
    result = run_cli("search-index", ["-q"], workspace)
    assert result.returncode == 0
    assert result.stdout == ""
    assert "bad.txt" in result.stderr  # warnings still go to stderr


def test_search_index_missing_corpus(workspace):
    line = assert_one_line_error(run_cli("search-index", ["--corpus", "no-such-folder"], workspace), "search-index")
    assert "no-such-folder" in line


def test_search_index_full(workspace):
    assert run_cli("search-index", ["-q"], workspace).returncode == 0
    result = run_cli("search-index", ["--full", "--json"], workspace)
    assert result.returncode == 0
    assert json.loads(result.stdout)["mode"] == "full"
    assert run_cli("search", ["-n", "1", "ngoại"], workspace).returncode == 0


# -- the query language on the command line --------------------------------------------


def test_quoted_phrase_and_excluded_phrase_arguments(indexed):
    # The README's example: search "ngoai giao" -"kinh te"
    result = run_cli("search", ["--json", "-n", "50", "ngoai giao", "-kinh te"], indexed)
    assert result.returncode == 0
    for line in result.stdout.splitlines():
        text = json.loads(line)["text"]
        assert "kinh te" not in " ".join(fold(w) for w in re.findall(r"\w+", text))


@pytest.mark.parametrize(
    "args, excluded",
    [
        (["ngoại", "-ngoài"], "ngoài"),
        (["ngoại", "giao", "-mỹ"], "mỹ"),
        (["hội", "nghị", "-chính"], "chính"),
        (["ngoại", "giao", "-nhà nước"], "nhà nước"),  # the README's -"two words" form
        (["ngoại", "-hội nghị"], "hội nghị"),
    ],
)
def test_exclusion_on_the_command_line(indexed, args, excluded):
    result = run_cli("search", ["--json", "-n", "50", *args], indexed)
    assert result.returncode == 0, result.stderr
    assert result.stdout
    for line in result.stdout.splitlines():
        assert excluded not in " ".join(json.loads(line)["text"].lower().split())


def test_exclusion_after_double_dash_works(indexed):
    result = run_cli("search", ["--json", "-n", "50", "--", "ngoại", "-ngoài"], indexed)
    assert result.returncode == 0
    for line in result.stdout.splitlines():
        assert "ngoài" not in json.loads(line)["text"].lower()


def test_json_hit_list_is_not_silently_cut(tmp_path):
    lines = ["Tiêu đề", "Bài về ngoại giao hôm nay."] + [f"Giao dịch số {i} bằng ngoại tệ." for i in range(2000)]
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "many.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run_cli("search-index", ["-q"], tmp_path).returncode == 0
    single = run_cli("search", ["--json", "-n", "3000", "giao"], tmp_path)
    assert len(single.stdout.splitlines()) == 2001  # one word: every match
    result = run_cli("search", ["--json", "-n", "3000", "ngoại", "giao"], tmp_path)
    assert result.returncode == 0
    printed = len(result.stdout.splitlines())
    assert printed == 2001 or "note" in result.stderr, (printed, result.stderr)


# -- documents in other formats ---------------------------------------------------


def test_locations_of_hits_in_documents(tmp_path):
    from test_formats import PDF_PAGES, S3, make_docx, make_pdf

    docs = tmp_path / "docs"
    docs.mkdir()
    make_pdf(docs / "báo-cáo.pdf", PDF_PAGES)
    make_docx(docs / "công-văn.docx")
    (docs / "ghi-chú.md").write_text(f"# Ghi chú\n\n{S3}\n", encoding="utf-8")
    args = ["--index", str(tmp_path / "index"), "--corpus", str(docs), "--color", "never"]
    result = run_cli("search", [*args, "quốc phòng, an ninh"], tmp_path)
    assert result.returncode == 0, result.stderr
    headers = {line.split("  ")[0] for line in result.stdout.splitlines() if line.startswith("docs/")}
    assert headers == {"docs/báo-cáo.pdf p.2", "docs/công-văn.docx ¶4", "docs/ghi-chú.md:3"}
    records = [json.loads(line) for line in run_cli("search", [*args, "--json", "quốc phòng"], tmp_path).stdout.splitlines()]
    pages = {r["path"]: r.get("page") for r in records}
    assert pages == {"docs/báo-cáo.pdf": 2, "docs/công-văn.docx": None, "docs/ghi-chú.md": None}


# -- an index you never have to name ---------------------------------------------------


@pytest.fixture
def home(tmp_path):
    """A folder of documents with a subfolder, and an environment with its own cache folder."""
    docs = tmp_path / "Tài liệu"
    (docs / "2024" / "quý 1").mkdir(parents=True)
    (docs / "a.txt").write_text("Công văn A\n\nngoại giao kinh tế\n", encoding="utf-8")
    (docs / "2024" / "b.md").write_text("# Quyết định B\n\nhòa bình ổn định\n", encoding="utf-8")
    (docs / "2024" / "nháp.txt").write_text("Bản nháp\n\nhòa bình nháp\n", encoding="utf-8")
    (docs / "2024" / "cũ.bak.txt").write_text("Bản cũ\n\nhòa bình cũ\n", encoding="utf-8")
    (docs / ".searchignore").write_text("# not these\n*.bak.txt\n", encoding="utf-8")
    env = clean_env(XDG_CACHE_HOME=str(tmp_path / "cache"))
    return docs, env


def test_search_index_folder_then_search_from_a_subfolder(home, tmp_path):
    docs, env = home
    built = run_cli("search-index", [str(docs), "--exclude", "nháp.txt"], tmp_path, env=env)
    assert built.returncode == 0, built.stderr
    index = next((tmp_path / "cache" / "searcher" / "indexes").iterdir())
    assert oct(index.stat().st_mode & 0o777) == "0o700"
    # Found from a subfolder; the search keeps to the folder it runs in (as git grep), so
    # from 2024/quý 1, which has none of the hits, --everywhere is needed.
    result = run_cli("search", ["--everywhere", "hòa", "bình"], docs / "2024" / "quý 1", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{docs / '2024' / 'b.md'}:3  Quyết định B")
    inside = run_cli("search", ["hòa", "bình"], docs / "2024" / "quý 1", env=env)
    assert inside.returncode == 1 and "--everywhere" in inside.stderr
    assert "nháp" not in result.stdout and "cũ" not in result.stdout  # --exclude, .searchignore
    # -C works from anywhere; the exclusion is kept by later updates.
    (docs / "2024" / "c.txt").write_text("Mới C\n\nhòa bình mới\n", encoding="utf-8")
    assert run_cli("search-index", [str(docs)], tmp_path, env=env).returncode == 0
    found = run_cli("search", ["-C", str(docs), "--json", "hòa", "bình"], tmp_path, env=env)
    paths = sorted(json.loads(line)["path"] for line in found.stdout.splitlines())
    assert paths == ["Tài liệu/2024/b.md", "Tài liệu/2024/c.txt"]  # relative to the current folder


def test_search_index_list_and_forget(home, tmp_path):
    docs, env = home
    assert run_cli("search-index", [str(docs), "--quiet"], tmp_path, env=env).returncode == 0
    listed = run_cli("search-index", ["--list"], tmp_path, env=env)
    assert listed.returncode == 0
    assert listed.stdout.startswith(f"{docs}  ") and "3 paragraphs" not in listed.stdout
    assert re.search(r"\d+ paragraphs +updated just now", listed.stdout), listed.stdout
    forgot = run_cli("search-index", ["--forget", str(docs)], tmp_path, env=env)
    assert forgot.returncode == 0, forgot.stderr
    assert run_cli("search-index", ["--list"], tmp_path, env=env).stdout.startswith("no indexed folders")
    line = assert_one_line_error(run_cli("search", ["hòa"], docs, env=env))
    assert "search-index ." in line
    assert_one_line_error(run_cli("search-index", ["--forget", str(docs)], tmp_path, env=env), prog="search-index")
    # An empty name refuses, in one line: it used to build ./index from the ./corpus here.
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.txt").write_text("A\n\nhòa bình\n", encoding="utf-8")
    refused = assert_one_line_error(run_cli("search-index", ["--forget", ""], tmp_path, env=env), prog="search-index")
    assert "--forget needs a folder" in refused and not (tmp_path / "index").exists()


def test_an_index_readable_by_others_is_warned_about(workspace):
    (workspace / "index").mkdir(mode=0o755)
    os.chmod(workspace / "index", 0o755)
    result = run_cli("search-index", ["--quiet"], workspace)
    assert result.returncode == 0
    assert "readable by other users (mode 0755)" in result.stderr and "chmod 700" in result.stderr
    os.chmod(workspace / "index", 0o700)
    assert "readable" not in run_cli("search-index", ["--quiet"], workspace).stderr


def test_open_runs_the_editor_at_the_line_or_the_viewer_at_the_page(tmp_path):
    from test_formats import PDF_PAGES, make_pdf

    docs = tmp_path / "docs"
    docs.mkdir()
    make_pdf(docs / "r.pdf", PDF_PAGES)
    (docs / "n.txt").write_text("Ghi chú\n\nan ninh quốc phòng\n", encoding="utf-8")
    record = tmp_path / "argv.txt"
    fake = tmp_path / "fake-open"
    fake.write_text(f'#!/bin/sh\nprintf "%s|" "$@" >> "{record}"\necho >> "{record}"\n')
    fake.chmod(0o755)
    env = clean_env(EDITOR=str(fake), SEARCHER_PDF_VIEWER=f"{fake} --page={{page}} {{file}}")
    args = ["-C", str(docs), "--color", "never"]
    first = run_cli("search", [*args, "--json", "an", "ninh"], tmp_path, env=env)
    order = [json.loads(line)["path"] for line in first.stdout.splitlines()]
    for n in range(1, len(order) + 1):
        assert run_cli("search", [*args, "--open", str(n), "an", "ninh"], tmp_path, env=env).returncode == 0
    opened = record.read_text().splitlines()
    # Paths as printed, made ./relative so that no file name reads as an option (issue 25).
    expected = {"docs/r.pdf": "--page=2|./docs/r.pdf|", "docs/n.txt": "+3|./docs/n.txt|"}
    assert opened == [expected[p] for p in order]
    assert_one_line_error(run_cli("search", [*args, "--open", "9", "an", "ninh"], tmp_path, env=env))


# -- best match on the command line ------------------------------------------------------

QUESTION = "ngành ngoại giao đã đóng góp gì cho kinh tế?"


def test_cli_marks_best_match_hits_with_their_missing_words(bundled, tmp_path):
    done = run_cli("search", ["--index", str(bundled.index), "-n", "3", QUESTION], tmp_path)
    assert done.returncode == 0, done.stderr
    marks = [line.strip() for line in done.stdout.splitlines() if line.strip().startswith("(không có:")]
    assert len(marks) == 3 and all("gì" in mark for mark in marks), done.stdout
    assert "not in the index: gì" in done.stderr


def test_cli_json_has_matched_and_missing(bundled, tmp_path):
    done = run_cli("search", ["--index", str(bundled.index), "--json", "-n", "2", QUESTION], tmp_path)
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(records) == 2
    for record in records:
        assert "gì" in record["missing"] and "ngoại" in record["matched"]


def test_cli_all_exits_1_when_no_paragraph_has_every_word(bundled, tmp_path):
    done = run_cli("search", ["--index", str(bundled.index), "--all", QUESTION], tmp_path)
    assert (done.returncode, done.stdout) == (1, "")
    assert "not in the index: gì" in done.stderr


def test_cli_names_the_words_when_none_is_in_the_index(bundled, tmp_path):
    done = run_cli("search", ["--index", str(bundled.index), "xyzzyq", "qwfpgj"], tmp_path)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.strip() == "search: no paragraph has any of these words: xyzzyq qwfpgj"


# -- grep, rg and git grep manners (issue 22) ---------------------------------------------


@pytest.fixture
def folders(tmp_path):
    """An indexed folder of news and law, with the environment that finds its index."""
    docs = tmp_path / "docs"
    files = {
        "news/tin-1.txt": "Tin một\n\nngoại giao kinh tế mới i w\n",
        "news/tin-2.md": "# Tin hai\n\nbàn về ngoại giao\n\nlại ngoại giao nữa\n",
        "law/luật.txt": "Luật\n\nngoại giao kinh tế trong luật\n\nđiều hai về ngoại giao\n",
        "law/nghị-định.txt": "Nghị định\n\nkinh tế vaccine\n",
    }
    for name, text in files.items():
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(text, encoding="utf-8")
    env = clean_env(XDG_CACHE_HOME=str(tmp_path / "cache"))
    assert run_cli("search-index", [str(docs), "--quiet"], tmp_path, env=env).returncode == 0
    return docs, env


def test_an_unknown_option_is_a_one_line_error(folders):
    docs, env = folders
    line = assert_one_line_error(run_cli("search", ["-x", "ngoại"], docs, env=env))
    assert "unknown option -x" in line and "--" in line  # and how to exclude a word instead
    assert "unknown option -x" in assert_one_line_error(run_cli("search", ["-lx", "ngoại"], docs, env=env))
    assert "--nope" in assert_one_line_error(run_cli("search", ["--nope", "ngoại"], docs, env=env))
    # An exclusion typed first is not read as -n "goài" or a glob "iao" that silently finds nothing.
    for first in ("-ngoài", "-giao"):
        line = assert_one_line_error(run_cli("search", [first, "ngoại"], docs, env=env))
        assert f"unknown option {first}" in line and "after the query words" in line


def test_i_and_w_are_accepted_and_change_nothing(folders):
    docs, env = folders
    plain = run_cli("search", ["--json", "ngoại", "giao"], docs, env=env)
    for flags in (["-i"], ["-w"], ["-iw"], ["--ignore-case", "--word-regexp"]):
        result = run_cli("search", [*flags, "--json", "ngoại", "giao"], docs, env=env)
        assert (result.returncode, result.stdout) == (0, plain.stdout), flags
    assert "tin-1.txt" in plain.stdout  # its "i" and "w" are not excluded


def test_l_prints_each_matching_file_once_in_rank_order(folders):
    docs, env = folders
    hits = run_cli("search", ["--json", "--all", "-n", "100", "ngoại", "giao"], docs, env=env)
    ranked = list(dict.fromkeys(json.loads(line)["path"] for line in hits.stdout.splitlines()))
    assert len(ranked) == 3
    for flag in ("-l", "--files-with-matches"):
        result = run_cli("search", [flag, "ngoại", "giao"], docs, env=env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == ranked
    assert run_cli("search", ["-l", "-n", "1", "ngoại", "giao"], docs, env=env).stdout.splitlines() == ranked[:1]
    assert run_cli("search", ["-l", "không", "có", "đâu"], docs, env=env).returncode == 1


def test_c_prints_path_and_count(folders):
    docs, env = folders
    result = run_cli("search", ["-c", "ngoại", "giao"], docs, env=env)
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.splitlines()) == ["law/luật.txt:2", "news/tin-1.txt:1", "news/tin-2.md:2"]


def test_an_exclusion_after_the_words_after_double_dash_or_in_e(folders):
    docs, env = folders
    expected = ["law/luật.txt", "news/tin-1.txt"]
    for args in (["-l", "kinh", "tế", "-vaccine"], ["-l", "--", "-vaccine", "kinh", "tế"], ["-l", "-e", "-vaccine", "kinh", "tế"]):
        result = run_cli("search", args, docs, env=env)
        assert sorted(result.stdout.splitlines()) == expected, (args, result.stderr)


def test_a_search_from_a_subfolder_keeps_to_it_and_says_what_is_outside(folders):
    docs, env = folders
    result = run_cli("search", ["--json", "ngoại", "giao"], docs / "news", env=env)
    assert result.returncode == 0, result.stderr
    paths = {json.loads(line)["path"] for line in result.stdout.splitlines()}
    assert paths == {"tin-1.txt", "tin-2.md"}  # relative to the current folder, as before
    note = [line for line in result.stderr.splitlines() if "outside" in line]
    assert len(note) == 1 and "news/" in note[0] and "--everywhere" in note[0], result.stderr
    everywhere = run_cli("search", ["--json", "--everywhere", "ngoại", "giao"], docs / "news", env=env)
    assert any(json.loads(line)["path"].endswith("luật.txt") for line in everywhere.stdout.splitlines())
    assert "outside" not in everywhere.stderr
    nothing = run_cli("search", ["vaccine"], docs / "news", env=env)
    assert nothing.returncode == 1 and "1 of the 10 best hits" in nothing.stderr  # the one hit is in law/
    assert "outside" not in run_cli("search", ["ngoại"], docs, env=env).stderr  # at the top: everything


def test_C_of_a_subfolder_searches_it_in_the_enclosing_index(folders, tmp_path):
    docs, env = folders
    indexes = tmp_path / "cache" / "searcher" / "indexes"
    assert len(list(indexes.iterdir())) == 1
    result = run_cli("search", ["-C", str(docs / "law"), "-l", "ngoại", "giao"], tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["docs/law/luật.txt"]
    assert "indexing" not in result.stderr and len(list(indexes.iterdir())) == 1  # no second index


def test_glob_and_type_filters(folders):
    docs, env = folders

    def files(*args):
        result = run_cli("search", ["-l", *args, "ngoại", "giao"], docs, env=env)
        assert result.returncode in (0, 1), result.stderr
        return sorted(result.stdout.splitlines())

    assert files("-g", "*.md") == ["news/tin-2.md"]
    assert files("-t", "md") == files("--type=md") == ["news/tin-2.md"]
    assert files("-g", "!news/**") == ["law/luật.txt"]
    assert files("-g", "*.txt", "-g", "!law/**") == ["news/tin-1.txt"]
    assert files("-T", "md", "-g", "news/**") == ["news/tin-1.txt"]
    assert files("-t", "pdf") == []
    line = assert_one_line_error(run_cli("search", ["-t", "word", "ngoại"], docs, env=env))
    assert "unknown file type 'word'" in line and "docx" in line


def test_vimgrep_prints_path_line_column_text(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Tiêu đề\n\nDòng đầu tiên của đoạn\nrồi đến ngoại giao ở dòng hai\n", encoding="utf-8")
    env = clean_env(XDG_CACHE_HOME=str(tmp_path / "cache"))
    result = run_cli("search", ["-C", str(docs), "--vimgrep", "ngoại", "giao"], tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    column = len("rồi đến ".encode()) + 1  # a byte column, as rg and vim's quickfix count
    assert result.stdout == f"docs/a.txt:4:{column}:Dòng đầu tiên của đoạn rồi đến ngoại giao ở dòng hai\n"


def test_errors_name_what_the_user_typed(folders, tmp_path):
    docs, env = folders
    line = assert_one_line_error(run_cli("search", ["--index", str(tmp_path / "nope"), "ngoại"], tmp_path, env=env))
    assert str(tmp_path / "nope") in line and "search-index --index" in line and "corpus folder" not in line
    line = assert_one_line_error(run_cli("search", ["-C", str(tmp_path / "nowhere"), "ngoại"], tmp_path, env=env))
    assert line == f"search: error: no such folder: {tmp_path / 'nowhere'}"
    for args in (["-n", "0"], ["--budget", "abc"], ["--open", "20"], ["-n", "3", "--open", "5"]):
        line = assert_one_line_error(run_cli("search", [*args, "ngoại"], docs, env=env))
        assert "usage:" not in line, args
    assert "--open 9: only" in assert_one_line_error(run_cli("search", ["--open", "9", "ngoại"], docs, env=env))
    assert "--wait" in assert_one_line_error(run_cli("search-index", ["--wait", "abc"], docs, env=env), prog="search-index")


def test_open_without_xdg_open_says_what_to_do_and_prints_the_paragraph(tmp_path):
    import docx

    docs = tmp_path / "docs"
    docs.mkdir()
    document = docx.Document()
    document.add_paragraph("Công văn số 5")
    document.add_paragraph("về việc ngoại giao kinh tế")
    document.save(str(docs / "công-văn.docx"))
    bin_dir = tmp_path / "bin"  # a PATH with no xdg-open (nor anything else)
    bin_dir.mkdir()
    env = clean_env(XDG_CACHE_HOME=str(tmp_path / "cache"), PATH=str(bin_dir))
    result = run_cli("search", ["-C", str(docs), "--open", "1", "ngoại", "giao"], tmp_path, env=env)
    assert result.returncode == 2
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("search: error: cannot open docs/công-văn.docx: xdg-open is not installed")
    assert "xdg-utils" in error and "SEARCHER_OPENER" in error
    assert result.stdout.count("về việc ngoại giao kinh tế") == 2  # the hit, then its whole paragraph
    opener = bin_dir / "my-opener"
    opener.write_text(f'#!/bin/sh\necho "$@" > "{tmp_path / "opened.txt"}"\n')
    opener.chmod(0o755)
    env["SEARCHER_OPENER"] = f"{opener} --view"
    assert run_cli("search", ["-C", str(docs), "--open", "1", "ngoại", "giao"], tmp_path, env=env).returncode == 0
    assert (tmp_path / "opened.txt").read_text() == "--view ./docs/công-văn.docx\n"  # never read as an option


def test_the_readme_documents_every_search_option():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    for option in documented_options("search"):
        if option not in ("-h", "--help"):
            assert re.search(rf"`[^`]*(?<![\w-]){re.escape(option)}(?![\w-])", readme), option
