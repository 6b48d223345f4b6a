"""The echo of AWS calls: one call line, a CLI equivalent the real AWS CLI parses, an answer.

Runs against the emulator's app served in this process (``inproc_emulator_url``).
"""

from __future__ import annotations

import argparse
import shlex
import uuid
from typing import Any

import botocore.session
import pytest

import labkit
from labkit.aws.echo import cli_line

CLI_PREFIX = "  $ "


@pytest.fixture
def quiet_lab(inproc_emulator_url: str) -> labkit.Lab:
    """A Lab on the in-process emulator, echo off, with a prefix of its own."""
    return labkit.connect(
        "local", endpoint_url=inproc_emulator_url, prefix=f"e{uuid.uuid4().hex[:8]}"
    )


def _vpc(lab: labkit.Lab, name: str, cidr: str) -> dict[str, Any]:
    return dict(
        lab.ec2.create_vpc(CidrBlock=cidr, TagSpecifications=lab.tag_spec("vpc", name))["Vpc"]
    )


def _aws_cli_params(command: str) -> dict[str, Any]:
    """Parse an ``aws <service> <operation> --...`` line with the AWS CLI's own parser.

    Returns the API parameters the CLI would send; fails if the CLI rejects any option.
    """
    from awscli.argparser import ArgTableArgParser
    from awscli.clidriver import create_clidriver

    words = shlex.split(command)
    assert words[0] == "aws"
    service = create_clidriver()._get_command_table()[words[1]]
    operation = service._get_command_table()[words[2]]
    parsed, unknown = ArgTableArgParser(operation.arg_table).parse_known_args(words[3:])
    assert unknown == [], f"the AWS CLI does not know {unknown} in: {command}"
    return dict(operation._build_call_parameters(parsed, operation.arg_table, argparse.Namespace()))


