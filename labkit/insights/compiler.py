"""Plan a checked query over a prepared source as one chain of SQL CTEs.

Design: each command becomes one or more CTE stages. A stage keeps every column of the
previous one (``SELECT *, new AS cN``), so columns never disappear until ``stats``
replaces the whole scope with its output. The planner tracks, alongside the SQL:

- the *scope*: visible field names → typed SQL of their internal column ``cN``;
- the *display list*: ``fields`` accumulate, ``display`` overrides (last one wins),
  ``stats`` resets it to its own output;
- the *ordering*: SQL sort terms on current columns. CTEs do not keep an order, so
  ``sort`` only records terms, and ``limit``, ``dedup`` and the final SELECT apply them.

Choices where AWS is silent: without ``sort``, event rows come newest first (@timestamp
desc, as ``dedup``'s doc says) and ``stats`` rows in ascending group order; missing
values sort last both ways; with no ``fields``/``display``/``stats`` the output is
``@timestamp, @message`` (the console's default query).

Counting in the answering pass (``count_in_pass``): a source that is expensive to scan
twice (a log file with no cache yet) gets the matched and scanned counts as two hidden
columns of the answer, so one scan answers and counts. This works for queries whose first
``stats`` comes before any ``limit``/``dedup`` and is their only ``stats``
(:func:`counts_in_pass`). The ``stats`` stage counts its input rows per group; a window
sums them. A ``filter`` before it does not drop rows: it clears a keep flag, every field
of a dropped row is blanked before ``stats``, and ``stats`` groups by the flag, so dropped
rows land in one cheap group that counts as scanned and is then removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from labkit.insights import ast
from labkit.insights.checks import walk
from labkit.insights.expressions import ExprCompiler
from labkit.insights.ordering import natural_key_stage, natural_order_type
from labkit.insights.patterns import glob_to_regex, to_re2
from labkit.insights.sources import Prepared
from labkit.insights.typed import Kind, Typed, quote_ident, quote_str, to_str

DEFAULT_LIMIT = (
    10_000  # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Limit.html
)
DEFAULT_DISPLAY = ("@timestamp", "@message")


@dataclass(frozen=True)
class Plan:
    """The SQL for a query: the result query, the matched-records count, the output kinds."""

    sql: str
    matched_sql: str
    scanned_sql: str
    columns: tuple[str, ...]
    kinds: tuple[Kind, ...]
    counted: int = 0  # trailing hidden columns: 1 = matched (= scanned), 2 = matched, scanned
    setup: tuple[str, ...] = ()  # statements to run first (the natural sort orders, ordering.py)


_MATCHED, _SCANNED, _KEEP, _ROWS = '"__matched"', '"__scanned"', '"__keep"', '"__rows"'


def counts_in_pass(query: ast.Query) -> bool:
    """True if the plan can count matched and scanned records while answering (see above)."""
    stats = [(i, c) for i, c in enumerate(query.commands) if isinstance(c, ast.Stats)]
    if len(stats) != 1:
        return False
    index, command = stats[0]
    before = query.commands[:index]
    if any(isinstance(c, ast.Limit | ast.Dedup) for c in before):
        return False
    return bool(command.by) or not any(isinstance(c, ast.Filter) for c in before)


class Planner:
    """Builds a :class:`Plan` command by command."""

    def __init__(
        self,
        query: ast.Query,
        source: Prepared,
        *,
        time_range: str | None = None,
        limit: int | None = None,
        count_in_pass: bool = False,
    ) -> None:
        self.query = query
        self.rescan_costly = source.single_pass  # a second scan would re-read the text
        self.count_in_pass = count_in_pass and counts_in_pass(query)
        self.keep: list[str] = []  # keep flags of the filters before stats (count_in_pass)
        self.counted: list[str] = []  # hidden count columns carried to the final SELECT
        self.setup: list[str] = []  # CREATE TYPE statements of the natural sort orders
        self.ctes: list[tuple[str, str]] = []
        self.counter = 0
        self.scope: dict[str, Typed] = {}
        base_cols = []
        for name, typed in source.fields.items():
            col = self._new_col()
            base_cols.append(f"{typed.sql} AS {col}")
            self.scope[name] = Typed(col, typed.kind)
        for i, term in enumerate(source.tiebreak):
            col = f'"__tie{i}"'
            base_cols.append(f"{term.split()[0]} AS {col}")
        where = f" WHERE {time_range}" if time_range else ""
        self.stage = self._add(f"SELECT {', '.join(base_cols)} FROM {source.from_sql}{where}")
        self.scanned_stage = self.stage
        self.tiebreak = [f'"__tie{i}" {t.split()[1]}' for i, t in enumerate(source.tiebreak)]
        self.fields_display: list[str] | None = None
        self.display_override: list[str] | None = None
        self.stats_output: list[str] | None = None
        self.ordering = self._default_ordering()
        self.matched_stage: str | None = None
        self.limit = limit if limit is not None else DEFAULT_LIMIT

    # ------------------------------------------------------------ helpers
    def _new_col(self) -> str:
        self.counter += 1
        return f'"c{self.counter}"'

    def _with_sql(self) -> str:
        """The WITH clause of every stage so far."""
        return "WITH " + ",\n     ".join(f"{n} AS ({sql})" for n, sql in self.ctes)

    def _add(self, select: str) -> str:
        name = f"s{len(self.ctes)}"
        self.ctes.append((name, select))
        return name

    def _exprs(self) -> ExprCompiler:
        return ExprCompiler(self.query.text, self.scope, self.scope.get("@timestamp"))

    def _default_ordering(self) -> list[str]:
        ts = self.scope.get("@timestamp")
        return ([f"{ts.sql} DESC NULLS LAST"] if ts else []) + self.tiebreak

    def _with_columns(self, columns: Iterable[tuple[str, str]]) -> None:
        """A stage adding (sql, column) pairs to the previous stage's columns."""
        extra = ", ".join(f"{sql} AS {col}" for sql, col in columns)
        self.stage = self._add(f"SELECT *, {extra} FROM {self.stage}")

    def _mark_matched(self) -> None:
        if self.matched_stage is None:
            self.matched_stage = self.stage

    # ------------------------------------------------------------ commands
    def plan(self) -> Plan:
        """Walk the commands and assemble the final SQL."""
        for command in self.query.commands:
            getattr(self, "_" + type(command).__name__.lower())(command)
        self._mark_matched()
        names = self._display_names()
        select = []
        kinds = []
        for name in names:
            typed = self.scope.get(name, Typed("NULL", Kind.STR))
            value = to_str(typed) if typed.kind is Kind.TIME else typed.sql
            select.append(f"{value} AS {quote_ident(name)}")
            kinds.append(Kind.STR if typed.kind is Kind.TIME else typed.kind)
        select += self.counted
        order = f" ORDER BY {', '.join(self.ordering)}" if self.ordering else ""
        with_sql = self._with_sql()
        sql = (
            f"{with_sql}\nSELECT {', '.join(select) or 'NULL'} FROM {self.stage}{order} "
            f"LIMIT {self.limit}"
        )
        kept = f" WHERE {_KEEP}" if self.keep else ""  # the blanked rows are not matched
        return Plan(
            sql,
            f"{with_sql}\nSELECT count(*) FROM {self.matched_stage}{kept}",
            f"{with_sql}\nSELECT count(*) FROM {self.scanned_stage}",
            tuple(names),
            tuple(kinds),
            len(self.counted),
            tuple(self.setup),
        )

    def _display_names(self) -> list[str]:
        if self.display_override is not None:
            return self.display_override
        if self.stats_output is not None:
            return self.stats_output + [
                n for n in self.fields_display or [] if n not in self.stats_output
            ]
        if self.fields_display is not None:
            return self.fields_display
        return list(DEFAULT_DISPLAY)

    def _show(self, name: str) -> None:
        shown = self.fields_display if self.fields_display is not None else []
        if name not in shown:
            shown.append(name)
        self.fields_display = shown

    def _fields(self, command: ast.Fields) -> None:
        for item in command.items:
            if not (isinstance(item.expr, ast.Field) and item.alias is None):
                typed = self._exprs().compile(item.expr)
                col = self._new_col()
                self._with_columns([(typed.sql, col)])
                self.scope[item.name] = Typed(col, typed.kind)
            self._show(item.name)

    def _display(self, command: ast.Display) -> None:
        self.display_override = [f.name for f in command.names]

    def _filter(self, command: ast.Filter) -> None:
        condition = self._exprs().condition(command.condition)
        if self.count_in_pass and self.matched_stage is None:  # keep the row, clear a flag
            flag = f'"__keep{len(self.keep)}"'
            self._with_columns([(f"coalesce(({condition}), false)", flag)])
            self.keep.append(flag)
            return
        self.stage = self._add(f"SELECT * FROM {self.stage} WHERE {condition}")

    def _parse(self, command: ast.Parse) -> None:
        source = to_str(self._exprs().compile(command.source))
        if isinstance(command.pattern, ast.Regex):
            regex = to_re2(command.pattern.pattern)
            compiled = re.compile(regex)
            total = compiled.groups
            groups = sorted(compiled.groupindex.items(), key=lambda kv: kv[1])
        else:
            regex, total = glob_to_regex(command.pattern.value)
            groups = [(f.name, i + 1) for i, f in enumerate(command.names)]
        pattern = quote_str(regex)
        # One regex pass per event gives every group at once, as a struct g1, g2, ...
        names = ", ".join(f"'g{i}'" for i in range(1, total + 1))
        parts = self._new_col()
        self._with_columns(
            [
                (
                    f"CASE WHEN regexp_matches({source}, {pattern}) THEN "
                    f"regexp_extract({source}, {pattern}, [{names}]) END",
                    parts,
                )
            ]
        )
        columns = []
        for name, index in groups:
            col = self._new_col()
            columns.append((f"{parts}['g{index}']", col))
            self.scope[name] = Typed(col, Kind.STR)
        self._with_columns(columns)

    def _stats(self, command: ast.Stats) -> None:
        counting = self.count_in_pass and self.matched_stage is None
        if counting and self.keep:  # blank every field of a dropped row (see the docstring)
            keep = " AND ".join(self.keep)
            cols = sorted({t.sql for t in self.scope.values()})
            blanked = ", ".join(f"CASE WHEN {keep} THEN {c} END AS {c}" for c in cols)
            self.stage = self._add(
                f"SELECT * REPLACE ({blanked}), {keep} AS {_KEEP} FROM {self.stage}"
            )
        self._mark_matched()
        exprs = self._exprs()
        keys = [(item.name, exprs.compile(item.expr)) for item in command.by]
        aggs = [(item.name, exprs.compile(item.expr)) for item in command.items]
        scope: dict[str, Typed] = {}
        select, group = [], []
        for position, (name, typed) in enumerate(keys + aggs, start=1):
            col = self._new_col()
            select.append(f"{typed.sql} AS {col}")
            scope[name] = Typed(col, typed.kind)
            if position <= len(keys):
                group.append(str(position))
        if counting:
            select.append(f"count(*) AS {_ROWS}")
            if self.keep:
                select.append(_KEEP)
                group.append(str(len(select)))
        group_sql = f" GROUP BY {', '.join(group)}" if group else ""
        self.stage = self._add(f"SELECT {', '.join(select)} FROM {self.stage}{group_sql}")
        if counting:
            self._count_groups()
        self.scope = scope
        self.stats_output = list(dict.fromkeys(name for name, _ in keys + aggs))
        self.fields_display = None
        self.display_override = None
        self.tiebreak = []
        self.ordering = [f"{scope[name].sql} ASC NULLS LAST" for name, _ in keys]

    def _count_groups(self) -> None:
        """Sum the per-group row counts into the hidden matched (and scanned) columns."""
        if not self.keep:
            self.stage = self._add(
                f"SELECT * EXCLUDE ({_ROWS}), sum({_ROWS}) OVER () AS {_MATCHED} FROM {self.stage}"
            )
            self.counted = [_MATCHED]
            return
        matched = f"sum(CASE WHEN {_KEEP} THEN {_ROWS} ELSE 0 END) OVER ()"
        self.stage = self._add(
            f"SELECT * EXCLUDE ({_ROWS}, {_KEEP}), {matched} AS {_MATCHED}, "
            f"sum({_ROWS}) OVER () AS {_SCANNED} FROM {self.stage} QUALIFY {_KEEP}"
        )
        self.counted = [_MATCHED, _SCANNED]

    def _sort(self, command: ast.Sort) -> None:
        """Record the sort terms; text values sort in AWS's natural order (see ordering)."""
        keys, columns = [], []
        for key in command.keys:
            if isinstance(key.expr, ast.Field):
                typed = self.scope.get(key.expr.name, Typed("NULL", Kind.STR))
            else:
                compiled = self._exprs().compile(key.expr)
                typed = Typed(self._new_col(), compiled.kind)
                columns.append((compiled.sql, typed.sql))
            keys.append((typed, "DESC" if key.descending else "ASC"))
        if columns:
            self._with_columns(columns)
        terms = []
        for typed, direction in keys:
            value = typed.sql
            if typed.kind is Kind.STR and value != "NULL" and self.rescan_costly:
                natural = self._new_col()  # keys joined in the same scan (ordering.py)
                self.stage = self._add(natural_key_stage(self.stage, value, natural))
                terms.append(f"{natural} {direction} NULLS LAST")
            elif typed.kind is Kind.STR and value != "NULL":  # an ENUM in natural order
                name = f"li_sort{len(self.setup)}"
                self.setup.append(natural_order_type(name, self._with_sql(), self.stage, value))
                value = f"CAST({value} AS {name})"
            terms.append(f"{value} {direction} NULLS LAST")
        self.ordering = terms + self.tiebreak

    def _limit(self, command: ast.Limit) -> None:
        self._mark_matched()
        order = f" ORDER BY {', '.join(self.ordering)}" if self.ordering else ""
        self.stage = self._add(f"SELECT * FROM {self.stage}{order} LIMIT {command.count}")
        self.limit = command.count

    def _dedup(self, command: ast.Dedup) -> None:
        self._mark_matched()
        keys = [self.scope.get(f.name, Typed("NULL", Kind.STR)).sql for f in command.names]
        any_null = " OR ".join(f"{k} IS NULL" for k in keys)
        order = f" ORDER BY {', '.join(self.ordering)}" if self.ordering else ""
        # Null values are never duplicates: such rows are all kept (aws-facts B.2, Dedup).
        self.stage = self._add(
            f"SELECT * FROM {self.stage} QUALIFY ({any_null}) OR "
            f"row_number() OVER (PARTITION BY {', '.join(keys)}{order}) = 1"
        )


