"""Remove everything a lab created, found by its tag, in an order AWS accepts.

Instances go first (their network interfaces hold the subnets and security groups), then
flow logs, peering connections and the routes through them, VPC endpoints (their routes
go with them), internet gateways, subnets, security groups, VPCs, the log group, the lab's
S3 buckets (policy, objects, then the bucket), IAM users (keys and policies first),
instance profiles, roles and policies. Bucket policies are deleted before anything else.
Each step lists before it deletes, so ``plan`` (a dry run) and ``remove`` agree.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labkit.aws import endpoints, iamusers, s3
from labkit.tables import Table

if TYPE_CHECKING:
    from labkit.aws.context import AwsContext


@dataclass(frozen=True)
class Doomed:
    """One resource to delete: its kind, id and name."""

    kind: str
    resource_id: str
    name: str


def _name(raw: dict[str, Any]) -> str:
    return next((t["Value"] for t in raw.get("Tags", []) if t["Key"] == "Name"), "")


def plan(lab: AwsContext) -> list[Doomed]:
    """Everything the lab's tag finds, in deletion order."""
    ec2 = lab.ec2
    found: list[Doomed] = []
    with lab.call("listing the lab's resources"):
        pages = ec2.get_paginator("describe_instances").paginate(Filters=lab.filters())
        for r in (r for page in pages for r in page["Reservations"]):
            for i in r["Instances"]:
                if i["State"]["Name"] not in ("terminated", "shutting-down"):
                    found.append(Doomed("instance", i["InstanceId"], _name(i)))
        for f in ec2.describe_flow_logs(Filters=lab.filters())["FlowLogs"]:
            found.append(Doomed("flow log", f["FlowLogId"], _name(f)))
        gone = {"deleted", "rejected", "failed"}
        pages = ec2.get_paginator("describe_vpc_peering_connections").paginate(
            Filters=lab.filters()
        )
        for p in (p for page in pages for p in page["VpcPeeringConnections"]):
            if p["Status"]["Code"] not in gone:
                found.append(Doomed("peering connection", p["VpcPeeringConnectionId"], _name(p)))
        for e in endpoints.lab_endpoints(lab):
            found.append(Doomed("VPC endpoint", e["VpcEndpointId"], _name(e)))
        for g in ec2.describe_internet_gateways(Filters=lab.filters())["InternetGateways"]:
            found.append(Doomed("internet gateway", g["InternetGatewayId"], _name(g)))
        for s in ec2.describe_subnets(Filters=lab.filters())["Subnets"]:
            found.append(Doomed("subnet", s["SubnetId"], _name(s)))
        for g in ec2.describe_security_groups(Filters=lab.filters())["SecurityGroups"]:
            found.append(Doomed("security group", g["GroupId"], g["GroupName"]))
        for v in ec2.describe_vpcs(Filters=lab.filters())["Vpcs"]:
            found.append(Doomed("VPC", v["VpcId"], _name(v)))
        groups = lab.logs.get_paginator("describe_log_groups").paginate()
        for group in (g for page in groups for g in page["logGroups"]):
            tags = lab.logs.list_tags_for_resource(resourceArn=group["arn"].removesuffix(":*"))
            if tags.get("tags", {}).get(lab.TAG_KEY) == lab.prefix:
                found.append(Doomed("log group", group["logGroupName"], group["logGroupName"]))
        found += [Doomed("S3 bucket", b, b) for b in s3.lab_buckets(lab)]
        found += [Doomed("IAM user", u, u) for u in iamusers.lab_users(lab)]
        found += [Doomed("instance profile", p, p) for p in iamusers.lab_profiles(lab)]
        roles = lab.iam.get_paginator("list_roles").paginate()
        for role in (r for page in roles for r in page["Roles"]):
            if role["RoleName"].startswith(f"{lab.prefix}-"):
                tags = lab.iam.list_role_tags(RoleName=role["RoleName"])["Tags"]
                if {"Key": lab.TAG_KEY, "Value": lab.prefix} in tags:
                    found.append(Doomed("IAM role", role["RoleName"], role["RoleName"]))
        policies = lab.iam.get_paginator("list_policies").paginate(Scope="Local")
        for policy in (p for page in policies for p in page["Policies"]):
            if policy["PolicyName"].startswith(f"{lab.prefix}-"):
                found.append(Doomed("IAM policy", policy["Arn"], policy["PolicyName"]))
    return found


