"""Command-line options that ``search``, ``search-index`` and the TUI share.

Kept apart and light (argparse and os only) so the one-shot CLI starts fast.
Defaults are left unset here: :func:`searcher.index.places.resolve` chooses the
index and corpus from what was given, the environment and the current folder.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, NoReturn

__all__ = [
    "OneLineParser", "add_location_arguments", "add_selection_arguments", "add_version_argument", "installed_version"
]


class OneLineParser(argparse.ArgumentParser):
    """argparse with one-line errors, as rg: ``PROG: error: MESSAGE`` and exit 2, no usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def add_location_arguments(parser: argparse.ArgumentParser, corpus_help: str) -> None:
    """Add ``--index`` and ``--corpus`` (defaults: ``$SEARCHER_INDEX``/``$SEARCHER_CORPUS``, then see ``places``)."""
    parser.add_argument(
        "--index",
        default=None,
        metavar="DIR",
        help="index folder (default: $SEARCHER_INDEX, else found from the current folder, else ./index)",
    )
    parser.add_argument(
        "--corpus",
        default=None,
        metavar="DIR",
        help=f"{corpus_help} (default: $SEARCHER_CORPUS or ./corpus)",
    )


def add_selection_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--include`` and ``--exclude`` (gitignore-style patterns, repeatable)."""
    parser.add_argument(
        "--include",
        action="append",
        default=None,
        metavar="GLOB",
        help="index only files matching GLOB (gitignore syntax, repeatable; kept for later updates)",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=None,
        metavar="GLOB",
        help="leave out files or folders matching GLOB (as in .searchignore; repeatable; kept for later updates)",
    )


def installed_version() -> str:
    """The version of the installed ``searcher`` distribution, from its metadata.

    Falls back to ``searcher.__version__`` (the same number, which the build reads) when the
    package runs from a source folder that was never installed.
    """
    from importlib import metadata

    try:
        return metadata.version("searcher")
    except metadata.PackageNotFoundError:
        from searcher import __version__

        return __version__


class _VersionAction(argparse.Action):
    """``--version``: print ``PROG VERSION`` and exit 0.

    argparse's own ``version`` action wants the text when the parser is built; this one
    reads the metadata only when asked, so that every other run starts as fast as before.
    """

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_args: Any, **_kwargs: Any) -> NoReturn:
        print(f"{parser.prog} {installed_version()}")  # on stdout, as argparse's own version action does
        parser.exit()


def add_version_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--version`` (the installed package's version)."""
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
