"""Compile expression nodes to typed DuckDB SQL.

Logs Insights is loosely typed and DuckDB is not, so each operator looks at its operands'
kinds: comparisons between a number and a string compare numerically (a string that is
not a number matches nothing), timestamps compare with numbers as epoch milliseconds,
and conditions accept numbers (non-zero) and strings (non-empty) as well as booleans.

Choice (AWS is silent): any comparison with a missing field is false, ``!=`` and
``not in`` included, as in SQL.
"""

from __future__ import annotations

from collections.abc import Mapping

from labkit.insights import ast
from labkit.insights.errors import QueryError
from labkit.insights.functions import interval_sql, modulo_sql
from labkit.insights.patterns import to_re2
from labkit.insights.registry import CallContext, lookup
from labkit.insights.typed import (
    NULL_STR,
    Kind,
    Typed,
    num_literal,
    quote_str,
    str_literal,
    to_num,
    to_str,
    to_time,
    truthy,
)

_SQL_OPS = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


class ExprCompiler:
    """Compiles expressions against a scope of visible fields."""

    def __init__(self, query: str, scope: Mapping[str, Typed], timestamp: Typed | None) -> None:
        self.query = query
        self.scope = scope
        self.timestamp = timestamp

    def compile(self, node: ast.Expr) -> Typed:
        """Typed SQL for an expression."""
        if isinstance(node, ast.Field):
            return self.scope.get(node.name, NULL_STR)
        if isinstance(node, ast.Number):
            return num_literal(node.value)
        if isinstance(node, ast.String):
            return str_literal(node.value)
        if isinstance(node, ast.Period):
            return Typed(interval_sql(node.amount, node.unit), Kind.PERIOD)
        if isinstance(node, ast.Star):
            return Typed("*", Kind.STAR)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Neg):
            return Typed(f"(-{to_num(self.compile(node.operand))})", Kind.NUM)
        if isinstance(node, ast.BinOp):
            return self._arith(node)
        if isinstance(node, ast.Compare):
            return Typed(
                compare(node.op, self.compile(node.left), self.compile(node.right)), Kind.BOOL
            )
        if isinstance(node, ast.InList):
            return self._in(node)
        if isinstance(node, ast.Like):
            return self._like(node)
        if isinstance(node, ast.Not):
            return Typed(f"(NOT {truthy(self.compile(node.operand))})", Kind.BOOL)
        if isinstance(node, ast.BoolOp):
            left, right = truthy(self.compile(node.left)), truthy(self.compile(node.right))
            return Typed(f"({left} {node.op.upper()} {right})", Kind.BOOL)
        raise QueryError("this cannot be used as a value here", self.query, node.span[0])

    def condition(self, node: ast.Expr) -> str:
        """SQL boolean for a ``filter`` condition."""
        return truthy(self.compile(node))

    def _call(self, node: ast.Call) -> Typed:
        fn = lookup(node, self.query)
        args = [self.compile(arg) for arg in node.args]
        for index, arg in enumerate(args):
            if arg.kind is Kind.PERIOD and fn.name not in {"bin", "datefloor", "dateceil"}:
                raise QueryError(
                    f"{fn.name}() does not take a period", self.query, node.args[index].span[0]
                )
        return fn.build(args, CallContext(self.query, node, self.timestamp))

    def _arith(self, node: ast.BinOp) -> Typed:
        a, b = to_num(self.compile(node.left)), to_num(self.compile(node.right))
        if node.op == "/":
            return Typed(f"({a} / NULLIF({b}, 0))", Kind.NUM)
        if node.op == "%":
            return Typed(modulo_sql(a, b), Kind.NUM)
        if node.op == "^":
            return Typed(f"power({a}, {b})", Kind.NUM)
        return Typed(f"({a} {node.op} {b})", Kind.NUM)

    def _in(self, node: ast.InList) -> Typed:
        value = self.compile(node.operand)
        items = [self.compile(item) for item in node.items]
        if not items:
            sql = "false"
        elif all(i.is_literal and i.kind is value.kind for i in items) and value.kind in (
            Kind.NUM,
            Kind.STR,
        ):
            sql = f"({value.sql} IN ({', '.join(i.sql for i in items)}))"
        else:  # mixed types: each item compares as = would; no match is false, not missing
            sql = (
                "(" + " OR ".join(f"coalesce({compare('=', value, i)}, false)" for i in items) + ")"
            )
        if node.negated:  # a missing value is in no list and not "not in" one either
            sql = f"({value.sql} IS NOT NULL AND NOT {sql})"
        return Typed(sql, Kind.BOOL)

    def _like(self, node: ast.Like) -> Typed:
        text = to_str(self.compile(node.operand))
        if isinstance(node.pattern, ast.Regex):
            sql = f"regexp_matches({text}, {quote_str(to_re2(node.pattern.pattern))})"
        else:  # a quoted string matches as a substring, case-sensitively
            sql = f"contains({text}, {quote_str(node.pattern.value)})"
        return Typed(f"(NOT {sql})" if node.negated else sql, Kind.BOOL)


def compare(op: str, a: Typed, b: Typed) -> str:
    """SQL comparing two typed values with Logs Insights' loose typing."""
    sql_op = _SQL_OPS[op]
    kinds = {a.kind, b.kind}
    if len(kinds) == 1 and a.kind in (Kind.NUM, Kind.STR, Kind.BOOL, Kind.TIME):
        return f"({a.sql} {sql_op} {b.sql})"
    if Kind.TIME in kinds:
        return f"({to_time(a)} {sql_op} {to_time(b)})"
    return f"({to_num(a)} {sql_op} {to_num(b)})"
