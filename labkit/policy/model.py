"""Policy documents: parsed once, validated with one clear line, then frozen.

Three kinds share one grammar: ``identity`` (attached to a user or role: no Principal),
``resource`` (a bucket policy: Principal required) and ``endpoint`` (a VPC endpoint policy:
Principal required, at most 20,480 characters).
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from labkit.errors import LabkitError
from labkit.policy.conditions import OperatorName, UnknownOperator, parse_operator
from labkit.policy.matching import split_arn

KINDS = ("identity", "resource", "endpoint")

# "The maximum size of an endpoint policy is 20,480 characters (including white space)."
# https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html
ENDPOINT_POLICY_MAX_CHARS = 20_480

# service:ActionName, wildcards allowed in the name; or "*".
_ACTION = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$")
_ACCOUNT = re.compile(r"^\d{12}$")
PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")

# The two policy language versions; without Version a policy is read as 2008-10-17, where
# ${...} policy variables are plain text.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html
VERSIONS = ("2012-10-17", "2008-10-17")
DEFAULT_VERSION = "2008-10-17"


class PolicyError(LabkitError):
    """A policy document that AWS would reject: one line saying what and where."""


@dataclass(frozen=True)
class Condition:
    """One operator applied to one context key, with the policy's values (OR'd)."""

    operator: str
    op: OperatorName
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Principals:
    """A Principal or NotPrincipal element: ``"*"`` or typed values (``AWS``, ``Service``...)."""

    values: tuple[tuple[str, str], ...]  # (type, value); ("AWS", "*") for "*"


@dataclass(frozen=True)
class Statement:
    """One statement; exactly one of each Action/NotAction and Resource/NotResource pair."""

    index: int
    sid: str | None
    effect: str  # "Allow" | "Deny"
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    principals: Principals | None
    not_principal: bool
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Policy:
    """A parsed, valid policy document with the name decisions show and its kind."""

    name: str
    kind: str
    statements: tuple[Statement, ...]
    version: str = DEFAULT_VERSION


def _where(name: str, index: int, sid: str | None) -> str:
    return f"{name}, statement {index}" + (f' (Sid "{sid}")' if sid else "")


def _strings(value: Any, element: str, where: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) for item in items):
        raise PolicyError(f"{where}: {element} must be a string or a list of strings")
    return tuple(items)


def _scalar(value: Any) -> str:
    """Condition values: strings, numbers and booleans (``true`` → ``"true"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check_action(action: str, where: str) -> None:
    if action != "*" and not _ACTION.match(action):
        raise PolicyError(
            f"{where}: action {action!r} is not service:Name (e.g. s3:GetObject, s3:*)"
        )


def _check_resource(resource: str, where: str) -> None:
    if resource != "*" and split_arn(resource) is None:
        raise PolicyError(
            f"{where}: resource {resource!r} is not an ARN "
            "(arn:partition:service:region:account:resource, e.g. arn:aws:s3:::bucket/*)"
        )


def _check_aws_principal(value: str, where: str) -> None:
    if value == "*" or _ACCOUNT.match(value):
        return
    parts = split_arn(value)
    if parts is None or parts[2] not in ("iam", "sts"):
        raise PolicyError(
            f"{where}: principal {value!r} is not an account id, an IAM ARN "
            "(arn:aws:iam::ACCOUNT:root|user/NAME|role/NAME) or an STS session ARN"
        )


def _principals(value: Any, element: str, where: str) -> Principals:
    if value == "*":
        return Principals((("AWS", "*"),))
    if not isinstance(value, Mapping) or not value:
        raise PolicyError(f'{where}: {element} must be "*" or an object like {{"AWS": "..."}}')
    pairs: list[tuple[str, str]] = []
    for kind, entries in value.items():
        if kind not in PRINCIPAL_TYPES:
            raise PolicyError(
                f"{where}: unknown {element} type {kind!r}; known: {', '.join(PRINCIPAL_TYPES)}"
            )
        for entry in _strings(entries, f"{element} {kind}", where):
            if kind == "AWS":
                _check_aws_principal(entry, where)
            pairs.append((kind, entry))
    return Principals(tuple(pairs))


def _conditions(value: Any, where: str) -> tuple[Condition, ...]:
    if not isinstance(value, Mapping):
        raise PolicyError(f"{where}: Condition must be an object of operator → {{key: values}}")
    conditions = []
    for name, block in value.items():
        try:
            op = parse_operator(name)
        except UnknownOperator as err:
            raise PolicyError(f"{where}: {err}") from None
        if not isinstance(block, Mapping) or not block:
            raise PolicyError(f"{where}: Condition {name} must be an object of key → values")
        for key, raw in block.items():
            items = raw if isinstance(raw, list) else [raw]
            if not all(isinstance(i, str | int | float | bool) for i in items):
                raise PolicyError(f"{where}: Condition {name} {key}: values must be scalars")
            conditions.append(Condition(name, op, key, tuple(_scalar(i) for i in items)))
    return tuple(conditions)


def _pair(raw: Mapping[str, Any], element: str, where: str) -> tuple[Any, bool]:
    """The value of ``element`` or ``Not<element>`` (exactly one), and whether it is Not."""
    has, has_not = element in raw, f"Not{element}" in raw
    if has and has_not:
        raise PolicyError(f"{where}: use {element} or Not{element}, not both")
    if not has and not has_not:
        raise PolicyError(f"{where}: missing {element} (or Not{element})")
    return (raw[f"Not{element}"], True) if has_not else (raw[element], False)


def _statement(raw: Any, index: int, name: str, kind: str) -> Statement:
    sid = raw.get("Sid") if isinstance(raw, Mapping) else None
    sid = sid if isinstance(sid, str) else None
    where = _where(name, index, sid)
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where}: a statement must be a JSON object")
    if "Effect" not in raw:
        raise PolicyError(f'{where}: missing Effect ("Allow" or "Deny")')
    effect = raw["Effect"]
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f'{where}: Effect is {effect!r}; use "Allow" or "Deny"')
    actions_raw, not_action = _pair(raw, "Action", where)
    actions = _strings(actions_raw, "Action", where)
    for action in actions:
        _check_action(action, where)
    resources_raw, not_resource = _pair(raw, "Resource", where)
    resources = _strings(resources_raw, "Resource", where)
    for resource in resources:
        _check_resource(resource, where)
    principals: Principals | None = None
    not_principal = False
    if kind == "identity":
        for element in ("Principal", "NotPrincipal"):
            if element in raw:
                raise PolicyError(
                    f"{where}: {element} is not allowed in an identity-based policy "
                    "(it names the caller only in resource and endpoint policies)"
                )
    else:
        value, not_principal = _pair(raw, "Principal", where)
        if not_principal and effect != "Deny":
            # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
            raise PolicyError(f'{where}: NotPrincipal works only with "Effect": "Deny"')
        principals = _principals(value, "NotPrincipal" if not_principal else "Principal", where)
    conditions = _conditions(raw["Condition"], where) if "Condition" in raw else ()
    return Statement(
        index, sid, effect, actions, not_action, resources, not_resource,
        principals, not_principal, conditions,
    )  # fmt: skip


