"""Run a query on DuckDB: prepare the source, plan the SQL, execute, shape the result."""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import duckdb

from labkit.insights import aggregates as _aggregates  # noqa: F401  (registers aggregates)
from labkit.insights import ast
from labkit.insights.checks import check
from labkit.insights.compiler import Plan, counts_in_pass, needed_fields, plan, time_range_sql
from labkit.insights.errors import InsightsError, QueryError, QueryTooLongError, SourceError
from labkit.insights.formats import Skipped, describe_csv_error
from labkit.insights.functions import SQL_SETUP, UDFS
from labkit.insights.ordering import SQL_SETUP as ORDERING_SETUP
from labkit.insights.parser import parse
from labkit.insights.sources import EventSource, Source
from labkit.insights.typed import Kind

TimeLike = datetime | int | float | None
T = TypeVar("T")

# StartQuery's queryString holds 0 to 10,000 characters (botocore's logs service model,
# aws-facts B.1): https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartQuery.html
MAX_QUERY_CHARS = 10_000
_DEEP_STACK_BYTES = 512 << 20  # room for the deepest tree 10,000 characters can nest
_DEEP_RECURSION = 100_000


@dataclass(frozen=True)
class Statistics:
    """What a query scanned and matched, as GetQueryResults reports it."""

    records_matched: int
    records_scanned: int
    bytes_scanned: int


@dataclass(frozen=True)
class Result:
    """A query's answer: column names in output order, rows of plain values, statistics.

    Values are ``int``/``float`` for numbers, ``str`` otherwise (timestamps as
    ``YYYY-MM-DD HH:MM:SS.mmm`` UTC), and ``None`` for missing values. ``skipped``: the
    malformed lines of a log file that were left out (None if there were none).
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    statistics: Statistics
    sql: str
    skipped: Skipped | None = None

    def records(self) -> list[dict[str, Any]]:
        """The rows as dicts keyed by column name, in column order."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def compile(query: str) -> ast.Query:  # noqa: A001  (the jmespath-style public name)
    """Parse and check a query; raise QueryError (with a caret) if it is invalid.

    A query over :data:`MAX_QUERY_CHARS` raises :class:`QueryTooLongError`, as StartQuery
    refuses it; anything shorter compiles however deeply it nests.
    """
    if len(query) > MAX_QUERY_CHARS:
        raise QueryTooLongError(query, MAX_QUERY_CHARS)

    def parse_and_check() -> ast.Query:
        parsed = parse(query)
        check(parsed)
        return parsed

    return deep(parse_and_check, query)


def deep(fn: Callable[[], T], query: str) -> T:
    """``fn()``; if it runs out of recursion, again in a thread with a large stack.

    The parser, the checks and the compiler walk the syntax tree recursively. Chains of
    ``and``/``or`` are balanced trees (parser.py), but 10,000 characters can still nest a
    few thousand levels (``not not ...``, ``1+1+...``). Such a query gets a thread whose
    stack and recursion limit fit it, rather than a RecursionError.
    """
    try:
        return fn()
    except RecursionError:
        pass
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as err:  # handed back to the caller's thread below
            outcome["error"] = err

    limit = sys.getrecursionlimit()
    size = threading.stack_size(_DEEP_STACK_BYTES)
    try:
        sys.setrecursionlimit(max(limit, _DEEP_RECURSION))
        worker = threading.Thread(target=target, name="insights-deep-query")
        worker.start()
        worker.join()
    finally:
        threading.stack_size(size)
        sys.setrecursionlimit(limit)
    error = outcome.get("error")
    if isinstance(error, RecursionError):
        raise QueryError(
            "the query nests too deeply to compile; split it into simpler filters", query, None
        ) from None
    if error is not None:
        raise error
    return outcome["value"]  # type: ignore[no-any-return]


