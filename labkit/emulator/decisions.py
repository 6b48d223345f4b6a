"""Client side: read the emulator's last S3 authorization decisions (emulator only).

The emulator keeps its recent S3 decisions; this asks for them with a SigV4-signed JSON
request (service ``labkit``, target ``Labkit.GetS3Decisions``), signed with the session's
credentials (the dummy ones of the local backend). It imports nothing of the server side.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

HOOK_SERVICE = "labkit"
HOOK_ACTION = "GetS3Decisions"


def last_decisions(
    endpoint_url: str, credentials: Any, region: str = "us-east-1", limit: int = 50
) -> list[dict[str, Any]]:
    """The emulator's last S3 decisions, oldest first (each a JSON object)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    request = AWSRequest(
        "POST",
        endpoint_url.rstrip("/") + "/",
        data=json.dumps({"Limit": limit}).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"Labkit.{HOOK_ACTION}",
        },
    )
    SigV4Auth(credentials, HOOK_SERVICE, region).add_auth(request)
    prepared = urllib.request.Request(
        request.url, data=request.body, headers=dict(request.headers), method="POST"
    )
    with urllib.request.urlopen(prepared, timeout=30) as answer:  # noqa: S310 - the emulator's URL
        return list(json.loads(answer.read())["Decisions"])
