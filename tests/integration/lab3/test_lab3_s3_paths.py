"""Lab 3 end to end on the emulator: S3 from Instance 1 through the endpoint, over the
internet, or with no path, under each policy combination of the lab; the host's lock-out;
and the admin's way back after every step.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

import labkit
from labkit.aws import endpoints
from labkit.errors import CheckFailed
from labkit.labs.lab3 import checks
from labkit.labs.lab3.plan import ADMIN_ACTIONS, DENY_ALL, Lab3

NO_SOURCE_IP = {  # denies any request that carries aws:SourceIp
    "Version": "2012-10-17",
    "Statement": [{"Sid": "NoSourceIp", "Effect": "Deny", "Principal": "*",
        "NotAction": list(ADMIN_ACTIONS),
        "Resource": ["arn:aws:s3:::BUCKET", "arn:aws:s3:::BUCKET/*"],
        "Condition": {"Null": {"aws:SourceIp": "false"}}}],
}  # fmt: skip


@pytest.fixture(scope="module")
def lab3(emulator) -> Iterator[tuple[labkit.Lab, Lab3]]:  # type: ignore[no-untyped-def]
    """Notebook 04's state, reset to notebook 05's start; torn down at the end."""
    lab = labkit.connect("local", endpoint_url=emulator.url, prefix="lab3paths", ensure="01")
    yield lab, Lab3.ready(lab)
    lab.teardown()


def step1(lab: labkit.Lab, plan: Lab3) -> str:
    """VPC 1's S3 endpoint (created with no route table if missing), as step 1 leaves it."""
    return str(endpoints.ensure_s3_endpoint(lab, plan.vpc_id, plan.endpoint_name)["VpcEndpointId"])


def ls(lab: labkit.Lab, plan: Lab3) -> str:
    """ "allowed", "denied: <deciding Sid or policy>" or "no path", as the real CLI shows it."""
    result = checks.instance_ls(lab, plan)
    text = result.stdout + result.stderr
    if result.ok:
        assert "welcome.txt" in text
        return "allowed"
    if "Could not connect to the endpoint URL" in text:
        return "no path"
    assert "AccessDenied" in text, text
    denial = lab.explain_last_denial()
    return "denied: " + ", ".join(s.split("Sid ")[-1].strip("')") for s in denial.statements)


def host(lab: labkit.Lab, plan: Lab3) -> str:
    code = checks.host_lists(lab, plan)
    return "allowed" if code is None else f"denied ({code})"


def admin_recovers(lab: labkit.Lab, plan: Lab3) -> None:
    """From the host, the lab's admin reads, deletes and puts back the bucket policy."""
    stored = plan.stored_policy(lab)  # GetBucketPolicy: raises if denied
    if stored is None:
        return
    lab.s3.delete_bucket_policy(Bucket=plan.bucket)
    assert plan.stored_policy(lab) is None
    assert host(lab, plan) == "allowed"  # the console can list again
    lab.s3.put_bucket_policy(Bucket=plan.bucket, Policy=stored)
    assert plan.stored_policy(lab) == stored


def set_policies(lab: labkit.Lab, plan: Lab3, vpce: str, bucket: str, endpoint: str) -> None:
    if bucket == "none":
        if plan.stored_policy(lab) is not None:
            lab.s3.delete_bucket_policy(Bucket=plan.bucket)
    else:
        doc = plan.bucket_policy(vpce) if bucket == "vpce-only" else json.loads(
            json.dumps(NO_SOURCE_IP).replace("BUCKET", plan.bucket))  # fmt: skip
        lab.s3.put_bucket_policy(Bucket=plan.bucket, Policy=plan.checked(doc))
    if endpoint == "deny":
        lab.ec2.modify_vpc_endpoint(VpcEndpointId=vpce, PolicyDocument=json.dumps(DENY_ALL))
    else:
        lab.ec2.modify_vpc_endpoint(VpcEndpointId=vpce, ResetPolicy=True)


def set_path(lab: labkit.Lab, plan: Lab3, vpce: str, path: str) -> None:
    """internet: no endpoint route; endpoint: the route table associated; none: neither
    the endpoint route nor the default route (the subnet made private)."""
    rtb = lab.ec2.describe_route_tables(RouteTableIds=[plan.route_table_id])["RouteTables"][0]
    associated = any(r.get("GatewayId") == vpce for r in rtb["Routes"])
    default = next((r for r in rtb["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"), None)
    want_endpoint = path == "endpoint"
    if want_endpoint and not associated:
        lab.ec2.modify_vpc_endpoint(VpcEndpointId=vpce, AddRouteTableIds=[plan.route_table_id])
    if not want_endpoint and associated:
        lab.ec2.modify_vpc_endpoint(VpcEndpointId=vpce, RemoveRouteTableIds=[plan.route_table_id])
    if path == "none" and default is not None:
        lab.ec2.delete_route(RouteTableId=plan.route_table_id, DestinationCidrBlock="0.0.0.0/0")
    if path != "none" and default is None:
        igw = lab.ec2.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [plan.vpc_id]}]
        )["InternetGateways"][0]["InternetGatewayId"]
        lab.ec2.create_route(RouteTableId=plan.route_table_id,
                             DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)  # fmt: skip


