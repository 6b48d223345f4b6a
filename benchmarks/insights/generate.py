"""Generate default-format VPC flow-log files with DuckDB alone (no Python loop per line)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

# One ~14-field default-format record per row, deterministic (hash-based) so runs compare.
# 2 % of rows are NODATA records with "-" in every flow field (aws-facts A.4).
_SQL = """
COPY (
  WITH r AS (
    SELECT i,
           hash(i, 1) AS h1, hash(i, 2) AS h2, hash(i, 3) AS h3, hash(i, 4) AS h4
    FROM range({n}) t(i)
  )
  SELECT CASE WHEN h4 % 50 = 0 THEN
           concat_ws(' ', '2', '123456789012', 'eni-' || lpad(CAST(h1 % 40 AS VARCHAR), 17, '0'),
                     '-', '-', '-', '-', '-', '-', '-',
                     CAST({t0} + i // {rate} AS VARCHAR), CAST({t0} + i // {rate} + 60 AS VARCHAR),
                     '-', 'NODATA')
         ELSE
           concat_ws(' ', '2', '123456789012', 'eni-' || lpad(CAST(h1 % 40 AS VARCHAR), 17, '0'),
                     '10.' || CAST(h1 % 4 AS VARCHAR) || '.' || CAST(h2 % 8 AS VARCHAR) || '.'
                       || CAST(h3 % 200 + 4 AS VARCHAR),
                     CASE WHEN h2 % 3 = 0 THEN '203.0.113.' || CAST(h3 % 250 AS VARCHAR)
                          ELSE '10.' || CAST(h2 % 4 AS VARCHAR) || '.' || CAST(h3 % 8 AS VARCHAR)
                               || '.' || CAST(h1 % 200 + 4 AS VARCHAR) END,
                     CAST(1024 + h3 % 64000 AS VARCHAR),
                     CAST([22, 80, 443, 3389, 53, 0][CAST(h2 % 6 + 1 AS INTEGER)] AS VARCHAR),
                     CAST([6, 6, 6, 17, 1][CAST(h4 % 5 + 1 AS INTEGER)] AS VARCHAR),
                     CAST(1 + h1 % 40 AS VARCHAR),
                     CAST(40 + h2 % 90000 AS VARCHAR),
                     CAST({t0} + i // {rate} AS VARCHAR), CAST({t0} + i // {rate} + 60 AS VARCHAR),
                     CASE WHEN h3 % 7 = 0 THEN 'REJECT' ELSE 'ACCEPT' END, 'OK')
         END AS line
  FROM r
) TO '{path}' (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\t')
"""

T0 = 1_700_000_000  # 2023-11-14 22:13:20 UTC


def generate(path: Path, lines: int, *, seconds: int = 86_400) -> Path:
    """Write ``lines`` default-format records over ``seconds`` to ``path`` (kept if present)."""
    if path.exists() and path.stat().st_size > 0:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    rate = max(1, lines // seconds)
    con = duckdb.connect()
    con.execute(_SQL.format(n=lines, t0=T0, rate=rate, path=str(tmp).replace("'", "''")))
    con.close()
    os.replace(tmp, path)
    return path
