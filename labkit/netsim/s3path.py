"""From where does a request reach S3? The network path that decides S3's condition keys.

Design. S3 authorization depends on where a request comes from (IAM global condition keys,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html):

* through a gateway VPC endpoint, ``aws:SourceVpce``, ``aws:SourceVpc`` and
  ``aws:VpcSourceIp`` (the private IP) are set and ``aws:SourceIp`` is absent;
* otherwise ``aws:SourceIp`` is the public address S3 sees.

:func:`s3_path` answers it with the reachability walk of :mod:`.reach` towards one S3
address (:func:`labkit.netsim.services.s3_address`) on TCP 443: the source security group's
egress, the subnet's network ACL both ways, and the route table, longest prefix first, where
a gateway endpoint's prefix-list route beats ``0.0.0.0/0`` for S3's addresses
(https://docs.aws.amazon.com/vpc/latest/userguide/route-tables-priority.html). So:

* the host (``instance_id`` None: the notebook, the learner's laptop, the console) is on the
  internet, at :data:`HOST_PUBLIC_IP`;
* an instance whose route table sends S3's addresses to a gateway endpoint goes through it;
* an instance whose route table sends them to an internet gateway, and that has a public IP
  (auto-assigned or an Elastic IP), goes over the internet from that public IP;
* anything else has no path (no route, no public IP, a blackhole, a security group or ACL),
  and the explanation names the component, the route table first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from labkit.netsim import codes
from labkit.netsim.endpoints import resolve_source
from labkit.netsim.errors import UnknownEndpointError
from labkit.netsim.model import Instance, InternetGateway, Topology
from labkit.netsim.reach import trace
from labkit.netsim.routing import longest_match
from labkit.netsim.services import (
    HTTPS_PORT,
    S3,
    endpoint_by_id,
    s3_address,
    s3_prefix_list,
    with_s3_prefix_list,
)

# The host's public address: 203.0.113.10 lies in TEST-NET-3 (203.0.113.0/24), reserved for
# documentation by RFC 5737 (https://www.rfc-editor.org/rfc/rfc5737), so it is never a real
# host. It stands for the learner's laptop, the notebook and the AWS console: "the internet".
HOST_PUBLIC_IP = "203.0.113.10"

PathKind = Literal["internet", "endpoint", "none"]


@dataclass(frozen=True)
class S3Path:
    """How a request reaches S3: over the internet, through a gateway endpoint, or not at all."""

    kind: PathKind
    source_ip: str | None  # aws:SourceIp, the public address S3 sees; None through an endpoint
    vpce_id: str | None  # aws:SourceVpce (endpoint only)
    vpc_id: str | None  # aws:SourceVpc (endpoint only)
    vpc_source_ip: str | None  # aws:VpcSourceIp, the private IP (endpoint only)
    explanation: str  # one sentence: which route, IGW or endpoint decided
    hops: tuple[str, ...]  # instance, ENI, SG, ACL, route table, igw-/vpce-, then "s3"
    route_table_id: str | None = None  # the table that decided (instances only)
    blocked_by: str | None = None  # the component that drops the traffic (kind "none")
    code: str | None = None  # its explanation code (:mod:`.codes`)
    endpoint_policy: str | None = None  # the endpoint's policy document text (endpoint only)

    def context(self) -> dict[str, str]:
        """The IAM global condition keys this path sets (none when there is no path)."""
        if self.kind == "endpoint":
            return {
                "aws:SourceVpce": str(self.vpce_id),
                "aws:SourceVpc": str(self.vpc_id),
                "aws:VpcSourceIp": str(self.vpc_source_ip),
            }
        if self.kind == "internet":
            return {"aws:SourceIp": str(self.source_ip)}
        return {}

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready description (kind, addresses, hops, explanation, context)."""
        return {
            "kind": self.kind,
            "source_ip": self.source_ip,
            "vpce_id": self.vpce_id,
            "vpc_id": self.vpc_id,
            "vpc_source_ip": self.vpc_source_ip,
            "route_table_id": self.route_table_id,
            "blocked_by": self.blocked_by,
            "code": self.code,
            "hops": list(self.hops),
            "explanation": self.explanation,
            "context": self.context(),
        }


