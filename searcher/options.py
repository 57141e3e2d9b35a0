"""Command-line options that ``search``, ``search-index`` and the TUI share.

Kept apart and light (argparse and os only) so the one-shot CLI starts fast.
Defaults are left unset here: :func:`searcher.places.resolve` chooses the
index and corpus from what was given, the environment and the current folder.
"""

from __future__ import annotations

import argparse
from typing import NoReturn

__all__ = ["OneLineParser", "add_location_arguments", "add_selection_arguments"]


class OneLineParser(argparse.ArgumentParser):
    """argparse with one-line errors, as rg: ``PROG: error: MESSAGE`` and exit 2, no usage block."""

    def error(self, message: str) -> "NoReturn":  # type: ignore[override]
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
