"""One check per lab step: a stable one-line result, or CheckFailed with a hint.

The line names resources by their Name tags and blocks, never by generated ids, so it is
the same on every run and every backend, and nbval can compare it.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labkit.aws import compute, flowlogs, network, peering, teardown
from labkit.aws.ssm import shell
from labkit.errors import CheckFailed, NotFoundError
from labkit.netsim.errors import RecordFormatError
from labkit.netsim.records import FlowRecord

if TYPE_CHECKING:
    from labkit.lab import Lab
    from labkit.labs.lab1.plan import Lab1


@dataclass(frozen=True)
class CheckResult:
    """A passed check; it shows as its one line."""

    step: str
    line: str

    def __repr__(self) -> str:
        return f"step {self.step} ok: {self.line}"

    __str__ = __repr__


def _fail(step: str, what: str, hint: str) -> CheckFailed:
    return CheckFailed(f"step {step} failed: {what}. Hint: {hint}")


def public_network(lab: Lab, step: str, vpc_name: str, cidr: str, subnet_cidr: str) -> CheckResult:
    """The VPC exists with its public subnet, a default route to its IGW, and ICMP+SSH open."""
    vpc = network.find_vpc(lab, vpc_name)
    if vpc is None:
        raise _fail(step, f"{vpc_name} does not exist", "run the cell that creates it")
    if vpc["CidrBlock"] != cidr:
        raise _fail(step, f"{vpc_name} has {vpc['CidrBlock']}, not {cidr}", "check the parameters")
    with lab.call(f"checking {vpc_name}"):
        subnets = lab.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])[
            "Subnets"
        ]
    subnet = next((s for s in subnets if s["CidrBlock"] == subnet_cidr), None)
    if subnet is None:
        raise _fail(step, f"{vpc_name} has no subnet {subnet_cidr}", "create the public subnet")
    if not subnet.get("MapPublicIpOnLaunch"):
        raise _fail(step, f"subnet {subnet_cidr} does not give public IPs", "turn on auto-assign")
    table = network.route_table_for(lab, vpc["VpcId"], subnet["SubnetId"])
    default = [r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
    if not default or not str(default[0].get("GatewayId", "")).startswith("igw-"):
        raise _fail(
            step,
            f"the route table of {subnet_cidr} has no 0.0.0.0/0 route to an internet gateway",
            "add a default route to the VPC's internet gateway",
        )
    return CheckResult(
        step,
        f"{vpc_name} {cidr} has public subnet {subnet_cidr} with 0.0.0.0/0 → internet gateway",
    )


def instance_running(lab: Lab, step: str, name: str) -> CheckResult:
    """The instance runs, with a private IP in its subnet and a public IP."""
    try:
        inst = compute.find_instance(lab, name)
    except NotFoundError as err:
        raise _fail(step, str(err), "run the cell that launches it") from None
    if inst.state != "running":
        raise _fail(step, f"{name} is {inst.state}", "start it, or wait a little and re-run")
    if not inst.public_ip:
        raise _fail(step, f"{name} has no public IP", "launch it in the public subnet")
    return CheckResult(step, f"{name} is running at {inst.private_ip}, with a public IP")


def flow_log(lab: Lab, step: str, plan: Lab1) -> CheckResult:
    """VPC 1 has an active flow log into the log group, through a role only flow logs assume."""
    vpc = network.find_vpc(lab, "VPC 1")
    if vpc is None:
        raise _fail(step, "VPC 1 does not exist", "run notebook 01 from the top")
    with lab.call("checking the flow log"):
        found = lab.ec2.describe_flow_logs(
            Filters=[{"Name": "resource-id", "Values": [vpc["VpcId"]]}]
        )["FlowLogs"]
        role = lab.iam.get_role(RoleName=plan.role_name(lab))["Role"]
    group = plan.group_name(lab)
    logs = [f for f in found if f.get("LogGroupName") == group]
    if not logs:
        raise _fail(step, f"VPC 1 has no flow log into {group}", "create the flow log")
    trust: Any = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    principals = {str(s.get("Principal", {}).get("Service")) for s in trust.get("Statement", [])}
    if principals != {flowlogs.FLOW_LOGS_SERVICE}:
        raise _fail(
            step,
            f"the role trusts {', '.join(sorted(principals))}",
            f"its trust policy must name only {flowlogs.FLOW_LOGS_SERVICE}",
        )
    log = logs[0]
    return CheckResult(
        step,
        f"VPC 1 flow log ({log['TrafficType']} traffic, {log.get('MaxAggregationInterval')} s) "
        f"→ {group}, via a role only {flowlogs.FLOW_LOGS_SERVICE} can assume",
    )


def backend_ready(lab: Lab) -> CheckResult:
    """Every service the labs use answers on the chosen backend."""
    probes = {
        "EC2": lambda: lab.ec2.describe_regions(RegionNames=[lab.region]),
        "IAM": lambda: lab.iam.list_roles(MaxItems=1),
        "CloudWatch Logs": lambda: lab.logs.describe_log_groups(limit=1),
        "S3": lambda: lab.s3.list_buckets(),
        "SSM": lambda: lab.ssm.get_parameter(Name=compute.AMI_PARAMETER),
    }
    for service, probe in probes.items():
        with lab.call(f"asking {service} on the {lab.backend} backend"):
            probe()
    return CheckResult(
        "00", f"the {lab.backend} backend answers {', '.join(probes)} in {lab.region}"
    )


def ping_counts(output: str) -> tuple[int, int]:
    """(transmitted, received) from ping's summary line; (0, 0) if there is none."""
    match = re.search(r"(\d+) packets transmitted, (\d+) (?:packets )?received", output)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def ping(
    lab: Lab,
    step: str,
    source: str,
    destination: str,
    address: str,
    expect: bool,
    count: int = 3,
    shown: str | None = None,
) -> CheckResult:
    """Ping ``address`` (``destination``'s) from ``source`` and compare with what we expect.

    ``shown`` names the address in the result line instead of the address itself (a public
    IP changes on every run, so the line says "its public IP").
    """
    result = shell(lab, source, f"ping -c {count} -W 1 {address}")
    sent, received = ping_counts(result.stdout)
    if sent == 0:
        raise _fail(
            step,
            f"ping printed no summary: {result.stdout or result.stderr}",
            "run the ping cell above and read its output",
        )
    if expect and received == 0:
        raise _fail(
            step,
            f"{source} gets no reply from {destination} at {address}",
            "run labkit reach (lab.reach) to see which component blocks it",
        )
    if not expect and received > 0:
        raise _fail(
            step,
            f"{source} already reaches {destination} at {address}",
            "this step expects the ping to fail; was the peering built already?",
        )
    where = shown or address
    if expect:
        return CheckResult(
            step, f"{source} reaches {destination} at {where} ({received}/{sent} replies)"
        )
    return CheckResult(
        step,
        f"{source} cannot reach {destination} at {where} "
        f"({sent - received}/{sent} lost), as expected",
    )