def test_each_call_prints_the_call_its_cli_equivalent_and_the_answer(
    quiet_lab: labkit.Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    lab = quiet_lab
    lab.echo_calls = True
    vpc = _vpc(lab, "VPC 1", "10.1.0.0/16")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("→ ec2.CreateVpc(CidrBlock='10.1.0.0/16', TagSpecifications=")
    assert lines[1].startswith(f"{CLI_PREFIX}aws ec2 create-vpc --cidr-block 10.1.0.0/16 ")
    assert lines[2] == f'← Vpc {vpc["VpcId"]} "VPC 1": state available, 10.1.0.0/16'


def test_the_peering_answer_names_both_vpcs(
    quiet_lab: labkit.Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    lab = quiet_lab
    one, two = _vpc(lab, "VPC 1", "10.1.0.0/16"), _vpc(lab, "VPC 2", "10.2.0.0/16")
    lab.echo_calls = True
    lab.ec2.create_vpc_peering_connection(
        VpcId=one["VpcId"],
        PeerVpcId=two["VpcId"],
        TagSpecifications=lab.tag_spec("vpc-peering-connection", "VPC 1 to VPC 2"),
    )
    answer = capsys.readouterr().out.splitlines()[-1]
    assert answer.startswith("← VpcPeeringConnection pcx-")
    assert f"VPC 1 ({one['VpcId']}) → VPC 2 ({two['VpcId']})" in answer


def test_secrets_are_masked_in_calls_cli_lines_and_answers(
    quiet_lab: labkit.Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    lab = quiet_lab
    lab.echo_calls = True
    user = f"{lab.prefix}-user"
    lab.iam.create_user(UserName=user)
    key = lab.iam.create_access_key(UserName=user)["AccessKey"]
    lab.iam.create_login_profile(UserName=user, Password="Sup3r-s3cret-pw!")
    out = capsys.readouterr().out
    assert key["SecretAccessKey"] not in out
    assert key["AccessKeyId"] not in out
    assert "****************" + key["AccessKeyId"][-4:] in out
    assert "Sup3r-s3cret-pw!" not in out
    assert "--password '****'" in out or "--password ****" in out


def test_echo_off_prints_nothing(quiet_lab: labkit.Lab, capsys: pytest.CaptureFixture[str]) -> None:
    _vpc(quiet_lab, "VPC 1", "10.1.0.0/16")
    quiet_lab.echo_calls = True
    quiet_lab.echo_calls = False
    _vpc(quiet_lab, "VPC 2", "10.2.0.0/16")
    assert capsys.readouterr().out == ""


def test_clients_made_before_and_after_turning_it_on_both_echo(
    quiet_lab: labkit.Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    ec2 = quiet_lab.ec2  # made while the echo is off
    quiet_lab.echo_calls = True
    ec2.describe_vpcs(Filters=quiet_lab.filters())
    quiet_lab.logs.describe_log_groups(logGroupNamePrefix=quiet_lab.prefix)  # made after
    calls = [line for line in capsys.readouterr().out.splitlines() if line.startswith("→")]
    assert [c.split("(")[0] for c in calls] == ["→ ec2.DescribeVpcs", "→ logs.DescribeLogGroups"]


def test_helpers_echo_their_changes_and_checks_stay_silent(
    quiet_lab: labkit.Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    lab = quiet_lab
    lab.echo_calls = True
    labkit.Lab1().network(lab, 1)
    calls = [line.split("(")[0] for line in capsys.readouterr().out.splitlines() if "→" in line]
    assert calls == [
        "→ ec2.CreateVpc",
        "→ ec2.ModifyVpcAttribute",
        "→ ec2.CreateSubnet",
        "→ ec2.ModifySubnetAttribute",
        "→ ec2.CreateInternetGateway",
        "→ ec2.AttachInternetGateway",
        "→ ec2.CreateRoute",
        "→ ec2.CreateSecurityGroup",
        "→ ec2.AuthorizeSecurityGroupIngress",
    ]
    result = labkit.checks.public_network(lab, "01.1", "VPC 1", "10.1.0.0/16", "10.1.0.0/24")
    assert capsys.readouterr().out == ""
    assert str(result).startswith("step 01.1 ok")


def test_cli_equivalents_of_real_lab_calls_parse_back_to_the_same_call(
    quiet_lab: labkit.Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    lab = quiet_lab
    one, two = _vpc(lab, "VPC 1", "10.1.0.0/16"), _vpc(lab, "VPC 2", "10.2.0.0/16")
    table = lab.ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [one["VpcId"]]}])
    lab.logs.create_log_group(logGroupName=lab.prefix)
    lab.echo_calls = True
    calls: list[dict[str, Any]] = [
        dict(VpcId=one["VpcId"], PeerVpcId=two["VpcId"]),
        dict(VpcIds=[one["VpcId"], two["VpcId"]], Filters=lab.filters()),
        dict(VpcId=one["VpcId"], EnableDnsHostnames={"Value": True}),
        dict(DryRun=False, VpcIds=[one["VpcId"]]),
    ]
    pcx = lab.ec2.create_vpc_peering_connection(**calls[0])["VpcPeeringConnection"]
    lab.ec2.describe_vpcs(**calls[1])
    lab.ec2.modify_vpc_attribute(**calls[2])
    lab.ec2.describe_vpcs(**calls[3])
    route = dict(
        RouteTableId=table["RouteTables"][0]["RouteTableId"],
        DestinationCidrBlock="10.2.0.0/16",
        VpcPeeringConnectionId=pcx["VpcPeeringConnectionId"],
    )
    lab.ec2.create_route(**route)
    query = dict(logGroupName=lab.prefix, startTime=1, endTime=2, queryString="stats count(*)")
    lab.logs.start_query(**query)
    clis = [
        line[len(CLI_PREFIX) :]
        for line in capsys.readouterr().out.splitlines()
        if line.startswith(CLI_PREFIX)
    ]
    assert [_aws_cli_params(c) for c in clis] == [*calls, route, query]


@pytest.mark.parametrize(
    ("service", "operation", "params"),
    [
        ("iam", "CreatePolicy", {"PolicyName": "p", "PolicyDocument": '{"Version": "2012-10-17"}'}),
        (
            "ssm",
            "SendCommand",
            {
                "InstanceIds": ["i-0123456789abcdef0"],
                "DocumentName": "AWS-RunShellScript",
                "Parameters": {"commands": ["ping -c 3 10.2.0.10"]},
                "TimeoutSeconds": 30,
            },
        ),
        (
            "ec2",
            "AuthorizeSecurityGroupIngress",
            {
                "GroupId": "sg-0123456789abcdef0",
                "IpPermissions": [
                    {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": []}
                ],
            },
        ),
        ("ec2", "CreateVpc", {"CidrBlock": "10.1.0.0/16", "AmazonProvidedIpv6CidrBlock": True}),
    ],
)
def test_cli_equivalents_from_the_service_model_parse(
    service: str, operation: str, params: dict[str, Any]
) -> None:
    model = botocore.session.get_session().get_service_model(service)
    line = cli_line(service, model.operation_model(operation), params)
    assert _aws_cli_params(line) == params


def test_a_secret_parameter_is_masked_in_the_cli_line() -> None:
    model = botocore.session.get_session().get_service_model("iam")
    line = cli_line(
        "iam", model.operation_model("CreateLoginProfile"), {"UserName": "u", "Password": "pw-1"}
    )
    assert line == "aws iam create-login-profile --user-name u --password '****'"


def test_answer_lines_read_like_a_sentence() -> None:
    from labkit.aws.summary import answer_line

    reservation = {
        "Reservations": [
            {
                "ReservationId": "r-1",
                "Instances": [
                    {
                        "InstanceId": "i-1",
                        "State": {"Code": 16, "Name": "running"},
                        "PrivateIpAddress": "10.1.0.10",
                        "Tags": [{"Key": "Name", "Value": "Instance 1"}],
                    }
                ],
            }
        ],
        "ResponseMetadata": {"RequestId": "x"},
    }
    assert answer_line(reservation) == (
        '1 Reservations: Reservation r-1: 1 Instances: Instance i-1 "Instance 1": '
        "state running, 10.1.0.10"
    )
    stats = {"results": [[], []], "statistics": {"recordsMatched": 2.0}, "status": "Complete"}
    assert answer_line(stats) == "2 results; statistics: recordsMatched 2.0; status Complete"
    assert answer_line({"ResponseMetadata": {}}) == "ok"


def test_a_secure_string_value_is_never_summarised() -> None:
    from labkit.aws.summary import answer_line

    plain = {"Parameter": {"Name": "/ami", "Type": "String", "Value": "ami-123"}}
    secure = {"Parameter": {"Name": "/db", "Type": "SecureString", "Value": "hunter2"}}
    assert answer_line(plain) == "Parameter /ami: ami-123"
    assert "hunter2" not in answer_line(secure)


def test_all_also_echoes_the_lookups_helpers_make(
    quiet_lab: labkit.Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    _vpc(quiet_lab, "VPC 1", "10.1.0.0/16")
    quiet_lab.echo_calls = "all"
    assert quiet_lab.echo_calls == "all"
    found = quiet_lab.existing("vpc", "VPC 1")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("→ ec2.DescribeVpcs(Filters=")
    vpc = f'Vpc {found["VpcId"]} "VPC 1": state available, 10.1.0.0/16'
    assert lines[-1] == f"= {vpc} (found: it exists already)"
    with pytest.raises(labkit.LabkitError, match="echo_calls='loud': use True, False or 'all'"):
        quiet_lab.echo_calls = "loud"


def test_before_first_change_runs_its_hook_once_before_the_first_changing_call(
    quiet_lab: labkit.Lab,
) -> None:
    """The setup lists the lab only when a step is about to change it (labs.ensure_upto)."""
    lab = quiet_lab
    seen: list[int] = []

    def hook() -> None:  # what the lab holds just before the change
        seen.append(len(lab.ec2.describe_vpcs(Filters=lab.filters())["Vpcs"]))

    with lab.before_first_change(hook):
        lab.ec2.describe_vpcs(Filters=lab.filters())
        lab.ec2.describe_subnets(Filters=lab.filters())
    assert seen == []  # reads only: no hook
    with lab.before_first_change(hook):
        _vpc(lab, "VPC 1", "10.1.0.0/16")
        _vpc(lab, "VPC 2", "10.2.0.0/16")
    assert seen == [0]  # once, before the first VPC existed
    _vpc(lab, "VPC 3", "10.3.0.0/16")
    assert seen == [0]  # the block is over: no hook
