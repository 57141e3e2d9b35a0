"""The OpenSearch backend against a real node (scripts/opensearch-node start; skipped without one).

Parity with the local index on the bundled corpus (the same top 10, in the same order, with the
same scores and highlights: one ranking runs on both), best match with ``missing``, the alias swap of a full rebuild, incremental updates,
the build lock, and a cluster that is down (one line, exit 2).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid

import pytest

from conftest import CORPUS, REPO, run_cli
from opensearch_support import require_opensearch

# The golden query, its spellings, and the relevance queries of test_engine.py, plus a whole question.
PARITY_QUERIES = [
    "ngoại giao kinh tế",
    "ngoai giao kinh te",
    "NGOẠI GIAO KINH TẾ",
    "ngoại",
    "ngoài",
    "ngoai",
    "lần đầu tiên",
    '"lần đầu tiên"',
    "hội nhập quốc tế",
    "việt nam",
    '"kinh tế" -ngoại',
    "phát triển bền vững",
    "doanh nghiệp",
    "ngành ngoại giao đã đóng góp gì cho kinh tế?",
]


@pytest.fixture(scope="module")
def node() -> str:
    return require_opensearch()


@pytest.fixture(scope="module")
def client(node):
    from searcher.backends.opensearch import connect, parse_address

    c = connect(parse_address(node.replace("http://", "opensearch://") + "/x"))
    yield c
    c.close()


def _address(node: str, name: str) -> str:
    return node.replace("http://", "opensearch://", 1) + "/" + name


@pytest.fixture(scope="module")
def remote(node, client):
    """The bundled corpus built into a fresh index on the node (deleted afterwards)."""
    from searcher.backends.opensearch import build_opensearch

    name = f"test-{uuid.uuid4().hex[:8]}"
    address = _address(node, name)
    summary = build_opensearch(CORPUS, address, full=True)
    assert summary.mode == "full" and summary.paragraphs > 50 and not summary.skipped
    yield address
    client.indices.delete(index=f"{name}-*", ignore_unavailable=True)


@pytest.fixture(scope="module")
def engines(remote, bundled):
    from searcher import Engine

    local = Engine.open(bundled.index)
    cluster = Engine.open(remote)
    yield local, cluster
    cluster.close()
    local.close()


def _top(engine, query: str, limit: int = 10) -> list[tuple[str, int]]:
    # No time budget: a busy machine must not cut one side's ranking short.
    return [(h.path, h.line) for h in engine.search(query, limit=limit, budget=0)]


# Issue 21: one ranking on both backends, so the same answers, in the same order.
ISSUE_21_QUERIES = [
    "ngoại giao kinh tế",
    "ngoai giao",
    "hòa bình",
    "Thủ tướng Phạm Minh Chính",
    "lần đầu tiên",
    '"kinh tế" -vaccine',
]


@pytest.mark.parametrize("query", ISSUE_21_QUERIES + PARITY_QUERIES)
def test_the_top_ten_are_the_local_index_s_in_its_order_with_its_scores(engines, query):
    local, cluster = engines
    mine = local.search(query, limit=10, budget=0)
    theirs = cluster.search(query, limit=10, budget=0)
    assert [(h.path, h.line) for h in theirs] == [(h.path, h.line) for h in mine]
    assert [round(h.score, 3) for h in theirs] == [round(h.score, 3) for h in mine]
    assert [(h.spans, h.missing, h.exact) for h in theirs] == [(h.spans, h.missing, h.exact) for h in mine]
    assert theirs.unknown == mine.unknown and theirs.notes == mine.notes


def test_asking_for_every_hit_as_search_l_does_gets_them_as_locally(engines):
    # -l and -c ask for every hit: more than the cluster sends for one search (10,000).
    local, cluster = engines
    every = [(h.path, h.line) for h in local.search("kinh tế", limit=100_000, budget=0)]
    assert [(h.path, h.line) for h in cluster.search("kinh tế", limit=100_000, budget=0)] == every
    assert len(every) > 10


def test_a_live_search_s_unfinished_word_completes_as_locally(engines):
    # The cluster expands the unfinished word among its candidates; on a corpus whose matches all
    # fit in the candidates, that is the local index's expansion.
    local, cluster = engines
    for query in ("ngoai gi", "kinh t", "thủ tướng phạm m"):
        mine = [(h.path, h.line) for h in local.search(query, limit=10, prefix=True, budget=0)]
        theirs = [(h.path, h.line) for h in cluster.search(query, limit=10, prefix=True, budget=0)]
        assert theirs == mine, query
    for prefix in ("gi", "t", "ngo", "k"):  # the most frequent completions of the whole index
        assert repr(cluster.backend.completions("folded", prefix)) == repr(local.backend.completions("folded", prefix))


def test_marked_phrase_exclusions_and_exact_adjacency_hold_on_the_cluster(engines):
    # The index has no exact pairs: a tier's Check does these on the stored text, on the cluster too.
    local, cluster = engines
    for query in ('ngoại -"ngoại giao"', '"ngoại giao" kinh tế', "hòa bình -\"hòa bình\""):
        mine = {(h.path, h.line) for h in local.search(query, limit=50, budget=30.0)}
        theirs = {(h.path, h.line) for h in cluster.search(query, limit=50)}
        assert theirs == mine, query
    for hit in cluster.search('ngoại -"ngoại giao"', limit=50):
        assert "ngoại giao" not in hit.text.lower()


def test_hits_carry_spans_and_words_as_locally(engines):
    local, cluster = engines
    first = cluster.search("ngoại giao kinh tế", limit=3)
    reference = local.search("ngoại giao kinh tế", limit=3, budget=30.0)
    assert first[0].spans and all(h.complete_match for h in first)
    by_place = {(h.path, h.line): h for h in reference}
    for hit in first:
        if (hit.path, hit.line) in by_place:
            assert hit.spans == by_place[(hit.path, hit.line)].spans
            assert hit.text == by_place[(hit.path, hit.line)].text
    assert os.path.isfile(first[0].file)


def test_a_whole_question_gets_best_match_hits_with_missing(engines):
    _, cluster = engines
    result = cluster.search("ngành ngoại giao đã đóng góp gì cho kinh tế?", limit=10)
    assert len(result) == 10
    assert all(h.missing for h in result)
    assert all("gì" in h.missing for h in result[:3])
    assert all(h.score < 100 for h in result)  # below every strict tier, as locally


def test_an_unknown_word_is_named(engines):
    _, cluster = engines
    result = cluster.search("ngoại giao zzzqqq", limit=5)
    assert result.unknown == ["zzzqqq"]


def test_document_lists_every_paragraph_in_order(engines):
    local, cluster = engines
    path = _top(local, "ngoại giao kinh tế", 1)[0][0]
    assert [h.text for h in cluster.document(path)] == [h.text for h in local.document(path)]


def test_full_rebuild_swaps_the_alias_and_drops_the_old_index(node, client, tmp_path):
    from searcher import Engine
    from searcher.backends.opensearch import build_opensearch

    name = f"swap-{uuid.uuid4().hex[:8]}"
    address = _address(node, name)
    corpus = tmp_path / "docs"
    corpus.mkdir()
    shutil.copy(CORPUS / "000_137cec3cb1bd4b41.txt", corpus)
    try:
        build_opensearch(corpus, address, full=True)
        first = list(client.indices.get_alias(name=name))
        engine = Engine.open(address)
        version = engine.version
        (corpus / "new.txt").write_text("Một đoạn về hợp tác nghề cá hoàn toàn mới.\n", "utf-8")
        summary = build_opensearch(corpus, address, full=True)
        assert summary.mode == "full" and summary.files == 2
        assert summary.index_bytes > 0 and summary.index_to_text  # the cluster's store, as --json says locally
        second = list(client.indices.get_alias(name=name))
        assert len(first) == len(second) == 1 and first != second
        assert not client.indices.exists(index=first[0])
        engine.refresh(force=True)
        assert engine.version > version
        assert [h.path for h in engine.search("hợp tác nghề cá", all_words=True)] == ["new.txt"]
        # Incremental: a removed file goes, a changed one is redone, an unchanged one is left alone.
        (corpus / "new.txt").unlink()
        (corpus / "more.txt").write_text("Nghề cá bền vững.\n", "utf-8")
        summary = build_opensearch(corpus, address)
        assert (summary.mode, summary.added, summary.removed, summary.unchanged) == ("incremental", 1, 1, 1)
        assert list(client.indices.get_alias(name=name)) == second
        engine.refresh(force=True)
        assert [h.path for h in engine.search("nghề cá", all_words=True)] == ["more.txt"]
        engine.close()
    finally:
        client.indices.delete(index=f"{name}-*", ignore_unavailable=True)


def test_a_second_builder_waits_then_fails_clearly(node, client, tmp_path):
    from searcher.backends.opensearch import build_opensearch
    from searcher.backends.opensearch.writer import LOCK_INDEX
    from searcher.errors import IndexBusy

    name = f"lock-{uuid.uuid4().hex[:8]}"
    # A lock held by a live process (this one's parent stands in for another builder).
    client.index(
        index=LOCK_INDEX,
        id=name,
        body={"host": socket.gethostname(), "pid": os.getppid(), "started": 0},
        op_type="create",
        params={"refresh": "true"},
    )
    try:
        with pytest.raises(IndexBusy, match="another search-index is building"):
            build_opensearch(CORPUS, _address(node, name), wait=0.5)
    finally:
        client.delete(index=LOCK_INDEX, id=name, params={"refresh": "true"})


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_cluster_that_is_down_is_one_line_and_exit_2(tmp_path):
    port = _closed_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "SEARCHER_OPENSEARCH_USER": "admin", "SEARCHER_OPENSEARCH_PASSWORD": "s3cret-pw"}
    address = f"opensearch://127.0.0.1:{port}/docs"
    for argv in (
        [sys.executable, "-m", "searcher.cli.index", "--index", address, "--corpus", str(CORPUS)],
        [sys.executable, "-m", "searcher.cli.search", "--index", address, "ngoại", "giao"],
    ):
        done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False)
        assert done.returncode == 2, done
        assert done.stdout == ""
        lines = done.stderr.splitlines()
        assert len(lines) == 1, done.stderr
        assert f"http://127.0.0.1:{port}" in lines[0] and "s3cret-pw" not in lines[0]


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("search", ["--index", "opensearch://127.0.0.1:9/docs", "ngoại", "giao"]),
        ("search-index", ["--index", "opensearchs://127.0.0.1:9/docs", "--corpus", str(CORPUS)]),
        ("search-index", ["--backend", "opensearch", "--url", "http://127.0.0.1:9", "--name", "docs", "--corpus", str(CORPUS)]),
    ],
)
def test_without_the_opensearch_extra_an_address_names_the_install_command(command, args, tmp_path, monkeypatch, capsys):
    # As in a base install (no `searcher[opensearch]`): importing the client fails.
    monkeypatch.setitem(sys.modules, "opensearchpy", None)
    done = run_cli(command, args, tmp_path, capsys=capsys)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"{command}: error: the OpenSearch backend is not installed: pip install 'searcher[opensearch]'\n"


def test_credentials_are_refused_in_the_address_without_echoing_them():
    from searcher.backends.opensearch import parse_address
    from searcher.errors import SearcherError

    with pytest.raises(SearcherError) as caught:
        parse_address("opensearch://admin:s3cret@127.0.0.1:9200/docs")
    assert "s3cret" not in str(caught.value)


def test_a_config_file_readable_by_others_is_refused(tmp_path, monkeypatch):
    from searcher.backends.opensearch.client import _config
    from searcher.errors import SearcherError

    config = tmp_path / "opensearch.json"
    config.write_text('{"user": "u", "password": "p"}', "utf-8")
    monkeypatch.setenv("SEARCHER_OPENSEARCH_CONFIG", str(config))
    monkeypatch.delenv("SEARCHER_OPENSEARCH_USER", raising=False)
    config.chmod(0o644)
    with pytest.raises(SearcherError, match="chmod 600"):
        _config()
    config.chmod(0o600)
    assert _config()["user"] == "u"


@pytest.mark.parametrize("content", ['{"user": "bob", "password": 12345678}', '{"user": ["bob"], "password": "p"}'])
def test_a_config_file_with_a_value_that_is_not_a_string_is_one_line(tmp_path, monkeypatch, capsys, content):
    """A number as the password, a list as the user: one line naming the key (never the value), exit 2."""
    from conftest import run_cli

    config = tmp_path / "opensearch.json"
    config.write_text(content, "utf-8")
    config.chmod(0o600)
    monkeypatch.setenv("SEARCHER_OPENSEARCH_CONFIG", str(config))
    monkeypatch.delenv("SEARCHER_OPENSEARCH_USER", raising=False)
    result = run_cli("search", ["--index", "opensearch://127.0.0.1:9/laws", "ngoại"], tmp_path, capsys=capsys)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("search: error: ") and "must be a string" in lines[0], lines
    assert "12345678" not in result.stderr


def test_a_search_after_an_update_in_place_reads_the_new_text(node, client, tmp_path):
    """An incremental build rewrites a changed file's paragraphs under the same ids: an engine that
    searched them before must not score them from what it read of the old text."""
    from searcher import Engine, build_index

    name = f"upd-{uuid.uuid4().hex[:8]}"
    address = _address(node, name)
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Hợp tác nghề cá.\n\nĐánh bắt xa bờ.\n", "utf-8")
    try:
        build_index(corpus, address)
        with Engine.open(address) as engine:
            assert [h.text for h in engine.search("nghề cá", budget=0)] == ["Hợp tác nghề cá."]
            (corpus / "a.txt").write_text("Hợp tác nuôi tôm.\n\nĐánh bắt xa bờ.\n", "utf-8")
            assert build_index(corpus, address).mode == "incremental"
            engine.refresh(force=True)
            assert [h.text for h in engine.search("nuôi tôm", budget=0)] == ["Hợp tác nuôi tôm."]
            assert list(engine.search("nghề cá", budget=0, all_words=True)) == []
    finally:
        client.indices.delete(index=f"{name}-*", ignore_unavailable=True)


def test_build_index_and_ensure_index_accept_an_address(node, client, tmp_path):
    """The faces that build (the TUI's rebuild, first use) reach the cluster through the indexer's own API."""
    from searcher import build_index, ensure_index

    name = f"api-{uuid.uuid4().hex[:8]}"
    address = _address(node, name)
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Hợp tác nghề cá.\n", "utf-8")
    try:
        said: list[str] = []
        summary = ensure_index(corpus, address, on_build=said.append)
        assert summary is not None and summary.paragraphs == 1 and said
        assert ensure_index(corpus, address) is None
        assert build_index(corpus, address).mode == "incremental"
        assert not (tmp_path / "opensearch:").exists()
    finally:
        client.indices.delete(index=f"{name}-*", ignore_unavailable=True)


# -- a bulk request that partly fails, provoked for real on the node ------------------------------


def test_paragraphs_turned_away_for_a_while_are_sent_again_and_all_indexed(node, client, bundled, monkeypatch):
    """A full disk's block (HTTP 429 per item) lifted within the retries: nothing is lost, the user is told."""
    import threading

    from searcher.backends import opensearch
    from searcher.backends.opensearch import writer

    monkeypatch.setattr(writer, "BATCH", 20)  # many bulk requests, so one meets the block
    name = f"busy-{uuid.uuid4().hex[:8]}"
    blocked: list[str] = []

    def lift(index: str) -> None:
        client.indices.put_settings(index=index, body={"index.blocks.read_only_allow_delete": None})

    def progress(done) -> None:
        if done.files_done == 1 and not blocked:
            # What a node does at its flood-stage disk watermark; the build is writing its new index.
            (index,) = client.indices.get(index=f"{name}-*")
            client.indices.put_settings(index=index, body={"index.blocks.read_only_allow_delete": True})
            blocked.append(index)
            threading.Timer(1.0, lift, args=(index,)).start()  # the retries come 0.4, 1.2 and 2.8 s later

    try:
        summary = opensearch.build_opensearch(CORPUS, _address(node, name), full=True, progress=progress)
        assert blocked
        assert not summary.skipped
        assert summary.paragraphs == summary.paragraphs_indexed == bundled.summary.paragraphs
        assert summary.files == bundled.summary.files
        (said,) = [w["reason"] for w in summary.warnings if "sent again" in w["reason"]]
        assert "HTTP 429" in said and "read-only-allow-delete" in said
    finally:
        time.sleep(1.2)  # let the timer lift the block before the index goes
        client.indices.delete(index=f"{name}-*", ignore_unavailable=True)


def test_a_file_the_cluster_refuses_is_reported_and_nothing_of_it_is_left(node, client, tmp_path, monkeypatch):
    """A mapping conflict on the node (ordinal as a byte: paragraph 128 does not fit) fails one file only."""
    from searcher.backends import opensearch
    from searcher.backends.opensearch import build, writer

    original = opensearch.index_body

    def narrow(corpus, shards=1, replicas=0):
        body = original(corpus, shards, replicas)
        body["mappings"]["properties"]["ordinal"] = {"type": "byte"}
        return body

    monkeypatch.setattr(build, "index_body", narrow)
    monkeypatch.setattr(writer, "BATCH", 40)  # the long file's first paragraphs go in earlier requests
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "a.txt").write_text("\n\n".join(f"Hợp tác nghề cá, đoạn {i}." for i in range(5)) + "\n", "utf-8")
    (corpus / "long.txt").write_text("\n\n".join(f"Biên bản dài, đoạn số {i}." for i in range(150)) + "\n", "utf-8")
    (corpus / "z.txt").write_text("\n\n".join(f"Ngoại giao kinh tế, đoạn {i}." for i in range(5)) + "\n", "utf-8")
    name = f"refuse-{uuid.uuid4().hex[:8]}"
    address = _address(node, name)
    try:
        summary = opensearch.build_opensearch(corpus, address, full=True)
        ((path, reason),) = [(s["path"], s["reason"]) for s in summary.skipped]
        assert path == "long.txt"
        assert "HTTP 400" in reason and "ordinal" in reason
        assert (summary.added, summary.files, summary.paragraphs, summary.paragraphs_indexed) == (2, 2, 10, 10)
        # Nothing of it in the index: not its first 128 paragraphs, not its file record.
        client.indices.refresh(index=name)
        assert client.count(index=name, body={"query": {"term": {"path": "long.txt"}}})["count"] == 0
        assert client.count(index=name, body={"query": {"term": {"path": "a.txt"}}})["count"] == 6  # 5 + its record
        # The next build tries it again (no record of it), and says so again; the others are left alone.
        again = opensearch.build_opensearch(corpus, address)
        assert [s["path"] for s in again.skipped] == ["long.txt"]
        assert (again.mode, again.added, again.unchanged, again.paragraphs) == ("incremental", 0, 2, 10)
    finally:
        client.indices.delete(index=f"{name}-*", ignore_unavailable=True)