def summary(doomed: list[Doomed]) -> Table:
    """The plan as a table."""
    return Table.of(("kind", "id", "name"), [(d.kind, d.resource_id, d.name) for d in doomed])


def remove(lab: AwsContext) -> Table:
    """Delete everything :func:`plan` finds; returns what was deleted."""
    doomed = plan(lab)
    # Bucket policies go first: Lab 3's (the bucket only through a VPC endpoint) denies
    # this computer every object action, and a teardown stopped half-way must not leave a
    # bucket that only an endpoint, or the root user, can reach.
    for item in doomed:
        if item.kind == "S3 bucket":
            with lab.call(f"deleting the policy of bucket {item.name}"):
                lab.s3.delete_bucket_policy(Bucket=item.resource_id)
    instances = [d.resource_id for d in doomed if d.kind == "instance"]
    if instances:
        with lab.call("terminating the lab's instances"):
            lab.ec2.terminate_instances(InstanceIds=instances)
            _wait_terminated(lab, instances)
    for item in doomed:
        if item.kind != "instance":
            with lab.call(f"deleting {item.kind} {item.name or item.resource_id}"):
                _DELETE[item.kind](lab, item.resource_id)
    return summary(doomed)


def _wait_terminated(lab: AwsContext, ids: list[str], timeout_s: float = 600) -> None:
    started = time.monotonic()
    while True:
        raw = lab.ec2.describe_instances(InstanceIds=ids)["Reservations"]
        states = {i["State"]["Name"] for r in raw for i in r["Instances"]}
        if states <= {"terminated"} or time.monotonic() - started > timeout_s:
            return
        print(f"waiting for {len(ids)} instances to terminate… {time.monotonic() - started:.0f} s")
        time.sleep(5 if lab.endpoint_url is None else 0.1)


def _peering(lab: AwsContext, pcx: str) -> None:
    for table in lab.ec2.describe_route_tables()["RouteTables"]:
        for route in table["Routes"]:
            if route.get("VpcPeeringConnectionId") == pcx and route.get("DestinationCidrBlock"):
                lab.ec2.delete_route(
                    RouteTableId=table["RouteTableId"],
                    DestinationCidrBlock=route["DestinationCidrBlock"],
                )
    lab.ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)


def _igw(lab: AwsContext, igw: str) -> None:
    raw = lab.ec2.describe_internet_gateways(InternetGatewayIds=[igw])["InternetGateways"][0]
    for attachment in raw.get("Attachments", []):
        lab.ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=attachment["VpcId"])
    lab.ec2.delete_internet_gateway(InternetGatewayId=igw)


def _role(lab: AwsContext, name: str) -> None:
    iam = lab.iam
    for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
    for profile in iam.list_instance_profiles_for_role(RoleName=name)["InstanceProfiles"]:
        iam.remove_role_from_instance_profile(
            InstanceProfileName=profile["InstanceProfileName"], RoleName=name
        )
        iam.delete_instance_profile(InstanceProfileName=profile["InstanceProfileName"])
    for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=policy)
    iam.delete_role(RoleName=name)


_DELETE = {
    "flow log": lambda lab, i: lab.ec2.delete_flow_logs(FlowLogIds=[i]),
    "peering connection": _peering,
    "VPC endpoint": lambda lab, i: endpoints.delete_endpoints(lab, [i]),
    "internet gateway": _igw,
    "subnet": lambda lab, i: lab.ec2.delete_subnet(SubnetId=i),
    "security group": lambda lab, i: lab.ec2.delete_security_group(GroupId=i),
    "VPC": lambda lab, i: lab.ec2.delete_vpc(VpcId=i),
    "log group": lambda lab, i: lab.logs.delete_log_group(logGroupName=i),
    "S3 bucket": s3.remove_bucket,
    "IAM user": iamusers.remove_user,
    "instance profile": iamusers.remove_profile,
    "IAM role": _role,
    "IAM policy": lambda lab, i: lab.iam.delete_policy(PolicyArn=i),
}
