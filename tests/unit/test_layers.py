"""The import structure: import-linter's contracts hold, and no module cycle exists in labkit.

The contracts (pyproject.toml) keep the layers one way, the pure core free of boto3 and
widgets, and the emulator's server side private to the emulator. The cycle check uses
grimp (import-linter's graph), which also sees imports inside functions and under
``if TYPE_CHECKING:``, so no cycle can hide there.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept() -> None:
    tool = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run([tool], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    for contract in ("Layers: cli -> lab", "Only the emulator imports the emulator's server"):
        assert contract in result.stdout


def import_cycles() -> list[list[str]]:
    """Every group of labkit modules that import one another (Tarjan's strongly connected
    components of grimp's graph, function-level and type-checking imports included)."""
    graph = grimp.build_graph("labkit", exclude_type_checking_imports=False)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        imported = graph.find_modules_directly_imported_by(module)
        for other in imported:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                group.append(other)
                if other == module:
                    break
            if len(group) > 1 or module in imported:
                cycles.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return cycles


def test_no_import_cycle_anywhere_in_labkit() -> None:
    """Function-level and type-checking imports count (insights' cache <-> files was one)."""
    assert import_cycles() == []
