"""The network resources netsim models: frozen descriptions of VPCs, subnets, routes, ENIs…

Each is a plain value, one per AWS resource, with the fields reach, traffic and s3path read.
:mod:`labkit.netsim.model` re-exports them with the :class:`~.model.Topology` that indexes them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from labkit.netsim.errors import InvalidAddressError

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
ALL = -1  # protocol, port, ICMP type or code: "any"

# IANA protocol numbers; AWS accepts the names and the numbers ("-1" = all).
PROTOCOLS = {"-1": ALL, "all": ALL, "icmp": 1, "tcp": 6, "udp": 17}
PROTOCOL_NAMES = {1: "ICMP", 6: "TCP", 17: "UDP", ALL: "all traffic"}

# A new security group allows all outbound traffic and no inbound traffic.
# https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
DEFAULT_LOG_FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
    "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
)


def protocol_number(value: str | int) -> int:
    """IANA number for a protocol given as AWS spells it ("tcp", "6", "-1", 6)."""
    text = str(value).strip().lower()
    if text in PROTOCOLS:
        return PROTOCOLS[text]
    try:
        return int(text)
    except ValueError:
        known = ", ".join(sorted(k for k in PROTOCOLS if k != "all"))
        raise InvalidAddressError(
            f"unknown protocol {value!r}: use one of {known} or a number"
        ) from None


def ip(text: str) -> ipaddress.IPv4Address:
    """Parse an IPv4 address, or raise a one-line error naming it."""
    try:
        return ipaddress.IPv4Address(text.strip())
    except ValueError:
        raise InvalidAddressError(
            f"invalid IP address {text!r}: give a dotted IPv4 address such as 10.1.0.10"
        ) from None


def net(text: str) -> ipaddress.IPv4Network:
    """Parse an IPv4 CIDR block, or raise a one-line error naming it."""
    try:
        return ipaddress.IPv4Network(text.strip(), strict=False)
    except ValueError:
        raise InvalidAddressError(
            f"invalid CIDR block {text!r}: give one such as 10.1.0.0/16"
        ) from None


@dataclass(frozen=True)
class Vpc:
    """A VPC: its id, IPv4 CIDR blocks and Name tag."""

    id: str
    cidrs: tuple[str, ...]
    name: str | None = None
    owner_id: str = DEFAULT_ACCOUNT_ID


@dataclass(frozen=True)
class Subnet:
    """A subnet of a VPC, in one Availability Zone."""

    id: str
    vpc_id: str
    cidr: str
    availability_zone: str = "us-east-1a"
    az_id: str = "use1-az1"
    name: str | None = None


@dataclass(frozen=True)
class Route:
    """One route: a destination (CIDR or prefix-list id) and a target ("local", igw-, pcx-…)."""

    destination: str
    target: str
    state: str = "active"  # "blackhole" when AWS says the target is gone

    @property
    def is_prefix_list(self) -> bool:
        """True if the destination is a prefix list (a gateway endpoint's route)."""
        return self.destination.startswith("pl-")


@dataclass(frozen=True)
class RouteTable:
    """A route table, its routes, its explicitly associated subnets, and whether it is main."""

    id: str
    vpc_id: str
    routes: tuple[Route, ...]
    subnet_ids: tuple[str, ...] = ()
    main: bool = False


@dataclass(frozen=True)
class InternetGateway:
    """An internet gateway and the VPC it is attached to (None when detached)."""

    id: str
    vpc_id: str | None


@dataclass(frozen=True)
class PeeringConnection:
    """A VPC peering connection between a requester and an accepter VPC."""

    id: str
    requester_vpc_id: str
    accepter_vpc_id: str
    status: str = "active"  # pending-acceptance, active, rejected, deleted, failed, …

    def other(self, vpc_id: str) -> str | None:
        """The VPC at the other end from ``vpc_id``, or None if ``vpc_id`` is not an end."""
        if vpc_id == self.requester_vpc_id:
            return self.accepter_vpc_id
        if vpc_id == self.accepter_vpc_id:
            return self.requester_vpc_id
        return None


@dataclass(frozen=True)
class NetworkInterface:
    """An ENI: subnet, primary private IPv4, optional public IPv4, security groups, instance."""

    id: str
    subnet_id: str
    vpc_id: str
    private_ip: str
    public_ip: str | None = None
    security_group_ids: tuple[str, ...] = ()
    instance_id: str | None = None
    owner_id: str = DEFAULT_ACCOUNT_ID


@dataclass(frozen=True)
class Instance:
    """An EC2 instance: Name tag, state and ENIs (the primary one first)."""

    id: str
    name: str | None
    interface_ids: tuple[str, ...]
    state: str = "running"
    instance_type: str = "t3.micro"


@dataclass(frozen=True)
class SgRule:
    """One security group rule; for ICMP, from_port is the type and to_port the code (-1 = any)."""

    protocol: int
    from_port: int = ALL
    to_port: int = ALL
    cidrs: tuple[str, ...] = ()
    group_ids: tuple[str, ...] = ()
    prefix_list_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class SecurityGroup:
    """A security group: stateful allow rules for inbound and outbound traffic."""

    id: str
    vpc_id: str
    name: str
    ingress: tuple[SgRule, ...] = ()
    egress: tuple[SgRule, ...] = (SgRule(ALL, cidrs=("0.0.0.0/0",)),)


@dataclass(frozen=True)
class NaclRule:
    """A numbered network ACL rule; ports apply to TCP/UDP, icmp type/code to ICMP."""

    number: int
    egress: bool
    allow: bool
    protocol: int = ALL
    cidr: str = "0.0.0.0/0"
    from_port: int = ALL
    to_port: int = ALL
    icmp_type: int = ALL
    icmp_code: int = ALL


@dataclass(frozen=True)
class NetworkAcl:
    """A network ACL with its rules and subnets; the final "*" deny is implicit."""

    id: str
    vpc_id: str
    rules: tuple[NaclRule, ...]
    subnet_ids: tuple[str, ...] = ()
    default: bool = False


@dataclass(frozen=True)
class FlowLog:
    """A flow log: what it covers, which traffic, its record format and destination."""

    id: str
    resource_id: str
    resource_type: str = "VPC"  # VPC | Subnet | NetworkInterface
    traffic_type: str = "ALL"  # ALL | ACCEPT | REJECT
    log_format: str = DEFAULT_LOG_FORMAT
    destination_type: str = "cloud-watch-logs"  # cloud-watch-logs | s3
    log_group: str | None = None
    destination_arn: str | None = None
    status: str = "ACTIVE"
    max_aggregation_interval: int = 600
    # CreationTime, Unix seconds: a flow log records nothing from before it existed.
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_FlowLog.html
    created: int | None = None


@dataclass(frozen=True)
class PrefixList:
    """An AWS-managed prefix list (e.g. com.amazonaws.us-east-1.s3) and its CIDRs."""

    id: str
    name: str
    cidrs: tuple[str, ...]


@dataclass(frozen=True)
class GatewayEndpoint:
    """A gateway VPC endpoint; its policy is stored here and evaluated elsewhere."""

    id: str
    vpc_id: str
    service_name: str
    route_table_ids: tuple[str, ...] = ()
    prefix_list_id: str | None = None
    policy_document: str = ""
    state: str = "available"