def plan(
    query: ast.Query,
    source: Prepared,
    *,
    time_range: str | None = None,
    limit: int | None = None,
    count_in_pass: bool = False,
) -> Plan:
    """The SQL plan of a checked query over a prepared source."""
    return Planner(
        query, source, time_range=time_range, limit=limit, count_in_pass=count_in_pass
    ).plan()


_TIME_FUNCTIONS = {"bin", "earliest", "latest"}


def needed_fields(query: ast.Query) -> frozenset[str]:
    """Every field name the query may read from the source."""
    names: set[str] = set()
    exprs: list[ast.Expr] = []
    shows_default = True
    stats_seen = False
    for command in query.commands:
        if isinstance(command, ast.Stats):
            stats_seen = True
        elif isinstance(command, ast.Limit | ast.Dedup) and not stats_seen:
            names.add("@timestamp")  # they keep rows in the default order, newest first
        if isinstance(command, ast.Fields | ast.Stats):
            shows_default = False
            exprs += [i.expr for i in command.items]
            if isinstance(command, ast.Stats):
                exprs += [i.expr for i in command.by]
        elif isinstance(command, ast.Display):
            shows_default = False
            names.update(f.name for f in command.names)
        elif isinstance(command, ast.Filter):
            exprs.append(command.condition)
        elif isinstance(command, ast.Sort):
            exprs += [k.expr for k in command.keys]
        elif isinstance(command, ast.Parse):
            names.add(command.source.name)
        elif isinstance(command, ast.Dedup):
            names.update(f.name for f in command.names)
    for expr in exprs:
        for node in walk(expr):
            if isinstance(node, ast.Field):
                names.add(node.name)
            elif isinstance(node, ast.Call) and node.name.lower() in _TIME_FUNCTIONS:
                names.add("@timestamp")
    if not stats_seen:
        names.add("@timestamp")  # the default order of event rows
    if shows_default:
        names.update(DEFAULT_DISPLAY)
    return frozenset(names)


def time_range_sql(
    fields: Mapping[str, Typed], start_ms: int | None, end_ms: int | None
) -> str | None:
    """SQL keeping events whose @timestamp lies in [start_ms, end_ms] (inclusive)."""
    ts = fields.get("@timestamp")
    if ts is None or (start_ms is None and end_ms is None):
        return None
    terms = []
    if start_ms is not None:
        terms.append(f"{ts.sql} >= epoch_ms({int(start_ms)})")
    if end_ms is not None:
        terms.append(f"{ts.sql} <= epoch_ms({int(end_ms)})")
    return " AND ".join(terms)
