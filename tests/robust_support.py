"""Helpers shared by the robustness tests (tests/test_robust_*.py).

* Corpora of a few thousand paragraphs, from the shared dantri news corpus
  when ``../shared/corpora`` is there, else from synthetic Vietnamese text.
* Two *versions* of such a corpus (``A`` and ``B``) with marker words, so a
  test can tell which version any answer came from (see :class:`Versions`).
* Following the processes of a build (run with ``conftest.start_cli``).
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import random
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED_CORPORA = REPO.parent / "shared" / "corpora"
# SEARCHER_DANTRI=/nonexistent exercises the synthetic fallback.
DANTRI = Path(os.environ.get("SEARCHER_DANTRI", SHARED_CORPORA / "vi-news-dantri.jsonl.gz"))


# -- source text -------------------------------------------------------------------


def dantri_articles(count: int) -> list[tuple[str, str, list[str]]] | None:
    """The first ``count`` dantri articles as ``(id, title, paragraphs)``, or None without the file."""
    if not DANTRI.is_file():
        return None
    articles = []
    with gzip.open(DANTRI, "rt", encoding="utf-8") as stream:
        for line in itertools.islice(stream, count):
            record = json.loads(line)
            paragraphs = [p for p in record["text"].split("\n") if p.strip()]
            articles.append((record["id"], " ".join(record["title"].split()), paragraphs))
    return articles


_SYLLABLES = (
    "ngoại giao kinh tế văn hóa xã hội chính trị nhà nước doanh nghiệp thị trường chứng khoán "
    "ngân hàng đầu tư phát triển bền vững giáo dục đào tạo sức khỏe bệnh viện bác sĩ người dân "
    "thành phố hà nội hồ chí minh đà nẵng miền trung miền nam miền bắc mùa mưa lũ lụt nông nghiệp "
    "xuất khẩu nhập khẩu hàng hóa giá cả lạm phát tăng trưởng quý năm tháng ngày tuần chính phủ "
    "quốc hội bộ trưởng thủ tướng chủ tịch hội nghị hợp tác quốc tế đối tác chiến lược an ninh "
    "quốc phòng biển đảo môi trường khí hậu năng lượng điện gió mặt trời giao thông đường sắt "
    "cao tốc sân bay hàng không du lịch khách sạn ẩm thực phở bún chả cà phê học sinh sinh viên "
    "trường đại học nghiên cứu khoa học công nghệ thông tin phần mềm điện thoại mạng xã hội"
).split()


def synthetic_articles(count: int, seed: int = 5) -> list[tuple[str, str, list[str]]]:
    """``count`` articles of Vietnamese-looking text, about 18 paragraphs each."""
    rng = random.Random(seed)

    def sentence() -> str:
        words = [rng.choice(_SYLLABLES) for _ in range(rng.randint(6, 22))]
        return words[0].capitalize() + " " + " ".join(words[1:]) + rng.choice(".....?!")

    articles = []
    for i in range(count):
        title = " ".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(4, 9))).capitalize()
        paragraphs = [" ".join(sentence() for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(8, 28))]
        articles.append((f"synth-{i:04d}", title, paragraphs))
    return articles


def articles(count: int) -> tuple[list[tuple[str, str, list[str]]], str]:
    """Real articles when the shared corpus is there, else synthetic ones; and which."""
    real = dantri_articles(count)
    if real is not None:
        return real, "dantri"
    return synthetic_articles(count), "synthetic"


def render(title: str, paragraphs: Iterable[str]) -> str:
    """A corpus file: the title, then paragraphs separated by blank lines."""
    return title + "\n\n" + "\n\n".join(paragraphs) + "\n"


# -- two versions of one corpus ------------------------------------------------------

# Marker words (plain ASCII tokens no real text contains) and what they tell:
#   dauvet  only in version A, in the files that B deletes;
#   chimoi  only in version B: in the files it adds and in the files it modifies;
#   bancu   only in version A, in the files that B modifies;
#   xacnhan in both versions, at different files and lines.
MARKERS = ("dauvet", "chimoi", "bancu", "xacnhan")
GENERAL_QUERIES = ("kinh tế", "ngoai giao", "việt nam", "thị trường", "hà nội")


@dataclass
class Versions:
    """Two versions of a corpus and, for each, the set of its paragraphs.

    A paragraph is ``(path, line, text)``.  ``expected[v][marker]`` is the set of
    paragraphs of version ``v`` that contain the marker word.
    """

    files: dict[str, dict[str, str]]  # version -> {relative path: content}
    paragraphs: dict[str, set[tuple[str, int, str]]] = field(default_factory=dict)
    expected: dict[str, dict[str, frozenset[tuple[str, int, str]]]] = field(default_factory=dict)
    source: str = ""

    def write(self, corpus: Path, version: str) -> None:
        """Make ``corpus`` hold exactly ``version`` (rewriting only files that differ)."""
        wanted = self.files[version]
        corpus.mkdir(parents=True, exist_ok=True)
        for path in sorted(corpus.glob("*.txt")):
            if path.name not in wanted:
                path.unlink()
        for name, content in wanted.items():
            target = corpus / name
            data = content.encode("utf-8")
            try:
                if target.read_bytes() == data:
                    continue
            except FileNotFoundError:
                pass
            tmp = target.with_name("." + name + ".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, target)

    def versions_of(self, hits: Iterable[tuple[str, int, str]], marker: str | None = None, complete: bool = True) -> set[str]:
        """The versions an answer is consistent with (empty: it mixes versions or is wrong).

        For a marker query the answer must be the whole expected set (a subset
        when the search says it was cut short); for other queries every hit
        must be a paragraph of that version.
        """
        hits = set(hits)
        found = set()
        for version in self.files:
            if marker is not None:
                expected = self.expected[version][marker]
                ok = hits == expected if complete else hits <= expected
            else:
                ok = hits <= self.paragraphs[version]
            if ok:
                found.add(version)
        return found


def make_versions(article_count: int = 110) -> Versions:
    """Versions A and B of a corpus of ``article_count`` articles (about 2000 paragraphs)."""
    from searcher.documents.paragraphs import split_paragraphs
    from searcher.vietnamese.analysis import iter_words
    from searcher.vietnamese.text import fold

    source, kind = articles(article_count)
    a: dict[str, str] = {}
    b: dict[str, str] = {}
    for i, (ident, title, paragraphs) in enumerate(source):
        name = f"{ident}.txt"
        role = i % 10
        if role == 0:  # deleted in B
            a[name] = render(title, paragraphs + [f"Đoạn kiểm tra xacnhan dauvet số {i}."])
        elif role == 1:  # modified in B: a new paragraph on top, its marker changed
            a[name] = render(title, paragraphs + [f"Đoạn kiểm tra xacnhan bancu số {i}."])
            b[name] = render(
                title,
                [f"Cập nhật chimoi đầu bài số {i}."] + paragraphs + [f"Đoạn kiểm tra xacnhan chimoi số {i}."],
            )
        else:
            a[name] = b[name] = render(title, paragraphs)
    for j in range(5):  # added in B
        _, title, paragraphs = source[j]
        b[f"zz-new-{j:02d}.txt"] = render(
            f"Bài mới {j}", paragraphs[:3] + [f"Đoạn kiểm tra xacnhan chimoi tệp mới {j}."]
        )
    versions = Versions({"A": a, "B": b}, source=kind)
    for version, files in versions.files.items():
        paragraphs_of = set()
        for name, content in files.items():
            for p in split_paragraphs(name, content).paragraphs:
                paragraphs_of.add((name, p.line, p.text))
        versions.paragraphs[version] = paragraphs_of
        versions.expected[version] = {
            marker: frozenset(p for p in paragraphs_of if marker in {fold(w) for w in iter_words(p[2])})
            for marker in MARKERS
        }
    return versions


# -- subprocesses -----------------------------------------------------------------------


def workers_of(build: subprocess.Popen) -> list[int]:
    """The writer processes of a parallel build: forked by its forkserver, so grandchildren."""
    children = {}
    for pid in session_pids(build.pid):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        children[pid] = int(stat[stat.rindex(")") + 2 :].split()[1])
    return [pid for pid, parent in children.items() if parent in children and parent != build.pid]


def session_pids(session: int) -> list[int]:
    """Live (not zombie) processes of a session: a build and the workers it started."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        state, sid = fields[0], int(fields[3])
        if sid == session and state not in ("Z", "X"):
            pids.append(int(entry.name))
    return pids


def wait_session_gone(session: int, timeout: float) -> list[int]:
    """Wait until no live process is left in ``session``; return those still there."""
    deadline = time.monotonic() + timeout
    while True:
        left = session_pids(session)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def kill_session(session: int) -> None:
    """SIGKILL what is left of a session this test started."""
    import signal

    for pid in session_pids(session):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def without_root_powers() -> list[str] | None:
    """A command prefix that runs a process without root's power to read anything, or None.

    Tests run as root, where ``chmod 000`` does not stop reading; dropping
    CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH with ``setpriv`` makes it stop.
    """
    import shutil

    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
    try:
        probe = subprocess.run(prefix + ["true"], capture_output=True, timeout=30, check=False)
    except OSError:
        return None
    return prefix if probe.returncode == 0 else None


def hits_of_json_lines(stdout: str) -> list[tuple[str, int, str]]:
    """``(path, line, text)`` of each ``search --json`` line."""
    return [(h["path"], h["line"], h["text"]) for h in map(json.loads, stdout.splitlines()) if h]
