"""IAM users, access keys, instance roles and profiles for the labs; idempotent, tagged.

An access key's secret is shown by AWS once, when it is created. :class:`AccessKey` keeps
it out of every repr (masked as the AWS CLI masks it: ``****************abcd``).
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from labkit.aws.compute import find_instance
from labkit.aws.echo import mask_key_id
from labkit.aws.shown import Card

if TYPE_CHECKING:
    from labkit.aws.context import AwsContext as Lab


def mask(secret: str) -> str:
    """A secret as the AWS CLI shows it: sixteen stars and its last four characters."""
    return mask_key_id(secret) if secret else "<not set>"


@dataclass(frozen=True, repr=False)
class AccessKey(Card):
    """A new access key, shown as a card that masks the id and the secret as
    ``aws configure list`` does (on AWS not even the secret's last four characters)."""

    user: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    hide_all: bool = False  # on AWS not even the last four characters are shown

    def _card(self) -> tuple[str, list[tuple[str, Any]]]:
        secret = "*" * 16 if self.hide_all else mask(self.secret_access_key)
        return f"Access key of IAM user {self.user}", [
            ("access key id", mask(self.access_key_id)),
            ("secret access key", secret),
        ]

    __str__ = Card.__repr__


def ensure_user(lab: Lab, name: str, policy_name: str, document: dict[str, Any]) -> str:
    """The IAM user ``name`` (tagged) with exactly this inline policy; returns its ARN."""
    iam = lab.iam
    with lab.call(f"creating IAM user {name}"):
        try:
            user = iam.get_user(UserName=name)["User"]
        except iam.exceptions.NoSuchEntityException:
            user = iam.create_user(UserName=name, Tags=lab.tags(name))["User"]
        iam.put_user_policy(
            UserName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document)
        )
    return str(user["Arn"])


def delete_access_keys(lab: Lab, user: str) -> int:
    """Delete every access key of the user; returns how many there were."""
    iam = lab.iam
    with lab.call(f"deleting {user}'s access keys"):
        keys = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
        for key in keys:
            iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    return len(keys)


def new_access_key(lab: Lab, user: str) -> AccessKey:
    """A fresh access key for the user, after deleting the old ones (a re-run makes no extra)."""
    delete_access_keys(lab, user)
    with lab.call(f"creating an access key for {user}"):
        raw = lab.iam.create_access_key(UserName=user)["AccessKey"]
    return access_key(lab, raw)


def access_key(lab: Lab, answer: dict[str, Any]) -> AccessKey:
    """The ``AccessKey`` of a ``create_access_key`` answer, kept where no repr shows it."""
    return AccessKey(
        answer["UserName"], answer["AccessKeyId"], answer["SecretAccessKey"], lab.backend == "aws"
    )


def instance_profile(lab: Lab, instance: str) -> str | None:
    """The name of the instance profile associated with an instance, or None."""
    inst = find_instance(lab, instance)
    with lab.call(f"reading {inst.name}'s instance profile"):
        found = lab.ec2.describe_iam_instance_profile_associations(
            Filters=[{"Name": "instance-id", "Values": [inst.instance_id]}]
        )["IamInstanceProfileAssociations"]
    live = [a for a in found if a.get("State") in ("associated", "associating")]
    return live[0]["IamInstanceProfile"]["Arn"].rsplit("/", 1)[-1] if live else None


def set_instance_profile(lab: Lab, instance: str, profile: str | None) -> None:
    """Associate ``profile`` with the instance (replacing another); None removes it."""
    inst = find_instance(lab, instance)
    ec2 = lab.ec2
    with lab.call(f"changing {inst.name}'s instance profile"):
        found = ec2.describe_iam_instance_profile_associations(
            Filters=[{"Name": "instance-id", "Values": [inst.instance_id]}]
        )["IamInstanceProfileAssociations"]
        live = [a for a in found if a.get("State") in ("associated", "associating")]
        current = live[0] if live else None
        if current and current["IamInstanceProfile"]["Arn"].endswith(f"/{profile}"):
            return
        if current is not None:
            ec2.disassociate_iam_instance_profile(AssociationId=current["AssociationId"])
        if profile is not None:
            ec2.associate_iam_instance_profile(
                IamInstanceProfile={"Name": profile}, InstanceId=inst.instance_id
            )


def lab_users(lab: Lab) -> list[str]:
    """The IAM users carrying this lab's tag."""
    iam = lab.iam
    found = []
    with lab.call("listing the lab's IAM users"):
        for page in iam.get_paginator("list_users").paginate():
            for user in page["Users"]:
                tags = iam.list_user_tags(UserName=user["UserName"])["Tags"]
                if {"Key": lab.TAG_KEY, "Value": lab.prefix} in tags:
                    found.append(user["UserName"])
    return found


def remove_user(lab: Lab, name: str) -> None:
    """Delete a user with its access keys, inline and attached policies and groups."""
    iam = lab.iam
    delete_access_keys(lab, name)
    for policy in iam.list_user_policies(UserName=name)["PolicyNames"]:
        iam.delete_user_policy(UserName=name, PolicyName=policy)
    for policy in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]:
        iam.detach_user_policy(UserName=name, PolicyArn=policy["PolicyArn"])
    for group in iam.list_groups_for_user(UserName=name)["Groups"]:
        iam.remove_user_from_group(GroupName=group["GroupName"], UserName=name)
    iam.delete_user(UserName=name)
