"""The preview's pure parts (searcher.tui.preview): the paragraph in its context, and the
cache of the documents it read.  The pane itself is driven in test_tui_live.py."""

from __future__ import annotations

from searcher.search.query import parse_query
from searcher.search.results import Hit
from searcher.tui.preview import DocumentCache, context_content


def paragraph(i: int, text: str) -> Hit:
    return Hit(rank=0, score=0.0, path="a.txt", line=1 + 2 * i, paragraph=i, title="A", text=text, spans=[], file="/a.txt")


DOCUMENT = [
    paragraph(0, "Tiêu đề"),
    paragraph(1, "Mở đầu " + "rất dài " * 30 + "cuối đoạn trước."),
    paragraph(2, "Hai nước bàn chuyện kinh tế, rồi chuyện ngoại giao."),
    paragraph(3, "Đoạn sau một."),
    paragraph(4, "Đoạn sau hai."),
    paragraph(5, "Đoạn sau ba."),
]


def test_the_hit_is_shown_with_the_end_of_the_paragraph_before_and_two_after() -> None:
    made = context_content(DOCUMENT[2], DOCUMENT, parse_query("ngoại giao"))
    assert made is not None
    content, focus = made
    parts = content.plain.split("\n\n")
    assert parts[0].startswith("… ") and parts[0].endswith("cuối đoạn trước.") and len(parts[0]) <= 112
    assert parts[1:] == [DOCUMENT[2].text, "Đoạn sau một.", "Đoạn sau hai."]
    assert focus is not None and content.plain[focus:].startswith("ngoại giao")


def test_a_paragraph_the_document_lacks_has_no_context() -> None:
    gone = paragraph(9, "ngoại giao")
    assert context_content(gone, DOCUMENT, parse_query("ngoại giao")) is None


def test_documents_are_read_once_and_the_oldest_forgotten() -> None:
    reads: list[str] = []

    def read(path: str) -> list[Hit]:
        reads.append(path)
        return DOCUMENT if path == "a.txt" else []

    cache = DocumentCache(read, size=2)
    assert cache("a.txt") is cache("a.txt")
    cache("b.txt")
    cache("a.txt")  # the most recent again
    cache("c.txt")  # b.txt goes
    cache("a.txt")
    assert reads == ["a.txt", "b.txt", "c.txt"]
    cache("b.txt")
    assert reads[-1] == "b.txt"
    cache.clear()  # the index changed
    cache("a.txt")
    assert reads.count("a.txt") == 2
