"""File and event sources: formats, headers, compression, JSON lines, the Parquet cache."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from labkit import insights

REC = (
    "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
    "1418530010 1418530070 ACCEPT OK"
)
CUSTOM = "${version} ${vpc-id} ${srcaddr} ${dstaddr} ${bytes} ${start} ${flow-direction}"
CUSTOM_LINES = [
    "5 vpc-1 10.0.0.5 10.0.1.9 500 1700000000 egress",
    "5 vpc-1 10.0.1.9 10.0.0.5 - 1700000060 ingress",
]


def test_gzip_file_gives_same_answer_as_plain(tmp_path: Path) -> None:
    """A .gz flow log is read like the plain file."""
    plain = tmp_path / "a.log"
    plain.write_text(REC + "\n")
    packed = tmp_path / "a.log.gz"
    packed.write_bytes(gzip.compress((REC + "\n").encode()))
    query = "stats sum(bytes) as b by srcAddr"
    want = insights.run(query, insights.FileSource([plain], cache_dir=None)).rows
    got = insights.run(query, insights.FileSource([packed], cache_dir=tmp_path / "c"))
    assert got.rows == want == (("172.31.16.139", 4249),)
    assert got.statistics.bytes_scanned == len(REC) + 1


def test_custom_format_maps_to_camel_case_names(tmp_path: Path) -> None:
    """--log-format fields get camelCase names; '-' is missing."""
    path = tmp_path / "custom.log"
    path.write_text("\n".join(CUSTOM_LINES) + "\n")
    source = insights.FileSource([path], log_format=CUSTOM, cache_dir=tmp_path / "c")
    result = insights.run("fields vpcId, srcAddr, bytes, flowDirection | sort start", source)
    assert result.records() == [
        {"vpcId": "vpc-1", "srcAddr": "10.0.0.5", "bytes": 500, "flowDirection": "egress"},
        {"vpcId": "vpc-1", "srcAddr": "10.0.1.9", "bytes": None, "flowDirection": "ingress"},
    ]


def test_s3_header_line_is_skipped_and_names_the_format(tmp_path: Path) -> None:
    """A header of record names (as S3 delivery writes it) is skipped and used as the format."""
    header = "version vpc-id srcaddr dstaddr bytes start flow-direction"
    path = tmp_path / "s3.log"
    path.write_text(header + "\n" + "\n".join(CUSTOM_LINES) + "\n")
    result = insights.run(
        "stats count(*) as n, sum(bytes) as b by vpcId", insights.FileSource([path], cache_dir=None)
    )
    assert result.rows == (("vpc-1", 2, 500),)


def test_default_header_is_skipped(tmp_path: Path) -> None:
    """A default-format header line is not counted as a record."""
    path = tmp_path / "h.log"
    header = (
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol "
        "packets bytes start end action log-status"
    )
    path.write_text(header + "\n" + REC + "\n")
    result = insights.run("stats count(*) as n", insights.FileSource([path], cache_dir=None))
    assert result.rows == ((1,),)


def test_json_lines_file(tmp_path: Path) -> None:
    """JSON lines get dotted fields; @message is the line."""
    path = tmp_path / "app.jsonl"
    path.write_text('{"a": {"b": 1}, "s": "x"}\n{"a": {"b": 2}, "s": "y"}\n')
    result = insights.run(
        "stats sum(a.b) as total, count(*) as n",
        insights.FileSource([path], cache_dir=tmp_path / "c"),
    )
    assert result.rows == ((3, 2),)
    shown = insights.run(
        "filter s = 'y' | fields @message", insights.FileSource([path], cache_dir=tmp_path / "c")
    )
    assert shown.rows == (('{"a": {"b": 2}, "s": "y"}',),)


def test_text_file_with_parse(tmp_path: Path) -> None:
    """Plain text lines can be parsed."""
    path = tmp_path / "app.log"
    path.write_text("user=ana ms=5\nuser=bo ms=7\nuser=ana ms=9\n")
    result = insights.run(
        "parse 'user=* ms=*' as user, ms | stats sum(ms) as t by user",
        insights.FileSource([path], cache_dir=None),
    )
    assert result.rows == (("ana", 14), ("bo", 7))


def test_repeat_query_uses_cache_and_file_change_invalidates(tmp_path: Path) -> None:
    """The second run reads the Parquet cache; a changed file is read again."""
    path = tmp_path / "f.log"
    path.write_text(REC + "\n")
    cache = tmp_path / "cache"
    query = "stats sum(bytes) as b"
    assert insights.run(query, insights.FileSource([path], cache_dir=cache)).rows == ((4249,),)
    parquets = list(cache.rglob("*.parquet"))
    assert len(parquets) == 1
    assert "read_parquet" in insights.run(query, insights.FileSource([path], cache_dir=cache)).sql
    assert list(cache.rglob("*.parquet")) == parquets  # no new column group
    path.write_text(REC + "\n" + REC.replace(" 4249 ", " 1 ") + "\n")
    os.utime(path, ns=(1, 1))
    assert insights.run(query, insights.FileSource([path], cache_dir=cache)).rows == ((4250,),)


def test_several_files_are_one_source(tmp_path: Path) -> None:
    """Files of one format are queried together."""
    one, two = tmp_path / "1.log", tmp_path / "2.log"
    one.write_text(REC + "\n")
    two.write_text(REC + "\n")
    result = insights.run(
        "stats count(*) as n", insights.FileSource([one, two], cache_dir=tmp_path / "c")
    )
    assert result.rows == ((2,),)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    """A missing file raises SourceError naming it."""
    with pytest.raises(insights.SourceError, match="no such file"):
        insights.run("stats count(*)", insights.FileSource([tmp_path / "nope.log"]))


def test_malformed_record_is_a_clear_error(tmp_path: Path) -> None:
    """Strict: a word in a number field raises SourceError naming the line and the field."""
    path = tmp_path / "bad.log"
    path.write_text(REC + "\n" + REC.replace(" 4249 ", " lots ") + "\n")
    with pytest.raises(insights.SourceError, match="cannot read .*line 2: field bytes is 'lots'"):
        insights.run(
            "stats sum(bytes)", insights.FileSource([path], cache_dir=tmp_path / "c", strict=True)
        )


def test_mixed_formats_are_refused(tmp_path: Path) -> None:
    """Files of different formats cannot be queried together."""
    flow, text = tmp_path / "f.log", tmp_path / "t.log"
    flow.write_text(REC + "\n")
    text.write_text("hello\n")
    with pytest.raises(insights.SourceError, match="mix formats"):
        insights.run("stats count(*)", insights.FileSource([flow, text], cache_dir=None))


def test_explain_reads_the_file_directly(tmp_path: Path) -> None:
    """explain shows DuckDB reading the file with read_csv, and caches nothing."""
    path = tmp_path / "f.log"
    path.write_text(REC + "\n")
    sql = insights.explain(
        "stats sum(bytes) by srcAddr", insights.FileSource([path], cache_dir=tmp_path / "c")
    )
    assert "read_csv" in sql and "GROUP BY" in sql
    assert not (tmp_path / "c").exists()


def test_event_source_with_custom_format() -> None:
    """Events in a custom flow-log format are discovered when the format is given."""
    events = [
        {"@timestamp": 1_700_000_000_000 + i, "@message": line}
        for i, line in enumerate(CUSTOM_LINES)
    ]
    plain = insights.run("stats count(vpcId) as n", insights.EventSource(events))
    assert plain.rows == ((0,),)  # AWS discovers only the default format
    custom = insights.run(
        "stats count(vpcId) as n", insights.EventSource(events, log_format=CUSTOM)
    )
    assert custom.rows == ((2,),)


def test_query_error_renders_caret_under_column() -> None:
    """str(QueryError) is the message, the query line and a ^ under the column."""
    with pytest.raises(insights.QueryError) as caught:
        insights.compile("stats count(*) by srcAddr | sort n dsc")
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("Query error at column 36: unexpected 'dsc'")
    assert lines[1] == "  stats count(*) by srcAddr | sort n dsc"
    assert lines[2] == "  " + " " * 35 + "^"


def test_unknown_function_lists_every_known_one() -> None:
    """The error for an unknown function lists the registry's functions."""
    with pytest.raises(insights.QueryError) as caught:
        insights.compile("fields lenght(@message)")
    for name in ("strlen", "isIpv4InSubnet", "count_distinct", "fromMillis", "sortsLast"):
        assert name in str(caught.value)
