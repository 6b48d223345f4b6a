"""How a log file is read: its format, the DuckDB table function, and its malformed lines.

A leaf module: :mod:`labkit.insights.files` (the source) and :mod:`labkit.insights.cache`
(the column cache and its background builder) both read files through here, so neither
imports the other.

Malformed lines (a flow-log line with the wrong number of fields, bytes that are not
UTF-8, a line over DuckDB's 2,000,000-byte maximum) are skipped by default: DuckDB reads
with ``ignore_errors`` and ``store_rejects`` and :func:`skipped_lines` reads its reject
tables afterwards. In strict mode the first one fails the read, and
:func:`describe_csv_error` keeps DuckDB's reason in the message. A value that does not
fit its column (``bytes`` = ``abc``) is only met when the column is read, so whether it
counts as skipped depends on the columns a query needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from labkit.insights.flowlogs import FlowField
from labkit.insights.typed import quote_str

_LINE_DELIMITER = "\x1f"  # "unit separator": never inside a JSON line or a normal log line
_COLUMNS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)", re.IGNORECASE)
_LINE = re.compile(r"CSV Error on Line: (\d+)")
_MAX_LINE = re.compile(r"Maximum line size of (\d+) bytes exceeded")
_CAST = re.compile(r'converting column "([^"]+)"\. Could not convert string "(.*)" to \'(\w+)\'')
# Of several reasons DuckDB gives for one line, the one about the whole line comes first.
_FIRST_REASON = (
    "CASE e.error_type WHEN 'INVALID ENCODING' THEN 0 "
    "WHEN 'LINE SIZE OVER MAXIMUM' THEN 1 WHEN 'CAST' THEN 3 ELSE 2 END"
)
_FILE = re.compile(r"^\s*file = (.+)$", re.MULTILINE)


@dataclass(frozen=True)
class FileFormat:
    """How one file is read: kind ("flow", "json" or "text"), flow fields, header skip."""

    kind: str
    fields: tuple[FlowField, ...] = ()
    skip: int = 0

    def columns(self) -> list[str]:
        """Physical column names (record names for flow logs, ``line`` otherwise)."""
        return [f.record_name for f in self.fields] if self.kind == "flow" else ["line"]


@dataclass(frozen=True)
class Skipped:
    """Malformed lines a read skipped: how many, and the first with its reason."""

    count: int
    first: str  # e.g. "flows.log line 2: expected 14 fields, found 7"

    def note(self) -> str:
        """One line for a reader: ``skipped 3 malformed lines; first: flows.log line 2: …``."""
        lines = "line" if self.count == 1 else "lines"
        return f"skipped {self.count:,} malformed {lines}; first: {self.first}"


def read_sql(path: Path, fmt: FileFormat, *, strict: bool = False) -> str:
    """A DuckDB table function reading one file in its format (skipping bad lines unless strict)."""
    lenient = "" if strict else ", ignore_errors=true, store_rejects=true"
    if fmt.kind == "flow":
        types = ", ".join(
            f"{quote_str(f.record_name)}: '{'BIGINT' if f.numeric else 'VARCHAR'}'"
            for f in fmt.fields
        )
        return (
            f"read_csv({quote_str(str(path))}, delim=' ', header=false, skip={fmt.skip}, "
            f"columns={{{types}}}, nullstr='-', quote='', escape='', auto_detect=false"
            f"{lenient})"
        )
    return (
        f"read_csv({quote_str(str(path))}, delim={quote_str(_LINE_DELIMITER)}, "
        "header=false, columns={'line': 'VARCHAR'}, quote='', escape='', "
        f"auto_detect=false{lenient})"
    )


def _reason(kind: str, message: str) -> str:
    """DuckDB's reason for a rejected line, in the words a reader of a log file uses."""
    columns = _COLUMNS.search(message)
    if columns:
        return f"expected {columns.group(1)} fields, found {columns.group(2)}"
    if "unicode" in message.lower() or "utf-8" in message.lower():
        return "not UTF-8"
    too_long = _MAX_LINE.search(message)
    if too_long:
        return f"line too long (over {int(too_long.group(1)):,} bytes)"
    cast = _CAST.search(message)
    if cast:
        wanted = "a number" if "INT" in cast.group(3) else cast.group(3)
        return f"field {cast.group(1)} is {cast.group(2)!r}, not {wanted}"
    return message.splitlines()[0] if message else kind.lower()


def skipped_lines(con: duckdb.DuckDBPyConnection, path: Path | None = None) -> Skipped | None:
    """The malformed lines lenient reads on ``con`` skipped (of ``path``, or of any file)."""
    where = f"WHERE s.file_path = {quote_str(str(path))} " if path is not None else ""
    try:
        rows = con.execute(
            "SELECT s.file_path, e.line, e.error_type, e.error_message, e.column_name "
            f"FROM reject_errors e JOIN reject_scans s USING (scan_id, file_id) {where}"
            f"ORDER BY s.file_path, e.line, {_FIRST_REASON}, e.column_idx"
        ).fetchall()
    except duckdb.Error:  # no lenient read has run on this connection
        return None
    lines = {(str(r[0]), int(r[1])) for r in rows}
    if not lines:
        return None
    path, line, kind, message, _column = rows[0]
    first = f"{Path(str(path)).name} line {line}: {_reason(str(kind), str(message))}"
    return Skipped(len(lines), first)


def describe_csv_error(err: duckdb.Error) -> str:
    """DuckDB's CSV error as ``flows.log line 2: expected 14 fields, found 7`` (reason kept)."""
    text = str(err)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    where = _LINE.search(text)
    if where is None:  # not a per-line CSV error: its first line is the reason
        return lines[0] if lines else type(err).__name__
    # The reason is the first line after "CSV Error on Line" and "Original Line".
    reason_lines = [ln for ln in lines[1:] if not ln.startswith("Original Line")]
    reason = _reason("", reason_lines[0]) if reason_lines else "malformed line"
    path = _FILE.search(text)
    prefix = f"{Path(path.group(1).strip()).name} " if path else ""
    return f"{prefix}line {where.group(1)}: {reason}"
