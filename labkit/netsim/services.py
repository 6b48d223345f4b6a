"""AWS services as destinations: S3's prefix list and the address reach sends S3 traffic to.

A gateway endpoint's route has a prefix list as its destination: the AWS-managed list
``com.amazonaws.<region>.s3`` of S3's address ranges in that Region.
https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html

S3 answers on many addresses; netsim sends S3 traffic to ONE of them: the first usable
address of the first CIDR block of the Region's S3 prefix list (52.216.0.1 for moto's and
AWS's 52.216.0.0/15 in us-east-1). When a topology does not know the prefix list (it was
read without DescribePrefixLists), the ranges below stand in for it.
"""

from __future__ import annotations

import ipaddress

from labkit.netsim.model import GatewayEndpoint, PrefixList, Topology

S3 = "s3"  # how a learner names S3 as a destination: reach(topo, "Instance 1", "s3")
S3_LABEL = "S3"
HTTPS_PORT = 443
# S3's us-east-1 ranges as moto serves them (a subset of AWS's; all are S3 addresses in
# https://ip-ranges.amazonaws.com/ip-ranges.json).
FALLBACK_S3_CIDRS = ("52.216.0.0/15", "3.5.0.0/19", "54.231.0.0/16")


def s3_service_name(region: str) -> str:
    """The service (and prefix list) name of S3 in a Region: ``com.amazonaws.<region>.s3``."""
    return f"com.amazonaws.{region}.s3"


def is_s3(destination: str) -> bool:
    """True if a learner's destination names S3 ("s3", any case)."""
    return str(destination).strip().lower() == S3


def s3_prefix_list(topo: Topology, region: str | None = None) -> PrefixList:
    """The Region's S3 prefix list: the topology's, else one built from its S3 endpoint's id.

    The fallback keeps the endpoint's prefix-list id (so its routes still match) with
    :data:`FALLBACK_S3_CIDRS` as the ranges.
    """
    name = s3_service_name(region or topo.region)
    for pl in topo.prefix_lists:
        if pl.name == name:
            return pl
    for vpce in topo.endpoints:
        if vpce.service_name == name and vpce.prefix_list_id:
            return PrefixList(vpce.prefix_list_id, name, FALLBACK_S3_CIDRS)
    return PrefixList("pl-unknown-s3", name, FALLBACK_S3_CIDRS)


def with_s3_prefix_list(topo: Topology, region: str | None = None) -> Topology:
    """The topology, with the S3 prefix list added if it did not know it."""
    pl = s3_prefix_list(topo, region)
    return topo if topo.get(pl.id) is not None else topo.with_resource(pl)


def s3_address(topo: Topology, region: str | None = None) -> str:
    """The S3 address netsim sends to: the first usable address of the prefix list's first CIDR."""
    first = ipaddress.IPv4Network(s3_prefix_list(topo, region).cidrs[0], strict=False)
    return str(next(first.hosts()))


def endpoint_by_id(topo: Topology, vpce_id: str) -> GatewayEndpoint | None:
    """The gateway endpoint with this id, or None."""
    found = topo.get(vpce_id)
    return found if isinstance(found, GatewayEndpoint) else None
