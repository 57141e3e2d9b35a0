"""``search-index``: build or update the index, safely, from a script, cron or CI.

Incremental by default; ``--full`` rebuilds into a new generation that is
swapped in atomically.  Exit 0 on success (skipped files are warnings), 2 on
fatal errors, with a one-line message.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from searcher.cli.options import OneLineParser, add_location_arguments, add_selection_arguments, add_version_argument
from searcher.cli.presentation import describe_conversions, format_size, redact, visible
from searcher.errors import EXIT_ERROR, SearcherError

__all__ = ["main", "build_parser"]

DESCRIPTION = """\
Build or update the search index of a folder of documents.

By default only new, changed (size/mtime, then content hash) and deleted files
are processed. --full rebuilds everything into a new index beside the old one
and swaps it in atomically: searches running meanwhile keep working, and an
interrupted build leaves the old index untouched.
"""

EPILOG = """\
examples:
  search-index ~/Documents/cong-van     index a folder (the index goes to the cache folder)
  search-index --watch ~/Documents/cong-van   ... and keep it current as files change
  search-index                          update ./index from ./corpus (or this indexed folder)
  search-index --corpus ~/docs --index ~/.cache/docs-index --full
  search-index --list                   the indexed folders, their size and age
  search-index --forget ~/Documents/cong-van
  search-index . --exclude 'drafts/' --exclude '*.bak'
  search-index --quiet --json | jq .added

Formats: .txt, .md, .html/.htm, .docx, .odt, .epub, .pdf, spreadsheets, slides,
.rtf, .doc and scans (some need an optional tool, named when one is missing);
TCVN3 and VNI text is converted. A .searchignore file (gitignore syntax) at the top of the folder
leaves files out, as --exclude does; --include keeps only matching files.

Files that cannot be read as text are skipped with a warning naming the file.
A second search-index on the same index waits up to --wait seconds, then fails.

exit status: 0 success (even with skipped files), 2 fatal error.
environment: SEARCHER_INDEX, SEARCHER_CORPUS set the defaults of --index and --corpus.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``search-index``."""
    parser = OneLineParser(
        prog="search-index",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "folder",
        nargs="?",
        metavar="FOLDER",
        help="folder to index; its index goes to the user's cache folder unless --index is given",
    )
    add_location_arguments(parser, "folder to index (same as FOLDER, but the index defaults to ./index)")
    add_version_argument(parser)
    add_selection_arguments(parser)
    parser.add_argument("--list", action="store_true", help="list the indexed folders (size, paragraphs, age) and exit")
    parser.add_argument("--forget", metavar="FOLDER", help="delete the index of FOLDER from the cache folder and exit")
    parser.add_argument(
        "--watch",
        action="store_true",
        help="after the build, keep the index current as files change (Ctrl-C stops)",
    )
    parser.add_argument("--full", action="store_true", help="rebuild from scratch instead of updating")
    parser.add_argument(
        "-L",
        "--follow",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="follow symbolic links that lead out of the folder, and links to folders (as rg -L); "
        "by default they are skipped and counted in the summary (kept for later updates)",
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="no progress bar and no summary (warnings still go to stderr)"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object on stdout")
    cluster = parser.add_argument_group(
        "OpenSearch cluster",
        "build into a cluster instead: --index opensearch://HOST:9200/NAME (opensearchs:// for HTTPS), or "
        "--backend opensearch --url URL --name NAME; credentials come from $SEARCHER_OPENSEARCH_USER and "
        "$SEARCHER_OPENSEARCH_PASSWORD or ~/.config/searcher/opensearch.json (mode 600), never from options",
    )
    cluster.add_argument(
        "--backend", choices=("local", "opensearch"), default=None, help="where the index lives (default local)"
    )
    cluster.add_argument(
        "--url", metavar="URL", help="the cluster, e.g. https://search.example:9200 (with --backend opensearch)"
    )
    cluster.add_argument(
        "--name", metavar="NAME", help="the index name, an alias on the cluster (with --backend opensearch)"
    )
    cluster.add_argument(
        "--shards", type=int, default=1, metavar="N", help="primary shards of a full build (default 1)"
    )
    cluster.add_argument(
        "--replicas", type=int, default=0, metavar="N", help="replicas of a full build (default 0: one node)"
    )
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
    try:
        if args.list:
            return _list(args.json)
        if args.forget is not None:  # --forget "" must not fall through to a build
            return _forget(args.forget, args.wait)
        _cluster_address(args)
        _resolve(args)
        build, options = _builder(args)
        with _progress_display(enabled=not args.quiet and sys.stderr.isatty()) as progress:
            summary = build(
                args.corpus,
                args.index,
                full=args.full,
                progress=progress,
                wait=args.wait,
                include=args.include,
                exclude=args.exclude,
                **options,
            )
        _report(summary, args)
        if args.watch:
            from searcher.index.watch import watch

            return watch(args.corpus, args.index, wait=args.wait, quiet=args.quiet, json_lines=args.json)
        return 0
    except SearcherError as exc:
        print(f"search-index: error: {visible(redact(str(exc)))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("search-index: interrupted; the index is unchanged", file=sys.stderr)
        return 130
    except OSError as exc:
        message = f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
        print(f"search-index: error: {visible(redact(message))}", file=sys.stderr)
        return EXIT_ERROR


def _cluster_address(args: argparse.Namespace) -> None:
    """``--backend opensearch --url URL --name NAME`` becomes one ``--index opensearch://…`` address."""
    if args.backend != "opensearch":
        if args.url or args.name:
            raise SearcherError("--url and --name go with --backend opensearch")
        return
    from searcher.backends.opensearch import address_from_url

    if args.index:
        raise SearcherError("give the cluster either as --index opensearch://HOST:PORT/NAME or with --url and --name")
    if not args.url or not args.name:
        raise SearcherError("--backend opensearch needs --url URL and --name NAME")
    args.index = str(address_from_url(args.url, args.name))


