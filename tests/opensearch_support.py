"""Where the tests find a real OpenSearch node (no mocks, no emulator).

``scripts/opensearch-node start`` runs one on 127.0.0.1 (``.ci/run`` does it in CI and exports
``SEARCHER_OPENSEARCH_URL``). When no node answers, tests that need one skip with a message
that names that script.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NODE_SCRIPT = REPO / "scripts" / "opensearch-node"
DEFAULT_URL = "http://127.0.0.1:9200"


def pinned_version() -> str:
    """The OpenSearch version that ``scripts/opensearch-node`` pins (its one ``OPENSEARCH_VERSION=``)."""
    match = re.search(r"^OPENSEARCH_VERSION=(\S+)$", NODE_SCRIPT.read_text(encoding="utf-8"), re.M)
    assert match, f"no OPENSEARCH_VERSION= line in {NODE_SCRIPT}"
    return match.group(1)


def node_url() -> str:
    """``$SEARCHER_OPENSEARCH_URL`` (default ``http://127.0.0.1:9200``), without a trailing slash."""
    return os.environ.get("SEARCHER_OPENSEARCH_URL", DEFAULT_URL).rstrip("/")


def get_json(url: str, timeout: float = 5.0) -> dict:
    """GET ``url`` and decode its JSON body."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


def opensearch_info(url: str | None = None) -> dict | None:
    """The node's answer to ``GET /``, or None when nothing (or not OpenSearch) answers there."""
    url = url or node_url()
    try:
        info = get_json(url + "/", timeout=5.0)
    except (OSError, ValueError, urllib.error.URLError):
        return None
    if not isinstance(info, dict) or "version" not in info:
        return None
    return info


def require_opensearch() -> str:
    """The URL of a running OpenSearch node, or ``pytest.skip`` with how to start one."""
    import pytest

    url = node_url()
    if opensearch_info(url) is None:
        pytest.skip(f"no OpenSearch node at {url}: start one with scripts/opensearch-node start")
    return url


class OwnNode:
    """A node of a test's own (free port, own folder), for trials that kill or stop it.

    ``scripts/opensearch-node`` starts it; :meth:`kill` SIGKILLs its JVM, :meth:`resume` starts it
    again on the same data, :meth:`stop` stops it (always called on leaving the ``with``).
    """

    def __init__(self, heap: str = "384m") -> None:
        import socket
        import tempfile

        # Not under pytest's tmp_path: run as root, the node runs as another user, who must reach it.
        folder = Path(tempfile.mkdtemp(prefix="searcher-os-node-"))
        folder.chmod(0o755)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.folder = folder
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "SEARCHER_OPENSEARCH_PORT": str(self.port),
            "SEARCHER_OPENSEARCH_RUN": str(folder),
            "SEARCHER_OPENSEARCH_HEAP": heap,
        }

    def _script(self, command: str) -> None:
        import subprocess

        done = subprocess.run([str(NODE_SCRIPT), command], env=self.env, capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"scripts/opensearch-node {command} failed: {done.stderr.strip()[-2000:]}")

    def __enter__(self) -> OwnNode:
        self._script("start")
        return self

    def __exit__(self, *exc: object) -> None:
        import shutil

        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def address(self, name: str) -> str:
        return f"opensearch://127.0.0.1:{self.port}/{name}"

    def pid(self) -> int:
        return int((self.folder / "opensearch.pid").read_text().strip())

    def kill(self) -> None:
        """SIGKILL the JVM, as a crash or the OOM killer would, and wait until it is gone."""
        import signal
        import time

        pid = self.pid()
        os.kill(pid, signal.SIGKILL)
        for _ in range(200):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def resume(self) -> None:
        self._script("resume")

    def stop(self) -> None:
        self._script("stop")
