"""Cold queries on big files: one pass over the text, then a cache built in the background."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from labkit import insights
from labkit.insights import cache

T0 = 1_700_000_000
QUERIES = [
    "stats sum(bytes) as bytesTransferred by srcAddr, dstAddr "
    "| sort bytesTransferred desc | limit 10",
    "filter action = 'REJECT' | stats count(*) as n by srcAddr, dstPort | sort n desc, srcAddr",
    "stats sum(bytes) as b by bin(5m)",
    "filter action = 'REJECT' | fields bytes * 2 as b2 | filter dstPort = 22 "
    "| stats count_distinct(srcAddr) as n, pct(b2, 50) as p by dstAddr | sort dstAddr",
    "stats count(*) as n by action | filter n > 1000000",
    "stats count(*) as n",
    "filter bytes > 5000 | stats count(*) as n",
    "filter action = 'REJECT' | fields srcAddr, bytes | sort bytes desc | limit 5",
]


@pytest.fixture(scope="module")
def flow_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 600-record default-format flow log with NODATA records and both actions."""
    lines = []
    for i in range(600):
        start = T0 + i * 7
        if i % 41 == 0:
            lines.append(f"2 123456789012 eni-{i % 3} - - - - - - - {start} {start + 60} - NODATA")
            continue
        action = "REJECT" if i % 5 == 0 else "ACCEPT"
        lines.append(
            f"2 123456789012 eni-{i % 3} 10.0.{i % 4}.{i % 9 + 1} 10.1.0.{i % 6 + 1} "
            f"{1024 + i} {[22, 80, 443][i % 3]} 6 {i % 9 + 1} {40 + i * 37 % 9000} "
            f"{start} {start + 60} {action} OK"
        )
    path = tmp_path_factory.mktemp("cold") / "flows.log"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("window", [None, (T0 + 700, T0 + 2500)])
def test_one_pass_over_text_gives_the_cached_answer_and_statistics(
    flow_file: Path,
    tmp_path: Path,
    query: str,
    window: tuple[int, int] | None,
) -> None:
    """Read straight from the text, a query has the rows and statistics it has from the cache."""
    start, end = (window[0] * 1000, window[1] * 1000) if window else (None, None)
    text = insights.run(
        query, insights.FileSource([flow_file], cache_dir=None), start=start, end=end
    )
    cached = insights.run(
        query, insights.FileSource([flow_file], cache_dir=tmp_path), start=start, end=end
    )
    assert "read_parquet" in cached.sql and "read_parquet" not in text.sql
    assert text.rows == cached.rows
    assert text.statistics.records_matched == cached.statistics.records_matched
    assert text.statistics.records_scanned == cached.statistics.records_scanned


def test_big_file_is_answered_from_text_and_cached_in_the_background(
    flow_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A cold query answers from the text; a detached builder writes the cache for the next."""
    monkeypatch.setattr(cache, "INLINE_BUILD_BYTES", 0)
    query = QUERIES[0]
    cold = insights.run(query, insights.FileSource([flow_file], cache_dir=tmp_path))
    assert "read_csv" in cold.sql
    cache.wait_for_builds(tmp_path, timeout=60)
    metas = [json.loads(p.read_text()) for p in tmp_path.glob("*/*.json")]
    assert [m["built"] for m in metas] == ["background"]
    assert metas[0]["records"] == 600
    assert not list(tmp_path.glob("*/*.lock"))
    warm = insights.run(query, insights.FileSource([flow_file], cache_dir=tmp_path))
    assert "read_parquet" in warm.sql
    assert (warm.rows, warm.statistics) == (cold.rows, cold.statistics)


def test_query_that_cannot_count_in_one_pass_builds_the_cache_first(
    flow_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without stats the counts need a second scan, so the cache is built before answering."""
    monkeypatch.setattr(cache, "INLINE_BUILD_BYTES", 0)
    result = insights.run(
        "fields srcAddr | limit 3", insights.FileSource([flow_file], cache_dir=tmp_path)
    )
    assert "read_parquet" in result.sql
    assert result.statistics.records_scanned == 600


def test_a_query_waits_for_a_build_of_its_columns_in_progress(tmp_path: Path) -> None:
    """A live builder's lock makes a query wait; a dead builder's lock is cleared at once."""
    lock = tmp_path / "abc.lock"
    lock.write_text(json.dumps({"pid": os.getpid(), "columns": ["srcaddr", "bytes"]}))
    threading.Timer(0.3, lambda: lock.unlink()).start()
    began = time.monotonic()
    assert cache.find_group(tmp_path, ["bytes"]) is None
    assert time.monotonic() - began >= 0.25
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    lock.write_text(json.dumps({"pid": int(dead.stdout), "columns": ["bytes"]}))
    assert cache.find_group(tmp_path, ["bytes"]) is None
    assert not lock.exists()
