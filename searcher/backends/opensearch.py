"""The OpenSearch backend: the same term streams, plan and ranking as the local index, on a cluster.

One analysis, in Python, for both backends: every paragraph is turned into the
term streams of :func:`searcher.vietnamese.analysis.index_terms` here, and sent
pre-analyzed into ``text`` fields whose analyzer only splits on whitespace.  The
cluster needs no Vietnamese plugin and indexes exactly the terms the local
index holds.  The stored ``text`` is highlighted locally, with the same code.

An address names a cluster and an index (an alias, in fact)::

    opensearch://127.0.0.1:9200/docs      plain HTTP
    opensearchs://search.example:9200/docs   HTTPS, certificates verified

Credentials never come from the command line: ``SEARCHER_OPENSEARCH_USER`` and
``SEARCHER_OPENSEARCH_PASSWORD``, else the config file
``~/.config/searcher/opensearch.json`` (or ``$SEARCHER_OPENSEARCH_CONFIG``),
which must be readable by its owner only::

    {"user": "searcher", "password": "…", "ca_certs": "/etc/ssl/our-ca.pem"}

A full build writes a new concrete index ``NAME-<stamp>`` and swaps the alias
``NAME`` to it in one ``_aliases`` call; an incremental build updates the index
the alias points at, by the same file checks (size, mtime, sha256) as the
local index, with the file records kept in the cluster as documents of kind
``f``.  One builder at a time: a lock document created with ``op_type=create``
in the index ``searcher-locks``.

``opensearch-py`` is imported only when an address is used; it is the ``searcher[opensearch]``
extra, and without it an address gives one line naming that command.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import socket
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence
from urllib.parse import urlsplit

from whoosh.query import And, Not, Or, Phrase, Prefix, Query, Term

from searcher.vietnamese.analysis import index_terms, pair_term, read_text
from searcher.search.bestmatch import COVERAGE_POWER, PAIR_BOOST
from searcher.search.bestmatch import min_words as bestmatch_min_words
from searcher.search.engine import BEST_SCALE, DEFAULT_LIMIT, EXACT_BOOST, TIER_STEP, Engine, Hit, SearchResult, _verify
from searcher.errors import IndexBusy, IndexMissing, IndexUnusable, QueryError, SearcherError, Unavailable
from searcher.search.highlight import highlight_spans, same_spelling, words_found
from searcher.search.planning import plan_query, tiers_to_run
from searcher.search.query import ParsedQuery, parse_query
from searcher.search.rewrite import rewrite_note, rewrite_typed
from searcher.index.schema import KIND_FILE, KIND_PARAGRAPH
from searcher.vietnamese.text import iy_sensitive

__all__ = [
    "Address",
    "ClusterUnavailable",
    "ClusterError",
    "parse_address",
    "address_from_url",
    "connect",
    "index_body",
    "build_opensearch",
    "OpenSearchEngine",
    "to_dsl",
]

TERM_FIELDS = ("exact", "folded", "pairs")
# The version of the cluster's documents and mapping: bumped when they or the meaning of a term
# change, apart from the local index's schema (store.SCHEMA_VERSION 7 only moved where the local
# postings live, so a cluster built at 6 needs no rebuild). 7: sheet, cell, slide and ocr in the
# mapping (issue 23; the mapping is strict, so a cluster built at 6 cannot take them).
CLUSTER_SCHEMA_VERSION = 7
SOURCE_FIELDS = [
    "kind", "path", "line", "column", "ordinal", "page", "chapter", "sheet", "cell", "slide", "ocr", "title", "text"
]
LOCK_INDEX = "searcher-locks"
BATCH = 500  # documents per bulk request
BATCH_BYTES = 8 << 20  # ... and at most about this much text (the cluster refuses requests over 100 MB by default)
RETRIES = 3  # a bulk item that failed for a retryable reason (429, 5xx) is sent again this often
RETRYABLE = {429, 500, 502, 503, 504}
SEARCH_TIMEOUT = 10.0  # seconds a search waits for the cluster before it says so
COVERAGE_POOL = 200  # best-match candidates fetched, then reordered by the coverage share, as locally
CONFIG_ENV = "SEARCHER_OPENSEARCH_CONFIG"
USER_ENV = "SEARCHER_OPENSEARCH_USER"
PASSWORD_ENV = "SEARCHER_OPENSEARCH_PASSWORD"
CA_ENV = "SEARCHER_OPENSEARCH_CA"


class ClusterUnavailable(Unavailable):
    """The cluster is down, unreachable or refusing (one line, naming the URL, never a password)."""


class ClusterError(SearcherError):
    """The cluster answered but refused a request (one line, naming the URL and the cluster's reason)."""


# -- addresses and connections ------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    """Where an index lives: the cluster's base URL (no credentials) and the alias name."""

    url: str
    name: str

    def __str__(self) -> str:
        scheme, rest = self.url.split("://", 1)
        return f"{'opensearchs' if scheme == 'https' else 'opensearch'}://{rest}/{self.name}"


def parse_address(address: str) -> Address:
    """Parse ``opensearch://host:port/NAME`` (HTTP) or ``opensearchs://host:port/NAME`` (HTTPS).

    >>> parse_address("opensearch://127.0.0.1:9200/docs")
    Address(url='http://127.0.0.1:9200', name='docs')
    >>> parse_address("opensearchs://search.example/laws").url
    'https://search.example:9200'
    """
    parts = urlsplit(address)
    scheme = parts.scheme.lower()
    if scheme not in ("opensearch", "opensearchs"):
        raise SearcherError("an OpenSearch address starts with opensearch:// or opensearchs://")
    if parts.username or parts.password or "@" in parts.netloc:
        # Never echo it: it holds a secret.
        raise SearcherError(
            f"credentials do not go in the address: set {USER_ENV} and {PASSWORD_ENV}, or use a config file"
        )
    name = parts.path.strip("/")
    return address_from_url(("https" if scheme == "opensearchs" else "http") + "://" + parts.netloc, name)


def address_from_url(url: str, name: str) -> Address:
    """``--url URL --name NAME`` as an :class:`Address` (the default port is 9200).

    >>> address_from_url("http://localhost:9201/", "docs")
    Address(url='http://localhost:9201', name='docs')
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SearcherError("an OpenSearch URL looks like http://host:9200 or https://host:9200")
    if parts.username or parts.password or "@" in parts.netloc:
        raise SearcherError(
            f"credentials do not go in the URL: set {USER_ENV} and {PASSWORD_ENV}, or use a config file"
        )
    if not name or name != name.lower() or any(c in name for c in ' "*\\<|,>/?#:') or name.startswith(("_", "-", "+")):
        raise SearcherError(f"not a valid OpenSearch index name: {name!r} (lower case, no spaces or / * ? , # :)")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return Address(f"{parts.scheme}://{host}:{parts.port or 9200}", name)


def _config() -> dict[str, Any]:
    """The credentials: the environment first, else the owner-only config file (empty when neither)."""
    user, password = os.environ.get(USER_ENV), os.environ.get(PASSWORD_ENV)
    settings: dict[str, Any] = {}
    path = Path(os.environ.get(CONFIG_ENV) or Path.home() / ".config" / "searcher" / "opensearch.json")
    if path.is_file():
        st = path.stat()
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SearcherError(f"{path} is readable by others: it may hold a password; chmod 600 {path}")
        try:
            settings = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise SearcherError(f"cannot read {path}: {type(exc).__name__}") from None
        if not isinstance(settings, dict):
            raise SearcherError(f"{path} must hold one JSON object")
        for key in ("user", "password", "ca_certs"):
            if key in settings and not isinstance(settings[key], str):
                # Never the value: it may be the password.
                raise SearcherError(f'{path}: "{key}" must be a string, in double quotes')
    if user:
        settings["user"], settings["password"] = user, password or ""
    if os.environ.get(CA_ENV):
        settings["ca_certs"] = os.environ[CA_ENV]
    return settings


def connect(address: Address, timeout: float = 30.0, retry_on_timeout: bool = True) -> Any:
    """An ``opensearchpy.OpenSearch`` client for ``address``; raises :class:`ClusterUnavailable` if it does not answer.

    ``timeout`` bounds each request, in seconds; a request that times out is sent once more
    if ``retry_on_timeout`` (builds: a busy cluster may answer the second time).
    """
    try:
        from opensearchpy import OpenSearch
    except ImportError:
        # The client is an extra (it brings gRPC and protobuf): name the command that adds it.
        raise SearcherError(
            "the OpenSearch backend is not installed: pip install 'searcher[opensearch]'"
        ) from None
    # The client logs every failed connection; a user gets our one line instead.
    logging.getLogger("opensearch").addHandler(logging.NullHandler())
    logging.getLogger("opensearch").propagate = False
    settings = _config()
    options: dict[str, Any] = {"timeout": timeout, "max_retries": 1, "retry_on_timeout": retry_on_timeout}
    if settings.get("user"):
        options["http_auth"] = (settings["user"], settings.get("password", ""))
    if address.url.startswith("https://"):
        options["use_ssl"] = True
        options["verify_certs"] = True  # always: a self-signed cluster names its CA in ca_certs
        if settings.get("ca_certs"):
            options["ca_certs"] = settings["ca_certs"]
    client = OpenSearch(hosts=[address.url], **options)
    _call(address, client.info)
    return client


def _reason(exc: BaseException) -> str:
    """A short reason for a transport error, with no URL userinfo or password in it."""
    from opensearchpy import exceptions as ose

    if isinstance(exc, ose.AuthenticationException):
        return "authentication failed (check SEARCHER_OPENSEARCH_USER/PASSWORD or the config file)"
    if isinstance(exc, ose.AuthorizationException):
        return "permission denied"
    if isinstance(exc, ose.SSLError):
        return "TLS certificate not verified (name your CA in ca_certs or SEARCHER_OPENSEARCH_CA)"
    if isinstance(exc, ose.ConnectionTimeout):
        return "timed out"
    if isinstance(exc, ose.ConnectionError):
        text = str(getattr(exc, "info", "") or exc)
        if "refused" in text.lower():
            return "connection refused"
        if "name or service" in text.lower() or "resolve" in text.lower():
            return "host not found"
        return "unreachable"
    status = getattr(exc, "status_code", None)
    return f"HTTP {status}: {_cluster_reason(exc)}"


def _cluster_reason(exc: BaseException) -> str:
    """The cluster's own words for a refusal (``error.reason``), on one line and not too long."""
    info = getattr(exc, "info", None)
    reason = ""
    if isinstance(info, dict):
        error = info.get("error")
        reason = (error.get("reason") if isinstance(error, dict) else str(error or "")) or ""
    reason = reason or str(getattr(exc, "error", "") or type(exc).__name__)
    reason = " ".join(str(reason).split())
    return reason if len(reason) <= 300 else reason[:297] + "..."


def _call(address: Address, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call the client; a transport failure becomes one :class:`ClusterUnavailable` line."""
    from opensearchpy import exceptions as ose

    try:
        return function(*args, **kwargs)
    except (ose.NotFoundError, ose.ConflictError):
        raise  # the callers' answers: no such index or alias, a lock already taken
    except (ose.ConnectionError, ose.AuthenticationException, ose.AuthorizationException) as exc:
        raise ClusterUnavailable(f"OpenSearch at {address.url}: {_reason(exc)}") from None
    except ose.TransportError as exc:
        if getattr(exc, "status_code", None) in (502, 503, 504, "N/A"):
            raise ClusterUnavailable(f"OpenSearch at {address.url}: {_reason(exc)}") from None
        # Anything else the cluster refuses (a block, a full disk, a circuit breaker): one line, no traceback.
        raise ClusterError(f"OpenSearch at {address.url}: {_reason(exc)}") from None


# -- the index ------------------------------------------------------------------------------------


def index_body(corpus: Path, shards: int = 1, replicas: int = 0) -> dict[str, Any]:
    """Settings and mapping of one concrete index (defaults fit one node: 1 shard, 0 replicas)."""
    terms = {"type": "text", "analyzer": "terms", "similarity": "BM25"}
    return {
        "settings": {
            "index": {"number_of_shards": shards, "number_of_replicas": replicas},
            "analysis": {"analyzer": {"terms": {"type": "custom", "tokenizer": "whitespace"}}},
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": {
                "format": "searcher-index",
                "schema_version": CLUSTER_SCHEMA_VERSION,
                "corpus": str(Path(corpus).resolve()),
                "created": time.time(),
            },
            # The term streams are indexed, not kept: the text is.
            "_source": {"excludes": list(TERM_FIELDS)},
            "properties": {
                "kind": {"type": "keyword"},
                "path": {"type": "keyword"},
                "line": {"type": "integer"},
                "column": {"type": "integer", "index": False},
                "ordinal": {"type": "integer"},
                "page": {"type": "integer", "index": False},
                "chapter": {"type": "integer", "index": False},
                "sheet": {"type": "keyword", "index": False},
                "cell": {"type": "keyword", "index": False},
                "slide": {"type": "integer", "index": False},
                "ocr": {"type": "boolean", "index": False},
                "title": {"type": "keyword", "index": False, "doc_values": False},
                "text": {"type": "text", "index": False},
                "info": {"type": "object", "enabled": False},  # file records: size, mtime_ns, sha256, …
                # Single words are only matched as terms: frequencies, no positions.
                "exact": {**terms, "index_options": "freqs"},
                "folded": {**terms, "index_options": "freqs"},
                # Pairs answer phrases (match_phrase): positions.
                "pairs": {**terms, "index_options": "positions"},
            },
        },
    }


def _path_key(path: str) -> str:
    return hashlib.sha1(path.encode("utf-8", "surrogateescape")).hexdigest()


def _record_id(path: str) -> str:
    return "f-" + _path_key(path)


def _paragraph_id(path: str, number: int) -> str:
    return f"p-{_path_key(path)}-{number}"


# -- the build ------------------------------------------------------------------------------------


class _BulkWriter:
    """What :func:`searcher.index.build._feed` writes to, sent to the cluster through the bulk API.

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
        fields.pop("pid", None)
        path = fields["path"]
        if fields["kind"] == KIND_FILE:
            self.records.append(fields)
        else:
            number = self.numbers.get(path, 0)
            self.numbers[path] = number + 1
            # The cluster indexes the three syllable fields as space-separated terms, made here.
            fields["exact"], fields["folded"], fields["pairs"] = index_terms(fields["text"])
            self.pending.append((_paragraph_id(path, number), {k: v for k, v in fields.items() if v is not None}))
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

        _call(self.address, self.client.indices.refresh, index=self.index)
        query = {"query": {"term": {"path": path}}, "_source": False}
        try:
            ids = [hit["_id"] for hit in helpers.scan(self.client, index=self.index, query=query)]
        except Exception as exc:
            _call(self.address, _raise, exc)
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
        for doc_id, fields in pending:
            if fields["path"] not in self.failed:
                self.written[fields["path"]] = self.written.get(fields["path"], 0) + 1
        records, self.records = self.records, []
        good = [(_record_id(r["path"]), r) for r in records if r["path"] not in self.failed]
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
            for (doc_id, fields), item in zip(documents, response.get("items", [])):
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
                return self.client.bulk(body=body)
            except (ose.ConnectionError, ose.ConnectionTimeout) as exc:
                if attempt == RETRIES:
                    raise ClusterUnavailable(
                        f"OpenSearch at {self.address.url}: {_reason(exc)} during the build; nothing after it was indexed"
                    ) from None
                time.sleep(0.5 * 2**attempt)
            except ose.TransportError as exc:
                # The whole request refused: busy (429, a circuit breaker) or failing (5xx) for a while is
                # retried; anything else stops the build with the cluster's reason, on one line.
                status = getattr(exc, "status_code", None)
                if status in RETRYABLE and attempt < RETRIES:
                    self.retried += len(body) // 2
                    self.retry_reason = self.retry_reason or _reason(exc)
                    time.sleep(0.5 * 2**attempt)
                    continue
                raise ClusterError(
                    f"OpenSearch at {self.address.url}: {_reason(exc)} during the build; nothing after it was indexed"
                ) from None
        raise AssertionError("unreachable")


class _BuildLock:
    """One builder per index: a document created with ``op_type=create``; the second waits, then fails."""

    def __init__(self, client: Any, address: Address, wait: float) -> None:
        self.client, self.address, self.wait = client, address, wait
        self.owner = {"host": socket.gethostname(), "pid": os.getpid(), "started": time.time()}

    def __enter__(self) -> "_BuildLock":
        from opensearchpy import exceptions as ose

        deadline = time.monotonic() + self.wait
        while True:
            try:
                _call(
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
            return _call(self.address, self.client.get, index=LOCK_INDEX, id=self.address.name)["_source"]
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
            _call(self.address, self.client.delete, index=LOCK_INDEX, id=self.address.name, params={"refresh": "true"})
        except ose.NotFoundError:
            pass

    def __exit__(self, *exc: object) -> None:
        try:
            self._delete()
        except SearcherError:
            pass


def _alias_targets(client: Any, address: Address) -> list[str]:
    """The concrete indices the alias points at (none when there is no such alias yet)."""
    from opensearchpy import exceptions as ose

    try:
        found = _call(address, client.indices.get_alias, name=address.name)
    except ose.NotFoundError:
        return []
    return sorted(found)


def _check_not_concrete(client: Any, address: Address) -> None:
    from opensearchpy import exceptions as ose

    try:
        found = _call(address, client.indices.get, index=address.name)
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
    from searcher.documents.corpus import iter_corpus_files
    from searcher.index.build import BuildSummary, check_corpus
    from searcher.documents.selection import FileSelection

    started = time.monotonic()
    where = address if isinstance(address, Address) else parse_address(address)
    corpus_path = check_corpus(Path(corpus)).resolve()
    client = connect(where)
    summary = BuildSummary(corpus=str(corpus_path), index=str(where))
    try:
        with _BuildLock(client, where, wait):
            _check_not_concrete(client, where)
            select = FileSelection(corpus_path, include=list(include or []), exclude=list(exclude or []))
            problems: list[dict[str, str]] = []
            links: list[str] = []  # links out of the folder: not followed (a shared cluster must not leak them)
            files = list(
                iter_corpus_files(corpus_path, problems=problems, select=select if select.active else None, links=links)
            )
            summary.links_skipped = len(links)
            targets = _alias_targets(client, where)
            incremental = False
            if targets and not full:
                meta = _meta(client, where, targets[0])
                if meta.get("corpus") != str(corpus_path):
                    summary.warnings.append(
                        {"path": str(where), "reason": f"rebuilt in full: the index was built from {meta.get('corpus')}"}
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
    targets = _alias_targets(client, address)
    if not targets:
        return
    stats = _call(address, client.indices.stats, index=targets[0], metric="store")
    summary.index_bytes = int(stats["_all"]["primaries"]["store"]["size_in_bytes"])
    if summary.text_bytes and summary.mode == "full":
        summary.index_to_text = round(summary.index_bytes / summary.text_bytes, 2)


def _meta(client: Any, address: Address, index: str) -> dict[str, Any]:
    mapping = _call(address, client.indices.get_mapping, index=index)
    return dict(mapping.get(index, {}).get("mappings", {}).get("_meta") or {})


def _feed_cluster(
    writer: _BulkWriter,
    files: list[Any],
    records: dict[str, dict[str, Any]],
    summary: Any,
    progress: Callable[[Any], None] | None,
) -> None:
    """Read and write ``files`` with the local indexer's own code, then make the summary tell the truth."""
    from searcher.index.build import PidCounter, _feed

    _feed(writer, files, records, summary, progress, PidCounter())
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


def _totals(client: Any, address: Address, index: str) -> tuple[int, int]:
    """(paragraphs, files with text) in ``index``, after a refresh."""
    from opensearchpy import helpers

    _call(address, client.indices.refresh, index=index)
    paragraphs = _call(address, client.count, index=index, body={"query": {"term": {"kind": KIND_PARAGRAPH}}})["count"]
    records = helpers.scan(client, index=index, query={"query": {"term": {"kind": KIND_FILE}}, "_source": ["info"]})
    try:
        files = sum(1 for hit in records if not (hit["_source"].get("info") or {}).get("skipped"))
    except Exception as exc:
        _call(address, _raise, exc)
    return paragraphs, files


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
    _call(address, client.indices.create, index=concrete, body=body)
    try:
        writer = _BulkWriter(client, address, concrete)
        _feed_cluster(writer, files, {}, summary, progress)
        _call(
            address,
            client.indices.put_settings,
            index=concrete,
            body={"index": {"refresh_interval": "1s", "number_of_replicas": replicas}},
        )
        paragraphs, with_text = _totals(client, address, concrete)
        expected = summary.paragraphs_indexed
        if paragraphs != expected:
            raise SearcherError(
                f"the new index holds {paragraphs} of the {expected} paragraphs sent; the index in place is "
                "unchanged: run search-index --full again"
            )
        actions: list[dict[str, Any]] = [{"remove": {"index": index, "alias": address.name}} for index in old]
        actions.append({"add": {"index": concrete, "alias": address.name}})
        _call(address, client.indices.update_aliases, body={"actions": actions})
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
        found = _call(address, client.indices.get, index=f"{address.name}-*", params={"ignore_unavailable": "true"})
    except ose.NotFoundError:
        return
    prefix = address.name + "-"
    for index, info in found.items():
        rest = index[len(prefix) :]
        if index in keep or not rest[:1].isdigit() or address.name in (info.get("aliases") or {}):
            continue
        if _meta_of(info).get("format") == "searcher-index":
            _call(address, client.indices.delete, index=index, ignore_unavailable=True)


def _meta_of(info: dict[str, Any]) -> dict[str, Any]:
    return dict((info.get("mappings") or {}).get("_meta") or {})


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

    from searcher.index.build import _update_plan

    records: dict[str, dict[str, Any]] = {}
    hits = helpers.scan(client, index=index, query={"query": {"term": {"kind": KIND_FILE}}, "_source": ["path", "info"]})
    try:
        for hit in hits:
            records[hit["_source"]["path"]] = dict(hit["_source"].get("info") or {})
    except Exception as exc:
        _call(address, _raise, exc)
    jobs, removed = _update_plan(records, files, summary)
    writer = _BulkWriter(client, address, index)
    for path in removed:
        writer.delete_by_term("path", path)
        if not records[path].get("skipped"):
            summary.removed += 1
    if jobs:
        _feed_cluster(writer, jobs, records, summary, progress)
    summary.paragraphs, summary.files = _totals(client, address, index)


def _raise(exc: BaseException) -> None:
    raise exc


# -- searching ------------------------------------------------------------------------------------


def to_dsl(query: Query) -> dict[str, Any]:
    """The OpenSearch query for one of the plan's Whoosh queries.

    ``And`` → ``bool.must`` (scores add up, as in Whoosh), ``Or`` → ``bool.should``
    with one required, ``Not`` → ``must_not``, a ``Phrase`` of pair terms →
    ``match_phrase`` on the pair field (its analyzer splits on whitespace only).

    >>> to_dsl(And([Term("folded", "ngoai"), Not(Term("folded", "my"))]))
    {'bool': {'must': [{'term': {'folded': 'ngoai'}}], 'must_not': [{'term': {'folded': 'my'}}]}}
    >>> to_dsl(Phrase("pairs", ["ngoai_giao", "giao_kinh"]))
    {'match_phrase': {'pairs': 'ngoai_giao giao_kinh'}}

    A boost is kept; a part of an ``And`` with boost 0 (the exact syllables of a marked
    phrase, :func:`searcher.search.planning.exact_phrase_query`) narrows without scoring, as
    in :mod:`searcher.search.matching`: a ``filter``.

    >>> to_dsl(And([Term("pairs", "ngoai_giao"), Term("exact", "ngoai~5", boost=0.0)]))
    {'bool': {'must': [{'term': {'pairs': 'ngoai_giao'}}], 'filter': [{'term': {'exact': 'ngoai~5'}}]}}
    """
    if isinstance(query, Term):
        boost = float(getattr(query, "boost", 1.0))
        if boost not in (0.0, 1.0):
            return {"term": {query.fieldname: {"value": query.text, "boost": boost}}}
        return {"term": {query.fieldname: query.text}}
    if isinstance(query, Phrase):
        return {"match_phrase": {query.fieldname: " ".join(query.words)}}
    if isinstance(query, Prefix):
        return {"prefix": {query.fieldname: query.text}}
    if isinstance(query, Not):
        return {"bool": {"must_not": [to_dsl(query.query)]}}
    if isinstance(query, And):
        scored = [q for q in query.subqueries if not isinstance(q, Not) and float(getattr(q, "boost", 1.0)) != 0.0]
        unscored = [q for q in query.subqueries if not isinstance(q, Not) and float(getattr(q, "boost", 1.0)) == 0.0]
        must_not = [to_dsl(q.query) for q in query.subqueries if isinstance(q, Not)]
        body: dict[str, Any] = {"must": [to_dsl(q) for q in scored]}
        if unscored:
            body["filter"] = [to_dsl(q) for q in unscored]
        if must_not:
            body["must_not"] = must_not
        return {"bool": body}
    if isinstance(query, Or):
        return {"bool": {"should": [to_dsl(q) for q in query.subqueries], "minimum_should_match": 1}}
    raise QueryError(f"cannot translate {type(query).__name__} for OpenSearch")


def _tie_key(source: dict[str, Any]) -> tuple[str, int]:
    """Equal scores in the folder's order, as the local index lists them."""
    return source.get("path", ""), int(source.get("ordinal", 0))


class OpenSearchEngine(Engine):
    """An :class:`~searcher.search.engine.Engine` whose index lives on an OpenSearch cluster.

    Same API, same plan, same hits; see :mod:`searcher.backends.opensearch`.
    """

    def __init__(self, address: str | Address) -> None:  # noqa: D107 - does not call Engine.__init__ (no folder)
        self.address = address if isinstance(address, Address) else parse_address(address)
        self._lock = threading.RLock()
        # Someone waits for each search: a cluster that hangs is reported after SEARCH_TIMEOUT, not a minute.
        self._client = connect(self.address, timeout=SEARCH_TIMEOUT, retry_on_timeout=False)
        self._target: str | None = None
        self._meta_cache: dict[str, Any] = {}
        self._checked = 0.0
        self._known_cache: dict[tuple[str, str, bool], bool] = {}
        self.version = 0
        self.refresh(force=True)

    def _fail(self, exc: BaseException) -> None:
        raise ClusterUnavailable(f"OpenSearch at {self.address.url}: {_reason(exc)}") from None

    def refresh(self, force: bool = False) -> bool:
        """Notice an alias swap (a full rebuild) or an update; at most one check a second unless ``force``."""
        with self._lock:
            now = time.monotonic()
            if not force and now - self._checked < 1.0:
                return False
            self._checked = now
            targets = _alias_targets(self._client, self.address)
            if not targets:
                raise IndexMissing(
                    f"no index {self.address.name} at {self.address.url}: build it with "
                    f"search-index --index {self.address} --corpus FOLDER"
                )
            if targets[0] != self._target:
                self._target = targets[0]
                self._meta_cache = _meta(self._client, self.address, self._target)
                self._known_cache = {}
                self.version += 1
                return True
            return False

    def close(self) -> None:
        with self._lock:
            try:
                self._client.close()
            except Exception:
                pass

    def warm(self) -> None:
        """Nothing to precompute: completions are prefix queries on the cluster."""

    @property
    def corpus(self) -> Path:
        return Path(self._meta_cache.get("corpus", "."))

    @property
    def generation(self) -> Any:
        raise AttributeError("an OpenSearch index has no local generation")

    def stats(self) -> dict[str, Any]:
        with self._lock:
            self.refresh()
            index = self._target
            paragraphs, files = _totals(self._client, self.address, index)
            size = _call(self.address, self._client.indices.stats, index=index, metric="store")
            return {
                "paragraphs": paragraphs,
                "files": files,
                "bytes": size["_all"]["primaries"]["store"]["size_in_bytes"],
                "built": self._meta_cache.get("created", 0.0),
                "generation": index,
                "corpus": str(self.corpus),
            }

    def document(self, path: str) -> list[Hit]:
        from opensearchpy import helpers

        with self._lock:
            self.refresh()
            query = {"query": {"bool": {"filter": [{"term": {"path": path}}, {"term": {"kind": KIND_PARAGRAPH}}]}}, "_source": SOURCE_FIELDS}
            try:
                rows = [hit["_source"] for hit in helpers.scan(self._client, index=self._target, query=query)]
            except Exception as exc:
                self._fail(exc)
        rows.sort(key=lambda f: f["ordinal"])
        return [self._hit(0, 0.0, fields, []) for fields in rows]

    # -- searching ---------------------------------------------------------------------------

    def _search_body(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        return _call(self.address, self._client.search, index=self._target, body=body)["hits"]["hits"]

    def _counts(self, queries: list[dict[str, Any]]) -> list[int]:
        """How many paragraphs match each query (one ``_msearch``)."""
        if not queries:
            return []
        lines: list[dict[str, Any]] = []
        for query in queries:
            lines.append({"index": self._target})
            lines.append({"size": 0, "track_total_hits": True, "query": {"bool": {"filter": [{"term": {"kind": KIND_PARAGRAPH}}, query]}}})
        responses = _call(self.address, self._client.msearch, body=lines)["responses"]
        return [int(r.get("hits", {}).get("total", {}).get("value", 0)) for r in responses]

    def _known(self, fieldname: str, term: str, as_prefix: bool) -> bool:
        key = (fieldname, term, as_prefix)
        if key not in self._known_cache:
            query = {"prefix": {fieldname: term}} if as_prefix else {"term": {fieldname: term}}
            self._known_cache[key] = self._counts([query])[0] > 0
        return self._known_cache[key]

    def _unknown_words(self, parsed: ParsedQuery) -> list[str]:
        words = list({w.text: w for w in parsed.words}.values())
        queries = [{"prefix": {"folded": w.folded}} if w is parsed.prefix else {"term": {"folded": w.folded}} for w in words]
        return [w.text for w, n in zip(words, self._counts(queries)) if n == 0]

    def search(
        self,
        query: str,
        limit: int = DEFAULT_LIMIT,
        *,
        prefix: bool = False,
        budget: float | None = None,
        cancelled: Callable[[], bool] | None = None,
        all_words: bool = False,
        under: str = "",
        globs: Sequence[str] = (),
        types: Sequence[str] = (),
        types_not: Sequence[str] = (),
        highlight: bool = True,
    ) -> SearchResult:
        """As :meth:`Engine.search`; ``budget``, ``cancelled`` and ``highlight`` are not used (the cluster ranks
        every match).

        File filters (``under``, ``globs``, ``types``) are not supported on a cluster yet:
        a filter that leaves anything out raises :class:`~searcher.documents.filters.FilterError`."""
        from searcher.documents.filters import FilterError, PathFilter

        if PathFilter(under=under, globs=tuple(globs), types=tuple(types), types_not=tuple(types_not)).active:
            raise FilterError("a search on a cluster cannot be kept to some files yet (-g, -t, a subfolder)")
        started = time.perf_counter()
        parsed = parse_query(query, prefix=prefix)
        if parsed.empty:
            raise QueryError("the query has no words to search for")
        limit = max(1, int(limit))
        with self._lock:
            self.refresh()
            parsed, rewrites = rewrite_typed(parsed, self._known)
            hits = self._search_once(parsed, limit, all_words)
            unknown = self._unknown_words(parsed)
        result = SearchResult(hits, parsed)
        if rewrites:
            result.rewrites = rewrites
            result.notes.insert(0, rewrite_note(rewrites))
        result.unknown = unknown
        if unknown and hits:
            result.notes.append("not in the index: " + " ".join(unknown))
        result.elapsed = time.perf_counter() - started
        return result

    def _search_once(self, parsed: ParsedQuery, limit: int, all_words: bool) -> list[Hit]:
        # An unfinished last word is a prefix query on the cluster (the local index expands it to its
        # most frequent completions instead).
        plan = plan_query(parsed, lambda fieldname, stem: (Prefix(fieldname, stem), True))
        tiers = tiers_to_run(plan, parsed, all_words)
        kind = {"term": {"kind": KIND_PARAGRAPH}}
        found: dict[str, tuple[float, bool, tuple[Any, ...], dict[str, Any]]] = {}
        for number, tier in enumerate(tiers):
            bonus = (len(tiers) - number) * TIER_STEP
            # As Engine._run_checked does locally: a tier with a Check (exact adjacency, an
            # excluded phrase typed with marks) keeps only the hits whose text passes it; those
            # that fail are left out of the next request, until enough pass or none are left.
            failed: list[str] = []
            while limit - len(found) > 0:
                wanted = limit - len(found)
                body = {
                    "size": wanted,
                    "_source": SOURCE_FIELDS,
                    "query": {
                        "bool": {
                            "must": [to_dsl(tier.query)],
                            "filter": [kind],
                            "must_not": [{"ids": {"values": list(found) + failed}}],
                        }
                    },
                    "sort": [{"_score": "desc"}, {"path": "asc"}, {"ordinal": "asc"}],
                }
                batch = self._search_body(body)
                failed_before = len(failed)
                for hit in batch:
                    if tier.check is not None and not tier.check.passes(hit["_source"].get("text", "")):
                        failed.append(hit["_id"])
                        continue
                    score = float(hit["_score"] or 0.0)
                    found[hit["_id"]] = (bonus + min(score, TIER_STEP - 1), tier.exact, (0, *_tie_key(hit["_source"])), hit["_source"])
                if len(failed) == failed_before or len(batch) < wanted:
                    break
        strict = set(found)
        if not all_words and len(found) < limit:
            for doc_id, score, exact, source in self._best_hits(parsed, plan.completions, strict, limit - len(found)):
                found[doc_id] = (TIER_STEP * score / (score + BEST_SCALE), exact, (1, *_tie_key(source)), source)
        ranked = sorted(found.items(), key=lambda item: (-item[1][0], item[1][2][1:]))
        if any(iy_sensitive(w.folded) for w in parsed.words if w is not parsed.prefix):
            own = {d for d, v in ranked if same_spelling(v[3]["text"], parsed)}
            ranked.sort(key=lambda item: (-(item[1][0] // TIER_STEP), item[0] not in own, -item[1][0], item[1][2][1:]))
        hits: list[Hit] = []
        for rank, (doc_id, (score, exact, _order, fields)) in enumerate(ranked, 1):
            hit = self._hit(rank, score, fields, highlight_spans(fields["text"], parsed), exact)
            if doc_id in strict:
                hit.matched = [w.text for w in parsed.words]
            else:
                hit.matched, hit.missing, hit.exact = words_found(fields["text"], parsed)
            hits.append(hit)
        return hits

    def _best_hits(
        self, parsed: ParsedQuery, completions: Query | None, strict: set[str], wanted: int
    ) -> list[tuple[str, float, bool, dict[str, Any]]]:
        """Best match, as :meth:`Engine._best_candidates` and :meth:`Engine._best_hits` do it locally.

        ``bool.should`` over the folded words with ``minimum_should_match`` (half
        of a short query's words, two of a long one's), plus the pair terms of
        adjacent query words with a boost of :data:`~searcher.search.bestmatch.PAIR_BOOST`;
        then phrases and exclusions are checked on the text and a marked word
        found exactly adds half its IDF, as locally.
        """
        words: dict[str, dict[str, Any]] = {}
        for word in parsed.words:
            if word is not parsed.prefix:
                words.setdefault(word.folded, {"term": {"folded": word.folded}})
        if parsed.prefix is not None:
            words.setdefault("\0prefix", to_dsl(completions) if completions is not None else {"term": {"folded": parsed.prefix.folded}})
        if len(words) < 2:
            return []
        min_words = bestmatch_min_words(len(words))
        full = [w for w in parsed.words if w is not parsed.prefix]
        pairs = dict.fromkeys(pair_term(a.folded, b.folded) for a, b in zip(full, full[1:]))
        excluded = [c.words[0].folded for c in parsed.excluded if len(c.words) == 1 and not c.words[0].marked]
        # Each word's IDF, as locally: for the coverage share below and a marked word's exact bonus.
        folded_words = list(dict.fromkeys(w.folded for w in full))
        stem = parsed.prefix.folded if parsed.prefix is not None else None
        total, *dfs = self._counts(
            [{"match_all": {}}]
            + [{"term": {"folded": f}} for f in folded_words]
            + ([{"prefix": {"folded": stem}}] if stem is not None else [])
        )

        def idf_of(df: int) -> float:
            return math.log(1.0 + (total - df + 0.5) / (df + 0.5))

        word_idf = {f: idf_of(df) for f, df in zip(folded_words, dfs)}
        prefix_idf = idf_of(dfs[-1]) if stem is not None else 0.0
        total_mass = sum(word_idf.values()) + prefix_idf
        body = {
            # More candidates than the local pass keeps: the coverage share below reorders them.
            "size": max(wanted * 2 + 30, COVERAGE_POOL),
            "_source": SOURCE_FIELDS,
            "query": {
                "bool": {
                    "must": [{"bool": {"should": list(words.values()), "minimum_should_match": min_words}}],
                    "should": [{"term": {"pairs": {"value": p, "boost": PAIR_BOOST}}} for p in pairs],
                    "filter": [{"term": {"kind": KIND_PARAGRAPH}}],
                    "must_not": [{"term": {"folded": t}} for t in excluded] + [{"ids": {"values": sorted(strict)}}],
                }
            },
            "sort": [{"_score": "desc"}, {"path": "asc"}, {"ordinal": "asc"}],
        }
        candidates = self._search_body(body)
        marked = [w for w in parsed.words if w.marked and w is not parsed.prefix]
        needs_text = bool(marked or parsed.excluded or any(len(c.words) > 1 for c in parsed.clauses))
        scored: list[tuple[float, str, dict[str, Any]]] = []
        for hit in candidates:
            source = hit["_source"]
            score = float(hit["_score"] or 0.0)
            if total_mass > 0:
                # The local pass's coverage share (bestmatch.COVERAGE_POWER): a paragraph with the rare,
                # telling words of the query beats one that repeats two frequent ones.
                folded = set(read_text(source.get("text", "")).terms)
                mass = sum(v for f, v in word_idf.items() if f in folded)
                if stem is not None and any(f.startswith(stem) for f in folded):
                    mass += prefix_idf
                score *= (mass / total_mass) ** COVERAGE_POWER
            scored.append((score, hit["_id"], source))
        scored.sort(key=lambda item: (-item[0], _tie_key(item[2])))
        kept: list[tuple[float, tuple[Any, ...], str, bool, dict[str, Any]]] = []
        for score, doc_id, source in scored[: wanted * 2 + 30]:
            all_exact = True
            if needs_text:
                verdict = _verify(source.get("text", ""), parsed)
                if verdict is None:
                    continue
                exact_words, all_exact = verdict
                score += EXACT_BOOST * sum(word_idf.get(w.folded, 0.0) for w in exact_words)
            kept.append((score, _tie_key(source), doc_id, all_exact, source))
        kept.sort(key=lambda item: (-item[0], item[1]))
        return [(doc_id, score, exact, source) for score, _key, doc_id, exact, source in kept[:wanted]]
