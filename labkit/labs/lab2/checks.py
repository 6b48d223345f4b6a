"""Lab 2's step checks and the S3 path of an instance.

Each check prints one stable line (names, counts, never generated ids or secrets) or raises
CheckFailed with a hint. A check reads the step's visible result (the terminal output of a
``lab.shell`` call) and confirms it against the backend through boto3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labkit.aws import compute, iamusers, s3
from labkit.aws.describe import describe_answers
from labkit.errors import CheckFailed
from labkit.labs.lab1.checks import CheckResult
from labkit.labs.lab2.denials import explain_last_denial
from labkit.netsim.discover import discover
from labkit.netsim.s3path import S3Path, s3_path

if TYPE_CHECKING:
    from labkit.aws.context import AwsContext
    from labkit.aws.ssm import ShellResult
    from labkit.labs.lab2.plan import Lab2


def _fail(step: str, what: str, hint: str) -> CheckFailed:
    return CheckFailed(f"step {step} failed: {what}. Hint: {hint}")


def path_to_s3(lab: AwsContext, instance: str | None) -> S3Path:
    """How an instance (Name or id; None = this computer) reaches S3, decided by netsim."""
    inst = compute.find_instance(lab, instance).instance_id if instance else None
    with lab.call("reading the network (describe_* calls)"):
        topo = discover(describe_answers(lab.ec2))
    return s3_path(topo, inst, lab.region)


def listed(result: ShellResult) -> list[str]:
    """The object names an ``aws s3 ls s3://BUCKET`` printed (PRE lines excluded)."""
    rows = [line.split() for line in result.stdout.splitlines()]
    return [r[3] for r in rows if len(r) >= 4 and r[0] != "PRE"]


def bucket(lab: AwsContext, step: str, plan: Lab2) -> CheckResult:
    """The bucket exists, carries the lab's tag, and holds exactly the four objects."""
    if plan.bucket not in s3.lab_buckets(lab):
        raise _fail(step, f"no bucket {plan.bucket} with the lab's tag", "run the cell above")
    keys = s3.list_keys(lab, plan.bucket)
    if sorted(keys) != sorted(plan.objects()):
        raise _fail(step, f"the bucket holds {len(keys)} objects, not 4", "upload the four objects")
    return CheckResult(step, "the lab's bucket exists, tagged, with 4 objects")


def instance(lab: AwsContext, step: str, plan: Lab2) -> CheckResult:
    """The instance runs with a public IP and reaches S3 over the internet."""
    inst = compute.find_instance(lab, plan.instance)
    if inst.state != "running" or not inst.public_ip:
        raise _fail(step, f"{plan.instance} is {inst.state} without a public IP", "run 01")
    path = path_to_s3(lab, plan.instance)
    if path.kind != "internet":
        raise _fail(step, f"{plan.instance} has no internet path to S3 ({path.explanation})", "")
    return CheckResult(step, f"{plan.instance} has a public IP and reaches S3 over the internet")


def user(lab: AwsContext, step: str, plan: Lab2, key: iamusers.AccessKey) -> CheckResult:
    """The user has exactly the new access key and its S3 policy."""
    with lab.call(f"reading {plan.user}"):
        keys = lab.iam.list_access_keys(UserName=plan.user)["AccessKeyMetadata"]
        policies = lab.iam.list_user_policies(UserName=plan.user)["PolicyNames"]
    if [k["AccessKeyId"] for k in keys] != [key.access_key_id]:
        raise _fail(step, f"{plan.user} has {len(keys)} access keys", "create exactly one")
    if "S3Access" not in policies:
        raise _fail(step, f"{plan.user} has no S3Access policy", "put the user policy")
    return CheckResult(step, "the S3 user has 1 access key and the S3Access policy")


def configured(
    lab: AwsContext, step: str, result: ShellResult, key: iamusers.AccessKey
) -> CheckResult:
    """``aws configure list`` shows the key, masked, from the shared credentials file."""
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.split()}
    access, secret = rows.get("access_key", ""), rows.get("secret_key", "")
    if key.access_key_id[-4:] not in access or "shared-credentials-file" not in access:
        raise _fail(step, "the CLI does not use the user's key", "run the aws configure cell")
    if key.secret_access_key in result.stdout or "****" not in secret:
        raise _fail(step, "the secret is not masked", "never print a secret")
    return CheckResult(step, "the CLI on the instance uses the user's key, masked, from ~/.aws")


def objects(
    lab: AwsContext, step: str, plan: Lab2, result: ShellResult, expected: int
) -> CheckResult:
    """The instance listed the bucket, and the listing matches the bucket."""
    shown = listed(result)
    truth = s3.list_keys(lab, plan.bucket)
    if not result.ok or len(shown) != expected or len(truth) != expected:
        raise _fail(
            step,
            f"the listing shows {len(shown)} objects, the bucket holds {len(truth)}; "
            f"expected {expected}",
            "run the cells above in order",
        )
    return CheckResult(step, f"aws s3 ls s3://BUCKET on {plan.instance} lists {expected} objects")


def no_credentials(lab: AwsContext, step: str, result: ShellResult) -> CheckResult:
    """The CLI found no credentials at all."""
    if result.ok or "Unable to locate credentials" not in result.stderr:
        raise _fail(step, "the CLI still found credentials", "remove ~/.aws/credentials")
    return CheckResult(step, "without keys or a role, the CLI is 'Unable to locate credentials'")


def denied(lab: AwsContext, step: str, result: ShellResult, action: str) -> CheckResult:
    """The command was refused with AccessDenied, and the emulator explains why."""
    if result.ok or "AccessDenied" not in result.stderr:
        raise _fail(step, f"the command was not denied {action}", "use the reader's profile")
    line = f"{action} is AccessDenied"
    if lab.endpoint_url:
        report = explain_last_denial(lab)
        if report.action != action:
            raise _fail(step, f"the last denial is {report.action}, not {action}", "re-run")
        why = "no statement allows it" if not report.statements else report.statements[0]
        line += f": {report.decision.replace('_', ' ')}, {why}"
    return CheckResult(step, line)


def role_in_use(lab: AwsContext, step: str, plan: Lab2, result: ShellResult) -> CheckResult:
    """The CLI runs as the instance role, with no keys on the instance or in IAM."""
    if f"assumed-role/{plan.role}/" not in result.stdout:
        raise _fail(step, "the CLI does not run as the instance role", "associate the profile")
    with lab.call(f"reading {plan.user}'s access keys"):
        keys = lab.iam.list_access_keys(UserName=plan.user)["AccessKeyMetadata"]
    if keys:
        raise _fail(step, f"{plan.user} still has {len(keys)} access key(s)", "delete them")
    return CheckResult(step, f"{plan.instance} uses {plan.role}; the user's access key is gone")
