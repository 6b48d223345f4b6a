"""labkit.connect, the Lab 1 builders, and the clear errors a learner gets."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

import labkit
from labkit import labs
from labkit.aws import compute
from labkit.emulator import control
from labkit.errors import ConfigError, CredentialsError, EmulatorError, NotFoundError
from labkit.labs.lab1 import checks
from labkit.labs.lab1 import plan as lab1_plan


def count(lab: labkit.Lab) -> dict[str, int]:
    """How many of each lab resource exist, found by the lab's tag."""
    ec2 = lab.ec2
    return {
        "vpcs": len(ec2.describe_vpcs(Filters=lab.filters())["Vpcs"]),
        "subnets": len(ec2.describe_subnets(Filters=lab.filters())["Subnets"]),
        "igws": len(ec2.describe_internet_gateways(Filters=lab.filters())["InternetGateways"]),
        "instances": len(compute.list_instances(lab)),
        "flow_logs": len(ec2.describe_flow_logs(Filters=lab.filters())["FlowLogs"]),
        "routes": sum(
            len(t["Routes"])
            for t in ec2.describe_route_tables(
                Filters=[
                    {
                        "Name": "vpc-id",
                        "Values": [
                            v["VpcId"] for v in ec2.describe_vpcs(Filters=lab.filters())["Vpcs"]
                        ]
                        or ["none"],
                    }
                ]
            )["RouteTables"]
        ),
    }


def test_building_twice_creates_nothing_twice(lab: labkit.Lab) -> None:
    lab1_plan.build_lab1(lab, labkit.Lab1())
    first = count(lab)
    assert first == {
        "vpcs": 2,
        "subnets": 2,
        "igws": 2,
        "instances": 2,
        "flow_logs": 1,
        "routes": 4,
    }
    lab1_plan.build_lab1(lab, labkit.Lab1())
    assert count(lab) == first


def test_lab1_resources_are_what_the_lab_asks_for(lab: labkit.Lab) -> None:
    plan = labkit.Lab1()
    lab1_plan.build_lab1(lab, plan)
    one = compute.find_instance(lab, "Instance 1")
    two = compute.find_instance(lab, "Instance 2")
    assert (one.private_ip, two.private_ip) == ("10.1.0.10", "10.2.0.10")
    assert one.public_ip and two.public_ip and one.state == "running"
    assert repr(checks.public_network(lab, "01.1", "VPC 1", "10.1.0.0/16", "10.1.0.0/24")) == (
        "step 01.1 ok: VPC 1 10.1.0.0/16 has public subnet 10.1.0.0/24 with 0.0.0.0/0 → "
        "internet gateway"
    )
    assert "ALL traffic, 60 s" in repr(checks.flow_log(lab, "01.7", plan))
    group = lab.ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [one.vpc_id]},
            {"Name": "group-name", "Values": [f"{lab.prefix}-vpc-1-sg"]},
        ]
    )["SecurityGroups"][0]
    allowed = {(p["IpProtocol"], p.get("FromPort")) for p in group["IpPermissions"]}
    assert allowed == {("icmp", -1), ("tcp", 22)}
    role = lab.iam.get_role(RoleName=plan.role_name(lab))["Role"]
    trust = role["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}


def test_check_fails_with_a_hint_when_the_step_was_skipped(lab: labkit.Lab) -> None:
    with pytest.raises(labkit.CheckFailed, match=r"step 01.1 failed: VPC 1 does not exist.*Hint"):
        checks.public_network(lab, "01.1", "VPC 1", "10.1.0.0/16", "10.1.0.0/24")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"vpc_1_cidr": "10.1.0.0/33"}, "VPC_1_CIDR '10.1.0.0/33' is not a valid IPv4 CIDR"),
        ({"vpc_1_cidr": "10.1.0.1/16"}, "did you mean 10.1.0.0/16"),
        ({"vpc_1_cidr": "10.0.0.0/8"}, "between /16 and /28"),
        ({"subnet_2_cidr": "10.9.0.0/24"}, "SUBNET_2_CIDR '10.9.0.0/24' is not inside VPC_2_CIDR"),
        ({"vpc_2_cidr": "10.1.0.0/16", "subnet_2_cidr": "10.1.1.0/24"}, "overlaps"),
        ({"traffic_type": "SOME"}, "TRAFFIC_TYPE 'SOME'"),
        ({"aggregation_s": 30}, "60 or 600"),
    ],
)
def test_bad_parameters_are_refused_before_anything_is_built(
    lab: labkit.Lab, params: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        lab1_plan.build_lab1(lab, labkit.Lab1(**params))  # type: ignore[arg-type]
    assert count(lab)["vpcs"] == 0


def test_overlapping_subnet_is_one_clear_error_and_builds_nothing_more(lab: labkit.Lab) -> None:
    vpc = lab.ec2.create_vpc(
        CidrBlock="10.1.0.0/16", TagSpecifications=lab.tag_spec("vpc", "VPC 1")
    )
    lab.ec2.create_subnet(VpcId=vpc["Vpc"]["VpcId"], CidrBlock="10.1.0.0/20")
    with pytest.raises(ConfigError, match=r"creating VPC 1 public subnet.*InvalidSubnet.Conflict"):
        labkit.Lab1().network(lab, 1)
    assert count(lab)["igws"] == 0


def test_unknown_instance_lists_the_known_ones(lab: labkit.Lab) -> None:
    labkit.Lab1().instance(lab, 1)
    with pytest.raises(NotFoundError, match="unknown instance 'Instance 9'.*Instance 1"):
        compute.find_instance(lab, "Instance 9")


def test_unknown_backend_and_region_and_prefix(emulator: control.EmulatorInfo) -> None:
    with pytest.raises(ConfigError, match="unknown backend 'azure'"):
        labkit.connect("azure")
    with pytest.raises(ConfigError, match="unknown region 'us-east-9'.*us-east-1"):
        labkit.connect("local", region="us-east-9", endpoint_url=emulator.url)
    with pytest.raises(ConfigError, match="prefix"):
        labkit.connect("local", prefix="no spaces", endpoint_url=emulator.url)


def test_aws_backend_without_credentials_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(CredentialsError, match="no AWS credentials found.*aws configure"):
        labkit.connect("aws")
    with pytest.raises(CredentialsError, match="missing-profile"):
        labkit.connect("aws", profile="missing-profile")


def test_dead_emulator_mid_notebook_is_one_clear_line(tmp_path: Path) -> None:
    info = control.start(home=tmp_path)
    try:
        lab = labkit.connect("local", endpoint_url=info.url, prefix="dead")
        labkit.Lab1().network(lab, 1)
    finally:
        control.stop(tmp_path)
    with pytest.raises(EmulatorError, match=r"emulator at http://127.0.0.1:\d+ is not answering"):
        labkit.Lab1().network(lab, 2)


def test_connect_starts_the_emulator_on_demand(tmp_path: Path) -> None:
    code = "import labkit; lab = labkit.connect('local'); print(lab.endpoint_url)"
    env = dict(os.environ, LABKIT_HOME=str(tmp_path))
    try:
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout.strip()
        running = control.status(tmp_path)
        assert running is not None and out == running.url
    finally:
        control.stop(tmp_path)


def test_every_resource_carries_the_lab_tag(lab: labkit.Lab) -> None:
    labkit.Lab1().instance(lab, 1)
    inst = compute.find_instance(lab, "Instance 1")
    raw = lab.ec2.describe_instances(InstanceIds=[inst.instance_id])["Reservations"][0]
    tags = {t["Key"]: t["Value"] for t in raw["Instances"][0]["Tags"]}
    assert tags == {"labkit-lab": lab.prefix, "Name": "Instance 1"}


def test_ensure_adopts_what_notebook_01_built_with_other_parameters(lab: labkit.Lab) -> None:
    custom = labkit.Lab1(vpc_2_cidr="10.20.0.0/16", subnet_2_cidr="10.20.5.0/24")
    lab1_plan.build_lab1(lab, custom)
    before = count(lab)
    labs.ensure_upto(lab, "01")  # what notebook 02's setup cell does, with no parameters
    assert count(lab) == before
    assert labkit.Lab1.from_lab(lab) == dataclasses.replace(
        custom, log_group_name=f"{lab.prefix}-vpc-flow-logs"
    )


def test_ensure_rejects_an_unknown_step(lab: labkit.Lab) -> None:
    with pytest.raises(ConfigError, match="ensure='07': known steps are 01, 02"):
        labs.ensure_upto(lab, "07")


def test_teardown_removes_everything_tagged_and_nothing_else(lab: labkit.Lab) -> None:
    labs.ensure_upto(lab, "02")
    other = lab.ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]  # not the lab's
    planned = lab.teardown_plan()
    kinds = [row[0] for row in planned.rows]
    assert kinds.count("instance") == 2 and kinds.count("VPC") == 2
    assert "peering connection" in kinds and "log group" in kinds and "IAM policy" in kinds
    assert lab.teardown().rows == planned.rows
    assert count(lab) == {
        "vpcs": 0,
        "subnets": 0,
        "igws": 0,
        "instances": 0,
        "flow_logs": 0,
        "routes": 0,
    }
    assert repr(checks.nothing_left(lab, "99")) == (
        f"step 99 ok: nothing tagged labkit-lab={lab.prefix} is left"
    )
    assert lab.ec2.describe_vpcs(VpcIds=[other])["Vpcs"], "an untagged VPC must survive"
    assert lab.teardown().rows == ()  # a second teardown finds nothing and fails on nothing


