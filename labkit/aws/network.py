"""Idempotent builders for VPCs, subnets, internet gateways, routes and security groups.

Each ``ensure_*`` finds its resource by the lab tag and Name tag first, and creates it only
if it is missing, so re-running a cell or a notebook never makes a second one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labkit.aws.shown import Card
from labkit.errors import ConfigError

if TYPE_CHECKING:
    from labkit.aws.context import AwsContext


@dataclass(frozen=True, repr=False)
class Network(Card):
    """A VPC with one public subnet, its internet gateway, route table and security group."""

    name: str
    vpc_id: str
    cidr: str
    subnet_id: str
    subnet_cidr: str
    igw_id: str
    route_table_id: str
    security_group_id: str

    def _card(self) -> tuple[str, list[tuple[str, Any]]]:
        return f"{self.name} ({self.vpc_id}) {self.cidr}", [
            ("public subnet", f"{self.subnet_id} {self.subnet_cidr}"),
            ("internet gateway", self.igw_id),
            ("route table", f"{self.route_table_id}: 0.0.0.0/0 → {self.igw_id}"),
            ("security group", self.security_group_id),
        ]


def _first(items: list[dict[str, Any]]) -> dict[str, Any] | None:
    return items[0] if items else None


def find_vpc(lab: AwsContext, name: str) -> dict[str, Any] | None:
    """The lab's VPC with this Name tag, or None."""
    with lab.call(f"looking up {name}"):
        return _first(lab.ec2.describe_vpcs(Filters=lab.filters(name))["Vpcs"])


def public_subnet_name(vpc_name: str) -> str:
    """The Name tag of a lab VPC's public subnet, e.g. "VPC 1 public subnet"."""
    return f"{vpc_name} public subnet"


def find_public_subnet(lab: AwsContext, vpc_name: str) -> dict[str, Any] | None:
    """The public subnet of the lab's VPC ``vpc_name`` (by its Name tag), or None."""
    with lab.call(f"reading {vpc_name}'s subnets"):
        subnets = lab.ec2.describe_subnets(Filters=lab.filters(public_subnet_name(vpc_name)))
    return _first(subnets["Subnets"])


def ensure_vpc(lab: AwsContext, name: str, cidr: str) -> dict[str, Any]:
    """The VPC named ``name``; created with ``cidr`` (and DNS hostnames on) if missing."""
    found = find_vpc(lab, name)
    if found is not None:
        if found["CidrBlock"] != cidr:
            raise ConfigError(
                f"{name} already exists with {found['CidrBlock']}, not {cidr}. Use the same "
                "parameters as before, or run 99-teardown first to start again."
            )
        return found
    with lab.call(f"creating {name} ({cidr})"):
        vpc = lab.ec2.create_vpc(CidrBlock=cidr, TagSpecifications=lab.tag_spec("vpc", name))
        vpc_id = vpc["Vpc"]["VpcId"]
        lab.ec2.get_waiter("vpc_available").wait(VpcIds=[vpc_id])
        lab.ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    return dict(vpc["Vpc"])


def ensure_subnet(lab: AwsContext, vpc_id: str, name: str, cidr: str) -> dict[str, Any]:
    """The public subnet ``name`` in the VPC: public IPs on launch."""
    with lab.call(f"looking up {name}"):
        found = _first(
            lab.ec2.describe_subnets(
                Filters=lab.filters(name) + [{"Name": "vpc-id", "Values": [vpc_id]}]
            )["Subnets"]
        )
    if found is not None:
        return found
    with lab.call(f"creating {name} ({cidr})"):
        subnet = lab.ec2.create_subnet(
            VpcId=vpc_id, CidrBlock=cidr, TagSpecifications=lab.tag_spec("subnet", name)
        )["Subnet"]
        lab.ec2.modify_subnet_attribute(
            SubnetId=subnet["SubnetId"], MapPublicIpOnLaunch={"Value": True}
        )
    return dict(subnet)


def ensure_internet_gateway(lab: AwsContext, vpc_id: str, name: str) -> str:
    """The id of the internet gateway attached to the VPC; created and attached if missing."""
    with lab.call(f"looking up the internet gateway of {name}"):
        attached = lab.ec2.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
        )["InternetGateways"]
    if attached:
        return str(attached[0]["InternetGatewayId"])
    with lab.call(f"creating the internet gateway {name}"):
        igw = lab.ec2.create_internet_gateway(
            TagSpecifications=lab.tag_spec("internet-gateway", name)
        )["InternetGateway"]["InternetGatewayId"]
        lab.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    return str(igw)


