"""Remove everything a lab created, found by its tag only, in an order AWS accepts.

Design:
- **By tag only.** Every resource is found by the lab tag (``labkit-lab=<prefix>``), never
  by a name prefix: lab ``lab`` must not find lab ``lab-b``'s policy. The network
  interfaces are the one exception, found inside the lab's (tagged) VPCs, because AWS
  does not copy an instance's tags to the interfaces it creates at launch.
- **In dependency order.** Instances go first (their interfaces hold the subnets and
  security groups), then what is left of their interfaces, flow logs, peering connections
  with the routes through them, VPC endpoints (their routes go with them), internet
  gateways, subnets, security groups, VPCs, the log group, the S3 buckets (policy,
  objects, bucket), then IAM: users (keys and policies first), instance profiles
  (emptied of their roles), roles (detached from their policies), and policies
  (detached from everything, old versions deleted).
- **Resumable.** Nothing is remembered between calls: a teardown interrupted after any
  call finds what remains and goes on. Each delete treats "already gone" as done, and
  each step (an instance profile, a role) undoes its own links first, so a step cut in
  the middle is finished by the next run.
- **Verified.** After deleting, the lab is listed again; what remains is deleted again,
  and a teardown that cannot empty the lab says what is left.
- **Bucket policies first.** Lab 3's policy lets the bucket be reached only through a VPC
  endpoint; it is deleted before anything else, so a teardown stopped half-way never
  leaves a bucket that only an endpoint, or the root user, can reach.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from labkit.aws import endpoints, iamusers, s3
from labkit.errors import LabkitError
from labkit.tables import Table

if TYPE_CHECKING:
    from labkit.aws.context import AwsContext

ROUNDS = 3  # delete-then-list rounds before a teardown gives up and names what is left


@dataclass(frozen=True)
class Doomed:
    """One resource to delete: its kind, id and name."""

    kind: str
    resource_id: str
    name: str


def _name(raw: dict[str, Any]) -> str:
    return next((t["Value"] for t in raw.get("Tags", []) if t["Key"] == "Name"), "")


def _tagged(lab: AwsContext, tags: list[dict[str, str]]) -> bool:
    return {"Key": lab.TAG_KEY, "Value": lab.prefix} in tags


def _ec2(lab: AwsContext) -> list[Doomed]:
    ec2 = lab.ec2
    found: list[Doomed] = []
    pages = ec2.get_paginator("describe_instances").paginate(Filters=lab.filters())
    for r in (r for page in pages for r in page["Reservations"]):
        for i in r["Instances"]:
            if i["State"]["Name"] not in ("terminated", "shutting-down"):
                found.append(Doomed("instance", i["InstanceId"], _name(i)))
    vpcs = ec2.describe_vpcs(Filters=lab.filters())["Vpcs"]
    if vpcs:
        vpc_ids = [v["VpcId"] for v in vpcs]
        pages = ec2.get_paginator("describe_network_interfaces").paginate(
            Filters=[{"Name": "vpc-id", "Values": vpc_ids}]
        )
        for eni in (e for page in pages for e in page["NetworkInterfaces"]):
            if not eni.get("RequesterManaged"):
                found.append(Doomed("network interface", eni["NetworkInterfaceId"], _name(eni)))
    for f in ec2.describe_flow_logs(Filters=lab.filters())["FlowLogs"]:
        found.append(Doomed("flow log", f["FlowLogId"], _name(f)))
    gone = {"deleted", "rejected", "failed"}
    pages = ec2.get_paginator("describe_vpc_peering_connections").paginate(Filters=lab.filters())
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
    for v in vpcs:
        found.append(Doomed("VPC", v["VpcId"], _name(v)))
    return found


def _logs(lab: AwsContext) -> list[Doomed]:
    found = []
    groups = lab.logs.get_paginator("describe_log_groups").paginate()
    for group in (g for page in groups for g in page["logGroups"]):
        tags = lab.logs.list_tags_for_resource(resourceArn=group["arn"].removesuffix(":*"))
        if tags.get("tags", {}).get(lab.TAG_KEY) == lab.prefix:
            found.append(Doomed("log group", group["logGroupName"], group["logGroupName"]))
    return found


def _s3(lab: AwsContext) -> list[Doomed]:
    return [Doomed("S3 bucket", b, b) for b in s3.lab_buckets(lab)]


def _iam(lab: AwsContext) -> list[Doomed]:
    iam = lab.iam
    found = [Doomed("IAM user", u, u) for u in iamusers.lab_users(lab)]
    # List calls do not return IAM tags on AWS (moto returns some): ask per resource.
    profiles = iam.get_paginator("list_instance_profiles").paginate()
    for profile in (p for page in profiles for p in page["InstanceProfiles"]):
        name = profile["InstanceProfileName"]
        tags = profile.get("Tags")
        if tags is None:
            tags = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"].get(
                "Tags", []
            )
        if _tagged(lab, tags):
            found.append(Doomed("instance profile", name, name))
    roles = iam.get_paginator("list_roles").paginate()
    for role in (r for page in roles for r in page["Roles"]):
        name = role["RoleName"]
        if _tagged(lab, iam.list_role_tags(RoleName=name)["Tags"]):
            found.append(Doomed("IAM role", name, name))
    policies = iam.get_paginator("list_policies").paginate(Scope="Local")
    for policy in (p for page in policies for p in page["Policies"]):
        if _tagged(lab, iam.list_policy_tags(PolicyArn=policy["Arn"])["Tags"]):
            found.append(Doomed("IAM policy", policy["Arn"], policy["PolicyName"]))
    return found


def plan(lab: AwsContext) -> list[Doomed]:
    """Everything the lab's tag finds, in deletion order."""
    with lab.call("listing the lab's resources"):
        return _ec2(lab) + _logs(lab) + _s3(lab) + _iam(lab)


