"""Readable names for the hops of a path: "route table of VPC 1 public subnet", not "rtb-0a1…".

Only VPCs, subnets, instances and security groups carry names of their own; the other
hops are named after what they belong to (an interface after its instance, a route table
after the subnets it serves), so a learner sees where a hop is without looking ids up.
"""

from __future__ import annotations

from dataclasses import dataclass

from labkit.netsim.model import (
    GatewayEndpoint,
    Instance,
    InternetGateway,
    NetworkAcl,
    NetworkInterface,
    PeeringConnection,
    RouteTable,
    SecurityGroup,
    Subnet,
    Topology,
    Vpc,
)


@dataclass(frozen=True)
class HopName:
    """A hop as a learner reads it: its kind, a name, and its id."""

    kind: str
    name: str
    resource_id: str


def _vpc(topo: Topology, vpc_id: str | None) -> str:
    vpc = topo.get(vpc_id) if vpc_id else None
    return (vpc.name or vpc.id) if isinstance(vpc, Vpc) else str(vpc_id or "?")


def _subnets(topo: Topology, subnet_ids: tuple[str, ...]) -> str:
    named = [s.name or s.cidr for s in map(topo.get, subnet_ids) if isinstance(s, Subnet)]
    return ", ".join(named)


def hop_name(topo: Topology, hop: str) -> HopName:
    """The kind and readable name of one hop (a resource id, or an address)."""
    found = topo.get(hop)
    if isinstance(found, Instance):
        return HopName("instance", found.name or found.id, hop)
    if isinstance(found, NetworkInterface):
        owner = topo.get(found.instance_id) if found.instance_id else None
        who = (owner.name or owner.id) if isinstance(owner, Instance) else found.private_ip
        return HopName("network interface", f"{who}'s interface {found.private_ip}", hop)
    if isinstance(found, SecurityGroup):
        return HopName("security group", found.name, hop)
    if isinstance(found, NetworkAcl):
        where = _subnets(topo, found.subnet_ids) or _vpc(topo, found.vpc_id)
        return HopName("network ACL", f"network ACL of {where}", hop)
    if isinstance(found, RouteTable):
        where = _subnets(topo, found.subnet_ids) or _vpc(topo, found.vpc_id)
        return HopName("route table", f"route table of {where}", hop)
    if isinstance(found, InternetGateway):
        return HopName("internet gateway", f"{_vpc(topo, found.vpc_id)}'s internet gateway", hop)
    if isinstance(found, PeeringConnection):
        ends = f"{_vpc(topo, found.requester_vpc_id)} ↔ {_vpc(topo, found.accepter_vpc_id)}"
        return HopName("peering connection", ends, hop)
    if isinstance(found, GatewayEndpoint):
        return HopName("gateway endpoint", f"{_vpc(topo, found.vpc_id)}'s endpoint", hop)
    if isinstance(found, Subnet | Vpc):
        return HopName(type(found).__name__.lower(), found.name or found.id, hop)
    return HopName("address", hop, hop)


def hop_names(topo: Topology, hops: tuple[str, ...]) -> tuple[HopName, ...]:
    """Every hop of a path, named."""
    return tuple(hop_name(topo, hop) for hop in hops)
