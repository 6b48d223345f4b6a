"""Lab 1 end to end through boto3: pings over SSM, peering, and the flow-log records."""

from __future__ import annotations

from typing import Any

import pytest
from lab1_build import build_lab1, run  # this directory's helpers

from labkit.netsim.records import FlowRecord


def events(aws: Any, stream: str) -> list[FlowRecord]:
    got = aws("logs").get_log_events(
        logGroupName="lab1-flow-logs", logStreamName=stream, startFromHead=True
    )
    return [FlowRecord.parse(e["message"]) for e in got["events"]]


def test_lab1_story(aws: Any) -> None:
    ids = build_lab1(aws)
    private = run(aws, ids["i1"], f"ping -c 3 {ids['ip2']}")
    assert private["Status"] == "Failed" and private["ResponseCode"] == 1
    assert "3 packets transmitted, 0 received, 100% packet loss" in private["StandardOutputContent"]

    public = run(aws, ids["i1"], f"ping -c 2 {ids['public2']}")
    assert public["Status"] == "Success" and public["ResponseCode"] == 0
    assert "2 packets transmitted, 2 received, 0% packet loss" in public["StandardOutputContent"]

    ec2 = aws("ec2")
    pcx = ec2.create_vpc_peering_connection(VpcId=ids["vpc1"], PeerVpcId=ids["vpc2"])
    pcx_id = pcx["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    ec2.create_route(
        RouteTableId=ids["rtb1"], DestinationCidrBlock="10.2.0.0/16", VpcPeeringConnectionId=pcx_id
    )
    half = run(aws, ids["i1"], f"ping -c 1 {ids['ip2']}")
    assert "100% packet loss" in half["StandardOutputContent"], (
        "one route is not enough: replies need one too"
    )
    ec2.create_route(
        RouteTableId=ids["rtb2"], DestinationCidrBlock="10.1.0.0/16", VpcPeeringConnectionId=pcx_id
    )
    fixed = run(aws, ids["i1"], f"ping -c 3 {ids['ip2']}")
    assert (
        fixed["ResponseCode"] == 0
        and "3 received, 0% packet loss" in fixed["StandardOutputContent"]
    )

    streams = aws("logs").describe_log_streams(logGroupName="lab1-flow-logs")["logStreams"]
    assert [s["logStreamName"] for s in streams] == [ids["eni1"]], "VPC 2 has no flow log"
    seen = [(r.srcaddr, r.dstaddr, r.packets, r.action) for r in events(aws, ids["eni1"])]
    assert seen == [
        (ids["ip1"], ids["ip2"], 3, "ACCEPT"),  # private ping: leaves, goes nowhere
        (ids["ip1"], ids["public2"], 2, "ACCEPT"),  # public ping: out …
        (ids["public2"], ids["ip1"], 2, "ACCEPT"),  # … and back, shown from the ENI's private IP
        (ids["ip1"], ids["ip2"], 1, "ACCEPT"),  # one route only: the reply never comes
        (ids["ip1"], ids["ip2"], 3, "ACCEPT"),  # peered: out …
        (ids["ip2"], ids["ip1"], 3, "ACCEPT"),  # … and back
    ]
    stamps = [
        e["timestamp"]
        for e in aws("logs").get_log_events(
            logGroupName="lab1-flow-logs", logStreamName=ids["eni1"], startFromHead=True
        )["events"]
    ]
    assert stamps == sorted(stamps)


def test_ssh_scan_rejected_is_recorded_and_background_hook(aws: Any, emulator_url: str) -> None:
    from labkit.emulator.client import request_background_traffic

    ids = build_lab1(aws)
    written = request_background_traffic(emulator_url, 30, seed=3)
    assert written == 30
    records = events(aws, ids["eni1"])
    assert len(records) == 30
    assert {r.action for r in records} == {"ACCEPT", "REJECT"}
    assert request_background_traffic(emulator_url, 0) == 0


def test_unknown_instance_is_invalid_instance_id(aws: Any) -> None:
    from botocore.exceptions import ClientError

    build_lab1(aws)
    with pytest.raises(ClientError) as err:
        aws("ssm").send_command(
            InstanceIds=["i-0123456789abcdef0"],
            DocumentName="AWS-RunShellScript",
            Parameters={"commands": ["hostname"]},
        )
    assert err.value.response["Error"]["Code"] == "InvalidInstanceId"


def test_shell_keeps_files_per_instance(aws: Any) -> None:
    ids = build_lab1(aws)
    run(aws, ids["i1"], "touch /tmp/test.txt", "echo hello > /tmp/hello.txt")
    listing = run(aws, ids["i1"], "ls /tmp", "cat /tmp/hello.txt")
    assert listing["StandardOutputContent"] == "hello.txt\ntest.txt\nhello\n"
    other = run(aws, ids["i2"], "ls /tmp")
    assert other["StandardOutputContent"] == "" and other["Status"] == "Success"
    missing = run(aws, ids["i1"], "nmap 10.2.0.1")
    assert (missing["ResponseCode"], missing["StandardErrorContent"]) == (
        127,
        "bash: nmap: command not found\n",
    )
    listed = aws("ssm").list_command_invocations(InstanceId=ids["i1"], Details=True)[
        "CommandInvocations"
    ]
    assert [c["Status"] for c in listed] == ["Failed", "Success", "Success"]
    assert listed[0]["CommandPlugins"][0]["ResponseCode"] == 127


def test_overlapping_peering_fails_and_deleted_peering_blackholes(aws: Any) -> None:
    from botocore.exceptions import ClientError

    ec2 = aws("ec2")
    a = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    b = ec2.create_vpc(CidrBlock="10.1.128.0/17")["Vpc"]["VpcId"]
    c = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    bad = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"][
        "VpcPeeringConnectionId"
    ]
    status = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[bad])[
        "VpcPeeringConnections"
    ][0]["Status"]
    assert status == {"Code": "failed", "Message": "Overlapping CIDRs"}
    with pytest.raises(ClientError):
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=bad)

    good = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=c)["VpcPeeringConnection"][
        "VpcPeeringConnectionId"
    ]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=good)
    rtb = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [a]}])["RouteTables"][0][
        "RouteTableId"
    ]
    ec2.create_route(
        RouteTableId=rtb, DestinationCidrBlock="10.2.0.0/16", VpcPeeringConnectionId=good
    )

    def state() -> str:
        routes = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"]
        return next(r["State"] for r in routes if r.get("VpcPeeringConnectionId") == good)

    assert state() == "active"
    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=good)
    assert state() == "blackhole"
