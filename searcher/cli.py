"""``search``: the one-shot command line.

Prints ranked, highlighted hits like ripgrep does: ``path:line``, the
document's title, then the paragraph (or a window of it around the matches).
Exit codes follow grep: 0 hits, 1 no hits, 2 error.

This module must stay light: it imports neither Textual nor Rich, because
start-up time is part of the product.  The TUI is imported only when asked for.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Sequence, TextIO

from .errors import EXIT_ERROR, EXIT_FOUND, EXIT_NOT_FOUND, SearcherError
from .options import add_location_arguments
from .highlight import best_cluster
from .presentation import describe_conversions, display_path, make_snippet, redact, visible, where

__all__ = ["main", "build_parser"]

DESCRIPTION = """\
Search a folder of Vietnamese documents, paragraph by paragraph.

Diacritics are optional: `ngoai giao` finds "ngoại giao", while a query typed
with marks ranks exact matches first ("ngoại" before "ngoài"). Words that stand
next to each other in a paragraph rank above scattered ones.

Paragraphs with every word come first (for a question of five words or
more, those with it whole); when they are fewer than asked for, paragraphs
with most of the words follow (a whole question works), each marked with the
words it lacks: (không có: gì). --all keeps only paragraphs with every word.

Query syntax: "quoted words" must appear in that order; -word excludes
paragraphs with that word. Nothing else is syntax.
"""

EPILOG = """\
examples:
  search ngoại giao kinh tế
  search "ngoai giao" -"kinh te"
  search --json -n 3 hòa bình | jq .path
  search -C ~/Documents/cong-van quyết định
  search --open 2 hòa bình          open the 2nd hit in $EDITOR or a PDF viewer

Which index: --index DIR; else -C FOLDER; else $SEARCHER_INDEX; else ./index
built from --corpus/$SEARCHER_CORPUS; else this folder's index if it was
indexed (search-index FOLDER); else ./index and ./corpus when either exists
here; else the index of the nearest indexed folder above, as git finds .git.
The first search with no index builds one from the corpus (see search-index).
With no QUERY on a terminal, or with --tui, the interactive live search opens.

exit status: 0 hits found, 1 no hits, 2 error (bad query, missing corpus,
unusable index); errors print one line on stderr.
environment: SEARCHER_INDEX, SEARCHER_CORPUS set the defaults of --index and
--corpus; NO_COLOR turns colour off; SEARCHER_PDF_VIEWER is the command that
--open runs for a PDF ({file} and {page} are filled in).
"""

# ANSI styles, written by hand: importing Rich here would cost start-up time.
_STYLE = {
    "path": "\x1b[35m",
    "line": "\x1b[32m",
    "title": "\x1b[1m",
    "match": "\x1b[1;31m",
    "dim": "\x1b[2m",
    "reset": "\x1b[0m",
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``search`` (also used to test the ``--help`` text)."""
    parser = argparse.ArgumentParser(
        prog="search",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("query", nargs="*", metavar="QUERY", help="words to search for (joined with spaces)")
    parser.add_argument("-n", "--limit", type=_positive_int, default=10, metavar="N", help="show at most N hits (default 10)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per hit, one per line")
    parser.add_argument(
        "-C",
        dest="folder",
        metavar="FOLDER",
        help="search the index of FOLDER (see search-index FOLDER), building it on first use",
    )
    add_location_arguments(parser, "folder of documents, indexed on first use into --index")
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the output: auto (on a terminal, unless NO_COLOR is set), always or never",
    )
    parser.add_argument(
        "--budget",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="time allowed for ranking (default 0.1 s per 10 hits; 0 = rank every match)",
    )
    parser.add_argument(
        "--all",
        dest="all_words",
        action="store_true",
        help="only paragraphs with every word (grep's meaning; exit 1 when none has them all)",
    )
    parser.add_argument("--tui", action="store_true", help="open the interactive live search (QUERY pre-fills it)")
    parser.add_argument(
        "--open",
        type=_positive_int,
        default=None,
        metavar="N",
        help="open the Nth hit: $EDITOR at the line, a PDF viewer at the page, else xdg-open",
    )
    return parser


