"""Build topologies by hand, and a library of named ones (like Mininet's topo library).

Naming scheme of :class:`Builder`: ids are ``<prefix>-<n>`` with one counter per prefix, in
creation order: ``vpc-1``, ``subnet-1``, ``rtb-1`` (VPC 1's main table), ``acl-1`` (its
default ACL), ``sg-1`` (its default group), ``igw-1``, ``pcx-1``, ``i-1`` with ``eni-1``…
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from labkit.netsim.model import (
    ALL,
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
    Topology,
    Vpc,
)

ANYWHERE = "0.0.0.0/0"
# The S3 prefix list moto serves for us-east-1 (its CIDRs as moto lists them).
S3_PREFIX_LIST = PrefixList(
    "pl-63a5400a", "com.amazonaws.us-east-1.s3", ("52.216.0.0/15", "3.5.0.0/19", "54.231.0.0/16")
)


def allow_icmp(cidr: str = ANYWHERE) -> SgRule:
    """SG rule: all ICMP from/to a CIDR."""
    return SgRule(1, ALL, ALL, cidrs=(cidr,))


def allow_tcp(port: int, cidr: str = ANYWHERE) -> SgRule:
    """SG rule: one TCP port from/to a CIDR."""
    return SgRule(6, port, port, cidrs=(cidr,))


def allow_group(group_id: str, protocol: int = ALL) -> SgRule:
    """SG rule: traffic from/to members of another security group."""
    return SgRule(protocol, group_ids=(group_id,))


def allow_all_acl(
    acl_id: str, vpc_id: str, subnet_ids: Sequence[str] = (), default: bool = True
) -> NetworkAcl:
    """A network ACL like AWS's default one: rule 100 allows everything, both ways."""
    rules = (NaclRule(100, False, True), NaclRule(100, True, True))
    return NetworkAcl(acl_id, vpc_id, rules, tuple(subnet_ids), default)


class Builder:
    """Mutable helper that assembles a frozen :class:`Topology` with predictable ids."""

    def __init__(self, account_id: str = "123456789012", region: str = "us-east-1") -> None:
        self.account_id, self.region = account_id, region
        self._counters: dict[str, int] = defaultdict(int)
        self._items: dict[str, object] = {}
        self._main: dict[str, str] = {}

    def _id(self, prefix: str) -> str:
        self._counters[prefix] += 1
        return f"{prefix}-{self._counters[prefix]}"

    def _put(self, item: object) -> str:
        self._items[item.id] = item  # type: ignore[attr-defined]
        return item.id  # type: ignore[attr-defined,no-any-return]

    def get(self, resource_id: str) -> object:
        """The resource built so far with this id."""
        return self._items[resource_id]

    def replace(self, item: object) -> None:
        """Replace a resource built so far (same id)."""
        self._put(item)

    def vpc(self, cidr: str, name: str | None = None) -> str:
        """Add a VPC with its main route table (local route), default ACL and default SG."""
        vpc_id = self._put(Vpc(self._id("vpc"), (cidr,), name, self.account_id))
        self._main[vpc_id] = self._put(
            RouteTable(self._id("rtb"), vpc_id, (Route(cidr, "local"),), main=True)
        )
        self._put(allow_all_acl(self._id("acl"), vpc_id))
        sg_id = self._id("sg")
        self._put(SecurityGroup(sg_id, vpc_id, "default", (allow_group(sg_id),)))
        return vpc_id

    def main_table(self, vpc_id: str) -> str:
        """The id of the VPC's main route table."""
        return self._main[vpc_id]

    def subnet(
        self, vpc_id: str, cidr: str, az: str = "us-east-1a", name: str | None = None
    ) -> str:
        """Add a subnet (it uses the main route table and the default ACL until told otherwise)."""
        az_id = f"use1-az{'abcdef'.index(az[-1]) + 1}"
        return self._put(Subnet(self._id("subnet"), vpc_id, cidr, az, az_id, name))

    def route_table(
        self, vpc_id: str, subnet_ids: Sequence[str] = (), routes: Sequence[Route] = ()
    ) -> str:
        """Add a custom route table (with the VPC's local routes) associated with subnets."""
        vpc: Vpc = self._items[vpc_id]  # type: ignore[assignment]
        local = tuple(Route(c, "local") for c in vpc.cidrs)
        return self._put(
            RouteTable(self._id("rtb"), vpc_id, local + tuple(routes), tuple(subnet_ids))
        )

    def add_route(self, rtb_id: str, destination: str, target: str, state: str = "active") -> None:
        """Append a route to a route table."""
        rtb: RouteTable = self._items[rtb_id]  # type: ignore[assignment]
        self._put(
            RouteTable(
                rtb.id,
                rtb.vpc_id,
                (*rtb.routes, Route(destination, target, state)),
                rtb.subnet_ids,
                rtb.main,
            )
        )

    def igw(self, vpc_id: str | None) -> str:
        """Add an internet gateway attached to a VPC (None: detached)."""
        return self._put(InternetGateway(self._id("igw"), vpc_id))

    def security_group(
        self,
        vpc_id: str,
        name: str,
        ingress: Sequence[SgRule] = (),
        egress: Sequence[SgRule] = (SgRule(ALL, cidrs=(ANYWHERE,)),),
    ) -> str:
        """Add a security group (default egress: allow all)."""
        return self._put(SecurityGroup(self._id("sg"), vpc_id, name, tuple(ingress), tuple(egress)))

    def acl(self, vpc_id: str, rules: Sequence[NaclRule], subnet_ids: Sequence[str]) -> str:
        """Add a custom network ACL and move the subnets to it."""
        for acl in [i for i in self._items.values() if isinstance(i, NetworkAcl)]:
            kept = tuple(s for s in acl.subnet_ids if s not in subnet_ids)
            self._put(NetworkAcl(acl.id, acl.vpc_id, acl.rules, kept, acl.default))
        return self._put(NetworkAcl(self._id("acl"), vpc_id, tuple(rules), tuple(subnet_ids)))

    def instance(
        self,
        subnet_id: str,
        private_ip: str,
        name: str | None = None,
        groups: Sequence[str] = (),
        public_ip: str | None = None,
        state: str = "running",
    ) -> str:
        """Add an instance with one ENI."""
        subnet: Subnet = self._items[subnet_id]  # type: ignore[assignment]
        inst_id, eni_id = self._id("i"), self._id("eni")
        self._put(
            NetworkInterface(
                eni_id,
                subnet_id,
                subnet.vpc_id,
                private_ip,
                public_ip,
                tuple(groups),
                inst_id,
                self.account_id,
            )
        )
        return self._put(Instance(inst_id, name, (eni_id,), state))

    def eni_of(self, instance_id: str) -> str:
        """The primary ENI id of an instance."""
        inst: Instance = self._items[instance_id]  # type: ignore[assignment]
        return inst.interface_ids[0]

    def peering(self, vpc_a: str, vpc_b: str, status: str = "active") -> str:
        """Add a peering connection (no routes)."""
        return self._put(PeeringConnection(self._id("pcx"), vpc_a, vpc_b, status))

    def flow_log(self, resource_id: str, **options: str) -> str:
        """Add a flow log on a VPC, subnet or ENI (resource type from the id's prefix)."""
        kind = {"vpc": "VPC", "subnet": "Subnet", "eni": "NetworkInterface"}[
            resource_id.split("-")[0]
        ]
        options.setdefault("log_group", "lab-flow-logs")
        return self._put(FlowLog(self._id("fl"), resource_id, kind, **options))  # type: ignore[arg-type]

    def gateway_endpoint(
        self, vpc_id: str, route_table_ids: Sequence[str], policy: str = ""
    ) -> str:
        """Add an S3 gateway endpoint and its prefix-list routes."""
        if S3_PREFIX_LIST.id not in self._items:
            self._put(S3_PREFIX_LIST)
        vpce = self._put(
            GatewayEndpoint(
                self._id("vpce"),
                vpc_id,
                S3_PREFIX_LIST.name,
                tuple(route_table_ids),
                S3_PREFIX_LIST.id,
                policy,
            )
        )
        for rtb in route_table_ids:
            self.add_route(rtb, S3_PREFIX_LIST.id, vpce)
        return vpce

    def build(self) -> Topology:
        """The frozen topology."""
        buckets: dict[type, list[object]] = defaultdict(list)
        for item in self._items.values():
            buckets[type(item)].append(item)
        topo = Topology(account_id=self.account_id, region=self.region)
        return topo.with_resource(*(i for items in buckets.values() for i in items))  # type: ignore[arg-type]


