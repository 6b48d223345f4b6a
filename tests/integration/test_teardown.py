"""Teardown by tag only: resumable after any call, nothing left behind, neighbours untouched."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

import labkit
from labkit import labs
from labkit.aws import teardown
from labkit.emulator import control

READ_PREFIXES = ("describe_", "list_", "get_", "can_paginate", "generate_")


class Interrupted(Exception):
    """Stands for a kernel interrupt or a dropped connection right after a call."""


class Faulty:
    """A boto3 client that raises after the Nth state-changing call (the call itself ran)."""

    def __init__(self, client: Any, budget: list[int]) -> None:
        self._client = client
        self._budget = budget

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr) or name.startswith(READ_PREFIXES):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            answer = attr(*args, **kwargs)
            self._budget[0] -= 1
            if self._budget[0] <= 0:
                raise Interrupted(name)
            return answer

        return call


def connect(emulator: control.EmulatorInfo, prefix: str) -> labkit.Lab:
    return labkit.connect("local", endpoint_url=emulator.url, prefix=prefix)


def with_faults(lab: labkit.Lab, after: int) -> list[int]:
    """Make every client of ``lab`` raise after ``after`` more state-changing calls."""
    budget = [after]
    for service in ("ec2", "iam", "logs"):
        lab._clients[service] = Faulty(lab.client(service), budget)
    return budget


def build(lab: labkit.Lab) -> None:
    labs.ensure_upto(lab, "02")  # VPCs, instances (and their instance profile), flow log, peering


def tagged_left(lab: labkit.Lab) -> dict[str, int]:
    """What still carries the lab's tag, read without teardown's own code."""
    ec2, iam = lab.ec2, lab.iam
    tag = {"Key": lab.TAG_KEY, "Value": lab.prefix}
    vpcs = [v["VpcId"] for v in ec2.describe_vpcs(Filters=lab.filters())["Vpcs"]]
    instances = [
        i
        for r in ec2.describe_instances(Filters=lab.filters())["Reservations"]
        for i in r["Instances"]
        if i["State"]["Name"] != "terminated"
    ]
    return {
        "vpcs": len(vpcs),
        "instances": len(instances),
        "subnets": len(ec2.describe_subnets(Filters=lab.filters())["Subnets"]),
        "flow logs": len(ec2.describe_flow_logs(Filters=lab.filters())["FlowLogs"]),
        "policies": sum(
            tag in iam.list_policy_tags(PolicyArn=p["Arn"])["Tags"]
            for p in iam.list_policies(Scope="Local")["Policies"]
        ),
        "roles": sum(
            tag in iam.list_role_tags(RoleName=r["RoleName"])["Tags"]
            for r in iam.list_roles()["Roles"]
        ),
        "instance profiles": sum(
            tag
            in iam.get_instance_profile(InstanceProfileName=p["InstanceProfileName"])[
                "InstanceProfile"
            ].get("Tags", [])
            for p in iam.list_instance_profiles()["InstanceProfiles"]
        ),
    }


def test_teardown_resumes_after_every_single_call(emulator: control.EmulatorInfo) -> None:
    """Interrupt after call 1, resume, interrupt after the next call, ... until done."""
    lab = connect(emulator, f"r{uuid.uuid4().hex[:6]}")
    build(lab)
    interruptions = 0
    for _ in range(200):
        with_faults(lab, 1)
        try:
            teardown.remove(lab)
            break
        except Interrupted:
            interruptions += 1
    assert interruptions >= 15, "every delete is a call: there must be many interruptions"
    lab._clients.clear()
    assert teardown.plan(lab) == []
    assert set(tagged_left(lab).values()) == {0}, tagged_left(lab)


@pytest.mark.parametrize("after", [1, 2, 3, 5, 8, 13, 21])
def test_teardown_interrupted_after_n_calls_then_resumed(
    emulator: control.EmulatorInfo, after: int
) -> None:
    lab = connect(emulator, f"n{uuid.uuid4().hex[:6]}")
    build(lab)
    with_faults(lab, after)
    with pytest.raises(Interrupted):
        teardown.remove(lab)
    lab._clients.clear()
    teardown.remove(lab)
    assert set(tagged_left(lab).values()) == {0}, tagged_left(lab)


def test_a_profile_emptied_before_an_interrupt_is_still_deleted(
    emulator: control.EmulatorInfo,
) -> None:
    """Interrupted right after RemoveRoleFromInstanceProfile, the resumed run still deletes it."""
    lab = connect(emulator, f"p{uuid.uuid4().hex[:6]}")
    build(lab)
    profiles = [d.resource_id for d in teardown.plan(lab) if d.kind == "instance profile"]
    assert profiles, "the lab's instance profile is found by its tag"
    for profile in profiles:
        for role in lab.iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"][
            "Roles"
        ]:
            lab.iam.remove_role_from_instance_profile(
                InstanceProfileName=profile, RoleName=role["RoleName"]
            )
    teardown.remove(lab)
    names = {p["InstanceProfileName"] for p in lab.iam.list_instance_profiles()["InstanceProfiles"]}
    assert not names & set(profiles)


def test_two_labs_side_by_side_and_a_prefix_of_the_other(emulator: control.EmulatorInfo) -> None:
    """Tearing down lab X leaves lab X-b whole, and X-b's own teardown then finishes."""
    name = f"s{uuid.uuid4().hex[:6]}"
    first, second = connect(emulator, name), connect(emulator, f"{name}-b")
    build(first)
    build(second)
    before = tagged_left(second)
    assert before["policies"] >= 1 and before["roles"] >= 1
    teardown.remove(first)
    assert set(tagged_left(first).values()) == {0}
    assert tagged_left(second) == before, "the other lab must be intact"
    teardown.remove(second)
    assert set(tagged_left(second).values()) == {0}


def test_no_interface_stays_in_use_in_a_deleted_vpc(emulator: control.EmulatorInfo) -> None:
    lab = connect(emulator, f"e{uuid.uuid4().hex[:6]}")
    build(lab)
    vpcs = [v["VpcId"] for v in lab.ec2.describe_vpcs(Filters=lab.filters())["Vpcs"]]
    teardown.remove(lab)
    left = lab.ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": vpcs}])
    assert left["NetworkInterfaces"] == []
