"""Flow-log records: formats, the version rule, and a cross-check with flowlogs-reader."""

from __future__ import annotations

import pytest
from flowlogs_reader import FlowRecord as ReaderRecord

from labkit.errors import LabkitError
from labkit.netsim.records import DEFAULT_FORMAT, FIELDS, FlowRecord, LogFormat, parse_lines

SAMPLE = FlowRecord.make(
    account_id="123456789010",
    interface_id="eni-1235b8ca123456789",
    srcaddr="172.31.16.139",
    srcport=20641,
    dstport=22,
    dstaddr="172.31.16.21",
    protocol=6,
    packets=20,
    bytes=4249,
    start=1418530010,
    end=1418530070,
    action="ACCEPT",
    log_status="OK",
    vpc_id="vpc-1",
    subnet_id="subnet-1",
    instance_id="i-1",
    tcp_flags=3,
    type="IPv4",
    pkt_srcaddr="172.31.16.139",
    pkt_dstaddr="172.31.16.21",
    region="us-east-1",
    az_id="use1-az1",
    flow_direction="egress",
    traffic_path=1,
)


def test_default_format_matches_the_aws_example() -> None:
    assert SAMPLE.format() == (
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
        "1418530010 1418530070 ACCEPT OK"
    )


def _reader(line: str, log_format: LogFormat) -> ReaderRecord:
    names = [n.replace("-", "_") for n in log_format.fields]
    return ReaderRecord.from_cwl_event({"message": line}, fields=names)


@pytest.mark.parametrize(
    "text",
    [
        None,
        "${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${srcaddr} ${action}",
        "${srcaddr} ${dstaddr} ${region} ${az-id} ${sublocation-type} ${tcp-flags} ${bytes}",
        "${version} ${flow-direction} ${traffic-path} ${pkt-srcaddr} ${pkt-dst-aws-service} ${end}",
    ],
)
def test_independent_parser_reads_what_we_write(text: str | None) -> None:
    log_format = LogFormat.parse(text)
    line = SAMPLE.format(log_format)
    theirs = _reader(line, log_format).to_dict()
    ours = FlowRecord.parse(line, log_format)
    for name in log_format.fields:
        attr = name.replace("-", "_")
        if name in ("start", "end"):
            assert theirs[attr].timestamp() == pytest.approx(ours[name])
        elif name == "version":
            assert theirs[attr] == log_format.version == ours[name]
        else:
            assert theirs.get(attr) == ours[name] == SAMPLE[name], name  # "-" is None on both sides


@pytest.mark.parametrize(
    ("text", "version"),
    [
        (None, 2),
        ("${version} ${srcaddr}", 2),
        ("${version} ${srcaddr} ${vpc-id}", 3),
        ("${version} ${vpc-id} ${region}", 4),
        ("${version} ${tcp-flags} ${az-id} ${srcaddr}", 4),
        ("${version} ${flow-direction}", 5),
    ],
)
def test_version_is_the_highest_field_version(text: str | None, version: int) -> None:
    log_format = LogFormat.parse(text)
    assert log_format.version == version
    assert SAMPLE.format(log_format).split()[0] == str(version)


def test_not_applicable_is_a_dash_and_parses_back_to_none() -> None:
    log_format = LogFormat.parse("${srcaddr} ${sublocation-id} ${pkt-src-aws-service}")
    line = SAMPLE.format(log_format)
    assert line == "172.31.16.139 - -"
    assert FlowRecord.parse(line, log_format).sublocation_id is None


def test_nodata_record_from_the_aws_docs_parses() -> None:
    line = "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"
    record = FlowRecord.parse(line)
    assert record.log_status == "NODATA" and record.bytes is None and record.start == 1431280876


def test_field_table_drives_names() -> None:
    assert [f.name for f in FIELDS if f.version == 2] == list(DEFAULT_FORMAT.fields)
    assert SAMPLE.insights()["srcAddr"] == "172.31.16.139"
    assert SAMPLE.insights()["logStatus"] == "OK"


def test_s3_header_line_is_skipped() -> None:
    lines = [DEFAULT_FORMAT.header, SAMPLE.format(), ""]
    assert parse_lines(lines) == [FlowRecord.parse(SAMPLE.format())]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${srcaddr} ${bogus}", "unknown flow-log field 'bogus'"),
        ("srcaddr dstaddr", "text outside ${...}"),
    ],
)
def test_bad_formats_are_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(
        LabkitError, match=message.replace("$", r"\$").replace("{", r"\{").replace(".", r"\.")
    ):
        LogFormat.parse(text)


def test_bad_line_names_the_mismatch() -> None:
    with pytest.raises(LabkitError, match="has 3 fields but the format has 14"):
        FlowRecord.parse("a b c")
