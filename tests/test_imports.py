"""Import hygiene, enforced the way harlequin does it.

Every headless module is imported in a fresh interpreter: none may load
Textual, the one-shot paths may not load Rich either (start-up time is a
feature), and the TUI may not load the CLI (the CLI opens the TUI, never the
other way round).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CORPUS, clean_env

PACKAGE = Path(__file__).resolve().parent.parent / "searcher"

PROBE = """
import json, sys
import {module}
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in ("textual", "rich") or name.startswith("searcher."))))
"""

HEADLESS = [
    "searcher",
    "searcher.errors",
    "searcher.cli.options",
    "searcher.vietnamese.text",
    "searcher.vietnamese.inputmethod",
    "searcher.vietnamese.legacy",
    "searcher.vietnamese.analysis",
    "searcher.documents.corpus",
    "searcher.documents.encoding",
    "searcher.documents.paragraphs",
    "searcher.documents.formats",
    "searcher.documents.formats._binary",
    "searcher.documents.formats._lines",
    "searcher.documents.formats._common",
    "searcher.documents.formats._model",
    "searcher.documents.formats._ocr",
    "searcher.documents.formats._office",
    "searcher.documents.formats._pool",
    "searcher.documents.formats._text",
    "searcher.index.store",
    "searcher.index.build",
    "searcher.index.feed",
    "searcher.index.update",
    "searcher.building",
    "searcher.search.query",
    "searcher.search.planning",
    "searcher.search.matching",
    "searcher.search.rewrite",
    "searcher.vietnamese.accents",
    "searcher.search.bestmatch",
    "searcher.index",
    "searcher.index.arrays",
    "searcher.index.codec",
    "searcher.index.schema",
    "searcher.vietnamese",
    "searcher.vietnamese.whoosh_analysis",
    "searcher.engine",
    "searcher.search.highlight",
    "searcher.cli.presentation",
    "searcher.documents.selection",
    "searcher.documents.filters",
    "searcher.index.places",
    "searcher.cli.opener",
    "searcher.index.watch",
    "searcher.index.whoosh_patches",
    "searcher.backends",
    "searcher.backends.base",
    "searcher.backends.local",
    "searcher.backends.opensearch",
    "searcher.backends.opensearch.backend",
    "searcher.backends.opensearch.build",
    "searcher.backends.opensearch.client",
    "searcher.backends.opensearch.dsl",
    "searcher.backends.opensearch.mapping",
    "searcher.backends.opensearch.writer",
    "searcher.search.candidates",
    "searcher.search.ranking",
    "searcher.search.results",
    "searcher.search.verify",
    "searcher.cli.search",
    "searcher.cli.search_args",
    "searcher.cli.output",
    "searcher.cli.index",
]


def loaded_by(module: str) -> list[str]:
    """The Textual, Rich and searcher modules that importing ``module`` loads, in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_every_headless_module_is_listed() -> None:
    # A new module outside the TUI must join HEADLESS, so the hygiene check covers it.
    modules = {
        "searcher." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for path in PACKAGE.rglob("*.py")
        if "tui" not in path.relative_to(PACKAGE).parts
        and path.name not in ("__init__.py", "__main__.py", "_worker.py")  # _worker runs as a program
    }
    assert modules - set(HEADLESS) == set()


@pytest.mark.parametrize("module", HEADLESS)
def test_headless_module_does_not_load_textual(module: str) -> None:
    loaded = loaded_by(module)
    assert [name for name in loaded if name.split(".")[0] == "textual" or name.startswith("searcher.tui")] == []


@pytest.mark.parametrize("module", ["searcher.tui.live", "searcher.tui.protocol"])
def test_the_live_search_scheduler_does_not_load_textual(module: str) -> None:
    # When and how the live search searches is written, and tested, without Textual.
    loaded = loaded_by(module)
    assert module in loaded  # the probe sees what it should
    assert [name for name in loaded if name.split(".")[0] == "textual"] == []


@pytest.mark.parametrize("module", ["searcher.cli.search", "searcher.engine", "searcher.cli.presentation"])
def test_one_shot_modules_do_not_load_rich(module: str) -> None:
    assert [name for name in loaded_by(module) if name.split(".")[0] == "rich"] == []


@pytest.mark.parametrize("module", ["searcher.tui.app", "searcher.tui.screens", "searcher.tui.widgets"])
def test_the_tui_does_not_load_the_cli(module: str) -> None:
    loaded = loaded_by(module)
    assert "textual" in loaded  # the probe sees what it should
    assert [name for name in loaded if name in ("searcher.cli.search", "searcher.cli.index")] == []