def _load(document: str | Mapping[str, Any], name: str) -> tuple[Mapping[str, Any], int]:
    if isinstance(document, str):
        try:
            loaded = json.loads(document)
        except json.JSONDecodeError as err:
            raise PolicyError(
                f"{name}: malformed JSON at line {err.lineno} column {err.colno}: {err.msg}"
            ) from None
        size = len(document)
    else:
        try:
            loaded, size = document, len(json.dumps(document))
        except (TypeError, ValueError):
            raise PolicyError(f"{name}: the policy holds values JSON cannot express") from None
    if not isinstance(loaded, Mapping):
        raise PolicyError(f'{name}: a policy must be a JSON object with a "Statement"')
    return loaded, size


def parse_policy(document: str | Mapping[str, Any], *, name: str, kind: str) -> Policy:
    """Parse and validate a policy document; raise PolicyError with one line on any fault."""
    if kind not in KINDS:
        raise PolicyError(f"{name}: unknown policy kind {kind!r}; known: {', '.join(KINDS)}")
    loaded, size = _load(document, name)
    if kind == "endpoint" and size > ENDPOINT_POLICY_MAX_CHARS:
        raise PolicyError(
            f"{name}: an endpoint policy is {size:,} characters, over AWS's limit of "
            f"{ENDPOINT_POLICY_MAX_CHARS:,}; shorten it"
        )
    version = loaded.get("Version", DEFAULT_VERSION)
    if version not in VERSIONS:
        raise PolicyError(
            f'{name}: Version is {version!r}; use "2012-10-17" (or omit it for 2008-10-17)'
        )
    if "Statement" not in loaded:
        raise PolicyError(f'{name}: missing "Statement"')
    raw = loaded["Statement"]
    raws = raw if isinstance(raw, list) else [raw]
    if not raws:
        raise PolicyError(f'{name}: "Statement" is empty')
    statements = tuple(_statement(item, i, name, kind) for i, item in enumerate(raws))
    return Policy(name, kind, statements, version)
