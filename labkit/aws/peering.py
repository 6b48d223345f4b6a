"""Idempotent builders for a VPC peering connection and the routes on both sides.

https://docs.aws.amazon.com/vpc/latest/peering/create-vpc-peering-connection.html
https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-routing.html
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labkit.aws import network
from labkit.aws.shown import Card
from labkit.errors import ConfigError, LabkitError

if TYPE_CHECKING:
    from labkit.aws.context import AwsContext

# Peering states that still stand for a connection (the others are gone or refused).
# https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html#vpc-peering-lifecycle
LIVE = ["initiating-request", "pending-acceptance", "provisioning", "active"]


@dataclass(frozen=True, repr=False)
class Peering(Card):
    """A peering connection between two of the lab's VPCs."""

    name: str
    peering_id: str
    requester: str
    accepter: str
    status: str

    def _card(self) -> tuple[str, list[tuple[str, Any]]]:
        return f"Peering {self.name} ({self.peering_id}): {self.status}", [
            ("requester", self.requester),
            ("accepter", self.accepter),
        ]


def _vpc(lab: AwsContext, name: str) -> dict[str, Any]:
    vpc = network.find_vpc(lab, name)
    if vpc is None:
        raise ConfigError(f"{name} does not exist yet: run notebook 01 first")
    return vpc


def find_peering(lab: AwsContext, name: str) -> dict[str, Any] | None:
    """The lab's live peering connection with this Name tag, or None."""
    with lab.call(f"looking up the peering connection {name}"):
        pages = lab.ec2.get_paginator("describe_vpc_peering_connections").paginate(
            Filters=lab.filters(name) + [{"Name": "status-code", "Values": LIVE}]
        )
        found = [p for page in pages for p in page["VpcPeeringConnections"]]
    return found[0] if found else None


def _peering(name: str, raw: dict[str, Any], requester: str, accepter: str) -> Peering:
    return Peering(name, raw["VpcPeeringConnectionId"], requester, accepter, raw["Status"]["Code"])


def request_peering(lab: AwsContext, requester: str, accepter: str) -> Peering:
    """Ask to peer two of the lab's VPCs (by Name); the accepter still has to accept."""
    name = f"{requester} ↔ {accepter}"
    raw = find_peering(lab, name)
    if raw is None:
        a, b = _vpc(lab, requester), _vpc(lab, accepter)
        with lab.call(f"requesting the peering connection {name}"):
            raw = lab.ec2.create_vpc_peering_connection(
                VpcId=a["VpcId"],
                PeerVpcId=b["VpcId"],
                TagSpecifications=lab.tag_spec("vpc-peering-connection", name),
            )["VpcPeeringConnection"]
        raw = _settle(lab, raw["VpcPeeringConnectionId"], {"initiating-request"})
    return _peering(name, raw, requester, accepter)


def accept_peering(lab: AwsContext, requester: str, accepter: str) -> Peering:
    """Accept the peering request (as the accepter VPC's owner would) and wait until active."""
    name = f"{requester} ↔ {accepter}"
    raw = find_peering(lab, name)
    if raw is None:
        raise ConfigError(f"there is no peering request {name}: request it first")
    if raw["Status"]["Code"] == "pending-acceptance":
        with lab.call(f"accepting the peering connection {name}"):
            lab.ec2.accept_vpc_peering_connection(
                VpcPeeringConnectionId=raw["VpcPeeringConnectionId"]
            )
    raw = _settle(lab, raw["VpcPeeringConnectionId"], {"pending-acceptance", "provisioning"})
    if raw["Status"]["Code"] != "active":
        raise LabkitError(
            f"the peering connection {name} is {raw['Status']['Code']}: "
            f"{raw['Status'].get('Message', 'see the console')}"
        )
    return _peering(name, raw, requester, accepter)


def _settle(lab: AwsContext, peering_id: str, transient: set[str], timeout_s: float = 120) -> Any:
    started = time.monotonic()
    while True:
        with lab.call("reading the peering connection's state"):
            raw = lab.ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[peering_id])
        current = raw["VpcPeeringConnections"][0]
        if current["Status"]["Code"] not in transient or time.monotonic() - started > timeout_s:
            return current
        time.sleep(0.1 if lab.endpoint_url else 2)