def blocked_by_route(
    lab: Lab, step: str, source: str, destination: str, address: str
) -> CheckResult:
    """reach names the source's route table as the blocker (no route to the address)."""
    report = lab.reach(source, address)
    verdict = report.verdict
    if verdict.reachable or verdict.blocked_by is None:
        raise _fail(step, f"{source} reaches {address}", "this step comes before the peering")
    component = verdict.blocked_by.component
    if not component.startswith("rtb-"):
        raise _fail(
            step,
            f"the blocker is {component} ({verdict.blocked_by.code}), not a route table",
            "check the security groups and network ACLs",
        )
    return CheckResult(
        step,
        f"{source}'s route table has no route to {destination} at {address} "
        f"({verdict.blocked_by.code})",
    )


def peering_routes(lab: Lab, step: str, requester: str, accepter: str) -> CheckResult:
    """The peering is active and each side's route table sends the other's block to it."""
    name = f"{requester} ↔ {accepter}"
    raw = peering.find_peering(lab, name)
    if raw is None:
        raise _fail(step, f"there is no peering connection {name}", "request it, then accept it")
    if raw["Status"]["Code"] != "active":
        what, hint = peering.not_active(raw)
        raise _fail(step, f"the peering connection {name} is {what}", hint)
    pcx = raw["VpcPeeringConnectionId"]
    for side in peering.sides(lab, requester, accepter):
        routes = {r.get("DestinationCidrBlock"): r for r in side.table["Routes"]}
        route = routes.get(side.peer_cidr)
        if route is None or route.get("VpcPeeringConnectionId") != pcx:
            raise _fail(
                step,
                f"{side.vpc}'s route table has no route to {side.peer_cidr} through the peering",
                f"add it with lab.ec2.create_route(RouteTableId={side.table['RouteTableId']!r}, "
                f"DestinationCidrBlock={side.peer_cidr!r}, VpcPeeringConnectionId={pcx!r})",
            )
        if route.get("State") == "blackhole":
            raise _fail(
                step,
                f"{side.vpc}'s route to {side.peer_cidr} is a blackhole",
                "the peering it uses is gone: request a new one",
            )
    return CheckResult(step, f"{name} is active, with a route to the other VPC on each side")


