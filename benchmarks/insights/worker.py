"""One timed measurement in a fresh process: ``python -m benchmarks.insights.worker ...``.

Prints one JSON line: the query's wall time (imports and interpreter start excluded),
the process's peak RSS, and the result rows (for the cross-check between methods).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any

NAMES = [
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
]
NUMERIC = {"version", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end"}

OURS = {
    "lab": "stats sum(bytes) as bytesTransferred by srcAddr, dstAddr "
    "| sort bytesTransferred desc | limit 10",
    "reject": "filter action = 'REJECT' | stats count(*) as rejects by srcAddr, dstPort "
    "| sort rejects desc | limit 10",
    "bin5m": "stats sum(bytes) by bin(5m)",
}
SQL = {
    "lab": "SELECT srcaddr, dstaddr, sum(bytes) AS b FROM {src} GROUP BY ALL "
    "ORDER BY b DESC NULLS LAST LIMIT 10",
    "reject": "SELECT srcaddr, dstport, count(*) AS n FROM {src} WHERE action = 'REJECT' "
    "GROUP BY ALL ORDER BY n DESC LIMIT 10",
    "bin5m": "SELECT strftime(time_bucket(INTERVAL 5 MINUTES, make_timestamp(start * 1000000)), "
    "'%Y-%m-%d %H:%M:%S.%g') AS t, sum(bytes) FROM {src} GROUP BY 1 ORDER BY 1",
}


def _duckdb(query: str, path: str) -> list[Any]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    types = ", ".join(f"'{n}': '{'BIGINT' if n in NUMERIC else 'VARCHAR'}'" for n in NAMES)
    src = (
        f"read_csv('{path}', delim=' ', header=false, columns={{{types}}}, nullstr='-', "
        "quote='', escape='', auto_detect=false)"
    )
    return [list(r) for r in con.execute(SQL[query].format(src=src)).fetchall()]


def _polars(query: str, path: str) -> list[Any]:
    import polars as pl

    schema = {n: (pl.Int64 if n in NUMERIC else pl.String) for n in NAMES}
    lf = pl.scan_csv(
        path, separator=" ", has_header=False, schema=schema, null_values="-", quote_char=None
    )
    if query == "lab":
        out = (
            lf.group_by(["srcaddr", "dstaddr"])
            .agg(pl.col("bytes").sum().alias("b"))
            .sort("b", descending=True, nulls_last=True)
            .head(10)
        )
    elif query == "reject":
        out = (
            lf.filter(pl.col("action") == "REJECT")
            .group_by(["srcaddr", "dstport"])
            .agg(pl.len().alias("n"))
            .sort("n", descending=True)
            .head(10)
        )
    else:
        out = (
            lf.with_columns(pl.from_epoch("start", time_unit="s").dt.truncate("5m").alias("t"))
            .group_by("t")
            .agg(pl.col("bytes").sum())
            .sort("t")
        )
    return [list(r) for r in out.collect().rows()]


def _ours(query: str, path: str, cache: str) -> list[Any]:
    from labkit import insights

    return [
        list(r)
        for r in insights.run(OURS[query], insights.FileSource([path], cache_dir=cache)).rows
    ]


def main(argv: list[str]) -> None:
    """Run one method on one query and print the measurement as JSON."""
    method, query, path, cache = argv
    runner = {"duckdb": lambda: _duckdb(query, path), "polars": lambda: _polars(query, path)}
    if method in runner:  # import the library before timing, as ours is imported too
        __import__(method)
        fn = runner[method]
    else:
        import labkit.insights  # noqa: F401

        def fn() -> list[Any]:
            return _ours(query, path, cache)

    began = time.perf_counter()
    rows = fn()
    seconds = time.perf_counter() - began
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "rows": rows}, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
