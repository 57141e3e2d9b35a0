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
from pathlib import Path

import pytest

from conftest import CORPUS, generation_dir, run_cli, set_schema_version
from robust_support import without_root_powers
from searcher.index.build import build_index

QUERY = ["ngoại", "giao"]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """The bundled corpus (copied) and an index of it; plus the hits the index gives for QUERY."""
    root = tmp_path_factory.mktemp("pristine")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    index = root / "index"
    build_index(corpus, index, parallel=False)
    hits = _search_json(index, corpus)
    assert hits.returncode == 0, hits.stderr
    return corpus, index, hits.stdout


def _search_json(index, corpus):
    """``search --json`` as a subprocess (a damaged index must not poison this process's caches)."""
    return run_cli("search", ["--json", "-n", "50", "--index", index, "--corpus", corpus, *QUERY], corpus)


def assert_one_line(result, prog: str = "search", names_fix: bool = True) -> str:
    code, out, err = result.returncode, result.stdout, result.stderr
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
    return run_cli("search", ["--color", "never", "--index", index, "--corpus", corpus, *QUERY], corpus, capsys=capsys)


def _assert_repaired(corpus, index, hits, capsys, full: bool):
    repair = run_cli("search-index", ["--corpus", corpus, "--index", index, "--quiet"] + (["--full"] if full else []), corpus, capsys=capsys)
    assert repair.returncode == 0, repair.stderr
    assert "Traceback" not in repair.stderr
    after = _search_json(index, corpus)
    assert after.returncode == 0, after.stderr
    assert [(h["path"], h["line"]) for h in map(json.loads, after.stdout.splitlines())] == [
        (h["path"], h["line"]) for h in map(json.loads, hits.splitlines())
    ]


# -- damaged segment files -------------------------------------------------------------------

SEGMENT_FILES = [
    "*.toc",
    "*.trm",
    "*.pst",
    "*._stored.col",
    "*.pid.col",
    "*._folded_len.col",
    # The syllable fields' postings and the paragraphs' lengths (searcher.index.codec).
    "*.vpa",
    "*.vln",
]


@pytest.mark.slow  # runs the commands as processes
@pytest.mark.parametrize("repair", ["full", "incremental"])
@pytest.mark.parametrize("how", ["delete", "empty", "half"])
@pytest.mark.parametrize("pattern", SEGMENT_FILES)
def test_damaged_segment_file(index_copy, capsys, pattern, how, repair):
    corpus, index, hits = index_copy
    files = sorted(generation_dir(index).glob(pattern))
    assert files, pattern
    for path in files:
        _damage(path, how)
    message = assert_one_line(_search(index, corpus, capsys))
    assert "damaged" in message
    _assert_repaired(corpus, index, hits, capsys, full=repair == "full")


