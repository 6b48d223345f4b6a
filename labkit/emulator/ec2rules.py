"""AWS rules moto's EC2 misses, added to moto's models when this module is imported.

1. Peering between VPCs with overlapping IPv4 CIDRs: AWS accepts the CreateVpcPeeringConnection
   call but the connection "immediately goes to failed" (it can then be neither accepted nor
   used). https://docs.aws.amazon.com/vpc/latest/peering/create-vpc-peering-connection.html
   and the API reference of CreateVpcPeeringConnection ("... has a status of failed"). The
   status message is "Overlapping CIDRs": AWS does not document its text, so we chose it.
   Accepting it then fails with moto's InvalidStateTransition error, as on AWS.
2. A route whose target is gone or not working shows ``State: blackhole`` ("the route's target
   isn't available"), https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Route.html :
   a peering connection that is not active (deleted, rejected, failed, expired, pending) or
   an internet gateway no longer attached to the route table's VPC.

Both are patches on moto's model classes (moto renders ``Route.state`` and the peering
status from them), so every client sees them: boto3, the CLI, and netsim's discover.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from moto.ec2.models.route_tables import Route
from moto.ec2.models.vpc_peering_connections import VPCPeeringConnectionBackend

OVERLAP_MESSAGE = "Overlapping CIDRs"  # our choice: AWS documents the status, not its message
_PATCHED = "_labkit_patched"


def _cidrs(vpc: Any) -> list[ipaddress.IPv4Network]:
    blocks = [
        a.get("cidr_block")
        for a in vpc.cidr_block_association_set
        if a.get("cidr_block_state", {}).get("state", "associated") == "associated"
    ]
    blocks = [b for b in blocks if b] or [vpc.cidr_block]
    return [ipaddress.IPv4Network(b) for b in blocks if ":" not in b]


def overlapping(vpc: Any, peer: Any) -> bool:
    """True if any IPv4 CIDR block of one VPC overlaps one of the other."""
    return any(a.overlaps(b) for a in _cidrs(vpc) for b in _cidrs(peer))


def _route_state(route: Any) -> str:
    pcx = route.vpc_pcx
    if pcx is not None and pcx._status.code != "active":
        return "blackhole"
    gateway = route.gateway
    if gateway is not None and type(gateway).__name__ == "InternetGateway":
        attached = getattr(gateway, "vpc", None)
        if attached is None or attached.id != route.route_table.vpc_id:
            return "blackhole"
    return "active"


def install() -> None:
    """Patch moto's models (idempotent)."""
    if getattr(Route, _PATCHED, False):
        return
    original = VPCPeeringConnectionBackend.create_vpc_peering_connection

    def create_vpc_peering_connection(self: Any, vpc: Any, peer_vpc: Any, tags: Any = None) -> Any:
        pcx = original(self, vpc, peer_vpc, tags)
        if overlapping(vpc, peer_vpc):
            pcx._status.code = "failed"
            pcx._status.message = OVERLAP_MESSAGE
        return pcx

    VPCPeeringConnectionBackend.create_vpc_peering_connection = create_vpc_peering_connection  # type: ignore[method-assign]
    Route.state = property(_route_state)  # type: ignore[assignment,method-assign]
    setattr(Route, _PATCHED, True)


install()
