"""`labkit reach` against the emulator, discover on live answers, and S3 flow-log delivery."""

from __future__ import annotations

import argparse
import gzip
import json
from typing import Any

import pytest
from lab1_build import build_lab1, run  # this directory's helpers

from labkit.cli.reach import register
from labkit.errors import LabkitError
from labkit.netsim.records import DEFAULT_FORMAT, FlowRecord, LogFormat


def reach_cli(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="labkit")
    register(parser.add_subparsers())
    return parser.parse_args(["reach", *argv])


def test_reach_json_names_the_route_table(
    aws: Any, emulator_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = build_lab1(aws)
    args = reach_cli(
        "--from",
        "Instance 1",
        "--to",
        ids["ip2"],
        "--endpoint-url",
        emulator_url,
        "--region",
        "us-east-1",
        "--format",
        "json",
    )
    assert args.func(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["reachable", "forward", "return", "blocked_by", "explanation"]
    assert data["reachable"] is False
    assert data["blocked_by"] == {"component": ids["rtb1"], "code": "CANNOT_ROUTE"}
    assert data["forward"][:2] == [ids["i1"], ids["eni1"]]
    args = reach_cli(
        "--from",
        ids["i1"],
        "--to",
        "Instance 2",
        "--protocol",
        "tcp",
        "--port",
        "22",
        "--endpoint-url",
        emulator_url,
    )
    args.dst = ids["public2"]
    args.func(args)
    assert capsys.readouterr().out.startswith("REACHABLE: ")


def test_reach_unknown_instance_and_dead_endpoint(aws: Any, emulator_url: str) -> None:
    build_lab1(aws)
    args = reach_cli("--from", "Instance 9", "--to", "Instance 2", "--endpoint-url", emulator_url)
    with pytest.raises(
        LabkitError,
        match="unknown instance 'Instance 9': known instances are Instance 1, Instance 2",
    ):
        args.func(args)
    args = reach_cli(
        "--from", "Instance 1", "--to", "Instance 2", "--endpoint-url", "http://127.0.0.1:9"
    )
    with pytest.raises(LabkitError, match="cannot connect to http://127.0.0.1:9"):
        args.func(args)


def test_flow_log_to_s3_uses_aws_key_layout_and_header(aws: Any) -> None:
    ids = build_lab1(aws)
    s3, ec2 = aws("s3"), aws("ec2")
    s3.create_bucket(Bucket="flow-bucket")
    fmt = (
        "${version} ${interface-id} ${srcaddr} ${dstaddr} ${action} ${flow-direction} "
        "${traffic-path}"
    )
    fl = ec2.create_flow_logs(
        ResourceIds=[ids["eni1"]],
        ResourceType="NetworkInterface",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::flow-bucket",
        LogFormat=fmt,
    )["FlowLogIds"][0]
    run(aws, ids["i1"], f"ping -c 1 {ids['public2']}")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="flow-bucket")["Contents"]]
    assert len(keys) == 1
    parts = keys[0].split("/")
    assert parts[:4] == ["AWSLogs", "123456789012", "vpcflowlogs", "us-east-1"]
    assert parts[-1].startswith(f"123456789012_vpcflowlogs_us-east-1_{fl}_") and parts[-1].endswith(
        ".log.gz"
    )
    body = gzip.decompress(s3.get_object(Bucket="flow-bucket", Key=keys[0])["Body"].read()).decode()
    lines = body.splitlines()
    assert lines[0] == "version interface-id srcaddr dstaddr action flow-direction traffic-path"
    log_format = LogFormat.parse(fmt)
    out, back = (FlowRecord.parse(x, log_format) for x in lines[1:])
    assert (out.version, out.srcaddr, out.dstaddr, out.flow_direction, out.traffic_path) == (
        5,
        ids["ip1"],
        ids["public2"],
        "egress",
        8,
    )
    assert (back.srcaddr, back.dstaddr, back.flow_direction, back.traffic_path) == (
        ids["public2"],
        ids["ip1"],
        "ingress",
        None,
    )


def test_discover_reads_the_live_configuration(aws: Any) -> None:
    from labkit.aws.describe import describe_answers
    from labkit.netsim import discover

    ids = build_lab1(aws)
    topo = discover(describe_answers(aws("ec2")))
    inst = topo.instances_named("Instance 1")[0]
    eni = topo.get(inst.interface_ids[0])
    assert (inst.id, eni.private_ip, eni.public_ip) == (ids["i1"], ids["ip1"], ids["public1"])
    rtb, igw = topo.route_table_for(eni.subnet_id), topo.igw_for(ids["vpc1"])
    assert (rtb and rtb.id, igw and igw.id) == (ids["rtb1"], ids["igw1"])
    assert [f.resource_type for f in topo.flow_logs] == ["VPC"]
    assert topo.flow_logs[0].log_format.split() == [f"${{{n}}}" for n in DEFAULT_FORMAT.fields]
