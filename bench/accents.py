"""Measure "did you mean" with the marks restored (issue 10) on a sample of the shared corpora.

Takes ``--paragraphs`` paragraphs with ``corpus_mix`` (as ``bench/run.py``
does), indexes them, then cuts ``--queries`` queries of 2–6 consecutive
syllables from random paragraphs, strips their marks and asks
:func:`searcher.vietnamese.accents.suggest` for each.  A query is

* **right** when the suggestion equals the original words (ignoring case),
  or when there is none and the original had no marks to restore;
* **wrong** when a suggestion is shown that differs from the original;
* **none** when nothing is offered for words that had marks.

Usage::

    python bench/accents.py --paragraphs 20000
    python bench/accents.py --paragraphs 100000 --work /tmp/accents-100k --keep
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus_mix
from searcher import Engine
from searcher.index.build import build_index
from searcher.search.query import parse_query
from searcher.vietnamese.accents import suggest
from searcher.vietnamese.analysis import tokenize
from searcher.vietnamese.text import fold


def cut_queries(paragraphs: list[corpus_mix.Paragraph], count: int, seed: int) -> list[list[str]]:
    """``count`` runs of 2–6 consecutive alphabetic tokens, lower case, from random paragraphs."""
    rng = random.Random(seed)
    queries: list[list[str]] = []
    while len(queries) < count:
        tokens = [t.text for t in tokenize(rng.choice(paragraphs).text)]
        size = rng.randint(2, 6)
        if len(tokens) < size:
            continue
        start = rng.randrange(len(tokens) - size + 1)
        words = tokens[start : start + size]
        if all(w.isalpha() for w in words):
            queries.append([w.lower() for w in words])
    return queries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", default="/work/shared/corpora", help="the shared corpora folder")
    parser.add_argument("--paragraphs", type=int, default=20_000, help="paragraphs to index (default 20000)")
    parser.add_argument("--queries", type=int, default=1000, help="queries to measure (default 1000)")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--work", help="folder for the corpus and index (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="reuse an index already built in --work")
    parser.add_argument("--examples", type=int, default=10, help="wrong and missed queries to print")
    args = parser.parse_args(argv)

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="searcher-accents-"))
    corpus, index = work / "corpus", work / "index"
    sample = corpus_mix.take(Path(args.corpora), args.paragraphs)
    if not (args.keep and (index / "CURRENT").is_file()):
        work.mkdir(parents=True, exist_ok=True)
        corpus_mix.write_corpus(sample, corpus)
        started = time.perf_counter()
        build_index(corpus, index)
        print(f"indexed {len(sample.paragraphs):,} paragraphs in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    queries = cut_queries(sample.paragraphs, args.queries, args.seed)
    right = wrong = none = plain = 0
    wrong_examples: list[str] = []
    none_examples: list[str] = []
    times: list[float] = []
    with Engine.open(index) as engine:
        searcher = engine.backend.term_source()  # what the engine asks: term statistics and stored text
        for words in queries:
            original = " ".join(words)
            typed = " ".join(fold(w) for w in words)
            started = time.perf_counter()
            offered = suggest(searcher, parse_query(typed))
            times.append(time.perf_counter() - started)
            if offered is None:
                if original == typed:
                    right += 1
                    plain += 1
                else:
                    none += 1
                    none_examples.append(original)
            elif offered.lower() == original:
                right += 1
            else:
                wrong += 1
                wrong_examples.append(f"{typed} -> {offered} (was: {original})")
    total = len(queries)
    figures = {
        "paragraphs": len(sample.paragraphs),
        "queries": total,
        "right_pct": round(100 * right / total, 1),
        "wrong_pct": round(100 * wrong / total, 1),
        "none_pct": round(100 * none / total, 1),
        "unmarked_originals": plain,
        "median_ms": round(1000 * statistics.median(times), 2),
        "p95_ms": round(1000 * sorted(times)[int(0.95 * total)], 2),
        "max_ms": round(1000 * max(times), 2),
    }
    for line in wrong_examples[: args.examples]:
        print("wrong:", line, file=sys.stderr)
    for line in none_examples[: args.examples]:
        print("none:", line, file=sys.stderr)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
