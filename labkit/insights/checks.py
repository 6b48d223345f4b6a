"""Checks that need no data: functions exist with the right arity, aggregates sit only in
``stats``, at most two ``stats``, only ``limit`` after ``dedup``, and valid patterns."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from labkit.insights import ast
from labkit.insights.errors import QueryError
from labkit.insights.patterns import check_regex, glob_to_regex, to_re2
from labkit.insights.registry import FUNCTIONS, lookup

MAX_LIMIT = (
    100_000  # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Limit.html
)
MAX_STATS = 2  # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Stats.html


def children(node: ast.Node) -> Iterator[ast.Expr]:
    """The direct sub-expressions of an expression node."""
    if isinstance(node, ast.Call):
        yield from node.args
    elif isinstance(node, ast.ListLit):
        yield from node.items
    elif isinstance(node, ast.Neg | ast.Not):
        yield node.operand
    elif isinstance(node, ast.BinOp | ast.Compare | ast.BoolOp):
        yield node.left
        yield node.right
    elif isinstance(node, ast.InList):
        yield node.operand
        yield from node.items
    elif isinstance(node, ast.Like):
        yield node.operand


def walk(node: ast.Expr) -> Iterator[ast.Expr]:
    """The node and all its sub-expressions, depth first (iterative: any depth, linear time)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(children(current))))


def is_aggregate(call: ast.Call) -> bool:
    """True if the call names an aggregate function."""
    fn = FUNCTIONS.get(call.name.lower())
    return fn is not None and fn.aggregate


def check(query: ast.Query) -> None:
    """Raise QueryError for the first problem in a parsed query."""
    text = query.text
    stats_seen = 0
    for index, command in enumerate(query.commands):
        if isinstance(command, ast.Dedup):
            for later in query.commands[index + 1 :]:
                if not isinstance(later, ast.Limit):
                    raise QueryError("only limit may follow dedup", text, later.span[0])
        if isinstance(command, ast.Stats):
            stats_seen += 1
            if stats_seen > MAX_STATS:
                raise QueryError(
                    f"a query can have at most {MAX_STATS} stats commands", text, command.span[0]
                )
            for item in command.items:
                _check_expr(item.expr, text, context="stats")
            for item in command.by:
                _check_expr(item.expr, text, context="by")
        elif isinstance(command, ast.Fields):
            for item in command.items:
                _check_expr(item.expr, text, context="fields")
        elif isinstance(command, ast.Filter):
            _check_expr(command.condition, text, context="filter")
        elif isinstance(command, ast.Sort):
            for key in command.keys:
                _check_expr(key.expr, text, context="sort")
        elif isinstance(command, ast.Limit):
            if not 1 <= command.count <= MAX_LIMIT:
                raise QueryError(f"limit must be from 1 to {MAX_LIMIT:,}", text, command.span[0])
        elif isinstance(command, ast.Parse):
            _check_parse(command, text)


# Arguments that must be literals of one kind: function → {argument index: kind}.
_PERIOD_ARGS = {"bin": 0, "datefloor": 1, "dateceil": 1}


def _check_call_args(node: ast.Call, text: str) -> None:
    name = node.name.lower()
    for index, arg in enumerate(node.args):
        wants_period = _PERIOD_ARGS.get(name) == index
        if wants_period and not isinstance(arg, ast.Period):
            raise QueryError(
                f"{node.name}() needs a period such as 5m or 1h here", text, arg.span[0]
            )
        if isinstance(arg, ast.Period) and not wants_period:
            raise QueryError(f"{node.name}() does not take a period here", text, arg.span[0])
    if name == "pct" and not (
        isinstance(node.args[1], ast.Number) and 0 <= node.args[1].value <= 100
    ):
        raise QueryError(
            "pct() needs a percentile from 0 to 100, e.g. pct(bytes, 90)",
            text,
            node.args[1].span[0],
        )
    if name.endswith("insubnet") and isinstance(node.args[1], ast.String):
        try:
            net = ipaddress.ip_network(node.args[1].value, strict=False)
        except ValueError:
            raise QueryError(
                f"{node.args[1].value!r} is not a CIDR block such as 10.0.0.0/16",
                text,
                node.args[1].span[0],
            ) from None
        version = {"isipv4insubnet": 4, "isipv6insubnet": 6}.get(name)
        if version is not None and net.version != version:
            raise QueryError(
                f"{node.args[1].value!r} is not an IPv{version} CIDR block",
                text,
                node.args[1].span[0],
            )


