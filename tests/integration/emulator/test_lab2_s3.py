"""Lab 2 in the emulator: S3 decided by IAM, bucket and network path; the real AWS CLI on
instances, confined to them.

Every S3 call here goes over HTTP to the in-process emulator, from the host through boto3
or from an instance through the real AWS CLI run by the instance shell (SSM).
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from lab1_build import build_lab1, run  # this directory's helpers

from labkit.aws.compute import EC2_TRUST  # the trust policy labkit gives instance roles

BUCKET = "lab2-bucket"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions: list[str], resources: list[str], sid: str = "Allow") -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}


READ_WRITE = policy(
    allow(["s3:ListAllMyBuckets"], ["*"], "ListAll"),
    allow(["s3:ListBucket"], [f"arn:aws:s3:::{BUCKET}"], "List"),
    allow(["s3:GetObject", "s3:PutObject"], [f"arn:aws:s3:::{BUCKET}/*"], "ReadWrite"),
)
READ_ONLY = policy(
    allow(["s3:ListBucket"], [f"arn:aws:s3:::{BUCKET}"], "List"),
    allow(["s3:GetObject"], [f"arn:aws:s3:::{BUCKET}/*"], "Read"),
)


def make_user(aws: Any, name: str, document: str) -> dict[str, str]:
    iam = aws("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="S3Access", PolicyDocument=document)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


def client_for(url: str, key: dict[str, str]) -> Any:
    session = boto3.session.Session(
        aws_access_key_id=key["id"], aws_secret_access_key=key["secret"], region_name="us-east-1"
    )
    return session.client("s3", endpoint_url=url)


def sh(aws: Any, instance: str, line: str) -> tuple[int, str, str]:
    answer = run(aws, instance, line)
    return answer["ResponseCode"], answer["StandardOutputContent"], answer["StandardErrorContent"]


def configure(aws: Any, instance: str, key: dict[str, str]) -> None:
    line = (
        f"aws configure set aws_access_key_id {key['id']} && "
        f"aws configure set aws_secret_access_key {key['secret']} && "
        "aws configure set region us-east-1"
    )
    assert sh(aws, instance, line)[0] == 0


@pytest.fixture()
def world(aws: Any) -> dict[str, Any]:
    ids = build_lab1(aws)
    s3 = aws("s3")
    s3.create_bucket(Bucket=BUCKET)
    for n in range(4):
        s3.put_object(Bucket=BUCKET, Key=f"object-{n}.txt", Body=f"object {n}\n".encode())
    return ids


def test_from_the_host_each_principal_is_decided(aws: Any, emulator_url: str, world: Any) -> None:
    admin = aws("s3")
    assert [b["Name"] for b in admin.list_buckets()["Buckets"]] == [BUCKET]

    writer = client_for(emulator_url, make_user(aws, "writer", READ_WRITE))
    writer.put_object(Bucket=BUCKET, Key="from-host.txt", Body=b"hi")
    assert len(writer.list_objects_v2(Bucket=BUCKET)["Contents"]) == 5

    reader = client_for(emulator_url, make_user(aws, "reader", READ_ONLY))
    assert reader.get_object(Bucket=BUCKET, Key="object-0.txt")["Body"].read() == b"object 0\n"
    with pytest.raises(ClientError) as denied:
        reader.put_object(Bucket=BUCKET, Key="nope.txt", Body=b"x")
    error = denied.value.response["Error"]
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Code"] == "AccessDenied"
    assert "user/reader is not authorized to perform: s3:PutObject" in error["Message"]
    with pytest.raises(ClientError, match="AccessDenied"):
        reader.list_buckets()  # no s3:ListAllMyBuckets
    assert "nope.txt" not in {o["Key"] for o in admin.list_objects_v2(Bucket=BUCKET)["Contents"]}

    stranger = client_for(emulator_url, {"id": "EXAMPLEUNKNOWNKEY001", "secret": "x" * 40})
    with pytest.raises(ClientError, match="InvalidAccessKeyId"):
        stranger.list_buckets()


def test_denials_are_kept_with_their_deciding_statement(
    aws: Any, emulator_url: str, world: Any
) -> None:
    from labkit.emulator.client import last_decisions

    admin = aws("s3")
    admin.put_bucket_policy(
        Bucket=BUCKET,
        Policy=policy(
            {
                "Sid": "NoDeletes",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:DeleteObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/*",
            }
        ),
    )
    with pytest.raises(ClientError, match="explicit deny in a resource-based policy"):
        admin.delete_object(Bucket=BUCKET, Key="object-0.txt")
    credentials = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing"
    ).get_credentials()
    last = [
        d for d in last_decisions(emulator_url, credentials) if d["action"] == "s3:DeleteObject"
    ]
    assert last[-1]["decision"]["decision"] == "explicit_deny"
    assert last[-1]["decision"]["matched"][0]["sid"] == "NoDeletes"
    assert last[-1]["source"] == "host (the internet)" and last[-1]["path"] == "internet"
    # The root user may always remove a bucket policy that locks everyone out.
    admin.delete_bucket_policy(Bucket=BUCKET)
    admin.delete_object(Bucket=BUCKET, Key="object-0.txt")


def test_a_malformed_bucket_policy_is_refused_and_nothing_changes(aws: Any, world: Any) -> None:
    s3 = aws("s3")
    with pytest.raises(ClientError) as refused:
        s3.put_bucket_policy(Bucket=BUCKET, Policy="{not json")
    assert refused.value.response["Error"]["Code"] == "MalformedPolicy"
    assert "\n" not in refused.value.response["Error"]["Message"]
    with pytest.raises(ClientError, match="NoSuchBucketPolicy"):
        s3.get_bucket_policy(Bucket=BUCKET)


def test_the_cli_on_an_instance_follows_the_lab(aws: Any, world: Any) -> None:
    i1 = world["i1"]
    code, _, err = sh(aws, i1, "aws s3 ls")
    assert code == 255 and "Unable to locate credentials" in err

    configure(aws, i1, make_user(aws, "lab-s3-user", READ_WRITE))
    code, out, _ = sh(aws, i1, "aws configure list")
    assert code == 0 and "shared-credentials-file" in out
    secret_line = next(line for line in out.splitlines() if "secret_key" in line)
    assert "****************" in secret_line

    code, out, _ = sh(aws, i1, "aws s3 ls")
    assert code == 0 and out.strip().endswith(BUCKET)
    code, out, _ = sh(aws, i1, f"aws s3 ls s3://{BUCKET}")
    assert code == 0 and len(out.strip().splitlines()) == 4

    code, out, _ = sh(aws, i1, f"sudo touch /tmp/test.txt && aws s3 cp /tmp/test.txt s3://{BUCKET}")
    assert code == 0 and f"upload: ../../tmp/test.txt to s3://{BUCKET}/test.txt" in out
    code, out, _ = sh(aws, i1, f"aws s3 ls s3://{BUCKET}")
    assert len(out.strip().splitlines()) == 5

    # The file is on Instance 1 only.
    assert sh(aws, world["i2"], "cat /tmp/test.txt")[0] == 1

    reader = make_user(aws, "lab-s3-reader", READ_ONLY)
    configure(aws, world["i2"], reader)
    code, _, err = sh(aws, world["i2"], f"touch x && aws s3 cp x s3://{BUCKET}/x")
    assert code == 1 and "AccessDenied" in err and "user/lab-s3-reader" in err


def test_an_instance_role_gives_the_cli_credentials_without_keys(aws: Any, world: Any) -> None:
    iam, ec2 = aws("iam"), aws("ec2")
    iam.create_role(RoleName="lab-s3-role", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    iam.put_role_policy(RoleName="lab-s3-role", PolicyName="S3Access", PolicyDocument=READ_ONLY)
    iam.create_instance_profile(InstanceProfileName="lab-s3-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="lab-s3-profile", RoleName="lab-s3-role")
    ec2.associate_iam_instance_profile(
        IamInstanceProfile={"Name": "lab-s3-profile"}, InstanceId=world["i1"]
    )
    code, out, err = sh(aws, world["i1"], "aws sts get-caller-identity --region us-east-1")
    assert code == 0, err
    assert f"assumed-role/lab-s3-role/{world['i1']}" in out
    code, out, _ = sh(aws, world["i1"], f"aws s3 ls s3://{BUCKET} && ls -a ~")
    assert code == 0 and "object-3.txt" in out and ".aws" not in out
    code, _, err = sh(aws, world["i1"], f"touch y && aws s3 cp y s3://{BUCKET}/y")
    assert code == 1 and "assumed-role/lab-s3-role" in err and "s3:PutObject" in err


def test_no_path_to_s3_fails_like_the_cli(aws: Any, world: Any) -> None:
    configure(aws, world["i1"], {"id": "testing", "secret": "testing"})  # the lab's admin
    code, out, err = sh(aws, world["i1"], "aws s3 ls")
    assert code == 0 and out.strip().endswith(BUCKET), err
    aws("ec2").delete_route(RouteTableId=world["rtb1"], DestinationCidrBlock="0.0.0.0/0")
    code, _, err = sh(aws, world["i1"], "aws s3 ls")
    assert code == 255
    assert 'Could not connect to the endpoint URL: "https://s3.amazonaws.com/"' in err


@pytest.fixture()
def outside(tmp_path: Path) -> Path:
    """A host folder that no instance may touch."""
    folder = tmp_path / f"host-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    (folder / "secret.txt").write_text("host secret\n")
    return folder


def instance_root(instance: str) -> Path:
    from labkit.emulator.shell.fs import instances_root

    return instances_root() / "us-east-1" / instance


def test_nothing_the_cli_does_reaches_the_host(aws: Any, world: Any, outside: Path) -> None:
    i1 = world["i1"]
    configure(aws, i1, make_user(aws, "lab-s3-user", READ_WRITE))
    before = sorted(p.name for p in outside.iterdir())

    # Absolute, relative and ~ paths are the instance's own.
    for target in (f"{outside}/copied", f"../../../../../../../..{outside}/up", "~/home-copy"):
        code, out, err = sh(aws, i1, f"aws s3 cp s3://{BUCKET}/object-1.txt {target}")
        assert code == 0, err
        assert str(instance_root(i1)) not in out + err
    assert sorted(p.name for p in outside.iterdir()) == before
    assert sh(aws, i1, f"cat {outside}/copied")[1] == "object 1\n"
    assert sh(aws, i1, "cat /home/ec2-user/home-copy")[1] == "object 1\n"

    # A symlink out of the instance is refused, before and inside the CLI.
    os.symlink(outside, instance_root(i1) / "tmp" / "door")
    code, _, err = sh(aws, i1, f"aws s3 cp s3://{BUCKET}/object-1.txt /tmp/door/x")
    assert code == 255 and "outside this instance's filesystem" in err
    code, _, err = sh(aws, i1, f"aws s3 cp /tmp/door/secret.txt s3://{BUCKET}/stolen")
    assert code == 255 and "outside this instance's filesystem" in err
    assert sorted(p.name for p in outside.iterdir()) == before

    # file:// parameters read the instance's files, not the host's.
    code, _, err = sh(
        aws,
        i1,
        f"aws s3api put-bucket-tagging --bucket {BUCKET} --tagging file://{outside}/secret.txt",
    )
    assert code != 0 and "host secret" not in err

    # Settings and options that would run or reach things outside the instance.
    for line, expected in (
        ("aws s3 ls --endpoint-url https://example.com", "--endpoint-url is not available"),
        ("aws configure set credential_process /bin/sh", "'credential_process' is not simulated"),
    ):
        code, _, err = sh(aws, i1, line)
        assert code == 255 and expected in err
    sh(aws, i1, "mkdir -p ~/.aws/cli && echo '[toplevel]' > ~/.aws/cli/alias")
    code, _, err = sh(aws, i1, "aws s3 ls")
    assert code == 255 and "aliases are not simulated" in err
    sh(aws, i1, "rm ~/.aws/cli/alias")

    # --debug shows no host path and no host credentials (the host has AWS_* set).
    code, _, err = sh(aws, i1, "aws s3 ls --debug")
    assert code == 0 and str(instance_root(i1)) not in err
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
    assert "Credential=testing/" not in err and "environment variables" not in err


def test_sudo_runs_known_commands_only(aws: Any, world: Any) -> None:
    assert sh(aws, world["i1"], "sudo touch /tmp/a && ls /tmp")[1] == "a\n"
    code, _, err = sh(aws, world["i1"], "sudo nosuchcommand")
    assert code == 1 and err == "sudo: nosuchcommand: command not found\n"
    assert sh(aws, world["i1"], "rm /tmp/a && ls /tmp")[1] == ""
    assert sh(aws, world["i1"], "touch /tmp/.hidden && ls /tmp")[1] == ""
    assert sh(aws, world["i1"], "ls -a /tmp")[1] == ".hidden\n"


def test_the_network_path_decides_source_ip_conditions_and_leaves_flow_records(
    aws: Any, world: Any
) -> None:
    """A bucket policy that admits only Instance 1's public IP: the host is denied, the
    instance (same user) is allowed, and its HTTPS exchange with S3 is in the flow log."""
    key = make_user(aws, "lab-s3-user", READ_WRITE)
    aws("s3").put_bucket_policy(
        Bucket=BUCKET,
        Policy=policy(
            {
                "Sid": "OnlyFromInstance1",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/*",
                "Condition": {"NotIpAddress": {"aws:SourceIp": f"{world['public1']}/32"}},
            }
        ),
    )
    with pytest.raises(ClientError, match="explicit deny in a resource-based policy"):
        aws("s3").get_object(Bucket=BUCKET, Key="object-1.txt")
    configure(aws, world["i1"], key)
    code, out, err = sh(aws, world["i1"], f"aws s3 cp s3://{BUCKET}/object-1.txt -")
    assert code == 0 and out == "object 1\n", err
    configure(aws, world["i2"], key)
    code, _, err = sh(aws, world["i2"], f"aws s3 cp s3://{BUCKET}/object-1.txt /tmp/o")
    assert code == 1 and "(403) when calling the HeadObject operation: Forbidden" in err
    from labkit.emulator.client import last_decisions

    credentials = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing"
    ).get_credentials()
    last = last_decisions(aws("s3").meta.endpoint_url, credentials)[-1]
    assert last["source"].startswith(world["i2"]) and last["path"] == "internet"
    assert last["decision"]["decision"] == "explicit_deny"
    assert last["decision"]["matched"][0]["sid"] == "OnlyFromInstance1"

    from labkit.netsim.records import FlowRecord

    events = aws("logs").get_log_events(
        logGroupName="lab1-flow-logs", logStreamName=world["eni1"], startFromHead=True
    )["events"]
    to_s3 = [FlowRecord.parse(e["message"]) for e in events]
    assert any(r.dstport == 443 and r.action == "ACCEPT" for r in to_s3), to_s3


def test_unsigned_requests_are_refused_even_with_a_public_bucket_policy(
    emulator_url: str, aws: Any, world: Any
) -> None:
    import urllib.error
    import urllib.request

    def fetch(path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(emulator_url + path, timeout=10) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    for path in ("/", f"/{BUCKET}", f"/{BUCKET}/object-0.txt"):
        code, body = fetch(path)
        assert code == 403 and b"<Code>AccessDenied</Code>" in body, path
    aws("s3").put_bucket_policy(
        Bucket=BUCKET,
        Policy=policy(
            {
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/*",
            }
        ),
    )
    # AWS would serve this object anonymously; the emulator answers only signed requests,
    # so that no web page the learner opens can read or drive it (emulator.guard).
    for path in (f"/{BUCKET}/object-0.txt", f"/{BUCKET}"):
        code, body = fetch(path)
        assert code == 403 and b"<Code>AccessDenied</Code>" in body, path