def route_table_for(lab: AwsContext, vpc_id: str, subnet_id: str) -> dict[str, Any]:
    """The route table that serves the subnet: its explicit association, else the main table.

    https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html#subnet-route-tables
    """
    with lab.call("reading route tables"):
        tables = lab.ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
            "RouteTables"
        ]
    for table in tables:
        if any(a.get("SubnetId") == subnet_id for a in table.get("Associations", [])):
            return dict(table)
    for table in tables:
        if any(a.get("Main") for a in table.get("Associations", [])):
            return dict(table)
    raise ConfigError(f"{vpc_id} has no main route table; was it deleted by hand?")


def ensure_route(lab: AwsContext, table: dict[str, Any], destination: str, **target: str) -> bool:
    """A route ``destination → target`` in the table (target e.g. GatewayId=igw-…).

    Returns True when it added or replaced the route, False when it was there already.
    """
    ((key, value),) = target.items()
    for route in table.get("Routes", []):
        if route.get("DestinationCidrBlock") == destination:
            if route.get(key) == value and route.get("State") != "blackhole":
                return False
            with lab.call(f"replacing the route to {destination}"):
                lab.ec2.replace_route(
                    RouteTableId=table["RouteTableId"], DestinationCidrBlock=destination, **target
                )
            return True
    with lab.call(f"adding the route {destination} → {value}"):
        lab.ec2.create_route(
            RouteTableId=table["RouteTableId"], DestinationCidrBlock=destination, **target
        )
    return True


def ensure_security_group(
    lab: AwsContext, vpc_id: str, name: str, description: str, rules: list[dict[str, Any]]
) -> str:
    """The security group ``name`` in the VPC, with at least these inbound rules."""
    with lab.call(f"looking up security group {name}"):
        found = _first(
            lab.ec2.describe_security_groups(
                Filters=[
                    {"Name": "vpc-id", "Values": [vpc_id]},
                    {"Name": "group-name", "Values": [name]},
                ]
            )["SecurityGroups"]
        )
    if found is None:
        with lab.call(f"creating security group {name}"):
            group_id = lab.ec2.create_security_group(
                GroupName=name,
                Description=description,
                VpcId=vpc_id,
                TagSpecifications=lab.tag_spec("security-group", name),
            )["GroupId"]
        existing: list[dict[str, Any]] = []
    else:
        group_id, existing = found["GroupId"], found.get("IpPermissions", [])
    missing = [rule for rule in rules if not _has_rule(existing, rule)]
    if missing:
        with lab.call(f"allowing inbound traffic in {name}"):
            lab.ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=missing)
    return str(group_id)


def _has_rule(existing: list[dict[str, Any]], rule: dict[str, Any]) -> bool:
    want_ranges = {r["CidrIp"] for r in rule.get("IpRanges", [])}
    for have in existing:
        same = all(
            str(have.get(k)) == str(rule.get(k))
            for k in ("IpProtocol", "FromPort", "ToPort")
            if k in rule
        )
        if same and want_ranges <= {r["CidrIp"] for r in have.get("IpRanges", [])}:
            return True
    return False


# Lab 1's inbound rules: all ICMP (ping) and SSH, from anywhere, as in the lab.
ICMP_AND_SSH = [
    {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
]


def ensure_public_network(lab: AwsContext, name: str, cidr: str, subnet_cidr: str) -> Network:
    """A VPC with a public subnet, an internet gateway, a default route and an ICMP+SSH group.

    Parameters
    ----------
    name: the VPC's Name tag, e.g. "VPC 1"; the other parts are named after it.
    cidr: the VPC's block, e.g. "10.1.0.0/16".
    subnet_cidr: the public subnet's block inside it, e.g. "10.1.0.0/24".

    Returns
    -------
    The :class:`Network` with every id.
    """
    vpc = ensure_vpc(lab, name, cidr)
    vpc_id = vpc["VpcId"]
    subnet = ensure_subnet(lab, vpc_id, public_subnet_name(name), subnet_cidr)
    igw = ensure_internet_gateway(lab, vpc_id, f"{name} IGW")
    table = route_table_for(lab, vpc_id, subnet["SubnetId"])
    ensure_route(lab, table, "0.0.0.0/0", GatewayId=igw)
    group = ensure_security_group(
        lab, vpc_id, f"{lab.prefix}-{_slug(name)}-sg", f"{name}: ICMP and SSH", ICMP_AND_SSH
    )
    return Network(
        name=name,
        vpc_id=vpc_id,
        cidr=vpc["CidrBlock"],
        subnet_id=subnet["SubnetId"],
        subnet_cidr=subnet["CidrBlock"],
        igw_id=igw,
        route_table_id=table["RouteTableId"],
        security_group_id=group,
    )


def _slug(name: str) -> str:
    return "-".join(name.lower().split())