# -- the node killed or stopped under a build --------------------------------------------------------


def _synthetic_corpus(folder, files: int, paragraphs: int, seed: int = 14) -> None:
    """``files`` files of ``paragraphs`` paragraphs of words from the bundled corpus (a build of a few seconds)."""
    import random
    import re

    words = re.findall(r"\w+", " ".join(p.read_text("utf-8") for p in sorted(CORPUS.glob("*.txt"))))
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(files):
        body = "\n\n".join(" ".join(rng.choices(words, k=30)) + "." for _ in range(paragraphs))
        (folder / f"f{n:04d}.txt").write_text(body + "\n", "utf-8")


def _index_cli(address: str, corpus, *extra: str) -> list[str]:
    return [sys.executable, "-m", "searcher.cli.index", "--index", address, "--corpus", str(corpus), *extra]


@pytest.mark.slow
def test_killing_the_node_during_a_full_rebuild_keeps_the_alias_on_the_old_index(tmp_path):
    """SIGKILL the node while a --full build writes its new index: one line, exit 2; once the node is
    back the alias still points at the old index, which answers as before; the next build completes."""
    import json
    import time

    from opensearch_support import OwnNode, get_json
    from searcher import Engine
    from searcher.errors import SearcherError

    require_opensearch()  # the artifacts and Java are there
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    corpus = tmp_path / "docs"
    _synthetic_corpus(corpus, files=300, paragraphs=40)  # 12,000 paragraphs
    with OwnNode() as own:
        address = own.address("laws")
        subprocess.run(_index_cli(address, corpus, "--full", "--json"), env=env, check=True, capture_output=True, timeout=300)
        (old,) = get_json(f"{own.url}/_alias/laws")
        engine = Engine.open(address)
        before = [(h.path, h.line) for h in engine.search("ngoại giao kinh tế", limit=10)]
        assert len(before) == 10
        total = engine.stats()["paragraphs"]

        (corpus / "new.txt").write_text("Hợp tác nghề cá hoàn toàn mới.\n", "utf-8")
        build = subprocess.Popen(_index_cli(address, corpus, "--full"), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # until the new index has taken some paragraphs
            stats = get_json(f"{own.url}/laws-*/_stats/indexing")["indices"]
            if any(i != old and s["primaries"]["indexing"]["index_total"] > 0 for i, s in stats.items()):
                break
            assert build.poll() is None, "the build ended before the node could be killed"
            time.sleep(0.05)
        own.kill()
        out, err = build.communicate(timeout=120)
        assert build.returncode == 2, (out, err)
        (line,) = err.strip().splitlines()
        assert own.url in line and "Traceback" not in err
        print("killed build said:", line)
        # Meanwhile a search says the cluster is away, on one line.
        with pytest.raises(SearcherError, match=f"OpenSearch at {own.url}"):
            engine.search("ngoại giao", limit=3)

        own.resume()
        assert list(get_json(f"{own.url}/_alias/laws")) == [old]
        assert [(h.path, h.line) for h in engine.search("ngoại giao kinh tế", limit=10)] == before
        assert "new.txt" not in [h.path for h in engine.search("hợp tác nghề cá hoàn toàn mới", all_words=True, limit=3)]

        done = subprocess.run(_index_cli(address, corpus, "--full", "--json"), env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        assert summary["paragraphs"] == total + 1 and not summary["skipped"]
        (new,) = get_json(f"{own.url}/_alias/laws")
        assert new != old
        # The old index and the one the killed build left are gone.
        assert [i["index"] for i in get_json(f"{own.url}/_cat/indices/laws-*?format=json")] == [new]
        engine.refresh(force=True)
        assert [h.path for h in engine.search("hợp tác nghề cá hoàn toàn mới", all_words=True, limit=1)] == ["new.txt"]
        engine.close()


@pytest.mark.slow
def test_the_tui_shows_a_node_that_stops_and_searches_again_when_it_is_back(tmp_path, monkeypatch):
    """Stop the node under an open TUI: one line in the results pane, no traceback, no spinner left
    turning; once it is back, the search that failed runs again by itself."""
    from opensearch_support import OwnNode
    from searcher.backends.opensearch import build_opensearch
    from searcher.tui.app import make_app
    from tui_support import results_for, run_async, wait_until

    require_opensearch()
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # history not in the user's folder

    @run_async
    async def trial(own: OwnNode) -> None:
        address = own.address("docs")
        build_opensearch(CORPUS, address, full=True)
        app = make_app(address, CORPUS, "ngoại giao", cursor_blink=False, check_interval=0.25)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = app.main
            await wait_until(pilot, results_for(app, "ngoại giao"), timeout=30)
            assert screen.state == "results" and screen.result

            own.stop()
            await pilot.press("space", "k", "i", "n", "h")
            await wait_until(pilot, results_for(app, "ngoại giao kinh"), timeout=30)
            assert screen.state == "error"
            assert f"OpenSearch at {own.url}: connection refused" in screen.message_text
            assert "runs again by itself" in screen.message_text
            assert "Traceback" not in screen.message_text
            assert screen.settled and app.is_running

            own.resume()
            await wait_until(pilot, lambda: screen.state == "results", timeout=60, what="results once the node is back")
            assert screen.query_input.value == "ngoại giao kinh" and screen.result
            assert not screen.waiting_for_server and not app.internal_errors

    with OwnNode() as own:
        trial(own)
