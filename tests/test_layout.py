"""The package's layout shows the pipeline: no import cycle, no module over 600 lines, no stray flat module.

Read from the source with ``ast`` (nothing is imported), like the Textual-import
checks of test_imports.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "searcher"
MAX_LINES = 600
# The only modules at the top of the package: the public API and what every layer shares.
FLAT_MODULES = {"__init__.py", "errors.py", "engine.py", "building.py"}


def modules() -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its own name)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _under_type_checking(tree: ast.AST) -> set[int]:
    """The ids of the nodes inside ``if TYPE_CHECKING:`` blocks (imports for annotations only)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.body:
                skip.update(id(inner) for inner in ast.walk(statement))
    return skip


def import_graph() -> dict[str, set[str]]:
    """module → the package's modules it imports, at module level or inside functions alike
    (a lazy import is still a dependency), but not under ``if TYPE_CHECKING:``."""
    known = modules()
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        tree = ast.parse(path.read_text("utf-8"), str(path))
        skip = _under_type_checking(tree)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from . import x, from ..y import z
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                # "from a.b import c" imports a.b, and a.b.c when c is a module
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            graph[name].update(t for t in targets if t in known and t != name)
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))
    return cycles


def test_the_cycle_finder_finds_a_cycle_and_only_cycles() -> None:
    # The checks below pass when nothing is found: make sure the finder can find.
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e2"}, "e2": set()}
    assert import_cycles(graph) == [["a", "b", "c"]]


def test_the_graph_sees_lazy_imports_but_not_type_checking_ones() -> None:
    graph = import_graph()
    assert "searcher.documents.formats" in graph["searcher.documents.corpus"]  # inside indexed_suffixes()
    assert "searcher.index.feed" not in graph["searcher.building"]  # only under TYPE_CHECKING


def test_no_import_cycle_inside_the_package() -> None:
    cycles = import_cycles(import_graph())
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(cycle) for cycle in cycles)


def test_no_module_over_600_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path in modules().values()
        if (lines := len(path.read_text("utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines (split them along a seam): {long}"


def test_the_top_of_the_package_holds_only_the_api_and_what_every_layer_shares() -> None:
    # Everything else lives in the subpackage of its stage: vietnamese, documents, index, search,
    # backends, cli, tui.
    flat = {path.name for path in PACKAGE.glob("*.py")} - FLAT_MODULES
    assert not flat, f"flat modules in searcher/ (move each into the subpackage of its layer): {sorted(flat)}"
