"""No web page can drive the emulator: foreign origins, rebinding Hosts, unsigned requests.

Each test sends what a hostile page or a careless client would send, to a real emulator
process, and checks the answer a browser or an SDK would see.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.exceptions import ClientError

from labkit.emulator import control
from labkit.emulator.control import CLIENT_HEADER, HEALTH_PATH
from labkit.emulator.guard import GuardConfig, config_from_env
from labkit.errors import ConfigError

ATTACKER = "http://attacker.example"


def _send(
    url: str, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP request (the exact headers a browser or attacker would send)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host="Host" in headers, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def _signed_headers(url: str, service: str = "ec2", key: str = "testing") -> dict[str, str]:
    """The headers of a SigV4-signed DescribeVpcs, as boto3 would send them."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(
        "POST",
        url + "/",
        data=b"Action=DescribeVpcs&Version=2016-11-15",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    SigV4Auth(Credentials(key, "testing"), service, "us-east-1").add_auth(request)
    return {k: str(v) for k, v in request.headers.items()}


DESCRIBE = b"Action=DescribeVpcs&Version=2016-11-15"


def test_an_attacker_origin_is_refused_and_never_echoed(emulator: control.EmulatorInfo) -> None:
    headers = {**_signed_headers(emulator.url), "Origin": ATTACKER}
    status, answer, body = _send(emulator.url, "POST", "/", headers, DESCRIBE)
    assert status == 403
    assert "access-control-allow-origin" not in answer
    assert b"AccessDenied" in body and b"attacker.example" in body


def test_an_attacker_preflight_is_refused(emulator: control.EmulatorInfo) -> None:
    status, answer, _ = _send(
        emulator.url,
        "OPTIONS",
        "/",
        {
            "Origin": ATTACKER,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,x-amz-target",
        },
    )
    assert status == 403
    assert not any(name.startswith("access-control-") for name in answer)


def test_the_emulators_own_origin_passes_the_preflight(emulator: control.EmulatorInfo) -> None:
    own = emulator.url
    status, answer, _ = _send(
        emulator.url,
        "OPTIONS",
        "/",
        {"Origin": own, "Access-Control-Request-Method": "POST"},
    )
    assert status == 204
    assert answer["access-control-allow-origin"] == own


def test_moto_cors_headers_are_replaced_by_ours(emulator: control.EmulatorInfo) -> None:
    headers = {**_signed_headers(emulator.url), "Origin": emulator.url}
    status, answer, body = _send(emulator.url, "POST", "/", headers, DESCRIBE)
    assert status == 200, body
    assert answer["access-control-allow-origin"] == emulator.url
    assert "access-control-allow-headers" not in answer  # flask-cors's "allow anything"


def test_an_image_tag_from_another_site_is_refused(emulator: control.EmulatorInfo) -> None:
    """No Origin (an <img> or a navigation) but the browser says it comes from another site."""
    headers = {**_signed_headers(emulator.url), "Sec-Fetch-Site": "cross-site"}
    status, _, _ = _send(emulator.url, "POST", "/", headers, DESCRIBE)
    assert status == 403
    headers = {**_signed_headers(emulator.url), "Referer": ATTACKER + "/page.html"}
    assert _send(emulator.url, "POST", "/", headers, DESCRIBE)[0] == 403


@pytest.mark.parametrize("host", ["attacker.example:{port}", "127.0.0.1:1", "10.0.0.5:{port}"])
def test_a_rebinding_host_is_refused(emulator: control.EmulatorInfo, host: str) -> None:
    headers = {**_signed_headers(emulator.url), "Host": host.format(port=emulator.port)}
    status, _, body = _send(emulator.url, "POST", "/", headers, DESCRIBE)
    assert status == 403
    assert b"not this emulator" in body
    status, _, _ = _send(
        emulator.url,
        "GET",
        HEALTH_PATH,
        {"Host": host.format(port=emulator.port), CLIENT_HEADER: "1"},
    )
    assert status == 403


@pytest.mark.parametrize("host", ["localhost:{port}", "[::1]:{port}", "127.0.0.1:{port}"])
def test_loopback_names_are_answered(emulator: control.EmulatorInfo, host: str) -> None:
    headers = {**_signed_headers(emulator.url), "Host": host.format(port=emulator.port)}
    assert _send(emulator.url, "POST", "/", headers, DESCRIBE)[0] == 200


def test_an_unsigned_request_gets_aws_error_shapes(emulator: control.EmulatorInfo) -> None:
    status, _, body = _send(emulator.url, "GET", "/", {})
    assert status == 403
    assert b"<Code>AccessDenied</Code>" in body and b"<Buckets>" not in body
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, body = _send(emulator.url, "POST", "/", form, DESCRIBE)
    assert status == 403
    assert b"<Response><Errors><Error><Code>MissingAuthenticationToken</Code>" in body
    status, _, body = _send(
        emulator.url,
        "POST",
        "/",
        {
            "X-Amz-Target": "Logs_20140328.DescribeLogGroups",
            "Content-Type": "application/x-amz-json-1.1",
        },
        b"{}",
    )
    assert status == 403
    assert b'"__type": "MissingAuthenticationToken"' in body


def test_an_unknown_access_key_is_refused(emulator: control.EmulatorInfo) -> None:
    session = boto3.Session(
        aws_access_key_id="EXAMPLEUNKNOWNKEY002", aws_secret_access_key="x", region_name="us-east-1"
    )
    with pytest.raises(ClientError) as err:
        session.client("s3", endpoint_url=emulator.url).list_buckets()
    assert err.value.response["Error"]["Code"] == "InvalidAccessKeyId"
    with pytest.raises(ClientError) as err:
        session.client("ec2", endpoint_url=emulator.url).describe_vpcs()
    assert err.value.response["Error"]["Code"] == "AuthFailure"


