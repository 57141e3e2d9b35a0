#!/usr/bin/env python3
"""Ranking on real whole questions: searcher against SQLite FTS5 and Tantivy.

Writes each question-answering set of ../shared/qa as a corpus folder (one
``.txt`` per group: a law, or 25 news passages), optionally with N distractor
paragraphs from ../shared/corpora, indexes the same paragraphs with all three
engines, asks every question (as written, and with its diacritics removed)
and scores the ranked hits by the document (law article, passage) each
paragraph belongs to: P@1, MRR@10, R@10, no-hit rate, latency.  See
bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import re
import shutil
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_QA = REPO.parent / "shared" / "qa"
DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"
DEFAULT_WORK = HERE / "work" / "qa"
DEFAULT_OUT = HERE / "out"
RESULTS_MD = HERE / "RESULTS.md"

SETS = ("alqac2022", "vinewsqa-dev")
VARIANTS = ("as-written", "unaccented")
ENGINES = ("searcher", "fts5", "tantivy")
QUICK_QUERIES = 60
DISTRACTOR_FOLDER = "distractors"
WARMUP = 3

QA_BEGIN = "<!-- qa: bench/qa.py replaces everything from here to the qa-end line -->"
QA_END = "<!-- qa-end -->"
QA_HEADING = "## Whole questions (bench/qa.py)"

if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


class BenchError(Exception):
    """A fatal problem, reported as one line."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench/qa.py",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""\
examples:
  python bench/qa.py                              both sets, both variants, no distractors
  python bench/qa.py --distractors 100000 --write-results
  python bench/qa.py --quick                      60 questions per set, a temp dir, well under a minute