def public_vpc(b: Builder, n: int, name_prefix: str = "") -> dict[str, str]:
    """Lab 1's VPC ``n``: 10.n.0.0/16, public subnet, IGW route, SG for ICMP+SSH, instance."""
    vpc = b.vpc(f"10.{n}.0.0/16", f"{name_prefix}VPC {n}")
    subnet = b.subnet(vpc, f"10.{n}.0.0/24", name=f"{name_prefix}Public {n}")
    igw = b.igw(vpc)
    rtb = b.route_table(vpc, [subnet], [Route(ANYWHERE, igw)])
    sg = b.security_group(vpc, f"{name_prefix}SG {n}", [allow_icmp(), allow_tcp(22)])
    inst = b.instance(
        subnet, f"10.{n}.0.10", f"{name_prefix}Instance {n}", [sg], f"54.{n % 250}.{n // 250}.10"
    )
    return {
        "vpc": vpc,
        "subnet": subnet,
        "igw": igw,
        "rtb": rtb,
        "sg": sg,
        "instance": inst,
        "eni": b.eni_of(inst),
    }


def lab1_builder(peered: bool = False, flow_log: bool = True) -> tuple[Builder, dict[str, str]]:
    """Lab 1 in a builder, so a caller can change or add things before ``build()``.

    VPC 1 (10.1/16) and VPC 2 (10.2/16), each public with one instance; ids by role
    (``vpc1``, ``rtb2``, ``instance1``, ``pcx``…). With ``peered``, an active peering and
    routes to the other VPC on both sides.
    """
    b = Builder()
    ids: dict[str, str] = {}
    for n in (1, 2):
        ids.update({f"{k}{n}": v for k, v in public_vpc(b, n).items()})
    if flow_log:
        ids["flow_log"] = b.flow_log(ids["vpc1"], log_group="lab1-flow-logs")
    if peered:
        ids["pcx"] = b.peering(ids["vpc1"], ids["vpc2"])
        b.add_route(ids["rtb1"], "10.2.0.0/16", ids["pcx"])
        b.add_route(ids["rtb2"], "10.1.0.0/16", ids["pcx"])
    return b, ids


def two_vpcs(peered: bool = False, flow_log: bool = True) -> tuple[Topology, dict[str, str]]:
    """Lab 1 built: see :func:`lab1_builder`."""
    b, ids = lab1_builder(peered, flow_log)
    return b.build(), ids


def scaled(extra_vpcs: int, peered: bool = True) -> tuple[Topology, dict[str, str]]:
    """Lab 1 plus ``extra_vpcs`` unrelated public VPCs (10.3/16 …), for benchmarks."""
    b, ids = lab1_builder(peered, flow_log=False)
    for n in range(3, 3 + extra_vpcs):
        public_vpc(b, n, name_prefix="Other ")
    return b.build(), ids
