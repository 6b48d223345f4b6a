"""Elastic IPs: from a public range, honoured by ping, reach and flow records once associated."""

from __future__ import annotations

import ipaddress
from typing import Any

from lab1_build import build_lab1, run  # this directory's helpers

from labkit.aws.describe import describe_answers
from labkit.emulator.eip import ELASTIC_IP_RANGE
from labkit.netsim import discover, reach

INTERNET_HOST = "93.184.216.34"


def private_instance(aws: Any, ids: dict[str, Any]) -> dict[str, str]:
    """A third instance in VPC 1's public subnet, launched without a public IP."""
    ec2 = aws("ec2")
    subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [ids["vpc1"]]}])["Subnets"][
        0
    ]["SubnetId"]
    eni = ec2.describe_network_interfaces(NetworkInterfaceIds=[ids["eni1"]])["NetworkInterfaces"]
    group = eni[0]["Groups"][0]["GroupId"]
    inst = ec2.run_instances(
        ImageId="ami-12345678",
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        NetworkInterfaces=[
            {
                "DeviceIndex": 0,
                "SubnetId": subnet,
                "Groups": [group],
                "AssociatePublicIpAddress": False,
            }
        ],
    )["Instances"][0]
    return {"id": inst["InstanceId"], "eni": inst["NetworkInterfaces"][0]["NetworkInterfaceId"]}


def test_elastic_ips_are_public_honoured_at_once_and_released_cleanly(aws: Any) -> None:
    ids = build_lab1(aws)
    ec2 = aws("ec2")
    three = private_instance(aws, ids)
    assert run(aws, three["id"], f"ping -c 2 {INTERNET_HOST}")["ResponseCode"] == 1

    allocation = ec2.allocate_address(Domain="vpc")
    address = allocation["PublicIp"]
    assert ipaddress.ip_address(address) in ELASTIC_IP_RANGE, address
    association = ec2.associate_address(
        AllocationId=allocation["AllocationId"], InstanceId=three["id"]
    )["AssociationId"]

    # ping, out and in, as soon as it is associated
    out = run(aws, three["id"], f"ping -c 2 {INTERNET_HOST}")
    assert out["ResponseCode"] == 0, out["StandardOutputContent"]
    assert run(aws, ids["i2"], f"ping -c 2 {address}")["ResponseCode"] == 0
    # reach, on the configuration as describe_* shows it
    topo = discover(describe_answers(ec2))
    assert reach(topo, three["id"], INTERNET_HOST, "icmp").reachable
    assert reach(topo, ids["i2"], address, "icmp").reachable
    # flow records: instance 2's ping arrives at the third instance's interface
    records = aws("logs").filter_log_events(
        logGroupName="lab1-flow-logs", logStreamNames=[three["eni"]]
    )["events"]
    assert any(ids["public2"] in e["message"] and "ACCEPT" in e["message"] for e in records)

    # released cleanly: the address is gone and the instance is private again
    ec2.disassociate_address(AssociationId=association)
    ec2.release_address(AllocationId=allocation["AllocationId"])
    assert ec2.describe_addresses()["Addresses"] == []
    topo = discover(describe_answers(ec2))
    assert address not in {eni.public_ip for eni in topo.interfaces}
    assert not reach(topo, three["id"], INTERNET_HOST, "icmp").reachable
    assert run(aws, three["id"], f"ping -c 2 {INTERNET_HOST}")["ResponseCode"] == 1


def test_addresses_are_drawn_without_reuse(aws: Any) -> None:
    ec2 = aws("ec2")
    got = {ec2.allocate_address(Domain="vpc")["PublicIp"] for _ in range(20)}
    assert len(got) == 20
    assert all(ipaddress.ip_address(a) in ELASTIC_IP_RANGE for a in got)
