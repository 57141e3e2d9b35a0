"""Command-line options that ``search``, ``search-index`` and the TUI share.

Kept apart and light (argparse and os only) so the one-shot CLI starts fast.
"""

from __future__ import annotations

import argparse
import os

__all__ = ["add_location_arguments"]


def add_location_arguments(parser: argparse.ArgumentParser, corpus_help: str) -> None:
    """Add ``--index`` and ``--corpus``, defaulting to ``$SEARCHER_INDEX``/``./index`` and ``$SEARCHER_CORPUS``/``./corpus``."""
    parser.add_argument(
        "--index",
        default=os.environ.get("SEARCHER_INDEX", "index"),
        metavar="DIR",
        help="index folder (default: $SEARCHER_INDEX or ./index)",
    )
    parser.add_argument(
        "--corpus",
        default=os.environ.get("SEARCHER_CORPUS", "corpus"),
        metavar="DIR",
        help=f"{corpus_help} (default: $SEARCHER_CORPUS or ./corpus)",
    )
