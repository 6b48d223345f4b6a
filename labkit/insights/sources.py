"""Where events come from: the common source protocol, the event-list source, JSON fields.

A source *prepares* itself on a DuckDB connection and answers with a :class:`Prepared`:
a FROM clause and, for each discoverable field, a typed SQL expression over it. The
compiler then only ever sees field names and typed expressions, whatever the source.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import duckdb

from labkit.insights.errors import SourceError
from labkit.insights.flowlogs import DEFAULT_FIELDS, FlowField, parse_format
from labkit.insights.formats import Skipped
from labkit.insights.typed import Kind, Typed, quote_str

SYSTEM_FIELDS = ("@timestamp", "@message", "@logStream", "@log", "@ingestionTime")
_NUMERIC_JSON = {"BIGINT", "UBIGINT", "HUGEINT", "INTEGER", "DOUBLE", "FLOAT", "DECIMAL"}


@dataclass(frozen=True)
class Prepared:
    """A source ready to query: FROM clause, typed fields, and its size for the statistics.

    ``single_pass``: the source is expensive to scan twice (a log file read as text), so
    the plan should count matched and scanned records in the answering pass. ``after``:
    run once the answer is in hand (a file source starts building its cache there).
    ``skipped``: called on the connection after the answer, the malformed lines skipped.
    """

    from_sql: str
    fields: Mapping[str, Typed]
    records: int | None
    bytes: int
    tiebreak: tuple[str, ...] = field(default=())
    single_pass: bool = False
    after: Callable[[], None] | None = None
    skipped: Callable[[duckdb.DuckDBPyConnection], Skipped | None] | None = None


class Source(Protocol):
    """Anything :func:`labkit.insights.run` can query."""

    def prepare(
        self,
        con: duckdb.DuckDBPyConnection,
        needed: frozenset[str],
        *,
        materialize: bool = True,
        one_pass: bool = False,
    ) -> Prepared:
        """Make the source queryable on ``con``; ``needed`` names the fields the query uses.

        ``one_pass``: the plan can count records while answering, so one scan is enough.
        """
        ...


def flow_field_sql(fields: Sequence[FlowField], column: Any) -> dict[str, Typed]:
    """Insights names (and aliases) of flow-log fields, given SQL for each field's column."""
    out: dict[str, Typed] = {}
    for index, f in enumerate(fields):
        typed = Typed(column(index, f), Kind.NUM if f.numeric else Kind.STR)
        for name in (f.insights_name, *f.aliases):
            out.setdefault(name, typed)
    return out


def json_fields(structure: Any, message_sql: str, guard: str | None = None) -> dict[str, Typed]:
    """Dotted field names for the leaves of a DuckDB ``json_group_structure`` result."""
    out: dict[str, Typed] = {}

    def visit(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, dict) and node:
            for key, child in node.items():
                visit(child, (*path, str(key)))
            return
        if not path:
            return
        name = ".".join(path)
        if name.startswith("@"):  # a discovered field starting with @ gets another @ (A.9)
            name = "@" + name
        json_path = "$" + "".join("." + json.dumps(key) for key in path)
        text = f"json_extract_string({message_sql}, {quote_str(json_path)})"
        kind = Kind.NUM if isinstance(node, str) and node in _NUMERIC_JSON else Kind.STR
        sql = f"TRY_CAST({text} AS DOUBLE)" if kind is Kind.NUM else text
        if kind is Kind.NUM and node in {"BIGINT", "INTEGER"}:
            sql = f"TRY_CAST({text} AS BIGINT)"
        if guard is not None:
            sql = f"CASE WHEN {guard} THEN {sql} END"
        out[name] = Typed(sql, kind)

    visit(structure, ())
    return out


