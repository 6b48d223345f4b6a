"""Benchmark: an `aws s3 ls s3://BUCKET` on an instance over SSM, end to end, against the same
AWS CLI run directly against the emulator from the host, in the same run.

End to end = SendCommand (the emulator maps paths, checks settings, starts the sandboxed
CLI, which signs its requests with the instance's token and passes S3 enforcement) +
GetCommandInvocation. The baseline is `python -m awscli s3 ls s3://BUCKET` on the host with
the same keys and the same emulator, in a plain subprocess: the CLI's own start-up and the
request. The ratio says what the instance machinery adds.

Run: `python -m benchmarks.lab2 [--repeat 5]`. Results: benchmarks/results/lab2.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

from labkit.emulator import control

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "benchmarks" / "results"
BUCKET = "bench-lab2"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


def _client(url: str, service: str) -> object:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _instance(url: str) -> str:
    ec2 = _client(url, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]  # type: ignore[attr-defined]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.0.0/24")["Subnet"]["SubnetId"]  # type: ignore[attr-defined]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]  # type: ignore[attr-defined]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)  # type: ignore[attr-defined]
    rtb = ec2.describe_route_tables(  # type: ignore[attr-defined]
        Filters=[{"Name": "vpc-id", "Values": [vpc]}]
    )["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)  # type: ignore[attr-defined]
    return str(
        ec2.run_instances(  # type: ignore[attr-defined]
            ImageId="ami-12345678",
            MinCount=1,
            MaxCount=1,
            NetworkInterfaces=[
                {"DeviceIndex": 0, "SubnetId": subnet, "AssociatePublicIpAddress": True}
            ],
        )["Instances"][0]["InstanceId"]
    )


def _keys(url: str) -> dict[str, str]:
    iam = _client(url, "iam")
    iam.create_user(UserName="bench")  # type: ignore[attr-defined]
    iam.put_user_policy(UserName="bench", PolicyName="s3", PolicyDocument=json.dumps(POLICY))  # type: ignore[attr-defined]
    key = iam.create_access_key(UserName="bench")["AccessKey"]  # type: ignore[attr-defined]
    return {"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


def _over_ssm(url: str, instance: str, line: str) -> tuple[float, str]:
    ssm = _client(url, "ssm")
    started = time.perf_counter()
    sent = ssm.send_command(  # type: ignore[attr-defined]
        InstanceIds=[instance],
        DocumentName="AWS-RunShellScript",
        Parameters={"commands": [line]},
    )["Command"]
    answer = ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId=instance)  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - started
    if answer["ResponseCode"] != 0:
        raise SystemExit(f"the command failed on the instance: {answer['StandardErrorContent']}")
    return elapsed, str(answer["StandardOutputContent"])


def _on_host(url: str, keys: dict[str, str], home: Path) -> tuple[float, str]:
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_ACCESS_KEY_ID": keys["id"],
        "AWS_SECRET_ACCESS_KEY": keys["secret"],
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
    }
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "awscli", "s3", "ls", f"s3://{BUCKET}", "--endpoint-url", url],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the host CLI failed: {done.stderr.strip()}")
    return elapsed, done.stdout


def main(argv: list[str] | None = None) -> int:
    """Measure both, alternating, and write benchmarks/results/lab2.json."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lab2")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        os.environ["LABKIT_HOME"] = str(home / "labkit")
        info = control.start(port=0, home=home / "labkit")
        try:
            url = info.url
            s3 = _client(url, "s3")
            s3.create_bucket(Bucket=BUCKET)  # type: ignore[attr-defined]
            for n in range(4):
                s3.put_object(Bucket=BUCKET, Key=f"object-{n}.txt", Body=b"x")  # type: ignore[attr-defined]
            instance, keys = _instance(url), _keys(url)
            configure = (
                f"aws configure set aws_access_key_id {keys['id']} && "
                f"aws configure set aws_secret_access_key {keys['secret']}"
            )
            _over_ssm(url, instance, configure)
            _over_ssm(url, instance, f"aws s3 ls s3://{BUCKET}")  # warm both paths once
            _on_host(url, keys, home)
            ssm_times, host_times = [], []
            for _ in range(args.repeat):
                elapsed, out = _over_ssm(url, instance, f"aws s3 ls s3://{BUCKET}")
                assert out.count("object-") == 4, out
                ssm_times.append(elapsed)
                elapsed, out = _on_host(url, keys, home)
                assert out.count("object-") == 4, out
                host_times.append(elapsed)
            # No path to S3: the same command fails at once (one attempt, a closed port).
            ec2 = _client(url, "ec2")
            rtb = ec2.describe_route_tables(  # type: ignore[attr-defined]
                Filters=[{"Name": "route.destination-cidr-block", "Values": ["0.0.0.0/0"]}]
            )["RouteTables"][0]["RouteTableId"]
            ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0")  # type: ignore[attr-defined]
            started = time.perf_counter()
            ssm = _client(url, "ssm")
            sent = ssm.send_command(  # type: ignore[attr-defined]
                InstanceIds=[instance],
                DocumentName="AWS-RunShellScript",
                Parameters={"commands": [f"aws s3 ls s3://{BUCKET}"]},
            )["Command"]
            failed = ssm.get_command_invocation(  # type: ignore[attr-defined]
                CommandId=sent["CommandId"], InstanceId=instance
            )
            no_path_s = time.perf_counter() - started
            assert "Could not connect" in failed["StandardErrorContent"], failed
        finally:
            control.stop(home / "labkit")
    ssm_median, host_median = statistics.median(ssm_times), statistics.median(host_times)
    result = {
        "repeat": args.repeat,
        "instance_over_ssm_s": [round(t, 3) for t in ssm_times],
        "host_cli_s": [round(t, 3) for t in host_times],
        "instance_over_ssm_median_s": round(ssm_median, 3),
        "host_cli_median_s": round(host_median, 3),
        "ratio": round(ssm_median / host_median, 2),
        "no_path_failure_s": round(no_path_s, 3),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "lab2.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"aws s3 ls on an instance over SSM: median {ssm_median:.2f} s; "
        f"the same CLI from the host: {host_median:.2f} s; ratio {ssm_median / host_median:.2f}; "
        f"with no path to S3 it fails in {no_path_s:.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