# Options that take a value; anything else starting with "-" after these is an
# exclusion in the query (``search ngoại -ngoài``), not an option.
_VALUE_OPTIONS = {"-n", "--limit", "--index", "--corpus", "--color", "--budget", "-C", "--open"}
_FLAG_OPTIONS = {"-h", "--help", "--json", "--tui", "--all"}


def split_argv(argv: Sequence[str]) -> list[str]:
    """Move query words (``-word`` exclusions included) behind a ``--`` for argparse.

    >>> split_argv(["ngoại", "-ngoài", "-n", "3", '-"hội nghị"', "--json"])
    ['-n', '3', '--json', '--', 'ngoại', '-ngoài', '-"hội nghị"']
    """
    options: list[str] = []
    words: list[str] = []
    args = iter(argv)
    for arg in args:
        name = arg.split("=", 1)[0]
        if arg == "--":
            words.extend(args)
        elif name in _VALUE_OPTIONS:
            options.append(arg)
            if "=" not in arg:
                options.append(next(args, ""))
        elif name in _FLAG_OPTIONS or (arg.startswith("--") and len(arg) > 2) or re.fullmatch(r"-n\d+", arg):
            options.append(arg)  # unknown --options still reach argparse, which explains them
        else:
            words.append(arg)
    return options + ["--"] + words if words else options


