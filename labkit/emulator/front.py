"""The emulator's front layer: answer the requests that need a data plane, pass the rest to moto.

moto is the control plane. It stores everything but moves no packet, so a few requests
are answered here instead (SSM commands, Logs Insights queries, S3 policy checks), and a
few AWS rules that moto misses are enforced before moto sees the request.

A handler is registered for one ``(service, action)`` pair, in one place: the table in
:mod:`labkit.emulator.handlers`, which the server installs with ``register_all()``::

    def start_query(req: AwsRequest) -> dict[str, Any] | None:
        ...

    ("logs", "StartQuery", logs.start_query),   # a row of handlers.HANDLER_TABLE

It returns the response body (a dict, sent as JSON for JSON-protocol services), or
``None`` to let moto answer, or raises :class:`AwsError` to answer with AWS's error shape
for that service. ``action="*"`` registers a handler that sees every request of the
service (S3's REST calls have no action name), before the specific ones.

Handlers reach moto's stored state in-process through :func:`backend`.
"""

from __future__ import annotations

import io
import json
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qs

from labkit.emulator.control import HEALTH_PATH
from labkit.errors import LabkitError

DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account, used for every caller here

XML_QUERY_SERVICES = {"ec2", "iam", "sts"}  # form-encoded "Action=" requests, XML answers
JSON_HEADER = ("Content-Type", "application/json")
INTERNAL_PATHS = ("/moto-api", "/labkit/")  # unsigned paths that are not AWS requests


@dataclass(frozen=True)
class AwsRequest:
    """One AWS API request, as the front layer sees it before moto does."""

    service: str
    action: str
    region: str
    account_id: str
    params: dict[str, Any]
    method: str = "GET"
    path: str = "/"
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    access_key: str | None = None


