#!/usr/bin/env python3
"""The OpenSearch backend against the local index: parity of the top 10 and figures, on one corpus.

Takes the same N paragraphs and query sets as bench/run.py (corpus_mix, query_sets, same seed),
then, on the local index and on one OpenSearch index of the same corpus:

* parity: for each query of sets a-d, the top-10 paragraphs (path, line) of both, the overlap@10
  (shared paragraphs / 10), and for each query that differs, where the missing paragraphs rank on
  the other side (top 50) and in which tier they sit on each (score // 100), so the differences
  can be explained; both engines run with a large time budget here, so that only the ranking
  is compared (one ranking runs on both: the cluster sends candidates, scored as locally);
* with --figures: the build time of both (search-index --full as a process), the index size (du of
  the folder; the primaries' store size on the cluster), query latency p50/p95 per set (a-f, the
  local engine with its own budget, as users get it, the two alternated query by query), and the
  throughput of C concurrent searchers (C processes, each with its own engine, for --duration
  seconds over the queries of sets a-e): queries/s.

The load average is recorded next to every figure (the machine may be shared).
Standard library, the project and opensearch-py only.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"
PARITY_SETS = ("a", "b", "c", "d")
LATENCY_SETS = ("a", "b", "c", "d", "e", "f")
PARITY_BUDGET = 30.0  # seconds: both engines rank every match

if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


class BenchError(Exception):
    """A fatal problem, reported as one line."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench/opensearch_parity.py",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""\
examples:
  # parity at 100k on a corpus and a local index bench/run.py made (reused, not rebuilt):
  python bench/opensearch_parity.py --paras 100000 --corpus bench/work/corpus --index bench/work/index \\
      --url http://127.0.0.1:9200 --name p100k --json-out /tmp/p100k.json
  # everything at 400k, corpus and both indices made here:
  python bench/opensearch_parity.py --paras 400000 --work /tmp/os400k --url http://127.0.0.1:9200 \\
      --name p400k --figures --json-out /tmp/p400k.json

--corpus must be the folder bench/run.py (corpus_mix) writes for the same --paras: it is checked
file by file. Without --index/--corpus, --work DIR gets corpus/ and index/ (replaced).
The cluster index is (re)built with --full unless --reuse-cluster and it already holds the corpus.

