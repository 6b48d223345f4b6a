"""Benchmark: the whole `make run` workload, and the emulator's cold start.

Both are timed against baselines measured in the same run:
- the workload against N papermill runs of an empty notebook (the kernel-start floor),
  target ratio <= 3;
- `labkit emulator start` to the first EC2 answer, against moto's own server cold start to
  its first EC2 answer, target ratio <= 1.5.

Run: `python -m benchmarks.workbook [--repeat 3]`. Results: benchmarks/results/workbook.json.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import nbformat

from labkit.cli import report
from labkit.emulator import control

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "benchmarks" / "results"


def _ec2(url: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        "ec2",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _first_ec2_answer(url: str, deadline: float) -> None:
    client = _ec2(url)
    while True:
        try:
            client.describe_vpcs()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def labkit_cold_start() -> float:
    """Seconds from `labkit emulator start` to the first EC2 answer."""
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, LABKIT_HOME=home)
        started = time.monotonic()
        out = subprocess.run(
            [sys.executable, "-m", "labkit", "emulator", "start"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        _first_ec2_answer(out.strip().splitlines()[-1], started + 60)
        elapsed = time.monotonic() - started
        control.stop(Path(home))
    return elapsed


def moto_cold_start() -> float:
    """Seconds from spawning moto's own server to its first EC2 answer."""
    port = _free_port()
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _first_ec2_answer(f"http://127.0.0.1:{port}", started + 60)
        return time.monotonic() - started
    finally:
        proc.terminate()
        proc.wait()


def workload(out: Path) -> tuple[float, bool]:
    """Seconds for the `make run` workload (fresh emulator, every notebook in order)."""
    started = time.monotonic()
    result = report.run_all(report.notebooks_in(REPO / "notebooks"), out, {})
    return time.monotonic() - started, result.ok


def empty_notebooks(out: Path, n: int) -> float:
    """Seconds for n papermill runs of an empty notebook: the kernel-start floor.

    Run the same way as the workload's notebooks (report.run_notebook), after one warm-up
    run that is not counted (the first kernel of a process pays for one-off caches).
    """
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("pass")]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = out / "empty.ipynb"
    nbformat.write(nb, str(path))
    (out / "empty-runs").mkdir(exist_ok=True)
    report.run_notebook(path, out / "empty-runs", {}, cwd=out)
    started = time.monotonic()
    for _ in range(n):
        report.run_notebook(path, out / "empty-runs", {}, cwd=out)
    return time.monotonic() - started


def main() -> int:
    """Run both benchmarks and print and save the figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.workbook")
    parser.add_argument("--repeat", type=int, default=3, help="cold-start repetitions")
    args = parser.parse_args()
    n = len(report.notebooks_in(REPO / "notebooks"))
    with tempfile.TemporaryDirectory() as tmp:
        floor = empty_notebooks(Path(tmp), n)
        work, ok = workload(Path(tmp) / "build")
    ours = [labkit_cold_start() for _ in range(args.repeat)]
    moto = [moto_cold_start() for _ in range(args.repeat)]
    figures = {
        "notebooks": n,
        "workload_s": round(work, 2),
        "workload_ok": ok,
        "empty_notebooks_s": round(floor, 2),
        "workload_ratio": round(work / floor, 2),
        "workload_target": 3.0,
        "labkit_cold_start_s": round(statistics.median(ours), 3),
        "moto_cold_start_s": round(statistics.median(moto), 3),
        "cold_start_ratio": round(statistics.median(ours) / statistics.median(moto), 2),
        "cold_start_target": 1.5,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "workbook.json").write_text(json.dumps(figures, indent=2))
    print(
        f"workload: {work:.1f} s for {n} notebooks vs {floor:.1f} s for {n} empty ones "
        f"→ ratio {figures['workload_ratio']} (target ≤ 3)"
    )
    print(
        f"cold start to first EC2 answer: labkit {figures['labkit_cold_start_s']} s vs moto "
        f"{figures['moto_cold_start_s']} s → ratio {figures['cold_start_ratio']} (target ≤ 1.5)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
