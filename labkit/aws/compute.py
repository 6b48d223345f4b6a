"""Idempotent builders for the lab's EC2 instances and their SSM instance profile."""

from __future__ import annotations

import ipaddress
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labkit.aws.shown import Card
from labkit.errors import LabkitError, NotFoundError

if TYPE_CHECKING:
    from labkit.aws.context import AwsContext
    from labkit.aws.network import Network

# The latest Amazon Linux 2023 AMI, read from AWS's public SSM parameter (the emulator has
# it too), so the same code picks a real image in every region.
# https://docs.aws.amazon.com/linux/al2023/ug/ec2.html#launch-via-aws-cli
AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
INSTANCE_TYPE = "t3.micro"  # free-tier eligible in most regions
HOST_INDEX = 10  # each instance takes the subnet's 10th address: 10.1.0.0/24 → 10.1.0.10
SSM_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
LIVE_STATES = ["pending", "running", "stopping", "stopped"]


@dataclass(frozen=True, repr=False)
class LabInstance(Card):
    """A lab instance: its Name tag, id, addresses and where it lives."""

    name: str
    instance_id: str
    private_ip: str
    public_ip: str | None
    subnet_id: str
    vpc_id: str
    state: str

    def _card(self) -> tuple[str, list[tuple[str, Any]]]:
        return f"{self.name} ({self.instance_id}): {self.state}", [
            ("private IP", self.private_ip),
            ("public IP", self.public_ip or "none"),
            ("subnet", self.subnet_id),
            ("VPC", self.vpc_id),
        ]


def _instance(raw: dict[str, Any]) -> LabInstance:
    tags = {t["Key"]: t["Value"] for t in raw.get("Tags", [])}
    return LabInstance(
        name=tags.get("Name", raw["InstanceId"]),
        instance_id=raw["InstanceId"],
        private_ip=raw.get("PrivateIpAddress", ""),
        public_ip=raw.get("PublicIpAddress"),
        subnet_id=raw.get("SubnetId", ""),
        vpc_id=raw.get("VpcId", ""),
        state=raw["State"]["Name"],
    )


def list_instances(lab: AwsContext) -> list[LabInstance]:
    """Every live instance of this lab, sorted by name."""
    with lab.call("listing the lab's instances"):
        pages = lab.ec2.get_paginator("describe_instances").paginate(
            Filters=lab.filters() + [{"Name": "instance-state-name", "Values": LIVE_STATES}]
        )
        found = [
            _instance(i) for page in pages for r in page["Reservations"] for i in r["Instances"]
        ]
    return sorted(found, key=lambda i: i.name)


def find_instance(lab: AwsContext, name_or_id: str) -> LabInstance:
    """The lab instance with this Name tag or id; NotFoundError lists the known names."""
    instances = list_instances(lab)
    for inst in instances:
        if name_or_id in (inst.name, inst.instance_id):
            return inst
    known = ", ".join(i.name for i in instances) or "none yet (run notebook 01)"
    raise NotFoundError(f"unknown instance {name_or_id!r}: the lab's instances are {known}")


def ensure_ssm_profile(lab: AwsContext) -> str:
    """An instance profile whose role lets SSM run commands on the instance; returns its name.

    https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-instance-permissions.html
    """
    return ensure_instance_role(lab, f"{lab.prefix}-ec2-ssm")


def ensure_instance_role(
    lab: AwsContext, name: str, inline: tuple[str, dict[str, Any]] | None = None
) -> str:
    """A role EC2 can assume, with SSM's managed policy attached (and the ``inline``
    policy, as (name, document), if given), in a same-named instance profile; returns
    the profile's name. Idempotent: what exists is kept, what is missing is added."""
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
        if inline is not None:
            iam.put_role_policy(
                RoleName=name, PolicyName=inline[0], PolicyDocument=json.dumps(inline[1])
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


def ensure_instance(lab: AwsContext, name: str, network: Network, wait: bool = True) -> LabInstance:
    """The instance ``name`` in the network's public subnet, with a public IP and SSM access.

    Parameters
    ----------
    name: its Name tag, e.g. "Instance 1".
    network: where it runs (from ``ensure_public_network``).
    wait: wait until it is running, printing progress.

    Returns
    -------
    The :class:`LabInstance`, with its private and public IPs.
    """
    try:
        inst = find_instance(lab, name)
    except NotFoundError:
        inst = _launch(lab, name, network)
    if wait and inst.state == "pending":
        inst = wait_running(lab, inst)
    return inst


def _launch(lab: AwsContext, name: str, network: Network) -> LabInstance:
    profile = ensure_ssm_profile(lab)
    private_ip = str(ipaddress.ip_network(network.subnet_cidr)[HOST_INDEX])
    with lab.call(f"launching {name}"):
        image = lab.ssm.get_parameter(Name=AMI_PARAMETER)["Parameter"]["Value"]
        raw = lab.ec2.run_instances(
            ImageId=image,
            InstanceType=INSTANCE_TYPE,
            MinCount=1,
            MaxCount=1,
            IamInstanceProfile={"Name": profile},
            NetworkInterfaces=[
                {
                    "DeviceIndex": 0,
                    "SubnetId": network.subnet_id,
                    "Groups": [network.security_group_id],
                    "AssociatePublicIpAddress": True,
                    "PrivateIpAddress": private_ip,
                }
            ],
            TagSpecifications=lab.tag_spec("instance", name),
        )["Instances"][0]
    return _instance(raw)


def wait_running(lab: AwsContext, inst: LabInstance, timeout_s: float = 600) -> LabInstance:
    """Wait until the instance runs, printing progress every 10 s; returns it, refreshed."""
    started = time.monotonic()
    said = 0.0
    while True:
        with lab.call(f"waiting for {inst.name}"):
            raw = lab.ec2.describe_instances(InstanceIds=[inst.instance_id])
        current = _instance(raw["Reservations"][0]["Instances"][0])
        waited = time.monotonic() - started
        if current.state == "running":
            if waited > 1:
                print(f"{inst.name} is running after {waited:.0f} s")
            return current
        if current.state not in ("pending",):
            raise LabkitError(f"{inst.name} is {current.state}, not running; start it again")
        if waited > timeout_s:
            raise LabkitError(f"{inst.name} is still pending after {timeout_s:.0f} s")
        if waited - said >= 10:
            print(f"waiting for {inst.name} to start… {waited:.0f} s")
            said = waited
        time.sleep(2 if lab.backend == "aws" else 0.1)
