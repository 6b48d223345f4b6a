"""Who may talk to the emulator: a loopback Host, a local origin, a signed request.

The emulator listens on 127.0.0.1, but the learner's browser is on the same machine, so
any web page the learner opens could try to drive it (and, through the instance shell,
the learner's machine). Every request passes these gates, in order, before moto or any
labkit handler sees it:

1. **Host** is a loopback name (``127.0.0.1``, ``localhost``, ``[::1]``, or a name under
   ``.localhost``, RFC 6761) with the emulator's own port. A DNS-rebinding page sends its
   own name as Host, so it is refused even though its packets reach 127.0.0.1.
2. **Origin** (and, when a browser sends no Origin, ``Referer`` and ``Sec-Fetch-Site``)
   is the emulator's own origin or one of the local origins the learner allows with
   ``LABKIT_ALLOWED_ORIGINS`` (e.g. JupyterLab's ``http://localhost:8888``). A preflight
   from any other origin is refused, so a foreign page can send no signed request at all.
3. **labkit's and moto's own endpoints** (``/labkit/...``, ``/moto-api/...``) need the
   ``X-Labkit-Client`` header, which a browser sends cross-origin only after a preflight.
4. **A SigV4 signature** (header or presigned query) whose access key the emulator knows:
   the dummy ``testing`` key, or a key the labs created in moto's IAM or STS. AWS refuses
   unsigned requests and unknown keys; so does the emulator, with AWS's error shape for
   the service. The signature value itself is not checked (moto does that only with its
   auth switched on).

moto's own CORS headers (flask-cors echoes any origin) are removed from every answer, and
only an allowed origin is echoed back.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

from labkit.emulator.control import CLIENT_HEADER, INTERNAL_PREFIXES
from labkit.errors import ConfigError

DUMMY_ACCESS_KEY = "testing"  # the key labkit's own clients use on the emulator
ORIGINS_ENV = "LABKIT_ALLOWED_ORIGINS"  # comma-separated local origins, e.g. JupyterLab's
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
SIGV4 = "AWS4-HMAC-SHA256"
CORS_METHODS = "GET, PUT, POST, DELETE, HEAD"
CORS_MAX_AGE = "600"

# Extra keys the emulator itself hands out (e.g. an instance role's credentials), added
# explicitly by the module that mints them.
_EXTRA_KEYS: set[str] = set()


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: AWS's error code and message, and the HTTP status."""

    code: str
    message: str
    status: int = 403


@dataclass(frozen=True)
class GuardConfig:
    """The emulator's port (None: any port) and the extra local origins it allows."""

    port: int | None = None
    extra_origins: frozenset[str] = frozenset()

    def origins(self) -> frozenset[str]:
        """Every origin allowed to read answers: the emulator's own and the extra ones."""
        own = set()
        if self.port is not None:
            own = {f"http://{host}:{self.port}" for host in ("127.0.0.1", "localhost", "[::1]")}
        return frozenset(own) | self.extra_origins

    def origin_allowed(self, origin: str) -> bool:
        """True for the emulator's own origin and the allowed local ones."""
        if origin in self.origins():
            return True
        # Port unknown (an in-process test server): any loopback origin is "own".
        return self.port is None and _loopback_origin(origin)


def _loopback_origin(origin: str) -> bool:
    try:
        parts = urlsplit(origin)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and _loopback_name(host)


