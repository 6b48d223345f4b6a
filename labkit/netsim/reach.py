"""Reachability: can a source reach a destination, and if not, which component blocks it?

Design. Like Reachability Analyzer, this reads configuration only; no packet moves. A query
follows one request packet and its reply through the stages below, in order, and stops at
the first stage that drops it. Each stage appends the id of the component it crossed to the
``forward`` or ``return`` hop list, so a blocked verdict's last hop is the blocker.

1. source: the instance must be running (BAD_STATE).
2. source-sg: an egress rule of the source ENI's security groups (ENI_SG_RULES_MISMATCH).
3. source-acl: the source subnet's network ACL, outbound (SUBNET_ACL_RESTRICTION).
4. forward-route: the source subnet's route table, longest prefix first, then the gateway:
   local, a peering connection (active, not transitive), an internet gateway (needs a public
   IP; the source is seen as its public IP; the destination VPC's IGW maps a public IP to
   the private one) or a gateway endpoint (a prefix-list route). See :mod:`.routing`.
5. destination: the instance must be running.
6. destination-acl, destination-sg: inbound ACL, then security group ingress. SG rules that
   reference a group match only traffic over private addresses (same VPC or peering).
7. reply-acl: the destination subnet's ACL, outbound, for the reply (ACLs are stateless;
   security groups are stateful, so the reply needs no SG rule).
8. return-route: the destination subnet's route table must send the reply back the same way.
9. source-reply-acl: the source subnet's ACL, inbound, for the reply.

Network ACLs are skipped when both ends are in the same subnet (they filter traffic that
crosses the subnet boundary). TCP/UDP requests come from :data:`EPHEMERAL_PORT`; ICMP is an
echo request (type 8) answered by an echo reply (type 0).

The codes are in :mod:`labkit.netsim.codes`: CANNOT_ROUTE, BAD_STATE_ROUTE, BAD_STATE,
ENI_SG_RULES_MISMATCH, SUBNET_ACL_RESTRICTION, NO_PUBLIC_IP, NO_INTERNET_GATEWAY,
PEERING_NOT_TRANSITIVE, UNKNOWN_ADDRESS, UNSUPPORTED_TARGET.

Sources are instance ids or Name tags, or an internet address (inbound traffic). A named
destination means its primary private IP (or its public IP from the internet); give an IP to
choose. An internet address appears in the hop lists as itself.
"""

from __future__ import annotations

from labkit.netsim import codes
from labkit.netsim.endpoints import Endpoint, destination_address, known_instances, resolve_source
from labkit.netsim.errors import InvalidAddressError, UnknownEndpointError
from labkit.netsim.filters import ECHO_REPLY, ECHO_REQUEST, Packet, acl_decision, sg_allowing
from labkit.netsim.model import (
    ALL,
    PROTOCOL_NAMES,
    NetworkInterface,
    SecurityGroup,
    Topology,
)
from labkit.netsim.routing import Arrival, NoPath, from_internet, on_internet, route, who
from labkit.netsim.verdict import Blocked, Trace, Verdict

# Linux clients pick source ports from 32768–60999, Windows from 49152–65535, NAT gateways
# and ELB from 1024–65535; 49152 lies in all of them, so ACLs written for any client pass it.
# https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html
EPHEMERAL_PORT = 49152
PROTOCOLS = {"icmp": 1, "tcp": 6, "udp": 17}

STAGES = (
    "source",
    "source-sg",
    "source-acl",
    "forward-route",
    "destination",
    "destination-acl",
    "destination-sg",
    "reply-acl",
    "return-route",
    "source-reply-acl",
)


def reach(
    topo: Topology, src: str, dst: str, protocol: str = "icmp", port: int | None = None
) -> Verdict:
    """Decide whether ``src`` can reach ``dst`` and explain the answer.

    Parameters
    ----------
    topo: the network, hand-built or from :func:`labkit.netsim.discover`.
    src: an instance id or Name tag, or an internet IP address (traffic coming in).
    dst: an instance id or Name tag, a private or public IP, or an internet address.
    protocol: "icmp" (echo), "tcp" or "udp".
    port: the destination port, required for tcp and udp.

    Returns
    -------
    A :class:`Verdict`; ``to_dict()`` gives the JSON shape of ``labkit reach``.
    """
    return trace(topo, src, dst, protocol, port).verdict


