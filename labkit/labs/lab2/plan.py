"""Lab 2, S3 from a VPC: the plan (names, policies), the setup's reset, and the helpers
notebook 04 calls: the access key's half of ``aws configure`` on an instance, without
showing the secret.

Lab 2 reuses Lab 1's Instance 1 in VPC 1's public subnet: it already has a public IP,
a route to an internet gateway, and the SSM role that lets the notebook run commands on
it. Every name derives from the lab's prefix; everything carries the lab's tag.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labkit.aws import compute, iamusers, s3
from labkit.aws.ssm import shell
from labkit.errors import NotFoundError

if TYPE_CHECKING:
    from labkit.aws.context import AwsContext
    from labkit.aws.iamusers import AccessKey

OBJECTS = {
    "welcome.txt": b"Welcome to Lab 2: S3 from a VPC.\n",
    "routes.txt": b"0.0.0.0/0 -> internet gateway\n",
    "endpoints.txt": b"A gateway endpoint keeps S3 traffic inside AWS.\n",
    "numbers.csv": b"n,square\n1,1\n2,4\n3,9\n",
}


def _statement(sid: str, actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}


@dataclass(frozen=True)
class Lab2:
    """Lab 2's names and policies, derived from the lab's prefix."""

    prefix: str
    bucket: str
    instance: str = "Instance 1"

    @classmethod
    def for_lab(cls, lab: AwsContext, instance: str = "Instance 1") -> Lab2:
        """The plan for this lab (the bucket name needs the account id)."""
        return cls(lab.prefix, s3.bucket_name(lab), instance)

    @property
    def user(self) -> str:
        """The IAM user whose keys go on the instance (List, Get and Put on the bucket)."""
        return f"{self.prefix}-s3-user"

    @property
    def reader(self) -> str:
        """A second user, allowed to list and read but not to put objects (step 7)."""
        return f"{self.prefix}-s3-reader"

    @property
    def role(self) -> str:
        """The instance role (and its instance profile) of step 8."""
        return f"{self.prefix}-s3-instance-role"

    @property
    def ssm_profile(self) -> str:
        """Lab 1's instance profile (SSM only), which Instance 1 starts with."""
        return f"{self.prefix}-ec2-ssm"

    def user_policy(self) -> dict[str, Any]:
        """List every bucket; list, read and write this bucket's objects."""
        arn = f"arn:aws:s3:::{self.bucket}"
        return {
            "Version": "2012-10-17",
            "Statement": [
                _statement("ListMyBuckets", ["s3:ListAllMyBuckets"], ["*"]),
                _statement("ListTheLabBucket", ["s3:ListBucket"], [arn]),
                _statement("ReadWriteObjects", ["s3:GetObject", "s3:PutObject"], [f"{arn}/*"]),
            ],
        }

    def reader_policy(self) -> dict[str, Any]:
        """Like the user's, without s3:PutObject."""
        arn = f"arn:aws:s3:::{self.bucket}"
        return {
            "Version": "2012-10-17",
            "Statement": [
                _statement("ListMyBuckets", ["s3:ListAllMyBuckets"], ["*"]),
                _statement("ListTheLabBucket", ["s3:ListBucket"], [arn]),
                _statement("ReadObjects", ["s3:GetObject"], [f"{arn}/*"]),
            ],
        }

    def objects(self) -> dict[str, bytes]:
        """The four objects of step 1."""
        return dict(OBJECTS)

    def undo(self, lab: AwsContext) -> list[str]:
        """Take back what a previous run of notebook 04 changed, so it starts again at step 1.

        Deletes the users' access keys, ``~/.aws`` and ``/tmp/test.txt`` on the instance and
        objects other than the four, and gives the instance back Lab 1's SSM-only profile.
        The bucket, users and role stay: the notebook reuses them. Returns one line each.
        """
        done = []
        users = 0
        for user in (self.user, self.reader):
            try:
                keys = iamusers.delete_access_keys(lab, user)
            except NotFoundError:
                continue  # a first run: the user does not exist yet
            users += 1
            if keys:
                done.append(f"{keys} access key{'s' if keys > 1 else ''} of {user}")
        if not users:
            # Notebook 04 makes its user before it touches the instance (credentials, a
            # role, a file): with neither user, it has not run past its start, and the
            # instance has nothing of it. This skips two commands run through SSM.
            return done
        try:
            current = iamusers.instance_profile(lab, self.instance)
        except NotFoundError:
            return done  # no Lab 1 instance yet: nothing of notebook 04 on it either
        if current != self.ssm_profile:
            iamusers.set_instance_profile(lab, self.instance, self.ssm_profile)
            done.append(
                f"instance profile {current} on {self.instance} (back to {self.ssm_profile})"
            )
        found = shell(lab, self.instance, "ls -a ~ /tmp").stdout.split()
        gone = [
            p for p, name in (("~/.aws", ".aws"), ("/tmp/test.txt", "test.txt")) if name in found
        ]
        if gone:
            shell(lab, self.instance, "rm -rf " + " ".join(gone))
            done.append(f"{' and '.join(gone)} on {self.instance}")
        if self.bucket in s3.lab_buckets(lab):
            extra = [k for k in s3.list_keys(lab, self.bucket) if k not in OBJECTS]
            with lab.call(f"removing extra objects from {self.bucket}"):
                for key in extra:
                    lab.s3.delete_object(Bucket=self.bucket, Key=key)
            done += [f"object {key} of bucket {self.bucket}" for key in extra]
        return done


