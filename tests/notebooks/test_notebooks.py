"""Every notebook, headless with papermill on a fresh emulator: in order, and each alone.

Then nbval in lax mode compares the check cells with the outputs stored in the notebooks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from labkit.cli import report
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


@dataclass(frozen=True)
class CliRun:
    """`labkit run` as a user runs it (relative --out), and what it left in the folder."""

    result: subprocess.CompletedProcess[str]
    out: Path

    def executed(self, path: Path) -> Path:
        return self.out / "notebooks" / path.name


@pytest.fixture(scope="module")
def in_order(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    cwd = tmp_path_factory.mktemp("run-in-order")
    result = subprocess.run(
        [sys.executable, "-m", "labkit", "run", "--out", "build", *map(str, NOTEBOOKS)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1200,
        env=dict(os.environ, LABKIT_HOME=str(cwd / "home")),
    )
    return CliRun(result, cwd / "build")


def test_notebooks_run_in_order_and_every_check_passes(in_order: CliRun) -> None:
    assert in_order.result.returncode == 0, in_order.result.stdout + in_order.result.stderr
    lines = in_order.result.stdout.splitlines()
    for path in NOTEBOOKS:
        assert any(ln.startswith(f"ok   {path.stem} (") for ln in lines), lines
        executed = json.loads(in_order.executed(path).read_text())
        checks, error = report.check_lines(executed)
        assert error is None, f"{path.stem}: {error}"
        assert len(checks) == check_cells(path), f"{path.stem} printed {checks}"
        assert checks == stored_checks(path)
    assert lines[-1].startswith(f"{len(NOTEBOOKS)}/{len(NOTEBOOKS)} notebooks passed")


def test_run_writes_executed_notebooks_and_an_html_report(in_order: CliRun) -> None:
    for path in NOTEBOOKS:
        assert in_order.executed(path).exists()
        assert in_order.executed(path).with_suffix(".html").exists()
    page = (in_order.out / "report.html").read_text()
    assert f"{len(NOTEBOOKS)} of {len(NOTEBOOKS)} notebooks passed" in page
    assert all(path.stem in page for path in NOTEBOOKS)


def test_no_secret_in_any_output(in_order: CliRun) -> None:
    for path in NOTEBOOKS:
        text = in_order.executed(path).read_text()
        assert "AKIA" not in text and "aws_secret_access_key" not in text.lower()
        assert '"testing"' not in text  # not even the emulator's dummy credentials


def test_no_raw_aws_answer_is_dumped(in_order: CliRun) -> None:
    """A cell's AWS answer shows as the echo's summary, never as botocore's raw dict."""
    for path in NOTEBOOKS:
        cells = json.loads(in_order.executed(path).read_text())["cells"]
        for cell in cells:
            for out in cell.get("outputs", []):
                shown = "".join(out.get("text", "")) + "".join(
                    out.get("data", {}).get("text/plain", "")
                )
                assert "'ResponseMetadata'" not in shown, f"{path.stem}: {cell['source']}"


def test_a_failing_check_fails_the_run(tmp_path: Path) -> None:
    # labkit run refuses a bad -p value before running anything (tests/integration/
    # test_bad_inputs.py), so the bad value is the notebook's own default here.
    bad = tmp_path / "01-bad-parameter.ipynb"
    source = (REPO / "notebooks" / "01-lab1-build.ipynb").read_text()
    default = 'VPC_2_CIDR: str = \\"10.2.0.0/16\\"'
    assert default in source
    bad.write_text(source.replace(default, 'VPC_2_CIDR: str = \\"10.1.0.0/16\\"'))
    result = subprocess.run(
        [sys.executable, "-m", "labkit", "run", "--out", "build", str(bad)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, LABKIT_HOME=str(tmp_path / "home")),
    )
    assert result.returncode == 1
    assert "FAIL 01-bad-parameter" in result.stdout
    assert "VPC_2_CIDR 10.1.0.0/16 overlaps" in result.stdout or "overlaps" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("0/1 notebooks passed")


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
