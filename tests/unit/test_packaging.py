"""The project's own files install everything: environment.yml matches pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# conda-forge spells a few packages differently from PyPI.
CONDA_TO_PYPI = {"python-duckdb": "duckdb"}
NOT_PACKAGES = {"python", "pip"}


def _name_and_spec(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)$", requirement)
    assert match, requirement
    return match.group(1).lower(), (match.group(2) or "") + match.group(3).replace(" ", "")


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["test"]
    return dict(_name_and_spec(r) for r in reqs)


def _environment() -> dict[str, str]:
    found: dict[str, str] = {}
    text = (REPO / "environment.yml").read_text()
    for line in text.split("\ndependencies:", 1)[1].splitlines():
        item = re.match(r"^\s+-\s+(?!-e\b)([^#:]+?)\s*$", line)
        if not item:
            continue
        name, spec = _name_and_spec(item.group(1))
        name = CONDA_TO_PYPI.get(name, name)
        if name not in NOT_PACKAGES:
            found[name] = spec
    return found


def test_environment_yml_lists_the_same_packages_and_versions_as_pyproject() -> None:
    assert _environment() == _pyproject()


def test_environment_yml_installs_the_project_itself() -> None:
    assert "- -e ." in (REPO / "environment.yml").read_text()


def test_console_script_and_module_entry_point() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["labkit"] == "labkit.cli:main"
    assert (REPO / "labkit" / "__main__.py").exists()