def build_lab2(lab: AwsContext, _lab1: Any = None) -> None:
    """What notebook 04 leaves behind: the bucket and its four objects, and Instance 1
    running with the instance role (no access keys anywhere)."""
    plan = Lab2.for_lab(lab)
    s3.ensure_bucket(lab, plan.bucket)
    missing = {k: v for k, v in OBJECTS.items() if k not in s3.list_keys(lab, plan.bucket)}
    if missing:
        s3.put_objects(lab, plan.bucket, missing)
    compute.ensure_instance_role(lab, plan.role, ("S3Access", plan.user_policy()))
    iamusers.set_instance_profile(lab, plan.instance, plan.role)


@dataclass(frozen=True)
class Transcript:
    """What a terminal would show for a command sequence; secrets already masked."""

    instance: str
    lines: tuple[str, ...]
    exit_code: int

    @property
    def ok(self) -> bool:
        """True if every command exited 0."""
        return self.exit_code == 0

    def __repr__(self) -> str:
        return "\n".join(self.lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


@contextmanager
def unechoed(lab: AwsContext) -> Iterator[None]:
    """Turn the call echo off for calls whose parameters carry a secret in free text."""
    saved = lab.echo_calls
    lab.echo_calls = False
    try:
        yield
    finally:
        lab.echo_calls = saved


def configure_key(
    lab: AwsContext, instance: str, key: AccessKey, profile: str = "default"
) -> Transcript:
    """Answer ``aws configure``'s two key questions on the instance (``aws configure set``).

    The secret travels in the command to the instance but is never shown: the command runs
    with the call echo off, and the transcript masks the id and the secret as the CLI does
    locally (only stars on the ``aws`` backend). The region and output format are not
    secret: the notebook sets them with ``lab.shell`` where the learner reads them.
    """
    settings = [
        ("aws_access_key_id", key.access_key_id),
        ("aws_secret_access_key", key.secret_access_key),
    ]
    named = "" if profile == "default" else f" --profile {shlex.quote(profile)}"
    line = " && ".join(f"aws configure set {n} {shlex.quote(v)}{named}" for n, v in settings)
    with unechoed(lab):  # the command holds the secret: the call echo must not show it
        result = shell(lab, instance, line)
    secret = (
        iamusers.mask(key.secret_access_key) if lab.backend == "local" else "*" * 16 + " (hidden)"
    )
    shown = (
        f"[ec2-user@{instance} ~]$ aws configure{named}",
        f"AWS Access Key ID [None]: {iamusers.mask(key.access_key_id)}",
        f"AWS Secret Access Key [None]: {secret}",
    )
    problems = tuple(
        p.replace(key.secret_access_key, secret).replace(
            key.access_key_id, iamusers.mask(key.access_key_id)
        )
        for p in result.stderr.splitlines()
        if p
    )
    return Transcript(instance, shown + problems, result.exit_code)


def undo_lab2(lab: AwsContext, _lab1: Any = None) -> list[str]:
    """Undo notebook 04's changes (see :meth:`Lab2.undo`)."""
    return Lab2.for_lab(lab).undo(lab)
