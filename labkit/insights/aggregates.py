"""Aggregate functions for ``stats`` (aws-facts B.4); they skip missing and non-numeric values."""

from __future__ import annotations

from collections.abc import Sequence

from labkit.insights.registry import CallContext, function
from labkit.insights.typed import Kind, Typed, to_num


@function("count", args=(0, 1), aggregate=True)
def _count(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """count() or count(*): all events; count(field): events that have the field."""
    if not a or a[0].kind is Kind.STAR:
        return Typed("count(*)", Kind.NUM)
    return Typed(f"count({a[0].sql})", Kind.NUM)


@function("count_distinct", aggregate=True)
def _count_distinct(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """Number of distinct values (exact here; AWS approximates at high cardinality)."""
    return Typed(f"count(DISTINCT {a[0].sql})", Kind.NUM)


@function("sum", aggregate=True)
def _sum(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """Sum of the numeric values."""
    return Typed(f"sum({to_num(a[0])})", Kind.NUM)


@function("avg", aggregate=True)
def _avg(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """Mean of the numeric values."""
    return Typed(f"avg({to_num(a[0])})", Kind.NUM)


@function("stddev", aggregate=True)
def _stddev(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """Sample standard deviation of the numeric values."""
    return Typed(f"stddev_samp({to_num(a[0])})", Kind.NUM)


def _extreme(name: str, a: Sequence[Typed]) -> Typed:
    if a[0].kind is Kind.TIME:  # min(@timestamp) stays a timestamp
        return Typed(f"{name}({a[0].sql})", Kind.TIME)
    return Typed(f"{name}({to_num(a[0])})", Kind.NUM)


@function("min", aggregate=True)
def _min(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """Smallest numeric value (or earliest timestamp)."""
    return _extreme("min", a)


@function("max", aggregate=True)
def _max(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """Largest numeric value (or latest timestamp)."""
    return _extreme("max", a)


@function("pct", args=2, aggregate=True)
def _pct(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """``pct(field, p)``: the p-th percentile, by nearest rank (a value that occurs)."""
    p = a[1].literal
    if not a[1].is_literal or not isinstance(p, int | float) or not 0 <= p <= 100:
        raise ctx.fail("the percentile must be a number from 0 to 100", 1)
    # DuckDB's quantile_disc returns the nearest-rank value: sorted[ceil(n * p) - 1].
    return Typed(f"quantile_disc({to_num(a[0])}, {p / 100!r})", Kind.NUM)


def _by_time(name: str, a: Sequence[Typed], ctx: CallContext) -> Typed:
    if ctx.timestamp is None:
        return Typed("NULL", a[0].kind)
    # Choice (AWS is silent): the value from the earliest/latest event that has the field.
    return Typed(
        f"{name}({a[0].sql}, {ctx.timestamp.sql}) FILTER (WHERE {a[0].sql} IS NOT NULL)", a[0].kind
    )


@function("earliest", aggregate=True)
def _earliest(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """The field's value in the event with the earliest @timestamp."""
    return _by_time("arg_min", a, ctx)


@function("latest", aggregate=True)
def _latest(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """The field's value in the event with the latest @timestamp."""
    return _by_time("arg_max", a, ctx)


@function("sortsFirst", aggregate=True)
def _sorts_first(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """The value that sorts first (numbers numerically, strings alphabetically)."""
    return Typed(f"min({a[0].sql})", a[0].kind)


@function("sortsLast", aggregate=True)
def _sorts_last(a: Sequence[Typed], ctx: CallContext) -> Typed:
    """The value that sorts last (numbers numerically, strings alphabetically)."""
    return Typed(f"max({a[0].sql})", a[0].kind)
