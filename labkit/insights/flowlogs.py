"""Flow-log fields as Logs Insights sees them, derived from :data:`labkit.netsim.records.FIELDS`.

The one table of fields (record name, version, Logs Insights name, type) lives in
:mod:`labkit.netsim.records`; this module only adds the query view of it: the names a
query may use for each field, primary name first.

Naming choice (the one place it is written down): AWS discovers ``start``/``end`` as
``startTime``/``endTime``, which is what ``records.FIELDS`` holds; the workbook's public
interface (``labkit query`` in ARCHITECTURE.md) names them ``start``/``end``. Both work in
a query: ``start`` and ``end`` are the primary names, ``startTime`` and ``endTime`` aliases
of the same values. :data:`WORKBOOK_NAMES` applies this choice to the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from labkit.netsim import records

# Record name → the workbook's primary Insights name, where it differs from AWS's (above).
WORKBOOK_NAMES: dict[str, str] = {"start": "start", "end": "end"}


@dataclass(frozen=True)
class FlowField:
    """One flow-log field as a query sees it: record name, Insights names, type, version."""

    record_name: str
    insights_name: str
    numeric: bool
    version: int
    aliases: tuple[str, ...] = ()


def _query_view(field: records.FlowField) -> FlowField:
    """The query view of a field of the records table (workbook name primary, AWS's alias)."""
    primary = WORKBOOK_NAMES.get(field.name, field.insights_name)
    aliases = () if primary == field.insights_name else (field.insights_name,)
    return FlowField(field.name, primary, field.kind is int, field.version, aliases)


FLOW_FIELDS: tuple[FlowField, ...] = tuple(_query_view(f) for f in records.FIELDS)
BY_RECORD_NAME: dict[str, FlowField] = {f.record_name: f for f in FLOW_FIELDS}
DEFAULT_FIELDS: tuple[FlowField, ...] = tuple(
    BY_RECORD_NAME[name] for name in records.DEFAULT_FORMAT.fields
)
DEFAULT_FORMAT: str = records.DEFAULT_FORMAT.text
MISSING = records.NOT_APPLICABLE  # a field that does not apply or could not be computed

_FORMAT_TOKEN = re.compile(r"\$\{([A-Za-z0-9-]+)\}")


def field_for(record_name: str) -> FlowField:
    """The table entry for a record name; unknown names get a camelCase string field."""
    known = BY_RECORD_NAME.get(record_name)
    if known is not None:
        return known
    head, *rest = record_name.split("-")
    return FlowField(record_name, head + "".join(p[:1].upper() + p[1:] for p in rest), False, 0)


def parse_format(log_format: str) -> tuple[FlowField, ...]:
    """The fields of a LogFormat string such as ``"${version} ${vpc-id} ${srcaddr}"``.

    A plain space-separated list of record names (an S3 file's header line) works too.
    """
    names = _FORMAT_TOKEN.findall(log_format)
    if not names:
        names = log_format.split()
    return tuple(field_for(n) for n in names)


def looks_like_header(line: str) -> bool:
    """True if a line is an S3 flow-log header: known record names separated by spaces."""
    tokens = line.split()
    return bool(tokens) and all(t in BY_RECORD_NAME for t in tokens)


def looks_like_default_record(line: str) -> bool:
    """True if a line has the shape of a default-format (version 2) record."""
    tokens = line.split(" ")
    return len(tokens) == len(DEFAULT_FIELDS) and tokens[0] == "2"


STRING_FIELDS: frozenset[str] = frozenset(
    name for f in FLOW_FIELDS if not f.numeric for name in (f.insights_name, *f.aliases)
)
