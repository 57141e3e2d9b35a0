"""How ``search`` prints hits: ``path:line`` and title then a snippet, ``-l``/``-c`` file lists, ``--vimgrep``.

Colour is a few ANSI styles written by hand: importing Rich here would cost
start-up time.  Every name and text comes from the documents, so control
characters are shown (:func:`searcher.cli.presentation.visible`), never sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from searcher.cli.presentation import display_path, make_snippet, visible, where
from searcher.search.highlight import best_cluster

if TYPE_CHECKING:
    from searcher import Hit, SearchResult

__all__ = ["STYLE", "mark", "print_hits", "print_files", "print_vimgrep", "vimgrep_line", "print_paragraph"]

STYLE = {
    "path": "\x1b[35m",
    "line": "\x1b[32m",
    "title": "\x1b[1m",
    "match": "\x1b[1;31m",
    "dim": "\x1b[2m",
    "reset": "\x1b[0m",
}


def print_hits(result: SearchResult, out: TextIO, color: bool) -> None:
    """Each hit as ``path:line  title`` then its snippet, the matches marked (in colour with ``color``);
    a best-match hit is followed by the words it lacks."""
    style = STYLE if color else dict.fromkeys(STYLE, "")
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
        out.write("    " + mark(snippet.text, snippet.spans, style) + "\n")
        if hit.missing:  # a best-match hit is never shown as if it had every word
            out.write(f"    {style['dim']}(không có: {visible(', '.join(hit.missing))}){style['reset']}\n")


def mark(text: str, spans: list[tuple[int, int]], style: dict[str, str]) -> str:
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


def print_files(result: SearchResult, out: TextIO, counts: bool, limit: int | None) -> None:
    """``-l``: each file once, in the order of its best hit; ``-c``: ``path:N`` the same way."""
    files: dict[str, int] = {}
    for hit in result:
        files[hit.file] = files.get(hit.file, 0) + 1
    for number, (file, count) in enumerate(files.items()):
        if limit is not None and number >= limit:
            break
        out.write(f"{display_path(file)}:{count}\n" if counts else f"{display_path(file)}\n")


def vimgrep_line(hit: Hit, color: bool = False) -> str:
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
        flat = mark(flat, hit.spans, STYLE)
    return f"{display_path(hit.file)}:{line}:{column}:{flat}"


def print_vimgrep(result: SearchResult, out: TextIO, color: bool) -> None:
    """``--vimgrep``: one :func:`vimgrep_line` per hit."""
    for hit in result:
        out.write(vimgrep_line(hit, color) + "\n")


def print_paragraph(hit: Hit, out: TextIO) -> None:
    """The whole paragraph of a hit, after its location (what --open shows when nothing can open it)."""
    out.write(f"\n{display_path(hit.file)}{where(hit.file, hit.line, hit.page, hit.chapter)}  {hit.title}\n")
    for line in hit.text.splitlines() or [""]:
        out.write(f"    {line}\n")
    out.flush()
