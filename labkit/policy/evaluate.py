"""Deciding one request against identity, bucket and endpoint policies, as AWS does.

Design. Every statement of every policy is tested against the request once; a statement
*applies* when its Action, Resource, Principal (resource and endpoint policies only) and
all its conditions match. Then, in AWS's order:

1. any applying ``Deny`` anywhere → ``explicit_deny`` (the deny statements decide);
2. the request came through a VPC endpoint (``endpoint_policy`` given) and no endpoint
   statement allows it → ``implicit_deny``, attributed to the endpoint policy: an endpoint
   policy only filters, it never grants;
3. same account: an ``Allow`` in an identity policy **or** the bucket policy → ``allow``;
   across accounts both sides must allow; an anonymous caller needs the bucket policy.
   A bucket-policy Allow whose Principal names only the caller's *account* (account id
   or ``:root``) delegates to the account's identity policies: it does not grant a
   same-account user or role on its own (it does grant the root user), and it is the
   resource side's allow in a cross-account request;
4. otherwise ``implicit_deny``.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html

The ``message`` copies S3's enhanced AccessDenied text from
https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html#access-denied-message-examples
``User: ARN is not authorized to perform: ACTION on resource: "ARN" <context>``, where the
context is ``with an explicit deny in an identity-based policy`` (``a resource-based
policy``, ``a VPC endpoint policy``) or ``because no identity-based policy allows the
ACTION action`` (``resource-based``, ``VPC endpoint``). Choices where AWS is silent or
unclear: the page's implicit-deny examples leave out ``on resource: "..."`` but its
explicit ones and AWS's live messages keep it, so we always keep it; the page says
enhanced messages are not returned for endpoint-policy denials yet shows their text, so
we use that text; when denies of several kinds match, AWS names one, we name the first
in identity, resource, endpoint order; a same-account implicit deny names the
identity-based policy; an anonymous caller gets S3's plain ``Access Denied``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from labkit.policy.conditions import PATTERN_OPERATORS, condition_holds, lookup
from labkit.policy.matching import (
    ACCOUNT,
    DIRECT,
    action_matches,
    arn_matches,
    principal_account,
    principal_match,
    split_arn,
)
from labkit.policy.model import Policy, Statement
from labkit.policy.variables import VARIABLES_VERSION, Unresolved, literal, substitute_all

POLICY_TYPE = {
    "identity": "identity-based",
    "resource": "resource-based",
    "endpoint": "VPC endpoint",
}
ARTICLE = {"identity": "an", "resource": "a", "endpoint": "a"}


@dataclass(frozen=True)
class Request:
    """Who asks to do what on which resource, with the request's condition keys."""

    principal: str
    action: str
    resource: str
    context: Mapping[str, str | Sequence[str] | None] = field(default_factory=dict)
    account: str = "123456789012"


@dataclass(frozen=True)
class Match:
    """A deciding statement; ``index`` -1 and ``effect`` "ImplicitDeny" mark a whole policy."""

    policy: str
    kind: str
    sid: str | None
    effect: str
    index: int

    def to_json(self) -> dict[str, Any]:
        """The statement as a JSON object."""
        return {"policy": self.policy, "kind": self.kind, "sid": self.sid,
                "effect": self.effect, "index": self.index}  # fmt: skip

    def describe(self) -> str:
        """``bucket policy of b, statement 0 (Sid "X"), Deny`` — for people."""
        if self.index < 0:
            return f"{self.policy} (no statement allows the request)"
        sid = f' (Sid "{self.sid}")' if self.sid else " (no Sid)"
        return f"{self.policy}, statement {self.index}{sid}, {self.effect}"


