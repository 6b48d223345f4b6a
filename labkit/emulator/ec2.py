"""AWS rules moto's EC2 misses, patched into moto's models by :func:`install` (see handlers).

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

3. DescribeVpcPeeringConnections honours its filters (moto ignores them and returns every
   connection): ``tag:``/``tag-key``/``tag-value``, ``status-code``,
   ``vpc-peering-connection-id``, ``requester-vpc-info.vpc-id``/``.cidr-block``,
   ``accepter-vpc-info.vpc-id``/``.cidr-block``.
   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcPeeringConnections.html

All are patches on moto's classes (moto renders ``Route.state`` and the peering status from
its models), so every client sees them: boto3, the CLI, and netsim's discover.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from moto.ec2.models.route_tables import Route
from moto.ec2.models.vpc_peering_connections import (
    VPCPeeringConnection,
    VPCPeeringConnectionBackend,
)
from moto.ec2.responses.vpc_peering_connections import VPCPeeringConnections
from moto.ec2.utils import generic_filter

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


# DescribeVpcPeeringConnections filter name → the value on moto's connection object.
_PEERING_FILTERS = {
    "status-code": lambda p: p._status.code,
    "vpc-peering-connection-id": lambda p: p.id,
    "requester-vpc-info.vpc-id": lambda p: p.vpc.id,
    "requester-vpc-info.cidr-block": lambda p: p.vpc.cidr_block,
    "accepter-vpc-info.vpc-id": lambda p: p.peer_vpc.id,
    "accepter-vpc-info.cidr-block": lambda p: p.peer_vpc.cidr_block,
}


def _peering_filter_value(self: Any, filter_name: str, method_name: str | None = None) -> Any:
    if filter_name in _PEERING_FILTERS:
        return _PEERING_FILTERS[filter_name](self)
    return super(VPCPeeringConnection, self).get_filter_value(filter_name, method_name)


def _describe_peerings_filtered(self: Any) -> Any:
    from moto.core.responses import ActionResult

    ids = self._get_param("VpcPeeringConnectionIds", [])
    found = self.ec2_backend.describe_vpc_peering_connections(vpc_peering_ids=ids)
    return ActionResult(
        {"VpcPeeringConnections": generic_filter(self._filters_from_querystring(), found)}
    )


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
    VPCPeeringConnection.get_filter_value = _peering_filter_value  # type: ignore[method-assign]
    VPCPeeringConnections.describe_vpc_peering_connections = (  # type: ignore[method-assign]
        _describe_peerings_filtered
    )
    setattr(Route, _PATCHED, True)

