"""S3 gateway endpoints through boto3 on the emulator: routes, policies, prefix lists, reach."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from lab1_build import build_lab1  # this directory's helpers

from labkit.aws.describe import describe_answers
from labkit.cli import main
from labkit.netsim import discover
from labkit.netsim.s3path import s3_path

S3 = "com.amazonaws.us-east-1.s3"
DENY_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}],
}


def endpoint_routes(ec2: Any, rtb: str) -> list[dict[str, Any]]:
    table = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
    return [r for r in table["Routes"] if r.get("DestinationPrefixListId")]


def s3_prefix_list_id(ec2: Any) -> str:
    found = [p for p in ec2.describe_prefix_lists()["PrefixLists"] if p["PrefixListName"] == S3]
    assert len(found) == 1
    return str(found[0]["PrefixListId"])


def two_tables(ec2: Any) -> tuple[str, str, str]:
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    b = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    return vpc, a, b


def policy_of(ec2: Any, vpce: str) -> dict[str, Any]:
    found = ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]
    return dict(json.loads(found["PolicyDocument"]))


def test_endpoint_routes_follow_create_modify_and_delete(aws: Any) -> None:
    ec2 = aws("ec2")
    vpc, a, b = two_tables(ec2)
    pl = s3_prefix_list_id(ec2)
    vpce = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=S3, VpcEndpointType="Gateway", RouteTableIds=[a]
    )["VpcEndpoint"]["VpcEndpointId"]
    assert [(r["DestinationPrefixListId"], r["GatewayId"]) for r in endpoint_routes(ec2, a)] == [
        (pl, vpce)
    ]
    assert endpoint_routes(ec2, b) == []

    ec2.modify_vpc_endpoint(VpcEndpointId=vpce, AddRouteTableIds=[b])
    assert [r["GatewayId"] for r in endpoint_routes(ec2, b)] == [vpce]

    ec2.modify_vpc_endpoint(VpcEndpointId=vpce, RemoveRouteTableIds=[a])
    assert endpoint_routes(ec2, a) == [], "moto alone leaves the route in the removed table"
    listed = ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]
    assert listed["RouteTableIds"] == [b]

    ec2.delete_vpc_endpoints(VpcEndpointIds=[vpce])
    assert endpoint_routes(ec2, b) == []


def test_bad_route_table_changes_nothing(aws: Any) -> None:
    ec2 = aws("ec2")
    vpc, a, b = two_tables(ec2)
    vpce = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=S3, VpcEndpointType="Gateway", RouteTableIds=[a]
    )["VpcEndpoint"]["VpcEndpointId"]
    with pytest.raises(ClientError) as err:
        ec2.modify_vpc_endpoint(
            VpcEndpointId=vpce, AddRouteTableIds=[b], RemoveRouteTableIds=["rtb-0000000000000dead"]
        )
    assert err.value.response["Error"]["Code"] == "InvalidRouteTableID.NotFound"
    assert endpoint_routes(ec2, b) == [] and len(endpoint_routes(ec2, a)) == 1


def test_policy_document_replaces_and_reset_policy_restores_full_access(aws: Any) -> None:
    ec2 = aws("ec2")
    vpc, a, _ = two_tables(ec2)
    vpce = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=S3, VpcEndpointType="Gateway", RouteTableIds=[a]
    )["VpcEndpoint"]["VpcEndpointId"]
    default = policy_of(ec2, vpce)
    assert default["Statement"] == [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
    ]
    ec2.modify_vpc_endpoint(VpcEndpointId=vpce, PolicyDocument=json.dumps(DENY_ALL))
    assert policy_of(ec2, vpce) == DENY_ALL
    ec2.modify_vpc_endpoint(VpcEndpointId=vpce, ResetPolicy=True)
    assert policy_of(ec2, vpce) == default, "moto alone keeps the Deny"


def test_unknown_service_name_is_refused_as_on_aws(aws: Any) -> None:
    ec2 = aws("ec2")
    vpc, a, _ = two_tables(ec2)
    with pytest.raises(ClientError) as err:
        ec2.create_vpc_endpoint(
            VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s4", VpcEndpointType="Gateway"
        )
    assert err.value.response["Error"]["Code"] == "InvalidServiceName"
    assert "'com.amazonaws.us-east-1.s4' does not exist" in err.value.response["Error"]["Message"]
    assert ec2.describe_vpc_endpoints()["VpcEndpoints"] == []


def test_prefix_lists_answer_with_s3_ranges(aws: Any) -> None:
    ec2 = aws("ec2")
    pl = s3_prefix_list_id(ec2)
    listed = next(p for p in ec2.describe_prefix_lists()["PrefixLists"] if p["PrefixListId"] == pl)
    assert "52.216.0.0/15" in listed["Cidrs"], "AWS's DescribePrefixLists lists the CIDRs"
    managed = ec2.describe_managed_prefix_lists(PrefixListIds=[pl])["PrefixLists"][0]
    assert managed["PrefixListName"] == S3
    entries = ec2.get_managed_prefix_list_entries(PrefixListId=pl)["Entries"]
    assert sorted(e["Cidr"] for e in entries) == sorted(listed["Cidrs"])


def test_discover_and_s3_path_on_the_live_emulator(aws: Any) -> None:
    ec2 = aws("ec2")
    ids = build_lab1(aws)
    topo = discover(describe_answers(ec2))
    assert s3_path(topo, ids["i1"], "us-east-1").kind == "internet"
    vpce = ec2.create_vpc_endpoint(
        VpcId=ids["vpc1"], ServiceName=S3, VpcEndpointType="Gateway", RouteTableIds=[ids["rtb1"]]
    )["VpcEndpoint"]["VpcEndpointId"]
    topo = discover(describe_answers(ec2))
    assert topo.get(vpce).route_table_ids == (ids["rtb1"],)
    path = s3_path(topo, ids["i1"], "us-east-1")
    assert (path.kind, path.vpce_id, path.vpc_id) == ("endpoint", vpce, ids["vpc1"])
    assert path.vpc_source_ip == ids["ip1"] and "aws:SourceIp" not in path.context()
    ec2.delete_vpc_endpoints(VpcEndpointIds=[vpce])
    topo = discover(describe_answers(ec2))
    assert topo.get(vpce) is None
    assert s3_path(topo, ids["i1"], "us-east-1").kind == "internet"


def test_labkit_reach_to_s3_names_the_endpoint(
    aws: Any, emulator_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ec2 = aws("ec2")
    ids = build_lab1(aws)
    argv = ["reach", "--from", "Instance 1", "--to", "s3", "--endpoint-url", emulator_url]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("REACHABLE: ") and ids["igw1"] in out
    vpce = ec2.create_vpc_endpoint(
        VpcId=ids["vpc1"], ServiceName=S3, VpcEndpointType="Gateway", RouteTableIds=[ids["rtb1"]]
    )["VpcEndpoint"]["VpcEndpointId"]
    assert main([*argv, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["reachable"] is True
    assert vpce in data["explanation"] and vpce in data["forward"]
    assert ids["igw1"] not in data["forward"]
