"""Opening a hit where it is: an editor at the line, a PDF viewer at the page, else the desktop's opener.

Shared by ``search --open N`` and the TUI's ``e``.  :func:`open_command`
only builds the command (tests check it without running anything).
Light on purpose: os, shlex and shutil only.
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Callable
from typing import Any

__all__ = [
    "PDF_VIEWER_ENV",
    "OPENER_ENV",
    "TEXT_SUFFIXES",
    "open_command",
    "editor_command",
    "pdf_viewer_command",
    "desktop_command",
    "missing_program_advice",
    "argument_path",
]

PDF_VIEWER_ENV = "SEARCHER_PDF_VIEWER"
OPENER_ENV = "SEARCHER_OPENER"  # what opens Word, OpenDocument and EPUB files (default xdg-open)
# The program that usually opens each format, named when nothing could open a file.
_OWN_PROGRAMS = {".docx": "libreoffice", ".odt": "libreoffice", ".epub": "foliate", ".pdf": "zathura"}
# Formats a text editor opens at a line that means something.
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".xhtml")
# Viewers tried in order when SEARCHER_PDF_VIEWER is not set, with their page options.
PDF_VIEWERS: tuple[tuple[str, list[str]], ...] = (
    ("zathura", ["--page", "{page}", "{file}"]),
    ("evince", ["--page-index", "{page}", "{file}"]),
    ("okular", ["-p", "{page}", "{file}"]),
)


def argument_path(path: str) -> str:
    """``path`` as a program argument that cannot read as an option: absolute, or starting with ``./``.

    A file named ``-c:!touch x;.txt`` or ``+!cmd.txt`` handed to vi as a bare
    argument is an ex command that vi runs; ``./-c:!touch x;.txt`` is a file.

    >>> argument_path("-c:!touch x;.txt"), argument_path("+3.txt"), argument_path("/srv/a.txt")
    ('./-c:!touch x;.txt', './+3.txt', '/srv/a.txt')
    """
    if os.path.isabs(path) or path.startswith(os.curdir + os.sep):
        return path  # already safe (and so made safe twice, it stays the same)
    return os.path.join(os.curdir, path)


def editor_command(path: str, line: int, environ: Any = None) -> list[str]:
    """``$VISUAL`` (or ``$EDITOR``, or ``vi``) at ``+line path``, run the way git runs it.

    The value goes through ``sh -c '<value> "$@"'``, so ``code --wait`` or a
    quoted path with spaces works, and the file name is never re-split.

    The path is made safe with :func:`argument_path`.

    >>> editor_command("a b.txt", 3, {"EDITOR": "emacs -nw"})
    ['sh', '-c', 'emacs -nw "$@"', 'emacs -nw', '+3', './a b.txt']
    """
    env = os.environ if environ is None else environ
    editor = (env.get("VISUAL") or env.get("EDITOR") or "").strip() or "vi"
    return ["sh", "-c", f'{editor} "$@"', editor, f"+{line}", argument_path(path)]


def pdf_viewer_command(
    path: str, page: int, environ: Any = None, which: Callable[[str], str | None] = shutil.which
) -> list[str]:
    """The PDF viewer at ``page``: ``$SEARCHER_PDF_VIEWER`` (a template with ``{file}`` and ``{page}``),
    else the first of zathura, evince, okular found, else ``xdg-open``.

    The path is made safe with :func:`argument_path`.

    >>> pdf_viewer_command("r.pdf", 12, {"SEARCHER_PDF_VIEWER": "mupdf {file} {page}"})
    ['mupdf', './r.pdf', '12']
    >>> pdf_viewer_command("/srv/r.pdf", 12, {}, which=lambda name: "/usr/bin/evince" if name == "evince" else None)
    ['evince', '--page-index', '12', '/srv/r.pdf']
    """
    env = os.environ if environ is None else environ
    path = argument_path(path)
    template = env.get(PDF_VIEWER_ENV, "").strip()
    if template:
        return _from_template(template, path, page)
    for program, options in PDF_VIEWERS:
        if which(program):
            return [program] + [word.replace("{file}", path).replace("{page}", str(page)) for word in options]
    return desktop_command(path, env)


def desktop_command(path: str, environ: Any = None) -> list[str]:
    """``$SEARCHER_OPENER`` (a command; ``{file}`` is filled in, or the path appended), else ``xdg-open``.

    The path is made safe with :func:`argument_path`.

    >>> desktop_command("a b.docx", {"SEARCHER_OPENER": "libreoffice --view"}), desktop_command("a.epub", {})
    (['libreoffice', '--view', './a b.docx'], ['xdg-open', './a.epub'])
    """
    env = os.environ if environ is None else environ
    path = argument_path(path)
    template = env.get(OPENER_ENV, "").strip()
    if not template:
        return ["xdg-open", path]
    return _from_template(template, path)


def _from_template(template: str, path: str, page: int | None = None) -> list[str]:
    """The command a user's template names: its words (shell-split), ``{file}`` filled in (the path
    appended when the template has none), and ``{page}`` when there is a page."""
    try:
        words = shlex.split(template)
    except ValueError:
        words = template.split()
    if not any("{file}" in word for word in words):
        words.append("{file}")
    words = [word.replace("{file}", path) for word in words]
    return words if page is None else [word.replace("{page}", str(page)) for word in words]


def missing_program_advice(argv: list[str], path: str) -> str:
    """What to say when the program of ``argv`` (from :func:`open_command`) is not installed.

    >>> missing_program_advice(["xdg-open", "a.docx"], "a.docx")
    'xdg-open is not installed: install xdg-utils, or set SEARCHER_OPENER to the program that opens it (libreoffice)'
    """
    if argv[:2] == ["sh", "-c"]:
        return f"the editor {argv[3]!r} was not found: set $VISUAL or $EDITOR"
    program = argv[0]
    own = _OWN_PROGRAMS.get(os.path.splitext(path)[1].lower())
    if program == "xdg-open":
        hint = f" ({own})" if own else ""
        return f"xdg-open is not installed: install xdg-utils, or set {OPENER_ENV} to the program that opens it{hint}"
    if path.lower().endswith(".pdf"):
        return f"{program} is not installed: install it, or set {PDF_VIEWER_ENV} (zathura --page {{page}} {{file}})"
    return f"{program} is not installed: install it, or set {OPENER_ENV} to another program"


def open_command(path: str, line: int, page: int | None = None, environ: Any = None) -> list[str]:
    """The command that opens ``path`` at a hit: text formats in the editor at ``line``,
    a PDF at ``page`` in a viewer, other formats (Word, OpenDocument, EPUB) with
    ``$SEARCHER_OPENER``, else ``xdg-open``.
    A relative path is given as ``./path``, so that no file name reads as an option.

    >>> open_command("a.md", 4, environ={"EDITOR": "nano"})[3:], open_command("a.docx", 4)
    (['nano', '+4', './a.md'], ['xdg-open', './a.docx'])
    """
    lower = path.lower()
    if lower.endswith(".pdf"):  # a page of a scan (an image) has no viewer option to jump to
        return pdf_viewer_command(path, page or 1, environ)
    if lower.endswith(TEXT_SUFFIXES):
        return editor_command(path, line, environ)
    return desktop_command(path, environ)
