"""Lab 3, VPC endpoints: names, the bucket policy with its admin exemption, and the reset.

Lab 3 reuses Lab 2's bucket and Lab 1's Instance 1 in VPC 1. Its setup puts the lab back
where notebook 05 starts: no S3 endpoint in VPC 1 and no bucket policy, so the notebook
runs again and again, in order or alone.

Never lock the learner out. On AWS, a bucket policy that denies every request not coming
through an endpoint also denies the console, and then only the account's root user can
delete it (https://repost.aws/knowledge-center/s3-accidentally-denied-access). The lab's
policy therefore leaves the bucket-policy actions (and reading the bucket's tags, by which
teardown finds it) out of the endpoint-only deny and reserves them for the lab's
administrators (:func:`admin_principals`), and :meth:`Lab3.checked` refuses, before it is
sent, a policy that would deny those administrators any of them from this computer. Real
teams do the same: a "break-glass" exemption for the role that manages the bucket.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labkit.aws import endpoints, network, s3
from labkit.errors import LabkitError, NotFoundError
from labkit.labs import ensure_upto
from labkit.labs.lab3 import steps
from labkit.netsim.s3path import HOST_PUBLIC_IP
from labkit.policy import PolicyError, Request, evaluate, parse_policy, principal_context

if TYPE_CHECKING:
    from labkit.lab import Lab

# The actions on a bucket's policy itself, and the one that reads its tags (teardown finds
# the lab's buckets by tag): the lab's administrators keep them everywhere.
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
POLICY_ACTIONS = ("s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy")
ADMIN_ACTIONS = (*POLICY_ACTIONS, "s3:GetBucketTagging")
# The administrator's own permissions (the emulator's ``testing`` key has them; on AWS, a
# learner who can build these labs has at least these on S3).
ADMIN_IDENTITY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Administrator", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}
# An endpoint policy that denies everything through the endpoint (step 5).
DENY_ALL = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "NothingThrough", "Effect": "Deny", "Principal": "*", "Action": "*",
         "Resource": "*"}
    ],
}  # fmt: skip


class LockOutError(LabkitError):
    """A bucket policy that would lock the lab's administrators out of the bucket's policy."""


def admin_principals(lab: Lab) -> tuple[str, ...]:
    """The principal ARNs the bucket policy exempts: the caller (as aws:PrincipalArn) and root.

    On AWS the caller is whoever runs the notebook (STS ``GetCallerIdentity``); for a role
    session, ``aws:PrincipalArn`` is the role's ARN. The emulator's dummy ``testing`` key is
    the account's root user (labkit.emulator's S3 layer), so there it is the root alone.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
    """
    root = f"arn:aws:iam::{lab.account_id}:root"
    if lab.endpoint_url:
        return (root,)
    with lab.call("asking STS who runs the notebook"):
        caller = str(lab.client("sts").get_caller_identity()["Arn"])
    arn = principal_context(caller).get("aws:PrincipalArn", caller)
    return tuple(dict.fromkeys((arn, root)))


@dataclass(frozen=True)
class Lab3:
    """Lab 3's names and ids, found from the lab: the bucket, VPC 1, its route table."""

    bucket: str
    vpc_id: str
    route_table_id: str
    region: str
    admins: tuple[str, ...]
    vpc: str = "VPC 1"
    instance: str = "Instance 1"
    endpoint_name: str = steps.ENDPOINT_NAME

    @classmethod
    def for_lab(cls, lab: Lab) -> Lab3:
        """The plan for this lab; VPC 1 and its public subnet must exist (notebook 01)."""
        vpc = network.find_vpc(lab, "VPC 1")
        if vpc is None:
            raise NotFoundError("VPC 1 does not exist: run notebook 01, or connect with ensure")
        with lab.call("reading VPC 1's subnet"):
            subnets = lab.ec2.describe_subnets(Filters=lab.filters("VPC 1 public subnet"))
        if not subnets["Subnets"]:
            raise NotFoundError("VPC 1 has no public subnet: run notebook 01 first")
        table = network.route_table_for(lab, vpc["VpcId"], subnets["Subnets"][0]["SubnetId"])
        return cls(
            s3.bucket_name(lab), vpc["VpcId"], table["RouteTableId"], lab.region,
            admin_principals(lab),
        )  # fmt: skip

    @classmethod
    def ready(cls, lab: Lab) -> Lab3:
        """Put the lab where notebook 05 starts, printing one ``setup:`` line per change.

        Undoes what a last run of notebook 05 left (:meth:`reset`), then builds what is
        missing of notebooks 01 to 04 (:func:`labkit.labs.ensure_upto`). The reset comes
        first: a bucket policy left by a last run denies this computer the calls that find
        notebook 04's bucket and objects. (``connect(..., ensure="04")`` builds first, so
        notebook 05's setup cell connects with ``ensure="01"``, which VPC 1 needs, and
        calls this.)
        """
        plan = cls.for_lab(lab)
        for change in [*plan.reset(lab), *ensure_upto(lab, "04")]:
            print(f"setup: {change}")
        return plan

    @property
    def service(self) -> str:
        """The S3 gateway endpoint's service name in the lab's Region."""
        return endpoints.s3_service(self.region)

    @property
    def bucket_arns(self) -> list[str]:
        """The bucket's ARN and its objects' ARN pattern."""
        return [f"arn:aws:s3:::{self.bucket}", f"arn:aws:s3:::{self.bucket}/*"]

    def bucket_policy(self, vpce_id: str) -> dict[str, Any]:
        """The notebook's policy: only through ``vpce_id``; the admin actions, admins only."""
        return {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "OnlyThroughTheEndpoint", "Effect": "Deny", "Principal": "*",
                 "NotAction": list(ADMIN_ACTIONS), "Resource": self.bucket_arns,
                 "Condition": {"StringNotEquals": {"aws:SourceVpce": vpce_id}}},
                {"Sid": "AdminActionsOnlyByTheAdmins", "Effect": "Deny", "Principal": "*",
                 "Action": list(ADMIN_ACTIONS), "Resource": self.bucket_arns[0],
                 "Condition": {"ArnNotEquals": {"aws:PrincipalArn": list(self.admins)}}},
            ],
        }  # fmt: skip

    def checked(self, policy: dict[str, Any] | str) -> str:
        """The policy as JSON text, once it is valid and leaves the admins their way back.

        Raises :class:`LockOutError` if, from this computer (the internet, like the
        console), a lab administrator would be denied getting, changing or deleting it, or
        reading the bucket's tags (teardown could not find the bucket).
        """
        text = policy if isinstance(policy, str) else json.dumps(policy)
        name = f"bucket policy of {self.bucket}"
        parsed = parse_policy(text, name=name, kind="resource")
        identity = parse_policy(ADMIN_IDENTITY, name="the administrator", kind="identity")
        for admin in self.admins:
            for action in ADMIN_ACTIONS:
                request = Request(
                    admin, action, self.bucket_arns[0], {"aws:SourceIp": HOST_PUBLIC_IP}
                )
                decision = evaluate(request, [identity], parsed)
                if not decision.allowed:
                    deciding = "; ".join(m.describe() for m in decision.matched)
                    raise LockOutError(
                        f"not sent: this policy would deny {admin} {action} from this computer "
                        f"({deciding or decision.reason}), and only the root user could undo "
                        f"it; exempt {', '.join(self.admins)} (see AdminActionsOnlyByTheAdmins)"
                    )
        return text

    def endpoints(self, lab: Lab) -> list[dict[str, Any]]:
        """VPC 1's live S3 gateway endpoints (one after step 1)."""
        return endpoints.find_endpoints(lab, self.vpc_id, self.service)

    def endpoint(self, lab: Lab) -> dict[str, Any]:
        """VPC 1's S3 gateway endpoint, or NotFoundError saying to run step 1."""
        found = self.endpoints(lab)
        if not found:
            raise NotFoundError("VPC 1 has no S3 gateway endpoint yet: run step 1")
        return found[0]

    def stored_policy(self, lab: Lab) -> str | None:
        """The bucket's policy as stored, or None if it has none."""
        return steps.stored_policy(lab, self.bucket)

    def reset(self, lab: Lab) -> list[str]:
        """Undo what a last run of notebook 05 left; one line per change (none: nothing).

        Removes the bucket policy first (it is what could lock anything out), then VPC 1's
        S3 endpoints, tagged or not (their routes go with them).
        """
        made = "which a previous run of notebook 05 made"
        return [f"removed {what}, {made}" for what in steps.remove(lab, self.bucket, self.vpc_id)]


def is_default_policy(document: str | None) -> bool:
    """True if an endpoint policy is AWS's default: allow everything, to everyone."""
    if not document:
        return True
    try:
        policy = parse_policy(document, name="endpoint policy", kind="endpoint")
    except PolicyError:
        return False
    return len(policy.statements) == 1 and (
        (s := policy.statements[0]).effect == "Allow"
        and s.actions == ("*",)
        and s.resources == ("*",)
        and not s.not_action
        and not s.conditions
    )
