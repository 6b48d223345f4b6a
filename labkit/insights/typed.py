"""Typed SQL fragments: what an expression compiles to, and the coercions between types.

Logs Insights values are loosely typed (a parsed ``"200"`` compares equal to ``200``);
DuckDB is strict. Every compiled expression therefore carries its :class:`Kind`, and
operators coerce their operands explicitly with the helpers here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Kind(enum.Enum):
    """The type of a compiled expression."""

    NUM = "number"
    STR = "string"
    TIME = "timestamp"
    BOOL = "boolean"
    PERIOD = "period"
    STAR = "star"


@dataclass(frozen=True)
class Typed:
    """A SQL expression with its kind; ``literal`` holds the Python value of a constant."""

    sql: str
    kind: Kind
    literal: Any = None
    is_literal: bool = False


NULL_STR = Typed("CAST(NULL AS VARCHAR)", Kind.STR)


def quote_ident(name: str) -> str:
    """Quote a SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def quote_str(value: str) -> str:
    """Quote a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def num_literal(value: int | float) -> Typed:
    """A numeric literal (floats as DOUBLE, not DECIMAL)."""
    sql = str(value) if isinstance(value, int) else f"CAST({value!r} AS DOUBLE)"
    return Typed(sql if value >= 0 else f"({sql})", Kind.NUM, value, True)


def str_literal(value: str) -> Typed:
    """A string literal."""
    return Typed(quote_str(value), Kind.STR, value, True)


def to_num(t: Typed) -> str:
    """SQL for ``t`` as a number; strings that are not numbers become NULL."""
    if t.kind is Kind.NUM:
        return t.sql
    if t.kind is Kind.TIME:
        return f"epoch_ms({t.sql})"
    if t.kind is Kind.BOOL:
        return f"CAST({t.sql} AS INTEGER)"
    if t.is_literal and isinstance(t.literal, str):
        number = parse_number(t.literal)
        return "CAST(NULL AS DOUBLE)" if number is None else num_literal(number).sql
    return f"TRY_CAST({t.sql} AS DOUBLE)"


def to_str(t: Typed) -> str:
    """SQL for ``t`` as a string; timestamps use the result format ``YYYY-MM-DD HH:MM:SS.mmm``."""
    if t.kind is Kind.STR:
        return t.sql
    if t.kind is Kind.TIME:
        return f"strftime({t.sql}, '%Y-%m-%d %H:%M:%S.%g')"
    if t.kind is Kind.BOOL:
        return f"CAST(CAST({t.sql} AS INTEGER) AS VARCHAR)"
    return f"CAST({t.sql} AS VARCHAR)"


def to_time(t: Typed) -> str:
    """SQL for ``t`` as a timestamp; numbers are epoch milliseconds."""
    if t.kind is Kind.TIME:
        return t.sql
    if t.kind is Kind.STR and not t.is_literal:
        return f"COALESCE(TRY_CAST({t.sql} AS TIMESTAMP), epoch_ms(TRY_CAST({t.sql} AS BIGINT)))"
    if t.kind is Kind.STR and parse_number(str(t.literal)) is None:
        return f"TRY_CAST({t.sql} AS TIMESTAMP)"
    return f"epoch_ms(CAST({to_num(t)} AS BIGINT))"


def truthy(t: Typed) -> str:
    """SQL boolean for a value used as a condition: non-zero numbers, non-empty strings."""
    if t.kind is Kind.BOOL:
        return t.sql
    if t.kind is Kind.NUM:
        return f"({t.sql} <> 0)"
    if t.kind is Kind.STR:
        return f"({t.sql} <> '')"
    return f"({t.sql} IS NOT NULL)"


def parse_number(text: str) -> int | float | None:
    """The number a string spells, or None."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None