@pytest.mark.slow  # runs the commands as processes
@pytest.mark.parametrize("how", ["flip", "zero-head"])
@pytest.mark.parametrize("pattern", SEGMENT_FILES)
def test_damage_that_keeps_the_size_is_found_and_repaired_by_a_plain_update(index_copy, capsys, pattern, how):
    # Every segment file's checksum is checked by every search-index (searcher.index.codec.verify),
    # and by a search for the files and the parts of the postings it reads.
    corpus, index, hits = index_copy
    for path in sorted(generation_dir(index).glob(pattern)):
        data = bytearray(path.read_bytes())
        if how == "flip":
            data[len(data) // 2] ^= 0xFF
        else:
            data[:16] = bytes(min(16, len(data)))
        path.write_bytes(bytes(data))
    # A search may say the index is damaged, but never answers wrongly in silence.
    before = _search_json(index, corpus)
    if before.returncode == 2:
        assert "damaged" in before.stderr and "Traceback" not in before.stderr
    else:
        assert before.returncode == 0, before.stderr
        assert [(h["path"], h["line"]) for h in map(json.loads, before.stdout.splitlines())] == [
            (h["path"], h["line"]) for h in map(json.loads, hits.splitlines())
        ]
    _assert_repaired(corpus, index, hits, capsys, full=False)


# -- schema versions, metadata, CURRENT ----------------------------------------------------------


META_DAMAGE = {
    "older-schema": (lambda ix: set_schema_version(ix, 1), "schema 1"),
    "newer-schema": (lambda ix: set_schema_version(ix, 99), "newer"),
    "schema-not-a-number": (lambda ix: set_schema_version(ix, "deux"), "searcher.json"),
    "meta-garbage": (lambda ix: (generation_dir(ix) / "searcher.json").write_bytes(b"\x00\xff{"), "searcher.json"),
    "meta-deleted": (lambda ix: (generation_dir(ix) / "searcher.json").unlink(), "missing"),
    "generation-deleted": (lambda ix: shutil.rmtree(generation_dir(ix)), "missing"),
}
CURRENT_GARBAGE = [b"", b"\x00\xff\xfe", b"[]", b'"gen"', b"{}", b'{"generation": null}', b'{"generation": 5}', b'{"generation": ""}', b'{"generation": "../elsewhere"}', b'{"generation": ']


@pytest.mark.slow  # runs the commands as processes
@pytest.mark.parametrize("repair", ["full", "incremental"])
@pytest.mark.parametrize("case", sorted(META_DAMAGE))
def test_bad_metadata_or_schema(index_copy, capsys, case, repair):
    corpus, index, hits = index_copy
    damage, fragment = META_DAMAGE[case]
    damage(index)
    message = assert_one_line(_search(index, corpus, capsys))
    assert fragment in message
    _assert_repaired(corpus, index, hits, capsys, full=repair == "full")


@pytest.mark.slow  # runs the commands as processes
@pytest.mark.parametrize("repair", ["full", "incremental"])
@pytest.mark.parametrize("content", CURRENT_GARBAGE, ids=[repr(c)[2:-1] or "empty" for c in CURRENT_GARBAGE])
def test_garbage_current_file(index_copy, capsys, content, repair):
    corpus, index, hits = index_copy
    (index / "CURRENT").write_bytes(content)
    assert_one_line(_search(index, corpus, capsys))
    _assert_repaired(corpus, index, hits, capsys, full=repair == "full")
    # The repaired index is tidy: one live generation (and at most the one before it).
    assert len(list(index.glob("gen-*"))) <= 2


@pytest.mark.slow  # runs the commands as processes
def test_damage_through_the_real_commands(index_copy):
    """The same, as a user sees it: the message, then the fix it names."""
    corpus, index, _ = index_copy
    for path in generation_dir(index).glob("*.trm"):
        path.write_bytes(b"")
    assert_one_line(run_cli("search", ["--index", index, "--corpus", corpus, *QUERY], corpus))
    fixed = run_cli("search-index", ["--index", index, "--corpus", corpus, "--full"], corpus)
    assert fixed.returncode == 0, fixed.stderr
    assert run_cli("search", ["--index", index, "--corpus", corpus, *QUERY], corpus).returncode == 0


def test_engine_api_raises_index_unusable(index_copy):
    from searcher import Engine
    from searcher.errors import IndexUnusable

    _, index, _ = index_copy
    with Engine.open(index) as engine:
        for path in generation_dir(index).glob("*._stored.col"):  # the paragraphs a search reads
            path.write_bytes(b"")
        with pytest.raises(IndexUnusable, match="search-index --full"):
            engine.search("ngoại giao", budget=30)
            engine.refresh(force=True)
            engine.search("kinh tế xã hội", budget=30)
    for path in generation_dir(index).glob("*.trm"):
        path.write_bytes(b"")
    with pytest.raises(IndexUnusable, match="search-index --full"):
        Engine.open(index)


# -- corpus and index paths ----------------------------------------------------------------------


@pytest.fixture
def paths(tmp_path, pristine):
    corpus, _, _ = pristine
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
    query = QUERY if command == "search" else []
    result = run_cli(command, ["--index", index, "--corpus", corpus, *query], tmp_path, capsys=capsys)
    message = assert_one_line(result, prog=command, names_fix=False)
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
    done = subprocess.run([chattr, "-R", "+i", str(path)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        subprocess.run([chattr, "-R", "-i", str(path)], capture_output=True, check=False)
        pytest.skip(f"running as root and chattr +i is not supported here: {done.stderr.strip()}")
    return lambda: subprocess.run([chattr, "-R", "-i", str(path)], check=True)


@pytest.mark.slow  # runs the commands as processes
def test_read_only_index(index_copy, capsys):
    corpus, index, hits = index_copy
    undo = _read_only(index)
    try:
        # Searching needs no write access...
        found = _search_json(index, corpus)
        assert found.returncode == 0, found.stderr
        assert found.stdout == hits
        # ...updating it does: one line, exit 2, and the index is unchanged.
        for args in ([], ["--full"]):
            result = run_cli("search-index", ["--index", index, "--corpus", corpus] + args, corpus, capsys=capsys)
            message = assert_one_line(result, prog="search-index", names_fix=False)
            assert str(index) in message
    finally:
        undo()
    assert _search_json(index, corpus).stdout == hits


@pytest.mark.slow  # runs the commands as processes
def test_another_users_index_is_named_as_such_not_as_damaged(index_copy):
    """A 0700 index of another user is not damaged, and --full cannot fix it: the message says whose it is."""
    corpus, index, hits = index_copy
    prefix = without_root_powers()
    if os.geteuid() != 0 or not prefix:
        pytest.skip("needs root (to give the index to another user) and setpriv (to lose root's powers)")
    import pwd

    nobody = pwd.getpwnam("nobody").pw_uid
    for path in [index, *index.rglob("*")]:
        os.lchown(path, nobody, -1)
    index.chmod(0o700)
    try:
        for command, args in (("search", QUERY), ("search-index", []), ("search-index", ["--full"])):
            result = run_cli(command, ["--index", index, "--corpus", corpus, *args], corpus, prefix=prefix)
            message = assert_one_line(result, prog=command, names_fix=False)
            assert "belongs to another user (nobody)" in message and "damaged" not in message, message
            assert "--full" not in message
    finally:
        for path in [index, *index.rglob("*")]:
            os.lchown(path, 0, -1)
    assert _search_json(index, corpus).stdout == hits


@pytest.mark.slow  # runs the commands as processes
def test_index_in_a_read_only_folder(paths, capsys):
    corpus, _, tmp_path = paths
    parent = tmp_path / "locked"
    parent.mkdir()
    undo = _read_only(parent)
    try:
        for command, extra in (("search", QUERY), ("search-index", [])):
            result = run_cli(command, ["--index", parent / "index", "--corpus", corpus, *extra], tmp_path, capsys=capsys)
            message = assert_one_line(result, prog=command, names_fix=False)
            assert "index" in message
        # As a user runs it: no "indexing …" announcement before the error.
        result = run_cli("search", ["--index", parent / "index", "--corpus", corpus, *QUERY], tmp_path)
        assert_one_line(result, names_fix=False)
    finally:
        undo()
    assert not (parent / "index").exists()


def test_read_only_corpus_is_indexed(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    undo = _read_only(corpus)
    try:
        result = run_cli("search-index", ["--index", tmp_path / "index", "--corpus", corpus, "--json"], tmp_path, capsys=capsys)
    finally:
        undo()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["added"] == 4


@pytest.mark.slow  # runs the commands as processes
def test_path_errors_through_the_real_commands(paths):
    corpus, a_file, tmp_path = paths
    for command, args in (
        ("search", ["--index", tmp_path / "index", "--corpus", tmp_path / "nothing", *QUERY]),
        ("search-index", ["--index", a_file / "index", "--corpus", corpus]),
        ("search", ["--index", a_file, "--corpus", corpus, *QUERY]),
    ):
        assert_one_line(run_cli(command, args, tmp_path), prog=command, names_fix=False)


@pytest.mark.slow  # runs the commands as processes
def test_unreadable_corpus(tmp_path):
    prefix = without_root_powers()
    if prefix is None:
        pytest.skip("running as root and cannot drop CAP_DAC_OVERRIDE (no setpriv): chmod 000 would not stop reading")
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    os.chmod(corpus, 0)
    try:
        results = [
            run_cli(command, ["--corpus", corpus, "--index", tmp_path / "index", *extra], tmp_path, prefix=prefix)
            for command, extra in (("search-index", []), ("search", QUERY))
        ]
    finally:
        os.chmod(corpus, 0o755)
    for result, prog in zip(results, ("search-index", "search"), strict=True):
        message = assert_one_line(result, prog=prog, names_fix=False)
        assert "not readable" in message
