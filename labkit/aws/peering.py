"""Idempotent builders for a VPC peering connection and the routes on both sides.

https://docs.aws.amazon.com/vpc/latest/peering/create-vpc-peering-connection.html
https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-routing.html
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labkit.aws import network
from labkit.errors import ConfigError, LabkitError

if TYPE_CHECKING:
    from labkit.lab import Lab

# Peering states that still stand for a connection (the others are gone or refused).
# https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html#vpc-peering-lifecycle
LIVE = ["initiating-request", "pending-acceptance", "provisioning", "active"]


@dataclass(frozen=True)
class Peering:
    """A peering connection between two of the lab's VPCs."""

    name: str
    peering_id: str
    requester: str
    accepter: str
    status: str


def _vpc(lab: Lab, name: str) -> dict[str, Any]:
    vpc = network.find_vpc(lab, name)
    if vpc is None:
        raise ConfigError(f"{name} does not exist yet: run notebook 01 first")
    return vpc


def find_peering(lab: Lab, name: str) -> dict[str, Any] | None:
    """The lab's live peering connection with this Name tag, or None."""
    with lab.call(f"looking up the peering connection {name}"):
        pages = lab.ec2.get_paginator("describe_vpc_peering_connections").paginate(
            Filters=lab.filters(name) + [{"Name": "status-code", "Values": LIVE}]
        )
        found = [p for page in pages for p in page["VpcPeeringConnections"]]
    return found[0] if found else None


def _peering(name: str, raw: dict[str, Any], requester: str, accepter: str) -> Peering:
    return Peering(name, raw["VpcPeeringConnectionId"], requester, accepter, raw["Status"]["Code"])


def request_peering(lab: Lab, requester: str, accepter: str) -> Peering:
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


def accept_peering(lab: Lab, requester: str, accepter: str) -> Peering:
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


def _settle(lab: Lab, peering_id: str, transient: set[str], timeout_s: float = 120) -> Any:
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


def sides(lab: Lab, requester: str, accepter: str) -> list[Side]:
    """The route tables of both VPCs' public subnets, each with the other VPC's block."""
    found = []
    for here, there in ((requester, accepter), (accepter, requester)):
        vpc, peer = _vpc(lab, here), _vpc(lab, there)
        with lab.call(f"reading {here}'s subnets"):
            subnets = lab.ec2.describe_subnets(Filters=lab.filters(f"{here} public subnet"))
        for subnet in subnets["Subnets"]:
            table = network.route_table_for(lab, vpc["VpcId"], subnet["SubnetId"])
            found.append(Side(here, table, peer["CidrBlock"]))
    return found


def add_peering_routes(lab: Lab, requester: str, accepter: str) -> list[str]:
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
    done = []
    for side in sides(lab, requester, accepter):
        network.ensure_route(
            lab, side.table, side.peer_cidr, VpcPeeringConnectionId=peering.peering_id
        )
        done.append(f"{side.vpc}: {side.peer_cidr} → {peering.peering_id}")
    return done
