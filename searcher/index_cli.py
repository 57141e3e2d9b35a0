"""``search-index``: build or update the index, safely, from a script, cron or CI.

Incremental by default; ``--full`` rebuilds into a new generation that is
swapped in atomically.  Exit 0 on success (skipped files are warnings), 2 on
fatal errors, with a one-line message.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable, Sequence

from .errors import EXIT_ERROR, SearcherError
from .options import add_location_arguments

__all__ = ["main", "build_parser"]

DESCRIPTION = """\
Build or update the search index of a folder of .txt files.

By default only new, changed (size/mtime, then content hash) and deleted files
are processed. --full rebuilds everything into a new index beside the old one
and swaps it in atomically: searches running meanwhile keep working, and an
interrupted build leaves the old index untouched.
"""

EPILOG = """\
examples:
  search-index                          update ./index from ./corpus
  search-index --corpus ~/docs --index ~/.cache/docs-index --full
  search-index --quiet --json | jq .added

Files that cannot be read as text are skipped with a warning naming the file.
A second search-index on the same index waits up to --wait seconds, then fails.

exit status: 0 success (even with skipped files), 2 fatal error.
environment: SEARCHER_INDEX, SEARCHER_CORPUS set the defaults of --index and --corpus.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``search-index``."""
    parser = argparse.ArgumentParser(
        prog="search-index",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_location_arguments(parser, "folder of .txt files to index")
    parser.add_argument("--full", action="store_true", help="rebuild from scratch instead of updating")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no summary (warnings still go to stderr)")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object on stdout")
    parser.add_argument(
        "--wait",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how long to wait for another running search-index (default 5)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``search-index``; returns the exit code."""
    args = build_parser().parse_args(argv)
    from .indexer import build_index

    try:
        with _progress_display(enabled=not args.quiet and sys.stderr.isatty()) as progress:
            summary = build_index(args.corpus, args.index, full=args.full, progress=progress, wait=args.wait)
    except SearcherError as exc:
        print(f"search-index: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("search-index: interrupted; the index is unchanged", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"search-index: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_ERROR

    for skipped in summary.skipped:
        print(f"search-index: warning: skipped {skipped['path']}: {skipped['reason']}", file=sys.stderr)
    for warning in summary.warnings:
        print(f"search-index: warning: {warning['path']}: {warning['reason']}", file=sys.stderr)
    if args.json:
        print(json.dumps(summary.to_dict(), ensure_ascii=False))
    elif not args.quiet:
        print(_describe(summary.to_dict()))
    return 0


def _describe(s: dict[str, Any]) -> str:
    skipped = len(s["skipped"])
    return (
        f"{s['mode']} build of {s['index']} from {s['corpus']}: "
        f"{s['added']} added, {s['updated']} updated, {s['removed']} removed, "
        f"{s['unchanged']} unchanged, {skipped} skipped; "
        f"{s['paragraphs']} paragraphs in {s['files']} files; {s['seconds']:.2f} s"
        + "".join(f"\n{line}" for line in describe_conversions(s.get("converted") or {}))
    )


def describe_conversions(converted: dict[str, int]) -> list[str]:
    """One line per legacy encoding a build converted: ``converted from TCVN3: 14 files``.

    >>> describe_conversions({"tcvn3": 14, "vni": 1})
    ['converted from TCVN3: 14 files', 'converted from VNI: 1 file']
    """
    return [
        f"converted from {encoding.upper()}: {count} file{'s' if count != 1 else ''}"
        for encoding, count in sorted(converted.items())
    ]


class _progress_display:
    """A Rich progress bar on stderr (files, paragraphs, elapsed), or nothing."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Callable[[Any], None] | None:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("indexing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files · {task.fields[paragraphs]} paragraphs"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("index", total=None, paragraphs=0)
        return self._update

    def _update(self, progress: Any) -> None:
        self._progress.update(
            self._task, completed=progress.files_done, total=progress.files_total, paragraphs=progress.paragraphs
        )

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


if __name__ == "__main__":
    sys.exit(main())
