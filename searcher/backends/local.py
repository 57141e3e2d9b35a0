"""The local backend: an index folder of Whoosh generations (:mod:`searcher.index.store`).

The syllable fields' postings are read from the codec's arrays
(:mod:`searcher.index.codec`), one part per Whoosh segment, for the commit the
Whoosh searcher in use is on; stored paragraphs are Whoosh's stored fields.
A rebuild swaps the generation and an update adds a commit: :meth:`LocalBackend.refresh`
notices both, and what was worked out for the old state goes with it.

>>> backend = LocalBackend(IndexLocation("index"))          # doctest: +SKIP
>>> backend.known("folded", "ngoai", as_prefix=False)       # doctest: +SKIP
True
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whoosh.query import Query

from searcher.backends.base import View, Wanted
from searcher.errors import IndexUnusable
from searcher.index import whoosh_patches
from searcher.index.codec import segment_arrays
from searcher.index.schema import KIND_FILE, KIND_PARAGRAPH, NO_PID
from searcher.index.store import Generation, IndexLocation
from searcher.search import matching
from searcher.search.bestmatch import BestMatchIndex, Part, term_key

if TYPE_CHECKING:
    from searcher.documents.filters import PathFilter

__all__ = ["LocalBackend", "read_postings"]

CHECK_EVERY = 0.25  # seconds between two looks at the index folder (a stat)
SCOPES_KEPT = 16  # scope masks remembered per index state


def read_postings(reader: Any) -> BestMatchIndex:
    """The syllable fields of every segment a Whoosh reader reads, opened for scoring."""
    import numpy as np

    order = whoosh_patches.numeric_column(reader, "pid", NO_PID)
    # Which docnums are live paragraphs (what a search may return, and what BM25 counts).
    paragraphs = order != NO_PID
    parts: list[Part] = []
    for leaf, offset in reader.leaf_readers():
        arrays = segment_arrays(leaf)
        if arrays is None:
            raise IndexUnusable(
                "the index was not written by this searcher's codec; rebuild it with: search-index --full"
            )
        count = leaf.doc_count_all()
        dead = np.asarray(sorted(leaf.deleted_docs_set) if leaf.has_deletions() else [], dtype=np.int64)
        paragraphs[offset + dead] = False
        parts.append(Part(arrays.fields, arrays.lengths, offset, count, dead))
    return BestMatchIndex(parts, order, paragraphs)


class LocalBackend:
    """An index folder, read through Whoosh.  The engine holds its lock around every call."""

    def __init__(self, location: IndexLocation) -> None:
        self.location = location
        self._generation: Generation | None = None
        self._ix: Any = None
        self._searcher: Any = None
        self._stamp: Any = None
        self._checked = 0.0
        self.version = 0
        # Worked out for the searcher in use, and dropped with it (see _use).
        self._completions: dict[tuple[str, str], Query | None] = {}
        self._postings: BestMatchIndex | None = None
        self._source: TermSource | None = None
        self._scopes: dict[PathFilter, Any] = {}
        self._open()

    # -- lifecycle -------------------------------------------------------

    def _open(self) -> None:
        last_error: Exception | None = None
        for _attempt in range(5):
            stamp = self.location.current_stamp()
            generation = self.location.current()
            try:
                ix = generation.open()
                searcher = ix.searcher()
            except IndexUnusable as exc:
                # The generation may have been swapped out between reading
                # CURRENT and opening it: read CURRENT again and retry.
                last_error = exc
                if self.location.current_stamp() != stamp:
                    continue
                raise
            except OSError as exc:
                last_error = exc
                time.sleep(0.05)
                continue
            self.close()
            self._generation, self._ix, self._stamp = generation, ix, stamp
            self._use(searcher)
            self._checked = time.monotonic()
            return
        raise IndexUnusable(f"index at {self.location.root} could not be opened: {last_error}")

    def _use(self, searcher: Any) -> None:
        """Read the index through ``searcher`` from now on; what was worked out for the previous
        one (completions, postings, scopes, did-you-mean's source) goes with it."""
        self._searcher = searcher
        self._completions = {}
        self._postings = self._source = None
        self._scopes = {}
        self.version += 1

    def close(self) -> None:
        """Release the open files."""
        for opened in (self._searcher, self._ix):
            if opened is not None:
                try:
                    opened.close()
                except Exception:  # closing what may already be gone
                    pass
        self._searcher = self._ix = None

    def refresh(self, force: bool = False) -> bool:
        """Pick up a rebuilt or updated index (a ``stat`` at most every :data:`CHECK_EVERY` s, unless ``force``)."""
        now = time.monotonic()
        if not force and now - self._checked < CHECK_EVERY and self._searcher is not None:
            return False
        self._checked = now
        if self._searcher is None or self.location.current_stamp() != self._stamp:
            self._open()
            return True
        try:
            if not self._searcher.up_to_date():
                self._use(self._searcher.refresh())
                return True
        except Exception:  # a commit being written: open afresh
            self._open()
            return True
        return False

    def recover(self, exc: BaseException) -> bool:
        """Reopen when a rebuild swapped the index out from under a search; else say it looks damaged."""
        try:
            changed = self.location.current_stamp() != self._stamp
            if changed:
                self._open()
        except Exception:  # the reopening failed too: report the first error
            changed = False
        if not changed:
            raise IndexUnusable(
                f"index at {self.location.root} looks damaged ({type(exc).__name__}); "
                "rebuild it with: search-index --full"
            ) from None
        return True

    # -- facts about the index -----------------------------------------

    @property
    def corpus(self) -> Path:
        """The corpus folder this index was built from."""
        return Path(self.generation.meta.get("corpus", "."))

    @property
    def generation(self) -> Generation:
        """The generation (a complete index) in use."""
        assert self._generation is not None
        return self._generation

    def stats(self) -> dict[str, Any]:
        """Paragraph and file counts (``files`` with text, ``skipped`` files that have none),
        size on disk (bytes) and build time of the index."""
        searcher = self._searcher
        records = [searcher.stored_fields(d).get("info") or {} for d in searcher.document_numbers(kind=KIND_FILE)]
        skipped = sum(1 for info in records if info.get("skipped"))
        return {
            "paragraphs": searcher.doc_count() - len(records),
            # Counted as search-index counts them: files with text; the skipped ones apart.
            "files": len(records) - skipped,
            "skipped": skipped,
            "bytes": self.generation.size(),
            "built": self.generation.updated(),
            "generation": self.generation.name,
            "corpus": str(self.corpus),
        }

    def document(self, path: str) -> list[dict[str, Any]]:
        """The stored fields of every paragraph of ``path``, in order."""
        rows = [fields for fields in self._searcher.documents(path=path) if fields.get("kind") == KIND_PARAGRAPH]
        rows.sort(key=lambda f: f["ordinal"])
        return rows

    # -- what searches read ----------------------------------------------

    def postings(self) -> BestMatchIndex:
        """The syllable fields' postings of the commit the searcher reads (opened once per searcher)."""
        if self._postings is None:
            self._postings = read_postings(self._searcher.reader())
        return self._postings

    def known(self, fieldname: str, term: str, as_prefix: bool) -> bool:
        """Whether some paragraph has ``term`` in ``fieldname`` (or, ``as_prefix``, a term starting with it)."""
        key = term_key(fieldname, term)
        postings = self.postings()
        return postings.has_prefix(key) if as_prefix else postings.document_frequency(key) > 0

    def completions(self, fieldname: str, prefix: str) -> Query | None:
        """An Or of the most frequent terms starting with ``prefix`` (None if there are none).

        Cached until the index changes: a short prefix has thousands of completions to rank.
        """
        key = (fieldname, prefix)
        if key not in self._completions:
            if len(self._completions) > 5000:
                self._completions.clear()
            self._completions[key] = matching.completion_query(self.postings(), fieldname, prefix)
        return self._completions[key]

    def warm(self) -> None:
        """Work out the completions of every one- and two-letter prefix (the first keystrokes')."""
        postings, known = self.postings(), self._completions
        for length in (1, 2):
            for prefix in postings.prefixes(length):
                if ("folded", prefix) not in known:
                    known["folded", prefix] = matching.completion_query(postings, "folded", prefix)

    def view(self, wanted: Wanted, scope: PathFilter) -> View:
        """Every posting of the index: nothing in ``wanted`` needs fetching."""
        return View(self.postings(), self._searcher.stored_fields, self._allowed(scope), lasting=True)

    def _allowed(self, scope: PathFilter) -> Any:
        """The paragraphs a search with ``scope`` may return, as a boolean array indexed by docnum
        (None when the scope keeps everything); worked out once per scope and index state.

        The files are chosen by their paths (the file records); their paragraphs are found
        through the ``path`` terms of whichever side, kept or left out, has fewer paragraphs.
        """
        if not scope.active:
            return None
        mask = self._scopes.get(scope)
        if mask is not None:
            return mask
        import numpy as np

        searcher = self._searcher
        files = [searcher.stored_fields(d) for d in searcher.document_numbers(kind=KIND_FILE)]
        sizes = {f.get("path", ""): int((f.get("info") or {}).get("paragraphs") or 0) + 1 for f in files}
        kept = [p for p in sizes if scope(p)]
        # Reading a path's postings costs per paragraph: read the side with fewer.
        keep_side = sum(sizes[p] for p in kept) * 2 <= sum(sizes.values())
        side = kept if keep_side else [p for p in sizes if not scope(p)]
        docs = np.zeros(searcher.reader().doc_count_all(), dtype=bool)
        for path in side:
            for docnum in searcher.document_numbers(path=path):
                docs[docnum] = True
        mask = docs if keep_side else ~docs
        if len(self._scopes) > SCOPES_KEPT:
            self._scopes.clear()
        self._scopes[scope] = mask
        return mask

    def term_source(self) -> TermSource:
        """What did-you-mean reads: term statistics and stored paragraphs (one object per index state,
        so that :mod:`searcher.vietnamese.accents` can keep its counts for it)."""
        if self._source is None:
            self._source = TermSource(self._searcher, self.postings())
        return self._source


class TermSource:
    """Whoosh's ``doc_frequency``, ``docs_for_query``, ``stored_fields`` and ``doc_count``, answered
    from the term postings and the stored paragraphs (what :mod:`searcher.vietnamese.accents` reads)."""

    def __init__(self, searcher: Any, terms: BestMatchIndex) -> None:
        self.searcher, self.terms = searcher, terms

    def doc_frequency(self, fieldname: str, text: str) -> int:
        """In how many paragraphs ``text`` occurs in ``fieldname``."""
        return self.terms.document_frequency(term_key(fieldname, text))

    def has_prefix(self, fieldname: str, text: str) -> bool:
        """Whether some term of ``fieldname`` starts with ``text`` (one look at the sorted vocabulary)."""
        return self.terms.has_prefix(term_key(fieldname, text))

    def doc_count(self) -> int:
        """How many live paragraphs the index holds."""
        return self.terms.live

    def docs_for_query(self, query: Query) -> Iterable[int]:
        """The docnums of the paragraphs that match ``query``, in the folder's order."""
        import numpy as np

        found = matching.evaluate(self.terms, query).docnums
        found = found[np.argsort(self.terms.order[found], kind="stable")]
        live = self.terms.paragraphs
        # A few at a time: did-you-mean reads the first fifty of a pair that may have 100,000.
        for start in range(0, len(found), 64):
            for candidate in found[start : start + 64].tolist():
                if live[candidate]:
                    yield candidate

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        """The stored fields of paragraph ``docnum``."""
        return dict(self.searcher.stored_fields(docnum))
