"""S3 authorization in the emulator: every S3 request is decided here, before moto sees it.

moto answers S3 calls but decides nothing that depends on conditions or the caller's
network path (moto-notes items 5 and 7). This handler, registered for every S3 request:

1. classifies the request (:mod:`labkit.emulator.s3actions`): the action(s) and ARN(s);
2. finds **who** signed it: the access key's IAM user, or the role behind STS session
   keys (instance-role credentials included). The emulator's dummy ``testing`` key is the
   lab's administrator: the account root, with an allow-everything identity policy. A
   bucket policy can still deny it (that is Lab 3's console lock-out), but, as on AWS, the
   root user can always get, put and delete a bucket policy.
   https://repost.aws/knowledge-center/s3-accidentally-denied-access
3. finds **where from**: the instance whose AWS CLI run sent it (User-Agent token, see
   :mod:`labkit.emulator.instanceid`) or the host, and asks netsim for the path to S3
   (:func:`labkit.netsim.s3path.s3_path`); its condition keys go into the request context,
   with ``aws:PrincipalArn`` (the role ARN for a role session), ``aws:PrincipalAccount``,
   ``aws:PrincipalType``, ``aws:username``, ``aws:SecureTransport`` ("true": the CLI and
   SDKs use HTTPS on AWS), ``aws:CurrentTime``/``aws:EpochTime``, ``aws:RequestedRegion``
   and ``s3:prefix``/``s3:delimiter``/``s3:max-keys`` for listings;
   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
4. evaluates with :func:`labkit.policy.evaluate`: the caller's identity policies (inline,
   attached managed, and its groups'), the bucket policy stored in moto, and the endpoint
   policy when the path goes through a gateway endpoint.

A denial answers S3's ``AccessDenied`` (HTTP 403, XML body) with AWS's message. The last
decisions are kept (:data:`DECISIONS`) and served to clients through the signed hook
``labkit:GetS3Decisions`` (:data:`labkit.emulator.client.S3_DECISIONS_ACTION`). A
malformed policy sent with ``PutBucketPolicy`` is refused with
S3's ``MalformedPolicy`` and one line, and nothing is stored (moto would accept it).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from labkit.emulator import instanceid
from labkit.emulator.flows import live_topology
from labkit.emulator.front import DEFAULT_ACCOUNT_ID, AwsError, AwsRequest, backend
from labkit.emulator.s3actions import S3Operation, classify, request_keys
from labkit.netsim.s3path import host_path, s3_path
from labkit.policy import Decision, Policy, PolicyError, Request, evaluate, parse_policy

ADMIN_KEYS = frozenset({"testing", "labkit-internal"})  # the notebooks' dummy key; inproc
ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
ADMIN_POLICY_NAME = "the lab's administrator (AdministratorAccess)"
ROOT_ALWAYS = frozenset({"s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"})
KEPT = 200
DECISIONS: deque[dict[str, Any]] = deque(maxlen=KEPT)
_lock = threading.Lock()


ANONYMOUS = "*"  # the principal of an unsigned request


@dataclass(frozen=True)
class Caller:
    """Who signed a request: the ARN in messages, the one for aws:PrincipalArn, policies."""

    arn: str
    principal_arn: str
    principal_type: str  # "Account" (root), "User", "AssumedRole" or "Anonymous"
    username: str | None
    policies: tuple[Policy, ...]


def _documents(entity: Any) -> list[tuple[str, str]]:
    """(name, JSON) of an IAM user's, group's or role's inline and attached policies."""
    found = [(name, str(doc)) for name, doc in getattr(entity, "policies", {}).items()]
    for managed in getattr(entity, "managed_policies", {}).values():
        default = next((v for v in managed.versions if v.is_default), None)
        if default is not None:
            found.append((managed.name, str(default.document)))
    return found


def _parsed(owner: str, documents: list[tuple[str, str]]) -> tuple[Policy, ...]:
    out = []
    for name, document in documents:
        try:
            out.append(parse_policy(document, name=f"{owner}/{name}", kind="identity"))
        except PolicyError:
            continue  # IAM validated it when it was stored; a policy we cannot read grants nothing
    return tuple(out)


