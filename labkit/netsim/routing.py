"""Where a packet goes: longest-prefix match, local delivery, peering, internet gateways.

https://docs.aws.amazon.com/vpc/latest/userguide/route-tables-priority.html (longest prefix
first; on a tie a static CIDR route beats a prefix-list route), and
https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html (no transitive peering).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from labkit.netsim import codes
from labkit.netsim.filters import in_cidr
from labkit.netsim.model import (
    GatewayEndpoint,
    InternetGateway,
    NetworkInterface,
    PeeringConnection,
    Route,
    RouteTable,
    Topology,
)

# Addresses the internet never routes (RFC 1918, shared, loopback, link-local, multicast…).
# Python's is_private also covers the documentation ranges (203.0.113.0/24, …) that AWS's
# own examples use as internet addresses, so we keep our own list.
NOT_ON_INTERNET = tuple(
    ipaddress.IPv4Network(c)
    for c in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
)


def on_internet(address: str) -> bool:
    """True if the internet routes this address (it is not private, loopback, …)."""
    addr = ipaddress.IPv4Address(address)
    return not any(addr in network for network in NOT_ON_INTERNET)


@dataclass(frozen=True)
class Arrival:
    """A packet delivered: how, through which gateways, to which ENI, with which addresses."""

    kind: str  # local | peering | internet-gateway | internet | endpoint
    hops: tuple[str, ...]  # route table and gateways, in order
    eni: NetworkInterface | None  # None when delivered to the internet or an endpoint
    seen_source: str  # the sender's address as the receiver sees it
    target: str  # the receiver's address on arrival (private IP for an ENI)
    gateway: str | None = None  # pcx-…, igw-… or vpce-… crossed first


@dataclass(frozen=True)
class NoPath:
    """A packet dropped on the way: the component, the code and a learner's sentence."""

    component: str
    code: str
    explanation: str
    hops: tuple[str, ...]


def longest_match(topo: Topology, rtb: RouteTable, address: str) -> Route | None:
    """The route the table uses for the address: longest prefix; CIDR beats prefix list on ties."""
    best: tuple[int, int, Route] | None = None
    for route in rtb.routes:
        if route.is_prefix_list:
            pl = topo.get(route.destination)
            cidrs = pl.cidrs if pl is not None else ()
            rank = 0
        else:
            cidrs, rank = (route.destination,), 1
        for cidr in cidrs:
            if in_cidr(address, cidr):
                key = (ipaddress.IPv4Network(cidr, strict=False).prefixlen, rank)
                if best is None or key > best[:2]:
                    best = (*key, route)
    return best[2] if best else None


def who(topo: Topology, eni: NetworkInterface) -> str:
    """A learner's name for an ENI: "Instance 1 (10.1.0.10)" or "eni-… (10.1.0.10)"."""
    inst = topo.instance_of(eni)
    return f"{topo.label(inst) if inst else eni.id} ({eni.private_ip})"


def _advice(topo: Topology, vpc_id: str, address: str) -> str:
    """What route would carry traffic from the VPC to the address."""
    igw = topo.igw_for(vpc_id)
    if on_internet(address):
        service = next(
            (p for p in topo.prefix_lists if any(in_cidr(address, c) for c in p.cidrs)), None
        )
        also = f", or use a gateway endpoint for {service.name}" if service else ""
        if igw:
            return f"add a route to 0.0.0.0/0 via {igw.id}{also}"
        return f"attach an internet gateway to {vpc_id} and add a route to 0.0.0.0/0 via it{also}"
    for other in topo.vpcs_containing(address):
        if other == vpc_id:
            continue
        cidr = next(c for c in topo.get(other).cidrs if in_cidr(address, c))
        for pcx in topo.peerings:
            if pcx.other(vpc_id) == other and pcx.status == "active":
                return f"add a route to {cidr} via {pcx.id}"
        return f"peer {vpc_id} with {other} and add a route to {cidr} via the peering connection"
    if igw:
        return f"add one via a peering connection, or use the public IP via {igw.id}"
    return "add one via a peering connection or an internet gateway"


def _no_route(
    topo: Topology, rtb: RouteTable, address: str, reply: bool, hops: tuple[str, ...], why: str = ""
) -> NoPath:
    what = f"no route back to {address} for the replies" if reply else f"no route to {address}"
    text = f"{rtb.id} has {what}{why}; {_advice(topo, rtb.vpc_id, address)}"
    return NoPath(rtb.id, codes.CANNOT_ROUTE, text, hops)


