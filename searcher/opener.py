"""Opening a hit where it is: an editor at the line, a PDF viewer at the page, else the desktop's opener.

Shared by ``search --open N`` and the TUI's ``e``.  :func:`open_command`
only builds the command (tests check it without running anything).
Light on purpose: os, shlex and shutil only.
"""

from __future__ import annotations

import os
import shlex
import shutil
from typing import Any, Callable

__all__ = ["PDF_VIEWER_ENV", "TEXT_SUFFIXES", "open_command", "editor_command", "pdf_viewer_command", "argument_path"]

PDF_VIEWER_ENV = "SEARCHER_PDF_VIEWER"
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
    return path if os.path.isabs(path) else os.path.join(os.curdir, path)


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


def pdf_viewer_command(path: str, page: int, environ: Any = None, which: Callable[[str], str | None] = shutil.which) -> list[str]:
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
        try:
            words = shlex.split(template)
        except ValueError:
            words = template.split()
        if not any("{file}" in word for word in words):
            words.append("{file}")
        return [word.replace("{file}", path).replace("{page}", str(page)) for word in words]
    for program, options in PDF_VIEWERS:
        if which(program):
            return [program] + [word.replace("{file}", path).replace("{page}", str(page)) for word in options]
    return ["xdg-open", path]


def open_command(path: str, line: int, page: int | None = None, environ: Any = None) -> list[str]:
    """The command that opens ``path`` at a hit: text formats in the editor at ``line``,
    a PDF at ``page`` in a viewer, other formats (Word, OpenDocument, EPUB) with ``xdg-open``.
    A relative path is given as ``./path``, so that no file name reads as an option.

    >>> open_command("a.md", 4, environ={"EDITOR": "nano"})[3:], open_command("a.docx", 4)
    (['nano', '+4', './a.md'], ['xdg-open', './a.docx'])
    """
    lower = path.lower()
    if page is not None or lower.endswith(".pdf"):
        return pdf_viewer_command(path, page or 1, environ)
    if lower.endswith(TEXT_SUFFIXES):
        return editor_command(path, line, environ)
    return ["xdg-open", argument_path(path)]
