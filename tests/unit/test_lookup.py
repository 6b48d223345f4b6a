"""``lab.existing`` for the kinds notebook 04 creates: None before, the resource after.

Runs against the emulator's app served in this process (``inproc_emulator_url``).
"""

from __future__ import annotations

import uuid

import pytest

import labkit


@pytest.fixture
def quiet_lab(inproc_emulator_url: str) -> labkit.Lab:
    """A Lab on the in-process emulator, echo off, with a prefix of its own."""
    return labkit.connect(
        "local", endpoint_url=inproc_emulator_url, prefix=f"k{uuid.uuid4().hex[:8]}"
    )


def test_a_user_is_found_by_name_once_created(quiet_lab: labkit.Lab) -> None:
    name = f"{quiet_lab.prefix}-s3-user"
    assert quiet_lab.existing("user", name) is None
    made = quiet_lab.iam.create_user(UserName=name, Tags=quiet_lab.tags(name))["User"]
    found = quiet_lab.existing("user", name)
    assert found is not None and found["Arn"] == made["Arn"]


def test_a_bucket_is_found_by_name_once_created(quiet_lab: labkit.Lab) -> None:
    name = f"{quiet_lab.prefix}-lab2-123456789012"
    assert quiet_lab.existing("bucket", name) is None
    quiet_lab.s3.create_bucket(Bucket=name)
    found = quiet_lab.existing("bucket", name)
    assert found is not None and found["Name"] == name


def test_an_instance_profile_is_found_with_its_roles(quiet_lab: labkit.Lab) -> None:
    name = f"{quiet_lab.prefix}-s3-instance-role"
    assert quiet_lab.existing("instance-profile", name) is None
    quiet_lab.iam.create_instance_profile(InstanceProfileName=name, Tags=quiet_lab.tags(name))
    found = quiet_lab.existing("instance-profile", name)
    assert found is not None and found["InstanceProfileName"] == name and found["Roles"] == []


def test_an_instance_s_profile_association_is_found_until_it_is_removed(
    quiet_lab: labkit.Lab,
) -> None:
    lab = quiet_lab
    image = lab.ec2.describe_images()["Images"][0]["ImageId"]
    instance = lab.ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        TagSpecifications=lab.tag_spec("instance", "Instance 1"),
    )["Instances"][0]
    profile = f"{lab.prefix}-profile"
    lab.iam.create_instance_profile(InstanceProfileName=profile)
    assert lab.existing("iam-instance-profile-association", "Instance 1") is None
    made = lab.ec2.associate_iam_instance_profile(
        IamInstanceProfile={"Name": profile}, InstanceId=instance["InstanceId"]
    )["IamInstanceProfileAssociation"]
    found = lab.existing("iam-instance-profile-association", "Instance 1")
    assert found is not None and found["AssociationId"] == made["AssociationId"]
    assert found["IamInstanceProfile"]["Arn"].endswith(f"/{profile}")
    lab.ec2.disassociate_iam_instance_profile(AssociationId=made["AssociationId"])
    assert lab.existing("iam-instance-profile-association", "Instance 1") is None


def test_a_found_user_is_echoed_as_not_created_again(
    quiet_lab: labkit.Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"{quiet_lab.prefix}-s3-reader"
    quiet_lab.iam.create_user(UserName=name, Tags=quiet_lab.tags(name))
    quiet_lab.echo_calls = True
    quiet_lab.existing("user", name)
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"= User {name}")


def test_an_unknown_kind_lists_the_known_ones(quiet_lab: labkit.Lab) -> None:
    with pytest.raises(labkit.LabkitError, match=r"unknown kind of resource 'users'.*\buser\b"):
        quiet_lab.existing("users", "x")
