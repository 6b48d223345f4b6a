"""The one table of VPC flow-log fields: record name, Logs Insights name, type, version.

Field list and types: https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html
(aws-facts A.3). Logs Insights names for the default format:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_AnalyzeLogData-discoverable-fields.html
(aws-facts A.9).

Naming choice: AWS discovers ``start``/``end`` as ``startTime``/``endTime``; the workbook's
public interface (ARCHITECTURE.md) names them ``start``/``end``. Both are exposed: ``start``
and ``end`` are the primary names, ``startTime`` and ``endTime`` aliases of the same values.
Fields beyond version 2 (only in custom formats) get the camelCase names below; AWS does
not document their discovery (UNVERIFIED), so these names are our own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class FlowField:
    """One flow-log field."""

    record_name: str
    insights_name: str
    numeric: bool
    version: int
    aliases: tuple[str, ...] = ()


FLOW_FIELDS: tuple[FlowField, ...] = (
    FlowField("version", "version", True, 2),
    FlowField("account-id", "accountId", False, 2),
    FlowField("interface-id", "interfaceId", False, 2),
    FlowField("srcaddr", "srcAddr", False, 2),
    FlowField("dstaddr", "dstAddr", False, 2),
    FlowField("srcport", "srcPort", True, 2),
    FlowField("dstport", "dstPort", True, 2),
    FlowField("protocol", "protocol", True, 2),
    FlowField("packets", "packets", True, 2),
    FlowField("bytes", "bytes", True, 2),
    FlowField("start", "start", True, 2, ("startTime",)),
    FlowField("end", "end", True, 2, ("endTime",)),
    FlowField("action", "action", False, 2),
    FlowField("log-status", "logStatus", False, 2),
    FlowField("vpc-id", "vpcId", False, 3),
    FlowField("subnet-id", "subnetId", False, 3),
    FlowField("instance-id", "instanceId", False, 3),
    FlowField("tcp-flags", "tcpFlags", True, 3),
    FlowField("type", "type", False, 3),
    FlowField("pkt-srcaddr", "pktSrcAddr", False, 3),
    FlowField("pkt-dstaddr", "pktDstAddr", False, 3),
    FlowField("region", "region", False, 4),
    FlowField("az-id", "azId", False, 4),
    FlowField("sublocation-type", "sublocationType", False, 4),
    FlowField("sublocation-id", "sublocationId", False, 4),
    FlowField("pkt-src-aws-service", "pktSrcAwsService", False, 5),
    FlowField("pkt-dst-aws-service", "pktDstAwsService", False, 5),
    FlowField("flow-direction", "flowDirection", False, 5),
    FlowField("traffic-path", "trafficPath", True, 5),
)
BY_RECORD_NAME = {f.record_name: f for f in FLOW_FIELDS}
DEFAULT_FIELDS = tuple(f for f in FLOW_FIELDS if f.version == 2)
DEFAULT_FORMAT = " ".join("${" + f.record_name + "}" for f in DEFAULT_FIELDS)
MISSING = "-"  # a field that does not apply or could not be computed (aws-facts A.1)

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


STRING_FIELDS = frozenset(
    name for f in FLOW_FIELDS if not f.numeric for name in (f.insights_name, *f.aliases)
)
