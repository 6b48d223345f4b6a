"""The function registry: ``@function("name")`` adds a builder that turns arguments into SQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from labkit.insights import ast
from labkit.insights.errors import QueryError
from labkit.insights.typed import Kind, Typed


@dataclass(frozen=True)
class CallContext:
    """What a builder may need besides its arguments: the call site and the time field."""

    query: str
    call: ast.Call
    timestamp: Typed | None

    def fail(self, message: str, arg: int | None = None) -> QueryError:
        """A QueryError with the caret under argument ``arg`` (or under the call)."""
        node: ast.Node = self.call.args[arg] if arg is not None else self.call
        return QueryError(f"{self.call.name}(): {message}", self.query, node.span[0])

    def require_kind(self, args: Sequence[Typed], index: int, kind: Kind, what: str) -> None:
        """Fail unless argument ``index`` has ``kind``."""
        if args[index].kind is not kind:
            raise self.fail(f"argument {index + 1} must be {what}", index)


Builder = Callable[[Sequence[Typed], CallContext], Typed]


@dataclass(frozen=True)
class Function:
    """One registered function: its arity, whether it aggregates, and its SQL builder."""

    name: str
    build: Builder
    min_args: int
    max_args: int | None
    aggregate: bool
    summary: str


FUNCTIONS: dict[str, Function] = {}


def function(
    name: str, *, args: int | tuple[int, int | None] = 1, aggregate: bool = False
) -> Callable[[Builder], Builder]:
    """Register a builder under ``name``; ``args`` is an exact count or a (min, max) range."""
    low, high = (args, args) if isinstance(args, int) else args

    def register(build: Builder) -> Builder:
        summary = (build.__doc__ or "").strip().split("\n")[0]
        FUNCTIONS[name.lower()] = Function(name, build, low, high, aggregate, summary)
        return build

    return register


def lookup(call: ast.Call, query: str) -> Function:
    """The function a call names, checked for arity; a QueryError lists the known ones."""
    fn = FUNCTIONS.get(call.name.lower())
    if fn is None:
        known = ", ".join(sorted((f.name for f in FUNCTIONS.values()), key=str.lower))
        raise QueryError(
            f"unknown function {call.name!r}; known functions: {known}", query, call.span[0]
        )
    count = len(call.args)
    if count < fn.min_args or (fn.max_args is not None and count > fn.max_args):
        if fn.max_args is None:
            want = f"at least {fn.min_args}"
        elif fn.min_args == fn.max_args:
            want = str(fn.min_args)
        else:
            want = f"{fn.min_args} to {fn.max_args}"
        raise QueryError(f"{fn.name}() takes {want} argument(s), got {count}", query, call.span[0])
    return fn
