"""Look a lab resource up by kind and name, so a cell that creates it can run again.

A create call is not idempotent: a second ``create_vpc`` makes a second VPC. The notebooks
write each step as ``lab.existing("vpc", "VPC 1") or lab.ec2.create_vpc(...)["Vpc"]``:
the answer is the same dict either way (describe and create answer with the same shape),
and the create call stays in the cell for the learner to read.

The kinds are EC2's resource-type names (the ones TagSpecifications use), plus the other
services' resources the labs create. Names are Name tags, except where the service names
things itself (log groups, buckets, IAM users, roles, policies and instance profiles).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from labkit.aws import compute, endpoints, network, peering
from labkit.aws.summary import resource
from labkit.errors import ConfigError

if TYPE_CHECKING:
    from labkit.aws.context import AwsContext

Finder = Callable[["AwsContext", str], "dict[str, Any] | None"]
# kind → (the type's name in answers, the finder)
KINDS: dict[str, tuple[str, Finder]] = {}


def kind(name: str, label: str) -> Callable[[Finder], Finder]:
    """Register a finder for resources of this kind (``label``: its type in answers)."""

    def register(finder: Finder) -> Finder:
        KINDS[name] = (label, finder)
        return finder

    return register


def _first(items: list[Any]) -> dict[str, Any] | None:
    return dict(items[0]) if items else None


def _ec2(lab: AwsContext, method: str, key: str, name: str) -> Any:
    with lab.call(f"looking up {name}"):
        answer = getattr(lab.ec2, method)(Filters=lab.filters(name))
    return _first(answer[key])


@kind("vpc", "Vpc")
def _vpc(lab: AwsContext, name: str) -> dict[str, Any] | None:
    return network.find_vpc(lab, name)


@kind("subnet", "Subnet")
def _subnet(lab: AwsContext, name: str) -> dict[str, Any] | None:
    return _ec2(lab, "describe_subnets", "Subnets", name)


@kind("internet-gateway", "InternetGateway")
def _igw(lab: AwsContext, name: str) -> dict[str, Any] | None:
    return _ec2(lab, "describe_internet_gateways", "InternetGateways", name)


@kind("security-group", "SecurityGroup")
def _group(lab: AwsContext, name: str) -> dict[str, Any] | None:
    return _ec2(lab, "describe_security_groups", "SecurityGroups", name)


@kind("vpc-peering-connection", "VpcPeeringConnection")
def _peering(lab: AwsContext, name: str) -> dict[str, Any] | None:
    return peering.find_peering(lab, name)


@kind("vpc-flow-log", "FlowLog")
def _flow_log(lab: AwsContext, name: str) -> dict[str, Any] | None:
    return _ec2(lab, "describe_flow_logs", "FlowLogs", name)


@kind("instance", "Instance")
def _instance(lab: AwsContext, name: str) -> dict[str, Any] | None:
    with lab.call(f"looking up {name}"):
        pages = lab.ec2.get_paginator("describe_instances").paginate(
            Filters=lab.filters(name)
            + [{"Name": "instance-state-name", "Values": compute.LIVE_STATES}]
        )
        return _first([i for page in pages for r in page["Reservations"] for i in r["Instances"]])


@kind("route-table", "RouteTable")
def _route_table(lab: AwsContext, name: str) -> dict[str, Any] | None:
    """The route table that serves the public subnet of the VPC called ``name``."""
    subnet = _subnet(lab, f"{name} public subnet")
    if subnet is None:
        return None
    return network.route_table_for(lab, subnet["VpcId"], subnet["SubnetId"])


@kind("vpc-endpoint", "VpcEndpoint")
def _vpc_endpoint(lab: AwsContext, name: str) -> dict[str, Any] | None:
    """A live endpoint (one being deleted is gone for good) with this Name tag."""
    with lab.call(f"looking up {name}"):
        pages = lab.ec2.get_paginator("describe_vpc_endpoints").paginate(Filters=lab.filters(name))
        live = [e for p in pages for e in p["VpcEndpoints"] if e["State"] not in endpoints.GONE]
    return _first(live)


@kind("log-group", "LogGroup")
def _log_group(lab: AwsContext, name: str) -> dict[str, Any] | None:
    with lab.call(f"looking up log group {name}"):
        pages = lab.logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name)
        return _first([g for p in pages for g in p["logGroups"] if g["logGroupName"] == name])


@kind("policy", "Policy")
def _policy(lab: AwsContext, name: str) -> dict[str, Any] | None:
    with lab.call(f"looking up IAM policy {name}"):
        pages = lab.iam.get_paginator("list_policies").paginate(Scope="Local")
        return _first([p for page in pages for p in page["Policies"] if p["PolicyName"] == name])


def _iam_get(
    lab: AwsContext, what: str, operation: str, key: str, **params: str
) -> dict[str, Any] | None:
    """IAM's ``Get*`` answer for one named entity, or None if there is no such entity."""
    with lab.call(f"looking up {what}"):
        try:
            return dict(getattr(lab.iam, operation)(**params)[key])
        except lab.iam.exceptions.NoSuchEntityException:
            return None