def connect(sql: str | None = None) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB connection with the engine's macros and UDFs.

    Given the SQL to run, only the UDFs it calls are created: creating the first Python
    UDF imports numpy, which costs more than a small query.
    """
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    for statement in (*SQL_SETUP, *ORDERING_SETUP):
        con.execute(statement)
    add_udfs(con, sql)
    return con


def add_udfs(con: duckdb.DuckDBPyConnection, sql: str | None = None) -> None:
    """Create the Python UDFs that ``sql`` calls (all of them when ``sql`` is None)."""
    wanted = [udf for udf in UDFS if sql is None or udf[0] in sql]
    if wanted:
        con.execute("SELECT 1").fetchall()  # finish any open result: DuckDB requires it here
    for name, fn, params, returns in wanted:
        con.create_function(name, fn, params, returns)  # type: ignore[arg-type]


def _epoch_ms(value: TimeLike) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return int(value.timestamp() * 1000)
    return int(value)


def _plan(
    query: str | ast.Query,
    source: Source,
    con: duckdb.DuckDBPyConnection,
    *,
    start: TimeLike,
    end: TimeLike,
    limit: int | None,
    materialize: bool,
    statistics: bool = True,
) -> tuple[ast.Query, Plan, Any]:
    parsed = compile(query) if isinstance(query, str) else query
    needed = deep(lambda: needed_fields(parsed), parsed.text)
    if start is not None or end is not None:
        needed |= {"@timestamp"}
    one_pass = not statistics or counts_in_pass(parsed)
    prepared = source.prepare(con, needed, materialize=materialize, one_pass=one_pass)
    time_range = time_range_sql(prepared.fields, _epoch_ms(start), _epoch_ms(end))
    the_plan = deep(
        lambda: plan(
            parsed,
            prepared,
            time_range=time_range,
            limit=limit,
            count_in_pass=prepared.single_pass and statistics,
        ),
        parsed.text,
    )
    return parsed, the_plan, prepared


def explain(
    query: str | ast.Query,
    source: Source,
    *,
    start: TimeLike = None,
    end: TimeLike = None,
    limit: int | None = None,
) -> str:
    """The SQL the engine would run for ``query`` on ``source`` (files are not cached)."""
    con = connect()
    try:
        _, the_plan, _ = _plan(
            query, source, con, start=start, end=end, limit=limit, materialize=False
        )
    finally:
        con.close()
    return "".join(f"{statement};\n" for statement in the_plan.setup) + the_plan.sql


def run(
    query: str | ast.Query,
    source: Source,
    *,
    start: TimeLike = None,
    end: TimeLike = None,
    limit: int | None = None,
    statistics: bool = True,
) -> Result:
    """Run a Logs Insights query on a source.

    Parameters
    ----------
    query: the query text, or a query from :func:`compile`.
    source: an :class:`EventSource` or a :class:`FileSource`.
    start, end: keep only events with ``start <= @timestamp <= end``; a datetime (naive
        means UTC) or epoch milliseconds.
    limit: the row cap when the query has no ``limit`` command (default 10,000).
    statistics: also count matched and scanned records (one extra cheap query).

    Returns
    -------
    A :class:`Result`: columns, rows and statistics.
    """
    con = connect(sql="")
    try:
        parsed, the_plan, prepared = _plan(
            query,
            source,
            con,
            start=start,
            end=end,
            limit=limit,
            materialize=True,
            statistics=statistics,
        )
        add_udfs(con, the_plan.sql)
        try:
            for statement in the_plan.setup:
                con.execute(statement)
            rows = con.execute(the_plan.sql).fetchall()
            matched = scanned = 0
            counted = the_plan.counted
            if counted and rows:  # counted in the answering pass: the last columns of a row
                matched, scanned = int(rows[0][-counted]), int(rows[0][-1])
            rows = [row[: len(row) - counted] for row in rows]
            if statistics and not (counted and rows):
                matched = _count(con, the_plan.matched_sql)
                ranged = start is not None or end is not None
                scanned = (
                    prepared.records
                    if prepared.records is not None and not ranged
                    else _count(con, the_plan.scanned_sql)
                )
            skipped = prepared.skipped(con) if prepared.skipped is not None else None
        except duckdb.Error as err:
            raise _runtime_error(err, parsed) from None
    finally:
        con.close()
    if prepared.after is not None:
        prepared.after()  # e.g. start building the file cache, now the answer is ready
    total = prepared.records
    size = prepared.bytes
    if statistics and total and scanned != total:
        size = round(size * scanned / total)  # estimate for a time-range subset
    shaped = tuple(
        tuple(_value(v, k) for v, k in zip(row, the_plan.kinds, strict=True)) for row in rows
    )
    return Result(
        the_plan.columns,
        shaped,
        Statistics(matched, scanned, size if statistics else 0),
        the_plan.sql,
        skipped,
    )


def output_columns(query: str) -> tuple[str, ...]:
    """The columns ``query`` shows, as the engine plans them (empty if it cannot compile it).

    For an empty answer from CloudWatch Logs, which has no rows to name its columns.
    """
    try:
        return run(query, EventSource([]), statistics=False).columns
    except InsightsError:
        return ()


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _runtime_error(err: duckdb.Error, query: ast.Query) -> Exception:
    first = str(err).splitlines()[0]
    unreadable = duckdb.IOException | duckdb.InvalidInputException | duckdb.ConversionException
    if isinstance(err, unreadable) and "CSV" in str(err):
        return SourceError(f"cannot read the log file: {describe_csv_error(err)}")
    return QueryError(f"the query failed while running: {first}", query.text)


def _value(value: Any, kind: Kind) -> Any:
    """A DuckDB value as the plain Python value a Result holds."""
    if value is None:
        return None
    if kind is Kind.BOOL or isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # log(0), 0/0: shown as missing
    if kind is Kind.STR and not isinstance(value, str):
        return str(value)
    return value