def _protocol(protocol: str, port: int | None) -> tuple[int, int]:
    number = PROTOCOLS.get(str(protocol).lower())
    if number is None:
        raise InvalidAddressError(f"unknown protocol {protocol!r}: use icmp, tcp or udp")
    if number == 1:
        return number, ALL
    if port is None:
        raise InvalidAddressError(f"{protocol} needs a destination port: pass --port N (e.g. 22)")
    if not 0 <= int(port) <= 65535:
        raise InvalidAddressError(f"port {port} is out of range: use 0-65535")
    return number, int(port)


def _groups(topo: Topology, eni: NetworkInterface) -> list[SecurityGroup]:
    return [
        g for g in (topo.get(i) for i in eni.security_group_ids) if isinstance(g, SecurityGroup)
    ]


def describe(packet: Packet, reply: bool = False) -> str:
    """A learner's words for a packet: "ICMP echo", "TCP port 22", …"""
    if packet.protocol == 1:
        return "ICMP echo replies" if reply else "ICMP echo requests"
    name = PROTOCOL_NAMES.get(packet.protocol, f"protocol {packet.protocol}")
    if reply:
        return f"{name} replies to port {packet.port} (the client's ephemeral port)"
    return f"{name} port {packet.port}"


class _Walk:
    """Accumulates hops and stops at the first failure (internal to :func:`trace`)."""

    def __init__(self) -> None:
        self.forward: list[str] = []
        self.back: list[str] = []
        self.stage: str | None = None
        self.blocked: Blocked | None = None
        self.explanation = ""

    def fail(self, stage: str, component: str, code: str, explanation: str) -> None:
        self.stage, self.blocked, self.explanation = stage, Blocked(component, code), explanation


def trace(
    topo: Topology,
    src: str,
    dst: str,
    protocol: str = "icmp",
    port: int | None = None,
    src_port: int = EPHEMERAL_PORT,
) -> Trace:
    """Like :func:`reach`, but also return the failed stage and addresses (for traffic)."""
    proto, dport = _protocol(protocol, port)
    source = resolve_source(topo, src)
    request = Packet(proto, dport, ECHO_REQUEST)
    reply = Packet(proto, src_port, ECHO_REPLY)
    walk = _Walk()
    address, named = destination_address(topo, dst, source.eni is None)
    if (
        source.eni is None
        and named is None
        and topo.eni_with_public_ip(address) is None
        and on_internet(address)
    ):
        raise UnknownEndpointError(
            f"{source.address} and {address} are both outside the topology: one end must be an "
            f"instance (known instances are {known_instances(topo)})"
        )
    dest = _walk(topo, walk, source, address, named, request, reply)
    arrival_kind = dest[1] if dest else None
    seen = dest[2] if dest else source.address
    destination = dest[0] if dest else named
    if walk.blocked is None:
        via = f" via {arrival_kind}" if arrival_kind not in (None, "local") else ""
        gateways = [h for h in walk.forward if h.split("-")[0] in {"pcx", "igw", "vpce"}]
        if gateways:
            via = f" via {' and '.join(dict.fromkeys(gateways))}"
        target = destination.label if destination else address
        if destination and destination.eni and address != destination.eni.private_ip:
            target = f"{target} at {address}"
        walk.explanation = (
            f"{source.label} reaches {target} with {describe(request)}{via}, and the replies return"
        )
    verdict = Verdict(
        walk.blocked is None, tuple(walk.forward), tuple(walk.back), walk.blocked, walk.explanation
    )
    return Trace(
        verdict,
        walk.stage,
        source,
        destination,
        proto,
        dport,
        src_port,
        seen,
        address,
        arrival_kind,
    )


