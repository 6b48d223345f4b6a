"""The JSON case files in tests/cases/insights, run by one parametrized test.

Each file has ``given`` data (flow-log lines or CloudWatch events) and ``cases``, each a
query with its expected ``result`` (rows as objects, keys in output order) or ``error``
(a message fragment and the caret's 1-based ``column``). Flow-log lines run three times:
from a file through the Parquet cache, from the file's text in one pass (how a cold query
on a big file runs, counting its statistics as it answers), and as CloudWatch events; all
must give the result.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from labkit import insights

CASES_DIR = Path(__file__).resolve().parents[2] / "cases" / "insights"


def _load() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.json")):
        spec = json.loads(path.read_text())
        given = spec["given"]
        sources = ["file", "text", "events"] if "flowlogs" in given else ["events"]
        for index, case in enumerate(spec["cases"]):
            for source in sources if "result" in case else sources[:1]:
                case_id = f"{path.stem}[{index}]-{source}"
                params.append(pytest.param(given, case, source, id=case_id))
    return params


def _source(given: dict[str, Any], kind: str, tmp_path: Path) -> insights.Source:
    if "events" in given:
        return insights.EventSource(given["events"])
    lines = given["flowlogs"]
    if kind in ("file", "text"):
        path = tmp_path / "flows.log"
        path.write_text("\n".join(lines) + "\n")
        return insights.FileSource([path], cache_dir=tmp_path / "cache" if kind == "file" else None)
    events = [
        {
            "@timestamp": int(line.split()[10]) * 1000,
            "@message": line,
            "@logStream": line.split()[2],
            "@log": "123456789010:flows",
        }
        for line in lines
    ]
    return insights.EventSource(events)


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, float) or isinstance(actual, float):
        return actual is not None and expected is not None and actual == pytest.approx(expected)
    return (
        bool(actual == expected)
        and type(actual) is type(expected)
        or (isinstance(actual, int) and isinstance(expected, int) and actual == expected)
    )


@pytest.mark.parametrize(("given", "case", "source"), _load())
def test_case(given: dict[str, Any], case: dict[str, Any], source: str, tmp_path: Path) -> None:
    """One case: the query's rows (or its error) match the hand-written expectation."""
    src = _source(given, source, tmp_path)
    if "error" in case:
        with pytest.raises(insights.QueryError) as caught:
            insights.run(case["query"], src)
        message = str(caught.value)
        assert case["error"] in message, message
        if "column" in case:
            assert caught.value.column == case["column"], message
            caret_line = message.splitlines()[-1]
            assert caret_line.index("^") == 2 + case["column"] - 1, message
        return
    result = insights.run(case["query"], src)
    expected = case["result"]
    got = result.records()
    assert len(got) == len(expected), f"{case['comment']}\n{got}"
    if expected:
        assert list(result.columns) == list(expected[0]), case["comment"]
    for row, want in zip(got, expected, strict=True):
        for key, value in want.items():
            assert _same(row[key], value), f"{case['comment']}: {key}={row[key]!r}, want {value!r}"
    stats = case.get("statistics")
    if stats:
        assert result.statistics.records_matched == stats["recordsMatched"]
        assert result.statistics.records_scanned == stats["recordsScanned"]