def host_path() -> S3Path:
    """The host's path: the internet, from :data:`HOST_PUBLIC_IP`."""
    return S3Path(
        "internet",
        HOST_PUBLIC_IP,
        None,
        None,
        None,
        f"requests from this computer (the notebook, the console) reach S3 over the internet "
        f"from {HOST_PUBLIC_IP}, so S3 sees aws:SourceIp {HOST_PUBLIC_IP} and no VPC endpoint",
        (HOST_PUBLIC_IP, S3),
    )


def s3_path(topology: Topology, instance_id: str | None, region: str) -> S3Path:
    """Decide how a request from ``instance_id`` (None: the host) reaches S3 in ``region``.

    Raises :class:`~labkit.netsim.errors.UnknownEndpointError` for an unknown instance id.
    """
    if instance_id is None:
        return host_path()
    topo = with_s3_prefix_list(topology, region)
    if not isinstance(topo.get(instance_id), Instance):
        source = resolve_source(topo, instance_id)  # accepts a Name tag; raises if unknown
        if source.instance is None:
            raise UnknownEndpointError(f"{instance_id} is not an instance: name an instance id")
        instance_id = source.instance.id
    address = s3_address(topo, region)
    t = trace(topo, instance_id, address, "tcp", HTTPS_PORT)
    eni = t.source.eni
    if eni is None:  # an instance always resolves to its primary ENI; this keeps mypy sure
        raise UnknownEndpointError(f"{instance_id} has no network interface in the topology")
    label = t.source.label
    rtb = topo.route_table_for(eni.subnet_id)
    rtb_id = rtb.id if rtb else None
    verdict = t.verdict
    hops = tuple(S3 if h == address else h for h in verdict.forward)
    if verdict.reachable:
        hops = hops if hops[-1] == S3 else (*hops, S3)
        if t.forward_kind == "endpoint":
            vpce_id = next(h for h in verdict.forward if h.startswith("vpce-"))
            vpce = endpoint_by_id(topo, vpce_id)
            pl = s3_prefix_list(topo, region)
            return S3Path(
                "endpoint",
                None,
                vpce_id,
                eni.vpc_id,
                eni.private_ip,
                f"{label} reaches S3 through gateway endpoint {vpce_id}: {rtb_id} sends S3's "
                f"prefix list {pl.id} to it, so S3 sees the private IP {eni.private_ip} "
                f"(aws:SourceVpce {vpce_id}, no aws:SourceIp)",
                hops,
                rtb_id,
                endpoint_policy=(vpce.policy_document or None) if vpce else None,
            )
        igw = next((h for h in verdict.forward if h.startswith("igw-")), "the internet gateway")
        return S3Path(
            "internet",
            t.seen_source,
            None,
            None,
            None,
            f"{label} reaches S3 over the internet: {rtb_id} sends S3's addresses to {igw} and "
            f"S3 sees the public IP {t.seen_source} (aws:SourceIp)",
            hops,
            rtb_id,
        )
    blocked = verdict.blocked_by
    return S3Path(
        "none",
        None,
        None,
        None,
        None,
        _why_not(
            topo, label, rtb_id, address, verdict.explanation, blocked.code if blocked else ""
        ),
        hops,
        rtb_id,
        blocked.component if blocked else None,
        blocked.code if blocked else None,
    )


def _why_not(
    topo: Topology, label: str, rtb_id: str | None, address: str, why: str, code: str
) -> str:
    """One sentence for "no path", naming the route table when routing decided."""
    rtb = topo.get(rtb_id) if rtb_id else None
    fix = f"associate {rtb_id} with an S3 gateway endpoint"
    if rtb is not None and code == codes.CANNOT_ROUTE:
        return (
            f"{label} has no path to S3: {rtb_id} has no route for S3's addresses ({address}); "
            f"{fix}, or route 0.0.0.0/0 to an internet gateway and give it a public IP"
        )
    if rtb is not None and code == codes.NO_PUBLIC_IP:
        chosen = longest_match(topo, rtb, address)
        igw = topo.get(chosen.target) if chosen else None
        via = igw.id if isinstance(igw, InternetGateway) else "an internet gateway"
        return (
            f"{label} has no path to S3: {rtb_id} sends S3's addresses to {via}, but {label} "
            f"has no public IPv4 address; {fix}, or give it a public IP or an Elastic IP"
        )
    return f"{label} has no path to S3 on TCP {HTTPS_PORT}: {why}"
