"""The package as users install it: a wheel, in a fresh virtual environment, run far from this checkout.

Slow and online: it builds the wheel, makes a venv and lets pip fetch the dependencies (pip
keeps its downloads in its usual cache, ``$PIP_CACHE_DIR`` or the user's, as the README's
own ``pip install`` does; nothing else is written outside the test's folders).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, USER_CACHE

pytestmark = pytest.mark.slow

PACKAGE = REPO / "searcher"
QUERY = "ngoại giao kinh tế"
INSTALL_OPENSEARCH = "pip install 'searcher[opensearch]'"

# Started by the venv's Python from the empty folder: the live search on the installed wheel,
# headless, until its query box is laid out by searcher.tcss (one line high, where Textual's
# own Input is three).
TUI_PROBE = """
import asyncio, json, sys, time
from searcher.tui.app import SearchApp

async def main():
    app = SearchApp(sys.argv[1], sys.argv[2], "ngoại giao")
    async with app.run_test(size=(80, 24)) as pilot:
        deadline = time.monotonic() + 60
        while not (getattr(app, "main", None) is not None and app.main.is_mounted):
            assert time.monotonic() < deadline, "the search screen never mounted"
            await pilot.pause(0.05)
        query = app.main.query_one("#query")
        print(json.dumps({"css": [str(p) for p in app.css_path], "query_height": query.outer_size.height}))

asyncio.run(main())
"""


def _package_files() -> set[str]:
    """Every file of the package folder (not bytecode), as a path inside a wheel."""
    return {
        path.relative_to(REPO).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Build the wheel from a copy of the sources, install it (base, no extras) into a fresh venv."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"  # a copy, so the build writes nothing (build/, *.egg-info) into the checkout
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(PACKAGE, source / "searcher", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.setdefault("PIP_CACHE_DIR", str(Path(USER_CACHE or root, "pip")))
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"

    def run(argv: list[str], **options: object) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=900, check=False, **options)  # type: ignore[call-overload]
        assert done.returncode == 0, f"{argv}: {done.stdout[-2000:]}{done.stderr[-3000:]}"
        return done

    dist = root / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(dist), str(source)])
    (wheel,) = dist.glob("searcher-*.whl")
    venv = root / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], cwd=root)
    return {"wheel": wheel, "venv": venv}


def _user_env(venv: Path) -> dict[str, str]:
    """A user's shell with only the venv on PATH: no PYTHONPATH, nothing of this checkout."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME") and not k.startswith("SEARCHER_")
    }
    env["PATH"] = os.pathsep.join([str(venv / "bin"), "/usr/bin", "/bin"])
    env["VIRTUAL_ENV"] = str(venv)
    return env


def _run(venv: Path, argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=cwd,
        env=_user_env(venv),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_the_wheel_holds_every_file_of_the_package(installed):
    with zipfile.ZipFile(installed["wheel"]) as wheel:
        names = set(wheel.namelist())
    missing = _package_files() - names
    assert not missing, f"not in the wheel: {sorted(missing)}"
    assert "searcher/tui/searcher.tcss" in names and "searcher/py.typed" in names


def test_the_base_install_has_no_cluster_client(installed):
    venv = installed["venv"]
    probe = "import importlib.util as u, json; print(json.dumps([m for m in ('opensearchpy', 'grpc', 'google.protobuf') if (u.find_spec(m.split('.')[0]) and u.find_spec(m))]))"
    done = _run(venv, ["python", "-c", probe], Path(os.environ["HOME"]))
    assert (done.returncode, json.loads(done.stdout)) == (0, []), done.stderr


def test_the_installed_commands_work_from_an_empty_folder(installed, tmp_path):
    venv = installed["venv"]
    home = Path(os.environ["HOME"])  # the test's own (tests/conftest.py)
    empty = tmp_path / "empty"
    empty.mkdir()

    version = _run(venv, ["search", "--version"], empty)
    assert (version.returncode, version.stdout.split()[0]) == (0, "search"), version.stderr
    assert version.stdout.split()[1][0].isdigit()
    assert _run(venv, ["search-index", "--version"], empty).stdout == version.stdout.replace(
        "search", "search-index", 1
    )

    # No index and no corpus/ here: one line that says what to run.
    lost = _run(venv, ["search", QUERY], empty)
    assert (lost.returncode, lost.stdout) == (2, "")
    assert len(lost.stderr.splitlines()) == 1 and "search-index ." in lost.stderr, lost.stderr

    # A cluster address in the base install: one line naming the extra to install.
    cluster = _run(venv, ["search", "--index", "opensearch://127.0.0.1:9/docs", QUERY], empty)
    assert (cluster.returncode, cluster.stdout) == (2, "")
    assert cluster.stderr.splitlines() == [
        f"search: error: the OpenSearch backend is not installed: {INSTALL_OPENSEARCH}"
    ]

    # A folder of the user's own, indexed from elsewhere, then searched from inside it.
    docs = home / "some-folder"
    (docs / "tin").mkdir(parents=True)
    (docs / "tin" / "bài.txt").write_text(
        "Ngoại giao kinh tế\n\nNgành ngoại giao đã đóng góp nhiều cho kinh tế đất nước.\n", encoding="utf-8"
    )
    (docs / "ghi-chú.md").write_text("# Ghi chú\n\nHọp về **hòa bình** và ngoài trời.\n", encoding="utf-8")
    (docs / "trang.html").write_text(
        "<html><body><p>Ngoại giao kinh tế là trọng tâm.</p></body></html>", encoding="utf-8"
    )
    built = _run(venv, ["search-index", str(docs), "--json"], empty)
    assert built.returncode == 0, built.stderr
    assert json.loads(built.stdout)["files"] == 3
    found = _run(venv, ["search", "--json", QUERY], docs)
    assert found.returncode == 0, found.stderr
    hits = [json.loads(line) for line in found.stdout.splitlines()]
    assert [(h["path"], h["line"]) for h in hits] == [("tin/bài.txt", 1), ("trang.html", 1), ("tin/bài.txt", 3)]

    # The live search starts on it, styled by the searcher.tcss inside the wheel.
    index = _run(
        venv,
        ["python", "-c", "import sys; from searcher.index.places import index_for; print(index_for(sys.argv[1]))", str(docs)],
        empty,
    )
    tui = _run(venv, ["python", "-c", TUI_PROBE, index.stdout.strip(), str(docs)], empty)
    assert tui.returncode == 0, tui.stderr[-3000:]
    shown = json.loads(tui.stdout.splitlines()[-1])
    (css,) = shown["css"]
    assert Path(css).is_relative_to(installed["venv"]) and css.endswith("searcher/tui/searcher.tcss")
    assert shown["query_height"] == 1
