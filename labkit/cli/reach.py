"""``labkit reach``: explain whether one instance can reach another, on a live configuration."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from labkit.errors import CredentialsError, EmulatorError, LabkitError
from labkit.netsim import discover, reach


def register(subparsers: Any) -> None:
    """Add the ``reach`` subcommand to the ``labkit`` argument parser."""
    parser = subparsers.add_parser(
        "reach",
        help="explain whether SRC can reach DST (like Reachability Analyzer)",
        description="Read the VPC configuration with describe_* calls and explain whether SRC "
        "reaches DST, hop by hop, naming the component that blocks the traffic.",
    )
    parser.add_argument(
        "--from", dest="src", required=True, help="instance id or Name tag, or an internet IP"
    )
    parser.add_argument(
        "--to",
        dest="dst",
        required=True,
        help="instance id or Name, private/public/internet IP, or s3 (HTTPS to S3)",
    )
    parser.add_argument("--protocol", choices=("icmp", "tcp", "udp"), default="icmp")
    parser.add_argument("--port", type=int, default=None, help="destination port (tcp and udp)")
    parser.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL"),
        help="the emulator's URL (default: AWS itself, or $AWS_ENDPOINT_URL)",
    )
    parser.add_argument(
        "--region", default=None, help="AWS Region (default: the profile's or us-east-1)"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(func=run)


def _client(args: argparse.Namespace) -> Any:
    from labkit.aws.context import session_for  # deferred: boto3 is slow to import

    session = session_for(args.endpoint_url, args.region)
    region = session.region_name or "us-east-1"
    return session.client("ec2", region_name=region, endpoint_url=args.endpoint_url)


def _answers(args: argparse.Namespace) -> dict[str, Any]:
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
    )

    from labkit.aws.describe import describe_answers

    try:
        return describe_answers(_client(args))
    except EndpointConnectionError:
        raise EmulatorError(
            f"cannot connect to {args.endpoint_url or 'AWS'}: start the emulator with "
            "`labkit emulator start` or check --endpoint-url"
        ) from None
    except NoCredentialsError:
        raise CredentialsError(
            "no AWS credentials found: set a profile (AWS_PROFILE) or pass "
            "--endpoint-url for the local emulator"
        ) from None
    except ClientError as err:
        error = err.response.get("Error", {})
        raise LabkitError(
            f"reading the VPC configuration failed: {error.get('Code')}: {error.get('Message')}"
        ) from None
    except BotoCoreError as err:
        raise LabkitError(f"reading the VPC configuration failed: {err}") from None


def format_text(verdict: Any) -> str:
    """The verdict as a few lines a learner reads in a terminal."""
    first, *rest = verdict.details()
    return "\n".join([("REACHABLE: " if verdict.reachable else "NOT REACHABLE: ") + first, *rest])


def run(args: argparse.Namespace) -> int:
    """Run ``labkit reach``; return 0 whenever it answers (errors raise LabkitError)."""
    verdict = reach(discover(_answers(args)), args.src, args.dst, args.protocol, args.port)
    if args.format == "json":
        print(json.dumps(verdict.to_dict(), indent=2))
    else:
        print(format_text(verdict))
    return 0