@dataclass(frozen=True)
class Decision:
    """The outcome, its deciding statements, a readable reason and AWS's message ("" if allowed)."""

    decision: str  # "allow" | "explicit_deny" | "implicit_deny"
    matched: tuple[Match, ...]
    reason: str
    message: str

    @property
    def allowed(self) -> bool:
        """True if the request is allowed."""
        return self.decision == "allow"

    def to_json(self) -> dict[str, Any]:
        """``{"decision", "matched": [...], "reason"}`` as ``labkit policy eval`` prints it."""
        return {"decision": self.decision,
                "matched": [m.to_json() for m in self.matched], "reason": self.reason}  # fmt: skip


def principal_context(principal: str) -> dict[str, str]:
    """The global keys AWS puts in every signed request's context, derived from the caller.

    ``aws:PrincipalArn`` (for a role session: the role's ARN, not the session's),
    ``aws:PrincipalAccount``, and ``aws:username`` for IAM users; nothing for anonymous.
    The role's path is not in a session ARN, so a derived role ARN has none.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
    """
    parts = split_arn(principal)
    if parts is None:
        return {}
    keys = {"aws:PrincipalArn": principal, "aws:PrincipalAccount": parts[4]}
    resource = parts[5]
    if parts[2] == "sts" and resource.startswith("assumed-role/"):
        role = resource.split("/")[1]
        keys["aws:PrincipalArn"] = f"arn:{parts[1]}:iam::{parts[4]}:role/{role}"
    elif parts[2] == "iam" and resource.startswith("user/"):
        keys["aws:username"] = resource.rsplit("/", 1)[-1]
    return keys


def _with_principal_keys(request: Request) -> Request:
    """The request with derived principal keys added where its context does not name them."""
    given = {name.lower() for name in request.context}
    extra = {
        k: v for k, v in principal_context(request.principal).items() if k.lower() not in given
    }
    if not extra:
        return request
    return replace(request, context={**extra, **request.context})


def principal_level(statement: Statement, policy: Policy, request: Request) -> str | None:
    """``"direct"``, ``"account"`` (the caller's account is named) or None: see matching."""
    if statement.principals is None:
        return DIRECT  # identity policies: the principal is the identity they are attached to
    root_only = policy.kind == "endpoint"
    levels = {
        principal_match(value, request.principal, account_means_root_only=root_only)
        for kind, value in statement.principals.values
        if kind == "AWS"
    }
    if statement.not_principal:
        # AWS checks the account, then the role, then the user or session: a principal is
        # exempt only if its account is listed too ("you must also specify the account ARN
        # of the not-denied principal"), see
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
        account = principal_account(request.principal)
        account_listed = any(
            value == "*" or value == account or value == f"arn:aws:iam::{account}:root"
            for kind, value in statement.principals.values
            if kind == "AWS"
        )
        return None if DIRECT in levels and account_listed else DIRECT
    return DIRECT if DIRECT in levels else ACCOUNT if ACCOUNT in levels else None


def _applies(statement: Statement, policy: Policy, request: Request) -> str | None:
    """None if the statement does not apply; else the principal level (see matching)."""
    hit = any(action_matches(a, request.action) for a in statement.actions)
    if hit == statement.not_action:
        return None
    level = principal_level(statement, policy, request)
    if level is None:
        return None
    variables = policy.version == VARIABLES_VERSION
    try:
        resources = (
            substitute_all(statement.resources, request.context)
            if variables
            else statement.resources
        )
        hit = any(arn_matches(r, request.resource) for r in resources)
        if hit == statement.not_resource:
            return None
        for c in statement.conditions:
            values = substitute_all(c.values, request.context) if variables else c.values
            if c.op.base not in PATTERN_OPERATORS:
                values = tuple(literal(v) for v in values)
            if not condition_holds(c.op, values, lookup(request.context, c.key)):
                return None
    except Unresolved:
        return None  # an unresolved policy variable: the statement does not apply
    return level


def statement_applies(statement: Statement, policy: Policy, request: Request) -> bool:
    """True if the statement's Action, Resource, Principal and Condition all match."""
    return _applies(statement, policy, request) is not None