# (path, bucket policy, endpoint policy) -> what Instance 1's `aws s3 ls s3://BUCKET` gets.
CASES = [
    ("internet", "none", "default", "allowed"),
    ("internet", "vpce-only", "default", "denied: OnlyThroughTheEndpoint"),
    ("internet", "vpce-only", "deny", "denied: OnlyThroughTheEndpoint"),  # not on the path
    ("internet", "no-source-ip", "default", "denied: NoSourceIp"),
    ("endpoint", "none", "default", "allowed"),
    ("endpoint", "vpce-only", "default", "allowed"),
    ("endpoint", "vpce-only", "deny", "denied: NothingThrough"),
    ("endpoint", "none", "deny", "denied: NothingThrough"),
    ("endpoint", "no-source-ip", "default", "allowed"),  # no aws:SourceIp through it
    ("none", "none", "default", "no path"),
    ("none", "vpce-only", "default", "no path"),
]


def test_each_path_and_policy_combination(lab3: tuple[labkit.Lab, Lab3]) -> None:
    lab, plan = lab3
    vpce = step1(lab, plan)
    seen = []
    for path, bucket, endpoint, _ in CASES:
        set_path(lab, plan, vpce, path)
        set_policies(lab, plan, vpce, bucket, endpoint)
        got = ls(lab, plan)
        expected_host = "denied (AccessDenied)" if bucket != "none" else "allowed"
        seen.append((path, bucket, endpoint, got, host(lab, plan) == expected_host))
        admin_recovers(lab, plan)
    assert seen == [(*case[:3], case[3], True) for case in CASES]
    set_path(lab, plan, vpce, "internet")


def test_the_admin_recovers_after_every_step_of_the_notebook(
    lab3: tuple[labkit.Lab, Lab3],
) -> None:
    lab, plan = lab3
    vpce = step1(lab, plan)
    set_path(lab, plan, vpce, "internet")
    set_policies(lab, plan, vpce, "none", "default")
    steps = [
        lambda: lab.s3.put_bucket_policy(
            Bucket=plan.bucket, Policy=plan.checked(plan.bucket_policy(vpce))
        ),
        lambda: lab.ec2.modify_vpc_endpoint(
            VpcEndpointId=vpce, AddRouteTableIds=[plan.route_table_id]
        ),
        lambda: lab.ec2.modify_vpc_endpoint(
            VpcEndpointId=vpce, PolicyDocument=json.dumps(DENY_ALL)
        ),
        lambda: lab.ec2.modify_vpc_endpoint(VpcEndpointId=vpce, ResetPolicy=True),
    ]
    for step in steps:
        step()
        admin_recovers(lab, plan)
    # And after the last step, the setup cell's reset removes it all for the next run.
    assert Lab3.ready(lab).bucket == plan.bucket
    assert plan.stored_policy(lab) is None and plan.endpoints(lab) == []


def test_checks_name_the_skipped_move(lab3: tuple[labkit.Lab, Lab3]) -> None:
    lab, plan = lab3
    vpce = step1(lab, plan)
    set_path(lab, plan, vpce, "internet")
    set_policies(lab, plan, vpce, "none", "default")
    with pytest.raises(
        CheckFailed, match="05.2 failed: bucket .* has no policy.*put_bucket_policy"
    ):
        checks.console_locked_out(lab, plan)
    with pytest.raises(CheckFailed, match="05.4 failed: .*AddRouteTableIds"):
        checks.instance_lists_through_endpoint(lab, plan)
    set_path(lab, plan, vpce, "endpoint")
    with pytest.raises(CheckFailed, match="05.5 failed: the endpoint policy allows"):
        checks.endpoint_policy_denies(lab, plan)


def test_teardown_removes_the_policy_first_and_leaves_nothing(
    lab3: tuple[labkit.Lab, Lab3],
) -> None:
    lab, plan = lab3
    vpce = step1(lab, plan)
    set_path(lab, plan, vpce, "endpoint")
    set_policies(lab, plan, vpce, "vpce-only", "deny")
    assert checks.host_lists(lab, plan) == "AccessDenied"
    kinds = {row[0] for row in lab.teardown().rows}
    assert {"S3 bucket", "VPC endpoint", "VPC", "instance"} <= kinds
    assert lab.teardown_plan().rows == ()
    with pytest.raises(lab.s3.exceptions.ClientError):
        lab.s3.head_bucket(Bucket=plan.bucket)