def summary(doomed: list[Doomed]) -> Table:
    """The plan as a table."""
    return Table.of(("kind", "id", "name"), [(d.kind, d.resource_id, d.name) for d in doomed])


def remove(lab: AwsContext) -> Table:
    """Delete everything :func:`plan` finds, until a new listing finds nothing.

    Returns the table of what was found at the start. Raises LabkitError naming what is
    left if ``ROUNDS`` rounds of deleting cannot empty the lab.
    """
    first = doomed = plan(lab)
    for item in doomed:  # bucket policies first (see the design above)
        if item.kind == "S3 bucket":
            with lab.call(f"deleting the policy of bucket {item.name}"), _unless_gone():
                lab.s3.delete_bucket_policy(Bucket=item.resource_id)
    for _ in range(ROUNDS):
        if not doomed:
            break
        _delete_all(lab, doomed)
        doomed = plan(lab)
    if doomed:
        left = ", ".join(f"{d.kind} {d.name or d.resource_id}" for d in doomed[:5])
        raise LabkitError(
            f"teardown could not delete {len(doomed)} resources ({left}): "
            "run it again; if they stay, delete them in the console"
        )
    return summary(first)


def _delete_all(lab: AwsContext, doomed: list[Doomed]) -> None:
    instances = [d.resource_id for d in doomed if d.kind == "instance"]
    if instances:
        with lab.call("terminating the lab's instances"):
            with _unless_gone():
                lab.ec2.terminate_instances(InstanceIds=instances)
            _wait_terminated(lab, instances)
    for item in doomed:
        if item.kind != "instance":
            with lab.call(f"deleting {item.kind} {item.name or item.resource_id}"):
                _DELETE[item.kind](lab, item.resource_id)


# Error codes that mean "already gone": a resumed teardown meets them for what the
# interrupted one deleted. https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
GONE_CODES = frozenset({"NoSuchEntity", "ResourceNotFoundException", "NoSuchBucket"})


@contextmanager
def _unless_gone() -> Iterator[None]:
    """Run one delete; a resource that is already gone counts as deleted."""
    try:
        yield
    except ClientError as err:
        code = str(err.response.get("Error", {}).get("Code", ""))
        if code not in GONE_CODES and not code.endswith(".NotFound"):
            raise


def _wait_terminated(lab: AwsContext, ids: list[str], timeout_s: float = 600) -> None:
    started = time.monotonic()
    while True:
        raw = lab.ec2.describe_instances(InstanceIds=ids)["Reservations"]
        states = {i["State"]["Name"] for r in raw for i in r["Instances"]}
        if states <= {"terminated"} or time.monotonic() - started > timeout_s:
            return
        print(f"waiting for {len(ids)} instances to terminate… {time.monotonic() - started:.0f} s")
        time.sleep(5 if lab.endpoint_url is None else 0.1)


