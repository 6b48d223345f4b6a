"""Lab 1's plan: its parameters, checked up front, and what each of its notebooks builds.

Everything is found by tag, so each builder is idempotent: ``labkit.labs.ensure_upto``
runs them to make sure the resources of the notebooks before a given one exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labkit.aws import compute, flowlogs, network, peering
from labkit.errors import ConfigError
from labkit.labs import params
from labkit.tables import Table

if TYPE_CHECKING:
    from labkit.aws.context import AwsContext


@dataclass(frozen=True)
class Lab1:
    """Lab 1's parameters, validated as a whole before anything is created."""

    vpc_1_cidr: str = "10.1.0.0/16"
    subnet_1_cidr: str = "10.1.0.0/24"
    vpc_2_cidr: str = "10.2.0.0/16"
    subnet_2_cidr: str = "10.2.0.0/24"
    log_group_name: str = ""  # empty: "<prefix>-vpc-flow-logs", one per lab
    traffic_type: str = "ALL"
    aggregation_s: int = 60

    def __post_init__(self) -> None:
        vpc1 = params.vpc_cidr("VPC_1_CIDR", self.vpc_1_cidr)
        vpc2 = params.vpc_cidr("VPC_2_CIDR", self.vpc_2_cidr)
        params.disjoint(
            [("VPC_1_CIDR", vpc1), ("VPC_2_CIDR", vpc2)],
            "the VPCs are peered in notebook 02, and AWS refuses to peer overlapping VPCs",
        )
        params.subnet_cidr("SUBNET_1_CIDR", self.subnet_1_cidr, vpc1, "VPC_1_CIDR")
        params.subnet_cidr("SUBNET_2_CIDR", self.subnet_2_cidr, vpc2, "VPC_2_CIDR")
        if self.traffic_type not in flowlogs.TRAFFIC_TYPES:
            raise ConfigError(
                f"TRAFFIC_TYPE {self.traffic_type!r} must be one of "
                f"{', '.join(flowlogs.TRAFFIC_TYPES)}"
            )
        if self.aggregation_s not in flowlogs.AGGREGATION_INTERVALS:
            raise ConfigError(f"AGGREGATION_S {self.aggregation_s} must be 60 or 600 seconds")
        if len(self.log_group_name) > 512:
            raise ConfigError("LOG_GROUP must be at most 512 characters")

    @classmethod
    def from_lab(cls, lab: AwsContext) -> Lab1:
        """The plan the lab was built with: existing VPCs' blocks, defaults for the rest."""
        found: dict[str, Any] = {}
        for side in (1, 2):
            vpc = network.find_vpc(lab, f"VPC {side}")
            if vpc is None:
                continue
            found[f"vpc_{side}_cidr"] = vpc["CidrBlock"]
            subnet = network.find_public_subnet(lab, f"VPC {side}")
            if subnet is not None:
                found[f"subnet_{side}_cidr"] = subnet["CidrBlock"]
            if side == 1:
                group = flowlogs.find_log_group(lab, vpc["VpcId"])
                if group:
                    found["log_group_name"] = group
        return cls(**found)

    def networks(self) -> list[tuple[str, str, str, str]]:
        """(VPC name, VPC block, subnet block, instance name) for each side of the lab."""
        return [
            ("VPC 1", self.vpc_1_cidr, self.subnet_1_cidr, "Instance 1"),
            ("VPC 2", self.vpc_2_cidr, self.subnet_2_cidr, "Instance 2"),
        ]

    def network(self, lab: AwsContext, side: int) -> network.Network:
        """Build VPC ``side`` (1 or 2): public subnet, internet gateway, route, group."""
        vpc_name, cidr, subnet, _ = self.networks()[side - 1]
        return network.ensure_public_network(lab, vpc_name, cidr, subnet)

    def instance(self, lab: AwsContext, side: int) -> compute.LabInstance:
        """Launch Instance ``side`` in VPC ``side``'s public subnet (the VPC must exist)."""
        return compute.ensure_instance(lab, self.networks()[side - 1][3], self.network(lab, side))

    def group_name(self, lab: AwsContext) -> str:
        """The log group's name: LOG_GROUP, or "<prefix>-vpc-flow-logs" so labs never share."""
        return self.log_group_name or f"{lab.prefix}-vpc-flow-logs"

    def log_group(self, lab: AwsContext) -> str:
        """Create the CloudWatch Logs group the flow log publishes to."""
        return flowlogs.ensure_log_group(lab, self.group_name(lab))

    def flow_log_policy(self, lab: AwsContext) -> str:
        """Create the IAM policy with the five logs permissions; returns its ARN."""
        return flowlogs.ensure_policy(lab, self.policy_name(lab))

    def flow_log_role(self, lab: AwsContext) -> str:
        """Create the role VPC Flow Logs assumes, with the policy attached; returns its ARN."""
        return flowlogs.ensure_role(lab, self.role_name(lab), self.flow_log_policy(lab))

    def flow_log(self, lab: AwsContext) -> flowlogs.FlowLog:
        """Create the flow log on VPC 1 (with its log group, policy and role if missing)."""
        return build_flow_log(lab, self)

    def request_peering(self, lab: AwsContext) -> peering.Peering:
        """Request a peering connection from VPC 1 to VPC 2."""
        return peering.request_peering(lab, "VPC 1", "VPC 2")

    def accept_peering(self, lab: AwsContext) -> peering.Peering:
        """Accept the peering request on VPC 2's side."""
        return peering.accept_peering(lab, "VPC 1", "VPC 2")

    def peering_routes(self, lab: AwsContext) -> list[str]:
        """On each side, route the other VPC's block through the (accepted) peering."""
        return peering.add_peering_routes(lab, "VPC 1", "VPC 2")

    def undo_peering(self, lab: AwsContext) -> list[str]:
        """Remove the peering and its routes: notebook 02 starts from unpeered VPCs."""
        return peering.remove_peering(lab, "VPC 1", "VPC 2")

    def flow_logs_policy(self) -> dict[str, Any]:
        """The IAM policy document that lets VPC Flow Logs write to CloudWatch Logs."""
        return flowlogs.policy_document()

    def flow_logs_trust_policy(self) -> dict[str, Any]:
        """The custom trust policy: only the VPC Flow Logs service may assume the role."""
        return flowlogs.trust_policy()

    def summary(self) -> Table:
        """What Lab 1 builds, as a table."""
        rows = []
        for vpc, cidr, subnet, instance in self.networks():
            rows += [
                ("01", "VPC", vpc, cidr),
                (
                    "01",
                    "subnet",
                    network.public_subnet_name(vpc),
                    f"{subnet}, public IPs on launch",
                ),
                ("01", "internet gateway", f"{vpc} IGW", "route 0.0.0.0/0 → IGW"),
                ("01", "security group", f"{vpc} group", "inbound ICMP and SSH"),
                ("01", "EC2 instance", instance, f"in {subnet}, with a public IP"),
            ]
        rows += [
            ("01", "log group", self.log_group_name or "<PREFIX>-vpc-flow-logs", "CloudWatch Logs"),
            ("01", "IAM policy + role", "flow-logs role", "trusted by vpc-flow-logs.amazonaws.com"),
            ("01", "flow log", "on VPC 1", f"{self.traffic_type} traffic, {self.aggregation_s} s"),
            ("02", "peering connection", "VPC 1 ↔ VPC 2", "plus a route on each side"),
        ]
        return Table.of(("notebook", "resource", "name", "detail"), rows)

    def role_name(self, lab: AwsContext) -> str:
        """The flow-logs role's name for this lab."""
        return f"{lab.prefix}-vpc-flow-logs-role"

    def policy_name(self, lab: AwsContext) -> str:
        """The flow-logs policy's name for this lab."""
        return f"{lab.prefix}-vpc-flow-logs-policy"


def build_flow_log(lab: AwsContext, plan: Lab1) -> flowlogs.FlowLog:
    """The log group, the policy, the role and the flow log on VPC 1."""
    net = network.find_vpc(lab, "VPC 1")
    if net is None:
        raise ConfigError("VPC 1 does not exist yet: run the steps above (or notebook 01) first")
    plan.log_group(lab)
    return flowlogs.ensure_flow_log(
        lab,
        net["VpcId"],
        plan.group_name(lab),
        plan.flow_log_role(lab),
        plan.traffic_type,
        plan.aggregation_s,
    )


def build_lab1(lab: AwsContext, plan: Lab1) -> None:
    """Everything notebook 01 builds."""
    plan.instance(lab, 1)
    plan.instance(lab, 2)
    plan.flow_log(lab)


def build_lab1_peering(lab: AwsContext, plan: Lab1) -> list[str]:
    """What notebook 02 adds: the peering connection, accepted, with routes on both sides.

    Returns the routes it had to add (the peering itself shows up as a new resource).
    """
    plan.request_peering(lab)
    routes = peering.ensure_peering_routes(lab, "VPC 1", "VPC 2")
    return [f"the route {line}" for line, added in routes if added]
