"""Deliver flow-log records to their destinations at once: CloudWatch Logs or S3.

AWS batches records for minutes; the emulator writes them as soon as traffic happens so a
lab can read them in the next cell.

* CloudWatch Logs: one stream per ENI, named by the ENI id, in the flow log's group; the
  event timestamp is the record's start time in ms.
  https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-cwl.html
  AWS creates the log group when traffic is first recorded (the role allows
  logs:CreateLogGroup), so we create it too; moto marks a flow log whose group was missing
  at creation "FAILED", which AWS does not, so delivery ignores DeliverLogsStatus.
* S3: one gzip object per flow log and delivery, under AWS's key layout, whose first line
  is the header of field names.
  https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3.html
  AWS ends the file name with a random hash; ours is a hash of the content (reproducible).

Background traffic: :func:`generate_background` writes N seeded records into the flow logs
of the live topology. Clients outside the emulator process call it through the front-layer
hook ``labkit:GenerateBackgroundTraffic`` (the client side is
:func:`labkit.emulator.client.request_background_traffic`).
"""

from __future__ import annotations

import gzip
import hashlib
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from labkit.aws.describe import describe_answers
from labkit.emulator.front import AwsRequest, CodedAwsError, backend, changes
from labkit.emulator.inproc import client
from labkit.netsim.background import background_records
from labkit.netsim.discover import discover
from labkit.netsim.model import FlowLog, Topology
from labkit.netsim.traffic import LoggedRecord


def write_records(account_id: str, region: str, records: Sequence[LoggedRecord]) -> int:
    """Write records into their flow logs' destinations; return how many were written."""
    by_log: dict[str, list[LoggedRecord]] = defaultdict(list)
    logs: dict[str, FlowLog] = {}
    for rec in records:
        by_log[rec.flow_log.id].append(rec)
        logs[rec.flow_log.id] = rec.flow_log
    written = 0
    for log_id, recs in by_log.items():
        recs.sort(key=lambda r: r.record.start or 0)
        flow_log = logs[log_id]
        if flow_log.destination_type == "s3":
            written += _to_s3(account_id, region, flow_log, recs)
        elif flow_log.destination_type == "cloud-watch-logs" and flow_log.log_group:
            written += _to_cloudwatch(account_id, region, flow_log, recs)
    return written


def _to_cloudwatch(
    account_id: str, region: str, flow_log: FlowLog, recs: list[LoggedRecord]
) -> int:
    logs = backend("logs", account_id, region)
    group = str(flow_log.log_group)
    if group not in logs.groups:
        logs.create_log_group(group, {})
    by_stream: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in recs:
        start = int(rec.record.start or time.time())
        by_stream[str(rec.record.interface_id)].append(
            {"timestamp": start * 1000, "message": rec.line()}
        )
    for stream, events in by_stream.items():
        logs.ensure_log_stream(group, stream)
        logs.put_log_events(group, stream, events)
    return len(recs)


def s3_key(
    account_id: str, region: str, flow_log_id: str, when: datetime, body: bytes, prefix: str = ""
) -> str:
    """AWS's key for a flow-log file: AWSLogs/{account}/vpcflowlogs/{region}/yyyy/mm/dd/…log.gz."""
    digest = hashlib.sha256(body).hexdigest()[:8]
    stamp = when.strftime("%Y%m%dT%H%MZ")
    return (
        f"{prefix}AWSLogs/{account_id}/vpcflowlogs/{region}/{when:%Y/%m/%d}/"
        f"{account_id}_vpcflowlogs_{region}_{flow_log_id}_{stamp}_{digest}.log.gz"
    )


def _to_s3(account_id: str, region: str, flow_log: FlowLog, recs: list[LoggedRecord]) -> int:
    arn = str(flow_log.destination_arn or "")
    bucket, _, prefix = arn.removeprefix("arn:aws:s3:::").partition("/")
    if not bucket:
        return 0
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    text = "\n".join([recs[0].log_format.header, *(r.line() for r in recs)]) + "\n"
    body = gzip.compress(text.encode(), mtime=0)
    when = datetime.fromtimestamp(int(recs[0].record.start or time.time()), UTC)
    backend("s3", account_id).put_object(
        bucket, s3_key(account_id, region, flow_log.id, when, text.encode(), prefix), body
    )
    return len(recs)


class ValidationException(CodedAwsError):
    """A parameter of the background-traffic hook is not an integer or out of range."""

    CODE = "ValidationException"


_TOPOLOGIES: dict[tuple[str, str], tuple[int, Topology]] = {}


def live_topology(account_id: str, region: str) -> Topology:
    """The emulator's current network, read through describe_* in-process.

    Reading it takes a dozen describe calls (~0.2 s), so it is cached until an EC2 request
    that may change something arrives (:func:`labkit.emulator.front.changes`).
    """
    version = changes("ec2")
    cached = _TOPOLOGIES.get((account_id, region))
    if cached is not None and cached[0] == version:
        return cached[1]
    topo = discover(describe_answers(client("ec2", region)))
    _TOPOLOGIES[(account_id, region)] = (version, topo)
    return topo


def generate_background(
    account_id: str,
    region: str,
    count: int,
    seed: int = 0,
    start: int | None = None,
    span: int = 600,
) -> int:
    """Write ``count`` seeded background-traffic records into the live flow logs.

    Parameters
    ----------
    count: how many records (internet scans with REJECTs, HTTPS calls); 0 writes nothing.
    seed: the same seed on the same topology gives the same records.
    start: Unix seconds of the first record's window (default: ``span`` seconds ago, or
        when the first flow log was created if that is later).
    span: the window, in seconds, the records spread over.

    Returns
    -------
    The number of records written (0 when no flow log covers a public instance).
    """
    topo = live_topology(account_id, region)
    if start is None:
        now = int(time.time())
        # "The last ``span`` seconds", but not before the first flow log existed: the
        # records spread over the time the flow logs could have seen them.
        created = [f.created for f in topo.flow_logs if f.created is not None]
        begin = max(now - span, min(created, default=now - span))
        span = max(now - begin, 1)
    else:
        begin = start
    records = background_records(topo, count, seed, begin, span)
    return write_records(account_id, region, records)


def background_hook(req: AwsRequest) -> dict[str, Any]:
    """Front-layer hook: ``{"Count", "Seed", "Start"?, "Span"?}`` → ``{"Written": n}``."""
    try:
        count = int(req.params.get("Count", 0))
        seed = int(req.params.get("Seed", 0))
        start = req.params.get("Start")
        span = int(req.params.get("Span", 600))
    except (TypeError, ValueError):
        raise ValidationException("Count, Seed, Start and Span must be integers") from None
    if not 0 <= count <= 100_000:
        raise ValidationException(f"Count must be between 0 and 100000, not {count}")
    written = generate_background(
        req.account_id, req.region, count, seed, int(start) if start is not None else None, span
    )
    return {"Written": written}