def _builder(args: argparse.Namespace) -> tuple[Callable[..., Any], dict[str, Any]]:
    """The build for ``--index`` (a folder, or a cluster: :func:`searcher.backends.opensearch.build_opensearch`)
    and the options only it takes."""
    from searcher.backends import is_remote

    if is_remote(args.index):
        from searcher.backends.opensearch import build_opensearch

        if args.watch:
            raise SearcherError("--watch works with a local index only")
        return build_opensearch, {"shards": args.shards, "replicas": args.replicas}
    from searcher.index.build import build_index

    return build_index, {"keep_workers": args.watch, "follow": args.follow}


def _resolve(args: argparse.Namespace) -> None:
    """Fill in ``args.index`` and ``args.corpus`` (FOLDER first, else as ``search`` finds them)."""
    if args.folder and args.corpus:
        raise SearcherError("give the folder to index either as FOLDER or with --corpus, not both")
    import os

    from searcher.index.places import NoIndexHere, index_for, resolve

    if args.folder:
        args.corpus = os.path.abspath(args.folder)
        args.index = args.index or str(index_for(args.folder))
        return
    try:
        found = resolve(index=args.index, corpus=args.corpus)
    except NoIndexHere as exc:
        raise SearcherError(str(exc).replace("no index here", "no folder to index given", 1)) from None
    args.index, args.corpus = found.index, found.corpus


def _report(summary: Any, args: argparse.Namespace) -> None:
    # File names are the folder's own: control characters are shown, never sent (visible).
    for skipped in summary.skipped:
        print(
            f"search-index: warning: skipped {visible(skipped['path'])}: {visible(skipped['reason'])}", file=sys.stderr
        )
    for warning in summary.warnings:
        print(f"search-index: warning: {visible(warning['path'])}: {visible(warning['reason'])}", file=sys.stderr)
    if args.json:
        print(json.dumps(summary.to_dict(), ensure_ascii=False), flush=True)
    elif not args.quiet:
        print(_describe(summary.to_dict()), flush=True)


