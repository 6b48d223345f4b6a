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

The destination ``"s3"`` means S3 in the topology's Region: one address of its prefix list
(:func:`labkit.netsim.services.s3_address`), over HTTPS. S3 is an HTTPS service, so the
request is TCP port 443 unless ``tcp`` and another port are given (our choice). S3 stands
as that one address: a more specific route that covers only other S3 ranges is not seen. A
gateway endpoint's prefix-list route wins over ``0.0.0.0/0`` by longest prefix, so the hops
name the endpoint or the internet gateway that carries the request.

The stages themselves are in :mod:`labkit.netsim.walk`; :class:`~.verdict.Stage` names them.
"""

from __future__ import annotations

from labkit.netsim.endpoints import Endpoint, destination_address, known_instances, resolve_source
from labkit.netsim.errors import InvalidAddressError, UnknownEndpointError
from labkit.netsim.filters import ECHO_REPLY, ECHO_REQUEST, Packet
from labkit.netsim.model import ALL, Topology
from labkit.netsim.routing import on_internet
from labkit.netsim.services import S3_LABEL, is_s3, s3_address, with_s3_prefix_list
from labkit.netsim.verdict import STAGES, Delivered, Stage, Trace, Verdict
from labkit.netsim.walk import Walk, describe

# Linux clients pick source ports from 32768–60999, Windows from 49152–65535, NAT gateways
# and ELB from 1024–65535; 49152 lies in all of them, so ACLs written for any client pass it.
# https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html
EPHEMERAL_PORT = 49152
PROTOCOLS = {"icmp": 1, "tcp": 6, "udp": 17}
HTTPS = 443

__all__ = ["EPHEMERAL_PORT", "STAGES", "Stage", "Trace", "Verdict", "describe", "reach", "trace"]


def reach(
    topo: Topology, src: str, dst: str, protocol: str = "icmp", port: int | None = None
) -> Verdict:
    """Decide whether ``src`` can reach ``dst`` and explain the answer.

    Parameters
    ----------
    topo: the network, hand-built or from :func:`labkit.netsim.discover`.
    src: an instance id or Name tag, or an internet IP address (traffic coming in).
    dst: an instance id or Name tag, a private or public IP, an internet address, or "s3".
    protocol: "icmp" (echo), "tcp" or "udp" (S3: TCP 443 unless "tcp" and a port are given).
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


def _s3_protocol(protocol: str, port: int | None) -> tuple[int, int]:
    """S3 answers HTTPS: TCP 443, or the TCP port given."""
    name = str(protocol).lower()
    if name == "udp":
        raise InvalidAddressError("S3 answers HTTPS only: use tcp (port 443)")
    if name == "tcp" and port is not None:
        return _protocol("tcp", port)
    return _protocol("tcp", HTTPS)


def trace(
    topo: Topology,
    src: str,
    dst: str,
    protocol: str = "icmp",
    port: int | None = None,
    src_port: int = EPHEMERAL_PORT,
) -> Trace:
    """Like :func:`reach`, but also return the failed stage and addresses (for traffic)."""
    named: Endpoint | None
    if is_s3(dst):
        proto, dport = _s3_protocol(protocol, port)
        topo = with_s3_prefix_list(topo)
        address = s3_address(topo)
        named = Endpoint(S3_LABEL, address)
    else:
        proto, dport = _protocol(protocol, port)
    source = resolve_source(topo, src)
    if not is_s3(dst):
        address, named = destination_address(topo, dst, source.eni is None)
    request = Packet(proto, dport, ECHO_REQUEST)
    reply = Packet(proto, src_port, ECHO_REPLY)
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
    walk = Walk(topo, source, request, reply)
    delivered = walk.run(address, named)
    destination = delivered.destination if delivered else named
    if walk.blocked is None:
        walk.explanation = _success(walk, source, destination, address, request, delivered)
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
        delivered.seen_source if delivered else source.address,
        address,
        delivered.kind if delivered else None,
    )


def _success(
    walk: Walk,
    source: Endpoint,
    destination: Endpoint | None,
    address: str,
    request: Packet,
    delivered: Delivered | None,
) -> str:
    """The sentence for a reachable verdict: who reaches what, how, via which gateways."""
    kind = delivered.kind if delivered else None
    via = f" via {kind}" if kind not in (None, "local") else ""
    gateways = [h for h in walk.forward if h.split("-")[0] in {"pcx", "igw", "vpce"}]
    if gateways:
        via = f" via {' and '.join(dict.fromkeys(gateways))}"
    target = destination.label if destination else address
    if destination and destination.eni and address != destination.eni.private_ip:
        target = f"{target} at {address}"
    return f"{source.label} reaches {target} with {describe(request)}{via}, and the replies return"
