"""The network model: frozen descriptions of VPC resources, and a Topology that indexes them.

A :class:`Topology` is a pure value, like a Mininet topology: build it by hand in tests
(see :mod:`labkit.netsim.topologies`) or from describe_* answers (:mod:`.discover`). Every
lookup that :mod:`.reach` makes goes through an index built once per topology, so a query
costs the same whether the account holds two VPCs or two hundred.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

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


Resource = (
    Vpc
    | Subnet
    | RouteTable
    | InternetGateway
    | PeeringConnection
    | NetworkInterface
    | Instance
    | SecurityGroup
    | NetworkAcl
    | FlowLog
    | PrefixList
    | GatewayEndpoint
)
_COLLECTION = {
    Vpc: "vpcs",
    Subnet: "subnets",
    RouteTable: "route_tables",
    InternetGateway: "internet_gateways",
    PeeringConnection: "peerings",
    NetworkInterface: "interfaces",
    Instance: "instances",
    SecurityGroup: "security_groups",
    NetworkAcl: "network_acls",
    FlowLog: "flow_logs",
    PrefixList: "prefix_lists",
    GatewayEndpoint: "endpoints",
}


def _by_id(items: Iterable[Any]) -> dict[str, Any]:
    return {item.id: item for item in items}


@dataclass(frozen=True)
class Topology:
    """Everything reach and traffic need about one account and Region, indexed by id."""

    vpcs: tuple[Vpc, ...] = ()
    subnets: tuple[Subnet, ...] = ()
    route_tables: tuple[RouteTable, ...] = ()
    internet_gateways: tuple[InternetGateway, ...] = ()
    peerings: tuple[PeeringConnection, ...] = ()
    interfaces: tuple[NetworkInterface, ...] = ()
    instances: tuple[Instance, ...] = ()
    security_groups: tuple[SecurityGroup, ...] = ()
    network_acls: tuple[NetworkAcl, ...] = ()
    flow_logs: tuple[FlowLog, ...] = ()
    prefix_lists: tuple[PrefixList, ...] = ()
    endpoints: tuple[GatewayEndpoint, ...] = ()
    account_id: str = DEFAULT_ACCOUNT_ID
    region: str = DEFAULT_REGION

    def with_resource(self, *resources: Resource) -> Topology:
        """A copy with each resource added, or replacing the one with the same id."""
        topo = self
        for res in resources:
            name = _COLLECTION[type(res)]
            items = [r for r in getattr(topo, name) if r.id != res.id]
            topo = dataclasses.replace(topo, **{name: (*items, res)})  # type: ignore[arg-type]
        return topo

    def without(self, *ids: str) -> Topology:
        """A copy without the resources that have these ids (any kind)."""
        drop = set(ids)
        changes = {
            name: tuple(r for r in getattr(self, name) if r.id not in drop)
            for name in _COLLECTION.values()
        }
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    # -- indexes (built once, on first use) -------------------------------------------------

    @cached_property
    def index(self) -> dict[str, Any]:
        """Every resource by id."""
        found: dict[str, Any] = {}
        for name in _COLLECTION.values():
            found.update(_by_id(getattr(self, name)))
        return found

    @cached_property
    def _rtb_by_subnet(self) -> dict[str, RouteTable]:
        return {sid: rtb for rtb in self.route_tables for sid in rtb.subnet_ids}

    @cached_property
    def _main_rtb(self) -> dict[str, RouteTable]:
        return {rtb.vpc_id: rtb for rtb in self.route_tables if rtb.main}

    @cached_property
    def _acl_by_subnet(self) -> dict[str, NetworkAcl]:
        return {sid: acl for acl in self.network_acls for sid in acl.subnet_ids}

    @cached_property
    def _default_acl(self) -> dict[str, NetworkAcl]:
        return {acl.vpc_id: acl for acl in self.network_acls if acl.default}

    @cached_property
    def _igw_by_vpc(self) -> dict[str, InternetGateway]:
        return {igw.vpc_id: igw for igw in self.internet_gateways if igw.vpc_id}

    @cached_property
    def _eni_by_private(self) -> dict[tuple[str, str], NetworkInterface]:
        return {(eni.vpc_id, eni.private_ip): eni for eni in self.interfaces}

    @cached_property
    def _eni_by_public(self) -> dict[str, NetworkInterface]:
        return {eni.public_ip: eni for eni in self.interfaces if eni.public_ip}

    @cached_property
    def _enis_by_private_ip(self) -> dict[str, list[NetworkInterface]]:
        found: dict[str, list[NetworkInterface]] = {}
        for eni in self.interfaces:
            found.setdefault(eni.private_ip, []).append(eni)
        return found

    @cached_property
    def _instances_by_name(self) -> dict[str, list[Instance]]:
        found: dict[str, list[Instance]] = {}
        for inst in self.instances:
            if inst.name:
                found.setdefault(inst.name, []).append(inst)
        return found

    @cached_property
    def _vpc_networks(self) -> list[tuple[ipaddress.IPv4Network, str]]:
        return [(net(c), vpc.id) for vpc in self.vpcs for c in vpc.cidrs]

    @cached_property
    def _flow_logs_by_resource(self) -> dict[str, list[FlowLog]]:
        found: dict[str, list[FlowLog]] = {}
        for fl in self.flow_logs:
            found.setdefault(fl.resource_id, []).append(fl)
        return found

    # -- lookups ----------------------------------------------------------------------------

    def get(self, resource_id: str) -> Any:
        """The resource with this id, or None."""
        return self.index.get(resource_id)

    def route_table_for(self, subnet_id: str) -> RouteTable | None:
        """The subnet's explicitly associated route table, else its VPC's main table."""
        rtb = self._rtb_by_subnet.get(subnet_id)
        if rtb is None:
            subnet = self.index.get(subnet_id)
            rtb = self._main_rtb.get(subnet.vpc_id) if subnet else None
        return rtb

    def acl_for(self, subnet_id: str) -> NetworkAcl | None:
        """The network ACL associated with the subnet (the VPC's default one otherwise)."""
        acl = self._acl_by_subnet.get(subnet_id)
        if acl is None:
            subnet = self.index.get(subnet_id)
            acl = self._default_acl.get(subnet.vpc_id) if subnet else None
        return acl

    def igw_for(self, vpc_id: str) -> InternetGateway | None:
        """The internet gateway attached to the VPC, if any."""
        return self._igw_by_vpc.get(vpc_id)

    def eni_at(self, vpc_id: str, private_ip: str) -> NetworkInterface | None:
        """The ENI with this primary private IP in this VPC."""
        return self._eni_by_private.get((vpc_id, private_ip))

    def eni_with_public_ip(self, public_ip: str) -> NetworkInterface | None:
        """The ENI that owns this public IPv4 address."""
        return self._eni_by_public.get(public_ip)

    def enis_with_private_ip(self, private_ip: str) -> list[NetworkInterface]:
        """Every ENI, in any VPC, with this primary private IP."""
        return self._enis_by_private_ip.get(private_ip, [])

    def instances_named(self, name: str) -> list[Instance]:
        """Instances whose Name tag is ``name``."""
        return self._instances_by_name.get(name, [])

    def vpcs_containing(self, address: str) -> list[str]:
        """Ids of the VPCs whose CIDR blocks contain the address."""
        addr = ip(address)
        return [vpc_id for network, vpc_id in self._vpc_networks if addr in network]

    def flow_logs_for(self, eni: NetworkInterface) -> list[FlowLog]:
        """Active flow logs that capture this ENI (through the ENI, its subnet or its VPC)."""
        found: list[FlowLog] = []
        for rid in (eni.id, eni.subnet_id, eni.vpc_id):
            found.extend(
                fl for fl in self._flow_logs_by_resource.get(rid, []) if fl.status == "ACTIVE"
            )
        return found

    def instance_of(self, eni: NetworkInterface) -> Instance | None:
        """The instance the ENI is attached to."""
        return self.index.get(eni.instance_id) if eni.instance_id else None

    def label(self, instance: Instance) -> str:
        """How to name an instance to a learner: its Name tag, else its id."""
        return instance.name or instance.id