def test_setup_puts_the_lab_where_the_notebook_starts_and_says_what_it_changed(
    lab: labkit.Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    labs.ensure_upto(lab, "02")  # notebook 02 has run once: peered, with routes
    # Notebook 02's setup again: the peering and its routes go, one line each.
    labkit.connect("local", endpoint_url=lab.endpoint_url, prefix=lab.prefix, ensure="01")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3, lines
    assert all(ln.startswith("setup: removed ") for ln in lines)
    assert all(ln.endswith("which a previous run of notebook 02 made") for ln in lines)
    assert sum("the route VPC" in ln for ln in lines) == 2
    assert any("the peering connection VPC 1 ↔ VPC 2 (pcx-" in ln for ln in lines)
    assert not lab.reach("Instance 1", "10.2.0.10").verdict.reachable
    assert count(lab)["instances"] == 2  # notebook 01's resources stay
    assert labs.ensure_upto(lab, "01") == []  # in that state already: nothing to say
    # Notebook 03's setup: 02's peering is built back, saying so.
    lines = labs.ensure_upto(lab, "02")
    assert any(ln.startswith("built peering connection VPC 1 ↔ VPC 2") for ln in lines), lines
    assert sum(ln.startswith("built the route VPC") for ln in lines) == 2, lines
    assert all(ln.endswith("which notebook 02 makes") for ln in lines)
    assert lab.reach("Instance 1", "10.2.0.10").verdict.reachable


def test_setup_on_an_empty_lab_lists_what_it_built(lab: labkit.Lab) -> None:
    lines = labs.ensure_upto(lab, "01")
    built = " | ".join(lines)
    expected = ("VPC VPC 1", "VPC VPC 2", "instance Instance 1", "instance Instance 2", "flow log")
    for what in expected:
        assert what in built, built
    assert all(ln.endswith("which notebook 01 makes") for ln in lines)