def _walk(
    topo: Topology,
    walk: _Walk,
    source: Endpoint,
    address: str,
    named: Endpoint | None,
    request: Packet,
    reply: Packet,
) -> tuple[Endpoint | None, str, str] | None:
    """Run the stages; return (destination, arrival kind, seen source) once delivered."""
    src_eni, fwd = source.eni, walk.forward
    if src_eni is None:  # from the internet
        fwd.append(source.address)
        if named is not None and not address:
            fwd.append(named.eni.id if named.eni else named.label)
            walk.fail(
                "forward-route",
                named.eni.id if named.eni else named.label,
                codes.NO_PUBLIC_IP,
                f"{named.eni.id if named.eni else ''} of {named.label} has no public IPv4 address, "
                "so it cannot be reached from the internet; launch it with a public IP or attach "
                "an Elastic IP",
            )
            return None
        arrival: Arrival | NoPath = from_internet(topo, source.address, address)
        src_groups: list[SecurityGroup] = []
    else:
        if source.instance is not None:
            fwd.append(source.instance.id)
            if source.instance.state != "running":
                walk.fail(
                    "source",
                    source.instance.id,
                    codes.BAD_STATE,
                    f"{source.label} ({source.instance.id}) is {source.instance.state}; "
                    "start it first",
                )
                return None
        fwd.append(src_eni.id)
        if address in (src_eni.private_ip, src_eni.public_ip):
            walk.back.extend(reversed(fwd))
            return Endpoint(source.label, address, src_eni, source.instance), "local", address
        arrival = route(topo, src_eni, address)
        peer_groups: frozenset[str] = frozenset()
        if isinstance(arrival, Arrival) and arrival.kind in ("local", "peering") and arrival.eni:
            peer_groups = frozenset(arrival.eni.security_group_ids)
        src_groups = _groups(topo, src_eni)
        sg = sg_allowing(topo, src_groups, True, request, address, peer_groups)
        if sg is None:
            blocker = src_groups[0].id if src_groups else src_eni.id
            fwd.append(blocker)
            walk.fail(
                "source-sg",
                blocker,
                codes.ENI_SG_RULES_MISMATCH,
                f"{blocker} on {who(topo, src_eni)} does not allow outbound "
                f"{describe(request)} to {address}; add an outbound rule for it",
            )
            return None
        fwd.append(sg.id)
        src_groups = [sg]
        same_subnet = (
            isinstance(arrival, Arrival)
            and arrival.eni is not None
            and arrival.eni.subnet_id == src_eni.subnet_id
        )
        if not same_subnet and not _acl(
            topo, walk, fwd, src_eni.subnet_id, True, request, address, "source-acl"
        ):
            return None
    if isinstance(arrival, NoPath):
        for hop in (*arrival.hops, arrival.component):
            if hop not in fwd:
                fwd.append(hop)
        walk.fail("forward-route", arrival.component, arrival.code, arrival.explanation)
        return None
    fwd.extend(arrival.hops)
    return _arrive(topo, walk, source, arrival, named, request, reply, src_groups)


def _acl(
    topo: Topology,
    walk: _Walk,
    hops: list[str],
    subnet_id: str,
    egress: bool,
    packet: Packet,
    peer: str,
    stage: str,
) -> bool:
    acl = topo.acl_for(subnet_id)
    if acl is None:
        return True
    hops.append(acl.id)
    decision = acl_decision(acl, egress, packet, peer)
    if decision.allowed:
        return True
    is_reply = stage in ("reply-acl", "source-reply-acl")
    way = "outbound" if egress else "inbound"
    toward = "to" if egress else "from"
    rule = (
        f"rule {decision.rule_number} denies it; "
        f"add an allow rule numbered below {decision.rule_number}"
        if decision.rule_number is not None
        else "no rule allows it; add an allow rule"
    )
    lead = "network ACLs are stateless, so " if is_reply else ""
    walk.fail(
        stage,
        acl.id,
        codes.SUBNET_ACL_RESTRICTION,
        f"{lead}{acl.id} on {subnet_id} blocks {way} {describe(packet, is_reply)} {toward} "
        f"{peer}: {rule}",
    )
    return False


