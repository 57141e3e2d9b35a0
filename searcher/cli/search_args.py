"""The command line of ``search``: its options and help, and how query words are told from options.

Options come first, as in grep; after the first query word only an option's
exact name is an option and any other ``-word`` is a word to exclude
(:func:`split_argv`).  Light (argparse only), like the rest of the one-shot CLI.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator, Sequence

from searcher.cli.options import OneLineParser, add_location_arguments, add_version_argument
from searcher.documents.filters import FILE_TYPES, type_names

__all__ = ["DEFAULT_LIMIT", "UsageError", "build_parser", "split_argv"]

DEFAULT_LIMIT = 10  # hits shown when -n is not given

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
        "--vimgrep",
        action="store_true",
        help="print path:line:column:text, one hit per line (editors' quickfix format)",
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
            raise UsageError(
                f"unknown option {arg} ({_EXCLUSION_HINT}; an option's value goes after a space: -{letter} VALUE)"
            )
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
