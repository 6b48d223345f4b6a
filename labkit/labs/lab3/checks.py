"""Notebook 05's checks: one stable line per step, or CheckFailed with a hint.

Each check looks at what the backend reports now (the endpoint, the route table, the
stored policies) and at what S3 answers (a listing from this computer, ``aws s3 ls`` on
Instance 1), and names the deciding statement with :mod:`labkit.labs.lab3.explain`. Lines
name resources by role and Sid, never by generated ids, so nbval can compare them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labkit.errors import CheckFailed
from labkit.labs.lab1.checks import CheckResult
from labkit.labs.lab3.explain import Explained, explain
from labkit.labs.lab3.plan import Lab3, is_default_policy

if TYPE_CHECKING:
    from labkit.aws.ssm import ShellResult
    from labkit.lab import Lab

DENIED = "AccessDenied"


def _fail(step: str, what: str, hint: str) -> CheckFailed:
    return CheckFailed(f"step {step} failed: {what}. Hint: {hint}")


def _sids(explained: Explained) -> str:
    """``Sid "X" in the bucket policy`` for each deciding statement."""
    if explained.decision is None:
        return "no path"
    kinds = {"resource": "bucket policy", "endpoint": "endpoint policy", "identity": "IAM policy"}
    parts = [
        (f'Sid "{m.sid}"' if m.sid else f"statement {m.index}") + f" in the {kinds[m.kind]}"
        for m in explained.decision.matched
        if m.index >= 0
    ]
    return ", ".join(parts) or explained.decision.reason


def host_lists(lab: Lab, plan: Lab3) -> str | None:
    """None if this computer can list the bucket; else S3's error code."""
    s3 = lab.s3
    try:
        s3.list_objects_v2(Bucket=plan.bucket, MaxKeys=5)
    except s3.exceptions.ClientError as err:
        return str(err.response.get("Error", {}).get("Code", "Unknown"))
    return None


def instance_ls(lab: Lab, plan: Lab3) -> ShellResult:
    """``aws s3 ls s3://BUCKET`` on the lab's instance."""
    return lab.shell(plan.instance, f"aws s3 ls s3://{plan.bucket}")


def endpoint_created(lab: Lab, plan: Lab3) -> CheckResult:
    """Step 1: VPC 1 has exactly one S3 gateway endpoint."""
    found = plan.endpoints(lab)
    if not found:
        raise _fail("05.1", "VPC 1 has no S3 gateway endpoint", "run the create_vpc_endpoint cell")
    if len(found) > 1:
        raise _fail(
            "05.1",
            f"VPC 1 has {len(found)} S3 endpoints",
            "re-run the setup cell (it deletes them), then step 1 once",
        )
    endpoint = found[0]
    if endpoint.get("VpcEndpointType") != "Gateway":
        hint = 'use VpcEndpointType="Gateway"'
        raise _fail("05.1", "the endpoint is not a Gateway endpoint", hint)
    tables = len(endpoint.get("RouteTableIds", []))
    return CheckResult(
        "05.1",
        f"VPC 1 has one S3 gateway endpoint ({endpoint['State']}), "
        f"associated with {tables} route table{'s' if tables != 1 else ''}",
    )


def console_locked_out(lab: Lab, plan: Lab3) -> CheckResult:
    """Step 2: the bucket policy denies this computer, and leaves the admins the policy."""
    stored = plan.stored_policy(lab)
    if stored is None:
        raise _fail("05.2", f"bucket {plan.bucket} has no policy", "run the put_bucket_policy cell")
    plan.checked(stored)  # raises LockOutError if the admins could not undo it
    code = host_lists(lab, plan)
    if code is None:
        raise _fail(
            "05.2",
            "this computer still lists the bucket",
            'the Deny needs "StringNotEquals": {"aws:SourceVpce": <the endpoint id>}',
        )
    explained = explain(lab, plan, None)
    if code != DENIED or explained.decision is None or explained.decision.allowed:
        raise _fail("05.2", f"S3 answered {code}", "check the bucket name and the policy")
    return CheckResult(
        "05.2",
        f"this computer is denied s3:ListBucket ({_sids(explained)}); "
        "the admins can still manage the bucket policy",
    )


