"""Every notebook, headless with papermill on a fresh emulator: in order, and each alone.

Then nbval in lax mode compares the check cells with the outputs stored in the notebooks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from labkit import report
from labkit.emulator import control

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = report.notebooks_in(REPO / "notebooks")
pytestmark = pytest.mark.notebooks


def stored_checks(path: Path) -> tuple[str, ...]:
    """The check lines stored in the source notebook (what a green run must print)."""
    return report.check_lines(json.loads(path.read_text()))[0]


def check_cells(path: Path) -> int:
    cells = json.loads(path.read_text())["cells"]
    return sum(report.CHECK_TAG in c.get("metadata", {}).get("tags", []) for c in cells)


@pytest.fixture(scope="module")
def in_order(tmp_path_factory: pytest.TempPathFactory) -> report.RunReport:
    out = tmp_path_factory.mktemp("run-in-order")
    return report.run_all(NOTEBOOKS, out, {})


def test_notebooks_run_in_order_and_every_check_passes(in_order: report.RunReport) -> None:
    assert [r.name for r in in_order.runs] == [p.stem for p in NOTEBOOKS]
    for path, run in zip(NOTEBOOKS, in_order.runs, strict=True):
        assert run.ok, f"{run.name}: {run.error}"
        assert len(run.checks) == check_cells(path), f"{run.name} printed {run.checks}"
        assert run.checks == stored_checks(path)


def test_run_writes_executed_notebooks_and_an_html_report(in_order: report.RunReport) -> None:
    for run in in_order.runs:
        assert run.output.exists() and run.html is not None and run.html.exists()
    index = in_order.runs[0].output.parent.parent / "report.html"
    page = index.read_text()
    assert f"{len(NOTEBOOKS)} of {len(NOTEBOOKS)} notebooks passed" in page
    assert all(run.name in page for run in in_order.runs)


def test_no_secret_in_any_output(in_order: report.RunReport) -> None:
    for run in in_order.runs:
        text = run.output.read_text()
        assert "AKIA" not in text and "aws_secret_access_key" not in text.lower()
        assert '"testing"' not in text  # not even the emulator's dummy credentials


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_each_notebook_runs_alone_on_a_fresh_emulator(notebook: Path, tmp_path: Path) -> None:
    result = report.run_all([notebook], tmp_path, {})
    (run,) = result.runs
    assert run.ok, f"{run.name}: {run.error}"
    assert run.checks == stored_checks(notebook)


def test_nbval_lax_on_the_check_cells(tmp_path: Path) -> None:
    home = tmp_path / "home"
    control.start(seed=report.DEFAULT_SEED, home=home)
    try:
        env = dict(os.environ, LABKIT_HOME=str(home))
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--nbval-lax",
                "--nbval-current-env",
                "--nbval-sanitize-with",
                str(REPO / "tests" / "notebooks" / "sanitize.cfg"),
                *[str(p) for p in NOTEBOOKS],
            ],
            cwd=REPO / "notebooks",
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
        )
    finally:
        control.stop(home)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout
