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
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from searcher.cli.output import print_files, print_hits, print_paragraph, print_vimgrep
from searcher.cli.presentation import describe_conversions, display_path, redact, visible
from searcher.cli.search_args import DEFAULT_LIMIT, UsageError, build_parser, split_argv
from searcher.errors import EXIT_ERROR, EXIT_FOUND, EXIT_NOT_FOUND, SearcherError

if TYPE_CHECKING:
    from searcher import Engine, SearchResult

__all__ = ["main", "build_parser"]

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
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (stdout for the rest of the process; closed at exit)
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


def _open_engine(index: str, corpus: str, announce: TextIO = sys.stderr, how: str = "") -> Engine:
    """Open the index, building it from ``corpus`` first (and saying so) if there is none yet.

    An index named with ``--index`` or ``$SEARCHER_INDEX`` (``how``), with no corpus named, is
    built on first use only from a ``./corpus`` that exists; otherwise the message names the
    index and the command that makes it.
    """
    from searcher.backends import is_remote
    from searcher.engine import Engine
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

    summary = ensure_index(
        corpus, index, on_build=lambda message: print(f"search: {message}", file=announce, flush=True)
    )
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
        print_files(result, out, counts=args.count, limit=args.limit)
    elif args.vimgrep:
        print_vimgrep(result, out, color)
    else:
        print_hits(result, out, color)
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


def _open_hit(result: SearchResult, number: int) -> int:
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
        print_paragraph(hit, sys.stdout)
        raise SearcherError(f"cannot open {path}: {missing_program_advice(argv, path)}; its paragraph is above")
    if status == 126 and program != argv[0]:
        raise SearcherError(f"cannot run {program}: command not found (set $VISUAL or $EDITOR)")
    if status != 0:
        raise SearcherError(f"{program} exited with status {status}")
    return EXIT_FOUND


if __name__ == "__main__":
    sys.exit(main())
