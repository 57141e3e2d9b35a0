"""Hostile corpus files and names: each is indexed or skipped with a warning naming it, never a crash.

* Encodings: invalid UTF-8, Windows-1258 (decoded when clearly Vietnamese,
  else skipped with a reason), UTF-16 with and without BOM, NUL bytes and
  binary data, empty files, CRLF and lone CR line ends.
* Very long lines: cut into windows whose line, column and highlight spans
  point at the right place; a 50 MB one-line file is indexed in bounded memory
  (``SEARCHER_BIG_FILE_MB``, default 50; the file is mostly filler in CI unless
  ``SEARCHER_BIG_FILE_DENSE=1`` makes all of it words).
* Names: spaces, NFC and NFD Vietnamese, names near 255 bytes, names that are
  not UTF-8, deep trees, symbolic link loops, broken links, FIFOs, unreadable
  files and folders, files that change or vanish while being indexed.
"""

from __future__ import annotations

import codecs
import gzip
import os
import random
import threading
import time
import unicodedata
from pathlib import Path

import pytest

from conftest import run_cli, start_cli
from robust_support import session_pids, without_root_powers
from searcher import Engine
from searcher.documents.corpus import read_document
from searcher.documents.paragraphs import MAX_PARAGRAPH_CHARS, split_paragraphs
from searcher.index.build import build_index

VI = (
    "Quan hệ ngoại giao và hợp tác kinh tế giữa Việt Nam và các đối tác đã phát triển mạnh mẽ "
    "trong những năm qua. Chính phủ đặt mục tiêu tăng trưởng bền vững, đồng thời chú trọng đời "
    "sống của người dân ở mọi miền đất nước."
)
TONES = "\u0300\u0301\u0303\u0309\u0323"


def doc(marker: str) -> str:
    """A small Vietnamese document whose every paragraph carries ``marker``."""
    return f"Tiêu đề {marker}\n\n{VI} {marker}\n\nĐoạn thứ hai nói về văn hóa và giáo dục {marker}.\n"


