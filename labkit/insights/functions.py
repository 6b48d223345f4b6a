"""Scalar functions of Logs Insights QL (aws-facts B.4), each compiled to DuckDB SQL.

IP tests use :mod:`ipaddress`. IPv4 tests against a constant CIDR, the common case on big
flow-log files, compile to integer range checks in SQL (macros below) so DuckDB never
calls back into Python; IPv6 and non-constant subnets go through Python UDFs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from typing import Any

from labkit.insights.registry import CallContext, function
from labkit.insights.typed import Kind, Typed, quote_str, to_num, to_str, to_time

_IPV4_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4_RE = rf"^({_IPV4_OCTET}\.){{3}}{_IPV4_OCTET}$"

# Run on every connection before a query: helper macros used by the SQL below.
SQL_SETUP = (
    f"CREATE OR REPLACE TEMP MACRO li_ipv4_valid(x) AS regexp_full_match(x, '{_IPV4_RE}')",
    "CREATE OR REPLACE TEMP MACRO li_ipv4_int(x) AS CASE WHEN li_ipv4_valid(x) THEN "
    "CAST(split_part(x, '.', 1) AS BIGINT) * 16777216 + CAST(split_part(x, '.', 2) AS BIGINT)"
    " * 65536 + CAST(split_part(x, '.', 3) AS BIGINT) * 256"
    " + CAST(split_part(x, '.', 4) AS BIGINT) END",
)

# Period units: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-operations-functions.html
# The 2023 doc names m and h; s, d, w, mo, q and y are accepted here as the current docs
# suggest (aws-facts B.4, UNVERIFIED). Buckets follow DuckDB's time_bucket: aligned to
# midnight UTC, weeks to Mondays, months/quarters/years to the calendar.
PERIOD_UNITS = {
    "ms": (1, "milliseconds"),
    "s": (1, "seconds"),
    "m": (1, "minutes"),
    "h": (1, "hours"),
    "d": (1, "days"),
    "w": (7, "days"),
    "mo": (1, "months"),
    "q": (3, "months"),
    "y": (1, "years"),
}


def interval_sql(amount: int, unit: str) -> str:
    """A DuckDB INTERVAL literal for a period such as (5, "m")."""
    factor, name = PERIOD_UNITS[unit]
    return f"INTERVAL '{amount * factor} {name}'"


def _num(sql: str) -> Typed:
    return Typed(sql, Kind.NUM)


def _str(sql: str) -> Typed:
    return Typed(sql, Kind.STR)


def _bool(sql: str) -> Typed:
    return Typed(sql, Kind.BOOL)


# ---------------------------------------------------------------- numeric


@function("abs")
def _abs(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """Absolute value."""
    return _num(f"abs({to_num(a[0])})")


@function("ceil")
def _ceil(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """Round up to an integer."""
    return _num(f"ceil({to_num(a[0])})")


@function("floor")
def _floor(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """Round down to an integer."""
    return _num(f"floor({to_num(a[0])})")


@function("greatest", args=(1, None))
def _greatest(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """The largest of the arguments (missing ones are skipped)."""
    return _num(f"greatest({', '.join(to_num(x) for x in a)})")


@function("least", args=(1, None))
def _least(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """The smallest of the arguments (missing ones are skipped)."""
    return _num(f"least({', '.join(to_num(x) for x in a)})")


@function("log")
def _log(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """Natural logarithm; missing for zero or negative input."""
    x = to_num(a[0])
    return _num(f"CASE WHEN {x} > 0 THEN ln({x}) END")


@function("sqrt")
def _sqrt(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """Square root; missing for negative input."""
    x = to_num(a[0])
    return _num(f"CASE WHEN {x} >= 0 THEN sqrt({x}) END")


@function("pow", args=2)
def _pow(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """``pow(x, y)`` = x to the power y, like ``x ^ y``."""
    return _num(f"power({to_num(a[0])}, {to_num(a[1])})")


@function("mod", args=2)
def _mod(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """``mod(x, y)`` = remainder of x / y, like ``x % y``; missing when y is 0."""
    return _num(modulo_sql(to_num(a[0]), to_num(a[1])))


def modulo_sql(x: str, y: str) -> str:
    """``x % y`` that gives NULL instead of DuckDB's error when y is 0."""
    return f"CASE WHEN {y} <> 0 THEN {x} % {y} END"