def instance_denied_over_internet(lab: Lab, plan: Lab3) -> CheckResult:
    """Step 3: the instance still goes out through the internet gateway, so it is denied."""
    explained = explain(lab, plan, plan.instance)
    if explained.path.kind != "internet":
        raise _fail(
            "05.3",
            f"{plan.instance}'s path to S3 is {explained.path.kind}: {explained.path.explanation}",
            "this step expects no endpoint route yet; re-run the notebook from its setup cell",
        )
    result = instance_ls(lab, plan)
    if result.ok or DENIED not in result.stderr + result.stdout:
        raise _fail(
            "05.3",
            f"{plan.instance} was not denied (exit code {result.exit_code})",
            "is the bucket policy of step 2 in place?",
        )
    return CheckResult(
        "05.3",
        f"{plan.instance} reaches S3 over the internet (no route to the endpoint) and is "
        f"denied ({_sids(explained)})",
    )


def _through_endpoint(lab: Lab, plan: Lab3, step: str) -> Explained:
    explained = explain(lab, plan, plan.instance)
    if explained.path.kind != "endpoint":
        raise _fail(
            step,
            f"{plan.instance} does not go through the endpoint: {explained.path.explanation}",
            f"add {plan.vpc}'s route table with modify_vpc_endpoint(AddRouteTableIds=[...])",
        )
    return explained


def instance_lists_through_endpoint(lab: Lab, plan: Lab3, step: str = "05.4") -> CheckResult:
    """Step 4 (and 6): the route goes to the endpoint, and the instance lists the bucket."""
    _through_endpoint(lab, plan, step)
    if not is_default_policy(plan.endpoint(lab).get("PolicyDocument")):
        hint = "reset it: ResetPolicy=True"
        raise _fail(step, "the endpoint policy is not the default one", hint)
    result = instance_ls(lab, plan)
    if not result.ok:
        raise _fail(
            step,
            f"{plan.instance}'s aws s3 ls failed: {(result.stderr or result.stdout).strip()}",
            "does the instance still have notebook 04's instance role?",
        )
    return CheckResult(
        step, f"{plan.instance} reaches S3 through the gateway endpoint and lists the bucket"
    )


def endpoint_policy_denies(lab: Lab, plan: Lab3) -> CheckResult:
    """Step 5: the endpoint policy denies the instance, and its statement is the decider."""
    explained = _through_endpoint(lab, plan, "05.5")
    decision = explained.decision
    if decision is None or decision.allowed:
        raise _fail("05.5", "the endpoint policy allows the listing", "put the Deny policy")
    if not all(m.kind == "endpoint" for m in decision.matched):
        raise _fail("05.5", f"the denial comes from {explained.deciding}", "deny in the endpoint")
    result = instance_ls(lab, plan)
    if result.ok or DENIED not in result.stderr + result.stdout:
        raise _fail("05.5", f"{plan.instance} still lists the bucket", "check the endpoint policy")
    return CheckResult(
        "05.5", f"{plan.instance} is denied through the endpoint ({_sids(explained)})"
    )


def paths(lab: Lab, plan: Lab3) -> CheckResult:
    """Step 7: the instance through the endpoint, this computer over the internet."""
    instance = explain(lab, plan, plan.instance)
    host = explain(lab, plan, None)
    if instance.path.kind != "endpoint" or host.path.kind != "internet":
        raise _fail(
            "05.7",
            f"{plan.instance}: {instance.path.kind}, this computer: {host.path.kind}",
            "re-run steps 1 to 5",
        )
    verdict = "allowed" if host.decision and host.decision.allowed else "denied"
    return CheckResult(
        "05.7",
        f"{plan.instance} → gateway endpoint → S3; this computer → internet → S3 ({verdict})",
    )


def unlocked(lab: Lab, plan: Lab3) -> CheckResult:
    """Step 8: the admin removed the bucket policy, and this computer lists the bucket again."""
    if plan.stored_policy(lab) is not None:
        raise _fail("05.8", "the bucket still has its policy", "run the delete_bucket_policy cell")
    code = host_lists(lab, plan)
    if code is not None:
        raise _fail("05.8", f"this computer is still refused ({code})", "ask the lab's lead")
    return CheckResult("05.8", "the bucket has no policy, and this computer lists it again")
