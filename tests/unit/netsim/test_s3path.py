"""The S3 network path on hand-built topologies: host, endpoint, internet, and every "none"."""

from __future__ import annotations

from dataclasses import replace

import pytest

from labkit.errors import LabkitError
from labkit.netsim import codes
from labkit.netsim.model import NaclRule, Route, RouteTable, SgRule
from labkit.netsim.routing import longest_match
from labkit.netsim.s3path import HOST_PUBLIC_IP, s3_path
from labkit.netsim.services import s3_address
from labkit.netsim.topologies import S3_PREFIX_LIST, Builder, allow_tcp, lab1_builder

REGION = "us-east-1"
DENY_ALL = '{"Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}'


def lab() -> tuple[Builder, dict[str, str]]:
    return lab1_builder(peered=False, flow_log=False)


def no_public_ip(b: Builder, ids: dict[str, str]) -> None:
    b.replace(replace(b.get(ids["eni1"]), public_ip=None))  # type: ignore[type-var]


def routes(b: Builder, rtb_id: str, new: list[Route]) -> None:
    rtb = b.get(rtb_id)
    assert isinstance(rtb, RouteTable)
    b.replace(replace(rtb, routes=tuple(new)))


def test_the_host_is_the_internet_from_a_documentation_address() -> None:
    b, _ = lab()
    path = s3_path(b.build(), None, REGION)
    assert path.kind == "internet"
    assert path.context() == {"aws:SourceIp": HOST_PUBLIC_IP}
    assert HOST_PUBLIC_IP.startswith("203.0.113.")  # TEST-NET-3, RFC 5737


def test_public_instance_goes_over_the_internet_from_its_public_ip() -> None:
    b, ids = lab()
    path = s3_path(b.build(), ids["instance1"], REGION)
    assert path.kind == "internet"
    assert path.source_ip == "54.1.0.10"
    assert path.context() == {"aws:SourceIp": "54.1.0.10"}
    assert ids["igw1"] in path.hops and path.hops[-1] == "s3"
    assert ids["rtb1"] in path.explanation and ids["igw1"] in path.explanation


def test_endpoint_route_wins_over_the_default_route_and_hides_the_source_ip() -> None:
    b, ids = lab()
    vpce = b.gateway_endpoint(ids["vpc1"], [ids["rtb1"]], policy=DENY_ALL)
    path = s3_path(b.build(), ids["instance1"], REGION)
    assert path.kind == "endpoint"
    assert (path.vpce_id, path.vpc_id, path.vpc_source_ip) == (vpce, ids["vpc1"], "10.1.0.10")
    assert path.source_ip is None
    assert path.context() == {
        "aws:SourceVpce": vpce,
        "aws:SourceVpc": ids["vpc1"],
        "aws:VpcSourceIp": "10.1.0.10",
    }
    assert "aws:SourceIp" not in path.context()
    assert path.hops[-2:] == (vpce, "s3") and ids["igw1"] not in path.hops
    assert path.route_table_id == ids["rtb1"] and ids["rtb1"] in path.explanation
    assert path.endpoint_policy == DENY_ALL


def test_instance_by_name_tag_is_accepted_and_unknown_id_is_one_line() -> None:
    b, ids = lab()
    topo = b.build()
    assert s3_path(topo, "Instance 2", REGION).source_ip == "54.2.0.10"
    with pytest.raises(LabkitError, match="i-404"):
        s3_path(topo, "i-404", REGION)


def test_endpoint_in_another_route_table_is_not_used() -> None:
    b, ids = lab()
    other = b.route_table(ids["vpc1"])
    b.gateway_endpoint(ids["vpc1"], [other])
    path = s3_path(b.build(), ids["instance1"], REGION)
    assert path.kind == "internet"