def _interface(lab: AwsContext, eni: str) -> None:
    """An interface left by a terminated instance: detach it if it can be, then delete it.

    On AWS the primary interface goes with its instance (DeleteOnTermination); moto keeps
    it "in-use" in a VPC that is then deleted, so it is deleted here.
    """
    ec2 = lab.ec2
    with _unless_gone():
        raw = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"]
        attachment = raw[0].get("Attachment") if raw else None
        if attachment and attachment.get("DeviceIndex", 0) != 0:
            ec2.detach_network_interface(AttachmentId=attachment["AttachmentId"], Force=True)
        ec2.delete_network_interface(NetworkInterfaceId=eni)


def _peering(lab: AwsContext, pcx: str) -> None:
    for table in lab.ec2.describe_route_tables()["RouteTables"]:
        for route in table["Routes"]:
            if route.get("VpcPeeringConnectionId") == pcx and route.get("DestinationCidrBlock"):
                with _unless_gone():
                    lab.ec2.delete_route(
                        RouteTableId=table["RouteTableId"],
                        DestinationCidrBlock=route["DestinationCidrBlock"],
                    )
    with _unless_gone():
        lab.ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)


def _igw(lab: AwsContext, igw: str) -> None:
    with _unless_gone():
        raw = lab.ec2.describe_internet_gateways(InternetGatewayIds=[igw])["InternetGateways"]
        for attachment in raw[0].get("Attachments", []) if raw else []:
            lab.ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=attachment["VpcId"])
        lab.ec2.delete_internet_gateway(InternetGatewayId=igw)


def _instance_profile(lab: AwsContext, name: str) -> None:
    iam = lab.iam
    with _unless_gone():
        profile = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
        for role in profile.get("Roles", []):
            with _unless_gone():
                iam.remove_role_from_instance_profile(
                    InstanceProfileName=name, RoleName=role["RoleName"]
                )
        iam.delete_instance_profile(InstanceProfileName=name)


def _role(lab: AwsContext, name: str) -> None:
    iam = lab.iam
    with _unless_gone():
        for profile in iam.list_instance_profiles_for_role(RoleName=name)["InstanceProfiles"]:
            with _unless_gone():
                iam.remove_role_from_instance_profile(
                    InstanceProfileName=profile["InstanceProfileName"], RoleName=name
                )
        for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            with _unless_gone():
                iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
        for inline in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            with _unless_gone():
                iam.delete_role_policy(RoleName=name, PolicyName=inline)
        iam.delete_role(RoleName=name)


def _policy(lab: AwsContext, arn: str) -> None:
    """A customer managed policy: detached from every user, group and role, old versions
    deleted, then the policy (https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeletePolicy.html)."""
    iam = lab.iam
    with _unless_gone():
        entities = iam.list_entities_for_policy(PolicyArn=arn)
        for role in entities.get("PolicyRoles", []):
            with _unless_gone():
                iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn=arn)
        for user in entities.get("PolicyUsers", []):
            with _unless_gone():
                iam.detach_user_policy(UserName=user["UserName"], PolicyArn=arn)
        for group in entities.get("PolicyGroups", []):
            with _unless_gone():
                iam.detach_group_policy(GroupName=group["GroupName"], PolicyArn=arn)
        for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
            if not version["IsDefaultVersion"]:
                with _unless_gone():
                    iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
        iam.delete_policy(PolicyArn=arn)


def _simple(call: Callable[[AwsContext, str], Any]) -> Callable[[AwsContext, str], None]:
    def delete(lab: AwsContext, resource_id: str) -> None:
        with _unless_gone():
            call(lab, resource_id)

    return delete


_DELETE: dict[str, Callable[[AwsContext, str], None]] = {
    "network interface": _interface,
    "flow log": _simple(lambda lab, i: lab.client("ec2").delete_flow_logs(FlowLogIds=[i])),
    "peering connection": _peering,
    "VPC endpoint": _simple(lambda lab, i: endpoints.delete_endpoints(lab, [i])),
    "internet gateway": _igw,
    "subnet": _simple(lambda lab, i: lab.client("ec2").delete_subnet(SubnetId=i)),
    "security group": _simple(lambda lab, i: lab.client("ec2").delete_security_group(GroupId=i)),
    "VPC": _simple(lambda lab, i: lab.client("ec2").delete_vpc(VpcId=i)),
    "log group": _simple(lambda lab, i: lab.client("logs").delete_log_group(logGroupName=i)),
    "S3 bucket": _simple(s3.remove_bucket),  # its policy first, then objects, then it
    "IAM user": _simple(iamusers.remove_user),  # keys and policies first
    "instance profile": _instance_profile,
    "IAM role": _role,
    "IAM policy": _policy,
}
