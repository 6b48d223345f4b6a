"""Never lock the learner out: the lab's bucket policy leaves its admins the bucket policy.

Decided with labkit.policy as AWS would, for an administrator who is an IAM user or a role
session (as on AWS; the emulator's admin is the account root, which AWS always lets manage
a bucket policy, so only these tests can show the exemption itself at work).
"""

from __future__ import annotations

import json

import pytest

from labkit.labs.lab3.plan import (
    ADMIN_ACTIONS,
    ADMIN_IDENTITY,
    Lab3,
    LockOutError,
    is_default_policy,
)
from labkit.netsim.s3path import HOST_PUBLIC_IP
from labkit.policy import Request, evaluate, parse_policy

ACCOUNT = "123456789012"
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/lab-admin"
ADMIN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/LabAdmin"
USER = f"arn:aws:iam::{ACCOUNT}:user/lab-s3-user"
VPCE = "vpce-0a1b2c3d4e5f67890"
HOST = {"aws:SourceIp": HOST_PUBLIC_IP}
THROUGH = {"aws:SourceVpce": VPCE, "aws:SourceVpc": "vpc-1", "aws:VpcSourceIp": "10.1.0.10"}


def plan(*admins: str) -> Lab3:
    return Lab3("lab-lab2-123456789012", "vpc-1", "rtb-1", "us-east-1", admins)


def decide(lab3: Lab3, principal: str, action: str, context: dict[str, str], key: str = ""):  # type: ignore[no-untyped-def]
    bucket = parse_policy(lab3.bucket_policy(VPCE), name="bucket policy", kind="resource")
    identity = parse_policy(ADMIN_IDENTITY, name="admin", kind="identity")
    resource = lab3.bucket_arns[0] + (f"/{key}" if key else "")
    return evaluate(Request(principal, action, resource, context), [identity], bucket)


@pytest.mark.parametrize("action", ADMIN_ACTIONS)
@pytest.mark.parametrize("context", [HOST, THROUGH], ids=["from the host", "through the endpoint"])
def test_the_admin_always_manages_the_bucket_policy(action: str, context: dict[str, str]) -> None:
    assert decide(plan(ADMIN, f"arn:aws:iam::{ACCOUNT}:root"), ADMIN, action, context).allowed


def test_a_role_session_admin_is_exempt_by_its_role_arn() -> None:
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/LabAdmin/alice"
    assert decide(plan(ADMIN_ROLE), session, "s3:DeleteBucketPolicy", HOST).allowed


def test_everything_else_is_denied_outside_the_endpoint_even_to_the_admin() -> None:
    lab3 = plan(ADMIN)
    for action, key in (("s3:ListBucket", ""), ("s3:GetObject", "welcome.txt")):
        outside = decide(lab3, ADMIN, action, HOST, key)
        assert outside.decision == "explicit_deny"
        assert [m.sid for m in outside.matched] == ["OnlyThroughTheEndpoint"]
        assert decide(lab3, ADMIN, action, THROUGH, key).allowed


def test_other_principals_never_touch_the_policy() -> None:
    for context in (HOST, THROUGH):
        denied = decide(plan(ADMIN), USER, "s3:DeleteBucketPolicy", context)
        assert denied.decision == "explicit_deny"
        assert [m.sid for m in denied.matched] == ["AdminActionsOnlyByTheAdmins"]


def test_checked_refuses_a_policy_that_locks_the_admins_out() -> None:
    lab3 = plan(ADMIN)
    assert json.loads(lab3.checked(lab3.bucket_policy(VPCE))) == lab3.bucket_policy(VPCE)
    naive = {  # AWS's example as is: it denies the console, the admin included
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Access-to-specific-VPCE-only", "Effect": "Deny",
                       "Principal": "*", "Action": "s3:*", "Resource": lab3.bucket_arns,
                       "Condition": {"StringNotEquals": {"aws:SourceVpce": VPCE}}}],
    }  # fmt: skip
    with pytest.raises(LockOutError) as caught:
        lab3.checked(naive)
    line = str(caught.value)
    assert "\n" not in line and "s3:GetBucketPolicy" in line and ADMIN in line
    assert "Access-to-specific-VPCE-only" in line
    # Keeping only the bucket-policy actions hides the bucket from teardown (found by tag).
    text = json.dumps(lab3.bucket_policy(VPCE))
    no_tags = json.loads(text.replace(', "s3:GetBucketTagging"', ""))
    with pytest.raises(LockOutError, match="s3:GetBucketTagging"):
        lab3.checked(no_tags)
    # Exempting someone else does not help the admin who runs the notebook.
    other = plan("arn:aws:iam::123456789012:user/someone-else").bucket_policy(VPCE)
    with pytest.raises(LockOutError):
        lab3.checked(other)


def test_the_default_endpoint_policy_is_recognised() -> None:
    default = {"Version": "2008-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}  # fmt: skip
    assert is_default_policy(json.dumps(default)) and is_default_policy(None)
    deny = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}
    assert not is_default_policy(json.dumps(deny))
