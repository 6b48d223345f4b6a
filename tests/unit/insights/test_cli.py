"""``labkit query`` through its argparse registration, as the top-level CLI runs it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from labkit.cli import query as cli_query
from labkit.errors import LabkitError

LINES = [
    "2 123456789010 eni-a 10.0.0.5 10.0.1.9 40000 22 6 10 900 1700000000 1700000060 ACCEPT OK",
    "2 123456789010 eni-a 10.0.0.6 10.0.1.9 40001 22 6 10 100 1700000060 1700000120 REJECT OK",
    "2 123456789010 eni-a - - - - - - - 1700000120 1700000180 - NODATA",
]
LAB = (
    "stats sum(bytes) as bytesTransferred by srcAddr, dstAddr "
    "| sort bytesTransferred desc | limit 10"
)


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="labkit")
    cli_query.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["query", *argv])
    return int(args.func(args))


@pytest.fixture
def flows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LABKIT_HOME", str(tmp_path / "home"))
    path = tmp_path / "flows.log"
    path.write_text("\n".join(LINES) + "\n")
    return path


def test_json_output_types_and_order(flows: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """JSON: an array of objects, keys in output order, numbers as numbers, missing as null."""
    assert _run(["--file", str(flows), "--format", "json", LAB]) == 0
    out = capsys.readouterr().out
    rows = json.loads(out)
    assert rows == [
        {"srcAddr": "10.0.0.5", "dstAddr": "10.0.1.9", "bytesTransferred": 900},
        {"srcAddr": "10.0.0.6", "dstAddr": "10.0.1.9", "bytesTransferred": 100},
        {"srcAddr": None, "dstAddr": None, "bytesTransferred": None},
    ]
    assert out.index('"srcAddr"') < out.index('"dstAddr"') < out.index('"bytesTransferred"')


def test_csv_output(flows: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """CSV: a header, then one line per row; missing values are empty."""
    _run(["--file", str(flows), "--format", "csv", "fields srcAddr, bytes | sort @timestamp asc"])
    assert capsys.readouterr().out.splitlines() == [
        "srcAddr,bytes",
        "10.0.0.5,900",
        "10.0.0.6,100",
        ",",
    ]


def test_table_output_with_statistics_on_stderr(
    flows: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Table: aligned columns on stdout, a statistics line on stderr."""
    _run(["--file", str(flows), "filter action = 'REJECT' | fields srcAddr, bytes"])
    captured = capsys.readouterr()
    assert captured.out.splitlines() == ["srcAddr   bytes", "--------  -----", "10.0.0.6    100"]
    assert "1 rows; 1 records matched, 3 scanned" in captured.err


def test_time_range(flows: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--start/--end (ISO or epoch seconds) keep the inclusive window."""
    _run(
        [
            "--file",
            str(flows),
            "--format",
            "json",
            "--start",
            "2023-11-14T22:14:20Z",
            "--end",
            "1700000120",
            "stats count(*) as n",
        ]
    )
    assert json.loads(capsys.readouterr().out) == [{"n": 2}]


def test_custom_log_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--log-format reads a custom-format file."""
    monkeypatch.setenv("LABKIT_HOME", str(tmp_path))
    path = tmp_path / "c.log"
    path.write_text("vpc-1 10.0.0.5 300\nvpc-2 10.0.0.6 400\n")
    _run(
        [
            "--file",
            str(path),
            "--log-format",
            "${vpc-id} ${srcaddr} ${bytes}",
            "--format",
            "json",
            "stats sum(bytes) as b by vpcId",
        ]
    )
    assert json.loads(capsys.readouterr().out) == [
        {"vpcId": "vpc-1", "b": 300},
        {"vpcId": "vpc-2", "b": 400},
    ]


def test_explain_prints_sql(flows: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--explain prints the SQL, which reads the file with DuckDB itself."""
    _run(["--file", str(flows), "--explain", LAB])
    out = capsys.readouterr().out
    assert "read_csv(" in out and "sum(" in out and "LIMIT 10" in out


def test_bad_query_is_one_labkit_error_with_caret(flows: Path) -> None:
    """A bad query raises a LabkitError whose text is the message, the query and a caret."""
    with pytest.raises(LabkitError) as caught:
        _run(["--file", str(flows), "stats sum(bytes) by"])
    lines = str(caught.value).splitlines()
    assert len(lines) == 3
    assert "ends too early" in lines[0]
    assert lines[1].strip() == "stats sum(bytes) by"
    assert lines[2].index("^") == len("  stats sum(bytes) by")


def test_file_or_log_group_is_required() -> None:
    """Neither --file nor --log-group is a clear error."""
    with pytest.raises(LabkitError, match="--file"):
        _run(["stats count(*)"])


def test_parse_time_relative() -> None:
    """Relative times count back from now."""
    from datetime import UTC, datetime

    now = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    assert cli_query.parse_time("90m", now=now) == datetime(2024, 1, 1, 10, 30, tzinfo=UTC)
    assert cli_query.parse_time("-1d", now=now) == datetime(2023, 12, 31, 12, 0, tzinfo=UTC)
    with pytest.raises(LabkitError, match="cannot read the time"):
        cli_query.parse_time("yesterday-ish")
