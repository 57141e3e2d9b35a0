#!/usr/bin/env python3
"""Benchmark searcher against SQLite FTS5 on N paragraphs of real Vietnamese text.

Takes N paragraphs from ../shared/corpora (Wikipedia, Dân trí news, laws), writes
them as a corpus folder, indexes it with `search-index --full` and with FTS5,
runs known-item query sets cut from the paragraphs (as written, unaccented,
upper case, tone placement swapped, frequent syllables, live typing) against
both, times a one-shot `search` and an incremental re-index, and writes a
Markdown section to bench/RESULTS.md plus the raw numbers to bench/results/.
Standard library and the project only.  See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"
DEFAULT_WORK = HERE / "work"
RESULTS_MD = HERE / "RESULTS.md"
RESULTS_DIR = HERE / "results"
WORK_MARKER = ".bench-work"

FULL = {"paras": 100_000, "queries": 200, "frequent": 20, "typed": 30, "oneshot": 5}
QUICK = {"paras": 5_000, "queries": 100, "frequent": 12, "typed": 10, "oneshot": 5}

if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


class BenchError(Exception):
    """A fatal problem, reported as one line."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench/run.py",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""\
examples:
  python bench/run.py --paras 100000          full run, appends a section to bench/RESULTS.md
  python bench/run.py --quick                 ~5k paragraphs in a temp dir, RESULTS.md untouched
  python bench/run.py --quick --json-out /tmp/q.json
  python bench/run.py --paras 20000 --no-write-results --keep-work

Query sets (known item = the paragraph the query was cut from, matched by path and line):
  a  3-5 consecutive syllables as written     b  the same without diacritics
  c  the same in upper case                   d  tone placement swapped (hòa<->hoà)
  e  single frequent syllables (latency only) f  live typing, every prefix (prefix=True)