def _seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``search``; returns the exit code (also used by the console script)."""
    parser = build_parser()
    args = parser.parse_args(split_argv(sys.argv[1:] if argv is None else argv))
    if args.open is not None and args.open > args.limit:
        parser.error(f"--open {args.open} is past the {args.limit} hits asked for (-n {args.limit})")
    query = " ".join(args.query).strip()
    try:
        from .places import NoIndexHere, resolve

        try:
            where_ = resolve(index=args.index, corpus=args.corpus, folder=args.folder)
        except NoIndexHere as exc:
            raise SearcherError(str(exc)) from None
        args.index, args.corpus = where_.index, where_.corpus
        if args.tui or (not query and sys.stdin.isatty() and sys.stdout.isatty()):
            return _run_tui(args, query)
        if not query:
            print("search: error: no query given (try: search ngoại giao, or search --help)", file=sys.stderr)
            return EXIT_ERROR
        return _search(args, query)
    except SearcherError as exc:
        print(f"search: error: {visible(redact(str(exc)))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader (head, less) went away: not an error worth a traceback.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return EXIT_FOUND
    except OSError as exc:  # e.g. a first-use build into a read-only index folder
        message = f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
        print(f"search: error: {visible(redact(message))}", file=sys.stderr)
        return EXIT_ERROR


TUI_FPS = 240  # frames a second at most in the live search (see _run_tui)


def _run_tui(args: argparse.Namespace, query: str) -> int:
    # Textual paints at most TEXTUAL_FPS frames a second (60 by default) on a fixed grid,
    # and a change that misses a tick waits up to two intervals: at 60 the hits of a keystroke
    # waited up to 25 ms to be painted, at 120 p95 10 ms, at 240 p95 2 ms.  Frames are drawn
    # only when something changed, so an idle screen costs nothing more.  Read when Textual
    # is imported; the user's value wins.
    os.environ.setdefault("TEXTUAL_FPS", str(TUI_FPS))
    try:
        from .tui.app import run_app
    except ImportError:
        print("search: error: the interactive UI is not available in this installation", file=sys.stderr)
        return EXIT_ERROR
    return run_app(index=args.index, corpus=args.corpus, query=query)


def _open_engine(index: str, corpus: str, announce: TextIO = sys.stderr):  # type: ignore[no-untyped-def]
    """Open the index, building it from ``corpus`` first (and saying so) if there is none yet."""
    from .backends import is_remote
    from .engine import Engine
    from .errors import IndexMissing

    if is_remote(index):  # a cluster is built with search-index, never on first use
        return Engine.open(index)
    try:  # the usual case: no need to load the indexer (a third of the start-up imports)
        return Engine.open(index)
    except IndexMissing:
        pass
    from .indexer import ensure_index

    summary = ensure_index(corpus, index, on_build=lambda message: print(f"search: {message}", file=announce, flush=True))
    if summary is not None:
        print(
            f"search: indexed {summary.paragraphs} paragraphs from {summary.files} files in {summary.seconds:.1f} s",
            file=announce,
            flush=True,
        )
        for line in describe_conversions(summary.converted):
            print(f"search: {line}", file=announce)
        for skipped in summary.skipped:
            print(f"search: warning: skipped {visible(skipped['path'])}: {visible(skipped['reason'])}", file=announce)
        if summary.links_skipped:
            print(f"search: {summary.links_skipped} symbolic links out of the folder not followed "
                  "(search-index --follow follows them)", file=announce)
    return Engine.open(index)


def _search(args: argparse.Namespace, query: str) -> int:
    engine = _open_engine(args.index, args.corpus)
    with engine:
        result = engine.search(query, limit=args.limit, budget=args.budget, all_words=args.all_words)
    if args.open is not None and result and len(result) < args.open:
        # Only a hit that was printed can be opened.
        raise SearcherError(f"--open {args.open}: only {len(result)} hit{'' if len(result) == 1 else 's'} shown")
    out = sys.stdout
    if args.json:
        for hit in result:
            out.write(json.dumps(hit.to_json(display_path(hit.file)), ensure_ascii=False) + "\n")
    else:
        color = args.color == "always" or (
            args.color == "auto" and out.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
        )
        _print_hits(result, out, color)
    for note in result.notes:
        print(f"search: note: {note}", file=sys.stderr)
    if result.suggestion:
        print(f"search: did you mean: {result.suggestion}", file=sys.stderr)
    if not result and result.unknown:
        words = {w.text for w in result.query.words}
        if set(result.unknown) >= words:
            print(f"search: no paragraph has any of these words: {' '.join(result.unknown)}", file=sys.stderr)
        else:
            print(f"search: not in the index: {' '.join(result.unknown)}", file=sys.stderr)
    out.flush()
    if args.open is not None and result:
        return _open_hit(result, args.open)
    return EXIT_FOUND if result else EXIT_NOT_FOUND


def _open_hit(result, number: int) -> int:  # type: ignore[no-untyped-def]
    """Open the ``number``-th hit (1-based) with :func:`searcher.opener.open_command`."""
    import subprocess

    from .opener import open_command

    hit = result[number - 1]
    argv = open_command(display_path(hit.file), hit.line, hit.page)
    program = argv[3] if argv[:2] == ["sh", "-c"] else argv[0]  # $EDITOR runs through sh -c
    try:
        status = subprocess.call(argv)
    except OSError as exc:
        raise SearcherError(f"cannot run {program}: {exc.strerror or exc}") from None
    if status in (126, 127) and program != argv[0]:
        raise SearcherError(f"cannot run {program}: command not found (set $VISUAL or $EDITOR)")
    if status != 0:
        raise SearcherError(f"{program} exited with status {status}")
    return EXIT_FOUND


def _print_hits(result, out: TextIO, color: bool) -> None:  # type: ignore[no-untyped-def]

    style = _STYLE if color else dict.fromkeys(_STYLE, "")
    for index, hit in enumerate(result):
        if index:
            out.write("\n")
        suffix = where(hit.file, hit.line, hit.page, hit.chapter)
        # Names and text are the documents' own: control characters are shown, never sent (visible).
        path = visible(display_path(hit.file))
        location = f"{style['path']}{path}{style['reset']}{suffix[0]}{style['line']}{suffix[1:]}{style['reset']}"
        title = visible(hit.title if len(hit.title) <= 100 else hit.title[:99] + "…")
        out.write(f"{location}  {style['title']}{title}{style['reset']}\n")
        snippet = make_snippet(hit.text, hit.spans, focus=best_cluster(hit.text, result.query))
        out.write("    " + _mark(snippet.text, snippet.spans, style) + "\n")
        if hit.missing:  # a best-match hit is never shown as if it had every word
            out.write(f"    {style['dim']}(không có: {visible(', '.join(hit.missing))}){style['reset']}\n")


def _mark(text: str, spans: list[tuple[int, int]], style: dict[str, str]) -> str:
    """``text`` with its spans styled; control characters shown piece by piece, so spans stay right."""
    if not style["match"]:
        return visible(text)
    parts = []
    position = 0
    for start, end in spans:
        parts.append(visible(text[position:start]))
        parts.append(f"{style['match']}{visible(text[start:end])}{style['reset']}")
        position = end
    parts.append(visible(text[position:]))
    return "".join(parts)


if __name__ == "__main__":
    sys.exit(main())