def _check_expr(expr: ast.Expr, text: str, *, context: str) -> None:
    for node in walk(expr):
        if isinstance(node, ast.Call):
            lookup(node, text)
            _check_call_args(node, text)
            for arg in node.args:
                if isinstance(arg, ast.Star) and node.name.lower() != "count":
                    raise QueryError("* is only allowed in count(*)", text, arg.span[0])
            if is_aggregate(node):
                if context != "stats":
                    raise QueryError(
                        f"aggregate function {node.name}() can only be used in "
                        f"stats, not in {context}",
                        text,
                        node.span[0],
                    )
                for inner in (n for arg in node.args for n in walk(arg)):
                    if isinstance(inner, ast.Call) and is_aggregate(inner):
                        raise QueryError(
                            "aggregate functions cannot be nested", text, inner.span[0]
                        )
        elif isinstance(node, ast.Period) and not _is_call_arg(expr, node):
            raise QueryError(
                "a period such as 5m can only be an argument of bin, datefloor or dateceil",
                text,
                node.span[0],
            )
        elif isinstance(node, ast.ListLit):  # a list after in/not in is kept as InList.items
            raise QueryError("a [list] can only follow in or not in", text, node.span[0])
        elif isinstance(node, ast.Like) and isinstance(node.pattern, ast.Regex):
            _check_regex(node.pattern, text)
    if context == "stats":
        if not any(isinstance(n, ast.Call) and is_aggregate(n) for n in walk(expr)):
            raise QueryError(
                "each stats expression needs an aggregate function such as count(*) or sum(field)",
                text,
                expr.span[0],
            )
        bare = _field_outside_aggregate(expr)
        if bare is not None:
            raise QueryError(
                f"field {bare.name!r} must be inside an aggregate function in "
                "stats (or listed after by)",
                text,
                bare.span[0],
            )


def _is_call_arg(root: ast.Expr, target: ast.Expr) -> bool:
    return any(isinstance(n, ast.Call) and any(a is target for a in n.args) for n in walk(root))


def _field_outside_aggregate(expr: ast.Expr) -> ast.Field | None:
    if isinstance(expr, ast.Field):
        return expr
    if isinstance(expr, ast.Call) and is_aggregate(expr):
        return None
    for child in children(expr):
        found = _field_outside_aggregate(child)
        if found is not None:
            return found
    return None


def _check_regex(node: ast.Regex, text: str) -> re.Pattern[str]:
    try:
        return check_regex(to_re2(node.pattern))
    except re.error as err:
        offset = node.span[0] + 1 + (err.pos or 0)
        raise QueryError(f"invalid regular expression: {err.msg}", text, offset) from None


def _check_parse(command: ast.Parse, text: str) -> None:
    if isinstance(command.pattern, ast.Regex):
        compiled = _check_regex(command.pattern, text)
        if command.names:
            raise QueryError(
                "parse with a /regex/ names its fields with (?<name>...) groups, not with as",
                text,
                command.names[0].span[0],
            )
        if not compiled.groupindex:
            raise QueryError(
                "the regex needs at least one named group such as (?<name>\\S+)",
                text,
                command.pattern.span[0],
            )
        return
    _, stars = glob_to_regex(command.pattern.value)
    if stars == 0:
        raise QueryError(
            'the parse pattern needs at least one * such as "* * *"', text, command.pattern.span[0]
        )
    if len(command.names) != stars:
        at = command.names[0].span[0] if command.names else command.pattern.span[1]
        raise QueryError(
            f"the pattern has {stars} * but {len(command.names)} names follow as", text, at
        )
