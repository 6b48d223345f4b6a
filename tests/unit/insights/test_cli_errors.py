"""``labkit query`` in a fresh process: bad inputs give one line on stderr, never a traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

GOOD = "2 123456789010 eni-a 10.0.0.5 10.0.1.9 40000 22 6 10 900 1700000000 1700000060 ACCEPT OK"
SHORT = "2 123456789010 eni-a 10.0.0.5 10.0.1.9 40000 22"
ROOT = Path(__file__).resolve().parents[3]


def _cli(*argv: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "LABKIT_HOME": str(home),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_MAX_ATTEMPTS": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "labkit", "query", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_line_failure(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def _dead_port() -> int:
    with socket.socket() as sock:  # a port nothing listens on once this closes
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "flows.log"
    path.write_text("\n".join([GOOD, SHORT, GOOD]) + "\n")
    return path


@pytest.mark.parametrize(
    "argv",
    [
        ["--log-group", "", "stats count(*)"],
        ["--log-group", "g", "--endpoint-url", "notaurl", "stats count(*)"],
        [
            "--log-group",
            "g",
            "--endpoint-url",
            "http://127.0.0.1:{dead}",
            "--region",
            "us-east-1",
            "stats count(*)",
        ],
    ],
    ids=["empty-log-group", "endpoint-not-a-url", "dead-endpoint"],
)
def test_bad_log_group_inputs_are_one_line(argv: list[str], tmp_path: Path) -> None:
    """Each is one line naming the problem, a non-zero exit and no traceback."""
    line = _one_line_failure(_cli(*[a.format(dead=_dead_port()) for a in argv], home=tmp_path))
    assert line.startswith("labkit query: ")


def test_a_500_term_or_on_a_file(bad_file: Path, tmp_path: Path) -> None:
    """A 500-term ``or`` filter answers (before: RecursionError)."""
    query = (
        "filter "
        + " or ".join(f"dstPort = {1000 + i}" for i in range(499))
        + " or dstPort = 22 | stats count(*) as n"
    )
    done = _cli("--file", str(bad_file), "--format", "json", query, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"n": 2}]


def test_a_query_over_10000_characters_is_one_line(bad_file: Path, tmp_path: Path) -> None:
    """AWS's length limit, stated in one line."""
    query = "fields srcAddr" + " " * 10_000
    line = _one_line_failure(_cli("--file", str(bad_file), query, home=tmp_path))
    assert "at most 10,000" in line


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_malformed_lines_are_skipped_with_a_note_on_stderr(
    bad_file: Path, tmp_path: Path, fmt: str
) -> None:
    """The good lines answer; stderr names the count and the first bad line; stdout is clean."""
    done = _cli("--file", str(bad_file), "--format", fmt, "stats count(*) as n", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (
        "skipped 1 malformed line; first: flows.log line 2: expected 14 fields, found 7"
        in done.stderr
    )
    if fmt == "json":
        assert json.loads(done.stdout) == [{"n": 2}]
    elif fmt == "csv":
        assert done.stdout.splitlines() == ["n", "2"]
    else:
        assert "skipped" not in done.stdout


def test_strict_refuses_a_malformed_line_in_one_line(bad_file: Path, tmp_path: Path) -> None:
    """--strict: one line with the line number and DuckDB's reason, non-zero exit."""
    line = _one_line_failure(
        _cli("--file", str(bad_file), "--strict", "stats count(*)", home=tmp_path)
    )
    assert "flows.log line 2: expected 14 fields, found 7" in line
