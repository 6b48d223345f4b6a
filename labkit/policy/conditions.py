"""IAM condition operators: a registry of comparisons and AWS's rules for combining them.

Each operator is a function ``(policy_value, request_value) -> bool`` registered with
``@operator(name)``. A negated operator (``StringNotEquals``, ``NotIpAddress``...) is
registered as the negation of its positive twin, because AWS's negation is not per value:
with several policy values the positive form is an OR, the negated form a NOR
(the key must match none of them), and a negated operator is true when the key is missing.

An operator name may carry a set prefix (``ForAnyValue:``/``ForAllValues:``) and an
``IfExists`` suffix (every operator except ``Null``).
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from labkit.policy.matching import split_arn, wildcard_match

Compare = Callable[[str, str], bool]

OPERATORS: dict[str, Compare] = {}
"""Positive operators by name."""

NEGATED: dict[str, str] = {}
"""Negated operator name → the positive operator it negates."""

SET_PREFIXES = ("ForAnyValue", "ForAllValues")

# Operators whose policy values are wildcard patterns (the others compare literally).
PATTERN_OPERATORS = frozenset(
    {"StringLike", "StringNotLike", "ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals"}
)
IF_EXISTS = "IfExists"


def operator(name: str, *, negation: str | None = None) -> Callable[[Compare], Compare]:
    """Register ``name`` (and, if given, its negated twin ``negation``) in the registry."""

    def register(func: Compare) -> Compare:
        OPERATORS[name] = func
        if negation is not None:
            NEGATED[negation] = name
        return func

    return register


def known_operators() -> list[str]:
    """Every base operator name, positive and negated, sorted."""
    return sorted([*OPERATORS, *NEGATED, "Null"])


@dataclass(frozen=True)
class OperatorName:
    """A parsed operator: ``ForAnyValue:StringNotLikeIfExists`` → its three parts."""

    base: str
    set_prefix: str | None
    if_exists: bool

    @property
    def negated(self) -> bool:
        """True for StringNotEquals, NotIpAddress, ArnNotLike and the other negations."""
        return self.base in NEGATED


class UnknownOperator(ValueError):
    """An operator name the registry does not hold; the message says why."""


def parse_operator(name: str) -> OperatorName:
    """Split an operator name into prefix, base and ``IfExists``; raise UnknownOperator."""
    prefix: str | None = None
    base = name
    if ":" in name:
        prefix, base = name.split(":", 1)
        if prefix not in SET_PREFIXES:
            raise UnknownOperator(
                f"unknown set operator {prefix!r} in {name!r}; use ForAnyValue: or ForAllValues:"
            )
    if_exists = base.endswith(IF_EXISTS) and base != IF_EXISTS
    if if_exists:
        base = base[: -len(IF_EXISTS)]
    if base not in OPERATORS and base not in NEGATED and base != "Null":
        raise UnknownOperator(
            f"unknown condition operator {name!r}; known: {', '.join(known_operators())} "
            "(each may end in IfExists and start with ForAnyValue: or ForAllValues:)"
        )
    if base == "Null" and (if_exists or prefix):
        raise UnknownOperator(f"{name!r}: Null takes no IfExists and no set prefix")
    return OperatorName(base, prefix, if_exists)


def _text(value: object) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def lookup(context: Mapping[str, Any], key: str) -> list[str] | None:
    """The request's values for ``key`` (names are case-insensitive), or None if absent.

    Values may be a string, a list of strings, or (from JSON) a boolean or number, read as
    ``"true"``/``"false"`` or its decimal text; a null value counts as absent.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
    """
    wanted = key.lower()
    for name, value in context.items():
        if name.lower() == wanted:
            if value is None:
                return None
            if isinstance(value, list | tuple):
                return [_text(v) for v in value]
            return [_text(value)]
    return None


def condition_holds(
    op: OperatorName, policy_values: Sequence[str], request_values: list[str] | None
) -> bool:
    """One operator on one key: AWS's missing-key, OR/NOR and set-operator rules."""
    if op.base == "Null":
        # Null "true": the key must be absent; "false": present. Several values: OR.
        absent = request_values is None
        return any((v.lower() == "true") == absent for v in policy_values)
    if request_values is None:
        if op.if_exists or op.set_prefix == "ForAllValues":
            return True  # ForAllValues is also true for a missing key (do not Allow with it)
        if op.set_prefix == "ForAnyValue":
            return False
        return op.negated  # a negated operator is true when the key is missing
    compare = OPERATORS[NEGATED.get(op.base, op.base)]

    def one(request_value: str) -> bool:
        hit = any(compare(p, request_value) for p in policy_values)
        return not hit if op.negated else hit

    if op.set_prefix == "ForAllValues":
        return all(one(v) for v in request_values)
    if op.set_prefix == "ForAnyValue":
        return any(one(v) for v in request_values)
    # Choice: a multi-valued key under a plain operator behaves like ForAnyValue for a
    # positive operator and requires no value to match for a negated one.
    hit = any(compare(p, v) for p in policy_values for v in request_values)
    return not hit if op.negated else hit


