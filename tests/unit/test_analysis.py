"""Raw flow-log records explained field by field."""

from __future__ import annotations

import pytest

from labkit.errors import ConfigError
from labkit.labs.lab1.analysis import explain_record

# The AWS documentation's example record (flow-logs-records-examples).
LINE = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"  # noqa: E501


def test_explain_record_names_every_default_field() -> None:
    table = explain_record(LINE)
    rows = {row[0]: row[1:] for row in table.rows}
    assert len(rows) == 14
    assert rows["srcaddr"] == ("srcAddr", "172.31.16.139")
    assert rows["log-status"] == ("logStatus", "OK")
    assert rows["start"] == ("startTime", "1418530010")


def test_explain_record_refuses_a_line_of_another_format() -> None:
    with pytest.raises(ConfigError, match="has 3 fields but the format has 14"):
        explain_record("2 123456789010 eni-1")
