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
from typing import Iterator, Sequence, TextIO

from searcher.errors import EXIT_ERROR, EXIT_FOUND, EXIT_NOT_FOUND, SearcherError
from searcher.documents.filters import FILE_TYPES, type_names
from searcher.cli.options import OneLineParser, add_location_arguments, add_version_argument
from searcher.search.highlight import best_cluster
from searcher.cli.presentation import describe_conversions, display_path, make_snippet, redact, visible, where

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
paragraphs with that word. Nothing else is syntax. Options come first; after
the first query word, a word starting with - is an exclusion unless it is
exactly one of the options below (search ngoại -ngoài -n 3). A query that
starts with an exclusion goes after -- or in -e (search -- -vaccine kinh tế).

Inside an indexed folder, search keeps to the current folder and below, as
git grep does (--everywhere searches the whole index); -C FOLDER keeps to
FOLDER the same way.
"""

EPILOG = """\
examples:
  search ngoại giao kinh tế
  search "ngoai giao" -"kinh te"
  search --json -n 3 hòa bình | jq .path
  search -C ~/Documents/cong-van quyết định
  search --open 2 hòa bình          open the 2nd hit in $EDITOR or a PDF viewer
  search -l hòa bình                each file with hits once, best first
  search -c -t pdf hòa bình         path:N for the PDFs with every word
  search -g '*.docx' -g '!nháp/**' hợp đồng     only Word files, not in nháp/
  search --vimgrep hòa bình         path:line:column:text, for an editor's quickfix

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
--open runs for a PDF ({file} and {page} are filled in); SEARCHER_OPENER the one
for other documents (Word, OpenDocument, EPUB; default xdg-open).
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
    parser = OneLineParser(
        prog="search",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("query", nargs="*", metavar="QUERY", help="words to search for (joined with spaces)")
    parser.add_argument(
        "-e",
        "--query",
        dest="patterns",
        action="append",
        default=[],
        metavar="WORDS",
        help="more query words, also ones starting with - (search -e -vaccine kinh tế); repeatable",
    )
    parser.add_argument(
        "-n",
        "--limit",
        type=_positive_int,
        default=None,
        metavar="N",
        help="show at most N hits (default 10); with -l or -c, at most N files (default all)",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object per hit, one per line")
    output.add_argument(
        "-l",
        "--files-with-matches",
        dest="files_only",
        action="store_true",
        help="print each file with a paragraph with every word once, best first (implies --all)",
    )
    output.add_argument(
        "-c",
        "--count",
        action="store_true",
        help="print path:N, N the file's paragraphs with every word, best file first (implies --all)",
    )
    output.add_argument(
        "--vimgrep", action="store_true", help="print path:line:column:text, one hit per line (editors' quickfix format)"
    )
    parser.add_argument(
        "-g",
        "--glob",
        dest="globs",
        action="append",
        default=[],
        metavar="GLOB",
        help="search only files matching GLOB (gitignore syntax, as rg: !GLOB leaves out, the last match wins; "
        "relative to the folder searched); repeatable",
    )
    parser.add_argument(
        "-t",
        "--type",
        dest="types",
        action="append",
        default=[],
        metavar="TYPE",
        help=f"search only files of TYPE ({type_names()}); repeatable",
    )
    parser.add_argument(
        "-T",
        "--type-not",
        dest="types_not",
        action="append",
        default=[],
        metavar="TYPE",
        help="leave out files of TYPE; repeatable",
    )
    parser.add_argument(
        "--everywhere",
        action="store_true",
        help="search the whole index, not only the current folder (or -C FOLDER) and below",
    )
    parser.add_argument("-i", "--ignore-case", action="store_true", help="accepted and ignored: case never matters")
    parser.add_argument(
        "-w", "--word-regexp", action="store_true", help="accepted and ignored: words always match whole syllables"
    )
    parser.add_argument(
        "-C",
        dest="folder",
        metavar="FOLDER",
        help="search FOLDER as if run there: the index of FOLDER, else of the indexed folder holding it "
        "(keeping to FOLDER), else a new index of FOLDER built on first use",
    )
    add_location_arguments(parser, "folder of documents, indexed on first use into --index")
    add_version_argument(parser)
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
        help="open the Nth hit: $EDITOR at the line, a PDF viewer at the page, else $SEARCHER_OPENER or xdg-open",
    )
    return parser


class UsageError(Exception):
    """A command line that cannot be read; ``str()`` is the one-line message."""


# The options, for telling them from query words: short ones by their letter.
_SHORT_VALUES = set("nCgtTe")
_SHORT_FLAGS = set("hiwlc")
_LONG_VALUES = {
    "--limit", "--index", "--corpus", "--color", "--budget", "--open", "--glob", "--type", "--type-not", "--query",
}
_EXCLUSION_HINT = "a word to exclude goes after the query words, as in: search ngoại -ngoài, or after --"


def split_argv(argv: Sequence[str]) -> list[str]:
    """Move query words (``-word`` exclusions included) behind a ``--`` for argparse.

    Before the first query word, anything starting with ``-`` is an option (an
    unknown one raises :class:`UsageError`, as grep does); after it, only exact
    option names are, and any other ``-word`` is an exclusion.  Values that may
    start with ``-`` are attached to their option, so argparse takes them as values.

    >>> split_argv(["ngoại", "-ngoài", "-n", "3", '-"hội nghị"', "--json"])
    ['-n3', '--json', '--', 'ngoại', '-ngoài', '-"hội nghị"']
    >>> split_argv(["-l", "-e", "-vaccine", "kinh", "tế"])
    ['-l', '-e-vaccine', '--', 'kinh', 'tế']
    """
    options: list[str] = []
    words: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg == "--":
            words.extend(args)
            break
        if not arg.startswith("-") or arg == "-":
            words.append(arg)
        elif arg.startswith("--"):
            name = arg.split("=", 1)[0]
            if name in _LONG_VALUES and "=" not in arg:
                value = next(args, None)
                options.append(arg if value is None else f"{arg}={value}")
            else:
                options.append(arg)  # argparse explains an unknown one, on one line
        elif words:
            # After the query words only an option's exact name is an option: -ngoài is a word.
            if arg[1:] in _SHORT_VALUES:
                value = next(args, None)
                options.append(arg if value is None else arg + value)
            elif arg[1:] in _SHORT_FLAGS or re.fullmatch(r"-n\d+", arg):
                options.append(arg)
            else:
                words.append(arg)
        else:
            options.append(_short_options(arg, args))
    return options + ["--"] + words if words else options


def _short_options(arg: str, rest: Iterator[str]) -> str:
    """A cluster of short options (``-lc``, ``-n5``, ``-t pdf``), its value attached; or a UsageError.

    A value written onto its option is taken only where it cannot be a word to exclude
    typed first (``-n5``, ``-tpdf``): ``-giao`` or ``-ngoài`` is an error that says how to
    exclude a word, never a glob or a limit that silently finds nothing.
    """
    for position, letter in enumerate(arg[1:], 1):
        if letter in _SHORT_VALUES:
            if position == len(arg) - 1:
                value = next(rest, None)
                return arg if value is None else arg + value
            attached = arg[position + 1 :]
            if (letter == "n" and attached.isdigit()) or (letter in "tT" and attached in FILE_TYPES):
                return arg
            raise UsageError(f"unknown option {arg} ({_EXCLUSION_HINT}; an option's value goes after a space: -{letter} VALUE)")
        if letter not in _SHORT_FLAGS:
            shown = arg if position == 1 else f"-{letter} in {arg}"
            raise UsageError(f"unknown option {shown} ({_EXCLUSION_HINT})")
    return arg


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


# numpy's OpenBLAS starts a thread per core when numpy is imported, and they spin: 50 ms of CPU
# time on a 2-core machine, a third of a one-shot search.  searcher does no linear algebra
# (its arrays are sets and sums), so one thread is all it needs.  Set only when the user has
# not set it, for the length of the command (a first-use build's workers inherit it: they do
# no linear algebra either).
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "1")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``search``; returns the exit code (also used by the console script)."""
    name, value = BLAS_THREADS
    ours = name not in os.environ and "numpy" not in sys.modules
    if ours:
        os.environ[name] = value
    try:
        return _main(argv)
    finally:
        if ours:
            os.environ.pop(name, None)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(split_argv(sys.argv[1:] if argv is None else argv))
    except UsageError as exc:
        print(f"search: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    per_file = args.files_only or args.count
    if args.open is not None:
        if per_file:
            parser.error("--open opens a hit: it does not go with -l or -c")
        asked = args.limit or DEFAULT_LIMIT
        if args.open > asked:
            parser.error(f"--open {args.open} is past the {asked} hits asked for (-n {asked})")
    query = " ".join([*args.query, *args.patterns]).strip()
    try:
        from searcher.documents.filters import PathFilter
        from searcher.index.places import NoIndexHere, resolve

        PathFilter(globs=tuple(args.globs), types=tuple(args.types), types_not=tuple(args.types_not))  # bad ones: now
        try:
            where_ = resolve(index=args.index, corpus=args.corpus, folder=args.folder)
        except NoIndexHere as exc:
            raise SearcherError(str(exc)) from None
        # A corpus named (--corpus, $SEARCHER_CORPUS) that is missing is the build's to explain.
        args.how = "" if args.corpus or os.environ.get("SEARCHER_CORPUS") else where_.how
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


DEFAULT_LIMIT = 10


TUI_FPS = 240  # frames a second at most in the live search (see _run_tui)


def _run_tui(args: argparse.Namespace, query: str) -> int:
    # Textual paints at most TEXTUAL_FPS frames a second (60 by default) on a fixed grid,
    # and a change that misses a tick waits up to two intervals: at 60 the hits of a keystroke
    # waited up to 25 ms to be painted, at 120 p95 10 ms, at 240 p95 2 ms.  Frames are drawn
    # only when something changed, so an idle screen costs nothing more.  Read when Textual
    # is imported; the user's value wins.
    os.environ.setdefault("TEXTUAL_FPS", str(TUI_FPS))
    try:
        from searcher.tui.app import run_app
    except ImportError:
        print("search: error: the interactive UI is not available in this installation", file=sys.stderr)
        return EXIT_ERROR
    return run_app(
        index=args.index,
        corpus=args.corpus,
        query=query,
        folder=args.folder,
        everywhere=args.everywhere,
        globs=tuple(args.globs),
        types=tuple(args.types),
        types_not=tuple(args.types_not),
    )


def _open_engine(index: str, corpus: str, announce: TextIO = sys.stderr, how: str = ""):  # type: ignore[no-untyped-def]
    """Open the index, building it from ``corpus`` first (and saying so) if there is none yet.

    An index named with ``--index`` or ``$SEARCHER_INDEX`` (``how``), with no corpus named, is
    built on first use only from a ``./corpus`` that exists; otherwise the message names the
    index and the command that makes it.
    """
    from searcher.backends import is_remote
    from searcher.search.engine import Engine
    from searcher.errors import IndexMissing

    if is_remote(index):  # a cluster is built with search-index, never on first use
        return Engine.open(index)
    try:  # the usual case: no need to load the indexer (a third of the start-up imports)
        return Engine.open(index)
    except IndexMissing:
        pass
    if how in ("--index", "$SEARCHER_INDEX") and not os.path.isdir(corpus):
        named = "--index" if how == "--index" else "$SEARCHER_INDEX"
        raise SearcherError(
            f"no index at {index} ({named}): build it with `search-index --index {index} FOLDER`, "
            "or name the folder to build it from with --corpus FOLDER"
        )
    from searcher.building import ensure_index

    summary = ensure_index(corpus, index, on_build=lambda message: print(f"search: {message}", file=announce, flush=True))
    if summary is not None:
        print(
            f"search: indexed {summary.paragraphs} paragraphs from {summary.files} files in {summary.seconds:.1f} s"
            + (f" ({len(summary.skipped)} skipped)" if summary.skipped else ""),
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
    from searcher.backends import is_remote
    from searcher.index.places import scope_under

    engine = _open_engine(args.index, args.corpus, how=args.how)
    per_file = args.files_only or args.count
    with engine:
        # Like git grep: inside the indexed folder (or with -C FOLDER), keep to it and below.
        under = "" if args.everywhere or is_remote(args.index) else scope_under(engine.corpus, args.folder)
        filters = {"globs": args.globs, "types": args.types, "types_not": args.types_not}
        if per_file:
            # grep -l / -c: every paragraph with every word counts, so rank them all.
            limit = max(1, int(engine.stats()["paragraphs"]))
            result = engine.search(
                query, limit=limit, budget=args.budget or 0, all_words=True, under=under, highlight=False, **filters
            )
        else:
            limit = args.limit or DEFAULT_LIMIT
            result = engine.search(
                query, limit=limit, budget=args.budget, all_words=args.all_words, under=under, **filters
            )
        outside = 0
        if under and args.folder is None:
            everywhere = engine.search(
                query, limit=len(result) + limit if per_file else limit, budget=args.budget,
                all_words=args.all_words or per_file, highlight=not per_file, **filters,
            )
            outside = max(0, len(everywhere) - len(result)) if per_file else sum(
                1 for hit in everywhere[:limit] if not hit.path.startswith(under + "/")
            )
    if args.open is not None and result and len(result) < args.open:
        # Only a hit that was printed can be opened.
        raise SearcherError(f"--open {args.open}: only {len(result)} hit{'' if len(result) == 1 else 's'} shown")
    out = sys.stdout
    color = args.color == "always" or (
        args.color == "auto" and out.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    )
    if args.json:
        for hit in result:
            out.write(json.dumps(hit.to_json(display_path(hit.file)), ensure_ascii=False) + "\n")
    elif per_file:
        _print_files(result, out, counts=args.count, limit=args.limit)
    elif args.vimgrep:
        _print_vimgrep(result, out, color)
    else:
        _print_hits(result, out, color)
    for note in result.notes:
        print(f"search: note: {note}", file=sys.stderr)
    if outside:
        verb = "is" if outside == 1 else "are"
        more = (
            f"{outside} more paragraph{'s' if outside != 1 else ''} with every word {verb}"
            if per_file
            else f"{outside} of the {limit} best hits in the whole index {verb}"
        )
        print(f"search: note: searched {under}/ only; {more} outside it (--everywhere includes them)", file=sys.stderr)
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


def _print_files(result, out: TextIO, counts: bool, limit: int | None) -> None:  # type: ignore[no-untyped-def]
    """``-l``: each file once, in the order of its best hit; ``-c``: ``path:N`` the same way."""
    files: dict[str, int] = {}
    for hit in result:
        files[hit.file] = files.get(hit.file, 0) + 1
    for number, (file, count) in enumerate(files.items()):
        if limit is not None and number >= limit:
            break
        out.write(f"{display_path(file)}:{count}\n" if counts else f"{display_path(file)}\n")


def vimgrep_line(hit, color: bool = False) -> str:  # type: ignore[no-untyped-def]
    """``path:line:column:text`` of a hit: the line and 1-based byte column of its first match
    (as rg --vimgrep, which vim's and other editors' quickfix lists read), the paragraph on one line.

    Line and column point into the file for text formats; for Word, OpenDocument and EPUB the
    line is the paragraph's number (as ``path ¶N``), for a PDF the line on its page.
    """
    text = hit.text
    line, column = hit.line, 1
    if hit.spans:
        start = hit.spans[0][0]
        before = text[:start]
        if hit.file.lower().endswith(".txt"):
            line += before.count("\n")
            line_start = before.rfind("\n") + 1
            column = len(text[line_start:start].encode("utf-8")) + 1 + (hit.column if line == hit.line else 0)
        else:
            column = len(before.replace("\n", " ").encode("utf-8")) + 1
    flat = text.replace("\r", " ").replace("\n", " ")
    if color:
        flat = _mark(flat, hit.spans, _STYLE)
    return f"{display_path(hit.file)}:{line}:{column}:{flat}"


def _print_vimgrep(result, out: TextIO, color: bool) -> None:  # type: ignore[no-untyped-def]
    for hit in result:
        out.write(vimgrep_line(hit, color) + "\n")


def _open_hit(result, number: int) -> int:  # type: ignore[no-untyped-def]
    """Open the ``number``-th hit (1-based) with :func:`searcher.cli.opener.open_command`; when the
    program is missing, say what to install or set, and print the paragraph instead."""
    import subprocess

    from searcher.cli.opener import missing_program_advice, open_command

    hit = result[number - 1]
    path = display_path(hit.file)
    argv = open_command(path, hit.line, hit.page)
    program = argv[3] if argv[:2] == ["sh", "-c"] else argv[0]  # $EDITOR runs through sh -c
    try:
        status = subprocess.call(argv)
    except OSError as exc:
        status = 127 if isinstance(exc, FileNotFoundError) else 126
        if not isinstance(exc, FileNotFoundError):
            raise SearcherError(f"cannot run {program}: {exc.strerror or exc}") from None
    if status == 127:  # not found: the sh -c of an editor, or the program itself
        _print_paragraph(hit, sys.stdout)
        raise SearcherError(f"cannot open {path}: {missing_program_advice(argv, path)}; its paragraph is above")
    if status == 126 and program != argv[0]:
        raise SearcherError(f"cannot run {program}: command not found (set $VISUAL or $EDITOR)")
    if status != 0:
        raise SearcherError(f"{program} exited with status {status}")
    return EXIT_FOUND


def _print_paragraph(hit, out: TextIO) -> None:  # type: ignore[no-untyped-def]
    """The whole paragraph of a hit, after its location (what --open shows when nothing can open it)."""
    out.write(f"\n{display_path(hit.file)}{where(hit.file, hit.line, hit.page, hit.chapter)}  {hit.title}\n")
    for line in hit.text.splitlines() or [""]:
        out.write(f"    {line}\n")
    out.flush()


def _print_hits(result, out: TextIO, color: bool) -> None:  # type: ignore[no-untyped-def]

    style = _STYLE if color else dict.fromkeys(_STYLE, "")
    for index, hit in enumerate(result):
        if index:
            out.write("\n")
        suffix = where(hit.file, hit.line, hit.page, hit.chapter, **hit.place())
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