def test_no_module_imports_the_command_line_modules() -> None:
    # Only their own entry points (the console scripts, ``python -m``) load them.
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).as_posix() not in ("cli/search.py", "cli/index.py")
        for line in path.read_text("utf-8").splitlines()
        # (the two modules by their exact names: cli/search_args.py is only their parser)
        if line.strip().startswith((
            "import searcher.cli.search ", "from searcher.cli.search ", "import searcher.cli.index ", "from searcher.cli.index ",
            "from searcher.cli import search", "from searcher.cli import index", "from searcher import cli",
        ))
    ]
    assert offenders == []


def test_every_textual_import_is_inside_the_tui_package() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "tui" not in path.relative_to(PACKAGE).parts
        and any(line.lstrip().startswith(("import textual", "from textual")) for line in path.read_text("utf-8").splitlines())
    ]
    assert offenders == []


def test_one_shot_search_does_not_load_the_tui_stack(tmp_path: Path) -> None:
    """Running a whole `search` (parse, first-use build, search, print) keeps Textual and Rich out."""
    shutil.copytree(CORPUS, tmp_path / "corpus")
    code = (
        "import sys, json, runpy\n"
        "sys.argv = ['search', '--json', '-n', '1', 'ngoại', 'giao']\n"
        "try:\n"
        "    runpy.run_module('searcher.cli.search', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'rich'))), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=clean_env(), timeout=60, check=False)
    assert json.loads(result.stdout.splitlines()[0])["path"].startswith("corpus/")
    assert json.loads(result.stderr.strip().splitlines()[-1]) == []


# What a one-shot search over an index that exists never needs: building (the indexer, the document
# readers, the writer processes), the cluster client, running programs.  Each costs start-up time.
NOT_FOR_A_SEARCH = (
    "searcher.building",
    "searcher.index.build",
    "searcher.index.feed",
    "searcher.index.update",
    "searcher.documents.corpus",
    "searcher.documents.encoding",
    "searcher.documents.paragraphs",
    "searcher.documents.formats",
    "searcher.vietnamese.legacy",
    "searcher.index.watch",
    "searcher.backends.opensearch",
    "multiprocessing",
    "concurrent.futures",
    "subprocess",
)


def _one_shot(tmp_path: Path, probe: str) -> list[str]:
    """Run ``search --json -n 1 ngoại giao`` in a fresh interpreter on an index built beforehand,
    then ``probe`` (Python code that prints one JSON value on stderr); return its value."""
    shutil.copytree(CORPUS, tmp_path / "corpus")
    env = {k: v for k, v in clean_env().items() if k != "OPENBLAS_NUM_THREADS"}  # as a user has it
    build = "from searcher.index.build import build_index; build_index('corpus', 'index')"
    subprocess.run([sys.executable, "-c", build], cwd=tmp_path, check=True, env=env, timeout=120)
    code = (
        "import sys, json, runpy\n"
        "sys.argv = ['search', '--index', 'index', '--json', '-n', '1', 'ngoại', 'giao']\n"
        "try:\n"
        "    runpy.run_module('searcher.cli.search', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n" + probe
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert json.loads(result.stdout.splitlines()[0])["path"].startswith("corpus/"), result.stderr
    return json.loads(result.stderr.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_one_shot_search_loads_nothing_for_building_or_running_programs(tmp_path: Path) -> None:
    probe = f"print(json.dumps(sorted(n for n in sys.modules if n.startswith({NOT_FOR_A_SEARCH!r}))), file=sys.stderr)\n"
    assert _one_shot(tmp_path, probe) == []


def test_the_cli_and_the_engine_load_numpy_and_whoosh_only_to_search() -> None:
    # Parsing the command line (--help, a usage error) must not pay for numpy or Whoosh.
    code = "import sys, json, searcher.cli.search, searcher.engine; print(json.dumps('numpy' in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean_env(), timeout=60, check=False)
    assert json.loads(result.stdout) is False, result.stderr
    code = "import sys, json, searcher.cli.search; print(json.dumps(sorted({n.split('.')[0] for n in sys.modules} & {'numpy', 'whoosh'})))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean_env(), timeout=60, check=False)
    assert json.loads(result.stdout) == [], result.stderr


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads through /proc")
def test_one_shot_search_starts_no_blas_threads(tmp_path: Path) -> None:
    """numpy's OpenBLAS starts a spinning thread per core on import (50 ms of CPU time on two
    cores); the one-shot search does no linear algebra and asks for one, then gives the variable back."""
    probe = (
        "import os, threading\n"
        "print(json.dumps([len(os.listdir('/proc/self/task')) - threading.active_count(), "
        "os.environ.get('OPENBLAS_NUM_THREADS')]), file=sys.stderr)\n"
    )
    assert _one_shot(tmp_path, probe) == [0, None]
