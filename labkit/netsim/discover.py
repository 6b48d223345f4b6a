"""Build a Topology from describe_* answers, the emulator's or a real account's.

``answers`` maps an EC2 operation name to its (merged, all pages) response, as boto3 returns
it: ``{"DescribeVpcs": {"Vpcs": [...]}, "DescribeSubnets": {...}, ...}``. Missing
operations count as empty. ``labkit.aws.describe.describe_answers`` collects them.

Prefix lists come from DescribePrefixLists (AWS-managed lists, with their ``Cidrs``); when
an answer lacks the CIDRs, ``GetManagedPrefixListEntries`` maps a prefix-list id to that
call's answer (``{"pl-…": {"Entries": [{"Cidr": …}]}}``) and fills them in. Gateway
endpoints in state ``deleted`` are left out: AWS lists them for a while, with no routes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labkit.netsim.model import (
    ALL,
    DEFAULT_ACCOUNT_ID,
    DEFAULT_LOG_FORMAT,
    DEFAULT_REGION,
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
    protocol_number,
)

OPERATIONS = {  # operation → the list key in its response
    "DescribeVpcs": "Vpcs",
    "DescribeSubnets": "Subnets",
    "DescribeRouteTables": "RouteTables",
    "DescribeInternetGateways": "InternetGateways",
    "DescribeVpcPeeringConnections": "VpcPeeringConnections",
    "DescribeInstances": "Reservations",
    "DescribeSecurityGroups": "SecurityGroups",
    "DescribeNetworkAcls": "NetworkAcls",
    "DescribeNetworkInterfaces": "NetworkInterfaces",
    "DescribeFlowLogs": "FlowLogs",
    "DescribeVpcEndpoints": "VpcEndpoints",
    "DescribePrefixLists": "PrefixLists",
}
# Per prefix list: GetManagedPrefixListEntries answers, when DescribePrefixLists lacks Cidrs.
ENTRIES_OPERATION = "GetManagedPrefixListEntries"
# Route target keys, in the order AWS fills them.
_TARGET_KEYS = (
    "VpcPeeringConnectionId",
    "NatGatewayId",
    "TransitGatewayId",
    "NetworkInterfaceId",
    "InstanceId",
    "EgressOnlyInternetGatewayId",
    "CarrierGatewayId",
    "LocalGatewayId",
    "CoreNetworkArn",
    "GatewayId",
)
_RESOURCE_TYPES = {"vpc": "VPC", "subnet": "Subnet", "eni": "NetworkInterface"}


def _items(answers: Mapping[str, Any], operation: str) -> list[dict[str, Any]]:
    answer = answers.get(operation) or {}
    if isinstance(answer, list):
        return answer
    return list(answer.get(OPERATIONS[operation], []))


def _name(tags: list[dict[str, str]] | None) -> str | None:
    for tag in tags or []:
        if tag.get("Key") == "Name":
            return tag.get("Value")
    return None


def _port(value: Any) -> int:
    return ALL if value is None else int(value)


def _sg_rules(perms: list[dict[str, Any]]) -> tuple[SgRule, ...]:
    rules = []
    for p in perms:
        proto = protocol_number(p.get("IpProtocol", "-1"))
        rules.append(
            SgRule(
                proto,
                _port(p.get("FromPort")) if proto != ALL else ALL,
                _port(p.get("ToPort")) if proto != ALL else ALL,
                tuple(r["CidrIp"] for r in p.get("IpRanges", []) if "CidrIp" in r),
                tuple(g["GroupId"] for g in p.get("UserIdGroupPairs", []) if "GroupId" in g),
                tuple(
                    pl["PrefixListId"] for pl in p.get("PrefixListIds", []) if "PrefixListId" in pl
                ),
            )
        )
    return tuple(rules)


def _acl_rule(entry: dict[str, Any]) -> NaclRule | None:
    if "CidrBlock" not in entry:  # an IPv6 rule
        return None
    icmp = entry.get("IcmpTypeCode") or {}
    ports = entry.get("PortRange") or {}
    return NaclRule(
        int(entry["RuleNumber"]),
        bool(entry.get("Egress")),
        entry.get("RuleAction") == "allow",
        protocol_number(entry.get("Protocol", "-1")),
        entry["CidrBlock"],
        _port(ports.get("From")),
        _port(ports.get("To")),
        _port(icmp.get("Type")),
        _port(icmp.get("Code")),
    )


def parse_route(raw: dict[str, Any]) -> Route | None:
    """One route of a DescribeRouteTables answer (None for IPv6 routes, not simulated)."""
    dest = raw.get("DestinationCidrBlock") or raw.get("DestinationPrefixListId")
    if not dest:  # IPv6 routes are not simulated
        return None
    target = next((raw[k] for k in _TARGET_KEYS if raw.get(k)), "unknown")
    return Route(dest, target, raw.get("State", "active"))


def _prefix_cidrs(answers: Mapping[str, Any], raw: dict[str, Any]) -> tuple[str, ...]:
    """A prefix list's IPv4 CIDRs (IPv6 is not simulated), from its answer or its entries."""
    cidrs = raw.get("Cidrs")
    if not cidrs:
        entries = (answers.get(ENTRIES_OPERATION) or {}).get(raw["PrefixListId"]) or {}
        cidrs = [e["Cidr"] for e in entries.get("Entries", []) if e.get("Cidr")]
    return tuple(c for c in cidrs if ":" not in c)


