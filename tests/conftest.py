"""Shared fixtures.

Every index lives under pytest's ``tmp_path``; the bundled-corpus index is
built once per session and shared (read-only) by every test that needs it.
Nothing here writes into the repository (``corpus/`` and ``index/`` stay untouched),
and nothing into the user's own folders: every test runs with a HOME and XDG
folders of its own (:func:`own_home`), which the commands it starts inherit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"

# The four bundled articles, by role (see tests/test_corpus.py for what each one exercises).
FILE_000 = "000_137cec3cb1bd4b41.txt"  # no blank lines: one paragraph per line
FILE_001 = "001_771f5d769968830d.txt"  # blank lines, a duplicated photo caption, a URL
FILE_002 = "002_0b57d89c0472e7fd.txt"  # no blank lines, `|` separators, hard-wrapped captions
FILE_003 = "003_420c61a6be63a417.txt"  # contains decomposed (NFD) characters

# A generous time budget for library searches: the default (a tenth of a
# second) is a product decision for interactive use, and a loaded 2-core CI
# machine must not turn a relevance test into a timing test.
BUDGET = 30.0


def run_search(engine, query: str, limit: int = 10, **kwargs):
    """``engine.search`` with a generous budget; asserts the search was not cut short.

    The engine also caps the time of its lower ("filler") tiers internally, whatever
    the budget (``result.filled`` is False when they were cut), so on a busy machine
    a search can be cut short by a scheduling hiccup: retry a few times before
    calling that a failure.
    """
    kwargs.setdefault("budget", BUDGET)
    for _attempt in range(5):
        result = engine.search(query, limit=limit, **kwargs)
        if result.complete and getattr(result, "filled", True):
            return result
    raise AssertionError(
        f"search for {query!r} never completed ({result.elapsed:.3f} s; complete={result.complete}, "
        f"filled={getattr(result, 'filled', None)}, notes: {result.notes})"
    )


# -- a HOME of its own for every test ------------------------------------------------------

# The folders that platformdirs and the XDG base-directory specification derive from HOME:
# the index cache, the query history and settings, the OpenSearch credentials file.
XDG_FOLDERS = {
    "XDG_CACHE_HOME": ".cache",
    "XDG_DATA_HOME": ".local/share",
    "XDG_CONFIG_HOME": ".config",
    "XDG_STATE_HOME": ".local/state",
}
# The user's own HOME and cache folder, as they were before any test ran (tests/test_conftest.py
# checks that a test run leaves them clean).
USER_HOME = os.environ.get("HOME", "")
USER_CACHE = os.environ.get("XDG_CACHE_HOME") or (os.path.join(USER_HOME, ".cache") if USER_HOME else "")


def point_home_at(monkeypatch: pytest.MonkeyPatch, home: Path) -> Path:
    """Set HOME and every XDG_* folder of :data:`XDG_FOLDERS` to ``home`` and folders under it."""
    home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    for name, relative in XDG_FOLDERS.items():
        monkeypatch.setenv(name, str(home / relative))
    return home


@pytest.fixture(scope="session", autouse=True)
def session_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A HOME for the whole session, in force while session fixtures (the shared indexes) are built."""
    # scripts/opensearch-node keeps the OpenSearch it downloads (about 100 MB) in
    # ~/.cache/searcher/opensearch: the tests that start a node of their own reuse the one .ci/run
    # (or the user) fetched, rather than fetching it again into every test's HOME.
    artifacts = Path(USER_HOME, ".cache", "searcher", "opensearch") if USER_HOME else None
    with pytest.MonkeyPatch.context() as monkeypatch:
        home = point_home_at(monkeypatch, tmp_path_factory.mktemp("session-home"))
        if "SEARCHER_OPENSEARCH_HOME" not in os.environ:
            reuse = artifacts is not None and artifacts.is_dir()
            monkeypatch.setenv("SEARCHER_OPENSEARCH_HOME", str(artifacts if reuse else home / "opensearch"))
        yield home


