"""IAM users, access keys, instance roles and profiles for the labs; idempotent, tagged.

An access key's secret is shown by AWS once, when it is created. :class:`AccessKey` keeps
it out of every repr (masked as the AWS CLI masks it: ``****************abcd``).
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from labkit.aws.compute import EC2_TRUST, SSM_POLICY_ARN, find_instance

if TYPE_CHECKING:
    from labkit.aws.context import AwsContext as Lab


def mask(secret: str) -> str:
    """A secret as the AWS CLI shows it: sixteen stars and its last four characters."""
    return "*" * 16 + secret[-4:] if secret else "<not set>"


@dataclass(frozen=True)
class AccessKey:
    """A new access key; its repr masks the id and the secret as ``aws configure list`` does."""

    user: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    hide_all: bool = False  # on AWS not even the last four characters are shown

    def __repr__(self) -> str:
        secret = "*" * 16 if self.hide_all else mask(self.secret_access_key)
        return (
            f"AccessKey(user={self.user!r}, access_key_id={mask(self.access_key_id)!r}, "
            f"secret_access_key={secret!r})"
        )

    __str__ = __repr__


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
    return AccessKey(user, raw["AccessKeyId"], raw["SecretAccessKey"], lab.backend == "aws")


def ensure_instance_role(lab: Lab, name: str, policy_name: str, document: dict[str, Any]) -> str:
    """A role EC2 can assume (SSM core attached, plus this inline policy) in a same-named
    instance profile; returns the profile's name."""
    iam = lab.iam
    with lab.call(f"creating the instance role {name}"):
        try:
            iam.get_role(RoleName=name)
        except iam.exceptions.NoSuchEntityException:
            iam.create_role(
                RoleName=name, AssumeRolePolicyDocument=json.dumps(EC2_TRUST), Tags=lab.tags(name)
            )
        attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        if SSM_POLICY_ARN not in {p["PolicyArn"] for p in attached}:
            iam.attach_role_policy(RoleName=name, PolicyArn=SSM_POLICY_ARN)
        iam.put_role_policy(
            RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document)
        )
        try:
            profile = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
        except iam.exceptions.NoSuchEntityException:
            profile = iam.create_instance_profile(InstanceProfileName=name, Tags=lab.tags(name))[
                "InstanceProfile"
            ]
        if not any(r["RoleName"] == name for r in profile.get("Roles", [])):
            iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return name


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


def lab_profiles(lab: Lab) -> list[str]:
    """The instance profiles carrying this lab's tag."""
    iam = lab.iam
    found = []
    with lab.call("listing the lab's instance profiles"):
        for page in iam.get_paginator("list_instance_profiles").paginate():
            for profile in page["InstanceProfiles"]:
                name = profile["InstanceProfileName"]
                # GetInstanceProfile carries the tags (and moto has no ListInstanceProfileTags)
                tags = profile.get("Tags") or iam.get_instance_profile(InstanceProfileName=name)[
                    "InstanceProfile"
                ].get("Tags", [])
                if {"Key": lab.TAG_KEY, "Value": lab.prefix} in tags:
                    found.append(name)
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


def remove_profile(lab: Lab, name: str) -> None:
    """Delete an instance profile (after taking its roles out); gone already is fine."""
    iam = lab.iam
    try:
        profile = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    except iam.exceptions.NoSuchEntityException:
        return
    for role in profile.get("Roles", []):
        iam.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=role["RoleName"])
    iam.delete_instance_profile(InstanceProfileName=name)
