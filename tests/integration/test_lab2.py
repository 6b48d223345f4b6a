"""Lab 2's helpers on the emulator: idempotent builders, masked keys, teardown by tag."""

from __future__ import annotations

from typing import Any

from labkit.aws import compute, iamusers, s3, teardown

POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}],
}


def test_a_new_key_replaces_the_old_one_and_never_shows_its_secret(lab: Any) -> None:
    user = f"{lab.prefix}-s3-user"
    iamusers.ensure_user(lab, user, "S3Access", POLICY)
    first = iamusers.new_access_key(lab, user)
    second = iamusers.new_access_key(lab, user)
    keys = lab.iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [second.access_key_id] != [first.access_key_id]
    shown = repr(second) + str(second)
    assert second.secret_access_key not in shown and second.access_key_id not in shown
    assert "****************" + second.secret_access_key[-4:] in shown


def test_teardown_removes_what_lab2_made_by_its_tag(lab: Any) -> None:
    bucket = s3.bucket_name(lab)
    assert s3.ensure_bucket(lab, bucket) is True
    assert s3.ensure_bucket(lab, bucket) is False  # a re-run creates nothing
    s3.put_objects(lab, bucket, {"a.txt": b"a", "b.txt": b"b"})
    lab.s3.put_bucket_policy(
        Bucket=bucket,
        Policy='{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*",'
        f'"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}',
    )
    user = f"{lab.prefix}-s3-user"
    iamusers.ensure_user(lab, user, "S3Access", POLICY)
    iamusers.new_access_key(lab, user)
    role = f"{lab.prefix}-s3-instance-role"
    compute.ensure_instance_role(lab, role, ("S3Access", POLICY))

    kinds = {(d.kind, d.resource_id) for d in teardown.plan(lab)}
    assert {("S3 bucket", bucket), ("IAM user", user), ("instance profile", role)} <= kinds
    assert ("IAM role", role) in kinds
    lab.teardown()
    assert teardown.plan(lab) == []
    names = [b["Name"] for b in lab.s3.list_buckets()["Buckets"]]
    assert bucket not in names
    assert user not in [u["UserName"] for u in lab.iam.list_users()["Users"]]
    assert role not in [r["RoleName"] for r in lab.iam.list_roles()["Roles"]]


def test_lab_shell_runs_the_cli_with_the_instance_role_and_explains_the_denial(lab: Any) -> None:
    """Lab 1's instances carry the SSM role: the CLI uses it, and it allows no S3."""
    from labkit import labs

    labs.ensure_upto(lab, "02")
    result = lab.shell("Instance 1", "aws s3 ls")
    assert result.exit_code == 255 and "AccessDenied" in result.stderr
    denial = lab.explain_last_denial()
    assert denial.principal.endswith(
        f":assumed-role/{lab.prefix}-ec2-ssm/{lab.instance('Instance 1').instance_id}"
    )
    assert denial.action == "s3:ListAllMyBuckets" and denial.decision == "implicit_deny"
    assert "Instance 1" in denial.source and "over the internet" in denial.path_explanation


def test_configure_key_sets_the_key_on_the_instance_and_never_shows_the_secret(
    lab: Any, capsys: Any
) -> None:
    from labkit import labs
    from labkit.labs.lab2.plan import configure_key

    labs.ensure_upto(lab, "02")
    user = f"{lab.prefix}-s3-user"
    iamusers.ensure_user(lab, user, "S3Access", POLICY)
    key = iamusers.access_key(lab, lab.iam.create_access_key(UserName=user)["AccessKey"])
    lab.echo_calls = True
    capsys.readouterr()
    transcript = configure_key(lab, "Instance 1", key, profile="reader")
    shown = repr(transcript) + capsys.readouterr().out
    assert transcript.ok and "aws configure --profile reader" in shown
    assert key.secret_access_key not in shown and key.access_key_id not in shown
    assert f"AWS Secret Access Key [None]: {'*' * 16}{key.secret_access_key[-4:]}" in shown
    listed = lab.shell("Instance 1", "aws configure list --profile reader")
    assert key.access_key_id[-4:] in listed.stdout and "shared-credentials-file" in listed.stdout
