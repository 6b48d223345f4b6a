"""The syntax tree of a Logs Insights query: frozen dataclasses, one per construct.

Every node carries ``span``, the ``(start, end)`` character offsets of its source text, so
that later stages (checks, the compiler) can put a caret under the offending column.
"""

from __future__ import annotations

from dataclasses import dataclass

Span = tuple[int, int]


@dataclass(frozen=True, kw_only=True)
class Node:
    """Base of every syntax-tree node."""

    span: Span = (0, 0)


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Field(Node):
    """A field reference: ``srcAddr``, ``@timestamp``, ``user.name`` or a backticked name."""

    name: str


@dataclass(frozen=True)
class Number(Node):
    """A numeric literal."""

    value: int | float


@dataclass(frozen=True)
class String(Node):
    """A quoted string literal (escapes already resolved)."""

    value: str


@dataclass(frozen=True)
class Regex(Node):
    """A ``/regex/`` literal, as written between the slashes."""

    pattern: str


@dataclass(frozen=True)
class Period(Node):
    """A time period literal such as ``5m`` or ``1h``."""

    amount: int
    unit: str


@dataclass(frozen=True)
class ListLit(Node):
    """A bracketed list of expressions, the right side of ``in``."""

    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Star(Node):
    """The ``*`` argument of ``count(*)``."""


@dataclass(frozen=True)
class Call(Node):
    """A function call, scalar or aggregate."""

    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Neg(Node):
    """Unary minus."""

    operand: Expr


@dataclass(frozen=True)
class BinOp(Node):
    """Arithmetic: ``+ - * / % ^``."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Compare(Node):
    """Comparison: ``= != < <= > >=``."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class InList(Node):
    """``x in [...]`` or ``x not in [...]``."""

    operand: Expr
    items: tuple[Expr, ...]
    negated: bool = False


@dataclass(frozen=True)
class Like(Node):
    """``x like "sub"``, ``x like /re/``, ``x =~ /re/`` and their ``not like`` forms."""

    operand: Expr
    pattern: String | Regex
    negated: bool = False


@dataclass(frozen=True)
class Not(Node):
    """Boolean ``not``."""

    operand: Expr


@dataclass(frozen=True)
class BoolOp(Node):
    """Boolean ``and`` / ``or``."""

    op: str
    left: Expr
    right: Expr


Expr = (
    Field
    | Number
    | String
    | Regex
    | Period
    | ListLit
    | Star
    | Call
    | Neg
    | BinOp
    | Compare
    | InList
    | Like
    | Not
    | BoolOp
)


# ---------------------------------------------------------------- commands


@dataclass(frozen=True)
class Item(Node):
    """An expression with an optional ``as`` alias; ``text`` is its source text."""

    expr: Expr
    alias: str | None
    text: str

    @property
    def name(self) -> str:
        """The output field name: the alias, the field's own name, or the source text."""
        if self.alias is not None:
            return self.alias
        if isinstance(self.expr, Field):
            return self.expr.name
        return self.text


@dataclass(frozen=True)
class SortKey(Node):
    """One ``sort`` key and its direction."""

    expr: Expr
    descending: bool = False


@dataclass(frozen=True)
class Fields(Node):
    """``fields a, f(b) as c``."""

    items: tuple[Item, ...]


@dataclass(frozen=True)
class Display(Node):
    """``display a, b``; only the last one counts."""

    names: tuple[Field, ...]


@dataclass(frozen=True)
class Filter(Node):
    """``filter <condition>``."""

    condition: Expr


@dataclass(frozen=True)
class Stats(Node):
    """``stats agg(...) [as n], ... [by expr [as n], ...]``."""

    items: tuple[Item, ...]
    by: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Sort(Node):
    """``sort key [asc|desc], ...``."""

    keys: tuple[SortKey, ...]


@dataclass(frozen=True)
class Limit(Node):
    """``limit n``."""

    count: int


@dataclass(frozen=True)
class Parse(Node):
    """``parse [field] "glob * pattern" as a, b`` or ``parse [field] /(?<a>...)/``."""

    source: Field
    pattern: String | Regex
    names: tuple[Field, ...] = ()


@dataclass(frozen=True)
class Dedup(Node):
    """``dedup a, b``."""

    names: tuple[Field, ...]


Command = Fields | Display | Filter | Stats | Sort | Limit | Parse | Dedup


@dataclass(frozen=True)
class Query(Node):
    """A parsed and checked query: its text and its commands, in order."""

    text: str
    commands: tuple[Command, ...]