@pytest.fixture(autouse=True)
def own_home(session_home: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty HOME, and XDG_CACHE/DATA/CONFIG/STATE_HOME under it.

    Set in the environment, so the ``search`` and ``search-index`` processes a test starts
    inherit it.  Not under ``tmp_path``, which many tests list or index whole.
    """
    return point_home_at(monkeypatch, tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def bundled(tmp_path_factory) -> SimpleNamespace:
    """The bundled corpus indexed once into a temporary folder."""
    from searcher.index.build import build_index

    root = tmp_path_factory.mktemp("bundled")
    index = root / "index"
    summary = build_index(CORPUS, index)
    return SimpleNamespace(index=index, summary=summary, corpus=CORPUS)


@pytest.fixture(scope="session")
def engine(bundled):
    from searcher import Engine

    eng = Engine.open(bundled.index)
    yield eng
    eng.close()


@pytest.fixture
def make_corpus(tmp_path) -> Callable[..., Path]:
    """Write ``{relative path: str | bytes}`` into a fresh corpus folder under tmp_path."""
    counter = iter(range(1000))

    def make(files: dict[str, str | bytes], name: str | None = None) -> Path:
        root = tmp_path / (name or f"corpus{next(counter)}")
        root.mkdir(parents=True, exist_ok=True)
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    return make


@pytest.fixture
def small_engine(tmp_path, make_corpus):
    """Build an index of a few given documents and open it: ``small_engine({"a.txt": "..."})``."""
    from searcher import Engine
    from searcher.index.build import build_index

    opened = []

    def make(files: dict[str, str | bytes]):
        corpus = make_corpus(files)
        index = tmp_path / f"index-{corpus.name}"
        build_index(corpus, index)
        eng = Engine.open(index)
        opened.append(eng)
        return eng

    yield make
    for eng in opened:
        eng.close()


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for CLI subprocesses: no inherited SEARCHER_* or NO_COLOR."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHER_") and k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(extra)
    return env


# The commands a user runs, and the module behind each (``python -m`` runs the same code).
COMMANDS = {"search": "searcher.cli.search", "search-index": "searcher.cli.index"}


def command_line(command: str, args: list, prefix: list[str] | tuple[str, ...] = ()) -> list:
    """The argv that runs ``command`` (``search`` or ``search-index``) with ``args`` (str, Path or bytes)."""
    return [*prefix, sys.executable, "-m", COMMANDS[command], *(a if isinstance(a, bytes) else str(a) for a in args)]


def run_cli(
    command: str,
    args: list,
    cwd: Path,
    *,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    errors: str = "strict",
    prefix: list[str] | tuple[str, ...] = (),
    capsys: pytest.CaptureFixture[str] | None = None,
) -> subprocess.CompletedProcess:
    """Run ``search`` or ``search-index`` the way a user runs it: a process in ``cwd``, a clean environment.

    Returns the ``CompletedProcess`` (``returncode``, ``stdout``, ``stderr`` as text).
    With ``capsys``, the command's ``main()`` runs in this process instead (much
    faster; for the many error paths), and its result comes back in the same shape.
    """
    if capsys is not None:
        import contextlib
        import importlib

        assert env is None and not prefix, "an in-process run has the test's environment"
        main = importlib.import_module(COMMANDS[command]).main
        capsys.readouterr()
        with contextlib.chdir(cwd):
            code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess([command, *args], code, out, err)
    return subprocess.run(
        command_line(command, args, prefix),
        cwd=cwd,
        env=env if env is not None else clean_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors=errors,
        timeout=timeout,
        check=False,
    )


def start_cli(command: str, args: list, cwd: Path, **options) -> subprocess.Popen:
    """Start ``search`` or ``search-index`` in its own session (so its process tree can be found).

    Output goes to pipes unless ``stdout``/``stderr`` say otherwise: after a
    ``kill -9`` use files, since orphaned workers may hold the pipes open.
    """
    options = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **options}
    return subprocess.Popen(
        command_line(command, args),
        cwd=cwd,
        env=clean_env(),
        stdin=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
        **options,
    )


def generation_dir(index: Path) -> Path:
    """The folder of the generation an index's ``CURRENT`` points at."""
    return index / json.loads((index / "CURRENT").read_text("utf-8"))["generation"]


def set_schema_version(index: Path, version) -> None:
    """Rewrite the schema version recorded in the live generation (as an older or newer release would have)."""
    meta_path = generation_dir(index) / "searcher.json"
    meta = json.loads(meta_path.read_text("utf-8"))
    meta["schema_version"] = version
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