def route(
    topo: Topology, sender: NetworkInterface, address: str, reply: bool = False
) -> Arrival | NoPath:
    """Follow a packet from an ENI to an address through its subnet's route table."""
    rtb = topo.route_table_for(sender.subnet_id)
    if rtb is None:
        return NoPath(
            sender.subnet_id,
            codes.CANNOT_ROUTE,
            f"{sender.subnet_id} has no route table; associate one",
            (sender.subnet_id,),
        )
    hops = (rtb.id,)
    chosen = longest_match(topo, rtb, address)
    if chosen is None:
        return _no_route(topo, rtb, address, reply, hops)
    target = topo.get(chosen.target)
    if chosen.target == "local":
        return _deliver_in_vpc(topo, sender.vpc_id, address, sender.private_ip, hops, "local", None)
    if isinstance(target, PeeringConnection):
        return _via_peering(topo, rtb, chosen, target, sender, address, hops)
    if chosen.state == "blackhole" or target is None:
        return NoPath(
            rtb.id,
            codes.BAD_STATE_ROUTE,
            f"the route to {chosen.destination} in {rtb.id} is a blackhole: {chosen.target} "
            f"no longer exists; delete the route or point it at a working target",
            hops,
        )
    if isinstance(target, InternetGateway):
        return _via_igw(topo, rtb, target, sender, address, reply, hops)
    if isinstance(target, GatewayEndpoint):
        return Arrival("endpoint", (*hops, target.id), None, sender.private_ip, address, target.id)
    return NoPath(
        chosen.target,
        codes.UNSUPPORTED_TARGET,
        f"{rtb.id} sends {address} to {chosen.target}, a target labkit does not simulate "
        f"(only local, internet gateway, peering and gateway endpoint routes)",
        hops,
    )


def _deliver_in_vpc(
    topo: Topology,
    vpc_id: str,
    address: str,
    source: str,
    hops: tuple[str, ...],
    kind: str,
    gateway: str | None,
) -> Arrival | NoPath:
    eni = topo.eni_at(vpc_id, address)
    if eni is None:
        return NoPath(
            vpc_id,
            codes.UNKNOWN_ADDRESS,
            f"no network interface in {vpc_id} has the address {address}; "
            f"check the IP of the instance you mean",
            hops,
        )
    return Arrival(kind, hops, eni, source, eni.private_ip, gateway)


def _via_peering(
    topo: Topology,
    rtb: RouteTable,
    chosen: Route,
    pcx: PeeringConnection,
    sender: NetworkInterface,
    address: str,
    hops: tuple[str, ...],
) -> Arrival | NoPath:
    hops = (*hops, pcx.id)
    if pcx.status != "active":
        return NoPath(
            pcx.id,
            codes.BAD_STATE,
            f"{pcx.id} is {pcx.status}, not active, so the route to {chosen.destination} "
            f"in {rtb.id} is a blackhole; "
            + (
                "accept the peering request"
                if pcx.status == "pending-acceptance"
                else "create a new peering connection and point the routes at it"
            ),
            hops,
        )
    peer = pcx.other(sender.vpc_id)
    if peer is None:
        return NoPath(
            rtb.id,
            codes.BAD_STATE_ROUTE,
            f"{rtb.id} sends {chosen.destination} to {pcx.id}, which does not connect "
            f"{sender.vpc_id}; point the route at a peering connection of this VPC",
            hops,
        )
    peer_vpc = topo.get(peer)
    if peer_vpc is None or not any(in_cidr(address, c) for c in peer_vpc.cidrs):
        return NoPath(
            pcx.id,
            codes.PEERING_NOT_TRANSITIVE,
            f"{pcx.id} connects {sender.vpc_id} and {peer} only, and {address} is not in "
            f"{peer}; peering is not transitive, so peer the two VPCs directly",
            hops,
        )
    return _deliver_in_vpc(topo, peer, address, sender.private_ip, hops, "peering", pcx.id)


def _via_igw(
    topo: Topology,
    rtb: RouteTable,
    igw: InternetGateway,
    sender: NetworkInterface,
    address: str,
    reply: bool,
    hops: tuple[str, ...],
) -> Arrival | NoPath:
    if igw.vpc_id != sender.vpc_id:
        return NoPath(
            rtb.id,
            codes.BAD_STATE_ROUTE,
            f"the route via {igw.id} in {rtb.id} is a blackhole: {igw.id} is not attached "
            f"to {sender.vpc_id}; attach it or use this VPC's internet gateway",
            hops,
        )
    if not on_internet(address):
        return _no_route(
            topo,
            rtb,
            address,
            reply,
            hops,
            f" (its {igw.id} route cannot carry the private address {address})",
        )
    hops = (*hops, igw.id)
    if sender.public_ip is None:
        return NoPath(
            sender.id,
            codes.NO_PUBLIC_IP,
            f"{sender.id} of {who(topo, sender)} has no public IPv4 address, so {igw.id} cannot "
            f"carry its traffic to {address}; launch it with a public IP or attach an Elastic IP",
            hops,
        )
    return from_internet(topo, sender.public_ip, address, hops, igw.id)


def from_internet(
    topo: Topology,
    source: str,
    address: str,
    hops: tuple[str, ...] = (),
    gateway: str | None = None,
) -> Arrival | NoPath:
    """Deliver a packet that crosses the internet from ``source`` to ``address``."""
    eni = topo.eni_with_public_ip(address)
    if eni is None:
        if not on_internet(address):
            return NoPath(
                source,
                codes.CANNOT_ROUTE,
                f"{address} is a private address, which the internet does not route to from "
                f"{source}; use the instance's public IP",
                hops,
            )
        return Arrival("internet", hops, None, source, address, gateway)
    igw = topo.igw_for(eni.vpc_id)
    if igw is None:
        return NoPath(
            eni.vpc_id,
            codes.NO_INTERNET_GATEWAY,
            f"{eni.vpc_id} has no internet gateway, so {address} cannot be reached from "
            f"the internet; attach one",
            hops,
        )
    if not hops or hops[-1] != igw.id:
        hops = (*hops, igw.id)
    return Arrival("internet-gateway", hops, eni, source, eni.private_ip, gateway or igw.id)
