"""Benchmark: is ``labkit run`` slower than it was at an earlier commit?

Both trees run the same workload, in the same run, on the same machine and virtualenv:
``labkit run`` on the notebooks that both have (Lab 1's five, against the default
baseline), each on its own fresh emulator, as ``make run`` does. The rounds alternate
which tree goes first, so a machine that speeds up or slows down during the run does not
favour one of them. The figure is the ratio of the median wall-clock times; the target is
at most 1.0 (no slower).

The default baseline, 10b40c6, is the last commit before the restructure of issue 7
(layers, echo, re-runnable setup cells), which asked that ``make run`` be no slower.

Run: ``python -m benchmarks.baseline [--baseline REV] [--rounds 5]``.
Results: benchmarks/results/baseline.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "benchmarks" / "results"
DEFAULT_BASELINE = "10b40c6"
LINE = re.compile(r"^(ok|FAIL)\s+(\S+) \(([\d.]+) s\)")


def export(rev: str, into: Path) -> Path:
    """The tree of ``rev`` (its committed files only), unpacked under ``into``."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", "--format=tar", rev],
            capture_output=True,
            check=True,
        ).stdout
    except subprocess.CalledProcessError as err:
        sys.exit(f"cannot read commit {rev}: {err.stderr.decode().strip()} (a full clone needed)")
    tree = into / rev
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(tree, filter="data")
    return tree


def lab_notebooks(*trees: Path) -> list[str]:
    """The notebook names every tree has, in run order."""
    names = [{p.name for p in (t / "notebooks").glob("[0-9][0-9]-*.ipynb")} for t in trees]
    return sorted(set.intersection(*names))


def one_run(tree: Path, notebooks: list[str], out: Path) -> tuple[float, dict[str, float]]:
    """Wall-clock seconds of ``labkit run`` in ``tree``, and each notebook's own seconds."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    env.pop("LABKIT_HOME", None)
    cmd = [sys.executable, "-m", "labkit", "run", "--out", str(out)]
    started = time.monotonic()
    done = subprocess.run(
        cmd + [f"notebooks/{n}" for n in notebooks],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.monotonic() - started
    lines = [LINE.match(line) for line in done.stdout.splitlines()]
    per_notebook = {m.group(2): float(m.group(3)) for m in lines if m}
    if done.returncode != 0 or len(per_notebook) != len(notebooks):
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        sys.exit(f"labkit run failed in {tree}:\n" + "\n".join(tail))
    return seconds, per_notebook


def main() -> int:
    """Time both trees, print the medians and their ratio, and save them."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.baseline")
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="the commit to compare to")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each tree")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"baseline": export(args.baseline, Path(tmp)), "current": REPO}
        notebooks = lab_notebooks(*trees.values())
        print(f"{len(notebooks)} notebooks ({', '.join(notebooks)}), {args.rounds} rounds each")
        runs: dict[str, list[tuple[float, dict[str, float]]]] = {name: [] for name in trees}
        for i in range(args.rounds):
            order = list(trees) if i % 2 == 0 else list(reversed(trees))
            for name in order:
                seconds, per = one_run(trees[name], notebooks, Path(tmp) / f"out-{name}")
                runs[name].append((seconds, per))
                print(f"  round {i + 1}: {name:8} {seconds:5.1f} s", flush=True)
    median = {name: statistics.median(s for s, _ in r) for name, r in runs.items()}
    per_notebook = {
        name: {nb: round(statistics.median(p[nb] for _, p in r), 2) for nb in r[0][1]}
        for name, r in runs.items()
    }
    ratio = median["current"] / median["baseline"]
    figures = {
        "baseline": args.baseline,
        "notebooks": notebooks,
        "rounds": args.rounds,
        "baseline_median_s": round(median["baseline"], 2),
        "current_median_s": round(median["current"], 2),
        "ratio": round(ratio, 3),
        "target": 1.0,
        "per_notebook_median_s": per_notebook,
        "all_runs_s": {name: [round(s, 2) for s, _ in r] for name, r in runs.items()},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "baseline.json").write_text(json.dumps(figures, indent=2))
    for nb in notebooks:
        stem = nb.removesuffix(".ipynb")
        print(
            f"  {stem:28} {per_notebook['baseline'][stem]:5.2f} s → "
            f"{per_notebook['current'][stem]:5.2f} s"
        )
    verdict = "no slower" if ratio <= 1.0 else "SLOWER"
    print(
        f"labkit run: {median['current']:.1f} s now vs {median['baseline']:.1f} s at "
        f"{args.baseline} (medians) → ratio {ratio:.3f} (target ≤ 1.0): {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
