"""A second peer: Tantivy (the ``tantivy`` PyPI package) over the same paragraphs.

One document per paragraph: the text in ``body`` (not stored) and the row
number in ``row`` (stored), which maps back to ``(path, line)``.  ``body`` is
analysed by Tantivy's own chain: the ``simple`` tokenizer (runs of
alphanumeric characters), tokens over 40 bytes dropped, lower case, ASCII
folding (which also maps đ/Đ/Ð/ð to d).  Text and queries are NFC-normalized
first, because the tokenizer splits a word at a combining mark (NFD text).
Scoring is Tantivy's BM25 (k1 1.2, b 0.75).

A query is an OR of its words: the query text goes through the same analyser
and each resulting term becomes a ``should`` term query, so no query syntax
is ever parsed.
"""

from __future__ import annotations

import shutil
import time
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import tantivy

ANALYZER = "vi_fold"
HEAP_BYTES = 100_000_000


def analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", stored=False, tokenizer_name=ANALYZER)
    builder.add_integer_field("row", stored=True, indexed=False)
    return builder.build()


def build(rows: Iterable[tuple[str, str, int]], folder: Path) -> tuple[dict, list[tuple[str, int]]]:
    """Index ``(text, path, line)`` rows in a new index at ``folder``.

    Returns build facts (seconds, rows, bytes) and the row table ``[(path, line)]``.
    """
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    index = tantivy.Index(_schema(), path=str(folder))
    index.register_tokenizer(ANALYZER, analyzer())
    writer = index.writer(heap_size=HEAP_BYTES, num_threads=1)
    table: list[tuple[str, int]] = []
    for text, path, line in rows:
        writer.add_document(tantivy.Document(body=unicodedata.normalize("NFC", text), row=len(table)))
        table.append((path, line))
    writer.commit()
    writer.wait_merging_threads()
    seconds = time.perf_counter() - started
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    return {"seconds": seconds, "rows": len(table), "bytes": size}, table


class Peer:
    def __init__(self, folder: Path, table: list[tuple[str, int]]) -> None:
        self.index = tantivy.Index.open(str(folder))
        self.index.register_tokenizer(ANALYZER, analyzer())
        self.index.reload()
        self.searcher = self.index.searcher()
        self.analyzer = analyzer()
        self.schema = self.index.schema
        self.table = table

    def query(self, text: str) -> tantivy.Query | None:
        terms = self.analyzer.analyze(unicodedata.normalize("NFC", text))
        if not terms:
            return None
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "body", t)) for t in terms]
        )

    def search(self, text: str, limit: int = 10) -> list[tuple[str, int]]:
        query = self.query(text)
        if query is None:
            return []
        found = self.searcher.search(query, limit, count=False)
        return [self.table[self.searcher.doc(address)["row"][0]] for _, address in found.hits]

