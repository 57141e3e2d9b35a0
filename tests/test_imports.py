"""Start-up hygiene: the one-shot paths must not import the TUI stack (Textual, Rich)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import clean_env

PROBE = """
import json, sys
import {module}
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in ("textual", "rich"))))
"""


def heavy_modules(module: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "module, forbidden",
    [
        ("searcher.engine", ("textual", "rich")),
        ("searcher.cli", ("textual", "rich")),
        ("searcher.indexer", ("textual",)),
    ],
)
def test_module_does_not_import_the_tui_stack(module, forbidden):
    loaded = heavy_modules(module)
    offending = [name for name in loaded if name.split(".")[0] in forbidden]
    assert offending == [], f"importing {module} loads {offending[:5]}"


def test_probe_detects_textual():
    # The probe itself works: importing the TUI does load Textual.
    assert any(name.split(".")[0] == "textual" for name in heavy_modules("textual.app"))


def test_one_shot_search_does_not_load_the_tui_stack(tmp_path):
    """Running a whole `search` (parse, open, search, print) keeps Textual and Rich out."""
    import shutil

    from conftest import CORPUS

    shutil.copytree(CORPUS, tmp_path / "corpus")
    code = (
        "import sys, json, runpy\n"
        "sys.argv = ['search', '--json', '-n', '1', 'ngoại', 'giao']\n"
        "try:\n"
        "    runpy.run_module('searcher.cli', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'rich'))), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=clean_env(), timeout=60)
    assert json.loads(result.stdout.splitlines()[0])["path"].startswith("corpus/")
    assert json.loads(result.stderr.strip().splitlines()[-1]) == []
