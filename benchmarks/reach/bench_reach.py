"""Per-query reach time on Lab 1 vs the same topology with 10x (and 100x) more unrelated VPCs.

Reach indexes the topology by id, subnet, VPC and IP once, so a query should cost the same
however many unrelated VPCs the account holds. Target: 10x topology <= 1.5x the Lab 1 time.

    .venv/bin/python benchmarks/reach/bench_reach.py [--quick]

Prints a table and writes benchmarks/results/reach-<UTC timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from labkit.netsim import reach
from labkit.netsim.topologies import scaled

QUERIES = [  # (src, dst, protocol, port): reachable and blocked paths of Lab 1
    ("Instance 1", "10.2.0.10", "icmp", None),
    ("Instance 1", "54.2.0.10", "icmp", None),
    ("Instance 1", "Instance 2", "tcp", 22),
    ("Instance 1", "Instance 2", "tcp", 3306),
    ("203.0.113.12", "Instance 1", "tcp", 22),
    ("Instance 2", "8.8.8.8", "tcp", 443),
]
TARGET_RATIO = 1.5


def measure(extra_vpcs: int, repeats: int, rounds: int) -> dict[str, float | int]:
    """Median and best per-query time (µs) over ``rounds`` rounds of ``repeats`` x QUERIES."""
    topo, _ = scaled(extra_vpcs)
    first = time.perf_counter()
    reach(topo, *QUERIES[0])  # builds the indexes
    index_ms = (time.perf_counter() - first) * 1000
    per_query = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeats):
            for query in QUERIES:
                reach(topo, *query)
        per_query.append((time.perf_counter() - start) / (repeats * len(QUERIES)) * 1e6)
    return {
        "vpcs": len(topo.vpcs),
        "instances": len(topo.instances),
        "index_ms": round(index_ms, 3),
        "median_us": round(statistics.median(per_query), 2),
        "best_us": round(min(per_query), 2),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the numbers, write the JSON; exit 1 if over the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, for CI")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "results")
    args = parser.parse_args(argv)
    repeats, rounds = (20, 3) if args.quick else (200, 7)
    sizes = {"lab1": 0, "lab1_x10": 18, "lab1_x100": 198}
    results = {name: measure(extra, repeats, rounds) for name, extra in sizes.items()}
    base = float(results["lab1"]["median_us"])
    ratio = float(results["lab1_x10"]["median_us"]) / base
    print(
        f"{'topology':<11} {'VPCs':>5} {'instances':>9} {'index ms':>9} "
        f"{'median µs':>10} {'best µs':>8}"
    )
    for name, r in results.items():
        print(
            f"{name:<11} {r['vpcs']:>5} {r['instances']:>9} {r['index_ms']:>9} "
            f"{r['median_us']:>10} {r['best_us']:>8}"
        )
    print(
        f"ratio x10/lab1 = {ratio:.2f} (target <= {TARGET_RATIO}); "
        f"x100/lab1 = {float(results['lab1_x100']['median_us']) / base:.2f}"
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report = {
        "benchmark": "reach",
        "when": stamp,
        "quick": args.quick,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "queries": len(QUERIES),
        "repeats": repeats,
        "rounds": rounds,
        "results": results,
        "ratio_x10": round(ratio, 3),
        "target_ratio": TARGET_RATIO,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"reach-{stamp}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {path}")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
