"""The test suite's own manners (tests/conftest.py): no test writes into the user's HOME or XDG folders."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, USER_HOME, XDG_FOLDERS, clean_env, run_cli

PLATFORMDIRS = """
import json, platformdirs
from searcher.index.places import cache_dir
from searcher.tui.history import data_home
print(json.dumps([platformdirs.user_cache_dir("searcher"), platformdirs.user_data_dir("searcher"),
                  platformdirs.user_config_dir("searcher"), platformdirs.user_state_dir("searcher"),
                  str(cache_dir()), str(data_home())]))
"""


def _folders_seen() -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PLATFORMDIRS], env=clean_env(), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_test_has_an_empty_home_of_its_own_that_platformdirs_and_commands_follow():
    home = Path(os.environ["HOME"])
    assert os.path.realpath(home) != os.path.realpath(USER_HOME or "/"), "tests run in the user's own HOME"
    assert list(home.iterdir()) == []  # empty: no other test's leftovers
    assert Path.home() == home
    for name, relative in XDG_FOLDERS.items():
        assert os.environ[name] == str(home / relative)
    # The folders searcher writes to (index cache, history) are under it, in this process and in
    # the commands a test starts.
    expected = [
        home / ".cache/searcher",
        home / ".local/share/searcher",
        home / ".config/searcher",
        home / ".local/state/searcher",
        home / ".cache/searcher/indexes",
        home / ".local/share",
    ]
    assert [Path(p) for p in _folders_seen()] == expected


@pytest.mark.slow
def test_a_test_run_leaves_nothing_in_the_users_home(tmp_path):
    """Run tests that index folders by their default (cached) location, as a user would, with
    HOME pointing at an empty folder and no XDG_* set; afterwards that HOME is still empty."""
    home = tmp_path / "user-home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "PYTEST_", "SEARCHER_"))}
    env["HOME"] = str(home)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--basetemp",
            str(tmp_path / "basetemp"),
            "tests/test_cli.py",
            "-k",
            "open_runs_the_editor or search_index_folder_then_search",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0 and re.search(r"\b2 passed", done.stdout), done.stdout[-3000:] + done.stderr[-2000:]
    assert sorted(str(p.relative_to(home)) for p in home.rglob("*")) == []
    listed = run_cli("search-index", ["--list"], tmp_path, env=env)
    assert listed.stdout.startswith("no indexed folders"), listed.stdout
