"""Building a searcher index on a cluster, with the local build's own reading of the folder.

A full build writes a new concrete index ``NAME-<stamp>`` and swaps the alias
``NAME`` to it in one ``_aliases`` call; an incremental build updates the index
the alias points at, by the same file checks (size, mtime, sha256) as the
local index, with the file records kept in the cluster as documents of kind
``f``.  One builder at a time: a lock document created with ``op_type=create``
in the index ``searcher-locks``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from searcher.backends.opensearch.client import (
    Address,
    ClusterError,
    ClusterUnavailable,
    alias_targets,
    call,
    connect,
    index_meta,
    meta_of,
    parse_address,
    reraise,
    totals,
)
from searcher.backends.opensearch.mapping import CLUSTER_SCHEMA_VERSION, index_body
from searcher.backends.opensearch.writer import BuildLock, BulkWriter
from searcher.errors import IndexUnusable, SearcherError
from searcher.index.schema import KIND_FILE

__all__ = ["build_opensearch"]


def _check_not_concrete(client: Any, address: Address) -> None:
    from opensearchpy import exceptions as ose

    try:
        found = call(address, client.indices.get, index=address.name)
    except ose.NotFoundError:
        return
    if address.name in found:
        raise IndexUnusable(
            f"{address} is an index not made by searcher (searcher writes NAME-<stamp> indices behind an alias NAME); "
            "choose another name"
        )


def build_opensearch(
    corpus: str | os.PathLike[str],
    address: str | Address,
    *,
    full: bool = False,
    progress: Callable[[Any], None] | None = None,
    wait: float = 5.0,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    shards: int = 1,
    replicas: int = 0,
) -> Any:
    """Bring the index at ``address`` up to date with the files under ``corpus``; returns a ``BuildSummary``.

    Incremental unless ``full`` or there is no index yet (or it was built
    from another folder).  Raises :class:`ClusterUnavailable` when the
    cluster does not answer and :class:`~searcher.errors.IndexBusy` when
    another build holds the lock for longer than ``wait`` seconds.
    """
    from searcher.documents import formats
    from searcher.documents.corpus import check_corpus, iter_corpus_files
    from searcher.documents.selection import FileSelection
    from searcher.index.feed import BuildSummary

    started = time.monotonic()
    where = address if isinstance(address, Address) else parse_address(address)
    corpus_path = check_corpus(Path(corpus)).resolve()
    client = connect(where)
    summary = BuildSummary(corpus=str(corpus_path), index=str(where))
    try:
        with BuildLock(client, where, wait):
            _check_not_concrete(client, where)
            select = FileSelection(corpus_path, include=list(include or []), exclude=list(exclude or []))
            problems: list[dict[str, str]] = []
            links: list[str] = []  # links out of the folder: not followed (a shared cluster must not leak them)
            files = list(
                iter_corpus_files(corpus_path, problems=problems, select=select if select.active else None, links=links)
            )
            summary.links_skipped = len(links)
            targets = alias_targets(client, where)
            incremental = False
            if targets and not full:
                meta = index_meta(client, where, targets[0])
                if meta.get("corpus") != str(corpus_path):
                    summary.warnings.append(
                        {
                            "path": str(where),
                            "reason": f"rebuilt in full: the index was built from {meta.get('corpus')}",
                        }
                    )
                elif meta.get("schema_version") != CLUSTER_SCHEMA_VERSION:
                    summary.warnings.append({"path": str(where), "reason": "rebuilt in full: an older schema"})
                else:
                    incremental = True
            if incremental:
                _incremental(client, where, targets[0], files, summary, progress)
            else:
                summary.mode = "full"
                _full(client, where, targets, corpus_path, files, summary, progress, shards, replicas)
            summary.skipped[:0] = problems
            _measure(client, where, summary)
    finally:
        formats.shutdown()
        client.close()
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


def _measure(client: Any, address: Address, summary: Any) -> None:
    """The live index's size on the cluster (primaries' store), as ``search-index --json`` gives it locally."""
    targets = alias_targets(client, address)
    if not targets:
        return
    stats = call(address, client.indices.stats, index=targets[0], metric="store")
    summary.index_bytes = int(stats["_all"]["primaries"]["store"]["size_in_bytes"])
    if summary.text_bytes and summary.mode == "full":
        summary.index_to_text = round(summary.index_bytes / summary.text_bytes, 2)


def _feed_cluster(
    writer: BulkWriter,
    files: list[Any],
    records: dict[str, dict[str, Any]],
    summary: Any,
    progress: Callable[[Any], None] | None,
    first_pid: int = 0,
) -> None:
    """Read and write ``files`` with the local indexer's own code, then make the summary tell the truth.
    Paragraphs are numbered in the folder's order from ``first_pid`` on, as locally."""
    from searcher.index.feed import PidCounter, feed

    feed(writer, files, records, summary, progress, PidCounter(first_pid))
    writer.flush()
    if writer.retried:
        summary.warnings.append(
            {
                "path": str(writer.address),
                "reason": f"the cluster turned paragraphs away for a while ({writer.retry_reason}); "
                f"{writer.retried} were sent again",
            }
        )
    for path, reason in writer.failed.items():
        known = records.get(path)
        if known is None or known.get("skipped"):
            summary.added = max(0, summary.added - 1)
        else:
            summary.updated = max(0, summary.updated - 1)
        summary.skipped.append({"path": path, "reason": reason})
    summary.paragraphs_indexed = sum(writer.written.values())