# ---------------------------------------------------------------- general


@function("ispresent")
def _ispresent(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """True if the field exists in the event."""
    return _bool(f"({a[0].sql} IS NOT NULL)")


@function("coalesce", args=(1, None))
def _coalesce(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """The first argument that is not missing."""
    kinds = {x.kind for x in a}
    if len(kinds) == 1:
        return Typed(f"coalesce({', '.join(x.sql for x in a)})", a[0].kind)
    if kinds <= {Kind.NUM, Kind.BOOL}:
        return _num(f"coalesce({', '.join(to_num(x) for x in a)})")
    return _str(f"coalesce({', '.join(to_str(x) for x in a)})")


# ---------------------------------------------------------------- strings


@function("isempty")
def _isempty(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """1 if the field is missing or an empty string, else 0."""
    s = to_str(a[0])
    return _num(f"CASE WHEN {s} IS NULL OR {s} = '' THEN 1 ELSE 0 END")


@function("isblank")
def _isblank(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """1 if the field is missing, empty or only whitespace, else 0."""
    s = to_str(a[0])
    return _num(f"CASE WHEN {s} IS NULL OR trim({s}, ' \t\n\r') = '' THEN 1 ELSE 0 END")


@function("concat", args=(1, None))
def _concat(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """Join strings; missing arguments count as empty."""
    return _str(f"concat({', '.join(to_str(x) for x in a)})")


def _trim(kind: str) -> Callable[[Sequence[Typed], CallContext], Typed]:
    def build(a: Sequence[Typed], ctx: CallContext) -> Typed:
        chars = to_str(a[1]) if len(a) > 1 else "' \t\n\r'"
        return _str(f"{kind}({to_str(a[0])}, {chars})")

    return build


function("ltrim", args=(1, 2))(_trim("ltrim"))
function("rtrim", args=(1, 2))(_trim("rtrim"))
function("trim", args=(1, 2))(_trim("trim"))


@function("strlen")
def _strlen(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """Length in Unicode code points."""
    return _num(f"length({to_str(a[0])})")


@function("toupper")
def _toupper(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """Upper-case."""
    return _str(f"upper({to_str(a[0])})")


@function("tolower")
def _tolower(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """Lower-case."""
    return _str(f"lower({to_str(a[0])})")


@function("substr", args=(2, 3))
def _substr(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """``substr(s, start[, length])`` with a 0-based start: substr("xyZfooxyZ",3,3) = "foo"."""
    start = f"CAST({to_num(a[1])} AS BIGINT) + 1"
    if len(a) == 3:
        return _str(f"substring({to_str(a[0])}, {start}, CAST({to_num(a[2])} AS BIGINT))")
    return _str(f"substring({to_str(a[0])}, {start})")


@function("replace", args=3)
def _replace(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """Replace every occurrence of a search string."""
    return _str(f"replace({to_str(a[0])}, {to_str(a[1])}, {to_str(a[2])})")


@function("strcontains", args=2)
def _strcontains(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """1 if the string contains the search string, else 0."""
    return _num(f"CASE WHEN contains({to_str(a[0])}, {to_str(a[1])}) THEN 1 ELSE 0 END")


# ---------------------------------------------------------------- date and time


def _period(a: Sequence[Typed], index: int, ctx: CallContext) -> str:
    ctx.require_kind(a, index, Kind.PERIOD, "a period such as 5m or 1h")
    return a[index].sql


@function("bin")
def _bin(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """Round @timestamp down to a multiple of the period: ``bin(5m)``."""
    period = _period(a, 0, ctx)
    if ctx.timestamp is None:
        return Typed("CAST(NULL AS TIMESTAMP)", Kind.TIME)
    return Typed(f"time_bucket({period}, {to_time(ctx.timestamp)})", Kind.TIME)


@function("datefloor", args=2)
def _datefloor(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """Round a timestamp down to a multiple of the period."""
    return Typed(f"time_bucket({_period(a, 1, ctx)}, {to_time(a[0])})", Kind.TIME)


@function("dateceil", args=2)
def _dateceil(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """Round a timestamp up to a multiple of the period."""
    period, ts = _period(a, 1, ctx), to_time(a[0])
    floor = f"time_bucket({period}, {ts})"
    return Typed(f"CASE WHEN {floor} = {ts} THEN {ts} ELSE {floor} + {period} END", Kind.TIME)


@function("fromMillis")
def _from_millis(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """Epoch milliseconds to a timestamp."""
    return Typed(f"epoch_ms(CAST({to_num(a[0])} AS BIGINT))", Kind.TIME)


@function("toMillis")
def _to_millis(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """A timestamp to epoch milliseconds."""
    return _num(f"epoch_ms({to_time(a[0])})")


# ---------------------------------------------------------------- IP addresses


def ipv6_valid(value: str) -> bool:
    """True for a valid IPv6 address (UDF li_ipv6_valid)."""
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True


def ip_in_subnet(value: str, cidr: str) -> bool:
    """True if an IPv4/IPv6 address lies in a CIDR block (UDF li_ip_in_subnet)."""
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(cidr, strict=False)
    except (ValueError, TypeError):
        return False


# (name, python function, parameter types, return type), created on every connection.
UDFS: tuple[tuple[str, Callable[..., Any], list[str], str], ...] = (
    ("li_ipv6_valid", ipv6_valid, ["VARCHAR"], "BOOLEAN"),
    ("li_ip_in_subnet", ip_in_subnet, ["VARCHAR", "VARCHAR"], "BOOLEAN"),
)


@function("isValidIp")
def _is_valid_ip(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """True for a valid IPv4 or IPv6 address."""
    s = to_str(a[0])
    return _bool(
        f"coalesce(li_ipv4_valid({s}) OR (contains({s}, ':') AND li_ipv6_valid({s})), false)"
    )


@function("isValidIpV4")
def _is_valid_ipv4(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """True for a valid IPv4 address."""
    return _bool(f"coalesce(li_ipv4_valid({to_str(a[0])}), false)")


@function("isValidIpV6")
def _is_valid_ipv6(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """True for a valid IPv6 address."""
    return _bool(f"coalesce(li_ipv6_valid({to_str(a[0])}), false)")


def _subnet(version: int | None) -> Callable[[Sequence[Typed], CallContext], Typed]:
    def build(a: Sequence[Typed], ctx: CallContext) -> Typed:
        address = to_str(a[0])
        if not a[1].is_literal:
            return _bool(f"coalesce(li_ip_in_subnet({address}, {to_str(a[1])}), false)")
        try:
            net = ipaddress.ip_network(str(a[1].literal), strict=False)
        except ValueError:
            raise ctx.fail(f"{a[1].literal!r} is not a CIDR block such as 10.0.0.0/16", 1) from None
        if version is not None and net.version != version:
            raise ctx.fail(f"{a[1].literal!r} is not an IPv{version} CIDR block", 1)
        if net.version == 4:
            low, high = int(net.network_address), int(net.broadcast_address)
            return _bool(f"coalesce(li_ipv4_int({address}) BETWEEN {low} AND {high}, false)")
        return _bool(
            f"coalesce(contains({address}, ':') AND "
            f"li_ip_in_subnet({address}, {quote_str(str(net))}), false)"
        )

    return build


function("isIpInSubnet", args=2)(_subnet(None))
function("isIpv4InSubnet", args=2)(_subnet(4))
function("isIpv6InSubnet", args=2)(_subnet(6))
