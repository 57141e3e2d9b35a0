"""Options that `search` and `search-index` share (searcher.cli.options)."""

from __future__ import annotations

import importlib
from importlib import metadata

import pytest

import searcher


@pytest.mark.parametrize(("command", "module"), [("search", "searcher.cli.search"), ("search-index", "searcher.cli.index")])
def test_version_prints_the_installed_packages_version(command, module, capsys):
    main = importlib.import_module(module).main
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    out, err = capsys.readouterr()
    # The metadata's version, which the build takes from searcher.__version__: one number.
    assert (out, err) == (f"{command} {metadata.version('searcher')}\n", "")
    assert metadata.version("searcher") == searcher.__version__