def _full(
    client: Any,
    address: Address,
    old: list[str],
    corpus: Path,
    files: list[Any],
    summary: Any,
    progress: Callable[[Any], None] | None,
    shards: int,
    replicas: int,
) -> None:
    """Write a new concrete index, check it, then point the alias at it in one ``_aliases`` call."""
    _collect_garbage(client, address, keep=set(old))
    now = time.time()
    stamp = time.strftime("%Y%m%dt%H%M%S", time.gmtime(now)) + f"{int(now * 1000) % 1000:03d}-{os.getpid()}"
    concrete = f"{address.name}-{stamp}"
    body = index_body(corpus, shards, 0)
    body["settings"]["index"]["refresh_interval"] = "-1"  # nothing searches it before the swap
    call(address, client.indices.create, index=concrete, body=body)
    try:
        writer = BulkWriter(client, address, concrete)
        _feed_cluster(writer, files, {}, summary, progress)
        call(
            address,
            client.indices.put_settings,
            index=concrete,
            body={"index": {"refresh_interval": "1s", "number_of_replicas": replicas}},
        )
        paragraphs, with_text = totals(client, address, concrete)
        expected = summary.paragraphs_indexed
        if paragraphs != expected:
            raise SearcherError(
                f"the new index holds {paragraphs} of the {expected} paragraphs sent; the index in place is "
                "unchanged: run search-index --full again"
            )
        actions: list[dict[str, Any]] = [{"remove": {"index": index, "alias": address.name}} for index in old]
        actions.append({"add": {"index": concrete, "alias": address.name}})
        call(address, client.indices.update_aliases, body={"actions": actions})
    except BaseException as exc:
        try:
            client.indices.delete(index=concrete, ignore_unavailable=True)
        except Exception:
            pass  # a cluster that went away: the next full build deletes it (_collect_garbage)
        if isinstance(exc, (ClusterUnavailable, ClusterError)) and old:
            raise type(exc)(f"{exc}; searches still use the index in place ({old[0]})") from None
        raise
    for index in old:
        try:
            client.indices.delete(index=index)
        except Exception:
            pass  # swapped already; a later full build deletes what is left (_collect_garbage)
    summary.paragraphs, summary.files = paragraphs, with_text


def _collect_garbage(client: Any, address: Address, keep: set[str]) -> None:
    """Delete ``NAME-<stamp>`` indices of builds that were killed before their swap."""
    from opensearchpy import exceptions as ose

    try:
        found = call(address, client.indices.get, index=f"{address.name}-*", params={"ignore_unavailable": "true"})
    except ose.NotFoundError:
        return
    prefix = address.name + "-"
    for index, info in found.items():
        rest = index[len(prefix) :]
        if index in keep or not rest[:1].isdigit() or address.name in (info.get("aliases") or {}):
            continue
        if meta_of(info).get("format") == "searcher-index":
            call(address, client.indices.delete, index=index, ignore_unavailable=True)


def _incremental(
    client: Any,
    address: Address,
    index: str,
    files: list[Any],
    summary: Any,
    progress: Callable[[Any], None] | None,
) -> None:
    """Update the live index in place: only new, changed and deleted files."""
    from opensearchpy import helpers

    from searcher.index.feed import update_plan

    records: dict[str, dict[str, Any]] = {}
    hits = helpers.scan(
        client, index=index, query={"query": {"term": {"kind": KIND_FILE}}, "_source": ["path", "info"]}
    )
    try:
        for hit in hits:
            records[hit["_source"]["path"]] = dict(hit["_source"].get("info") or {})
    except Exception as exc:
        call(address, reraise, exc)
    jobs, removed = update_plan(records, files, summary)
    writer = BulkWriter(client, address, index)
    for path in removed:
        writer.delete_by_term("path", path)
        if not records[path].get("skipped"):
            summary.removed += 1
    if jobs:
        _feed_cluster(writer, jobs, records, summary, progress, _next_pid(client, address, index))
    if jobs or removed:
        # Searchers keep what they read of the index (counts, the candidates' terms) until it changes:
        # an update in place says so in the mapping's _meta, which they look at (the alias has not moved).
        meta = index_meta(client, address, index)
        meta["updated"] = time.time()
        call(address, client.indices.put_mapping, index=index, body={"_meta": meta})
    summary.paragraphs, summary.files = totals(client, address, index)


def _next_pid(client: Any, address: Address, index: str) -> int:
    """The pid after the highest in ``index``: an update numbers its paragraphs after the others, as locally."""
    body = {"size": 0, "aggs": {"top": {"max": {"field": "pid"}}}}
    found = call(address, client.search, index=index, body=body)["aggregations"]["top"]["value"]
    return 0 if found is None else int(found) + 1