def test_a_presigned_url_counts_as_signed(emulator: control.EmulatorInfo) -> None:
    s3 = boto3.client("s3", endpoint_url=emulator.url, region_name="us-east-1")
    bucket = f"presigned-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"hello")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
    parts = urlsplit(url)
    status, _, body = _send(emulator.url, "GET", f"{parts.path}?{parts.query}", {})
    assert (status, body) == (200, b"hello")


def test_keys_made_by_the_labs_work(emulator: control.EmulatorInfo) -> None:
    iam = boto3.client("iam", endpoint_url=emulator.url, region_name="us-east-1")
    user = f"u{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    iam.put_user_policy(  # S3 now decides like AWS: the user needs a policy to list
        UserName=user,
        PolicyName="list",
        PolicyDocument='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",'
        ' "Action": "s3:ListAllMyBuckets",'
        ' "Resource": "*"}]}',
    )
    key = iam.create_access_key(UserName=user)["AccessKey"]
    session = boto3.Session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name="us-east-1",
    )
    assert "Buckets" in session.client("s3", endpoint_url=emulator.url).list_buckets()
    sts = boto3.client("sts", endpoint_url=emulator.url, region_name="us-east-1")
    creds = sts.assume_role(
        RoleArn="arn:aws:iam::123456789012:role/r", RoleSessionName="lab-session"
    )["Credentials"]
    assumed = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )
    assert "Vpcs" in assumed.client("ec2", endpoint_url=emulator.url).describe_vpcs()


def test_the_aws_cli_still_works(emulator: control.EmulatorInfo) -> None:
    aws = Path(sys.executable).parent / "aws"
    env = {**os.environ, "AWS_ENDPOINT_URL": emulator.url, "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run(
        [str(aws), "ec2", "describe-vpcs", "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert '"Vpcs"' in result.stdout


def test_internal_endpoints_need_labkits_header(emulator: control.EmulatorInfo) -> None:
    assert _send(emulator.url, "GET", HEALTH_PATH, {})[0] == 403
    assert _send(emulator.url, "POST", "/moto-api/reset", {})[0] == 403
    status, _, body = _send(emulator.url, "GET", HEALTH_PATH, {CLIENT_HEADER: "1"})
    assert status == 200 and b'"pid"' in body
    # a browser page cannot add either header without a preflight, which is refused
    preflight = {
        "Origin": ATTACKER,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": CLIENT_HEADER.lower(),
    }
    assert _send(emulator.url, "OPTIONS", HEALTH_PATH, preflight)[0] == 403


def test_a_region_that_does_not_exist_gets_aws_error_shape(emulator: control.EmulatorInfo) -> None:
    ec2 = boto3.client("ec2", endpoint_url=emulator.url, region_name="mars-1")
    with pytest.raises(ClientError) as err:
        ec2.describe_vpcs()
    assert err.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_a_crash_inside_moto_is_an_aws_internal_error(emulator: control.EmulatorInfo) -> None:
    """moto answers NotImplementedError with an HTML page; the emulator never does."""
    from botocore.config import Config

    ec2 = boto3.client(
        "ec2",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}),
    )
    with pytest.raises(ClientError) as err:
        ec2.create_network_insights_path(Source="i-1", Protocol="tcp")
    assert err.value.response["Error"]["Code"] == "InternalError"
    assert "html" not in str(err.value).lower()


def test_allowed_origins_come_from_the_environment() -> None:
    config = config_from_env(8000, {"LABKIT_ALLOWED_ORIGINS": "http://localhost:8888/"})
    assert config.origin_allowed("http://localhost:8888")
    assert config.origin_allowed("http://127.0.0.1:8000")
    assert not config.origin_allowed("http://localhost:9999")
    assert not GuardConfig(port=8000).origin_allowed(ATTACKER)
    with pytest.raises(ConfigError, match="not a local origin"):
        config_from_env(8000, {"LABKIT_ALLOWED_ORIGINS": "https://attacker.example"})


def _signed(url: str, service: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest("POST", url + "/", data=body, headers=headers)
    SigV4Auth(Credentials("testing", "testing"), service, "us-east-1").add_auth(request)
    return {k: str(v) for k, v in request.headers.items()}


@pytest.mark.parametrize(
    ("service", "headers", "body", "shape"),
    [
        (
            "logs",
            {
                "X-Amz-Target": "Logs_20140328.DescribeLogGroups",
                "Content-Type": "application/x-amz-json-1.1",
            },
            b"{not json",
            b'"__type"',
        ),
        (
            "ec2",
            {"Content-Type": "application/x-www-form-urlencoded"},
            b"Action=NoSuchAction&Version=2016-11-15",
            b"<Response><Errors><Error><Code>",
        ),
        (
            "ssm",
            {"X-Amz-Target": "AmazonSSM.SendCommand", "Content-Type": "application/x-amz-json-1.1"},
            b'{"DocumentName": "AWS-RunShellScript", "Parameters": {"commands": 5}}',
            b'"__type"',
        ),
    ],
)
def test_a_malformed_request_gets_an_aws_error_never_a_web_page(
    emulator: control.EmulatorInfo, service: str, headers: dict[str, str], body: bytes, shape: bytes
) -> None:
    status, answer, payload = _send(
        emulator.url, "POST", "/", _signed(emulator.url, service, body, headers), body
    )
    assert b"<html" not in payload.lower() and b"<!doctype" not in payload.lower()
    if status >= 400:
        assert shape in payload, payload[:300]
    else:  # moto may be lenient (it reads "{not json" as no parameters): an AWS answer still
        json.loads(payload)
