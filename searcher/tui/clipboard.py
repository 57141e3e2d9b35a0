"""Copying to the clipboard from a terminal: OSC 52, and tmux's own buffer inside tmux.

A terminal application cannot reach the system clipboard itself; it asks the
terminal with the OSC 52 escape sequence, which most terminals accept.  tmux
ignores OSC 52 from applications by default (``set-clipboard external``), so
inside tmux the text goes to ``tmux load-buffer -w -``: a tmux paste buffer, which
tmux also hands to the outer terminal's clipboard.  GNU screen passes OSC 52 on
only wrapped in a DCS string.  Where copying cannot work, :func:`copy` says why.
"""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Copied", "copy", "osc52", "osc52_problem"]

Run = Callable[..., Any]


@dataclass
class Copied:
    """What :func:`copy` did: ``how`` it copied, and ``problem``, why it may not have worked."""

    osc52: str = ""  # the escape sequence to write to the terminal ("" when not needed)
    how: str = "clipboard"  # where the text went: "clipboard" (OSC 52) or "tmux buffer"
    problem: str = ""


def osc52(text: str, environ: Mapping[str, str] | None = None) -> str:
    """The OSC 52 sequence that sets the clipboard to ``text``, wrapped for GNU screen when inside it."""
    environ = os.environ if environ is None else environ
    sequence = f"\x1b]52;c;{base64.b64encode(text.encode('utf-8')).decode('ascii')}\a"
    if environ.get("STY") and not environ.get("TMUX"):
        return f"\x1bP{sequence}\x1b\\"  # screen passes a DCS string's content to the terminal
    return sequence


def osc52_problem(environ: Mapping[str, str] | None = None) -> str:
    """Why OSC 52 cannot reach a clipboard in this terminal ("" when it may)."""
    environ = os.environ if environ is None else environ
    term = environ.get("TERM", "")
    if term == "linux":
        return "the Linux console has no clipboard"
    if term in ("", "dumb"):
        return f"TERM={term or '(unset)'} is not a terminal that takes OSC 52"
    if environ.get("TERM_PROGRAM") == "Apple_Terminal":
        return "macOS Terminal ignores OSC 52 (iTerm2, kitty, WezTerm and others accept it)"
    return ""


def copy(text: str, environ: Mapping[str, str] | None = None, run: Run = subprocess.run) -> Copied:
    """Work out how to copy ``text`` here; inside tmux, put it in tmux's paste buffer (with ``run``)."""
    environ = os.environ if environ is None else environ
    if not environ.get("TMUX"):
        return Copied(osc52(text, environ), problem=osc52_problem(environ))
    error = ""
    for argv in (["tmux", "load-buffer", "-w", "-"], ["tmux", "load-buffer", "-"]):  # -w: tmux 3.2 and later
        try:
            done = run(argv, input=text.encode("utf-8"), capture_output=True, timeout=2, env=dict(environ))
        except (OSError, subprocess.SubprocessError) as exc:
            error = getattr(exc, "strerror", None) or str(exc)
            break
        if done.returncode == 0:
            return Copied(how="tmux buffer")
        said = (done.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        error = said[-1] if said else f"exit status {done.returncode}"
    # tmux did not take it: OSC 52 still works when tmux has `set -g set-clipboard on`.
    return Copied(
        osc52(text, environ),
        problem=(
            f"tmux load-buffer failed ({error}); "
            "OSC 52 reaches the clipboard only with `set -g set-clipboard on` in tmux"
        ),
    )
