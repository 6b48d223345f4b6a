"""The emulator's client side beyond start/stop: calls to labkit's own emulator hooks.

Notebook kernels, the CLI and tests import this module (and :mod:`labkit.emulator.control`);
they never import the emulator's server modules (front, server, handlers, flows, shell...),
whose imports register or build server state. The server imports the names here that
define the wire format, so both sides agree on it.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from labkit.aws.context import session_for

HOOK_SERVICE = "labkit"  # the SigV4 service name of labkit's own emulator hooks
HOOK_ACTION = "GenerateBackgroundTraffic"
S3_DECISIONS_ACTION = "GetS3Decisions"  # the emulator's last S3 authorization decisions


def request_background_traffic(
    endpoint_url: str,
    count: int,
    seed: int = 0,
    region: str = "us-east-1",
    session: Any = None,
    start: int | None = None,
    span: int = 600,
) -> int:
    """Ask a running emulator for ``count`` background records; return how many.

    Sends a SigV4-signed JSON request (service ``labkit``, target
    ``Labkit.GenerateBackgroundTraffic``) with the session's credentials (dummy ones do).
    """
    session = session or session_for(endpoint_url, region)
    payload = {
        "Count": count,
        "Seed": seed,
        "Span": span,
        **({"Start": start} if start is not None else {}),
    }
    request = AWSRequest(
        "POST",
        endpoint_url.rstrip("/") + "/",
        data=json.dumps(payload).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"Labkit.{HOOK_ACTION}",
        },
    )
    SigV4Auth(session.get_credentials(), HOOK_SERVICE, region).add_auth(request)
    prepared = urllib.request.Request(
        request.url, data=request.body, headers=dict(request.headers), method="POST"
    )
    with urllib.request.urlopen(prepared, timeout=60) as answer:  # noqa: S310 - the emulator's own URL
        return int(json.loads(answer.read())["Written"])


def last_decisions(
    endpoint_url: str, credentials: Any, region: str = "us-east-1", limit: int = 50
) -> list[dict[str, Any]]:
    """The emulator's last S3 authorization decisions, oldest first (JSON objects).

    A SigV4-signed JSON request (service ``labkit``, target ``Labkit.GetS3Decisions``),
    signed with the given credentials (the dummy ones of the local backend).
    """
    request = AWSRequest(
        "POST",
        endpoint_url.rstrip("/") + "/",
        data=json.dumps({"Limit": limit}).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"Labkit.{S3_DECISIONS_ACTION}",
        },
    )
    SigV4Auth(credentials, HOOK_SERVICE, region).add_auth(request)
    prepared = urllib.request.Request(
        request.url, data=request.body, headers=dict(request.headers), method="POST"
    )
    with urllib.request.urlopen(prepared, timeout=30) as answer:  # noqa: S310 - the emulator's URL
        return list(json.loads(answer.read())["Decisions"])