def _loopback_name(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host in LOOPBACK_HOSTS or host.endswith(".localhost")


def config_from_env(port: int | None, environ: dict[str, str] | None = None) -> GuardConfig:
    """The guard's settings: ``LABKIT_ALLOWED_ORIGINS`` may add loopback origins only."""
    text = (environ if environ is not None else os.environ).get(ORIGINS_ENV, "")
    origins = set()
    for item in filter(None, (part.strip().rstrip("/") for part in text.split(","))):
        if not _loopback_origin(item) or urlsplit(item).path:
            raise ConfigError(
                f"{ORIGINS_ENV}: {item!r} is not a local origin; give origins such as "
                "http://localhost:8888 (scheme, loopback host, port)"
            )
        origins.add(item)
    return GuardConfig(port=port, extra_origins=frozenset(origins))


def allow_access_key(access_key: str) -> None:
    """Accept ``access_key`` from now on (for credentials the emulator mints itself)."""
    _EXTRA_KEYS.add(access_key)


def known_access_key(access_key: str) -> bool:
    """True for the dummy key, a key minted here, or an IAM user's or STS session's key."""
    if access_key == DUMMY_ACCESS_KEY or access_key in _EXTRA_KEYS:
        return True
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    for per_account in list(iam_backends.values()):
        for iam in list(per_account.values()):
            if iam.get_user_from_access_key_id(access_key) is not None:
                return True
    for sts_account in list(sts_backends.values()):
        for sts in list(sts_account.values()):
            if sts.get_assumed_role_from_access_key(access_key) is not None:
                return True
    return False


@cache
def known_regions() -> frozenset[str]:
    """Every Region botocore knows, in every partition."""
    import botocore.session

    data = botocore.session.get_session().get_data("endpoints")
    return frozenset(region for part in data["partitions"] for region in part["regions"])


def header(environ: dict[str, Any], name: str) -> str:
    """A request header from the WSGI environ ("" if absent)."""
    return str(environ.get("HTTP_" + name.upper().replace("-", "_"), ""))


def _origin_of(url: str) -> str:
    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    except ValueError:
        return ""


def check_host(environ: dict[str, Any], config: GuardConfig) -> Refusal | None:
    """Refuse a Host that is not a loopback name with the emulator's port (DNS rebinding)."""
    host = header(environ, "Host")
    try:
        parts = urlsplit("//" + host)
        name, port = parts.hostname or "", parts.port
    except ValueError:
        name, port = "", None
    port = port or 80
    if not _loopback_name(name) or (config.port is not None and port != config.port):
        where = f"port {config.port}" if config.port is not None else "its port"
        return Refusal(
            "AccessDenied",
            f"Host {host!r} is not this emulator: it answers only 127.0.0.1, localhost "
            f"or [::1] on {where}",
        )
    return None


def check_origin(environ: dict[str, Any], config: GuardConfig) -> Refusal | None:
    """Refuse a request sent by a web page of a foreign origin."""
    origin = header(environ, "Origin")
    if origin:
        if config.origin_allowed(origin):
            return None
        return Refusal(
            "AccessDenied",
            f"origin {origin!r} may not use this emulator; allow a local origin with {ORIGINS_ENV}",
        )
    referer = _origin_of(header(environ, "Referer"))
    if referer and not config.origin_allowed(referer):
        return Refusal("AccessDenied", f"requests from pages of {referer!r} are refused")
    site = header(environ, "Sec-Fetch-Site")
    if site in {"cross-site", "same-site"} and not referer:
        return Refusal("AccessDenied", "requests a browser sends from another site are refused")
    return None


def check_internal(environ: dict[str, Any]) -> Refusal | None:
    """labkit's and moto's own endpoints answer only labkit's client code.

    It proves itself with ``X-Labkit-Client`` or an ``Authorization`` header: neither is a
    CORS-safelisted header, so a browser sends neither cross-origin without the preflight
    the guard refuses. (botocore's container-credentials provider, which the CLI on a
    simulated instance may use, sends its token as ``Authorization``.)
    """
    path = str(environ.get("PATH_INFO", ""))
    proof = header(environ, CLIENT_HEADER) or header(environ, "Authorization")
    if path.startswith(INTERNAL_PREFIXES) and not proof:
        return Refusal("AccessDenied", f"{path} answers labkit's own client only")
    return None


@dataclass(frozen=True)
class Credential:
    """The access key and scope of a SigV4 signature."""

    access_key: str
    region: str
    service: str


def credential(environ: dict[str, Any]) -> Credential | Refusal | None:
    """The request's SigV4 credential, a Refusal for a malformed one, or None if unsigned."""
    auth = header(environ, "Authorization")
    query = parse_qs(str(environ.get("QUERY_STRING", "")))
    if auth:
        if not auth.startswith(SIGV4 + " "):
            # https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html
            return Refusal(
                "InvalidRequest",
                f"The authorization mechanism you have provided is not supported. "
                f"Please use {SIGV4}.",
                400,
            )
        match = re.search(r"Credential=([^,\s]+)", auth)
        scope = match.group(1) if match and "Signature=" in auth else ""
    elif query.get("X-Amz-Algorithm") == [SIGV4] and "X-Amz-Signature" in query:
        scope = query.get("X-Amz-Credential", [""])[0]
    elif {"AWSAccessKeyId", "Signature", "Expires"} <= query.keys():
        # boto3 presigns S3 URLs with SigV2 unless told otherwise, and S3 still accepts
        # SigV2 query strings in the Regions that had it (us-east-1 among them):
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingAWSSDK.html#UsingAWSSDK-sig2-deprecation
        return Credential(access_key=query["AWSAccessKeyId"][0], region="us-east-1", service="s3")
    else:
        return None
    parts = scope.split("/")
    if len(parts) != 5 or not parts[0] or parts[4] != "aws4_request":
        return Refusal("IncompleteSignature", f"the credential scope {scope!r} is malformed", 400)
    return Credential(access_key=parts[0], region=parts[2], service=parts[3])


def check_signature(environ: dict[str, Any], protocol: str) -> Refusal | None:
    """Refuse an unsigned request, an unknown access key, or a scope with no such Region."""
    found = credential(environ)
    if isinstance(found, Refusal):
        return found
    if found is None:
        # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
        if protocol == "s3":
            return Refusal("AccessDenied", "Access Denied")
        return Refusal(
            "MissingAuthenticationToken",
            "Request is missing Authentication Token; sign it with SigV4 (boto3 and the "
            "AWS CLI do)",
        )
    if found.region not in known_regions():
        if protocol == "s3":
            return Refusal(
                "AuthorizationHeaderMalformed",
                f"The authorization header is malformed; the region '{found.region}' is "
                "wrong; expecting 'us-east-1'",
                400,
            )
        return Refusal("SignatureDoesNotMatch", "Credential should be scoped to a valid region.")
    if not known_access_key(found.access_key):
        code, message = {
            "s3": (
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
            ),
            "ec2": ("AuthFailure", "AWS was not able to validate the provided access credentials"),
            "json": (
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            ),
        }.get(
            protocol,
            ("InvalidClientTokenId", "The security token included in the request is invalid."),
        )
        return Refusal(code, message)
    return None


def protocol_of(environ: dict[str, Any], body: bytes) -> str:
    """The request's wire protocol, for the error shape: "json", "ec2", "s3" or "query"."""
    if header(environ, "X-Amz-Target"):
        return "json"
    found = credential(environ)
    service = found.service if isinstance(found, Credential) else ""
    if service in {"ec2", "s3"}:
        return service
    form = parse_qs(str(environ.get("QUERY_STRING", "")))
    if "x-www-form-urlencoded" in str(environ.get("CONTENT_TYPE", "")):
        form.update(parse_qs(body.decode("utf-8", "replace")))
    if "Action" in form:
        return "ec2" if form.get("Version") == ["2016-11-15"] else "query"
    return "s3" if not service else "query"