def test_private_instance_reaches_s3_only_through_the_endpoint() -> None:
    b, ids = lab()
    no_public_ip(b, ids)
    routes(b, ids["rtb1"], [Route("10.1.0.0/16", "local")])
    without = s3_path(b.build(), ids["instance1"], REGION)
    assert without.kind == "none"
    assert (without.blocked_by, without.code) == (ids["rtb1"], codes.CANNOT_ROUTE)
    assert ids["rtb1"] in without.explanation and "gateway endpoint" in without.explanation
    assert without.context() == {}
    b.gateway_endpoint(ids["vpc1"], [ids["rtb1"]])
    assert s3_path(b.build(), ids["instance1"], REGION).kind == "endpoint"


def test_internet_route_without_public_ip_names_the_route_table() -> None:
    b, ids = lab()
    no_public_ip(b, ids)
    path = s3_path(b.build(), ids["instance1"], REGION)
    assert path.kind == "none" and path.code == codes.NO_PUBLIC_IP
    assert ids["rtb1"] in path.explanation and ids["igw1"] in path.explanation
    assert "public IP" in path.explanation


def test_route_to_a_deleted_endpoint_is_a_blackhole() -> None:
    b, ids = lab()
    b.add_route(ids["rtb1"], S3_PREFIX_LIST.id, "vpce-gone", "blackhole")
    b.replace(S3_PREFIX_LIST)
    path = s3_path(b.build(), ids["instance1"], REGION)
    assert path.kind == "none" and path.code == codes.BAD_STATE_ROUTE
    assert ids["rtb1"] in path.explanation and "blackhole" in path.explanation


def test_security_group_egress_must_allow_https_to_s3() -> None:
    b, ids = lab()
    b.gateway_endpoint(ids["vpc1"], [ids["rtb1"]])
    sg = b.get(ids["sg1"])
    b.replace(replace(sg, egress=(allow_tcp(443, "10.0.0.0/8"),)))  # type: ignore[type-var]
    blocked = s3_path(b.build(), ids["instance1"], REGION)
    assert (blocked.kind, blocked.blocked_by, blocked.code) == (
        "none",
        ids["sg1"],
        codes.ENI_SG_RULES_MISMATCH,
    )
    assert ids["sg1"] in blocked.explanation and "443" in blocked.explanation
    # The AWS advice: an outbound rule whose destination is the S3 prefix list.
    to_s3 = SgRule(6, 443, 443, prefix_list_ids=(S3_PREFIX_LIST.id,))
    b.replace(replace(sg, egress=(to_s3,)))  # type: ignore[type-var]
    assert s3_path(b.build(), ids["instance1"], REGION).kind == "endpoint"


def test_network_acl_denying_outbound_https_blocks_s3() -> None:
    b, ids = lab()
    rules = [
        NaclRule(90, True, False, 6, "52.216.0.0/15", 443, 443),
        NaclRule(100, True, True),
        NaclRule(100, False, True),
    ]
    acl = b.acl(ids["vpc1"], rules, [ids["subnet1"]])
    path = s3_path(b.build(), ids["instance1"], REGION)
    assert (path.kind, path.blocked_by, path.code) == ("none", acl, codes.SUBNET_ACL_RESTRICTION)


def test_prefix_list_route_beats_the_default_route_by_longest_prefix() -> None:
    b, ids = lab()
    vpce = b.gateway_endpoint(ids["vpc1"], [ids["rtb1"]])
    topo = b.build()
    rtb = topo.get(ids["rtb1"])
    s3 = s3_address(topo)
    assert s3 == "52.216.0.1"
    assert longest_match(topo, rtb, s3).target == vpce  # /15 beats /0
    assert longest_match(topo, rtb, "8.8.8.8").target == ids["igw1"]
    # "more specific routes always take priority", prefix lists included (D.2, D.3)
    b.add_route(ids["rtb1"], "52.216.0.0/24", ids["igw1"])
    topo = b.build()
    assert longest_match(topo, topo.get(ids["rtb1"]), s3).target == ids["igw1"]
    assert s3_path(topo, ids["instance1"], REGION).kind == "internet"


def test_stopped_instance_has_no_path() -> None:
    b, ids = lab()
    b.replace(replace(b.get(ids["instance1"]), state="stopped"))  # type: ignore[type-var]
    path = s3_path(b.build(), ids["instance1"], REGION)
    assert (path.kind, path.code) == ("none", codes.BAD_STATE)
