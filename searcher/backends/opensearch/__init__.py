"""The OpenSearch backend: the same term streams and the same ranking as the local index, on a cluster.

An address names a cluster and an index (an alias, in fact)::

    opensearch://127.0.0.1:9200/docs      plain HTTP
    opensearchs://search.example:9200/docs   HTTPS, certificates verified

- :mod:`~searcher.backends.opensearch.client`: addresses, credentials, the client, errors in one line;
- :mod:`~searcher.backends.opensearch.mapping`: what an index on the cluster holds;
- :mod:`~searcher.backends.opensearch.writer` and :mod:`~searcher.backends.opensearch.build`: building it;
- :mod:`~searcher.backends.opensearch.dsl` and :mod:`~searcher.backends.opensearch.backend`: searching it
  (the cluster finds candidates; :mod:`searcher.search.ranking` ranks them, as locally).

``opensearch-py`` is imported only when an address is used (see :mod:`~searcher.backends.opensearch.client`).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = [
    "Address",
    "ClusterError",
    "ClusterUnavailable",
    "OpenSearchBackend",
    "address_from_url",
    "build_opensearch",
    "connect",
    "index_body",
    "parse_address",
    "to_dsl",
]

_HOMES = {
    "Address": "client",
    "ClusterError": "client",
    "ClusterUnavailable": "client",
    "address_from_url": "client",
    "connect": "client",
    "parse_address": "client",
    "index_body": "mapping",
    "build_opensearch": "build",
    "to_dsl": "dsl",
    "OpenSearchBackend": "backend",
}


def __getattr__(name: str) -> Any:
    # Lazy: naming an address must not load the client, and the build not the search.
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{home}"), name)