def json_structure(con: duckdb.DuckDBPyConnection, from_sql: str, message_sql: str) -> Any:
    """The merged JSON structure of all messages that are JSON objects (None if there are none)."""
    row = con.execute(
        f"SELECT json_group_structure(json({message_sql})) FROM {from_sql} "
        f"WHERE {is_json_object(message_sql)}"
    ).fetchone()
    return json.loads(row[0]) if row and row[0] else None


def is_json_object(message_sql: str) -> str:
    """SQL: the message is a JSON object."""
    return f"(starts_with(ltrim({message_sql}), '{{') AND json_valid({message_sql}))"


class EventSource:
    """Log events as the emulator holds them: dicts with @timestamp (ms) and @message.

    Optional keys: @logStream, @log, @ingestionTime (ms). Messages in the default flow-log
    format get the flow-log fields; messages that are JSON objects get their fields in dot
    notation. ``log_format`` makes messages in that custom flow-log format discoverable too.
    """

    TABLE = "li_events"

    def __init__(self, events: Iterable[Mapping[str, Any]], *, log_format: str | None = None):
        self.events = list(events)
        self.fields = parse_format(log_format) if log_format else DEFAULT_FIELDS
        self.custom = log_format is not None

    def prepare(
        self,
        con: duckdb.DuckDBPyConnection,
        needed: frozenset[str],
        *,
        materialize: bool = True,
        one_pass: bool = False,
    ) -> Prepared:
        """Load the events into a temporary table and discover their fields."""
        columns: list[list[Any]] = [[], [], [], [], []]
        for event in self.events:
            try:
                columns[0].append(int(event.get("@timestamp", event.get("timestamp", 0))))
                columns[1].append(str(event.get("@message", event.get("message", ""))))
            except (TypeError, ValueError) as err:
                raise SourceError(
                    f"bad event {dict(event)!r}: {err}; an event needs "
                    "@timestamp (epoch ms) and @message"
                ) from None
            columns[2].append(event.get("@logStream"))
            columns[3].append(event.get("@log"))
            ingestion = event.get("@ingestionTime")
            columns[4].append(int(ingestion) if ingestion is not None else None)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {self.TABLE} AS SELECT unnest($1::BIGINT[]) AS ts, "
            "unnest($2::VARCHAR[]) AS msg, unnest($3::VARCHAR[]) AS stream, "
            "unnest($4::VARCHAR[]) AS log, unnest($5::BIGINT[]) AS ingest, "
            "unnest(range(len($1::BIGINT[]))) AS rid",
            columns,
        )
        width = len(self.fields)
        first = "" if self.custom else " AND __parts[1] = '2'"
        from_sql = (
            f"(SELECT *, string_split(msg, ' ') AS __parts, "
            f"(len(string_split(msg, ' ')) = {width}{first}) AS __is_flow FROM {self.TABLE})"
        )
        fields: dict[str, Typed] = {
            "@timestamp": Typed("epoch_ms(ts)", Kind.TIME),
            "@message": Typed("msg", Kind.STR),
            "@logStream": Typed("stream", Kind.STR),
            "@log": Typed("log", Kind.STR),
            "@ingestionTime": Typed("epoch_ms(ingest)", Kind.TIME),
        }
        row = con.execute(f"SELECT bool_or(__is_flow) FROM {from_sql}").fetchone()
        if row and row[0]:

            def column(index: int, f: FlowField) -> str:
                raw = f"nullif(__parts[{index + 1}], '-')"
                value = f"TRY_CAST({raw} AS BIGINT)" if f.numeric else raw
                return f"CASE WHEN __is_flow THEN {value} END"

            for name, typed in flow_field_sql(self.fields, column).items():
                fields.setdefault(name, typed)
        structure = json_structure(con, self.TABLE, "msg")
        if structure is not None:
            for name, typed in json_fields(structure, "msg", is_json_object("msg")).items():
                fields.setdefault(name, typed)
        size = sum(len(m.encode()) for m in columns[1])
        return Prepared(from_sql, fields, len(self.events), size, ("rid DESC",))
