"""searcher: full-text search for folders of Vietnamese documents.

>>> from searcher import Engine                       # doctest: +SKIP
>>> engine = Engine.open("index")                     # doctest: +SKIP
>>> for hit in engine.search("ngoại giao kinh tế"):   # doctest: +SKIP
...     print(hit.path, hit.line, hit.text[:60])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Engine", "Hit", "SearchResult", "build_index", "ensure_index", "__version__"]

if TYPE_CHECKING:
    from searcher.index.build import build_index, ensure_index
    from searcher.search.engine import Engine, Hit, SearchResult


def __getattr__(name: str) -> Any:
    # Lazy, so that importing a light module (searcher.vietnamese.text) does not load Whoosh.
    if name in ("Engine", "Hit", "SearchResult"):
        from searcher.search import engine

        return getattr(engine, name)
    if name in ("build_index", "ensure_index"):
        from searcher.index import build as indexer

        return getattr(indexer, name)
    raise AttributeError(f"module 'searcher' has no attribute {name!r}")