def not_active(raw: dict[str, Any]) -> tuple[str, str]:
    """(why a live peering carries no traffic yet, what moves it on: the call to make)."""
    code, pcx = raw["Status"]["Code"], raw["VpcPeeringConnectionId"]
    if code == "pending-acceptance":
        accept = f"lab.ec2.accept_vpc_peering_connection(VpcPeeringConnectionId={pcx!r})"
        return "still pending acceptance", f"accept it first with {accept}"
    # initiating-request and provisioning last seconds on AWS (the lifecycle link above).
    return f"{code}, not active yet", "wait a few seconds and run this again"


@dataclass(frozen=True)
class Side:
    """One side of a peering: a route table of this VPC, and the other VPC's block."""

    vpc: str
    table: dict[str, Any]
    peer_cidr: str


def sides(lab: AwsContext, requester: str, accepter: str) -> list[Side]:
    """The route tables of both VPCs' public subnets, each with the other VPC's block."""
    found = []
    for here, there in ((requester, accepter), (accepter, requester)):
        vpc, peer = _vpc(lab, here), _vpc(lab, there)
        subnet = network.find_public_subnet(lab, here)
        if subnet is not None:
            table = network.route_table_for(lab, vpc["VpcId"], subnet["SubnetId"])
            found.append(Side(here, table, peer["CidrBlock"]))
    return found


def add_peering_routes(lab: AwsContext, requester: str, accepter: str) -> list[str]:
    """On each side, a route to the other VPC's block through the peering connection.

    The peering must be active already: routes come after the accept step, and this never
    accepts on the learner's behalf. Returns one line per route, e.g. "VPC 1: 10.2.0.0/16 → pcx-…".
    """
    name = f"{requester} ↔ {accepter}"
    raw = find_peering(lab, name)
    if raw is None:
        raise ConfigError(f"there is no peering request {name}: request it first")
    if raw["Status"]["Code"] != "active":
        what, hint = not_active(raw)
        raise ConfigError(f"the peering connection {name} is {what}: {hint}")
    peering = _peering(name, raw, requester, accepter)
    return [line for line, _ in _route_both_sides(lab, peering, requester, accepter)]


def ensure_peering_routes(lab: AwsContext, requester: str, accepter: str) -> list[tuple[str, bool]]:
    """The builders' version (``connect(ensure=...)``): accept if needed, then route both
    sides; returns each route's line with whether it had to be added."""
    peering = accept_peering(lab, requester, accepter)
    return _route_both_sides(lab, peering, requester, accepter)


def _route_both_sides(
    lab: AwsContext, peering: Peering, requester: str, accepter: str
) -> list[tuple[str, bool]]:
    done = []
    for side in sides(lab, requester, accepter):
        added = network.ensure_route(
            lab, side.table, side.peer_cidr, VpcPeeringConnectionId=peering.peering_id
        )
        done.append((f"{side.vpc}: {side.peer_cidr} → {peering.peering_id}", added))
    return done


def remove_peering(lab: AwsContext, requester: str, accepter: str) -> list[str]:
    """Delete the peering connection between two lab VPCs and the routes through it.

    Returns one line per change ("the route VPC 1: 10.2.0.0/16 → pcx-…", "the peering
    connection VPC 1 ↔ VPC 2 (pcx-…)"); nothing when there is no such peering. The routes
    go first: deleting only the peering would leave them as blackholes.
    https://docs.aws.amazon.com/vpc/latest/peering/delete-vpc-peering-connection.html
    """
    name = f"{requester} ↔ {accepter}"
    raw = find_peering(lab, name)
    if raw is None:
        return []
    pcx = raw["VpcPeeringConnectionId"]
    removed = []
    for side in sides(lab, requester, accepter):
        # Any peering route to the peer's block goes (a blackhole left by an older peering
        # too), so that the notebook's own create_route does not meet RouteAlreadyExists.
        for route in side.table.get("Routes", []):
            through = route.get("VpcPeeringConnectionId")
            if through and route.get("DestinationCidrBlock") == side.peer_cidr:
                with lab.call(f"deleting {side.vpc}'s route through {through}"):
                    lab.ec2.delete_route(
                        RouteTableId=side.table["RouteTableId"],
                        DestinationCidrBlock=side.peer_cidr,
                    )
                removed.append(f"the route {side.vpc}: {side.peer_cidr} → {through}")
    with lab.call(f"deleting the peering connection {name}"):
        lab.ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    _settle(lab, pcx, {"active", "deleting"})
    removed.append(f"the peering connection {name} ({pcx})")
    return removed