exit status: 0 done, 2 error (one line on stderr).""",
    )
    parser.add_argument("--paras", type=int, required=True, metavar="N", help="body paragraphs of the sample (as bench/run.py --paras)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the query sets (default 1, as bench/run.py)")
    parser.add_argument("--queries", type=int, default=200, metavar="Q", help="queries in each of sets a-d (default 200)")
    parser.add_argument("--corpora", default=str(DEFAULT_CORPORA), metavar="DIR", help="the shared corpora (default ../shared/corpora)")
    parser.add_argument("--corpus", metavar="DIR", help="an existing corpus folder of this sample (checked, not written)")
    parser.add_argument("--index", metavar="DIR", help="an existing local index of --corpus (used, not rebuilt)")
    parser.add_argument("--work", metavar="DIR", help="where to write corpus/ and index/ when --corpus/--index are not given")
    parser.add_argument("--url", required=True, help="the OpenSearch node, e.g. http://127.0.0.1:9200")
    parser.add_argument("--name", required=True, help="the index (alias) name on the cluster")
    parser.add_argument("--reuse-cluster", action="store_true", help="do not rebuild the cluster index if it holds this corpus")
    parser.add_argument("--figures", action="store_true", help="also time builds, sizes, latency per set and throughput")
    parser.add_argument("--concurrency", type=int, default=8, metavar="C", help="concurrent searchers for the throughput (default 8)")
    parser.add_argument("--duration", type=float, default=30.0, metavar="S", help="seconds of each throughput run (default 30)")
    parser.add_argument("--json-out", metavar="FILE", help="write every number and every differing query as JSON")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    return parser


class Log:
    def __init__(self, quiet: bool) -> None:
        self.quiet, self.started = quiet, time.perf_counter()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.started:7.1f}s] {message}", file=sys.stderr, flush=True)


def load() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def check_corpus(sample: Any, folder: Path) -> None:
    """``folder`` holds exactly the files corpus_mix would write for ``sample`` (else the targets are wrong)."""
    for article in sample.articles:
        target = folder / article.path
        want = ("\n\n".join([article.title] + article.paragraphs) + "\n").encode("utf-8")
        try:
            got = target.read_bytes()
        except OSError:
            raise BenchError(f"{folder} is not this sample's corpus: {article.path} is missing") from None
        # bench/run.py appends one paragraph to one file to time an incremental build: allowed.
        if got != want and not (got.startswith(want) and got[len(want) :].startswith("\nĐoạn văn thêm vào".encode())):
            raise BenchError(f"{folder} is not this sample's corpus: {article.path} differs (another --paras?)")


def build(index_args: list[str], corpus: Path, log: Log) -> dict[str, Any]:
    """``search-index --full --json`` as a process, timed from start to exit."""
    from proc_watch import run_watched

    argv = [sys.executable, "-m", "searcher.cli.index", "--corpus", str(corpus), *index_args, "--full", "--json"]
    before = load()
    done = run_watched(argv, env=dict(os.environ))
    if done.returncode != 0:
        raise BenchError(f"{' '.join(index_args)}: search-index exit {done.returncode}: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    if summary.get("skipped"):
        log(f"warning: {len(summary['skipped'])} files skipped: {summary['skipped'][:3]}")
    return {"seconds": round(done.seconds, 2), "peak_tree_rss": done.peak_tree_rss, "summary": summary, "load_before": before, "load_after": load()}


def du(path: Path) -> int:
    total = 0
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total


def cluster_size(engine: Any) -> dict[str, Any]:
    """Store size and segment count of the primaries of the index the alias points at."""
    client, index = engine.backend._client, engine.backend._target
    stats = client.indices.stats(index=index, metric="store,segments,docs")["_all"]["primaries"]
    return {"bytes": stats["store"]["size_in_bytes"], "segments": stats["segments"]["count"], "docs": stats["docs"]["count"], "index": index}


def percentile(values: list[float], p: float) -> float:
    from results_md import percentile as nearest_rank

    return nearest_rank(values, p)


def top(engine: Any, query: str, limit: int, local: bool, prefix: bool = False, budget: float | None = PARITY_BUDGET) -> list[tuple[str, int, float]]:
    kwargs = {"budget": budget} if budget else {}
    return [(h.path, h.line, round(h.score, 3)) for h in engine.search(query, limit=limit, prefix=prefix, **kwargs)]


def explain(query: str, mine: list[tuple[str, int, float]], theirs: list[tuple[str, int, float]], local: Any, cluster: Any) -> dict[str, Any]:
    """Where each paragraph found by one side only ranks on the other (top 50), and its tier on each."""
    deep_local = {(p, line): (rank, score) for rank, (p, line, score) in enumerate(top(local, query, 50, True), 1)}
    deep_cluster = {(p, line): (rank, score) for rank, (p, line, score) in enumerate(top(cluster, query, 50, False), 1)}
    only: list[dict[str, Any]] = []
    keys_mine = {(p, line) for p, line, _ in mine}
    keys_theirs = {(p, line) for p, line, _ in theirs}
    for side, rows, other_keys in (("local", mine, keys_theirs), ("cluster", theirs, keys_mine)):
        for p, line, _score in rows:
            if (p, line) in other_keys:
                continue
            lr = deep_local.get((p, line))
            cr = deep_cluster.get((p, line))
            only.append(
                {
                    "only_in": side,
                    "path": p,
                    "line": line,
                    "local_rank": lr[0] if lr else None,
                    "local_tier": int(lr[1] // 100) if lr else None,
                    "cluster_rank": cr[0] if cr else None,
                    "cluster_tier": int(cr[1] // 100) if cr else None,
                }
            )
    tiers_mine = [int(s // 100) for _, _, s in mine]
    tiers_theirs = [int(s // 100) for _, _, s in theirs]
    # Tier 0 is the best-match pass (scores under 100), tiers 1 and up the strict ones (every word).
    own_tier = [o["local_tier"] if o["only_in"] == "local" else o["cluster_tier"] for o in only]
    if any(o["local_tier"] is not None and o["cluster_tier"] is not None and o["local_tier"] != o["cluster_tier"] for o in only):
        kind = "a paragraph in another tier"
    elif all(t == 0 for t in own_tier):
        kind = "best match"
    else:
        kind = "cut within a strict tier"
    return {"kind": kind, "only": only, "tiers_local": tiers_mine, "tiers_cluster": tiers_theirs}


def parity(sets: Any, local: Any, cluster: Any, sample: Any, log: Log) -> dict[str, Any]:
    out: dict[str, Any] = {"load_before": load()}
    for key in PARITY_SETS:
        rows: list[dict[str, Any]] = []
        for q in sets.sets[key]:
            want = (sample.paragraphs[q.target].path, sample.paragraphs[q.target].line)
            mine = top(local, q.text, 10, True)
            theirs = top(cluster, q.text, 10, False)
            a, b = {(p, line) for p, line, _ in mine}, {(p, line) for p, line, _ in theirs}
            overlap = 1.0 if not a and not b else len(a & b) / max(len(a), len(b))
            row: dict[str, Any] = {
                "q": q.text,
                "overlap": overlap,
                "same_order": [(p, line) for p, line, _ in mine] == [(p, line) for p, line, _ in theirs],
                "hits": [len(mine), len(theirs)],
                # The strict tiers' paragraphs (every word present) in the top 10: the same on both?
                "strict_same": {(p, line) for p, line, sc in mine if sc >= 100} == {(p, line) for p, line, sc in theirs if sc >= 100},
                "rank_local": next((k for k, (p, line, _) in enumerate(mine, 1) if (p, line) == want), None),
                "rank_cluster": next((k for k, (p, line, _) in enumerate(theirs, 1) if (p, line) == want), None),
            }
            if overlap < 1.0:
                row.update(explain(q.text, mine, theirs, local, cluster))
                row["local"], row["cluster"] = mine, theirs
            rows.append(row)
        n = len(rows) or 1
        summary = {
            "queries": len(rows),
            "overlap10": round(sum(r["overlap"] for r in rows) / n, 4),
            "identical": sum(1 for r in rows if r["overlap"] == 1.0),
            "same_order": sum(1 for r in rows if r["same_order"]),
            "strict_same": sum(1 for r in rows if r["strict_same"]),
            "hit10_local": round(sum(1 for r in rows if r["rank_local"]) / n, 3),
            "hit10_cluster": round(sum(1 for r in rows if r["rank_cluster"]) / n, 3),
            "mrr10_local": round(sum(1 / r["rank_local"] for r in rows if r["rank_local"]) / n, 3),
            "mrr10_cluster": round(sum(1 / r["rank_cluster"] for r in rows if r["rank_cluster"]) / n, 3),
            "kinds": {},
        }
        for r in rows:
            if "kind" in r:
                summary["kinds"][r["kind"]] = summary["kinds"].get(r["kind"], 0) + 1
        out[key] = {"summary": summary, "rows": rows}
        log(
            f"parity set {key}: overlap@10 {summary['overlap10']:.3f}, {summary['identical']}/{len(rows)} identical, "
            f"{summary['same_order']} same order, strict tiers same in {summary['strict_same']}, hit@10 {summary['hit10_local']:.3f} / {summary['hit10_cluster']:.3f}; "
            f"differences: {summary['kinds']}"
        )
    out["load_after"] = load()
    return out


def latency(sets: Any, local: Any, cluster: Any, log: Log) -> dict[str, Any]:
    """p50/p95 per set, the two engines alternated query by query (the local one with its own budget)."""
    out: dict[str, Any] = {}
    for key in LATENCY_SETS:
        if key == "f":
            queries = [(p, True) for t in sets.typed for p in t.prefixes]
        else:
            queries = [(q.text, False) for q in sets.sets[key]]
        before = load()
        times: dict[str, list[float]] = {"local": [], "cluster": []}
        for text, prefix in queries:
            for side, engine in (("local", local), ("cluster", cluster)):
                started = time.perf_counter()
                try:
                    engine.search(text, limit=10, prefix=prefix)
                except Exception as exc:  # a query error counts its time, as bench/run.py does
                    if type(exc).__name__ != "QueryError":
                        raise
                times[side].append((time.perf_counter() - started) * 1000)
        out[key] = {
            "queries": len(queries),
            "load_before": before,
            "load_after": load(),
            **{f"{side}_p{p}_ms": round(percentile(v, p), 1) for side, v in times.items() for p in (50, 95)},
        }
        log(
            f"latency set {key} ({len(queries)}): local p50 {out[key]['local_p50_ms']} p95 {out[key]['local_p95_ms']} ms, "
            f"cluster p50 {out[key]['cluster_p50_ms']} p95 {out[key]['cluster_p95_ms']} ms (load {out[key]['load_after'][0]})"
        )
    return out


def _searcher(index: str, queries: list[str], start: Any, duration: float, results: Any, seed: int) -> None:
    """One concurrent searcher: its own engine, the queries in its own order until the deadline."""
    from searcher import Engine

    engine = Engine.open(index)
    engine.search("việt nam", limit=10)
    order = list(queries)
    random.Random(seed).shuffle(order)
    start.wait()
    deadline = time.time() + duration
    done = errors = incomplete = 0
    i = 0
    while time.time() < deadline:
        try:
            result = engine.search(order[i % len(order)], limit=10)
            incomplete += 0 if getattr(result, "complete", True) else 1
        except Exception:
            errors += 1
        done += 1
        i += 1
    results.put((done, errors, incomplete))


def throughput(index: str, queries: list[str], concurrency: int, duration: float) -> dict[str, Any]:
    """Queries/s of ``concurrency`` processes searching ``index`` at once for ``duration`` seconds."""
    ctx = mp.get_context("spawn")  # a fresh interpreter each: no engine or client shared across a fork
    start = ctx.Barrier(concurrency + 1)
    results = ctx.Queue()
    workers = [ctx.Process(target=_searcher, args=(index, queries, start, duration, results, n)) for n in range(concurrency)]
    for w in workers:
        w.start()
    before = load()
    try:
        start.wait(timeout=600)
    except Exception:
        for w in workers:
            w.terminate()
        raise BenchError(f"the {concurrency} searchers of {index} did not start") from None
    began = time.time()
    counts = [results.get(timeout=duration + 600) for _ in workers]
    elapsed = time.time() - began
    for w in workers:
        w.join(timeout=60)
    total = sum(c[0] for c in counts)
    return {
        "searchers": concurrency,
        "seconds": round(elapsed, 1),
        "queries": total,
        "qps": round(total / elapsed, 1),
        "errors": sum(c[1] for c in counts),
        "incomplete": sum(c[2] for c in counts),
        "load_before": before,
        "load_after": load(),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    log = Log(args.quiet)
    import corpus_mix
    from query_sets import QuerySets

    try:
        import opensearchpy  # noqa: F401
    except ImportError:
        raise BenchError("opensearch-py is not installed: pip install opensearch-py") from None
    from searcher import Engine
    from searcher.backends.opensearch import address_from_url, connect
    from searcher.errors import SearcherError

    try:
        where = address_from_url(args.url, args.name)
        connect(where).close()  # before a local build of many minutes, not after
    except SearcherError as exc:
        raise BenchError(str(exc)) from None
    address = str(where)
    corpora = Path(args.corpora).expanduser()
    if not corpora.is_dir():
        raise BenchError(f"corpora folder not found: {corpora} (use --corpora DIR)")
    if bool(args.corpus) != bool(args.index) and not args.work:
        raise BenchError("give --corpus and --index together, or --work DIR to write them")
    result: dict[str, Any] = {"paras": args.paras, "seed": args.seed, "address": address, "started": time.strftime("%Y-%m-%d %H:%M:%S")}

    log(f"taking {args.paras:,} paragraphs from {corpora}")
    sample = corpus_mix.take(corpora, args.paras)
    result["paragraphs"] = len(sample.paragraphs)
    if args.corpus:
        corpus = Path(args.corpus).resolve()
        check_corpus(sample, corpus)
        log(f"{corpus} holds this sample ({len(sample.articles):,} files)")
    else:
        corpus = Path(args.work).resolve() / "corpus"
        if corpus.exists():
            import shutil

            if not (corpus / corpus_mix.MARKER).exists():
                raise BenchError(f"{corpus} exists and was not written by corpus_mix: choose another --work")
            shutil.rmtree(corpus)
        corpus_mix.write_corpus(sample, corpus)
        log(f"wrote {len(sample.articles):,} files to {corpus}")
    sets = QuerySets(sample, args.seed, args.queries, 20, 30)

    builds: dict[str, Any] = {}
    if args.index:
        index = Path(args.index).resolve()
    else:
        index = Path(args.work).resolve() / "index"
        log(f"building the local index {index}")
        builds["local"] = build(["--index", str(index)], corpus, log)
        log(f"local build: {builds['local']['seconds']} s (load {builds['local']['load_after']})")

    reuse = False
    if args.reuse_cluster:
        try:
            probe = Engine.open(address)
            reuse = probe.corpus == corpus and probe.stats()["paragraphs"] > 0
            probe.close()
        except Exception:
            reuse = False
    if not reuse:
        log(f"building the cluster index {address}")
        builds["cluster"] = build(["--index", address], corpus, log)
        log(f"cluster build: {builds['cluster']['seconds']} s (load {builds['cluster']['load_after']})")
    result["builds"] = builds

    local = Engine.open(index)
    cluster = Engine.open(address)
    local.search("việt nam", limit=10)
    if hasattr(local, "warm"):
        local.warm()
    cluster.search("việt nam", limit=10)
    result["sizes"] = {"local_du_bytes": du(index), "cluster": cluster_size(cluster)}
    result["counts"] = {"local": local.stats()["paragraphs"], "cluster": cluster.stats()["paragraphs"]}
    log(f"sizes: local {result['sizes']['local_du_bytes'] / 2**20:.1f} MiB, cluster {result['sizes']['cluster']['bytes'] / 2**20:.1f} MiB; paragraphs {result['counts']}")

    result["parity"] = parity(sets, local, cluster, sample, log)
    if args.figures:
        result["latency"] = latency(sets, local, cluster, log)
        mixed = [q.text for key in ("a", "b", "c", "d", "e") for q in sets.sets[key]]
        local.close()
        cluster.close()
        result["throughput"] = {}
        for side, where in (("local", str(index)), ("cluster", address)):
            log(f"throughput: {args.concurrency} searchers on {side} for {args.duration:g} s")
            result["throughput"][side] = throughput(where, mixed, args.concurrency, args.duration)
            t = result["throughput"][side]
            log(f"throughput {side}: {t['qps']} queries/s ({t['queries']} in {t['seconds']} s, {t['errors']} errors, {t['incomplete']} cut by the budget; load {t['load_after']})")
    result["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    return result


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = run(args)
    except BenchError as exc:
        print(f"opensearch_parity: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("opensearch_parity: interrupted", file=sys.stderr)
        return 2
    except Exception as exc:  # a cluster that went away, a corpus that is not there: one line, no traceback
        print(f"opensearch_parity: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, ensure_ascii=False, indent=1), "utf-8")
    summary = {k: result["parity"][k]["summary"] for k in PARITY_SETS}
    print(json.dumps({"parity": summary, **{k: result[k] for k in ("builds", "sizes", "latency", "throughput") if k in result}}, ensure_ascii=False, default=str)[:20000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
