"""The network model: frozen descriptions of VPC resources, and a Topology that indexes them.

A :class:`Topology` is a pure value, like a Mininet topology: build it by hand in tests
(see :mod:`labkit.netsim.topologies`) or from describe_* answers (:mod:`.discover`). Every
lookup that :mod:`.reach` makes goes through an index built once per topology, so a query
costs the same whether the account holds two VPCs or two hundred.

The resources themselves live in :mod:`labkit.netsim.resources`; this module re-exports
them, so ``from labkit.netsim.model import Vpc, Topology`` keeps working.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from labkit.netsim.resources import (
    ALL,
    DEFAULT_ACCOUNT_ID,
    DEFAULT_LOG_FORMAT,
    DEFAULT_REGION,
    PROTOCOL_NAMES,
    PROTOCOLS,
    FlowLog,
    GatewayEndpoint,
    Instance,
    InternetGateway,
    NaclRule,
    NetworkAcl,
    NetworkInterface,
    PeeringConnection,
    PrefixList,
    Route,
    RouteTable,
    SecurityGroup,
    SgRule,
    Subnet,
    Vpc,
    ip,
    net,
    protocol_number,
)

__all__ = [
    "ALL",
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_LOG_FORMAT",
    "DEFAULT_REGION",
    "FlowLog",
    "GatewayEndpoint",
    "Instance",
    "InternetGateway",
    "NaclRule",
    "NetworkAcl",
    "NetworkInterface",
    "PROTOCOLS",
    "PROTOCOL_NAMES",
    "PeeringConnection",
    "PrefixList",
    "Resource",
    "Route",
    "RouteTable",
    "SecurityGroup",
    "SgRule",
    "Subnet",
    "Topology",
    "Vpc",
    "ip",
    "net",
    "protocol_number",
]

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
