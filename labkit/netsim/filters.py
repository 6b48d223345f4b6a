"""Security groups (stateful allow lists) and network ACLs (stateless, numbered, first match).

https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from labkit.netsim.model import ALL, NaclRule, NetworkAcl, SecurityGroup, SgRule, Topology

ICMP = 1
ECHO_REQUEST = (8, 0)  # ICMP type, code
ECHO_REPLY = (0, 0)


@dataclass(frozen=True)
class Packet:
    """What the filters look at: protocol, destination port (TCP/UDP) or ICMP type and code."""

    protocol: int
    port: int = ALL
    icmp: tuple[int, int] = ECHO_REQUEST


@lru_cache(maxsize=4096)
def _network(cidr: str) -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network(cidr, strict=False)


def in_cidr(address: str, cidr: str) -> bool:
    """True if the IPv4 address lies in the CIDR block."""
    return ipaddress.IPv4Address(address) in _network(cidr)


def _in_range(value: int, low: int, high: int) -> bool:
    return low == ALL or low <= value <= (high if high != ALL else low)


def _sg_matches_packet(rule: SgRule, packet: Packet) -> bool:
    if rule.protocol not in (ALL, packet.protocol):
        return False
    if rule.protocol == ALL:
        return True
    if packet.protocol == ICMP:  # from_port = ICMP type, to_port = ICMP code
        icmp_type, icmp_code = packet.icmp
        return rule.from_port in (ALL, icmp_type) and rule.to_port in (ALL, icmp_code)
    if packet.protocol in (6, 17):
        return rule.from_port == ALL or rule.from_port <= packet.port <= rule.to_port
    return True


def _sg_matches_peer(topo: Topology, rule: SgRule, peer: str, peer_groups: frozenset[str]) -> bool:
    if any(in_cidr(peer, c) for c in rule.cidrs):
        return True
    if peer_groups.intersection(rule.group_ids):
        return True
    for pl_id in rule.prefix_list_ids:
        pl = topo.get(pl_id)
        if pl is not None and any(in_cidr(peer, c) for c in pl.cidrs):
            return True
    return False


def sg_allowing(
    topo: Topology,
    groups: Sequence[SecurityGroup],
    egress: bool,
    packet: Packet,
    peer: str,
    peer_groups: frozenset[str] = frozenset(),
) -> SecurityGroup | None:
    """The first group with a rule allowing the packet to/from ``peer``, or None.

    ``peer_groups`` are the peer ENI's groups; they match SG-referencing rules, which AWS
    applies only to traffic over private addresses (same VPC or peering).
    """
    for group in groups:
        for rule in group.egress if egress else group.ingress:
            if _sg_matches_packet(rule, packet) and _sg_matches_peer(topo, rule, peer, peer_groups):
                return group
    return None


def _acl_matches(rule: NaclRule, packet: Packet, peer: str) -> bool:
    if rule.protocol not in (ALL, packet.protocol):
        return False
    if not in_cidr(peer, rule.cidr):
        return False
    if rule.protocol == ALL:
        return True
    if packet.protocol == ICMP:
        icmp_type, icmp_code = packet.icmp
        return rule.icmp_type in (ALL, icmp_type) and rule.icmp_code in (ALL, icmp_code)
    if packet.protocol in (6, 17):
        return _in_range(packet.port, rule.from_port, rule.to_port)
    return True


@dataclass(frozen=True)
class AclDecision:
    """A network ACL's verdict on one packet, and the rule that decided (None = final "*")."""

    allowed: bool
    rule_number: int | None


def acl_decision(acl: NetworkAcl, egress: bool, packet: Packet, peer: str) -> AclDecision:
    """Evaluate the ACL's rules lowest number first; the first match wins, else deny."""
    for rule in sorted((r for r in acl.rules if r.egress == egress), key=lambda r: r.number):
        if _acl_matches(rule, packet, peer):
            return AclDecision(rule.allow, rule.number)
    return AclDecision(False, None)