def who(access_key: str, account_id: str = DEFAULT_ACCOUNT_ID) -> Caller | None:
    """The caller behind an access key id, or None if no such key exists."""
    if access_key in ADMIN_KEYS:
        admin = parse_policy(ADMIN_POLICY, name=ADMIN_POLICY_NAME, kind="identity")
        root = f"arn:aws:iam::{account_id}:root"
        return Caller(root, root, "Account", None, (admin,))
    iam = backend("iam", account_id)
    key = iam.access_keys.get(access_key)
    if key is None or getattr(key, "status", "Active") != "Active":
        return None
    if key.role_arn:
        session = backend("sts", account_id).get_assumed_role_from_access_key(access_key)
        if session is None:
            return None
        role = next((r for r in iam.roles.values() if r.arn == key.role_arn), None)
        docs = _documents(role) if role is not None else []
        name = key.role_arn.rsplit("/", 1)[-1]
        return Caller(session.arn, key.role_arn, "AssumedRole", None, _parsed(name, docs))
    user = iam.users.get(key.user_name)
    if user is None:
        return None
    docs = _documents(user)
    for group in iam.get_groups_for_user(user.name):
        docs += _documents(group)
    return Caller(user.arn, user.arn, "User", user.name, _parsed(user.name, docs))


def anonymous() -> Caller:
    """The caller of an unsigned request: principal "*", no identity policies; only a bucket
    policy that names ``"*"`` can allow it (aws:PrincipalArn is absent)."""
    return Caller(ANONYMOUS, "", "Anonymous", None, ())


def bucket_policy(bucket: str | None, account_id: str = DEFAULT_ACCOUNT_ID) -> Policy | None:
    """The bucket's policy as stored in moto, parsed; None if it has none."""
    if bucket is None:
        return None
    found = backend("s3", account_id).buckets.get(bucket)
    raw = getattr(found, "policy", None)
    if not raw:
        return None
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    return parse_policy(text, name=f"bucket policy of {bucket}", kind="resource")


def endpoint_policy(vpce_id: str, account_id: str, region: str) -> Policy | None:
    """A gateway endpoint's policy, parsed; None if the endpoint is gone."""
    endpoint = backend("ec2", account_id, region).vpc_end_points.get(vpce_id)
    if endpoint is None:
        return None
    return parse_policy(
        endpoint.policy_document, name=f"endpoint policy of {vpce_id}", kind="endpoint"
    )


def _context(caller: Caller, path_context: dict[str, str], region: str) -> dict[str, str]:
    now = time.time()
    context = dict(path_context)
    if caller.principal_arn:  # signed requests only
        context["aws:PrincipalArn"] = caller.principal_arn
        context["aws:PrincipalAccount"] = DEFAULT_ACCOUNT_ID
    context.update(
        {
            "aws:PrincipalType": caller.principal_type,
            "aws:SecureTransport": "true",
            "aws:CurrentTime": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:EpochTime": str(int(now)),
            "aws:RequestedRegion": region,
        }
    )
    if caller.username:
        context["aws:username"] = caller.username
    return context


def _record(entry: dict[str, Any]) -> None:
    with _lock:
        DECISIONS.append(entry)


