"""Flow-log records: ONE table of fields drives parsing, formatting and the Insights names.

A record is a line of space-separated fields, in the order a log format lists them. The
default format is the fourteen version-2 fields; a custom format lists any of them as
``${field}``. The ``version`` field shows the highest version among the format's fields
(2 for the default format), and a field that does not apply is ``-``.
https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from labkit.netsim.errors import RecordFormatError
from labkit.netsim.model import DEFAULT_LOG_FORMAT

FieldValue = int | str | None  # None is written "-"
NOT_APPLICABLE = "-"


@dataclass(frozen=True)
class FlowField:
    """One flow-log field: its format name, the version that added it, Insights name, type."""

    name: str
    version: int
    insights_name: str
    kind: type  # int or str


# The table, in AWS's order (A.3 of the reference). The Insights names of the v2 fields are
# the ones CloudWatch Logs Insights discovers for flow logs (start → startTime, …):
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_AnalyzeLogData-discoverable-fields.html
# AWS lists no Insights names for v3+ fields; we use the same camelCase rule for them.
FIELDS: tuple[FlowField, ...] = (
    FlowField("version", 2, "version", int),
    FlowField("account-id", 2, "accountId", str),
    FlowField("interface-id", 2, "interfaceId", str),
    FlowField("srcaddr", 2, "srcAddr", str),
    FlowField("dstaddr", 2, "dstAddr", str),
    FlowField("srcport", 2, "srcPort", int),
    FlowField("dstport", 2, "dstPort", int),
    FlowField("protocol", 2, "protocol", int),
    FlowField("packets", 2, "packets", int),
    FlowField("bytes", 2, "bytes", int),
    FlowField("start", 2, "startTime", int),
    FlowField("end", 2, "endTime", int),
    FlowField("action", 2, "action", str),
    FlowField("log-status", 2, "logStatus", str),
    FlowField("vpc-id", 3, "vpcId", str),
    FlowField("subnet-id", 3, "subnetId", str),
    FlowField("instance-id", 3, "instanceId", str),
    FlowField("tcp-flags", 3, "tcpFlags", int),
    FlowField("type", 3, "type", str),
    FlowField("pkt-srcaddr", 3, "pktSrcAddr", str),
    FlowField("pkt-dstaddr", 3, "pktDstAddr", str),
    FlowField("region", 4, "region", str),
    FlowField("az-id", 4, "azId", str),
    FlowField("sublocation-type", 4, "sublocationType", str),
    FlowField("sublocation-id", 4, "sublocationId", str),
    FlowField("pkt-src-aws-service", 5, "pktSrcAwsService", str),
    FlowField("pkt-dst-aws-service", 5, "pktDstAwsService", str),
    FlowField("flow-direction", 5, "flowDirection", str),
    FlowField("traffic-path", 5, "trafficPath", int),
)
FIELD_BY_NAME: dict[str, FlowField] = {f.name: f for f in FIELDS}
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
DEFAULT_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.version == 2)

_TOKEN = re.compile(r"\$\{([^}]*)\}")


def _known() -> str:
    return ", ".join(FIELD_NAMES)


@dataclass(frozen=True)
class LogFormat:
    """A parsed log format: its fields in order, and the record version it implies."""

    fields: tuple[str, ...]

    @classmethod
    def parse(cls, text: str | None) -> LogFormat:
        """Parse ``${field} ${field}…`` (None or "" means the default format)."""
        if not text or not text.strip():
            return DEFAULT_FORMAT
        leftover = _TOKEN.sub("", text).strip()
        if leftover:
            raise RecordFormatError(
                f"log format {text!r} has text outside ${{...}}: write fields as ${{srcaddr}}"
            )
        names = tuple(_TOKEN.findall(text))
        for name in names:
            if name not in FIELD_BY_NAME:
                raise RecordFormatError(
                    f"unknown flow-log field {name!r}: known fields are {_known()}"
                )
        return cls(names)

    @cached_property
    def version(self) -> int:
        """2 for the default format, else the highest version among the fields (A.1)."""
        return max(FIELD_BY_NAME[name].version for name in self.fields)

    @property
    def text(self) -> str:
        """The format as AWS writes it, ``${version} ${account-id} …``."""
        return " ".join(f"${{{name}}}" for name in self.fields)

    @property
    def header(self) -> str:
        """The header line of an S3 flow-log file: the field names, space-separated."""
        return " ".join(self.fields)


DEFAULT_FORMAT = LogFormat(DEFAULT_FIELDS)
assert LogFormat.parse(DEFAULT_LOG_FORMAT) == DEFAULT_FORMAT


@dataclass(frozen=True)
class FlowRecord:
    """One flow-log record: a value (or None for "-") for every field in :data:`FIELDS`."""

    values: tuple[FieldValue, ...]

    @classmethod
    def make(cls, **fields: FieldValue) -> FlowRecord:
        """Build a record from keyword fields, underscores for hyphens (``log_status="OK"``)."""
        given = {key.replace("_", "-"): value for key, value in fields.items()}
        unknown = sorted(set(given) - set(FIELD_NAMES))
        if unknown:
            raise RecordFormatError(
                f"unknown flow-log field {unknown[0]!r}: known fields are {_known()}"
            )
        return cls(tuple(given.get(name) for name in FIELD_NAMES))

    def __getitem__(self, name: str) -> FieldValue:
        """The value of a field by its format name, e.g. ``record["log-status"]``."""
        try:
            return self.values[_POSITION[name]]
        except KeyError:
            raise RecordFormatError(
                f"unknown flow-log field {name!r}: known fields are {_known()}"
            ) from None

    def __getattr__(self, attr: str) -> FieldValue:
        """The value of a field by its snake_case name, e.g. ``record.log_status``."""
        name = attr.replace("_", "-")
        if attr.startswith("__") or name not in _POSITION:
            raise AttributeError(attr)
        return self.values[_POSITION[name]]

    def replace(self, **fields: FieldValue) -> FlowRecord:
        """A copy with some fields changed (underscores for hyphens)."""
        values = list(self.values)
        for key, value in fields.items():
            name = key.replace("_", "-")
            if name not in _POSITION:
                raise RecordFormatError(
                    f"unknown flow-log field {name!r}: known fields are {_known()}"
                )
            values[_POSITION[name]] = value
        return FlowRecord(tuple(values))

    def as_dict(self, log_format: LogFormat | None = None) -> dict[str, FieldValue]:
        """The fields of a format (default: all set fields) by format name."""
        if log_format is None:
            return {n: v for n, v in zip(FIELD_NAMES, self.values, strict=True) if v is not None}
        return {name: self[name] for name in log_format.fields}

    def insights(self, log_format: LogFormat = DEFAULT_FORMAT) -> dict[str, FieldValue]:
        """The format's fields under their Logs Insights names (srcAddr, startTime, …)."""
        return {FIELD_BY_NAME[name].insights_name: self[name] for name in log_format.fields}

    def format(self, log_format: LogFormat = DEFAULT_FORMAT) -> str:
        """The record as a flow-log line in this format; version follows the format's rule."""
        out = []
        for name in log_format.fields:
            value = log_format.version if name == "version" else self[name]
            out.append(NOT_APPLICABLE if value is None else str(value))
        return " ".join(out)

    @classmethod
    def parse(cls, line: str, log_format: LogFormat = DEFAULT_FORMAT) -> FlowRecord:
        """Parse a flow-log line written in ``log_format``."""
        parts = line.split()
        if len(parts) != len(log_format.fields):
            raise RecordFormatError(
                f"flow-log line has {len(parts)} fields but the format has "
                f"{len(log_format.fields)}: {line[:80]!r}"
            )
        values: dict[str, FieldValue] = {}
        for name, text in zip(log_format.fields, parts, strict=True):
            values[name] = _convert(FIELD_BY_NAME[name], text)
        return cls(tuple(values.get(name) for name in FIELD_NAMES))


_POSITION: dict[str, int] = {name: i for i, name in enumerate(FIELD_NAMES)}


def _convert(field: FlowField, text: str) -> FieldValue:
    if text == NOT_APPLICABLE:
        return None
    if field.kind is int:
        try:
            return int(text)
        except ValueError:
            raise RecordFormatError(
                f"flow-log field {field.name} must be a number, not {text!r}"
            ) from None
    return text


def format_lines(
    records: Iterable[FlowRecord], log_format: LogFormat = DEFAULT_FORMAT
) -> list[str]:
    """Format several records in one format."""
    return [record.format(log_format) for record in records]


def parse_lines(lines: Iterable[str], log_format: LogFormat = DEFAULT_FORMAT) -> list[FlowRecord]:
    """Parse lines in one format, skipping blank lines and an S3 header line."""
    header = log_format.header
    return [FlowRecord.parse(ln, log_format) for ln in lines if ln.strip() and ln.strip() != header]


def insights_names(log_format: LogFormat = DEFAULT_FORMAT) -> Mapping[str, str]:
    """Format name → Logs Insights name for the fields of a format."""
    return {name: FIELD_BY_NAME[name].insights_name for name in log_format.fields}
