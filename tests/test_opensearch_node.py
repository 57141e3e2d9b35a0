"""The local OpenSearch node that ``scripts/opensearch-node`` runs answers, in the pinned version."""

from __future__ import annotations

from opensearch_support import opensearch_info, pinned_version, require_opensearch


def test_node_answers_with_the_pinned_version():
    url = require_opensearch()
    info = opensearch_info(url)
    assert info is not None
    assert info["version"]["distribution"] == "opensearch"
    assert info["version"]["number"] == pinned_version()