def decide(req: AwsRequest, op: S3Operation, caller: Caller) -> tuple[Decision, str, str] | None:
    """Evaluate every permission the request needs; the first denial, or None if allowed."""
    run = instanceid.run_for_user_agent(req.headers.get("user-agent", ""))
    instance_id = run.instance_id if run else None
    if instance_id is None:
        # The host's path does not depend on the VPCs: no need to read the network, which
        # costs 0.2 s or more after each EC2 change (teardown's first S3 call paid 0.5 s).
        path, source = host_path(), "host (the internet)"
    else:
        topo = live_topology(req.account_id, req.region)
        path = s3_path(topo, instance_id, req.region)
        name = getattr(topo.get(instance_id), "name", None)
        source = f"{instance_id} ({name})" if name else instance_id
    context = _context(caller, dict(path.context()), req.region)
    context.update(request_keys(op, req.query))
    resource_policy = bucket_policy(op.bucket, req.account_id)
    gateway = None
    if path.kind == "endpoint" and path.endpoint_policy:
        name = f"endpoint policy of {path.vpce_id}"
        gateway = parse_policy(path.endpoint_policy, name=name, kind="endpoint")
    elif path.kind == "endpoint" and path.vpce_id:
        gateway = endpoint_policy(path.vpce_id, req.account_id, req.region)
    if run is not None:
        size = len(req.body)
        instanceid.note_traffic(run, "s3", size, 400 if op.operation != "GetObject" else 4096)
    for action, resource in op.needs:
        request = Request(
            principal=caller.arn,
            action=action,
            resource=resource,
            context=context,
            account=req.account_id,
        )
        if caller.principal_type == "Account" and action in ROOT_ALWAYS:
            decision = None
        else:
            decision = evaluate(request, caller.policies, resource_policy, gateway)
        entry = {
            "time": time.time(),
            "operation": op.operation,
            "principal": caller.arn,
            "action": action,
            "resource": resource,
            "source": source,
            "path": path.kind,
            "path_explanation": path.explanation,
            "decision": decision.to_json() if decision else _root_allow(),
            "message": decision.message if decision else "",
        }
        _record(entry)
        if decision is not None and decision.decision != "allow":
            return decision, action, resource
    return None


def _root_allow() -> dict[str, Any]:
    return {
        "decision": "allow",
        "matched": [],
        "reason": "The account's root user may always get, put and delete a bucket policy.",
    }


def authorize(req: AwsRequest) -> dict[str, Any] | None:
    """Allow the request (return None, moto answers) or raise S3's AccessDenied."""
    caller = anonymous() if req.access_key is None else who(req.access_key, req.account_id)
    if caller is None:
        raise AwsError(
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            403,
        )
    op = classify(req.method, req.path, req.query, req.headers, req.body)
    try:
        denied = decide(req, op, caller)
    except PolicyError as err:  # a stored bucket or endpoint policy we cannot read
        raise AwsError("AccessDenied", f"Access Denied: {err}", 403) from None
    if denied is not None:
        raise AwsError("AccessDenied", denied[0].message, 403)
    if op.operation == "PutBucketPolicy":
        check_bucket_policy(req.body, op.bucket or "")
    return None


def check_bucket_policy(body: bytes, bucket: str) -> None:
    """Refuse a bucket policy that does not parse, with S3's MalformedPolicy and one line."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise AwsError(
            "MalformedPolicy",
            f"Policies must be valid JSON and the first byte must be '{{' ({err.__class__.__name__}"
            f" at character {getattr(err, 'pos', 0)}); nothing was changed",
            400,
        ) from None
    try:
        parse_policy(document, name=f"bucket policy of {bucket}", kind="resource")
    except PolicyError as err:
        raise AwsError("MalformedPolicy", f"{err}; nothing was changed", 400) from None


def decisions_hook(req: AwsRequest) -> dict[str, Any]:
    """Front-layer hook: ``{"Limit"?}`` → ``{"Decisions": [...]}``, the newest last."""
    try:
        limit = int(req.params.get("Limit", KEPT))
    except (TypeError, ValueError):
        raise AwsError("ValidationException", "Limit must be an integer") from None
    with _lock:
        found = list(DECISIONS)[-limit:] if limit > 0 else []
    return {"Decisions": found}


def take_over_from_moto() -> None:
    """Switch off moto's own bucket-policy check, which ignores conditions (moto-notes 5, 7).

    moto denies Get/Head/Put/DeleteObject whenever a bucket policy has a matching Deny,
    whatever its Condition says, and refuses unsigned object reads unless the object's ACL
    is public. Every S3 request, signed or not, has passed :func:`authorize` before moto
    sees it, so moto is told the bucket allows it.
    """
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    def decided(self: Any, action: str, resource: str) -> Any:
        return PermissionResult.PERMITTED

    FakeBucket.get_permission = decided  # type: ignore[method-assign]


def reset() -> None:
    """Forget the kept decisions."""
    with _lock:
        DECISIONS.clear()