def cp1258_bytes(text: str) -> bytes:
    """Encode Vietnamese text as Windows-1258 does: base letters precomposed, tones combining."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        tones = "".join(m for m in decomposed[1:] if m in TONES)
        quality = "".join(m for m in decomposed[1:] if m not in TONES)
        out += unicodedata.normalize("NFC", decomposed[0] + quality).encode("cp1258") + tones.encode("cp1258")
    return bytes(out)


def test_cp1258_helper_round_trips():
    data = cp1258_bytes(doc("kiểm"))
    assert unicodedata.normalize("NFC", data.decode("cp1258")) == doc("kiểm")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


# A short UTF-8 paragraph that also decodes as Windows-1258 (no byte undefined there)
# and has enough of its "Vietnamese letters" to pass for it.
UTF8_LOOKALIKE = (
    "Từ khi đại dịch Covid-19 xuất hiện tại Việt Nam cho đến nay, Vinamilk luôn là công ty tích cực "
    "đồng hành cùng Chính phủ và cộng đồng trong các hoạt động phòng chống dịch bệnh."
)

_rng = random.Random(7)
ENCODED: dict[str, tuple[bytes, str]] = {
    # name: (bytes, "indexed" or a fragment of the skip reason)
    "utf8.txt": (doc("maumot").encode(), "indexed"),
    "utf8-bom.txt": (codecs.BOM_UTF8 + doc("mauhai").encode(), "indexed"),
    "utf16le-bom.txt": (codecs.BOM_UTF16_LE + doc("mauba").encode("utf-16-le"), "indexed"),
    "utf16be-bom.txt": (codecs.BOM_UTF16_BE + doc("maubon").encode("utf-16-be"), "indexed"),
    "utf16le-nobom.txt": (doc("maunam").encode("utf-16-le"), "indexed"),
    "utf16be-nobom.txt": (doc("mausau").encode("utf-16-be"), "indexed"),
    "utf16-crlf.txt": (codecs.BOM_UTF16_LE + doc("maubay").replace("\n", "\r\n").encode("utf-16-le"), "indexed"),
    "cp1258.txt": (cp1258_bytes(doc("mautam")), "indexed"),
    "cp1258-crlf.txt": (cp1258_bytes(doc("mauchin").replace("\n", "\r\n")), "indexed"),
    "crlf.txt": (doc("maumuoi").replace("\n", "\r\n").encode(), "indexed"),
    "lone-cr.txt": (doc("maumuoimot").replace("\n", "\r").encode(), "indexed"),
    "mixed-ends.txt": (b"Ti\xc3\xaau \xc4\x91\xe1\xbb\x81 maumuoihai\r\n\r\nmot maumuoihai\r\rhai maumuoihai\n\nba maumuoihai\r", "indexed"),
    "invalid-utf8.txt": (doc("hongmot").encode()[:60] + b"\xff\xfe\xfd" + doc("hongmot").encode()[60:], "not UTF-8"),
    "utf8-one-bad-byte.txt": (UTF8_LOOKALIKE.encode() + b"\xff\n", "not UTF-8"),
    "western-cp1252.txt": ("Café au lait, déjà vu, naïve résumé, façade, Noël à Zürich.\n".encode("cp1252"), "Windows-1258"),
    "utf16-odd-length.txt": ((codecs.BOM_UTF16_LE + doc("honghai").encode("utf-16-le"))[:-1], "UTF-16"),
    "nul-bytes.txt": (doc("hongba").encode()[:40] + b"\x00\x00" + doc("hongba").encode()[40:], "NUL"),
    "random-binary.txt": (bytes(_rng.randrange(256) for _ in range(4096)), ""),
    "gzip.txt": (gzip.compress(doc("hongbon").encode() * 20, mtime=0), ""),
    "png.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), ""),
    "empty.txt": (b"", "empty"),
    "blank.txt": (b"\n  \n\t\r\n\r\n", "empty"),
    "bom-only.txt": (codecs.BOM_UTF8, "empty"),
    "utf16-bom-only.txt": (codecs.BOM_UTF16_LE, "empty"),
}


def expected_paragraphs(name: str) -> list[tuple[int, str]]:
    """What an indexed file must give: the paragraphs of its text read as UTF-8 with LF ends."""
    data, _ = ENCODED[name]
    if name.startswith("cp1258"):
        text = data.decode("cp1258")
    elif name.startswith("utf16"):
        text = data.decode("utf-16-be" if "be" in name.split("-")[0] else "utf-16-le").lstrip("\ufeff")
    else:
        text = data.decode("utf-8-sig")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [(p.line, p.text) for p in split_paragraphs(name, text).paragraphs]


@pytest.fixture(scope="module")
def encoded(tmp_path_factory):
    root = tmp_path_factory.mktemp("encoded")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, (data, _) in ENCODED.items():
        (corpus / name).write_bytes(data)
    summary = build_index(corpus, root / "index", parallel=False)
    engine = Engine.open(root / "index")
    yield corpus, summary, engine
    engine.close()


@pytest.mark.parametrize("name", sorted(ENCODED))
def test_each_encoding_is_indexed_or_skipped_with_a_reason(encoded, name):
    _, summary, engine = encoded
    _, expectation = ENCODED[name]
    skipped = {s["path"]: s["reason"] for s in summary.skipped}
    indexed = [(h.line, h.text) for h in engine.document(name)]
    if expectation == "indexed":
        assert name not in skipped
        assert indexed == expected_paragraphs(name)
        assert all(unicodedata.is_normalized("NFC", text) for _, text in indexed)
    else:
        assert name in skipped, f"{name} was neither skipped nor reported: {indexed[:2]}"
        assert expectation in skipped[name]
        assert indexed == []


def test_windows_1258_text_is_searchable_with_and_without_marks(encoded):
    _, _, engine = encoded
    for query in ("ngoại giao mautam", "ngoai giao mautam", "văn hóa mauchin"):
        hits = engine.search(query, limit=5, budget=30)
        assert hits and hits[0].path.startswith("cp1258"), query
        assert "ngoại giao" in hits[0].text or "văn hóa" in hits[0].text


@pytest.mark.slow  # runs the commands as processes
def test_search_index_warns_about_every_skipped_file_by_name(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, (data, _) in ENCODED.items():
        (corpus / name).write_bytes(data)
    result = run_cli("search-index", ["--corpus", corpus, "--index", tmp_path / "index", "--quiet"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    for name, (_, expectation) in ENCODED.items():
        if expectation != "indexed":
            assert any(line.startswith(f"search-index: warning: skipped {name}: ") and expectation in line for line in lines), (name, lines)
    # One warning per skipped file, and none for the files that were indexed.
    warned = [line.removeprefix("search-index: warning: skipped ").split(": ")[0] for line in lines if "warning" in line]
    assert sorted(warned) == sorted(name for name, (_, expectation) in ENCODED.items() if expectation != "indexed")


# -- line ends across read chunks ------------------------------------------------------------


@pytest.mark.parametrize("ending", ["\r\n", "\r"])
def test_line_end_split_across_read_chunks(tmp_path, ending):
    """A CRLF (or a lone CR) whose bytes straddle the 1 MiB read chunk splits lines like LF does."""
    from searcher.documents import encoding

    chunk = encoding._CHUNK
    line = "Dòng văn bản kiểm tra ngắt dòng"
    lines = ["Tiêu đề"]
    size = len(lines[0].encode()) + len(ending)
    while size < chunk - 200:
        lines.append(f"{line} số {len(lines)}.")
        size += len(lines[-1].encode()) + len(ending)
    # Pad the last line so that its line end starts on the last byte of the chunk.
    pad = chunk - 1 - size
    lines.append("x" * pad)
    lines += ["tiếp theo sau ranh giới.", "Dòng cuối."]
    text = ending.join(lines) + ending
    data = text.encode()
    assert data[chunk - 1 : chunk - 1 + len(ending)] == ending.encode()
    path = tmp_path / "a.txt"
    path.write_bytes(data)
    got = [(p.line, p.text) for p in read_document(tmp_path, "a.txt").paragraphs]
    want = [(p.line, p.text) for p in split_paragraphs("a.txt", "\n".join(lines) + "\n").paragraphs]
    assert got == want


# -- very long lines ------------------------------------------------------------------------

WORDS = (
    "ngoại giao kinh tế văn hóa xã hội chính trị nhà nước doanh nghiệp thị trường chứng khoán "
    "ngân hàng đầu tư phát triển bền vững giáo dục người dân đất nước"
).split()


def long_line(chars: int, every: int, rng: random.Random) -> tuple[str, list[str]]:
    """One line of about ``chars`` characters of words, with a unique marker about every ``every``."""
    parts, markers, size = [], [], 0
    while size < chars:
        piece = " ".join(rng.choices(WORDS, k=every // 6))
        marker = f"mốc{len(markers):05d}đánhdấu"
        markers.append(marker)
        parts += [piece, marker]
        size += len(piece) + len(marker) + 2
    return " ".join(parts), markers


def test_long_line_windows_point_at_the_right_place(tmp_path):
    """A 2.5 MB line: each window's line and column locate its text, spans mark the right word."""
    rng = random.Random(3)
    line, markers = long_line(1_300_000, 2500, rng)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "dài.txt").write_text(f"Tiêu đề dài\n\nĐoạn mở đầu.\n\n{line}\n\nĐoạn kết thúc ở cuối.\n", encoding="utf-8")
    summary = build_index(corpus, tmp_path / "index", parallel=False)
    assert not summary.skipped and summary.added == 1
    with Engine.open(tmp_path / "index") as engine:
        windows = [h for h in engine.document("dài.txt") if h.line == 5]
        assert len(windows) >= len(line) // MAX_PARAGRAPH_CHARS
        # Windows tile the line in order: each text is the line at its column, gaps are blanks.
        position = 0
        for window in windows:
            assert 0 < len(window.text) <= MAX_PARAGRAPH_CHARS
            assert window.column >= position
            assert line[window.column : window.column + len(window.text)] == window.text
            assert not line[position : window.column].strip()
            position = window.column + len(window.text)
        assert not line[position:].strip()
        assert [h.line for h in engine.document("dài.txt") if h.line != 5] == [1, 3, 7]
        for marker in markers[:: max(1, len(markers) // 60)] + markers[-3:]:
            hits = engine.search(marker, limit=5, budget=30)
            assert len(hits) == 1, marker
            hit = hits[0]
            assert hit.line == 5
            assert len(hit.spans) == 1
            start, end = hit.spans[0]
            assert hit.text[start:end] == marker
            assert line.index(marker) == hit.column + start


def _tree_rss_kb(session: int) -> tuple[int, int]:
    """(current RSS, sum of peak RSS) in kB of the live processes of a session."""
    current = peak = 0
    for pid in session_pids(session):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for row in status.splitlines():
            if row.startswith("VmRSS:"):
                current += int(row.split()[1])
            elif row.startswith("VmHWM:"):
                peak += int(row.split()[1])
    return current, peak


@pytest.mark.slow
def test_huge_one_line_file_in_bounded_memory(tmp_path):
    """A 50 MB file that is one single line: indexed, navigable, and the build stays under 600 MB."""
    megabytes = float(os.environ.get("SEARCHER_BIG_FILE_MB", "50"))
    dense = os.environ.get("SEARCHER_BIG_FILE_DENSE", "") == "1"
    rng = random.Random(11)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    target = int(megabytes * 1024 * 1024)
    markers = []
    filler = "— " * 20_000  # 40k characters, 120 kB, no words: windows of it are cheap to index
    written = 0
    with open(corpus / "một dòng.txt", "w", encoding="utf-8") as f:
        while written < target:
            words = " ".join(rng.choices(WORDS, k=3000))
            marker = f"mốc{len(markers):05d}đánhdấu"
            markers.append(marker)
            piece = f"{words} {marker} " + ("" if dense else filler)
            f.write(piece)
            written += len(piece.encode())
        f.write("\n")
    build = start_cli("search-index", ["--corpus", corpus, "--index", tmp_path / "index", "--json"], tmp_path)
    peak_kb = 0
    while build.poll() is None:
        current, hwm = _tree_rss_kb(build.pid)
        peak_kb = max(peak_kb, current, hwm)
        time.sleep(0.05)
    out, err = build.communicate()
    assert build.returncode == 0, err
    assert "Traceback" not in err
    print(f"{written / 1e6:.1f} MB one-line file: peak RSS of the build {peak_kb / 1024:.0f} MB; {out.strip()}")
    assert peak_kb < 600 * 1024, f"peak RSS {peak_kb / 1024:.0f} MB"
    # Navigable: markers at the start, middle and end are found at line 1, at their column.
    with open(corpus / "một dòng.txt", encoding="utf-8") as f:
        line = f.read().rstrip("\n")
    with Engine.open(tmp_path / "index") as engine:
        for marker in (markers[0], markers[len(markers) // 2], markers[-1]):
            hits = engine.search(marker, limit=3, budget=30)
            assert len(hits) == 1, marker
            start, end = hits[0].spans[0]
            assert hits[0].line == 1 and hits[0].text[start:end] == marker
            assert line.index(marker) == hits[0].column + start


# -- names ------------------------------------------------------------------------------------


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


LONG_NAME = ("tài liệu ngoại giao rất dài " * 20).encode()[:240].decode("utf-8", "ignore").rstrip() + ".txt"
DEEP = "/".join(f"cấp {i}" for i in range(60))


@pytest.fixture
def named_corpus(tmp_path):
    """A corpus with awkward names and entries; returns (corpus, {path: marker} of readable files)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    readable = {
        "tên có dấu cách.txt": "tenmot",
        "tài liệu.txt": "tenhai",  # NFC
        _nfd("tài liệu.txt"): "tenba",  # the same name in NFD: another file
        LONG_NAME: "tenbon",
        f"{DEEP}/đáy.txt": "tennam",
        "-bắt đầu bằng gạch.txt": "tensau",
        "nháy 'đơn' \"kép\" và \\ và : và *.txt": "tenbay",
        "thư mục.txt/bên trong.txt": "tentam",
        "vòng/nội dung.txt": "tenchin",
    }
    assert len(LONG_NAME.encode()) > 230 and len(LONG_NAME.encode()) <= 255
    for rel, marker in readable.items():
        path = corpus / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(doc(marker), encoding="utf-8")
    (corpus / "vòng" / "lặp lại").symlink_to("..")  # a folder link loop
    (corpus / "vòng" / "lặp vào chính nó").symlink_to(".")
    (corpus / "liên kết.txt").symlink_to("tài liệu.txt")  # a good link to a file: indexed
    readable["liên kết.txt"] = "tenhai"
    (corpus / "vòng 1.txt").symlink_to("vòng 2.txt")
    (corpus / "vòng 2.txt").symlink_to("vòng 1.txt")
    (corpus / "gãy.txt").symlink_to("không tồn tại.txt")
    os.mkfifo(corpus / "ống.txt")
    (corpus / ".ẩn.txt").write_text(doc("tenan"), encoding="utf-8")
    os.mkdir(os.path.join(os.fsencode(corpus), b"th\xf5 m\xe1c"))  # a folder named in Windows-1258
    with open(os.path.join(os.fsencode(corpus), b"th\xf5 m\xe1c", b"a.txt"), "w") as f:
        f.write(doc("tenmuoi"))
    with open(os.path.join(os.fsencode(corpus), b"t\xean l\xe1.txt"), "w") as f:  # not UTF-8
        f.write(doc("tenmuoimot"))
    problems = {
        "vòng 1.txt": "symbolic links",
        "vòng 2.txt": "symbolic links",
        "gãy.txt": "broken symbolic link",
        "ống.txt": "not a regular file",
        "th\\xf5 m\\xe1c/a.txt": "not valid UTF-8",
        "t\\xean l\\xe1.txt": "not valid UTF-8",
    }
    return corpus, readable, problems


def test_awkward_names_are_indexed_or_reported(tmp_path, named_corpus):
    corpus, readable, problems = named_corpus
    summary = build_index(corpus, tmp_path / "index", parallel=False)
    skipped = {s["path"]: s["reason"] for s in summary.skipped}
    for path, fragment in problems.items():
        assert path in skipped and fragment in skipped[path], (path, skipped)
    assert set(skipped) == set(problems)
    assert summary.added == len(readable)
    with Engine.open(tmp_path / "index") as engine:
        for path, marker in readable.items():
            hits = engine.search(marker, limit=10, budget=30)
            assert path in {h.path for h in hits}, (path, [h.path for h in hits])
            for hit in hits:
                assert (corpus / hit.path).is_file()
                assert Path(hit.file) == corpus.resolve() / hit.path
        assert not engine.search("tenan", limit=5, budget=30)  # hidden files stay out
    # Nothing changed: the next build does nothing, and says the same about the same entries.
    again = build_index(corpus, tmp_path / "index", parallel=False)
    assert again.unchanged == len(readable) and again.added == again.updated == again.removed == 0
    assert {s["path"] for s in again.skipped} == set(problems)


@pytest.mark.slow  # runs the commands as processes
def test_awkward_names_through_the_commands(tmp_path, named_corpus):
    corpus, _, problems = named_corpus
    result = run_cli("search-index", ["--corpus", corpus, "--index", tmp_path / "index", "--json"], tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for path in problems:
        assert f"search-index: warning: skipped {path}: " in result.stderr
    found = run_cli("search", ["--json", "--index", tmp_path / "index", "tenbay"], corpus)
    assert found.returncode == 0, found.stderr
    assert '"nháy \'đơn\' \\"kép\\" và \\\\ và : và *.txt"' in found.stdout


# -- unreadable files and folders ----------------------------------------------------------------


@pytest.mark.slow  # runs the commands as processes
def test_unreadable_files_and_folders_are_reported(tmp_path):
    prefix = without_root_powers()
    if prefix is None:
        pytest.skip("running as root and cannot drop CAP_DAC_OVERRIDE (no setpriv): chmod 000 would not stop reading")
    corpus = tmp_path / "corpus"
    (corpus / "kín").mkdir(parents=True)
    (corpus / "kín" / "bên trong.txt").write_text(doc("kinmot"), encoding="utf-8")
    (corpus / "khoá.txt").write_text(doc("kinhai"), encoding="utf-8")
    (corpus / "mở.txt").write_text(doc("kinba"), encoding="utf-8")
    os.chmod(corpus / "khoá.txt", 0)
    os.chmod(corpus / "kín", 0)
    try:
        result = run_cli("search-index", ["--corpus", corpus, "--index", tmp_path / "index"], tmp_path, prefix=prefix)
    finally:
        os.chmod(corpus / "khoá.txt", 0o644)
        os.chmod(corpus / "kín", 0o755)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "search-index: warning: skipped khoá.txt: cannot read: Permission denied" in result.stderr
    assert "search-index: warning: skipped kín: cannot read folder: Permission denied" in result.stderr
    with Engine.open(tmp_path / "index") as engine:
        assert engine.search("kinba", budget=30) and not engine.search("kinhai", budget=30)
    # Readable again: the next build picks both up.
    summary = build_index(corpus, tmp_path / "index", parallel=False)
    assert summary.added == 2 and not summary.skipped


# -- files that change or vanish while being indexed -------------------------------------------------


def _corpus_of(tmp_path: Path, count: int = 6) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(count):
        (corpus / f"tệp {i}.txt").write_text(doc(f"doimot{i}x"), encoding="utf-8")
    return corpus


def _on_file(name: str, action):
    """A progress callback that runs ``action`` once, right after the file before ``name`` is done."""
    done = []

    def progress(p):
        if not done and p.files_done < p.files_total and p.current.endswith(_previous(name)):
            done.append(True)
            action()

    return progress


def _previous(name: str) -> str:
    number = int(name.split()[1].split(".")[0])
    return f"tệp {number - 1}.txt"


@pytest.mark.parametrize("change", ["delete", "truncate", "rewrite", "replace-with-folder", "replace-with-fifo"])
def test_next_file_changes_while_the_build_runs(tmp_path, change):
    corpus = _corpus_of(tmp_path)
    index = tmp_path / "index"
    victim = corpus / "tệp 3.txt"

    def act():
        if change == "delete":
            victim.unlink()
        elif change == "truncate":
            victim.write_bytes(b"")
        elif change == "rewrite":
            victim.write_text(doc("thaymoi") * 3, encoding="utf-8")
        elif change == "replace-with-folder":
            victim.unlink()
            victim.mkdir()
        elif change == "replace-with-fifo":
            victim.unlink()
            os.mkfifo(victim)

    outcome = {}

    def run():
        try:
            outcome["summary"] = build_index(corpus, index, parallel=False, progress=_on_file("tệp 3.txt", act))
        except BaseException as exc:  # reported below
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=60)
    if worker.is_alive():  # unblock a build stuck opening the FIFO, then fail
        with open(victim, "wb"):
            pass
        worker.join(timeout=30)
        pytest.fail(f"build_index hung on a file replaced by a FIFO ({change})")
    assert "error" not in outcome, outcome.get("error")
    summary = outcome["summary"]
    names = {s["path"] for s in summary.skipped} | {w["path"] for w in summary.warnings}
    with Engine.open(index) as engine:
        others = [engine.search(f"doimot{i}x", budget=30) for i in (0, 1, 2, 4, 5)]
        assert all(len(hits) == 3 for hits in others)  # the rest of the corpus is whole
        if change == "rewrite":
            assert "tệp 3.txt" in names or engine.search("thaymoi", budget=30)
        else:
            assert "tệp 3.txt" in names, summary
            assert not engine.search("doimot3x", budget=30)
    # The next build settles on what is there now.
    if change == "replace-with-fifo":
        victim.unlink()
    elif change == "replace-with-folder":
        victim.rmdir()
    build_index(corpus, index, parallel=False)
    with Engine.open(index) as engine:
        assert bool(engine.search("thaymoi", budget=30)) == (change == "rewrite")
        assert not engine.search("doimot3x", budget=30)


def test_file_rewritten_between_the_two_reads(tmp_path, monkeypatch):
    """Changed after it was checked and before it was split: a warning, then re-read next time."""
    from searcher.index import feed as indexer

    corpus = _corpus_of(tmp_path, 3)
    victim = corpus / "tệp 1.txt"
    real_inspect = indexer.inspect_file
    calls = []

    def inspect_then_rewrite(stream):
        check = real_inspect(stream)
        if os.path.samestat(os.fstat(stream.fileno()), os.stat(victim)) and not calls:
            calls.append(True)
            with open(victim, "r+b") as f:  # in place, as an editor without atomic saves does
                f.write(doc("giuachung").encode() * 2)
        return check

    monkeypatch.setattr(indexer, "inspect_file", inspect_then_rewrite)
    summary = build_index(corpus, tmp_path / "index", parallel=False)
    assert calls
    assert any(w["path"] == "tệp 1.txt" and "changed" in w["reason"] for w in summary.warnings), summary
    monkeypatch.setattr(indexer, "inspect_file", real_inspect)
    again = build_index(corpus, tmp_path / "index", parallel=False)
    assert again.updated + again.unchanged == 3
    with Engine.open(tmp_path / "index") as engine:
        assert engine.search("giuachung", budget=30)
        texts = [h.text for h in engine.document("tệp 1.txt")]
        assert texts == [p.text for p in read_document(corpus, "tệp 1.txt").paragraphs]


def test_listing_stops_at_an_unreadable_folder_in_process(tmp_path, monkeypatch):
    """Without root powers to drop, fake a folder that cannot be listed: it is reported by name."""
    from searcher.documents import corpus as corpus_module

    corpus = _corpus_of(tmp_path, 2)
    (corpus / "kín").mkdir()
    (corpus / "kín" / "a.txt").write_text(doc("kinbon"), encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path):
        if os.fspath(path).endswith("kín"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(corpus_module.os, "scandir", scandir)
    summary = build_index(corpus, tmp_path / "index", parallel=False)
    assert {"path": "kín", "reason": "cannot read folder: Permission denied"} in summary.skipped
    assert summary.added == 2
