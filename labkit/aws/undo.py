"""Undo a notebook's steps, so a notebook whose cells call create directly can run again.

Notebook 02 starts from "two VPCs that cannot reach each other": its first check expects
the ping to fail. Its setup cell therefore removes the peering connection and the routes
that use it, and the cells below create them again with the AWS calls themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labkit.aws import peering

if TYPE_CHECKING:
    from labkit.lab import Lab


def remove_peering(lab: Lab, requester: str, accepter: str) -> list[str]:
    """Delete the peering between two lab VPCs and every peering route between them.

    Routes through any peering (also blackholes left by a deleted one) to the other VPC's
    block go, so a later ``create_route`` to that block does not meet RouteAlreadyExists.
    Returns one line per thing removed.
    """
    removed = []
    for side in peering.sides(lab, requester, accepter):
        for route in side.table["Routes"]:
            if route.get("DestinationCidrBlock") == side.peer_cidr and route.get(
                "VpcPeeringConnectionId"
            ):
                with lab.call(f"removing {side.vpc}'s route to {side.peer_cidr}"):
                    lab.ec2.delete_route(
                        RouteTableId=side.table["RouteTableId"],
                        DestinationCidrBlock=side.peer_cidr,
                    )
                removed.append(f"{side.vpc}: route to {side.peer_cidr}")
    name = f"{requester} ↔ {accepter}"
    found = peering.find_peering(lab, name)
    if found is not None:
        with lab.call(f"deleting the peering connection {name}"):
            lab.ec2.delete_vpc_peering_connection(
                VpcPeeringConnectionId=found["VpcPeeringConnectionId"]
            )
        removed.append(f"peering connection {name}")
    return removed
