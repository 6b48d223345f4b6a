"""One check per lab step: a stable one-line result, or CheckFailed with a hint.

The line names resources by their Name tags and blocks, never by generated ids, so it is
the same on every run and every backend, and nbval can compare it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labkit.aws import compute, flowlogs, network
from labkit.errors import CheckFailed, NotFoundError

if TYPE_CHECKING:
    from labkit.lab import Lab
    from labkit.labs import Lab1


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
    logs = [f for f in found if f.get("LogGroupName") == plan.log_group_name]
    if not logs:
        raise _fail(
            step, f"VPC 1 has no flow log into {plan.log_group_name}", "create the flow log"
        )
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
        f"→ {plan.log_group_name}, via a role only {flowlogs.FLOW_LOGS_SERVICE} can assume",
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