# --- String operators -----------------------------------------------------------------


@operator("StringEquals", negation="StringNotEquals")
def _string_equals(policy: str, value: str) -> bool:
    return policy == value


@operator("StringEqualsIgnoreCase", negation="StringNotEqualsIgnoreCase")
def _string_equals_ignore_case(policy: str, value: str) -> bool:
    return policy.casefold() == value.casefold()


@operator("StringLike", negation="StringNotLike")
def _string_like(policy: str, value: str) -> bool:
    return wildcard_match(policy, value)


# --- Numeric operators ----------------------------------------------------------------


def _numbers(policy: str, value: str) -> tuple[float, float] | None:
    try:
        return float(policy), float(value)
    except ValueError:
        return None  # a value that is not a number matches nothing


def _numeric(test: Callable[[float, float], bool]) -> Compare:
    def compare(policy: str, value: str) -> bool:
        pair = _numbers(policy, value)
        return pair is not None and test(pair[1], pair[0])

    return compare


operator("NumericEquals", negation="NumericNotEquals")(_numeric(lambda v, p: v == p))
operator("NumericLessThan")(_numeric(lambda v, p: v < p))
operator("NumericLessThanEquals")(_numeric(lambda v, p: v <= p))
operator("NumericGreaterThan")(_numeric(lambda v, p: v > p))
operator("NumericGreaterThanEquals")(_numeric(lambda v, p: v >= p))


# --- Date operators -------------------------------------------------------------------


def parse_date(text: str) -> datetime | None:
    """An ISO 8601 date/time (``2026-01-01``, ``2026-01-01T00:00:00Z``) or epoch seconds."""
    try:
        if text.lstrip("-").replace(".", "", 1).isdigit():
            return datetime.fromtimestamp(float(text), tz=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _date(test: Callable[[datetime, datetime], bool]) -> Compare:
    def compare(policy: str, value: str) -> bool:
        p, v = parse_date(policy), parse_date(value)
        return p is not None and v is not None and test(v, p)

    return compare


operator("DateEquals", negation="DateNotEquals")(_date(lambda v, p: v == p))
operator("DateLessThan")(_date(lambda v, p: v < p))
operator("DateLessThanEquals")(_date(lambda v, p: v <= p))
operator("DateGreaterThan")(_date(lambda v, p: v > p))
operator("DateGreaterThanEquals")(_date(lambda v, p: v >= p))


# --- Bool, binary, IP and ARN ---------------------------------------------------------


@operator("Bool")
def _bool(policy: str, value: str) -> bool:
    return policy.lower() == value.lower()


@operator("BinaryEquals")
def _binary_equals(policy: str, value: str) -> bool:
    """Both sides are base64; compared as bytes (malformed base64 compares as text)."""
    try:
        return base64.b64decode(policy, validate=True) == base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return policy == value


@operator("IpAddress", negation="NotIpAddress")
def _ip_address(policy: str, value: str) -> bool:
    """IPv4 or IPv6 address ``value`` inside CIDR ``policy`` (a bare address is a /32 or /128)."""
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(policy, strict=False)
    except ValueError:
        return False


@operator("ArnLike", negation="ArnNotLike")
def _arn_like(policy: str, value: str) -> bool:
    """Each of the six ARN parts matched on its own, case-sensitively, with wildcards."""
    wanted, actual = split_arn(policy), split_arn(value)
    if wanted is None or actual is None:
        return False
    return all(wildcard_match(w, a) for w, a in zip(wanted, actual, strict=True))


# ArnEquals behaves exactly like ArnLike (wildcards included), per the operator reference.
operator("ArnEquals", negation="ArnNotEquals")(_arn_like)