def _arrive(
    topo: Topology,
    walk: _Walk,
    source: Endpoint,
    arrival: Arrival,
    named: Endpoint | None,
    request: Packet,
    reply: Packet,
    src_groups: list[SecurityGroup],
) -> tuple[Endpoint | None, str, str] | None:
    """Stages 5–9: the destination's filters, then the reply's way back."""
    fwd, back = walk.forward, walk.back
    src_eni = source.eni
    dst_eni = arrival.eni
    if dst_eni is None:  # the internet or a gateway endpoint answers
        far = arrival.target
        if arrival.kind == "internet":
            fwd.append(far)
        back.extend(reversed(fwd[fwd.index(arrival.hops[0]) + 1 :]))
        dest = named or Endpoint(far, far)
        if src_eni is not None and not _acl(
            topo, walk, back, src_eni.subnet_id, False, reply, far, "source-reply-acl"
        ):
            return dest, arrival.kind, arrival.seen_source
        _finish_back(walk, source, src_groups)
        return dest, arrival.kind, arrival.seen_source
    inst = topo.instance_of(dst_eni)
    dest = Endpoint(topo.label(inst) if inst else dst_eni.id, arrival.target, dst_eni, inst)
    if inst is not None and inst.state != "running":
        fwd.extend([dst_eni.id, inst.id])
        walk.fail(
            "destination",
            inst.id,
            codes.BAD_STATE,
            f"{dest.label} ({inst.id}) is {inst.state}; start it first",
        )
        return dest, arrival.kind, arrival.seen_source
    same_subnet = src_eni is not None and src_eni.subnet_id == dst_eni.subnet_id
    seen = arrival.seen_source
    if not same_subnet and not _acl(
        topo, walk, fwd, dst_eni.subnet_id, False, request, seen, "destination-acl"
    ):
        return dest, arrival.kind, seen
    private = arrival.kind in ("local", "peering") and src_eni is not None
    peer_groups = frozenset(src_eni.security_group_ids) if private and src_eni else frozenset()
    groups = _groups(topo, dst_eni)
    sg = sg_allowing(topo, groups, False, request, seen, peer_groups)
    if sg is None:
        blocker = groups[0].id if groups else dst_eni.id
        fwd.append(blocker)
        walk.fail(
            "destination-sg",
            blocker,
            codes.ENI_SG_RULES_MISMATCH,
            f"{blocker} on {who(topo, dst_eni)} does not allow inbound {describe(request)} "
            f"from {seen}; add an inbound rule allowing it",
        )
        return dest, arrival.kind, seen
    fwd.extend([sg.id, dst_eni.id] + ([inst.id] if inst else []))
    back.extend(([inst.id] if inst else []) + [dst_eni.id, sg.id])
    if not same_subnet and not _acl(
        topo, walk, back, dst_eni.subnet_id, True, reply, seen, "reply-acl"
    ):
        return dest, arrival.kind, seen
    if same_subnet:
        _finish_back(walk, source, src_groups)
        return dest, arrival.kind, seen
    home = route(topo, dst_eni, seen, reply=True)
    if isinstance(home, NoPath):
        back.extend(home.hops)
        if home.component not in back:
            back.append(home.component)
        walk.fail("return-route", home.component, home.code, f"for the replies: {home.explanation}")
        return dest, arrival.kind, seen
    back.extend(home.hops)
    returned = (
        home.eni.id == src_eni.id
        if (home.eni and src_eni)
        else (home.kind == "internet" and src_eni is None)
    )
    if not returned:
        rtb = home.hops[0]
        walk.fail(
            "return-route",
            rtb,
            codes.CANNOT_ROUTE,
            f"{rtb} sends the replies for {seen} via {home.gateway or 'local'}, which does not "
            f"lead back to {source.label}; route {seen} back the way the request came",
        )
        return dest, arrival.kind, seen
    if src_eni is not None and not _acl(
        topo, walk, back, src_eni.subnet_id, False, reply, home.seen_source, "source-reply-acl"
    ):
        return dest, arrival.kind, seen
    _finish_back(walk, source, src_groups)
    return dest, arrival.kind, seen


def _finish_back(walk: _Walk, source: Endpoint, src_groups: list[SecurityGroup]) -> None:
    if source.eni is None:
        walk.back.append(source.address)
        return
    walk.back.extend([g.id for g in src_groups[:1]] + [source.eni.id])
    if source.instance is not None:
        walk.back.append(source.instance.id)
