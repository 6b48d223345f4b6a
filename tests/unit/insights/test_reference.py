"""Queries on a random flow log, checked against plain-Python reference computations."""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from labkit import insights

T0 = 1_700_000_000


def _records(n: int, seed: int = 7) -> list[list[str]]:
    rng = random.Random(seed)
    records = []
    for i in range(n):
        start = T0 + i * 3
        if rng.random() < 0.05:
            records.append(
                [
                    "2",
                    "123456789012",
                    f"eni-{rng.randrange(4)}",
                    "-",
                    "-",
                    "-",
                    "-",
                    "-",
                    "-",
                    "-",
                    str(start),
                    str(start + 60),
                    "-",
                    "NODATA",
                ]
            )
            continue
        records.append(
            [
                "2",
                "123456789012",
                f"eni-{rng.randrange(4)}",
                f"10.0.{rng.randrange(3)}.{rng.randrange(1, 30)}",
                f"10.1.{rng.randrange(3)}.{rng.randrange(1, 9)}",
                str(rng.randrange(1024, 65535)),
                str(rng.choice([22, 80, 443, 3389])),
                "6",
                str(rng.randrange(1, 50)),
                str(rng.randrange(40, 10**7)),
                str(start),
                str(start + 60),
                rng.choice(["ACCEPT"] * 5 + ["REJECT"]),
                "OK",
            ]
        )
    return records


@pytest.fixture(scope="module")
def flows(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[list[str]], insights.FileSource]:
    records = _records(3000)
    path = tmp_path_factory.mktemp("ref") / "flows.log"
    path.write_text("".join(" ".join(r) + "\n" for r in records))
    return records, insights.FileSource([path], cache_dir=path.parent / "cache")


def test_lab_query_matches_reference(flows: tuple[list[list[str]], insights.FileSource]) -> None:
    """The lab query's top 10 equals a dict-of-sums reference."""
    records, source = flows
    sums: dict[tuple[str, str], int] = defaultdict(int)
    for r in records:
        if r[9] != "-":
            sums[(r[3], r[4])] += int(r[9])
    expected = sorted(sums.items(), key=lambda kv: -kv[1])[:10]
    result = insights.run(
        "stats sum(bytes) as bytesTransferred by srcAddr, dstAddr "
        "| sort bytesTransferred desc | limit 10",
        source,
    )
    assert [((r[0], r[1]), r[2]) for r in result.rows] == expected


def test_reject_counts_match_reference(flows: tuple[list[list[str]], insights.FileSource]) -> None:
    """REJECT flows counted by source and port equal a Counter."""
    records, source = flows
    expected = Counter((r[3], int(r[6])) for r in records if r[12] == "REJECT")
    result = insights.run(
        "filter action = 'REJECT' | stats count(*) as n by srcAddr, dstPort | limit 10000", source
    )
    assert {(r[0], r[1]): r[2] for r in result.rows} == dict(expected)
    assert result.statistics.records_matched == sum(expected.values())
    assert result.statistics.records_scanned == len(records)


def test_bin_sums_match_reference(flows: tuple[list[list[str]], insights.FileSource]) -> None:
    """sum(bytes) by bin(5m) equals sums over start // 300."""
    records, source = flows
    sums: dict[int, int] = defaultdict(int)
    for r in records:
        sums[int(r[10]) // 300 * 300] += int(r[9]) if r[9] != "-" else 0
    result = insights.run("stats sum(bytes) as b by bin(5m) as t", source)
    from datetime import UTC, datetime

    expected = [
        (datetime.fromtimestamp(k, UTC).strftime("%Y-%m-%d %H:%M:%S.000"), v)
        for k, v in sorted(sums.items())
    ]
    assert [tuple(r) for r in result.rows] == expected


def test_distribution_aggregates_match_reference(
    flows: tuple[list[list[str]], insights.FileSource],
) -> None:
    """pct (nearest rank), stddev (sample), avg and count_distinct by hand."""
    records, source = flows
    values = sorted(int(r[9]) for r in records if r[9] != "-")
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))

    def nearest_rank(p: float) -> int:
        return values[max(math.ceil(p / 100 * n), 1) - 1]

    result = insights.run(
        "stats pct(bytes, 95) as p95, pct(bytes, 50) as p50, "
        "stddev(bytes) as sd, avg(bytes) as mean, "
        "count_distinct(srcAddr) as srcs",
        source,
    )
    ((p95, p50, got_sd, got_mean, srcs),) = result.rows
    assert (p95, p50) == (nearest_rank(95), nearest_rank(50))
    assert got_sd == pytest.approx(sd)
    assert got_mean == pytest.approx(mean)
    assert srcs == len({r[3] for r in records if r[3] != "-"})


def test_time_range_keeps_inclusive_window(
    flows: tuple[list[list[str]], insights.FileSource],
) -> None:
    """start/end keep events with start <= @timestamp <= end, both ends included."""
    records, source = flows
    lo, hi = (T0 + 300) * 1000, (T0 + 600) * 1000
    expected = sum(1 for r in records if lo <= int(r[10]) * 1000 <= hi)
    result = insights.run("stats count(*) as n", source, start=lo, end=hi)
    assert result.rows == ((expected,),)
    assert result.statistics.records_scanned == expected


def test_default_limit_is_10000_rows(tmp_path: Path) -> None:
    """Without a limit command at most 10,000 rows come back; limit= overrides it."""
    events = [{"@timestamp": T0 * 1000 + i, "@message": f"line {i}"} for i in range(10_001)]
    source = insights.EventSource(events)
    assert len(insights.run("fields @message", source).rows) == 10_000
    assert len(insights.run("fields @message", source, limit=25).rows) == 25
    newest = insights.run("fields @message | limit 1", source).rows
    assert newest == (("line 10000",),)
