"""Issue 7 §3: no import cycle inside labkit.insights, counting imports inside functions."""

from __future__ import annotations

import grimp


def _cycle(graph: grimp.ImportGraph, modules: set[str]) -> list[str] | None:
    """One import cycle among ``modules`` (as a path), or None."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return path[path.index(module) :] + [module]
        if module in done:
            return None
        for imported in sorted(graph.find_modules_directly_imported_by(module) & modules):
            found = visit(imported, [*path, module])
            if found:
                return found
        done.add(module)
        return None

    for module in sorted(modules):
        found = visit(module, [])
        if found:
            return found
    return None


def test_insights_has_no_import_cycle() -> None:
    """grimp reads every import statement, those inside functions too (cache ↔ files was one)."""
    graph = grimp.build_graph("labkit")
    modules = {m for m in graph.modules if m.startswith("labkit.insights")}
    assert "labkit.insights.cache" in modules
    assert _cycle(graph, modules) is None, " -> ".join(_cycle(graph, modules) or [])
