"""boto3 clients that call moto inside the emulator process, without HTTP.

The instance shell needs the live configuration while it answers a request. Rather than
read moto's models (whose shapes change between releases), it asks moto the way any client
does: a boto3 client whose ``before-send`` hook hands the signed request to moto's WSGI
application in-process. The answers are exactly what ``describe_*`` returns over HTTP.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from moto.core.botocore_stubber import MockRawResponse
from werkzeug.test import EnvironBuilder

INTERNAL_URL = "http://labkit-emulator.internal"
_app: Any = None
_lock = threading.Lock()


def moto_app() -> Any:
    """moto's WSGI application (one per process; all share moto's global state)."""
    global _app
    with _lock:
        if _app is None:
            from moto.moto_server.werkzeug_app import (
                DomainDispatcherApplication,
                create_backend_app,
            )

            _app = DomainDispatcherApplication(create_backend_app)
    return _app


def _send(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
    """Run the prepared request through moto's WSGI app and wrap its answer for botocore."""
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    elif not isinstance(body, bytes):
        body = body.read()
    environ = EnvironBuilder(
        method=request.method,
        base_url=INTERNAL_URL,
        path=request.url.removeprefix(INTERNAL_URL).split("?")[0] or "/",
        query_string=request.url.split("?", 1)[1] if "?" in request.url else "",
        headers={
            k: v.decode() if isinstance(v, bytes) else str(v) for k, v in request.headers.items()
        },
        data=body,
    ).get_environ()
    status: list[str] = []
    headers: list[tuple[str, str]] = []

    def start_response(code: str, hdrs: list[tuple[str, str]], *args: Any) -> None:
        status.append(code)
        headers.extend(hdrs)

    chunks: Iterable[bytes] = moto_app()(environ, start_response)
    payload = b"".join(chunks)
    return AWSResponse(
        request.url, int(status[0].split()[0]), dict(headers), MockRawResponse(payload)
    )


def client(service: str, region: str) -> Any:
    """A boto3 client for ``service`` that talks to this process's moto directly."""
    session = boto3.session.Session(
        aws_access_key_id="labkit-internal",
        aws_secret_access_key="labkit-internal",
        region_name=region,
    )
    made = session.client(service, endpoint_url=INTERNAL_URL)
    made.meta.events.register("before-send", _send)
    return made
