"""The guard as a WSGI wrapper: refuse what :mod:`labkit.emulator.guard` refuses, in AWS's shape.

It also answers CORS preflights for allowed origins, replaces moto's CORS headers with
its own, and turns any unhandled exception or HTML 5xx page into AWS's InternalError.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from labkit.emulator.control import INTERNAL_PREFIXES
from labkit.emulator.front import render_error
from labkit.emulator.guard import (
    CORS_MAX_AGE,
    CORS_METHODS,
    GuardConfig,
    check_host,
    check_internal,
    check_origin,
    check_signature,
    header,
    protocol_of,
)

LOG = logging.getLogger("labkit.emulator")


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > 0:
        body = stream.read(length)
    elif environ.get("wsgi.input_terminated"):  # chunked upload: read to the end
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("wsgi.input_terminated", None)
    return bytes(body)


StartResponse = Callable[..., Any]


class GuardedApp:
    """WSGI wrapper: the gates above, CORS for allowed origins only, no raw 500 page.

    Any exception the inner application raises, and any HTML 5xx page it renders, is
    answered as AWS's ``InternalError`` in the request's protocol. Attributes not defined
    here (``moto_app``, ``health``, ``answered``) are the inner front layer's.
    """

    def __init__(self, app: Any, config: GuardConfig | None = None) -> None:
        self.front = app
        self.config = config or GuardConfig()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.front, name)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Any:
        body = _read_body(environ)
        protocol = protocol_of(environ, body)
        refusal = check_host(environ, self.config) or check_origin(environ, self.config)
        if refusal is None and environ.get("REQUEST_METHOD") == "OPTIONS":
            return self._preflight(environ, start_response)
        if refusal is None:
            refusal = check_internal(environ)
            internal = str(environ.get("PATH_INFO", "")).startswith(INTERNAL_PREFIXES)
            if refusal is None and not internal:
                refusal = check_signature(environ, protocol)
        if refusal is not None:
            return self._answer(
                start_response,
                render_error(protocol, refusal.code, refusal.message, refusal.status),
            )
        return self._inner(environ, start_response, protocol)

    def _preflight(self, environ: dict[str, Any], start_response: StartResponse) -> Any:
        origin = header(environ, "Origin")
        if not origin:
            start_response("403 Forbidden", [("Content-Length", "0")])
            return [b""]
        headers = self._cors(origin) + [
            ("Access-Control-Allow-Methods", CORS_METHODS),
            ("Access-Control-Max-Age", CORS_MAX_AGE),
            ("Content-Length", "0"),
        ]
        asked = header(environ, "Access-Control-Request-Headers")
        if asked:
            headers.append(("Access-Control-Allow-Headers", asked))
        start_response("204 No Content", headers)
        return [b""]

    def _cors(self, origin: str) -> list[tuple[str, str]]:
        if not origin or not self.config.origin_allowed(origin):
            return [("Vary", "Origin")]
        return [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Expose-Headers", "ETag, x-amz-request-id, x-amzn-RequestId"),
            ("Vary", "Origin"),
        ]

    def _inner(self, environ: dict[str, Any], start_response: StartResponse, protocol: str) -> Any:
        captured: list[Any] = []
        written: list[bytes] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, list(headers)]
            return written.append

        try:
            chunks = self.front(environ, capture)
            try:
                payload = b"".join(written) + b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
        except Exception:  # the one place every unanticipated failure is turned into AWS's shape
            LOG.exception(
                "unhandled error answering %s %s",
                environ.get("REQUEST_METHOD"),
                environ.get("PATH_INFO"),
            )
            return self._answer(start_response, _internal_error(protocol), environ)
        status, headers = captured or ["500 Internal Server Error", []]
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        if status.startswith("5") and "html" in content_type.lower():
            return self._answer(start_response, _internal_error(protocol), environ)
        headers = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
        start_response(status, headers + self._cors(header(environ, "Origin")))
        return [payload]

    def _answer(
        self,
        start_response: StartResponse,
        answer: tuple[int, list[tuple[str, str]], bytes],
        environ: dict[str, Any] | None = None,
    ) -> Any:
        status, headers, payload = answer
        cors = self._cors(header(environ, "Origin")) if environ is not None else []
        reason = HTTPStatus(status).phrase
        start_response(
            f"{status} {reason}", headers + cors + [("Content-Length", str(len(payload)))]
        )
        return [payload]


def _internal_error(protocol: str) -> tuple[int, list[tuple[str, str]], bytes]:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (InternalError);
    # the query and JSON protocols call it InternalFailure.
    code = "InternalError" if protocol in {"ec2", "s3"} else "InternalFailure"
    message = "We encountered an internal error. Please try again."
    return render_error(protocol, code, message + " (see emulator.log)", 500)