@kind("role", "Role")
def _role(lab: AwsContext, name: str) -> dict[str, Any] | None:
    return _iam_get(lab, f"IAM role {name}", "get_role", "Role", RoleName=name)


@kind("instance-profile", "InstanceProfile")
def _instance_profile(lab: AwsContext, name: str) -> dict[str, Any] | None:
    return _iam_get(
        lab,
        f"instance profile {name}",
        "get_instance_profile",
        "InstanceProfile",
        InstanceProfileName=name,
    )


@kind("user", "User")
def _user(lab: AwsContext, name: str) -> dict[str, Any] | None:
    return _iam_get(lab, f"IAM user {name}", "get_user", "User", UserName=name)


@kind("bucket", "Bucket")
def _bucket(lab: AwsContext, name: str) -> dict[str, Any] | None:
    """One of the account's own buckets (``ListBuckets`` lists only those). A name taken by
    another account is not found, and creating it fails with AWS's BucketAlreadyExists."""
    with lab.call(f"looking up bucket {name}"):
        buckets = lab.s3.list_buckets().get("Buckets", [])
    return _first([b for b in buckets if b["Name"] == name])


@kind("iam-instance-profile-association", "IamInstanceProfileAssociation")
def _profile_association(lab: AwsContext, name: str) -> dict[str, Any] | None:
    """The live association of an instance profile with the instance called ``name``.

    An instance has at most one; a disassociated one is listed for a while, in state
    ``disassociated``, and does not count.
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IamInstanceProfileAssociation.html
    """
    instance_id = compute.find_instance(lab, name).instance_id
    with lab.call(f"looking up the instance profile of {name}"):
        found = lab.ec2.describe_iam_instance_profile_associations(
            Filters=[{"Name": "instance-id", "Values": [instance_id]}]
        )["IamInstanceProfileAssociations"]
    return _first([a for a in found if a.get("State") in ("associating", "associated")])


def existing(lab: AwsContext, kind: str, name: str) -> dict[str, Any] | None:
    """The lab's resource of this kind and name as AWS describes it, or None.

    Parameters
    ----------
    kind: "vpc", "subnet", "internet-gateway", "route-table", "security-group",
        "instance", "vpc-peering-connection", "vpc-flow-log", "vpc-endpoint", "log-group",
        "policy", "role", "instance-profile", "user", "bucket",
        "iam-instance-profile-association".
    name: its Name tag (EC2), its name (log group, IAM, bucket), for "route-table" the VPC's
        name, for "iam-instance-profile-association" the instance's.

    Returns
    -------
    The same dict the create call answers with (``create_vpc(...)["Vpc"]``), or None. With
    the echo on, a found resource prints one line saying it was not created again.
    """
    if kind not in KINDS:
        raise ConfigError(f"unknown kind of resource {kind!r}: known kinds are {', '.join(KINDS)}")
    label, finder = KINDS[kind]
    found = finder(lab, name)
    if found is not None and lab.echo_calls and kind != "route-table":  # tables come with VPCs
        print(f"= {resource(label, found, {})} (found: it exists already)")
    return found