def _interface(raw: dict[str, Any], owner: str, public_ip: str | None = None) -> NetworkInterface:
    assoc = raw.get("Association") or {}
    attachment = raw.get("Attachment") or {}
    return NetworkInterface(
        raw["NetworkInterfaceId"],
        raw["SubnetId"],
        raw["VpcId"],
        raw["PrivateIpAddress"],
        assoc.get("PublicIp") or public_ip,
        tuple(g["GroupId"] for g in raw.get("Groups", [])),
        attachment.get("InstanceId") or raw.get("InstanceId"),
        raw.get("OwnerId", owner),
    )


def discover(answers: Mapping[str, Any]) -> Topology:
    """Build a :class:`Topology` from describe_* answers (see the module docstring)."""
    raw_vpcs = _items(answers, "DescribeVpcs")
    account = next((v["OwnerId"] for v in raw_vpcs if v.get("OwnerId")), DEFAULT_ACCOUNT_ID)
    vpcs = []
    for v in raw_vpcs:
        cidrs = [
            a["CidrBlock"]
            for a in v.get("CidrBlockAssociationSet", [])
            if (a.get("CidrBlockState") or {}).get("State", "associated") == "associated"
        ]
        vpcs.append(
            Vpc(
                v["VpcId"],
                tuple(cidrs or [v["CidrBlock"]]),
                _name(v.get("Tags")),
                v.get("OwnerId", account),
            )
        )
    subnets = [
        Subnet(
            s["SubnetId"],
            s["VpcId"],
            s["CidrBlock"],
            s.get("AvailabilityZone", "us-east-1a"),
            s.get("AvailabilityZoneId", "-"),
            _name(s.get("Tags")),
        )
        for s in _items(answers, "DescribeSubnets")
    ]
    region = answers.get("Region") or (
        subnets[0].availability_zone[:-1] if subnets else DEFAULT_REGION
    )
    tables = []
    for t in _items(answers, "DescribeRouteTables"):
        assocs = t.get("Associations", [])
        parsed = (parse_route(raw) for raw in t.get("Routes", []))
        routes = tuple(r for r in parsed if r is not None)
        tables.append(
            RouteTable(
                t["RouteTableId"],
                t["VpcId"],
                routes,
                tuple(a["SubnetId"] for a in assocs if a.get("SubnetId")),
                any(a.get("Main") for a in assocs),
            )
        )
    igws = []
    for g in _items(answers, "DescribeInternetGateways"):
        attached = [
            a["VpcId"]
            for a in g.get("Attachments", [])
            if a.get("State") in ("available", "attached")
        ]
        igws.append(InternetGateway(g["InternetGatewayId"], attached[0] if attached else None))
    peerings = [
        PeeringConnection(
            p["VpcPeeringConnectionId"],
            p["RequesterVpcInfo"]["VpcId"],
            p["AccepterVpcInfo"]["VpcId"],
            (p.get("Status") or {}).get("Code", "active"),
        )
        for p in _items(answers, "DescribeVpcPeeringConnections")
    ]
    instances, enis = _instances(answers, account)
    groups = [
        SecurityGroup(
            g["GroupId"],
            g.get("VpcId", ""),
            g.get("GroupName", ""),
            _sg_rules(g.get("IpPermissions", [])),
            _sg_rules(g.get("IpPermissionsEgress", [])),
        )
        for g in _items(answers, "DescribeSecurityGroups")
    ]
    acls = [
        NetworkAcl(
            a["NetworkAclId"],
            a["VpcId"],
            tuple(r for r in (_acl_rule(e) for e in a.get("Entries", [])) if r is not None),
            tuple(x["SubnetId"] for x in a.get("Associations", []) if x.get("SubnetId")),
            bool(a.get("IsDefault")),
        )
        for a in _items(answers, "DescribeNetworkAcls")
    ]
    prefix_lists = [
        PrefixList(p["PrefixListId"], p.get("PrefixListName", ""), _prefix_cidrs(answers, p))
        for p in _items(answers, "DescribePrefixLists")
    ]
    pl_by_name = {p.name: p.id for p in prefix_lists}
    endpoints = [
        GatewayEndpoint(
            e["VpcEndpointId"],
            e["VpcId"],
            e.get("ServiceName", ""),
            tuple(e.get("RouteTableIds", [])),
            pl_by_name.get(e.get("ServiceName", "")),
            e.get("PolicyDocument", ""),
            e.get("State", "available"),
        )
        for e in _items(answers, "DescribeVpcEndpoints")
        if e.get("VpcEndpointType", "Gateway") == "Gateway"
        and str(e.get("State", "available")).lower() not in ("deleted", "deleting")
    ]
    return Topology(
        tuple(vpcs),
        tuple(subnets),
        tuple(tables),
        tuple(igws),
        tuple(peerings),
        tuple(enis),
        tuple(instances),
        tuple(groups),
        tuple(acls),
        tuple(_flow_logs(answers)),
        tuple(prefix_lists),
        tuple(endpoints),
        account,
        str(region),
    )


