"""What every build shares (searcher.index.feed): reading files into any writer, and the plan of an update.

The local index through Whoosh: test_indexer.py; the cluster's bulk writer: test_opensearch_backend.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from searcher.documents.corpus import iter_corpus_files
from searcher.index.feed import BuildSummary, PidCounter, feed, update_plan
from searcher.index.schema import KIND_FILE, KIND_PARAGRAPH


class RecordingWriter:
    """The writer methods a feed calls, recorded: what the cluster's bulk writer implements too."""

    def __init__(self) -> None:
        self.added: list[dict[str, Any]] = []
        self.deleted: list[str] = []

    def add_document(self, **fields: Any) -> None:
        self.added.append(fields)

    def delete_by_term(self, field: str, value: str) -> None:
        assert field == "path"
        self.deleted.append(value)

    def delete_by_query(self, query: Any) -> None:
        pass  # a file record refreshed in place; the record added next replaces it

    def records(self) -> dict[str, dict[str, Any]]:
        return {fields["path"]: fields["info"] for fields in self.added if fields["kind"] == KIND_FILE}

    def paragraphs(self) -> list[dict[str, Any]]:
        return [fields for fields in self.added if fields["kind"] == KIND_PARAGRAPH]


def folder_of(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("Ngoại giao\n\nKinh tế xanh và hợp tác.\n", encoding="utf-8")
    (folder / "sub" / "b.md").write_text("# Hòa bình\n\nHợp tác quốc tế lần đầu tiên.\n", encoding="utf-8")
    (folder / "rỗng.txt").write_text("\n\n", encoding="utf-8")
    return folder


def test_feed_writes_paragraphs_and_file_records_into_any_writer(tmp_path: Path) -> None:
    folder = folder_of(tmp_path)
    writer, summary = RecordingWriter(), BuildSummary()
    feed(writer, list(iter_corpus_files(folder)), {}, summary)
    paragraphs = writer.paragraphs()
    assert {p["path"] for p in paragraphs} == {"a.txt", "sub/b.md"}
    assert "Kinh tế xanh và hợp tác." in [p["text"] for p in paragraphs]
    # Numbered in the order read (the folder's order): the ties between equal scores follow it.
    assert [p["pid"] for p in paragraphs] == list(range(len(paragraphs)))
    records = writer.records()
    assert set(records) == {"a.txt", "rỗng.txt", "sub/b.md"}  # a file record for a skipped file too
    assert records["rỗng.txt"]["skipped"] == "empty file (no text)"
    assert (summary.added, summary.paragraphs, summary.files) == (2, len(paragraphs), 2)
    assert summary.skipped == [{"path": "rỗng.txt", "reason": "empty file (no text)"}]


def test_feed_numbers_paragraphs_on_from_the_counter_it_is_given(tmp_path: Path) -> None:
    folder = folder_of(tmp_path)
    writer = RecordingWriter()
    feed(writer, list(iter_corpus_files(folder)), {}, BuildSummary(), pids=PidCounter(1000))
    assert writer.paragraphs()[0]["pid"] == 1000


def test_update_plan_redoes_changed_and_new_files_and_names_the_ones_gone(tmp_path: Path) -> None:
    folder = folder_of(tmp_path)
    writer = RecordingWriter()
    feed(writer, list(iter_corpus_files(folder)), {}, BuildSummary())
    records = writer.records()
    (folder / "sub" / "b.md").unlink()
    (folder / "c.txt").write_text("Tài liệu mới\n\nMột đoạn mới.\n", encoding="utf-8")
    changed = folder / "a.txt"
    changed.write_text("Ngoại giao\n\nKinh tế xanh, sửa lại.\n", encoding="utf-8")
    st = changed.stat()
    os.utime(changed, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    summary = BuildSummary()
    jobs, removed = update_plan(records, list(iter_corpus_files(folder)), summary)
    assert [job.path for job in jobs] == ["a.txt", "c.txt"]
    assert removed == ["sub/b.md"]
    # The empty file is as it was: counted as skipped again, with its reason, not redone.
    assert summary.skipped == [{"path": "rỗng.txt", "reason": "empty file (no text)", "unchanged": "yes"}]
    assert summary.unchanged == 0