def flow_records(lab: Lab, step: str, log_group: str) -> CheckResult:
    """The log group holds ACCEPT and REJECT records, in one stream per network interface."""
    with lab.call(f"reading {log_group}"):
        streams = lab.logs.describe_log_streams(logGroupName=log_group)["logStreams"]
        pages = lab.logs.get_paginator("filter_log_events").paginate(logGroupName=log_group)
        actions = {_action(e["message"]) for p in pages for e in p["events"]}
    if not streams:
        raise _fail(
            step,
            f"{log_group} has no log streams yet",
            "make some traffic (the ping cells above), then re-run",
        )
    missing = {"ACCEPT", "REJECT"} - actions
    if missing:
        raise _fail(
            step,
            f"{log_group} has no {' or '.join(sorted(missing))} record",
            "run the traffic cells above (pings and background traffic)",
        )
    enis = [s["logStreamName"] for s in streams]
    with lab.call("naming the interfaces"):
        found = lab.ec2.describe_network_interfaces(NetworkInterfaceIds=enis)
    owners = sorted(
        next((t["Value"] for t in i.get("TagSet", []) if t["Key"] == "Name"), None)
        or _instance_name(lab, i.get("Attachment", {}).get("InstanceId", "?"))
        for i in found["NetworkInterfaces"]
    )
    noun = "interface" if len(enis) == 1 else "interfaces"
    return CheckResult(
        step,
        f"{log_group} holds ACCEPT and REJECT records in one stream per "
        f"network interface: {len(enis)} {noun} ({', '.join(owners)})",
    )


def _action(line: str) -> str | None:
    """The action of a default-format flow-log record (None for other lines)."""
    try:
        return str(FlowRecord.parse(line).action)
    except RecordFormatError:
        return None


def _instance_name(lab: Lab, instance_id: str) -> str:
    try:
        return compute.find_instance(lab, instance_id).name
    except NotFoundError:
        return instance_id


def ranked_by(result: Any, step: str, column: str, limit: int) -> CheckResult:
    """The result is sorted by ``column``, biggest first, with at most ``limit`` rows."""
    values = result.column(column)
    if not values:
        raise _fail(step, "the query returned no rows", "make traffic first, then re-run")
    if values != sorted(values, reverse=True) or len(values) > limit:
        raise _fail(
            step,
            f"the rows are not the top {limit} by {column}",
            f"end the query with | sort {column} desc | limit {limit}",
        )
    return CheckResult(
        step, f"the query ranks {len(values)} conversations by {column}, biggest first"
    )


def rejects_from_internet(
    result: Any, step: str, open_ports: tuple[int, ...] = (22,)
) -> CheckResult:
    """Every REJECT row comes from an internet address, on a port the security group closes."""
    if not result.rows:
        raise _fail(step, "there is no REJECT", "add background traffic and re-run")
    for row in result.rows:
        if ipaddress.ip_address(str(row["srcAddr"])).is_private:
            raise _fail(
                step,
                f"{row['srcAddr']} is a private address",
                "a REJECT from inside the lab means a security group or ACL blocks it",
            )
        if row.get("dstPort") in open_ports:
            raise _fail(
                step,
                f"port {row['dstPort']} is open yet rejected",
                "check the security group's inbound rules",
            )
    ports = ", ".join(str(p) for p in open_ports)
    return CheckResult(
        step,
        "every REJECT comes from an internet address, on a port the "
        f"security group keeps closed (it opens {ports} and ICMP)",
    )


def icmp_both_ways(result: Any, step: str, a: str, b: str) -> CheckResult:
    """The ICMP result shows ACCEPTed traffic from a to b and from b to a."""
    seen = {
        (r.get("srcAddr"), r.get("dstAddr")) for r in result.rows if r.get("action") == "ACCEPT"
    }
    for pair in ((a, b), (b, a)):
        if pair not in seen:
            raise _fail(
                step,
                f"no ACCEPTed ICMP from {pair[0]} to {pair[1]}",
                "ping between the instances (Step 1), then re-run",
            )
    return CheckResult(step, f"ICMP flows both ways between {a} and {b}, ACCEPTed")


def both_actions(result: Any, step: str) -> CheckResult:
    """The per-minute result has ACCEPT and REJECT rows."""
    actions = set(result.column("action"))
    if not {"ACCEPT", "REJECT"} <= actions:
        raise _fail(
            step,
            f"only {', '.join(sorted(map(str, actions)))} over time",
            "group by bin(1m) and action",
        )
    return CheckResult(step, "flows per minute show ACCEPT and REJECT side by side")


def nothing_left(lab: Lab, step: str) -> CheckResult:
    """Nothing carrying the lab's tag is left."""
    left = teardown.plan(lab)
    if left:
        kinds = ", ".join(sorted({d.kind for d in left}))
        raise _fail(
            step,
            f"{len(left)} resources are left ({kinds})",
            "run the teardown cell again; if it fails, its message names the blocker",
        )
    return CheckResult(step, f"nothing tagged {lab.TAG_KEY}={lab.prefix} is left")
