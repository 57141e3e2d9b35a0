"""Writing to a cluster: the bulk writer a build feeds, and the lock that keeps builds one at a time."""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from searcher.backends.opensearch.client import Address, ClusterError, ClusterUnavailable, call, reason, reraise
from searcher.backends.opensearch.mapping import paragraph_id, record_id
from searcher.errors import IndexBusy, SearcherError
from searcher.index.arrays import MAX_LENGTH
from searcher.index.schema import KIND_FILE
from searcher.vietnamese.analysis import index_terms

__all__ = ["BATCH", "LOCK_INDEX", "BuildLock", "BulkWriter"]

LOCK_INDEX = "searcher-locks"
BATCH = 500  # documents per bulk request
BATCH_BYTES = 8 << 20  # ... and at most about this much text (the cluster refuses requests over 100 MB by default)
RETRIES = 3  # a bulk item that failed for a retryable reason (429, 5xx) is sent again this often
RETRYABLE = {429, 500, 502, 503, 504}


class BulkWriter:
    """What :func:`searcher.index.feed.feed` writes to, sent to the cluster through the bulk API.

    A file's record is written only after every one of its paragraphs was
    acknowledged; a file with a paragraph that still fails after the retries
    is removed again (paragraphs and record), so the next build redoes it, and
    reported in :attr:`failed`.
    """

    def __init__(self, client: Any, address: Address, index: str) -> None:
        self.client, self.address, self.index = client, address, index
        self.batch = BATCH
        self.pending: list[tuple[str, dict[str, Any]]] = []
        self.pending_bytes = 0
        self.retried = 0  # items sent again after a passing refusal (429, 5xx)
        self.retry_reason = ""
        self.records: list[dict[str, Any]] = []
        self.numbers: dict[str, int] = {}
        self.failed: dict[str, str] = {}
        self.written: dict[str, int] = {}  # path -> paragraphs acknowledged

    # The parts of a Whoosh writer that the indexer uses.
    def add_document(self, **fields: Any) -> None:
        path = fields["path"]
        if fields["kind"] == KIND_FILE:
            self.records.append(fields)
        else:
            number = self.numbers.get(path, 0)
            self.numbers[path] = number + 1
            # The cluster indexes the three syllable fields as space-separated terms, made here.
            fields["exact"], fields["folded"], fields["pairs"] = index_terms(fields["text"])
            fields["length"] = min(fields["folded"].count(" ") + 1 if fields["folded"] else 0, MAX_LENGTH)
            self.pending.append((paragraph_id(path, number), {k: v for k, v in fields.items() if v is not None}))
            self.pending_bytes += len(fields.get("text") or "") * 3  # the text and its term streams
            if len(self.pending) >= self.batch or self.pending_bytes >= BATCH_BYTES:
                self.flush()

    def delete_by_term(self, fieldname: str, value: str) -> None:
        """Delete a file's documents (its paragraphs and its record) before it is written again."""
        assert fieldname == "path"
        self.flush()
        self._delete_path(value)

    def delete_by_query(self, query: Any) -> None:
        pass  # only used to replace a file record, which add_document overwrites by its id

    def _delete_path(self, path: str) -> None:
        """Delete every document of ``path`` by id (``_delete_by_query`` needs the reindex module, not always there)."""
        from opensearchpy import helpers

        call(self.address, self.client.indices.refresh, index=self.index)
        query = {"query": {"term": {"path": path}}, "_source": False}
        try:
            ids = [hit["_id"] for hit in helpers.scan(self.client, index=self.index, query=query)]
        except Exception as exc:
            call(self.address, reraise, exc)
        for start in range(0, len(ids), self.batch):
            body = [{"delete": {"_index": self.index, "_id": doc_id}} for doc_id in ids[start : start + self.batch]]
            response = self._bulk(body)
            if response.get("errors"):
                bad = [i["delete"] for i in response["items"] if i["delete"].get("status", 500) not in (200, 404)]
                if bad:
                    raise SearcherError(f"could not remove the old paragraphs of {path}: HTTP {bad[0].get('status')}")
        self.numbers.pop(path, None)

    def flush(self) -> None:
        """Send the buffered paragraphs, then the records of the files whose paragraphs all arrived."""
        pending, self.pending, self.pending_bytes = self.pending, [], 0
        for path, failure in self._send([(doc_id, fields) for doc_id, fields in pending]).items():
            self.failed.setdefault(path, failure)
        for _doc_id, fields in pending:
            if fields["path"] not in self.failed:
                self.written[fields["path"]] = self.written.get(fields["path"], 0) + 1
        records, self.records = self.records, []
        good = [(record_id(r["path"]), r) for r in records if r["path"] not in self.failed]
        for path, failure in self._send(good).items():
            self.failed.setdefault(path, failure)
        for record in records:
            path = record["path"]
            if path in self.failed:  # leave nothing of it behind: the next build tries it again
                self._delete_path(path)
                self.written.pop(path, None)

    def _send(self, documents: list[tuple[str, dict[str, Any]]]) -> dict[str, str]:
        """Index ``documents``; retry the items that failed for a passing reason; return path → why for the rest."""
        failed: dict[str, str] = {}
        attempt = 0
        while documents:
            body: list[dict[str, Any]] = []
            for doc_id, fields in documents:
                body.append({"index": {"_index": self.index, "_id": doc_id}})
                body.append(fields)
            response = self._bulk(body)
            again: list[tuple[str, dict[str, Any]]] = []
            for (doc_id, fields), item in zip(documents, response.get("items", []), strict=False):
                outcome = item.get("index", {})
                status = int(outcome.get("status", 500))
                if status < 300:
                    continue
                error = outcome.get("error") or {}
                reason = error.get("reason") if isinstance(error, dict) else str(error)
                if status in RETRYABLE and attempt < RETRIES:
                    again.append((doc_id, fields))
                    if not self.retry_reason:
                        self.retry_reason = f"HTTP {status}: {' '.join(str(reason).split())[:200]}"
                else:
                    failed.setdefault(fields["path"], f"not indexed: the cluster refused it (HTTP {status}: {reason})")
            documents = again
            self.retried += len(again)
            attempt += 1
            if documents:
                time.sleep(0.2 * 2**attempt)
        return failed

    def _bulk(self, body: list[dict[str, Any]]) -> dict[str, Any]:
        """One bulk request, retried on a dropped connection; a cluster that stays away stops the build."""
        from opensearchpy import exceptions as ose

        for attempt in range(RETRIES + 1):
            try:
                answer: dict[str, Any] = self.client.bulk(body=body)
                return answer
            except (ose.ConnectionError, ose.ConnectionTimeout) as exc:
                if attempt == RETRIES:
                    raise ClusterUnavailable(
                        f"OpenSearch at {self.address.url}: {reason(exc)} during the build; "
                        "nothing after it was indexed"
                    ) from None
                time.sleep(0.5 * 2**attempt)
            except ose.TransportError as exc:
                # The whole request refused: busy (429, a circuit breaker) or failing (5xx) for a while is
                # retried; anything else stops the build with the cluster's reason, on one line.
                status = getattr(exc, "status_code", None)
                if status in RETRYABLE and attempt < RETRIES:
                    self.retried += len(body) // 2
                    self.retry_reason = self.retry_reason or reason(exc)
                    time.sleep(0.5 * 2**attempt)
                    continue
                raise ClusterError(
                    f"OpenSearch at {self.address.url}: {reason(exc)} during the build; nothing after it was indexed"
                ) from None
        raise AssertionError("unreachable")