def _matches(
    policies: Sequence[Policy], request: Request, effect: str, level: str | None = None
) -> list[Match]:
    """Statements of ``effect`` that apply; with ``level``, only those matching at that level."""
    found = []
    for p in policies:
        for s in p.statements:
            if s.effect != effect:
                continue
            got = _applies(s, p, request)
            if got is not None and (level is None or got == level):
                found.append(Match(p.name, p.kind, s.sid, s.effect, s.index))
    return found


def _names(matches: Sequence[Match]) -> str:
    return "; ".join(m.describe() for m in matches)


def _message(request: Request, context: str) -> str:
    if request.principal == "*":
        return "Access Denied"
    return (
        f"User: {request.principal} is not authorized to perform: {request.action} "
        f'on resource: "{request.resource}" {context}'
    )


def _implicit(request: Request, kind: str, matched: tuple[Match, ...], why: str) -> Decision:
    context = f"because no {POLICY_TYPE[kind]} policy allows the {request.action} action"
    reason = f"Implicitly denied: {why} allows {request.action} on {request.resource}."
    return Decision("implicit_deny", matched, reason, _message(request, context))


def evaluate(
    request: Request,
    identity_policies: Sequence[Policy] = (),
    resource_policy: Policy | None = None,
    endpoint_policy: Policy | None = None,
) -> Decision:
    """Decide ``request`` as AWS does; see the module docstring for the order of the rules.

    Keys the context does not give are derived from the principal (``principal_context``);
    give a key the value None to model it as absent.
    """
    request = _with_principal_keys(request)
    resource = [resource_policy] if resource_policy else []
    endpoint = [endpoint_policy] if endpoint_policy else []
    denies = _matches([*identity_policies, *resource, *endpoint], request, "Deny")
    if denies:
        kind = denies[0].kind
        context = f"with an explicit deny in {ARTICLE[kind]} {POLICY_TYPE[kind]} policy"
        reason = f"Explicitly denied by {_names(denies)}; an explicit deny beats any allow."
        return Decision("explicit_deny", tuple(denies), reason, _message(request, context))
    endpoint_allows = _matches(endpoint, request, "Allow")
    if endpoint_policy is not None and not endpoint_allows:
        whole = Match(endpoint_policy.name, "endpoint", None, "ImplicitDeny", -1)
        why = f"the request came through a VPC endpoint and no statement of {endpoint_policy.name}"
        return _implicit(request, "endpoint", (whole,), why)
    identity_allows = _matches(identity_policies, request, "Allow")
    # A bucket policy Allow naming the caller (or everyone) grants on its own in the same
    # account; one naming only the caller's account delegates to that account's IAM policies.
    direct = _matches(resource, request, "Allow", DIRECT)
    delegated = _matches(resource, request, "Allow", ACCOUNT)
    same_account = principal_account(request.principal) == request.account
    if request.principal == "*":
        allowed = bool(direct)  # an anonymous caller has no identity policies
    elif same_account:
        allowed = bool(identity_allows or direct)
    else:
        allowed = bool(identity_allows and (direct or delegated))
    if allowed:
        deciding = (*identity_allows, *direct, *delegated, *endpoint_allows)
        reason = f"Allowed by {_names(deciding)}, and no statement denies it."
        return Decision("allow", deciding, reason, "")
    if request.principal == "*" or (not same_account and identity_allows):
        # Anonymous callers and other accounts need the bucket policy's allow.
        why = (
            f"no statement of {resource_policy.name}"
            if resource_policy
            else "no resource-based policy (the bucket has none)"
        )
        return _implicit(request, "resource", (), why)
    names = ", ".join(p.name for p in [*identity_policies, *resource])
    why = f"no statement of {names}" if names else "no policy (there are none)"
    if delegated:
        why = (
            f"{_names(delegated)} names only the account, which hands the decision to the "
            f"account's identity-based policies, and no statement of them"
        )
    return _implicit(request, "identity", (), why)
