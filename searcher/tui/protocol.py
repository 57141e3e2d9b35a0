"""What the live search needs from an engine: one typed definition for the real
:class:`searcher.engine.Engine` and the test fakes.  No Textual here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from searcher.search.results import Hit, SearchResult

__all__ = ["SearchEngine"]


@runtime_checkable
class SearchEngine(Protocol):
    """The engine as the TUI uses it (see :class:`searcher.engine.Engine` for the meaning)."""

    @property
    def version(self) -> int: ...

    @property
    def corpus(self) -> Path: ...

    def refresh(self, force: bool = False) -> bool: ...

    def search(
        self,
        query: str,
        limit: int = ...,
        *,
        prefix: bool = ...,
        budget: float | None = ...,
        cancelled: Callable[[], bool] | None = ...,
        under: str = ...,
        globs: Sequence[str] = ...,
        types: Sequence[str] = ...,
        types_not: Sequence[str] = ...,
    ) -> SearchResult: ...

    def document(self, path: str) -> list[Hit]: ...

    def stats(self) -> dict[str, Any]: ...

    def warm(self) -> None: ...

    def close(self) -> None: ...