def _instances(
    answers: Mapping[str, Any], account: str
) -> tuple[list[Instance], list[NetworkInterface]]:
    enis = {
        e["NetworkInterfaceId"]: _interface(e, account)
        for e in _items(answers, "DescribeNetworkInterfaces")
        if e.get("SubnetId") and e.get("PrivateIpAddress")
    }
    instances = []
    for reservation in _items(answers, "DescribeInstances"):
        for i in reservation.get("Instances", []):
            state = (i.get("State") or {}).get("Name", "running")
            if state in ("terminated", "shutting-down"):
                continue
            attached = sorted(
                i.get("NetworkInterfaces", []),
                key=lambda n: (n.get("Attachment") or {}).get("DeviceIndex", 0),
            )
            ids = []
            for n, raw in enumerate(attached):
                raw = {"VpcId": i.get("VpcId"), "SubnetId": i.get("SubnetId"), **raw}
                eni = _interface(raw, account, i.get("PublicIpAddress") if n == 0 else None)
                known = enis.get(eni.id)
                if known is None or (known.public_ip is None and eni.public_ip):
                    enis[eni.id] = NetworkInterface(
                        eni.id,
                        eni.subnet_id,
                        eni.vpc_id,
                        eni.private_ip,
                        eni.public_ip,
                        eni.security_group_ids,
                        i["InstanceId"],
                        eni.owner_id,
                    )
                elif known.instance_id is None:
                    enis[eni.id] = NetworkInterface(
                        known.id,
                        known.subnet_id,
                        known.vpc_id,
                        known.private_ip,
                        known.public_ip,
                        known.security_group_ids,
                        i["InstanceId"],
                        known.owner_id,
                    )
                ids.append(eni.id)
            instances.append(
                Instance(
                    i["InstanceId"],
                    _name(i.get("Tags")),
                    tuple(ids),
                    state,
                    i.get("InstanceType", "t3.micro"),
                )
            )
    return instances, list(enis.values())


def _flow_logs(answers: Mapping[str, Any]) -> list[FlowLog]:
    logs = []
    for f in _items(answers, "DescribeFlowLogs"):
        rid = f.get("ResourceId", "")
        logs.append(
            FlowLog(
                f["FlowLogId"],
                rid,
                _RESOURCE_TYPES.get(rid.split("-")[0], "VPC"),
                f.get("TrafficType", "ALL"),
                f.get("LogFormat") or DEFAULT_LOG_FORMAT,
                f.get("LogDestinationType", "cloud-watch-logs"),
                f.get("LogGroupName"),
                f.get("LogDestination"),
                f.get("FlowLogStatus", "ACTIVE"),
                int(f.get("MaxAggregationInterval", 600)),
                _epoch(f.get("CreationTime")),
            )
        )
    return logs


def _epoch(value: Any) -> int | None:
    """Unix seconds of a timestamp as boto3 (a datetime) or a JSON answer (ISO text) gives it."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        from datetime import datetime

        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        from datetime import UTC

        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())
