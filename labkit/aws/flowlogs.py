"""Idempotent builders for the flow log: the log group, its IAM policy and role, the flow log.

https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-cwl.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labkit.aws.shown import Card
from labkit.errors import ConfigError

if TYPE_CHECKING:
    from labkit.aws.context import AwsContext

# The permissions VPC Flow Logs needs to publish to CloudWatch Logs.
# https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html
FLOW_LOGS_ACTIONS = [
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
]
FLOW_LOGS_SERVICE = "vpc-flow-logs.amazonaws.com"
AGGREGATION_INTERVALS = (60, 600)  # the only two values CreateFlowLogs accepts
TRAFFIC_TYPES = ("ALL", "ACCEPT", "REJECT")


@dataclass(frozen=True, repr=False)
class FlowLog(Card):
    """A flow log on a VPC that publishes to a CloudWatch Logs group."""

    flow_log_id: str
    vpc_id: str
    log_group: str
    role_arn: str
    traffic_type: str
    max_aggregation_interval: int
    status: str

    def _card(self) -> tuple[str, list[tuple[str, Any]]]:
        return f"Flow log {self.flow_log_id} on {self.vpc_id}: {self.status}", [
            ("log group", self.log_group),
            ("role", self.role_arn),
            ("traffic", f"{self.traffic_type}, every {self.max_aggregation_interval} s"),
        ]


def find_log_group(lab: AwsContext, vpc_id: str) -> str | None:
    """The log group of the VPC's flow log into CloudWatch Logs, or None."""
    with lab.call("looking up the flow log"):
        found = lab.ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])
    groups = [f["LogGroupName"] for f in found["FlowLogs"] if f.get("LogGroupName")]
    return groups[0] if groups else None


def policy_document() -> dict[str, Any]:
    """The IAM policy that lets flow logs write to CloudWatch Logs."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": FLOW_LOGS_ACTIONS, "Resource": "*"}],
    }


def trust_policy() -> dict[str, Any]:
    """The custom trust policy: only the VPC Flow Logs service may assume the role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": FLOW_LOGS_SERVICE},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def ensure_log_group(lab: AwsContext, name: str) -> str:
    """The CloudWatch Logs group ``name``; returns its name."""
    with lab.call(f"creating log group {name}"):
        pages = lab.logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name)
        if not any(g["logGroupName"] == name for page in pages for g in page["logGroups"]):
            lab.logs.create_log_group(logGroupName=name, tags={lab.TAG_KEY: lab.prefix})
    return name


def ensure_policy(lab: AwsContext, name: str) -> str:
    """The customer-managed policy ``name`` with the flow-logs permissions; returns its ARN."""
    with lab.call(f"creating IAM policy {name}"):
        pages = lab.iam.get_paginator("list_policies").paginate(Scope="Local")
        for page in pages:
            for policy in page["Policies"]:
                if policy["PolicyName"] == name:
                    return str(policy["Arn"])
        created = lab.iam.create_policy(
            PolicyName=name,
            PolicyDocument=json.dumps(policy_document()),
            Description="Lets VPC Flow Logs publish to CloudWatch Logs",
            Tags=lab.tags(name),
        )
    return str(created["Policy"]["Arn"])


def ensure_role(lab: AwsContext, name: str, policy_arn: str) -> str:
    """The role ``name`` that VPC Flow Logs can assume, with the policy attached; its ARN."""
    iam = lab.iam
    with lab.call(f"creating IAM role {name}"):
        try:
            role = iam.get_role(RoleName=name)["Role"]
        except iam.exceptions.NoSuchEntityException:
            role = iam.create_role(
                RoleName=name,
                AssumeRolePolicyDocument=json.dumps(trust_policy()),
                Description="Assumed by VPC Flow Logs to publish records",
                Tags=lab.tags(name),
            )["Role"]
        attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        if policy_arn not in {p["PolicyArn"] for p in attached}:
            iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
    return str(role["Arn"])


def ensure_flow_log(
    lab: AwsContext,
    vpc_id: str,
    log_group: str,
    role_arn: str,
    traffic_type: str = "ALL",
    max_aggregation_interval: int = 60,
) -> FlowLog:
    """A flow log on the VPC into the log group, capturing ``traffic_type`` traffic.

    Parameters
    ----------
    vpc_id: the VPC to watch.
    log_group: the CloudWatch Logs group to publish to.
    role_arn: the role VPC Flow Logs assumes (from ``ensure_role``).
    traffic_type: "ALL", "ACCEPT" or "REJECT".
    max_aggregation_interval: 60 or 600 seconds.

    Returns
    -------
    The :class:`FlowLog`.
    """
    if traffic_type not in TRAFFIC_TYPES:
        raise ConfigError(
            f"traffic type {traffic_type!r} must be one of {', '.join(TRAFFIC_TYPES)}"
        )
    if max_aggregation_interval not in AGGREGATION_INTERVALS:
        raise ConfigError(
            f"aggregation interval {max_aggregation_interval} s must be 60 or 600 seconds"
        )
    with lab.call("looking up the flow log"):
        found = lab.ec2.describe_flow_logs(
            Filters=[
                {"Name": "resource-id", "Values": [vpc_id]},
                {"Name": "log-group-name", "Values": [log_group]},
            ]
        )["FlowLogs"]
    if not found:
        with lab.call(f"creating the flow log on {vpc_id}"):
            made = lab.ec2.create_flow_logs(
                ResourceType="VPC",
                ResourceIds=[vpc_id],
                TrafficType=traffic_type,
                LogDestinationType="cloud-watch-logs",
                LogGroupName=log_group,
                DeliverLogsPermissionArn=role_arn,
                MaxAggregationInterval=max_aggregation_interval,
                TagSpecifications=lab.tag_spec("vpc-flow-log", f"{lab.prefix} flow log"),
            )
            if made.get("Unsuccessful"):
                why = made["Unsuccessful"][0]["Error"]["Message"]
                raise ConfigError(f"the flow log on {vpc_id} was not created: {why}")
            found = lab.ec2.describe_flow_logs(FlowLogIds=made["FlowLogIds"])["FlowLogs"]
    raw = found[0]
    return FlowLog(
        flow_log_id=raw["FlowLogId"],
        vpc_id=raw["ResourceId"],
        log_group=raw.get("LogGroupName", log_group),
        role_arn=raw.get("DeliverLogsPermissionArn", role_arn),
        traffic_type=raw["TrafficType"],
        max_aggregation_interval=int(raw.get("MaxAggregationInterval", 600)),
        status=raw.get("DeliverLogsStatus", "SUCCESS"),
    )
