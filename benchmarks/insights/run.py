"""Time the Logs Insights engine on generated flow logs, against DuckDB SQL and Polars.

For each file size and query, each method runs in its own fresh process (so peak memory
is that method's alone), ``--repeat`` times, and the median is kept:

- ``ours-cold``: labkit.insights with an empty cache (reads the text, writes the column
  group it needs to the Parquet cache, answers from it);
- ``ours-repeat``: the same query again, the file unchanged (answers from the cache);
- ``duckdb``: hand-written SQL over ``read_csv``; ``polars``: a lazy ``scan_csv`` plan.

Targets: ours-cold <= 1.2x duckdb, ours-repeat >= 3x faster than ours-cold, ours-cold
peak memory <= 1.5x duckdb's. Run ``python -m benchmarks.insights [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.insights.generate import generate

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("ours-cold", "ours-repeat", "duckdb", "polars")
QUERIES = ("lab", "reject", "bin5m")


def _measure(method: str, query: str, path: Path, cache: Path) -> dict[str, Any]:
    worker_method = "ours" if method.startswith("ours") else method
    if method == "ours-cold":
        shutil.rmtree(cache, ignore_errors=True)
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.insights.worker", worker_method, query, str(path),
         str(cache)], cwd=ROOT, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _key(rows: list[Any], query: str) -> list[Any]:
    """What must agree between methods (tied counts may list different groups)."""
    if query == "reject":
        return [r[-1] for r in rows]
    return [[str(v) if v is not None else None for v in r] for r in rows]


def main(argv: list[str] | None = None) -> int:
    """Generate data, measure every method, print a table and write results JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.insights")
    parser.add_argument("--quick", action="store_true", help="1e5 lines only (seconds, for CI)")
    parser.add_argument("--sizes", type=lambda s: [int(float(x)) for x in s.split(",")],
                        default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = [100_000] if args.quick else args.sizes
    data, results_dir = ROOT / "benchmarks" / "data", ROOT / "benchmarks" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                              "machine": platform.platform(), "python": sys.version.split()[0],
                              "repeat": args.repeat, "runs": []}
    print(f"{'lines':>10} {'query':7} " + " ".join(f"{m:>18}" for m in METHODS)
          + "   cold/duckdb  cold/repeat  mem cold/duckdb")
    ok = True
    for size in sizes:
        path = generate(data / f"flows-{size}.log", size)
        cache = data / "cache"
        for query in QUERIES:
            samples: dict[str, list[dict[str, Any]]] = {m: [] for m in METHODS}
            for _ in range(args.repeat):
                for method in METHODS:
                    samples[method].append(_measure(method, query, path, cache))
            median = {m: statistics.median(s["seconds"] for s in samples[m]) for m in METHODS}
            peak = {m: max(s["peak_mb"] for s in samples[m]) for m in METHODS}
            keys = {m: _key(samples[m][0]["rows"], query) for m in METHODS}
            agree = all(keys[m] == keys["duckdb"] for m in ("ours-cold", "ours-repeat"))
            ratios = {"cold_vs_duckdb": median["ours-cold"] / median["duckdb"],
                      "cold_vs_repeat": median["ours-cold"] / median["ours-repeat"],
                      "mem_cold_vs_duckdb": peak["ours-cold"] / peak["duckdb"]}
            met = (ratios["cold_vs_duckdb"] <= 1.2 and ratios["cold_vs_repeat"] >= 3
                   and ratios["mem_cold_vs_duckdb"] <= 1.5)
            ok = ok and agree
            print(f"{size:>10,} {query:7} " + " ".join(
                f"{median[m]:>8.3f}s {peak[m]:>6.0f}MB" for m in METHODS)
                + f"   {ratios['cold_vs_duckdb']:>10.2f}x {ratios['cold_vs_repeat']:>10.1f}x"
                f" {ratios['mem_cold_vs_duckdb']:>13.2f}x" + ("" if met else "  (target missed)")
                + ("" if agree else "  RESULTS DIFFER"))
            report["runs"].append({"lines": size, "query": query, "median_seconds": median,
                                   "peak_mb": peak, "ratios": ratios, "targets_met": met,
                                   "results_agree": agree,
                                   "samples": {m: [s["seconds"] for s in samples[m]]
                                               for m in METHODS}})
    out = results_dir / f"insights-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"results: {out}")
    return 0 if ok else 1
