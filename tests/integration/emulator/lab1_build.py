"""Build the Lab 1 story through boto3, for the emulator tests (not a test module)."""

from __future__ import annotations

import json
from typing import Any

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
        }
    ],
}


def build_lab1(aws: Any) -> dict[str, Any]:
    """Two public VPCs with an instance each, and a flow log on VPC 1 to CloudWatch Logs."""
    ec2, ids = aws("ec2"), {}
    for n in (1, 2):
        vpc = ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{n}.0.0/24")["Subnet"]["SubnetId"]
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        sg = ec2.create_security_group(GroupName=f"sg{n}", Description="lab", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=sg,
            IpPermissions=[
                {
                    "IpProtocol": "icmp",
                    "FromPort": -1,
                    "ToPort": -1,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                },
                {
                    "IpProtocol": "tcp",
                    "FromPort": 22,
                    "ToPort": 22,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                },
            ],
        )
        inst = ec2.run_instances(
            ImageId="ami-12345678",
            MinCount=1,
            MaxCount=1,
            InstanceType="t3.micro",
            NetworkInterfaces=[
                {
                    "DeviceIndex": 0,
                    "SubnetId": subnet,
                    "Groups": [sg],
                    "AssociatePublicIpAddress": True,
                }
            ],
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": f"Instance {n}"}]}
            ],
        )["Instances"][0]
        ids.update(
            {
                f"vpc{n}": vpc,
                f"rtb{n}": rtb,
                f"igw{n}": igw,
                f"i{n}": inst["InstanceId"],
                f"eni{n}": inst["NetworkInterfaces"][0]["NetworkInterfaceId"],
                f"ip{n}": inst["PrivateIpAddress"],
            }
        )
    described = ec2.describe_instances(InstanceIds=[ids["i1"], ids["i2"]])["Reservations"]
    for res in described:
        for inst in res["Instances"]:
            n = 1 if inst["InstanceId"] == ids["i1"] else 2
            ids[f"public{n}"] = inst["PublicIpAddress"]
    logs, iam = aws("logs"), aws("iam")
    logs.create_log_group(logGroupName="lab1-flow-logs")
    role = iam.create_role(RoleName="flowlogs", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"][
        "Arn"
    ]
    ids["fl"] = ec2.create_flow_logs(
        ResourceIds=[ids["vpc1"]],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName="lab1-flow-logs",
        DeliverLogsPermissionArn=role,
    )["FlowLogIds"][0]
    return ids


def run(aws: Any, instance_id: str, *commands: str) -> dict[str, Any]:
    ssm = aws("ssm")
    sent = ssm.send_command(
        InstanceIds=[instance_id],
        DocumentName="AWS-RunShellScript",
        Parameters={"commands": list(commands)},
    )["Command"]
    return ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId=instance_id)
