"""An OpenSearch cluster's address, the client that talks to it, and its errors, said in one line.

Credentials never come from the command line: ``SEARCHER_OPENSEARCH_USER`` and
``SEARCHER_OPENSEARCH_PASSWORD``, else the config file
``~/.config/searcher/opensearch.json`` (or ``$SEARCHER_OPENSEARCH_CONFIG``),
which must be readable by its owner only::

    {"user": "searcher", "password": "…", "ca_certs": "/etc/ssl/our-ca.pem"}

``opensearch-py`` is imported only when an address is used; it is the ``searcher[opensearch]``
extra, and without it an address gives one line naming that command.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from searcher.errors import SearcherError, Unavailable
from searcher.index.schema import KIND_FILE, KIND_PARAGRAPH

__all__ = [
    "Address",
    "ClusterError",
    "ClusterUnavailable",
    "address_from_url",
    "alias_targets",
    "call",
    "connect",
    "index_meta",
    "parse_address",
    "reason",
    "totals",
]

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
        raise SearcherError("the OpenSearch backend is not installed: pip install 'searcher[opensearch]'") from None
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
    call(address, client.info)
    return client


def reason(exc: BaseException) -> str:
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
    return f"HTTP {status}: {cluster_reason(exc)}"


def cluster_reason(exc: BaseException) -> str:
    """The cluster's own words for a refusal (``error.reason``), on one line and not too long."""
    info = getattr(exc, "info", None)
    reason = ""
    if isinstance(info, dict):
        error = info.get("error")
        reason = (error.get("reason") if isinstance(error, dict) else str(error or "")) or ""
    reason = reason or str(getattr(exc, "error", "") or type(exc).__name__)
    reason = " ".join(str(reason).split())
    return reason if len(reason) <= 300 else reason[:297] + "..."


def call(address: Address, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call the client; a transport failure becomes one :class:`ClusterUnavailable` line."""
    from opensearchpy import exceptions as ose

    try:
        return function(*args, **kwargs)
    except (ose.NotFoundError, ose.ConflictError):
        raise  # the callers' answers: no such index or alias, a lock already taken
    except (ose.ConnectionError, ose.AuthenticationException, ose.AuthorizationException) as exc:
        raise ClusterUnavailable(f"OpenSearch at {address.url}: {reason(exc)}") from None
    except ose.TransportError as exc:
        if getattr(exc, "status_code", None) in (502, 503, 504, "N/A"):
            raise ClusterUnavailable(f"OpenSearch at {address.url}: {reason(exc)}") from None
        # Anything else the cluster refuses (a block, a full disk, a circuit breaker): one line, no traceback.
        raise ClusterError(f"OpenSearch at {address.url}: {reason(exc)}") from None


# -- the index ------------------------------------------------------------------------------------


def alias_targets(client: Any, address: Address) -> list[str]:
    """The concrete indices the alias points at (none when there is no such alias yet)."""
    from opensearchpy import exceptions as ose

    try:
        found = call(address, client.indices.get_alias, name=address.name)
    except ose.NotFoundError:
        return []
    return sorted(found)


def index_meta(client: Any, address: Address, index: str) -> dict[str, Any]:
    mapping = call(address, client.indices.get_mapping, index=index)
    return dict(mapping.get(index, {}).get("mappings", {}).get("_meta") or {})


def meta_of(info: dict[str, Any]) -> dict[str, Any]:
    return dict((info.get("mappings") or {}).get("_meta") or {})


def totals(client: Any, address: Address, index: str) -> tuple[int, int]:
    """(paragraphs, files with text) in ``index``, after a refresh."""
    from opensearchpy import helpers

    call(address, client.indices.refresh, index=index)
    paragraphs = call(address, client.count, index=index, body={"query": {"term": {"kind": KIND_PARAGRAPH}}})["count"]
    records = helpers.scan(client, index=index, query={"query": {"term": {"kind": KIND_FILE}}, "_source": ["info"]})
    try:
        files = sum(1 for hit in records if not (hit["_source"].get("info") or {}).get("skipped"))
    except Exception as exc:
        call(address, reraise, exc)
    return paragraphs, files


def reraise(exc: BaseException) -> None:
    raise exc