A hit counts for the document its paragraph belongs to; hits are deduplicated by
document in rank order before the cut at 10.  Writes bench/out/qa-<date>-d<N>.json
(or --json-out FILE) and prints a Markdown table; --write-results also replaces the
whole-questions section of bench/RESULTS.md.
exit status: 0 done, 2 error (one line on stderr).""",
    )
    parser.add_argument("--qa", default=str(DEFAULT_QA), metavar="DIR", help="the QA sets (default ../shared/qa)")
    parser.add_argument(
        "--corpora", default=str(DEFAULT_CORPORA), metavar="DIR", help="distractor corpora (default ../shared/corpora)"
    )
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated (default {','.join(SETS)})")
    parser.add_argument(
        "--variants", default=",".join(VARIANTS), help=f"comma-separated, of {', '.join(VARIANTS)} (default both)"
    )
    parser.add_argument("--engines", default=",".join(ENGINES), help=f"comma-separated (default {','.join(ENGINES)})")
    parser.add_argument(
        "--distractors", type=int, default=0, metavar="N", help="add N paragraphs of ../shared/corpora to every corpus"
    )
    parser.add_argument(
        "--distractor-laws",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="take distractors from vi-law too, as bench/run.py does (default); --no-distractor-laws: wiki and news only",
    )
    parser.add_argument("--queries", type=int, default=0, metavar="N", help="at most N questions per set, evenly spread")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_QUERIES} questions per set, no distractors, temp dir")
    parser.add_argument(
        "--layout",
        choices=("group", "document"),
        default="group",
        help="one file per group (a law, 25 passages; default) or one file per document",
    )
    parser.add_argument("--limit", type=int, default=10, help="paragraphs asked of each engine (default 10)")
    parser.add_argument(
        "--budget", type=float, default=None, metavar="S", help="searcher's time budget per search (default: its own)"
    )
    parser.add_argument("--work", default=None, metavar="DIR", help="work folder (default bench/work/qa; a temp dir with --quick)")
    parser.add_argument("--keep-work", action="store_true", help="keep the temp work dir of --quick")
    parser.add_argument("--json-out", metavar="FILE", help="write the JSON here (default bench/out/qa-<date>-d<N>.json)")
    parser.add_argument("--write-results", action="store_true", help="replace the whole-questions section of bench/RESULTS.md")
    parser.add_argument(
        "--from-json", metavar="FILE", help="run nothing: print (and with --write-results record) the run saved in FILE"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    return parser


class Log:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.started = time.perf_counter()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.started:6.1f}s] {message}", file=sys.stderr, flush=True)


# -- the QA sets as corpus folders ---------------------------------------------


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


_SURROGATES = re.compile("[\ud800-\udfff]")


def one_line(text: str) -> str:
    """A paragraph on one line, valid UTF-8 (so that it starts on a known line)."""
    text = text.replace("\r", " ").replace("\n", " ").replace("\x00", "")
    return _SURROGATES.sub("\ufffd", text).strip()


def file_name(group: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", group) + ".txt"


@dataclass
class QASet:
    name: str
    docs: int
    files: int
    paragraphs: int  # written to the files (non-blank)
    where: dict[tuple[str, int], str]  # (path, line) -> document id
    queries: list[dict[str, Any]] = field(default_factory=list)


def write_set(qa: Path, name: str, corpus: Path, layout: str = "group") -> QASet:
    """Write set ``name`` under ``corpus``: one file per group, no separate title line.

    A file is its documents' paragraphs in order, one line each, separated by blank
    lines, so paragraph *k* of the file starts on line ``1 + 2k``; searcher reads the
    first line as the file's title *and* as its paragraph 0, so every paragraph,
    the first included, is indexed once and belongs to one document.  (searcher
    keeps a paragraph repeated inside one file once: the repeats are not indexed,
    by any engine, and the one kept counts for the first document that has it.)
    With ``layout="document"`` each document is its own file, ``<group>/<id>.txt``.
    """
    from searcher.vietnamese.text import clean

    docs = read_jsonl(qa / name / "docs.jsonl.gz")
    queries = read_jsonl(qa / name / "queries.jsonl.gz")
    groups: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        key = str(doc["group"]) if layout == "group" else f"{doc['group']}\x00{doc['id']}"
        groups.setdefault(key, []).append(doc)
    corpus.mkdir(parents=True, exist_ok=True)
    where: dict[tuple[str, int], str] = {}
    names: dict[str, str] = {}
    count = 0
    for group, members in groups.items():
        path = "/".join(file_name(part)[:-4] for part in group.split("\x00")) + ".txt"
        if path in names:
            raise BenchError(f"{name}: groups {names[path]!r} and {group!r} both become {path}")
        names[path] = group
        lines: list[str] = []
        for doc in members:
            for paragraph in doc["paragraphs"]:
                text = one_line(str(paragraph))
                if not clean(text).strip().strip("|").strip():
                    continue  # searcher skips blank and separator lines
                where[(path, 1 + 2 * len(lines))] = str(doc["id"])
                lines.append(text)
        count += len(lines)
        (corpus / path).parent.mkdir(parents=True, exist_ok=True)
        (corpus / path).write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    known = {str(d["id"]) for d in docs}
    for q in queries:
        unknown = [r for r in q["relevant"] if r not in known]
        if unknown:
            raise BenchError(f"{name}: question {q['id']} names unknown documents {unknown}")
    return QASet(name, len(docs), len(groups), count, where, queries)


def write_distractors(corpora: Path, n: int, corpus: Path, laws: bool = True) -> dict[str, Any]:
    """N paragraphs of the shared corpora, sampled as bench/run.py does, under corpus/distractors/.

    ``laws=False`` leaves out ``vi-law`` (its codes include older versions of the very
    laws ALQAC asks about, whose articles would compete with the right ones).
    """
    import corpus_mix

    sources = [s for s in corpus_mix.SOURCES if laws or s[1] != "law"]
    sample = corpus_mix.take(corpora, n, sources)
    size = corpus_mix.write_corpus(sample, corpus / DISTRACTOR_FOLDER)
    return {"paragraphs": len(sample.paragraphs), "articles": len(sample.articles), "per_source": sample.per_source, "bytes": size}


def read_rows(corpus: Path) -> list[tuple[str, str, int]]:
    """``(text, path, line)`` of every paragraph exactly as searcher's corpus reader splits them.

    The peers index these rows, so all three engines hold the same paragraphs
    (within-file duplicates dropped, long paragraphs cut into windows, titles of
    distractor articles included) whatever searcher's reading rules are.
    """
    from searcher.documents.corpus import iter_corpus_files, read_document

    rows: list[tuple[str, str, int]] = []
    for f in iter_corpus_files(corpus):
        for p in read_document(corpus, f.path).paragraphs:
            rows.append((p.text, f.path, p.line))
    return rows


def check_mapping(qa_set: QASet, rows: list[tuple[str, str, int]]) -> dict[str, int]:
    """Every paragraph read from a QA file must map to a document; count what does not."""
    unmapped = [(p, n) for _, p, n in rows if not p.startswith(DISTRACTOR_FOLDER + "/") and (p, n) not in qa_set.where]
    if unmapped:
        raise BenchError(f"{qa_set.name}: {len(unmapped)} paragraphs map to no document, e.g. {unmapped[:3]}")
    read = {(p, n) for _, p, n in rows}
    dropped = sum(1 for key in qa_set.where if key not in read)
    return {"qa_rows": sum(1 for _, p, _ in rows if not p.startswith(DISTRACTOR_FOLDER + "/")), "dropped": dropped}


def check_index(engine: Any, qa_set: QASet) -> int:
    """On the built searcher index: every paragraph of every QA file maps; return how many."""
    paths = sorted({p for p, _ in qa_set.where})
    seen = 0
    for path in paths:
        for hit in engine.document(path):
            if (hit.path, hit.line) not in qa_set.where:
                raise BenchError(f"{qa_set.name}: indexed paragraph {hit.path}:{hit.line} maps to no document")
            seen += 1
    return seen


# -- the engines --------------------------------------------------------------


def searcher_search(engine: Any, query: str, limit: int, budget: float | None) -> tuple[list[tuple[str, int]], bool]:
    """The searcher adapter, kept in one place: ranked ``(path, line)`` of one search,
    and whether its time budget cut any tier short (``complete``/``filled`` false)."""
    from searcher.errors import QueryError

    try:
        hits = engine.search(query, limit=limit, budget=budget)
    except QueryError:
        return [], False
    return [(h.path, h.line) for h in hits], not (hits.complete and hits.filled)


def strip_diacritics(text: str) -> str:
    """The question typed without diacritics: marks dropped, đ → d, case and punctuation kept.

    >>> strip_diacritics("Chiếm đoạt di vật của tử sĩ? ĐƯỢC")
    'Chiem doat di vat cua tu si? DUOC'
    """
    out = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch):
            continue
        out.append({"đ": "d", "Đ": "D", "ð": "d", "Ð": "D"}.get(ch, ch))
    return unicodedata.normalize("NFC", "".join(out))


def variant_text(text: str, variant: str) -> str:
    return text if variant == "as-written" else strip_diacritics(text)


# -- metrics ------------------------------------------------------------------


def score(hits: list[tuple[str, int]], where: dict[tuple[str, int], str], relevant: set[str], k: int = 10) -> dict[str, Any]:
    """Rank of the first relevant document and recall, over hits deduplicated by document."""
    docs: list[str] = []
    for path, line in hits:
        doc = where.get((path, line)) or f"{path}"  # a distractor: its file is its document
        if doc not in docs:
            docs.append(doc)
    docs = docs[:k]
    first = next((i + 1 for i, d in enumerate(docs) if d in relevant), None)
    found = sum(1 for d in docs if d in relevant)
    return {"rank": first, "recall": found / len(relevant) if relevant else 0.0, "hits": len(hits), "docs": docs}


def percentile(values: list[float], q: float) -> float | None:
    import results_md

    return results_md.percentile(values, q)


def summarize(rows: list[dict[str, Any]], engine: str) -> dict[str, Any]:
    n = len(rows)
    ranks = [r[engine]["rank"] for r in rows]
    ms = [r[engine]["ms"] for r in rows]
    return {
        "queries": n,
        "p_at_1": sum(1 for x in ranks if x == 1) / n if n else None,
        "mrr10": sum(1 / x for x in ranks if x) / n if n else None,
        "r_at_10": sum(r[engine]["recall"] for r in rows) / n if n else None,
        "no_hit": sum(1 for r in rows if r[engine]["hits"] == 0) / n if n else None,
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "max_ms": max(ms) if ms else None,
        "cut_by_budget": sum(1 for r in rows if r[engine].get("cut")),
    }


def spread(items: list[Any], n: int) -> list[Any]:
    """At most ``n`` items, evenly spaced over the list (deterministic)."""
    if n <= 0 or n >= len(items):
        return list(items)
    return [items[i * len(items) // n] for i in range(n)]


# -- one set ------------------------------------------------------------------


def run_set(
    name: str, args: argparse.Namespace, work: Path, engines: list[str], variants: list[str], log: Log
) -> dict[str, Any]:
    qa = Path(args.qa)
    base = work / name
    if base.exists():
        shutil.rmtree(base)
    corpus = base / "corpus"
    log(f"{name}: writing the corpus")
    qa_set = write_set(qa, name, corpus, args.layout)
    distractors = None
    if args.distractors:
        log(f"{name}: adding {args.distractors:,} distractor paragraphs")
        distractors = write_distractors(Path(args.corpora), args.distractors, corpus, laws=args.distractor_laws)
    rows = read_rows(corpus)
    mapping = check_mapping(qa_set, rows)
    log(f"{name}: {len(rows):,} paragraphs in {qa_set.files + (distractors or {}).get('articles', 0):,} files")
    builds: dict[str, Any] = {}
    # each engine: question -> (ranked (path, line), whether a time budget cut the search short)
    search: dict[str, Callable[[str], tuple[list[tuple[str, int]], bool]]] = {}

    if "searcher" in engines:
        from searcher import Engine, build_index

        log(f"{name}: searcher build")
        started = time.perf_counter()
        summary = build_index(corpus, base / "index", full=True)
        builds["searcher"] = {"seconds": time.perf_counter() - started, "rows": summary.paragraphs}
        engine = Engine.open(base / "index")
        checked = check_index(engine, qa_set)
        if checked != mapping["qa_rows"]:
            raise BenchError(f"{name}: searcher indexed {checked} QA paragraphs, its reader gives {mapping['qa_rows']}")
        if summary.paragraphs != len(rows):
            raise BenchError(f"{name}: searcher indexed {summary.paragraphs} paragraphs, its reader gives {len(rows)}")
        search["searcher"] = lambda q: searcher_search(engine, q, args.limit, args.budget)
    if "fts5" in engines:
        import fts5_peer

        log(f"{name}: FTS5 build")
        builds["fts5"] = fts5_peer.build_rows(rows, base / "fts5.db")
        fts = fts5_peer.Peer(base / "fts5.db")
        search["fts5"] = lambda q: (fts.search(q, args.limit, any_word=True), False)
    if "tantivy" in engines:
        import tantivy_peer

        log(f"{name}: Tantivy build")
        builds["tantivy"], table = tantivy_peer.build(rows, base / "tantivy")
        tan = tantivy_peer.Peer(base / "tantivy", table)
        search["tantivy"] = lambda q: (tan.search(q, args.limit), False)
    for engine_name, b in builds.items():
        if b["rows"] != len(rows):
            raise BenchError(f"{name}: {engine_name} holds {b['rows']} rows, expected {len(rows)}")

    count = QUICK_QUERIES if args.quick and not args.queries else args.queries
    queries = spread(qa_set.queries, count)
    for fn in search.values():  # warm-up, not timed
        for q in queries[:WARMUP]:
            fn(q["text"])
    results: dict[str, Any] = {}
    per_query: dict[str, list[dict[str, Any]]] = {}
    for variant in variants:
        log(f"{name}: {len(queries)} questions, {variant}")
        rows_out: list[dict[str, Any]] = []
        for i, q in enumerate(queries):
            text = variant_text(str(q["text"]), variant)
            relevant = set(q["relevant"])
            row: dict[str, Any] = {"id": q["id"], "q": text}
            order = list(search)
            order = order[i % len(order):] + order[: i % len(order)]  # alternate who goes first
            for engine_name in order:
                started = time.perf_counter()
                hits, cut = search[engine_name](text)
                elapsed = (time.perf_counter() - started) * 1000
                s = score(hits, qa_set.where, relevant)
                row[engine_name] = {"rank": s["rank"], "recall": s["recall"], "hits": s["hits"], "ms": elapsed, "cut": cut}
            rows_out.append(row)
        per_query[variant] = rows_out
        results[variant] = {e: summarize(rows_out, e) for e in search}
    if "searcher" in search:
        engine.close()
    if "fts5" in search:
        fts.close()
    return {
        "docs": qa_set.docs,
        "files": qa_set.files,
        "qa_paragraphs": mapping["qa_rows"],
        "written_paragraphs": qa_set.paragraphs,
        "repeats_dropped": mapping["dropped"],
        "paragraphs": len(rows),
        "distractors": distractors,
        "questions": len(queries),
        "questions_in_set": len(qa_set.queries),
        "build": builds,
        "results": results,
        "per_query": per_query,
    }


# -- output -------------------------------------------------------------------


def _f(v: float | None, digits: int = 3) -> str:
    return "—" if v is None else f"{v:.{digits}f}"


def _ms(v: float | None) -> str:
    return "—" if v is None else (f"{v:.1f}" if v < 100 else f"{v:,.0f}")


def table(result: dict[str, Any]) -> str:
    lines = [
        "| set | questions | variant | engine | P@1 | MRR@10 | R@10 | no hit | p50 ms | p95 ms | max ms |",
        "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, s in result["sets"].items():
        for variant, engines in s["results"].items():
            for engine, m in engines.items():
                lines.append(
                    f"| {name} | {m['queries']:,} | {variant} | {engine} | {_f(m['p_at_1'])} | {_f(m['mrr10'])} | "
                    f"{_f(m['r_at_10'])} | {_f(m['no_hit'])} | {_ms(m['p50_ms'])} | {_ms(m['p95_ms'])} | {_ms(m['max_ms'])} |"
                )
    cuts = [
        f"{name} {variant} {m['cut_by_budget']}/{m['queries']}"
        for name, s in result["sets"].items()
        for variant, engines in s["results"].items()
        for engine, m in engines.items()
        if engine == "searcher" and "cut_by_budget" in m
    ]
    if cuts:
        lines += ["", "searcher searches cut short by its time budget (`complete` or `filled` false): " + ", ".join(cuts) + "."]
    return "\n".join(lines)


def build_table(result: dict[str, Any]) -> str:
    lines = [
        "| set | files | paragraphs indexed (QA + distractors) | QA repeats not indexed | searcher build s | FTS5 build s | Tantivy build s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, s in result["sets"].items():
        b = s["build"]
        cells = [_f(b[e]["seconds"], 1) if e in b else "—" for e in ENGINES]
        files = s["files"] + ((s.get("distractors") or {}).get("articles") or 0)
        lines.append(
            f"| {name} | {files:,} | {s['paragraphs']:,} ({s['qa_paragraphs']:,} + {s['paragraphs'] - s['qa_paragraphs']:,}) | "
            f"{s.get('repeats_dropped', 0):,} of {s.get('written_paragraphs', s['qa_paragraphs']):,} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines)


def run_heading(result: dict[str, Any]) -> str:
    meta = result["meta"]
    d = meta["distractors"]
    what = "no distractors" if not d else f"+ {d:,} distractor paragraphs"
    if d and not meta.get("distractor_laws", True):
        what += " (no laws)"
    return f"### {meta['date']} · {what} · {meta['git']['label']}"


def run_section(result: dict[str, Any], json_name: str | None) -> str:
    meta = result["meta"]
    m, v = meta["machine"], meta["versions"]
    facts = (
        f"Machine: {m['cpu']}, {m['cores']} cores · Python {v['python']} · Whoosh {v['whoosh']} · SQLite {v['sqlite']} · "
        f"tantivy {v['tantivy']} · searcher budget {meta['budget'] if meta['budget'] is not None else 'its own'} · "
        f"{meta['limit']} paragraphs asked of each engine · one file per {meta.get('layout', 'group')}"
        + (f" · raw numbers: `bench/out/{json_name}` (not committed)" if json_name else "")
    )
    return "\n".join([run_heading(result), "", facts, "", table(result), "", build_table(result), ""])


QA_INTRO = """\
Real questions (`../shared/qa`: ALQAC 2022 law questions → the article; UIT-ViNewsQA dev → the passage),
asked of searcher, SQLite FTS5 (`unicode61 remove_diacritics 2`, OR of the quoted words, `ORDER BY rank` = bm25)
and Tantivy (BM25, simple tokenizer + lower case + ASCII folding, OR of the words) over the same paragraphs.
A paragraph hit counts for its article/passage; hits are deduplicated by document in rank order, then cut at 10.
*unaccented* = the question with its diacritics removed (case and punctuation kept). Latency is the search call
only, warm. One subsection per distractor count, replaced by the next run with the same count (this section
is rewritten by `bench/qa.py --write-results`; notes on it go below its end marker)."""


def _distractor_count(run_text: str) -> int:
    match = re.search(r" · \+ ([\d,]+) distractor", run_text.split("\n", 1)[0])
    return int(match.group(1).replace(",", "")) if match else 0


def write_results(path: Path, result: dict[str, Any], json_name: str | None) -> None:
    """Put this run in the whole-questions section of RESULTS.md (above bench/run.py's runs)."""
    import results_md

    old = path.read_text(encoding="utf-8") if path.exists() else results_md.HEADER
    runs: list[str] = []
    if QA_BEGIN in old and QA_END in old:
        head, rest = old.split(QA_BEGIN, 1)
        body, tail = rest.split(QA_END, 1)
        runs = ["### " + part.strip("\n") for part in body.split("\n### ")[1:]]
    else:
        head, tail = old, ""
        if results_md.MARKER in old:
            head, tail = old.split(results_md.MARKER, 1)
            tail = results_md.MARKER + tail
    new_run = run_section(result, json_name).strip("\n")
    key = run_heading(result).split(" · ")[1]
    runs = [r for r in runs if r.split("\n", 1)[0].split(" · ")[1:2] != [key]]
    runs.append(new_run)
    runs.sort(key=_distractor_count)  # no distractors first, then by how many
    section = "\n\n".join([QA_BEGIN, QA_HEADING, QA_INTRO, *runs, QA_END])
    text = head.rstrip("\n") + "\n\n" + section + "\n\n" + tail.lstrip("\n")
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


# -- main ---------------------------------------------------------------------


def _choose(value: str, allowed: tuple[str, ...], what: str) -> list[str]:
    chosen = [x.strip() for x in value.split(",") if x.strip()]
    bad = [x for x in chosen if x not in allowed]
    if bad or not chosen:
        raise BenchError(f"unknown {what}: {', '.join(bad) or '(none)'} (choose from {', '.join(allowed)})")
    return chosen


def run(args: argparse.Namespace) -> int:
    log = Log(args.quiet)
    if args.from_json:
        try:
            saved = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BenchError(f"cannot read {args.from_json}: {exc}") from None
        if args.write_results:
            here = Path(args.from_json).resolve().parent == DEFAULT_OUT.resolve()
            write_results(RESULTS_MD, saved, Path(args.from_json).name if here else None)
            log(f"updated {RESULTS_MD}")
        print(run_section(saved, None))
        return 0
    sets = _choose(args.sets, SETS, "set")
    variants = _choose(args.variants, VARIANTS, "variant")
    engines = _choose(args.engines, ENGINES, "engine")
    if args.quick and args.distractors:
        raise BenchError("--quick runs without distractors")
    qa = Path(args.qa)
    for name in sets:
        for f in ("docs.jsonl.gz", "queries.jsonl.gz"):
            if not (qa / name / f).is_file():
                raise BenchError(f"QA file not found: {qa / name / f} (use --qa DIR)")
    if args.distractors and not Path(args.corpora).is_dir():
        raise BenchError(f"corpora folder not found: {args.corpora} (use --corpora DIR)")
    if "tantivy" in engines:
        try:
            import tantivy  # noqa: F401
        except ImportError:
            raise BenchError("the tantivy package is not installed: pip install -e '.[bench]' (or --engines searcher,fts5)") from None
    import results_md

    temp = args.quick and not args.work
    work = Path(tempfile.mkdtemp(prefix="qa-bench-")) if temp else Path(args.work or DEFAULT_WORK)
    work.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    try:
        result: dict[str, Any] = {
            "meta": {
                "date": started.strftime("%Y-%m-%d %H:%M UTC"),
                "git": results_md.git_state(REPO),
                "machine": results_md.machine(),
                "versions": {**results_md.versions(), "tantivy": _tantivy_version()},
                "quick": args.quick,
                "distractors": args.distractors,
                "distractor_laws": args.distractor_laws,
                "limit": args.limit,
                "layout": args.layout,
                "budget": args.budget,
                "variants": variants,
                "engines": engines,
            },
            "sets": {},
        }
        for name in sets:
            result["sets"][name] = run_set(name, args, work, engines, variants, log)
        result["meta"]["seconds"] = (dt.datetime.now(dt.UTC) - started).total_seconds()
        if args.json_out:
            out = Path(args.json_out)
        else:
            out = DEFAULT_OUT / f"qa-{started.strftime('%Y%m%dT%H%M')}-d{args.distractors}{'-quick' if args.quick else ''}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        log(f"wrote {out}")
        if args.write_results:
            write_results(RESULTS_MD, result, out.name if out.parent.resolve() == DEFAULT_OUT.resolve() else None)
            log(f"updated {RESULTS_MD}")
        print(run_section(result, None))
        return 0
    finally:
        if temp and not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)
        elif temp:
            log(f"work dir kept: {work}")


def _tantivy_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("tantivy")
    except metadata.PackageNotFoundError:
        return "not installed"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except BenchError as exc:
        print(f"bench/qa.py: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench/qa.py: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