exit status: 0 done (whether or not the targets pass, unless --strict), 1 a target
failed with --strict, 2 error (one line on stderr).""",
    )
    parser.add_argument(
        "--paras",
        type=_count,
        metavar="N",
        help=f"body paragraphs to take from the corpora (default {FULL['paras']:,}; {QUICK['paras']:,} with --quick)",
    )
    parser.add_argument(
        "--all-corpora",
        action="store_true",
        help="the scale run: all four corpora files, vi-news (long one-line bodies) included, every paragraph "
        "(492,892) unless --paras says otherwise",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the query sets and of the re-indexed file (default 1)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"small run for the test suite: {QUICK['paras']:,} paragraphs, {QUICK['queries']} queries per set, "
        "in a temporary work dir; RESULTS.md is not touched unless --write-results",
    )
    parser.add_argument(
        "--queries",
        type=_count,
        metavar="Q",
        help=f"queries in each of sets a-d (default {FULL['queries']}; {QUICK['queries']} with --quick)",
    )
    parser.add_argument(
        "--frequent",
        type=_count,
        metavar="K",
        help=f"single-syllable queries in set e (default {FULL['frequent']}; {QUICK['frequent']} with --quick)",
    )
    parser.add_argument(
        "--typed",
        type=_count,
        metavar="T",
        help=f"set-a queries typed one character at a time for set f (default {FULL['typed']}; {QUICK['typed']} with --quick)",
    )
    parser.add_argument(
        "--corpora",
        metavar="DIR",
        default=str(DEFAULT_CORPORA),
        help="folder with vi-wiki.jsonl.gz, vi-news-dantri.jsonl.gz, vi-law.jsonl.gz (default: ../shared/corpora from the repo root)",
    )
    parser.add_argument(
        "--work",
        metavar="DIR",
        help="work dir for the corpus, the index and the FTS5 database; its corpus/, index/ and fts5.db are "
        "replaced on every run (default bench/work/, or a temporary dir with --quick)",
    )
    parser.add_argument("--keep-work", action="store_true", help="keep the temporary work dir of --quick (its path is printed)")
    parser.add_argument(
        "--write-results",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="add a section to bench/RESULTS.md and write bench/results/<date>-<N>.json "
        "(default: yes, except with --quick)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        metavar="SECONDS",
        help="time budget passed to Engine.search for every query (default: the engine's own, which is what users get; "
        "a large value such as 30 separates ranking quality from the budget)",
    )
    parser.add_argument("--json-out", metavar="FILE", help="also write the raw numbers as JSON to FILE")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target of the issue fails")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    return parser


def _count(value: str) -> int:
    try:
        number = int(value.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


# -- helpers -----------------------------------------------------------------


class Log:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.started = time.perf_counter()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.started:6.1f}s] {message}", file=sys.stderr, flush=True)


def console_script(name: str) -> str:
    """The installed console script next to this Python (not a pyenv shim: start-up time counts)."""
    here = Path(sys.executable).parent / name
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    found = shutil.which(name)
    if found:
        return found
    raise BenchError(f"console script {name!r} not found; install the project first: python -m pip install -e .")


def disk_usage(path: Path) -> tuple[int, int]:
    """(du bytes, apparent bytes) of a folder tree."""
    du = apparent = 0
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            du += st.st_blocks * 512
            if name in files:
                apparent += st.st_size
    return du, apparent


def prepare_work(work: Path) -> None:
    """Create the work dir, or clear what an earlier run left in it (and nothing else)."""
    if work.exists():
        if not work.is_dir():
            raise BenchError(f"work path is not a directory: {work}")
        if any(work.iterdir()) and not (work / WORK_MARKER).exists():
            raise BenchError(f"work dir {work} is not empty and was not made by bench/run.py; choose another --work")
    work.mkdir(parents=True, exist_ok=True)
    (work / WORK_MARKER).write_text("bench/run.py work dir: corpus/, index/ and fts5.db are replaced on every run\n")
    for name in ("corpus", "index"):
        if (work / name).exists():
            shutil.rmtree(work / name)
    for name in ("fts5.db", "fts5.db-journal"):
        if (work / name).exists():
            (work / name).unlink()


def summarize(latencies: list[float], ranks: list[int | None] | None, zero: int, incomplete: int, errors: int) -> dict[str, Any]:
    from results_md import percentile

    out: dict[str, Any] = {
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "max_ms": max(latencies) if latencies else None,
        "mean_ms": sum(latencies) / len(latencies) if latencies else None,
        "hit10": None,
        "mrr10": None,
        "zero_hits": zero,
        "incomplete": incomplete,
        "errors": errors,
    }
    if ranks is not None and ranks:
        out["hit10"] = sum(1 for r in ranks if r is not None and r <= 10) / len(ranks)
        out["mrr10"] = sum(1 / r for r in ranks if r is not None and r <= 10) / len(ranks)
    return out


# -- the run -----------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    log = Log(args.quiet)
    preset = QUICK if args.quick else FULL
    from corpus_mix import ALL_SOURCES, SOURCES

    sources = ALL_SOURCES if args.all_corpora else SOURCES
    n = args.paras or (sum(w for _, _, w in sources) if args.all_corpora else preset["paras"])
    per_set = args.queries or preset["queries"]
    frequent = args.frequent or preset["frequent"]
    typed_count = args.typed or preset["typed"]
    write_results = args.write_results if args.write_results is not None else not args.quick

    corpora = Path(args.corpora).expanduser()
    if not corpora.is_dir():
        raise BenchError(f"corpora folder not found: {corpora} (use --corpora DIR)")
    for name, _, _ in sources:
        if not (corpora / name).is_file():
            raise BenchError(f"corpus file not found: {corpora / name}")
    try:
        import searcher  # noqa: F401
        from searcher import Engine
        from searcher.errors import QueryError
    except ImportError as exc:
        raise BenchError(f"cannot import the searcher package ({exc}); install it: python -m pip install -e .") from None
    index_script = console_script("search-index")
    search_script = console_script("search")

    import corpus_mix
    import fts5_peer
    import results_md
    from proc_watch import run_timed, run_watched
    from query_sets import SET_NAMES, QuerySets

    now = dt.datetime.now().astimezone()
    temp_work = False
    if args.work:
        work = Path(args.work).expanduser().resolve()
    elif args.quick:
        work = Path(tempfile.mkdtemp(prefix="searcher-bench-"))
        temp_work = True
    else:
        work = DEFAULT_WORK
    try:
        prepare_work(work)
        corpus_dir, index_dir, db_path = work / "corpus", work / "index", work / "fts5.db"

        # 1. the sample
        log(f"taking {n:,} paragraphs from {corpora}")
        sample = corpus_mix.take(corpora, n, sources)
        if len(sample.paragraphs) < n:
            log(f"warning: the corpora hold only {len(sample.paragraphs):,} usable paragraphs")
        corpus_bytes = corpus_mix.write_corpus(sample, corpus_dir)
        log(
            f"wrote {len(sample.articles):,} files ({corpus_bytes / (1 << 20):.1f} MiB) to {corpus_dir}: "
            + ", ".join(f"{k} {v:,}" for k, v in sample.per_source.items())
        )

        # 2. the queries
        sets = QuerySets(sample, args.seed, per_set, frequent, typed_count)
        log("query sets: " + ", ".join(f"{k} {len(v)}" for k, v in sets.sets.items()) + f", f {len(sets.typed)} typed")

        # 3. searcher build
        log("building the searcher index (search-index --full --json)")
        env = dict(os.environ)
        for var in ("SEARCHER_INDEX", "SEARCHER_CORPUS"):
            env.pop(var, None)
        built = run_watched(
            [index_script, "--corpus", str(corpus_dir), "--index", str(index_dir), "--full", "--json"], env=env
        )
        if built.returncode != 0:
            last = (built.stderr.strip().splitlines() or ["(no message)"])[-1]
            raise BenchError(f"search-index failed with exit {built.returncode}: {last}")
        try:
            summary = json.loads(built.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise BenchError(f"search-index --json printed no JSON summary: {built.stdout[:200]!r}") from None
        index_du, index_apparent = disk_usage(index_dir)
        build_s = {
            "seconds": built.seconds,
            "reported_seconds": summary.get("seconds"),
            "paragraphs_per_s": len(sample.paragraphs) / built.seconds,
            "index_disk_bytes": index_du,
            "index_bytes": index_apparent,
            "peak_tree_rss": built.peak_tree_rss,
            "peak_single_rss": built.peak_single_rss,
            "max_processes": built.max_processes,
            "processes": sorted(built.processes.values(), key=lambda p: -p["peak_rss"]),
            "rss_samples": built.samples,
            "summary": summary,
            "warnings": built.stderr.strip().splitlines()[:20],
        }
        log(
            f"searcher: {built.seconds:.2f} s, {build_s['paragraphs_per_s']:,.0f} paragraphs/s, "
            f"{index_du / (1 << 20):.1f} MiB, peak RSS {built.peak_tree_rss / (1 << 20):.0f} MiB (tree); "
            f"index holds {summary.get('paragraphs')} paragraphs in {summary.get('files')} files"
        )

        # 4. FTS5 build
        log("building the FTS5 peer")
        fts = fts5_peer.build(sample, db_path)
        fts["paragraphs_per_s"] = len(sample.paragraphs) / fts["seconds"]
        log(f"FTS5: {fts['seconds']:.2f} s, {fts['rows']:,} rows, {fts['disk_bytes'] / (1 << 20):.1f} MiB")

        # 5. queries
        engine = Engine.open(index_dir)
        peer = fts5_peer.Peer(db_path)
        engine.search("việt nam", limit=10)  # warm-up, as the issue asks
        if hasattr(engine, "warm"):
            engine.warm()  # what the TUI does in the background when it opens
        peer.search("việt nam")
        paragraphs = sample.paragraphs
        budget = {"budget": args.budget} if args.budget else {}

        def measure(query: str, target: int | None, prefix: bool) -> dict[str, Any]:
            row: dict[str, Any] = {"q": query}
            want = (paragraphs[target].path, paragraphs[target].line) if target is not None else None
            if want:
                row["target"] = list(want)
            started = time.perf_counter()
            try:
                hits = engine.search(query, limit=10, prefix=prefix, **budget)
                error = None
            except QueryError as exc:
                hits, error = [], str(exc)
            row["s_ms"] = (time.perf_counter() - started) * 1000
            row["s_hits"] = len(hits)
            row["s_complete"] = getattr(hits, "complete", True)
            if error:
                row["s_error"] = error
            if want:
                row["s_rank"] = next((k for k, h in enumerate(hits, 1) if (h.path, h.line) == want), None)
            started = time.perf_counter()
            found = peer.search(query, limit=10, prefix=prefix)
            row["f_ms"] = (time.perf_counter() - started) * 1000
            row["f_hits"] = len(found)
            if want:
                row["f_rank"] = next((k for k, (p, line) in enumerate(found, 1) if (p, line) == want), None)
            return row

        results_sets: dict[str, Any] = {}
        per_query: dict[str, list[dict[str, Any]]] = {}

        def add_set(key: str, rows: list[dict[str, Any]], known: bool, extra: dict[str, Any] | None = None) -> None:
            s = summarize(
                [r["s_ms"] for r in rows],
                [r.get("s_rank") for r in rows] if known else None,
                sum(1 for r in rows if not r["s_hits"]),
                sum(1 for r in rows if not r["s_complete"]),
                sum(1 for r in rows if "s_error" in r),
            )
            f = summarize(
                [r["f_ms"] for r in rows],
                [r.get("f_rank") for r in rows] if known else None,
                sum(1 for r in rows if not r["f_hits"]),
                0,
                0,
            )
            ratios = {k: results_md.ratio(s[k], f[k]) for k in ("p50_ms", "p95_ms", "max_ms", "hit10", "mrr10")}
            results_sets[key] = {"name": SET_NAMES[key], "queries": len(rows), "searcher": s, "fts5": f, "ratio": ratios}
            if extra:
                results_sets[key].update(extra)
            per_query[key] = rows
            hit = "" if not known else f", hit@10 {s['hit10']:.3f} vs {f['hit10']:.3f}, MRR {s['mrr10']:.3f} vs {f['mrr10']:.3f}"
            log(
                f"set {key} ({len(rows)}): p50 {s['p50_ms']:.1f} vs {f['p50_ms']:.1f} ms, p95 {s['p95_ms']:.1f} vs "
                f"{f['p95_ms']:.1f} ms, max {s['max_ms']:.1f} vs {f['max_ms']:.1f} ms{hit}"
            )

        for key in ("a", "b", "c", "d", "e"):
            queries = sets.sets[key]
            rows = [measure(q.text, q.target, False) for q in queries]
            if rows:
                add_set(key, rows, known=key != "e")
        keystrokes = [measure(prefix, None, True) for t in sets.typed for prefix in t.prefixes]
        if keystrokes:
            add_set("f", keystrokes, known=False, extra={"typed": len(sets.typed), "typed_queries": [t.text for t in sets.typed]})

        # 6. one-shot search
        oneshot_query = sets.sets["a"][0].text if sets.sets["a"] else "việt nam"
        env_search = dict(env, NO_COLOR="1")
        runs, codes = [], []
        for _ in range(preset["oneshot"]):
            seconds, done = run_timed(
                [search_script, "--index", str(index_dir), "--corpus", str(corpus_dir), oneshot_query], env=env_search, timeout=60
            )
            runs.append(seconds * 1000)
            codes.append(done.returncode)
            if done.returncode == 2:
                raise BenchError(f"search failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
        oneshot = {"query": oneshot_query, "runs_ms": runs, "median_ms": results_md.median(runs), "exit_codes": codes}
        log(f"one-shot search: median {oneshot['median_ms']:.0f} ms of {len(runs)} runs ({', '.join(f'{r:.0f}' for r in runs)})")

        # 7. incremental re-index after touching one file
        rng = random.Random(args.seed)
        article = rng.choice(sample.articles)
        marker = f"zqbench{args.seed}x{int(time.time())}"
        new_line = 3 + 2 * len(article.paragraphs)
        with open(corpus_dir / article.path, "a", encoding="utf-8", newline="\n") as f:
            f.write(f"\nĐoạn văn thêm vào để đo thời gian cập nhật chỉ mục, mã {marker}.\n")
        seconds, done = run_timed([index_script, "--corpus", str(corpus_dir), "--index", str(index_dir), "--json"], env=env, timeout=600)
        if done.returncode != 0:
            raise BenchError(f"incremental search-index failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
        try:
            inc_summary = json.loads(done.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            inc_summary = {}
        engine.refresh(force=True)
        after = engine.search(marker, limit=10)
        found_after = any((h.path, h.line) == (article.path, new_line) for h in after)
        incremental = {
            "seconds": seconds,
            "file": article.path,
            "file_paragraphs": len(article.paragraphs) + 1,
            "summary": inc_summary,
            "found_after": found_after,
        }
        log(f"incremental: {seconds:.2f} s for {article.path} ({len(article.paragraphs) + 1} paragraphs), found after: {found_after}")
        engine.close()
        peer.close()

        # 8. report
        result: dict[str, Any] = {
            "meta": {
                "date": now.strftime("%Y-%m-%d %H:%M %Z"),
                "date_iso": now.isoformat(timespec="seconds"),
                "machine": results_md.machine(),
                "git": results_md.git_state(REPO),
                "versions": results_md.versions(),
                "seed": args.seed,
                "quick": args.quick,
                "paragraphs_requested": n,
                "paragraphs": len(sample.paragraphs),
                "per_source": sample.per_source,
                "files": len(sample.articles),
                "corpus_bytes": corpus_bytes,
                "queries_per_set": per_set,
                "frequent": frequent,
                "typed": typed_count,
                "budget": args.budget,
                "argv": sys.argv[1:],
                "work": str(work),
            },
            "build": {"searcher": build_s, "fts5": fts},
            "sets": results_sets,
            "oneshot": oneshot,
            "incremental": incremental,
        }
        result["targets"] = results_md.targets(result)
        result["queries"] = per_query

        json_name = None
        if write_results:
            RESULTS_DIR.mkdir(exist_ok=True)
            json_name = f"{now.strftime('%Y-%m-%dT%H%M%S')}-{n}.json"
            (RESULTS_DIR / json_name).write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        text = results_md.section(result, json_name)
        if write_results:
            results_md.prepend(RESULTS_MD, text)
            log(f"wrote {RESULTS_MD} and {RESULTS_DIR / json_name}")
        if args.json_out:
            out = Path(args.json_out).expanduser()
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            log(f"wrote {out}")
        print(text)
        failed = [t["target"] for t in result["targets"] if t["pass"] is False]
        if failed:
            log(f"{len(failed)} target(s) not met")
        return 1 if failed and args.strict else 0
    finally:
        if temp_work and not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)
        elif temp_work:
            log(f"work dir kept: {work}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except BenchError as exc:
        print(f"bench/run.py: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench/run.py: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
