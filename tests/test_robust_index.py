"""A damaged, outdated or too-new index, and corpus or index paths that cannot be used.

Every such case is a one-line message and exit 2 (never a traceback); when
the index is at fault the message names the fix, ``search-index --full``, and
both ``search-index --full`` and a plain ``search-index`` repair it.

Most cases call the commands' ``main()`` in-process (fast); a few run them as
subprocesses, as a user does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CORPUS, clean_env
from robust_support import cli, without_root_powers
from searcher import cli as search_cli
from searcher import index_cli
from searcher.indexer import build_index

QUERY = ["ngoại", "giao"]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """The bundled corpus (copied) and an index of it; plus the hits the index gives for QUERY."""
    root = tmp_path_factory.mktemp("pristine")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    index = root / "index"
    build_index(corpus, index, parallel=False)
    code, out, err = _search_json(index, corpus)
    assert code == 0, err
    return corpus, index, out


def _run(main, args, capsys):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _search_json(index, corpus, capsys=None):
    result = cli("cli", ["--json", "-n", "50", "--index", index, "--corpus", corpus, *QUERY], corpus)
    return result.returncode, result.stdout, result.stderr


def assert_one_line(code: int, out: str, err: str, prog: str = "search", names_fix: bool = True) -> str:
    assert code == 2, (code, err)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{prog}: error: "), lines[0]
    if names_fix:
        assert "search-index --full" in lines[0], lines[0]
    assert out == ""
    return lines[0]


@pytest.fixture
def index_copy(tmp_path, pristine):
    corpus, index, hits = pristine
    copy = tmp_path / "index"
    shutil.copytree(index, copy)
    return corpus, copy, hits


def _generation(index: Path) -> Path:
    return index / json.loads((index / "CURRENT").read_text())["generation"]


def _damage(path: Path, how: str) -> None:
    if how == "delete":
        path.unlink()
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "half":
        os.truncate(path, path.stat().st_size // 2)
    else:
        raise ValueError(how)


def _search(index, corpus, capsys):
    return _run(search_cli.main, ["--color", "never", "--index", index, "--corpus", corpus, *QUERY], capsys)


def _assert_repaired(corpus, index, hits, capsys, full: bool):
    code, out, err = _run(index_cli.main, ["--corpus", corpus, "--index", index, "--quiet"] + (["--full"] if full else []), capsys)
    assert code == 0, err
    assert "Traceback" not in err
    code, out, err = _search_json(index, corpus)
    assert code == 0, err
    assert [(h["path"], h["line"]) for h in map(json.loads, out.splitlines())] == [
        (h["path"], h["line"]) for h in map(json.loads, hits.splitlines())
    ]


# -- damaged segment files -------------------------------------------------------------------

SEGMENT_FILES = ["*.toc", "*.trm", "*.pst", "*._stored.col", "*._folded_len.col", "*._xpairs_len.col"]
# Field-length columns only feed BM25: a search may still work without them.
TOLERATED = {"*._folded_len.col", "*._xpairs_len.col"}


@pytest.mark.parametrize("repair", ["full", "incremental"])
@pytest.mark.parametrize("how", ["delete", "empty", "half"])
@pytest.mark.parametrize("pattern", SEGMENT_FILES)
def test_damaged_segment_file(index_copy, capsys, pattern, how, repair):
    corpus, index, hits = index_copy
    files = sorted(_generation(index).glob(pattern))
    assert files, pattern
    for path in files:
        _damage(path, how)
    code, out, err = _search(index, corpus, capsys)
    if pattern in TOLERATED and code != 2:
        assert code == 0 and "Traceback" not in err
    else:
        message = assert_one_line(code, out, err)
        assert "damaged" in message
    _assert_repaired(corpus, index, hits, capsys, full=repair == "full")


# -- schema versions, metadata, CURRENT ----------------------------------------------------------


def _set_schema(index: Path, version) -> None:
    meta_path = _generation(index) / "searcher.json"
    meta = json.loads(meta_path.read_text())
    meta["schema_version"] = version
    meta_path.write_text(json.dumps(meta))


META_DAMAGE = {
    "older-schema": (lambda ix: _set_schema(ix, 1), "schema 1"),
    "newer-schema": (lambda ix: _set_schema(ix, 99), "newer"),
    "schema-not-a-number": (lambda ix: _set_schema(ix, "deux"), "searcher.json"),
    "meta-garbage": (lambda ix: (_generation(ix) / "searcher.json").write_bytes(b"\x00\xff{"), "searcher.json"),
    "meta-deleted": (lambda ix: (_generation(ix) / "searcher.json").unlink(), "missing"),
    "generation-deleted": (lambda ix: shutil.rmtree(_generation(ix)), "missing"),
}
CURRENT_GARBAGE = [b"", b"\x00\xff\xfe", b"[]", b'"gen"', b"{}", b'{"generation": null}', b'{"generation": 5}', b'{"generation": ""}', b'{"generation": "../elsewhere"}', b'{"generation": ']


@pytest.mark.parametrize("repair", ["full", "incremental"])
@pytest.mark.parametrize("case", sorted(META_DAMAGE))
def test_bad_metadata_or_schema(index_copy, capsys, case, repair):
    corpus, index, hits = index_copy
    damage, fragment = META_DAMAGE[case]
    damage(index)
    message = assert_one_line(*_search(index, corpus, capsys))
    assert fragment in message
    _assert_repaired(corpus, index, hits, capsys, full=repair == "full")


@pytest.mark.parametrize("repair", ["full", "incremental"])
@pytest.mark.parametrize("content", CURRENT_GARBAGE, ids=[repr(c)[2:-1] or "empty" for c in CURRENT_GARBAGE])
def test_garbage_current_file(index_copy, capsys, content, repair):
    corpus, index, hits = index_copy
    (index / "CURRENT").write_bytes(content)
    assert_one_line(*_search(index, corpus, capsys))
    _assert_repaired(corpus, index, hits, capsys, full=repair == "full")
    # The repaired index is tidy: one live generation (and at most the one before it).
    assert len(list(index.glob("gen-*"))) <= 2


def test_damage_through_the_real_commands(index_copy):
    """The same, as a user sees it: the message, then the fix it names."""
    corpus, index, hits = index_copy
    for path in _generation(index).glob("*.trm"):
        path.write_bytes(b"")
    result = cli("cli", ["--index", index, "--corpus", corpus, *QUERY], corpus)
    assert_one_line(result.returncode, result.stdout, result.stderr)
    fixed = cli("index_cli", ["--index", index, "--corpus", corpus, "--full"], corpus)
    assert fixed.returncode == 0, fixed.stderr
    assert cli("cli", ["--index", index, "--corpus", corpus, *QUERY], corpus).returncode == 0


def test_engine_api_raises_index_unusable(index_copy):
    from searcher import Engine
    from searcher.errors import IndexUnusable

    corpus, index, _ = index_copy
    with Engine.open(index) as engine:
        for path in _generation(index).glob("*.pst"):
            path.write_bytes(b"")
        with pytest.raises(IndexUnusable, match="search-index --full"):
            engine.search("ngoại giao", budget=30)
            engine.refresh(force=True)
            engine.search("kinh tế xã hội", budget=30)
    for path in _generation(index).glob("*.trm"):
        path.write_bytes(b"")
    with pytest.raises(IndexUnusable, match="search-index --full"):
        Engine.open(index)


# -- corpus and index paths ----------------------------------------------------------------------


@pytest.fixture
def paths(tmp_path, pristine):
    corpus, index, _ = pristine
    a_file = tmp_path / "a file.txt"
    a_file.write_text("not a folder\n", encoding="utf-8")
    return corpus, a_file, tmp_path


@pytest.mark.parametrize(
    "case, fragment",
    [
        ("corpus-missing", "not found"),
        ("corpus-is-a-file", "not a directory"),
        ("corpus-under-a-file", "not found"),
        ("index-is-a-file", "not a directory"),
        ("index-under-a-file", "index"),
    ],
)
@pytest.mark.parametrize("command", ["search", "search-index"])
def test_unusable_paths(paths, capsys, command, case, fragment):
    corpus, a_file, tmp_path = paths
    index = tmp_path / "index"
    if case == "corpus-missing":
        corpus = tmp_path / "no such corpus"
    elif case == "corpus-is-a-file":
        corpus = a_file
    elif case == "corpus-under-a-file":
        corpus = a_file / "corpus"
    elif case == "index-is-a-file":
        index = a_file
    elif case == "index-under-a-file":
        index = a_file / "index"
    if command == "search":
        code, out, err = _run(search_cli.main, ["--index", index, "--corpus", corpus, *QUERY], capsys)
    else:
        code, out, err = _run(index_cli.main, ["--index", index, "--corpus", corpus], capsys)
    message = assert_one_line(code, out, err, prog=command, names_fix=False)
    assert fragment in message
    assert "damaged" not in message  # a path problem, not a broken index
    assert a_file.read_text(encoding="utf-8") == "not a folder\n"


def _read_only(path: Path):
    """Make ``path`` (recursively) unwritable even for root; return the undo, or skip."""
    if os.geteuid() != 0:
        subprocess.run(["chmod", "-R", "a-w", str(path)], check=True)
        return lambda: subprocess.run(["chmod", "-R", "u+w", str(path)], check=True)
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip("running as root without chattr: cannot make a folder read-only for root")
    done = subprocess.run([chattr, "-R", "+i", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        subprocess.run([chattr, "-R", "-i", str(path)], capture_output=True)
        pytest.skip(f"running as root and chattr +i is not supported here: {done.stderr.strip()}")
    return lambda: subprocess.run([chattr, "-R", "-i", str(path)], check=True)


def test_read_only_index(index_copy, capsys):
    corpus, index, hits = index_copy
    undo = _read_only(index)
    try:
        # Searching needs no write access...
        code, out, err = _search_json(index, corpus)
        assert code == 0, err
        assert out == hits
        # ...updating it does: one line, exit 2, and the index is unchanged.
        for args in ([], ["--full"]):
            code, out, err = _run(index_cli.main, ["--index", index, "--corpus", corpus] + args, capsys)
            message = assert_one_line(code, out, err, prog="search-index", names_fix=False)
            assert str(index) in message
    finally:
        undo()
    assert _search_json(index, corpus)[1] == hits


def test_index_in_a_read_only_folder(paths, capsys):
    corpus, _, tmp_path = paths
    parent = tmp_path / "locked"
    parent.mkdir()
    undo = _read_only(parent)
    try:
        for main, prog, extra in ((search_cli.main, "search", QUERY), (index_cli.main, "search-index", [])):
            code, out, err = _run(main, ["--index", parent / "index", "--corpus", corpus, *extra], capsys)
            message = assert_one_line(code, out, err, prog=prog, names_fix=False)
            assert "index" in message
        # As a user runs it: no "indexing …" announcement before the error.
        result = cli("cli", ["--index", parent / "index", "--corpus", corpus, *QUERY], tmp_path)
        assert_one_line(result.returncode, result.stdout, result.stderr, names_fix=False)
    finally:
        undo()
    assert not (parent / "index").exists()


def test_read_only_corpus_is_indexed(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    undo = _read_only(corpus)
    try:
        code, out, err = _run(index_cli.main, ["--index", tmp_path / "index", "--corpus", corpus, "--json"], capsys)
    finally:
        undo()
    assert code == 0, err
    assert json.loads(out)["added"] == 4


def test_path_errors_through_the_real_commands(paths):
    corpus, a_file, tmp_path = paths
    for module, prog, args in (
        ("cli", "search", ["--index", tmp_path / "index", "--corpus", tmp_path / "nothing", *QUERY]),
        ("index_cli", "search-index", ["--index", a_file / "index", "--corpus", corpus]),
        ("cli", "search", ["--index", a_file, "--corpus", corpus, *QUERY]),
    ):
        result = cli(module, args, tmp_path)
        assert_one_line(result.returncode, result.stdout, result.stderr, prog=prog, names_fix=False)


def test_unreadable_corpus(tmp_path):
    prefix = without_root_powers()
    if prefix is None:
        pytest.skip("running as root and cannot drop CAP_DAC_OVERRIDE (no setpriv): chmod 000 would not stop reading")
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    os.chmod(corpus, 0)
    try:
        results = [
            subprocess.run(
                prefix + [sys.executable, "-m", f"searcher.{module}", "--corpus", str(corpus), "--index", str(tmp_path / "index"), *extra],
                cwd=tmp_path,
                env=clean_env(),
                capture_output=True,
                text=True,
                timeout=120,
            )
            for module, extra in (("index_cli", []), ("cli", QUERY))
        ]
    finally:
        os.chmod(corpus, 0o755)
    for result, prog in zip(results, ("search-index", "search")):
        message = assert_one_line(result.returncode, result.stdout, result.stderr, prog=prog, names_fix=False)
        assert "not readable" in message