def _list(as_json: bool) -> int:
    """``--list``: the folders indexed in the cache folder."""
    from searcher.index.places import cache_dir, list_indexes

    indexes = list_indexes()
    if as_json:
        for entry in indexes:
            print(json.dumps(entry, ensure_ascii=False))
        return 0
    if not indexes:
        print(f"no indexed folders (indexes live in {cache_dir()})")
        return 0
    for entry in indexes:
        paragraphs = entry["paragraphs"] if entry["paragraphs"] is not None else "?"
        gone = "  (folder gone)" if not entry["exists"] else ""
        print(
            f"{visible(entry['folder'])}  {format_size(entry['bytes'])}  {paragraphs} paragraphs  "
            f"{_age(entry['age_s'])}{gone}"
        )
    return 0


def _forget(folder: str, wait: float) -> int:
    """``--forget FOLDER``: delete the cache index of FOLDER (waiting for a running build)."""
    import os
    import shutil

    from searcher.index.places import index_for, list_indexes
    from searcher.index.store import build_lock

    if not folder.strip():
        raise SearcherError("--forget needs a folder (see search-index --list)")
    index = index_for(folder)
    if not index.is_dir():  # the folder may be gone: match what was recorded
        real = os.path.realpath(folder)
        index = next((index.__class__(e["index"]) for e in list_indexes() if e["folder"] == real), index)
    if not index.is_dir():
        raise SearcherError(f"no index of {folder} in the cache folder (see search-index --list)")
    with build_lock(index, wait=wait):
        shutil.rmtree(index)
    print(f"forgot the index of {visible(folder)} ({index})")
    return 0


def _age(seconds: float | None) -> str:
    """How long ago an index was updated.

    >>> _age(30), _age(7200), _age(3 * 86400)
    ('updated just now', 'updated 2 h ago', 'updated 3 days ago')
    """
    if seconds is None:
        return "never built"
    if seconds < 60:
        return "updated just now"
    if seconds < 3600:
        return f"updated {seconds // 60:.0f} min ago"
    if seconds < 86400:
        return f"updated {seconds // 3600:.0f} h ago"
    return f"updated {seconds // 86400:.0f} days ago"


def _links(count: int) -> str:
    """The summary's words for symbolic links not followed.

    >>> _links(1), _links(3)
    ('1 link out of the folder not followed (--follow)', '3 links out of the folder not followed (--follow)')
    """
    return f"{count} link{'' if count == 1 else 's'} out of the folder not followed (--follow)"


def _describe(s: dict[str, Any]) -> str:
    skipped = len(s["skipped"])
    return (
        f"{s['mode']} build of {s['index']} from {s['corpus']}: "
        f"{s['added']} added, {s['updated']} updated, {s['removed']} removed, "
        f"{s['unchanged']} unchanged, {skipped} skipped"
        + (f", {_links(s['links_skipped'])}" if s.get("links_skipped") else "")
        + "; "
        f"{s['paragraphs']} paragraphs in {s['files']} files; {s['seconds']:.2f} s"
        + (f"; index {format_size(s['index_bytes'])}" if s.get("index_bytes") else "")
        + (f", {s['index_to_text']:g}× the text" if s.get("index_to_text") else "")
        + (f"; {s['ocr_pages']} pages read by OCR" if s.get("ocr_pages") else "")
        + "".join(f"\n{line}" for line in describe_conversions(s.get("converted") or {}))
        + "".join(
            f"\n{count} file{'s' if count > 1 else ''} not read for a missing tool: {install}"
            for install, count in (s.get("missing_tools") or {}).items()
        )
    )


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
            TextColumn("{task.fields[ocr]}"),  # the scan being read by OCR, page by page
            console=Console(stderr=True),
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("index", total=None, paragraphs=0, ocr="")
        return self._update

    def _update(self, progress: Any) -> None:
        self._progress.update(
            self._task, completed=progress.files_done, total=progress.files_total, paragraphs=progress.paragraphs,
            ocr=progress.current if ": OCR page " in progress.current else "",
        )

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


if __name__ == "__main__":
    sys.exit(main())
