"""Explain an S3 request of Lab 3 on the client side: its network path and its decision.

The emulator decides S3 requests with :mod:`labkit.policy` and :func:`s3_path`; this module
runs the same two on what the backend reports (``describe_*``, the stored bucket policy,
the endpoint's policy, the caller's IAM policies), so a check can name the statement that
decided on AWS too, where no emulator keeps decisions. "One model, two uses."
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

from labkit.labs.lab3.plan import ADMIN_IDENTITY, Lab3
from labkit.netsim.s3path import S3Path, s3_path
from labkit.policy import Decision, Policy, Request, evaluate, parse_policy

if TYPE_CHECKING:
    from labkit.lab import Lab


@dataclass(frozen=True)
class Explained:
    """A request's path to S3 and, if it gets there, the decision on it."""

    path: S3Path
    decision: Decision | None  # None when there is no path

    @property
    def deciding(self) -> str:
        """The deciding statements, for people ("" if none)."""
        if self.decision is None:
            return ""
        return "; ".join(m.describe() for m in self.decision.matched)


def role_policies(lab: Lab, role: str) -> list[Policy]:
    """A role's inline and attached policies, parsed (its permissions on the instance)."""
    iam = lab.iam
    found: list[Policy] = []
    with lab.call(f"reading the policies of role {role}"):
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            doc = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
            found.append(_identity(doc, f"{role}/{name}"))
        for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
            arn = attached["PolicyArn"]
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            doc = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
            found.append(_identity(doc["Document"], f"{role}/{attached['PolicyName']}"))
    return found


def _identity(document: object, name: str) -> Policy:
    text = document if isinstance(document, str) else json.dumps(document)
    return parse_policy(unquote(text) if text.startswith("%7B") else text, name=name,
                        kind="identity")  # fmt: skip


def instance_role(lab: Lab, instance: str) -> str | None:
    """The role behind the instance's associated instance profile, or None."""
    instance_id = lab.instance(instance).instance_id
    with lab.call(f"reading {instance}'s instance profile"):
        found = lab.ec2.describe_iam_instance_profile_associations(
            Filters=[{"Name": "instance-id", "Values": [instance_id]}]
        )["IamInstanceProfileAssociations"]
        live = [a for a in found if a.get("State") in ("associated", "associating")]
        if not live:
            return None
        name = live[0]["IamInstanceProfile"]["Arn"].rsplit("/", 1)[-1]
        profile = lab.iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    return str(profile["Roles"][0]["RoleName"]) if profile["Roles"] else None


def explain(
    lab: Lab, plan: Lab3, source: str | None, action: str = "s3:ListBucket", key: str = ""
) -> Explained:
    """How a request from ``source`` (an instance, or None: this computer) would be decided.

    This computer acts as the lab's administrator; an instance as its instance role's
    session (no role: no identity policy, so only a bucket policy could allow it).
    """
    topo = lab.topology()
    instance_id = lab.instance(source).instance_id if source else None
    path = s3_path(topo, instance_id, lab.region)
    if path.kind == "none":
        return Explained(path, None)
    if source is None:
        principal = plan.admins[0]
        identity = [parse_policy(ADMIN_IDENTITY, name="the administrator", kind="identity")]
    else:
        role = instance_role(lab, source)
        account = lab.account_id
        principal = f"arn:aws:sts::{account}:assumed-role/{role or 'none'}/{instance_id}"
        identity = role_policies(lab, role) if role else []
    stored = plan.stored_policy(lab)
    bucket = parse_policy(stored, name=f"bucket policy of {plan.bucket}", kind="resource") \
        if stored else None  # fmt: skip
    endpoint = None
    if path.kind == "endpoint":
        document = path.endpoint_policy or json.dumps(
            {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
        )
        endpoint = parse_policy(document, name=f"endpoint policy of {path.vpce_id}",
                                kind="endpoint")  # fmt: skip
    resource = f"arn:aws:s3:::{plan.bucket}" + (f"/{key}" if key else "")
    request = Request(principal, action, resource, path.context(), lab.account_id)
    return Explained(path, evaluate(request, identity, bucket, endpoint))
