"""discover() reads gateway endpoints and prefix lists from describe_* answers."""

from __future__ import annotations

from labkit.netsim import discover
from labkit.netsim.model import GatewayEndpoint, PrefixList

S3 = "com.amazonaws.us-east-1.s3"


def answers(**extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "Region": "us-east-1",
        "DescribeVpcEndpoints": {
            "VpcEndpoints": [
                {
                    "VpcEndpointId": "vpce-live",
                    "VpcId": "vpc-1",
                    "ServiceName": S3,
                    "VpcEndpointType": "Gateway",
                    "RouteTableIds": ["rtb-1"],
                    "PolicyDocument": '{"Statement": []}',
                    "State": "available",
                },
                {
                    "VpcEndpointId": "vpce-gone",
                    "VpcId": "vpc-1",
                    "ServiceName": S3,
                    "VpcEndpointType": "Gateway",
                    "RouteTableIds": [],
                    "State": "deleted",
                },
            ]
        },
    }
    base.update(extra)
    return base


def test_prefix_list_cidrs_from_describe_keep_ipv4_only() -> None:
    topo = discover(
        answers(
            DescribePrefixLists={
                "PrefixLists": [
                    {
                        "PrefixListId": "pl-s3",
                        "PrefixListName": S3,
                        "Cidrs": ["52.216.0.0/15", "2600:1fa0::/32"],
                    }
                ]
            }
        )
    )
    assert topo.get("pl-s3") == PrefixList("pl-s3", S3, ("52.216.0.0/15",))
    vpce = topo.get("vpce-live")
    assert isinstance(vpce, GatewayEndpoint)
    assert (vpce.prefix_list_id, vpce.route_table_ids) == ("pl-s3", ("rtb-1",))
    assert vpce.policy_document == '{"Statement": []}'
    assert topo.get("vpce-gone") is None, "a deleted endpoint routes nothing"


def test_prefix_list_entries_fill_in_missing_cidrs() -> None:
    topo = discover(
        answers(
            DescribePrefixLists={"PrefixLists": [{"PrefixListId": "pl-s3", "PrefixListName": S3}]},
            GetManagedPrefixListEntries={
                "pl-s3": {"Entries": [{"Cidr": "3.5.0.0/19"}, {"Cidr": "54.231.0.0/16"}]}
            },
        )
    )
    assert topo.get("pl-s3").cidrs == ("3.5.0.0/19", "54.231.0.0/16")