class AwsError(LabkitError):
    """Raised by a handler to answer with an AWS error (code, message, HTTP status)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


class CodedAwsError(AwsError):
    """An :class:`AwsError` whose AWS error code is its class (moto's habit, one class per code)."""

    CODE: ClassVar[str] = "InternalFailure"
    STATUS: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(self.CODE, message, self.STATUS)


Handler = Callable[[AwsRequest], "dict[str, Any] | None"]
HANDLERS: dict[tuple[str, str], list[Handler]] = {}

# How many requests that may change a service's state have come in, per service. Readers of
# derived state (the instance shell's topology) cache by it instead of re-reading moto.
_CHANGES: dict[str, int] = {}
READ_ONLY_PREFIXES = ("Describe", "Get", "List")


# Unsigned labkit-only paths (the instance-role credentials URL), by path prefix: the handler
# gets the WSGI environ and answers (HTTP status, JSON body).
RawHandler = Callable[[dict[str, Any]], "tuple[int, dict[str, Any]]"]
ROUTES: dict[str, RawHandler] = {}


def register_route(prefix: str, fn: RawHandler) -> None:
    """Register a handler for unsigned requests whose path starts with ``prefix``."""
    ROUTES[prefix] = fn


_SERVER: dict[str, str] = {}


def server_url() -> str | None:
    """This emulator's own base URL (``http://127.0.0.1:<port>``), once it has served a request."""
    return _SERVER.get("url")


def changes(service: str) -> int:
    """A number that grows whenever a request may have changed ``service``'s state."""
    return _CHANGES.get(service, 0)


def note_request(req: AwsRequest) -> None:
    """Count a request that may change state (anything but Describe*, Get*, List*)."""
    if not req.action.startswith(READ_ONLY_PREFIXES):
        _CHANGES[req.service] = _CHANGES.get(req.service, 0) + 1


def register(service: str, action: str, fn: Handler) -> None:
    """Register a front-layer handler for ``service``'s ``action`` ("*" for all); idempotent."""
    found = HANDLERS.setdefault((service, action), [])
    if fn not in found:
        found.append(fn)


def handles(service: str, action: str) -> Callable[[Handler], Handler]:
    """Decorator form of :func:`register` (for tests and experiments; labkit's own handlers
    are listed in :mod:`labkit.emulator.handlers`)."""

    def decorate(fn: Handler) -> Handler:
        register(service, action, fn)
        return fn

    return decorate


def backend(service: str, account_id: str = DEFAULT_ACCOUNT_ID, region: str = "us-east-1") -> Any:
    """moto's in-memory backend for a service, e.g. ``backend("ec2", region="us-east-1")``."""
    from moto.backends import get_backend

    backends = get_backend(service)  # type: ignore[call-overload]
    if service in {"s3", "iam", "sts"}:  # global services: one backend per partition
        return backends[account_id]["aws"]
    return backends[account_id][region]


def _parse_auth(auth: str) -> tuple[str | None, str | None, str | None]:
    """(access key, region, service) from a SigV4 Authorization header."""
    try:
        scope = auth.split(",")[0].split()[1]  # Credential=AKID/date/region/service/aws4_request
        access_key, _, region, service, _ = scope.removeprefix("Credential=").split("/")
        return access_key, region, service
    except (IndexError, ValueError):
        return None, None, None


def parse_request(environ: dict[str, Any], body: bytes) -> AwsRequest | None:
    """Describe a WSGI request as an :class:`AwsRequest`, or None if it is not an AWS call."""
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    auth = headers.get("authorization", "")
    if not auth and query.get("X-Amz-Credential"):  # a presigned URL
        auth = f"AWS4-HMAC-SHA256 Credential={query['X-Amz-Credential'][0]}"
    access_key, region, service = _parse_auth(auth)
    path = str(environ.get("PATH_INFO", "/"))
    if service is None and not path.startswith(INTERNAL_PATHS):
        # Unsigned: moto answers such a request as S3 (its default service), so it is an
        # anonymous S3 request, and S3's authorization must see it too.
        service, access_key = "s3", None
    if service is None:
        return None
    target = headers.get("x-amz-target", "")
    params: dict[str, Any] = {}
    action = ""
    if target:
        action = target.split(".", 1)[-1]
        try:
            params = json.loads(body or b"{}")
        except json.JSONDecodeError:
            params = {}
    elif service in XML_QUERY_SERVICES or "x-www-form-urlencoded" in headers.get(
        "content-type", ""
    ):
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        form.update({k: v for k, v in query.items() if k not in form})
        params = {k: v[0] if len(v) == 1 else v for k, v in form.items()}
        action = str(params.get("Action", ""))
    return AwsRequest(
        service=service,
        action=action,
        region=region or "us-east-1",
        account_id=DEFAULT_ACCOUNT_ID,
        params=params,
        method=str(environ.get("REQUEST_METHOD", "GET")),
        path=str(environ.get("PATH_INFO", "/")),
        query=query,
        headers=headers,
        body=body,
        access_key=access_key,
    )


def error_response(req: AwsRequest, err: AwsError) -> tuple[int, list[tuple[str, str]], bytes]:
    """Render an :class:`AwsError` in the error shape of the request's service."""
    request_id = str(uuid.uuid4())
    if req.headers.get("x-amz-target"):
        body = json.dumps({"__type": err.code, "message": err.message}).encode()
        return err.status, [("Content-Type", "application/x-amz-json-1.1")], body
    if req.service == "ec2":
        xml = (
            f"<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error>"
            f"<Code>{_esc(err.code)}</Code><Message>{_esc(err.message)}</Message>"
            f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
    elif req.service == "s3":
        xml = (
            f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{_esc(err.code)}</Code>"
            f"<Message>{_esc(err.message)}</Message><RequestId>{request_id}</RequestId></Error>"
        )
    else:
        xml = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{_esc(err.code)}</Code>"
            f"<Message>{_esc(err.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    return err.status, [("Content-Type", "text/xml")], xml.encode()


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def dispatch(req: AwsRequest) -> dict[str, Any] | None:
    """Run the handlers registered for a request; the first non-None answer wins."""
    for key in ((req.service, "*"), (req.service, req.action)):
        for handler in HANDLERS.get(key, []):
            answer = handler(req)
            if answer is not None:
                return answer
    return None


class FrontApp:
    """WSGI application: the labkit front layer in front of moto's application."""

    def __init__(self, moto_app: Callable[..., Iterable[bytes]]) -> None:
        self.moto_app = moto_app
        self.health: dict[str, Any] = {"status": "ok"}
        self.answered = threading.Event()  # set once the first AWS request has been answered

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if "url" not in _SERVER and environ.get("SERVER_PORT"):
            _SERVER["url"] = f"http://127.0.0.1:{environ['SERVER_PORT']}"
        if environ.get("PATH_INFO") == HEALTH_PATH and "HTTP_AUTHORIZATION" not in environ:
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(self.health).encode()]
        path = str(environ.get("PATH_INFO", ""))
        for prefix, raw in ROUTES.items():
            if path.startswith(prefix) and "HTTP_AUTHORIZATION" not in environ:
                code, raw_answer = raw(environ)
                start_response(f"{code} {'OK' if code == 200 else 'Error'}", [JSON_HEADER])
                return [json.dumps(raw_answer).encode()]
        if environ.get("CONTENT_LENGTH"):
            body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        elif environ.get("wsgi.input_terminated"):  # chunked upload: read to the end
            body = environ["wsgi.input"].read()
        else:
            body = b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        req = parse_request(environ, body)
        if req is not None:
            note_request(req)
            try:
                answer = dispatch(req)
            except AwsError as err:
                status, headers, payload = error_response(req, err)
                start_response(f"{status} Error", headers)
                return [payload]
            if answer is not None:
                payload = json.dumps(answer, default=str).encode()
                start_response("200 OK", [("Content-Type", "application/x-amz-json-1.1")])
                return [payload]
            environ["wsgi.input"] = io.BytesIO(body)
        try:
            return self.moto_app(environ, start_response)
        finally:
            self.answered.set()
