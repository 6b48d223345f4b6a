"""StartQuery, GetQueryResults, StopQuery and DescribeQueries through boto3 on the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from labkit.aws.logs import run_insights_query
from labkit.cli import query as cli_query

LAB = (
    "stats sum(bytes) as bytesTransferred by srcAddr, dstAddr "
    "| sort bytesTransferred desc | limit 10"
)


def _record(
    src: str, dst: str, nbytes: str, start: int, action: str = "ACCEPT", status: str = "OK"
) -> str:
    if status != "OK":
        return f"2 123456789012 eni-1 - - - - - - - {start} {start + 60} - {status}"
    return (
        f"2 123456789012 eni-1 {src} {dst} 40000 22 6 5 {nbytes} {start} {start + 60} "
        f"{action} {status}"
    )


@pytest.fixture
def group(logs: Any) -> dict[str, Any]:
    """A log group with flow-log events from the last hour (moto refuses events > 14 days old)."""
    name = f"/flows/{uuid.uuid4().hex[:8]}"
    now = int(time.time()) - 600
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName="eni-1-all")
    records = [
        _record("10.1.0.4", "10.2.0.10", "300", now),
        _record("10.1.0.4", "10.2.0.10", "200", now + 1),
        _record("10.2.0.10", "10.1.0.4", "700", now + 2, "REJECT"),
        _record("", "", "", now + 3, status="NODATA"),
    ]
    logs.put_log_events(
        logGroupName=name,
        logStreamName="eni-1-all",
        logEvents=[{"timestamp": (now + i) * 1000, "message": m} for i, m in enumerate(records)],
    )
    return {"name": name, "now": now, "records": records}


def _results(logs: Any, query_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = logs.get_query_results(queryId=query_id)
    return answer


def test_lab_query_shape(logs: Any, group: dict[str, Any]) -> None:
    """Rows of {field, value} strings with @ptr, statistics, and status Complete."""
    now = group["now"]
    query_id = logs.start_query(
        logGroupName=group["name"], startTime=now - 60, endTime=now + 60, queryString=LAB
    )["queryId"]
    answer = _results(logs, query_id)
    assert answer["status"] == "Complete"
    rows = [{c["field"]: c["value"] for c in row} for row in answer["results"]]
    assert [{k: v for k, v in r.items() if k != "@ptr"} for r in rows] == [
        {"srcAddr": "10.2.0.10", "dstAddr": "10.1.0.4", "bytesTransferred": "700"},
        {"srcAddr": "10.1.0.4", "dstAddr": "10.2.0.10", "bytesTransferred": "500"},
        {},  # the NODATA group: every value missing, so only @ptr
    ]
    assert all(r["@ptr"] for r in rows)
    assert answer["statistics"]["recordsMatched"] == 4
    assert answer["statistics"]["recordsScanned"] == 4
    assert answer["statistics"]["bytesScanned"] == sum(len(m) for m in group["records"])


def test_time_range_is_inclusive_in_seconds(logs: Any, group: dict[str, Any]) -> None:
    """startTime/endTime are seconds and both ends are included."""
    now = group["now"]
    query_id = logs.start_query(
        logGroupNames=[group["name"]],
        startTime=now + 1,
        endTime=now + 2,
        queryString="stats count(*) as n",
    )["queryId"]
    rows = _results(logs, query_id)["results"]
    assert [c for c in rows[0] if c["field"] == "n"] == [{"field": "n", "value": "2"}]


def test_log_group_identifiers_accept_arns(logs: Any, group: dict[str, Any]) -> None:
    """logGroupIdentifiers takes ARNs as well as names."""
    arn = f"arn:aws:logs:us-east-1:123456789012:log-group:{group['name']}"
    now = group["now"]
    query_id = logs.start_query(
        logGroupIdentifiers=[arn],
        startTime=now - 5,
        endTime=now + 5,
        queryString="filter action = 'REJECT' | fields srcAddr, @timestamp, @log",
    )["queryId"]
    (row,) = _results(logs, query_id)["results"]
    cells = {c["field"]: c["value"] for c in row}
    assert cells["srcAddr"] == "10.2.0.10"
    assert cells["@log"] == f"123456789012:{group['name']}"
    assert len(cells["@timestamp"]) == len("2024-01-01 00:00:00.000")


def test_malformed_query_carries_the_caret(logs: Any, group: dict[str, Any]) -> None:
    """A bad query is a MalformedQueryException whose message shows the caret."""
    with pytest.raises(ClientError) as caught:
        logs.start_query(
            logGroupName=group["name"], startTime=0, endTime=10, queryString="stats sum(bytes) by"
        )
    error = caught.value.response["Error"]
    assert error["Code"] == "MalformedQueryException"
    assert "ends too early" in error["Message"] and "^" in error["Message"]


def test_unknown_group_and_query_id(logs: Any) -> None:
    """An unknown log group or query id is ResourceNotFoundException."""
    with pytest.raises(ClientError) as caught:
        logs.start_query(
            logGroupName="/no/such/group", startTime=0, endTime=10, queryString="stats count(*)"
        )
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as caught:
        logs.get_query_results(queryId="00000000-0000-0000-0000-000000000000")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_exactly_one_group_parameter(logs: Any, group: dict[str, Any]) -> None:
    """Giving two of logGroupName/logGroupNames is InvalidParameterException."""
    with pytest.raises(ClientError) as caught:
        logs.start_query(
            logGroupName=group["name"],
            logGroupNames=[group["name"]],
            startTime=0,
            endTime=10,
            queryString="stats count(*)",
        )
    assert caught.value.response["Error"]["Code"] == "InvalidParameterException"


def test_stop_then_describe(logs: Any, group: dict[str, Any]) -> None:
    """StopQuery cancels a query not yet read; DescribeQueries lists it by group and status."""
    now = group["now"]
    query_id = logs.start_query(
        logGroupName=group["name"], startTime=now, endTime=now + 9, queryString="stats count(*)"
    )["queryId"]
    assert logs.stop_query(queryId=query_id)["success"] is True
    assert _results(logs, query_id)["status"] == "Cancelled"
    assert logs.stop_query(queryId=query_id)["success"] is False
    listed = logs.describe_queries(logGroupName=group["name"], status="Cancelled")["queries"]
    assert [q["queryId"] for q in listed] == [query_id]
    assert listed[0]["queryString"] == "stats count(*)"


def test_facade_returns_typed_rows(logs: Any, group: dict[str, Any]) -> None:
    """run_insights_query polls to Complete and returns dicts with numbers as numbers."""
    now = group["now"]
    rows = run_insights_query(logs, [group["name"]], LAB, now - 60, now + 60)
    assert rows[:2] == [
        {"srcAddr": "10.2.0.10", "dstAddr": "10.1.0.4", "bytesTransferred": 700},
        {"srcAddr": "10.1.0.4", "dstAddr": "10.2.0.10", "bytesTransferred": 500},
    ]


def test_cli_log_group(
    moto_endpoint: str, group: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """labkit query --log-group --endpoint-url prints JSON rows from the emulator."""
    import argparse

    parser = argparse.ArgumentParser()
    cli_query.register(parser.add_subparsers())
    args = parser.parse_args(
        [
            "query",
            "--log-group",
            group["name"],
            "--endpoint-url",
            moto_endpoint,
            "--region",
            "us-east-1",
            "--format",
            "json",
            "--start",
            "1h",
            "filter action = 'REJECT' | fields srcAddr, bytes",
        ]
    )
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out) == [{"srcAddr": "10.2.0.10", "bytes": 700}]


def _cli(*argv: str, home: Path) -> subprocess.CompletedProcess[str]:
    """``python -m labkit query ARGV`` in a fresh process (this tree first on the path)."""
    root = Path(__file__).resolve().parents[3]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
        "LABKIT_HOME": str(home),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    return subprocess.run(
        [sys.executable, "-m", "labkit", "query", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_500_term_or_filter_through_start_query(logs: Any, group: dict[str, Any]) -> None:
    """A 500-term ``or`` completes (before: RecursionError, a raw HTML 500 page)."""
    now = group["now"]
    query = (
        "filter "
        + " or ".join(f"bytes = {1000 + i}" for i in range(499))
        + " or bytes = 700 | fields srcAddr, bytes"
    )
    query_id = logs.start_query(
        logGroupName=group["name"], startTime=now - 60, endTime=now + 60, queryString=query
    )["queryId"]
    answer = _results(logs, query_id)
    assert answer["status"] == "Complete"
    assert [
        {c["field"]: c["value"] for c in row if c["field"] != "@ptr"} for row in answer["results"]
    ] == [{"srcAddr": "10.2.0.10", "bytes": "700"}]


def test_a_query_over_10000_characters_is_refused_as_aws_does(
    logs: Any, group: dict[str, Any]
) -> None:
    """10,001 characters: InvalidParameterException with the length constraint, not a 500."""
    query = "fields bytes" + " " * (10_001 - len("fields bytes"))
    with pytest.raises(ClientError) as caught:
        logs.start_query(logGroupName=group["name"], startTime=0, endTime=10, queryString=query)
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidParameterException"
    assert error["Message"].endswith(
        "at 'queryString' failed to satisfy constraint: "
        "Member must have length less than or equal to 10000"
    )
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_cli_empty_result_from_a_log_group(
    moto_endpoint: str, group: dict[str, Any], tmp_path: Path, fmt: str
) -> None:
    """No rows: the table shows its header, CSV its header line, JSON ``[]``; no blank lines."""
    done = _cli(
        "--log-group",
        group["name"],
        "--endpoint-url",
        moto_endpoint,
        "--region",
        "us-east-1",
        "--start",
        "1h",
        "--format",
        fmt,
        "filter action = 'NOSUCH' | fields srcAddr, bytes",
        home=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "" not in lines, done.stdout
    if fmt == "json":
        assert json.loads(done.stdout) == []
    elif fmt == "csv":
        assert lines == ["srcAddr,bytes"]
    else:
        assert lines[0].split() == ["srcAddr", "bytes"]