class BuildLock:
    """One builder per index: a document created with ``op_type=create``; the second waits, then fails."""

    def __init__(self, client: Any, address: Address, wait: float) -> None:
        self.client, self.address, self.wait = client, address, wait
        self.owner = {"host": socket.gethostname(), "pid": os.getpid(), "started": time.time()}

    def __enter__(self) -> BuildLock:
        from opensearchpy import exceptions as ose

        deadline = time.monotonic() + self.wait
        while True:
            try:
                call(
                    self.address,
                    self.client.index,
                    index=LOCK_INDEX,
                    id=self.address.name,
                    body=self.owner,
                    op_type="create",
                    params={"refresh": "true"},
                )
                return self
            except ose.ConflictError:
                holder = self._holder()
                if holder is not None and self._stale(holder):
                    self._delete()
                    continue
                if time.monotonic() >= deadline:
                    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime((holder or {}).get("started", 0)))
                    raise IndexBusy(
                        f"another search-index is building {self.address} (pid {(holder or {}).get('pid')} on "
                        f"{(holder or {}).get('host')}, since {since}); waited {self.wait:g} s. If none is running, "
                        f"delete the lock: curl -X DELETE {self.address.url}/{LOCK_INDEX}/_doc/{self.address.name}"
                    ) from None
                time.sleep(0.25)

    def _holder(self) -> dict[str, Any] | None:
        from opensearchpy import exceptions as ose

        try:
            found = call(self.address, self.client.get, index=LOCK_INDEX, id=self.address.name)
            holder: dict[str, Any] = found["_source"]
            return holder
        except ose.NotFoundError:
            return None

    @staticmethod
    def _stale(holder: dict[str, Any]) -> bool:
        """A lock left by a build on this machine whose process is gone (killed) is taken over."""
        if holder.get("host") != socket.gethostname():
            return False
        try:
            os.kill(int(holder.get("pid", 0)), 0)
        except ProcessLookupError:
            return True
        except (OSError, ValueError):
            return False
        return False

    def _delete(self) -> None:
        from opensearchpy import exceptions as ose

        try:
            call(self.address, self.client.delete, index=LOCK_INDEX, id=self.address.name, params={"refresh": "true"})
        except ose.NotFoundError:
            pass

    def __exit__(self, *exc: object) -> None:
        try:
            self._delete()
        except SearcherError:
            pass
