"""Take N paragraphs from the shared corpora and write them as a corpus folder.

The three paragraph-rich files are mixed proportionally to their size: each
gets a quota of N in proportion to the paragraphs it holds (wiki 72 %, laws
18 %, Dân trí news 10 %) and gives whole articles, in file order, until its
quota is reached; its last article is truncated.  If a file runs out (N close
to the 437 k paragraphs of all three), the others make up the difference in
the fixed order wiki, dantri, law.  Same N, same files, every time.

Each article becomes ``<folder>/<id>.txt`` laid out like ``materialize.py``:
title line, blank line, paragraphs separated by blank lines.  So body
paragraph *k* (0-based) starts on line ``3 + 2k``.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from searcher.vietnamese.text import clean

# (file, folder in the corpus, paragraphs in the file per the corpora README = weight)
SOURCES: list[tuple[str, str, int]] = [
    ("vi-wiki.jsonl.gz", "wiki", 315_146),
    ("vi-news-dantri.jsonl.gz", "dantri", 41_947),
    ("vi-law.jsonl.gz", "law", 80_036),
]

# The fourth file, for the scale run (``bench/run.py --all-corpora``): baomoi news whose bodies are one
# long line each (searcher indexes them as windows); 55,763 paragraphs, 73.6 M characters.
NEWS: tuple[str, str, int] = ("vi-news.jsonl.gz", "news", 55_763)
ALL_SOURCES: list[tuple[str, str, int]] = SOURCES + [NEWS]

MARKER = ".bench-corpus"  # hidden, so searcher does not index it


@dataclass
class Paragraph:
    """One body paragraph of the sample."""

    path: str  # relative to the corpus root, "/" separators
    line: int  # 1-based line where it starts
    raw: str  # as written to the file
    text: str  # searcher.vietnamese.text.clean(raw): NFC, invisible characters removed
    source: str


@dataclass
class Article:
    path: str
    title: str
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class Sample:
    articles: list[Article]
    paragraphs: list[Paragraph]
    per_source: dict[str, int]
    duplicates: Counter  # normalized text -> count (titles and body paragraphs)


def dup_key(text: str) -> str:
    return " ".join(clean(text).split())


_SURROGATES = re.compile("[\ud800-\udfff]")


def _sanitize(text: str) -> str:
    """Keep the one-line-per-paragraph layout intact and the file valid UTF-8."""
    text = text.replace("\r", " ").replace("\n", " ").replace("\x00", "")
    return _SURROGATES.sub("\ufffd", text)


def _is_blank(text: str) -> bool:
    """True for what searcher would treat as a blank or separator line."""
    stripped = clean(text).strip()
    return not stripped or set(stripped) <= {"|"}


def _read_articles(path: Path, folder: str) -> Iterator[Article]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            name = re.sub(r"[^A-Za-z0-9._-]", "_", str(rec["id"])) + ".txt"
            paragraphs = [_sanitize(p).strip() for p in str(rec.get("text") or "").split("\n")]
            paragraphs = [p for p in paragraphs if not _is_blank(p)]
            if paragraphs:
                yield Article(f"{folder}/{name}", _sanitize(str(rec.get("title") or "")).strip(), paragraphs)


def quotas(n: int, sources: list[tuple[str, str, int]] | None = None) -> list[int]:
    sources = SOURCES if sources is None else sources
    total = sum(w for _, _, w in sources)
    shares = [n * w // total for _, _, w in sources]
    for i in range(n - sum(shares)):
        shares[i % len(shares)] += 1
    return shares


def take(corpora: Path, n: int, sources: list[tuple[str, str, int]] | None = None) -> Sample:
    """Take whole articles until ``n`` body paragraphs (see the module doc).

    ``sources`` replaces :data:`SOURCES` (a subset of it, say), mixed the same way.
    """
    sources = SOURCES if sources is None else sources
    readers = [_read_articles(corpora / name, folder) for name, folder, _ in sources]
    taken = [0] * len(sources)
    articles: list[Article] = []

    def fill(i: int, want: int) -> None:
        while taken[i] < want:
            article = next(readers[i], None)
            if article is None:
                return
            room = want - taken[i]
            article.paragraphs = article.paragraphs[:room]
            taken[i] += len(article.paragraphs)
            articles.append(article)

    for i, share in enumerate(quotas(n, sources)):
        fill(i, share)
    for i in range(len(sources)):  # a source ran out: the others make up for it
        missing = n - sum(taken)
        if missing <= 0:
            break
        fill(i, taken[i] + missing)

    paragraphs: list[Paragraph] = []
    duplicates: Counter = Counter()
    for article in articles:
        if article.title:
            duplicates[dup_key(article.title)] += 1
        source = article.path.split("/", 1)[0]
        for k, raw in enumerate(article.paragraphs):
            text = clean(raw)
            if text == raw:
                text = raw  # one string, not two (400k paragraphs add up)
            paragraphs.append(Paragraph(article.path, 3 + 2 * k, raw, text, source))
            duplicates[" ".join(text.split())] += 1
    per_source = {folder: taken[i] for i, (_, folder, _) in enumerate(sources)}
    return Sample(articles, paragraphs, per_source, duplicates)


def write_corpus(sample: Sample, folder: Path) -> int:
    """Write the sample as ``.txt`` files under ``folder``; return the bytes written."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("written by bench/run.py; deleted and rewritten on every run\n")
    size = 0
    made: set[Path] = set()
    for article in sample.articles:
        target = folder / article.path
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        body = "\n\n".join([article.title] + article.paragraphs) + "\n"
        data = body.encode("utf-8")
        target.write_bytes(data)
        size += len(data)
    return size


def fts_normalize(text: str) -> str:
    """What the FTS5 peer indexes and searches: NFC, with đ/Đ/Ð/ð folded to d."""
    return unicodedata.normalize("NFC", text).translate(_D_FOLD)


_D_FOLD = str.maketrans({"đ": "d", "Đ": "d", "Ð": "d", "ð": "d"})
