"""Reachability scenarios on hand-built topologies: every blocking component, and the fixes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest

from labkit.errors import LabkitError
from labkit.netsim import codes, reach
from labkit.netsim.model import NaclRule, Route, RouteTable, SgRule, Topology
from labkit.netsim.topologies import Builder, allow_group, allow_tcp, lab1_builder, public_vpc

Lab = tuple[Builder, dict[str, str]]


def lab1(peered: bool = False, **kwargs: object) -> Lab:
    """Lab 1 topology in a builder, so a scenario can change one thing before building."""
    return lab1_builder(peered, flow_log=False)


def set_routes(b: Builder, rtb_id: str, routes: list[Route]) -> None:
    rtb = b.get(rtb_id)
    assert isinstance(rtb, RouteTable)
    b.replace(replace(rtb, routes=tuple(routes)))


@dataclass(frozen=True)
class Case:
    comment: str
    build: Callable[[], tuple[Topology, dict[str, str]]]
    src: str
    dst: str
    protocol: str = "icmp"
    port: int | None = None
    reachable: bool = False
    component: str | None = None  # a role key in ids, or a literal id
    code: str | None = None


def built(
    fn: Callable[[Builder, dict[str, str]], None], peered: bool = True
) -> Callable[[], tuple[Topology, dict[str, str]]]:
    def make() -> tuple[Topology, dict[str, str]]:
        b, ids = lab1(peered)
        fn(b, ids)
        return b.build(), ids

    return make


def nothing(b: Builder, ids: dict[str, str]) -> None:
    return None


def no_default_route(b: Builder, ids: dict[str, str]) -> None:
    set_routes(b, ids["rtb1"], [Route("10.1.0.0/16", "local")])


def no_route_back_to_internet(b: Builder, ids: dict[str, str]) -> None:
    set_routes(b, ids["rtb2"], [Route("10.2.0.0/16", "local")])


def no_public_ip(b: Builder, ids: dict[str, str]) -> None:
    b.replace(replace(b.get(ids["eni1"]), public_ip=None))  # type: ignore[type-var]


def sg_no_egress(b: Builder, ids: dict[str, str]) -> None:
    b.replace(replace(b.get(ids["sg1"]), egress=()))  # type: ignore[type-var]


def sg_ssh_only(b: Builder, ids: dict[str, str]) -> None:
    b.replace(replace(b.get(ids["sg2"]), ingress=(allow_tcp(22),)))  # type: ignore[type-var]


def acl_denies_inbound_icmp(b: Builder, ids: dict[str, str]) -> None:
    ids["acl"] = b.acl(
        ids["vpc2"],
        [
            NaclRule(90, False, False, 1, "10.1.0.0/16"),
            NaclRule(100, False, True),
            NaclRule(100, True, True),
        ],
        [ids["subnet2"]],
    )


def acl_denies_outbound(b: Builder, ids: dict[str, str]) -> None:
    ids["acl"] = b.acl(
        ids["vpc1"], [NaclRule(100, False, True), NaclRule(100, True, False)], [ids["subnet1"]]
    )


def acl_blocks_icmp_reply(b: Builder, ids: dict[str, str]) -> None:
    # inbound: everything; outbound: only SSH answers, so the echo reply is dropped
    ids["acl"] = b.acl(
        ids["vpc2"],
        [NaclRule(100, False, True), NaclRule(100, True, True, 6, "0.0.0.0/0", 22, 22)],
        [ids["subnet2"]],
    )


def acl_without_ephemeral_ports(b: Builder, ids: dict[str, str]) -> None:
    ids["acl"] = b.acl(
        ids["vpc2"],
        [
            NaclRule(100, False, True, 6, "0.0.0.0/0", 22, 22),
            NaclRule(100, True, True, 6, "0.0.0.0/0", 80, 80),
        ],
        [ids["subnet2"]],
    )


def acl_lower_rule_allows(b: Builder, ids: dict[str, str]) -> None:
    # rule 50 allows before rule 100 denies: lowest number first
    ids["acl"] = b.acl(
        ids["vpc2"],
        [
            NaclRule(100, False, False, 1),
            NaclRule(50, False, True, 1, "10.1.0.0/16"),
            NaclRule(100, True, True),
        ],
        [ids["subnet2"]],
    )


def stop_instance2(b: Builder, ids: dict[str, str]) -> None:
    b.replace(replace(b.get(ids["instance2"]), state="stopped"))  # type: ignore[type-var]


def stop_instance1(b: Builder, ids: dict[str, str]) -> None:
    b.replace(replace(b.get(ids["instance1"]), state="stopped"))  # type: ignore[type-var]


def pending_peering(b: Builder, ids: dict[str, str]) -> None:
    b.replace(replace(b.get(ids["pcx"]), status="pending-acceptance"))  # type: ignore[type-var]


def deleted_peering_gone(b: Builder, ids: dict[str, str]) -> None:
    set_routes(
        b,
        ids["rtb1"],
        [
            Route("10.1.0.0/16", "local"),
            Route("0.0.0.0/0", ids["igw1"]),
            Route("10.2.0.0/16", "pcx-gone", "blackhole"),
        ],
    )


def route_on_one_side(b: Builder, ids: dict[str, str]) -> None:
    set_routes(b, ids["rtb2"], [Route("10.2.0.0/16", "local"), Route("0.0.0.0/0", ids["igw2"])])


def transitive(b: Builder, ids: dict[str, str]) -> None:
    third = public_vpc(b, 3)
    ids.update({f"{k}3": v for k, v in third.items()})
    ids["pcx23"] = b.peering(ids["vpc2"], ids["vpc3"])
    b.add_route(ids["rtb2"], "10.3.0.0/16", ids["pcx23"])
    b.add_route(ids["rtb3"], "10.2.0.0/16", ids["pcx23"])
    b.add_route(ids["rtb1"], "10.3.0.0/16", ids["pcx"])  # VPC 1 tries to go through VPC 2


def more_specific_blackhole(b: Builder, ids: dict[str, str]) -> None:
    b.add_route(ids["rtb1"], "10.2.0.0/24", "pcx-gone", "blackhole")


def less_specific_blackhole(b: Builder, ids: dict[str, str]) -> None:
    b.add_route(ids["rtb1"], "10.0.0.0/8", "pcx-gone", "blackhole")


def sg_reference(b: Builder, ids: dict[str, str]) -> None:
    b.replace(replace(b.get(ids["sg2"]), ingress=(allow_group(ids["sg1"]),)))  # type: ignore[type-var]


def no_igw_in_vpc2(b: Builder, ids: dict[str, str]) -> None:
    b.replace(replace(b.get(ids["igw2"]), vpc_id=None))  # type: ignore[type-var]


def igw_of_other_vpc(b: Builder, ids: dict[str, str]) -> None:
    set_routes(b, ids["rtb1"], [Route("10.1.0.0/16", "local"), Route("0.0.0.0/0", ids["igw2"])])


def endpoint_no_public_ip(b: Builder, ids: dict[str, str]) -> None:
    no_public_ip(b, ids)
    ids["vpce"] = b.gateway_endpoint(ids["vpc1"], [ids["rtb1"]])


CASES = [
    Case(
        "Lab 1 before peering: private ping goes nowhere",
        built(nothing, peered=False),
        "Instance 1",
        "10.2.0.10",
        component="rtb1",
        code=codes.CANNOT_ROUTE,
    ),
    Case(
        "Lab 1 before peering: the public IP works through both IGWs",
        built(nothing, peered=False),
        "Instance 1",
        "54.2.0.10",
        reachable=True,
    ),
    Case(
        "Lab 1 after peering and routes on both sides",
        built(nothing),
        "Instance 1",
        "10.2.0.10",
        reachable=True,
    ),
    Case(
        "no default route: the internet is unreachable",
        built(no_default_route),
        "Instance 1",
        "8.8.8.8",
        component="rtb1",
        code=codes.CANNOT_ROUTE,
    ),
    Case(
        "inbound SSH from the internet, but no route back via the IGW",
        built(no_route_back_to_internet),
        "203.0.113.12",
        "Instance 2",
        "tcp",
        22,
        component="rtb2",
        code=codes.CANNOT_ROUTE,
    ),
    Case(
        "inbound SSH from the internet with the route back",
        built(nothing),
        "203.0.113.12",
        "Instance 2",
        "tcp",
        22,
        reachable=True,
    ),
    Case(
        "an instance without a public IP cannot use the IGW",
        built(no_public_ip),
        "Instance 1",
        "8.8.8.8",
        component="eni1",
        code=codes.NO_PUBLIC_IP,
    ),
    Case(
        "the internet cannot reach an instance without a public IP",
        built(no_public_ip),
        "203.0.113.12",
        "Instance 1",
        "tcp",
        22,
        component="eni1",
        code=codes.NO_PUBLIC_IP,
    ),
    Case(
        "security group without outbound rules",
        built(sg_no_egress),
        "Instance 1",
        "10.2.0.10",
        component="sg1",
        code=codes.ENI_SG_RULES_MISMATCH,
    ),
    Case(
        "security group of the target allows only SSH",
        built(sg_ssh_only),
        "Instance 1",
        "10.2.0.10",
        component="sg2",
        code=codes.ENI_SG_RULES_MISMATCH,
    ),
    Case(
        "...but SSH passes it",
        built(sg_ssh_only),
        "Instance 1",
        "10.2.0.10",
        "tcp",
        22,
        reachable=True,
    ),
    Case(
        "network ACL denies inbound ICMP",
        built(acl_denies_inbound_icmp),
        "Instance 1",
        "10.2.0.10",
        component="acl",
        code=codes.SUBNET_ACL_RESTRICTION,
    ),
    Case(
        "network ACL denies all outbound",
        built(acl_denies_outbound),
        "Instance 1",
        "10.2.0.10",
        component="acl",
        code=codes.SUBNET_ACL_RESTRICTION,
    ),
    Case(
        "network ACL lets the echo in but drops the reply",
        built(acl_blocks_icmp_reply),
        "Instance 1",
        "10.2.0.10",
        component="acl",
        code=codes.SUBNET_ACL_RESTRICTION,
    ),
    Case(
        "network ACL forgets the ephemeral ports of TCP replies",
        built(acl_without_ephemeral_ports),
        "Instance 1",
        "10.2.0.10",
        "tcp",
        22,
        component="acl",
        code=codes.SUBNET_ACL_RESTRICTION,
    ),
    Case(
        "lowest ACL rule number wins",
        built(acl_lower_rule_allows),
        "Instance 1",
        "10.2.0.10",
        reachable=True,
    ),
    Case(
        "stopped destination",
        built(stop_instance2),
        "Instance 1",
        "10.2.0.10",
        component="instance2",
        code=codes.BAD_STATE,
    ),
    Case(
        "stopped source",
        built(stop_instance1),
        "Instance 1",
        "10.2.0.10",
        component="instance1",
        code=codes.BAD_STATE,
    ),
    Case(
        "peering not accepted yet",
        built(pending_peering),
        "Instance 1",
        "10.2.0.10",
        component="pcx",
        code=codes.BAD_STATE,
    ),
    Case(
        "route to a peering that no longer exists is a blackhole",
        built(deleted_peering_gone, peered=False),
        "Instance 1",
        "10.2.0.10",
        component="rtb1",
        code=codes.BAD_STATE_ROUTE,
    ),
    Case(
        "route on one side only: the replies have no way back",
        built(route_on_one_side),
        "Instance 1",
        "10.2.0.10",
        component="rtb2",
        code=codes.CANNOT_ROUTE,
    ),
    Case(
        "peering is not transitive",
        built(transitive),
        "Instance 1",
        "10.3.0.10",
        component="pcx",
        code=codes.PEERING_NOT_TRANSITIVE,
    ),
    Case("...while each pair talks", built(transitive), "Instance 2", "10.3.0.10", reachable=True),
    Case(
        "longest prefix: a /24 blackhole beats the /16 peering route",
        built(more_specific_blackhole),
        "Instance 1",
        "10.2.0.10",
        component="rtb1",
        code=codes.BAD_STATE_ROUTE,
    ),
    Case(
        "longest prefix: the /16 peering route beats a /8 blackhole",
        built(less_specific_blackhole),
        "Instance 1",
        "10.2.0.10",
        reachable=True,
    ),
    Case(
        "SG reference: members of sg1 may come in over peering",
        built(sg_reference),
        "Instance 1",
        "10.2.0.10",
        reachable=True,
    ),
    Case(
        "SG reference does not match traffic via public IPs",
        built(sg_reference),
        "Instance 1",
        "54.2.0.10",
        component="sg2",
        code=codes.ENI_SG_RULES_MISMATCH,
    ),
    Case(
        "public IP in a VPC without an internet gateway",
        built(no_igw_in_vpc2),
        "Instance 1",
        "54.2.0.10",
        component="vpc2",
        code=codes.NO_INTERNET_GATEWAY,
    ),
    Case(
        "route via another VPC's internet gateway is a blackhole",
        built(igw_of_other_vpc),
        "Instance 1",
        "8.8.8.8",
        component="rtb1",
        code=codes.BAD_STATE_ROUTE,
    ),
    Case(
        "gateway endpoint: S3 without a public IP",
        built(endpoint_no_public_ip),
        "Instance 1",
        "52.216.8.1",
        reachable=True,
    ),
    Case(
        "without the endpoint, S3 needs a public IP",
        built(no_public_ip),
        "Instance 1",
        "52.216.8.1",
        component="eni1",
        code=codes.NO_PUBLIC_IP,
    ),
    Case(
        "from the internet, a private address is not routable",
        built(nothing),
        "203.0.113.12",
        "10.2.0.10",
        component="203.0.113.12",
        code=codes.CANNOT_ROUTE,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.comment for c in CASES])
def test_reachability_table(case: Case) -> None:
    topo, ids = case.build()
    verdict = reach(topo, case.src, case.dst, case.protocol, case.port)
    assert verdict.reachable is case.reachable, verdict.explanation
    if case.reachable:
        assert verdict.blocked_by is None
        assert verdict.forward[-1] in {i.id for i in topo.instances} | {ids.get("vpce")}
        assert verdict.return_path[-1] == verdict.forward[0]
        return
    component = ids.get(case.component or "", case.component or "")
    assert verdict.blocked_by is not None
    assert (verdict.blocked_by.component, verdict.blocked_by.code) == (component, case.code)
    assert component in verdict.explanation
    assert component in verdict.forward + verdict.return_path, "the blocker is on the path shown"


def test_forward_and_return_hops_of_lab1_after_peering() -> None:
    topo, ids = built(nothing)()
    verdict = reach(topo, "Instance 1", "Instance 2")
    g = ids.get
    assert verdict.forward == (
        g("instance1"),
        g("eni1"),
        g("sg1"),
        "acl-1",
        g("rtb1"),
        g("pcx"),
        "acl-2",
        g("sg2"),
        g("eni2"),
        g("instance2"),
    )
    assert verdict.return_path == (
        g("instance2"),
        g("eni2"),
        g("sg2"),
        "acl-2",
        g("rtb2"),
        g("pcx"),
        "acl-1",
        g("sg1"),
        g("eni1"),
        g("instance1"),
    )


def test_explanations_name_the_fix() -> None:
    topo, ids = built(nothing, peered=False)()
    before = reach(topo, "Instance 1", "10.2.0.10")
    assert "no route to 10.2.0.10" in before.explanation
    assert "10.2.0.0/16" in before.explanation
    topo, ids = built(route_on_one_side)()
    one_side = reach(topo, "Instance 1", "10.2.0.10")
    assert f"add a route to 10.1.0.0/16 via {ids['pcx']}" in one_side.explanation
    assert "repl" in one_side.explanation  # it is the way back that is missing


def test_reply_blocked_by_acl_keeps_forward_path_complete() -> None:
    topo, ids = built(acl_blocks_icmp_reply)()
    verdict = reach(topo, "Instance 1", "10.2.0.10")
    assert verdict.forward[-1] == ids["instance2"]
    assert "stateless" in verdict.explanation


def test_same_subnet_ignores_network_acls() -> None:
    b, ids = lab1()
    b.instance(ids["subnet1"], "10.1.0.11", "Neighbour", [ids["sg1"]])
    b.acl(ids["vpc1"], [], [ids["subnet1"]])  # denies everything at the subnet boundary
    topo = b.build()
    assert reach(topo, "Instance 1", "Neighbour").reachable
    assert not reach(topo, "Instance 1", "8.8.8.8").reachable


def test_icmp_type_in_sg_rules() -> None:
    b, ids = lab1(peered=True)
    only_echo = SgRule(1, 8, -1, cidrs=("10.0.0.0/8",))  # echo request, any code
    only_unreachable = SgRule(1, 3, -1, cidrs=("10.0.0.0/8",))
    sg = b.get(ids["sg2"])
    b.replace(replace(sg, ingress=(only_echo,)))  # type: ignore[type-var]
    assert reach(b.build(), "Instance 1", "Instance 2").reachable
    b.replace(replace(sg, ingress=(only_unreachable,)))  # type: ignore[type-var]
    assert not reach(b.build(), "Instance 1", "Instance 2").reachable


def test_to_dict_shape() -> None:
    topo, _ = built(nothing, peered=False)()
    data = reach(topo, "Instance 1", "10.2.0.10").to_dict()
    assert list(data) == ["reachable", "forward", "return", "blocked_by", "explanation"]
    assert set(data["blocked_by"]) == {"component", "code"}
    assert reach(topo, "Instance 1", "54.2.0.10").to_dict()["blocked_by"] is None


@pytest.mark.parametrize(
    ("src", "dst", "protocol", "port", "message"),
    [
        (
            "Instance 9",
            "10.2.0.10",
            "icmp",
            None,
            "unknown instance 'Instance 9': known instances are Instance 1, Instance 2",
        ),
        ("Instance 1", "Instance 9", "icmp", None, "unknown instance 'Instance 9'"),
        ("Instance 1", "10.2.0.300", "icmp", None, "invalid IP address '10.2.0.300'"),
        ("Instance 1", "10.2.0.10", "tcp", None, "tcp needs a destination port"),
        ("Instance 1", "10.2.0.10", "gre", None, "unknown protocol 'gre'"),
        ("10.9.9.9", "Instance 1", "icmp", None, "no instance has the address 10.9.9.9"),
    ],
)
def test_bad_endpoints_raise_one_clear_line(
    src: str, dst: str, protocol: str, port: int | None, message: str
) -> None:
    topo, _ = built(nothing)()
    with pytest.raises(LabkitError) as err:
        reach(topo, src, dst, protocol, port)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_instance_id_and_ip_work_as_source() -> None:
    topo, ids = built(nothing)()
    by_name = reach(topo, "Instance 1", "Instance 2")
    assert reach(topo, ids["instance1"], "Instance 2") == by_name
    assert reach(topo, "10.1.0.10", "Instance 2") == by_name
