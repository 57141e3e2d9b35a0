"""The peer: SQLite FTS5 over the same paragraphs (and title lines), one row each.

Text and queries are NFC-normalized with đ/Đ/Ð/ð folded to d beforehand
(unicode61 cannot fold a letter with a stroke); ``remove_diacritics 2`` does
the rest.  A query is its tokens, each double-quoted and implicitly ANDed, so
punctuation can never break the FTS5 syntax; ranked with ``ORDER BY rank``
(bm25).  The live-typing peer makes the last token a prefix: ``"tok"*``.
``any_word=True`` joins the tokens with ``OR`` instead (whole questions,
``bench/qa.py``); :func:`build_rows` indexes any ``(text, path, line)`` rows.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

from corpus_mix import Sample, fts_normalize

_TOKEN = re.compile(r"[^\W_]+")

SQL = "SELECT path, line FROM t WHERE t MATCH ? ORDER BY rank LIMIT ?"


def build(sample: Sample, db_path: Path) -> dict:
    """Create the FTS5 database; return build seconds, rows and size on disk."""

    def rows() -> Iterable[tuple[str, str, int]]:
        for article in sample.articles:
            if article.title:
                yield article.title, article.path, 1
        for p in sample.paragraphs:
            yield p.raw, p.path, p.line

    return build_rows(rows(), db_path)


def build_rows(rows: Iterable[tuple[str, str, int]], db_path: Path) -> dict:
    """Index ``(text, path, line)`` rows (normalized here, timed) in a new database at ``db_path``."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        try:
            os.remove(str(db_path) + suffix)
        except FileNotFoundError:
            pass
    started = time.perf_counter()
    con = sqlite3.connect(db_path)
    con.execute('CREATE VIRTUAL TABLE t USING fts5(body, path UNINDEXED, line UNINDEXED, tokenize="unicode61 remove_diacritics 2")')

    with con:
        con.executemany(
            "INSERT INTO t(body, path, line) VALUES (?, ?, ?)", ((fts_normalize(t), p, n) for t, p, n in rows)
        )
    with con:
        con.execute("INSERT INTO t(t) VALUES ('optimize')")
    count = con.execute("SELECT count(*) FROM t").fetchone()[0]
    con.close()
    seconds = time.perf_counter() - started
    st = os.stat(db_path)
    return {"seconds": seconds, "rows": count, "bytes": st.st_size, "disk_bytes": st.st_blocks * 512}


def match_expression(query: str, prefix: bool = False, any_word: bool = False) -> str | None:
    """``"tok1" "tok2"`` (``"tok2"*`` as a prefix when typing); None if no tokens.

    ``any_word`` gives ``"tok1" OR "tok2"``: a row needs only one of the words.
    """
    text = fts_normalize(query)
    tokens = _TOKEN.findall(text)
    if not tokens:
        return None
    parts = [f'"{t}"' for t in tokens]
    if prefix and not query[-1:].isspace():
        parts[-1] += "*"
    return (" OR " if any_word else " ").join(parts)


class Peer:
    def __init__(self, db_path: Path) -> None:
        self.con = sqlite3.connect(db_path, check_same_thread=False)

    def search(self, query: str, limit: int = 10, prefix: bool = False, any_word: bool = False) -> list[tuple[str, int]]:
        expression = match_expression(query, prefix, any_word)
        if expression is None:
            return []
        return self.con.execute(SQL, (expression, limit)).fetchall()

    def close(self) -> None:
        self.con.close()
