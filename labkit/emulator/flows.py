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
hook ``labkit:GenerateBackgroundTraffic`` (see :func:`request_background_traffic`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from labkit.emulator.front import AwsError, AwsRequest, backend, handles
from labkit.netsim.background import background_records
from labkit.netsim.model import FlowLog, Topology
from labkit.netsim.traffic import LoggedRecord

HOOK_SERVICE = "labkit"  # the SigV4 service name of labkit's own emulator hooks
HOOK_ACTION = "GenerateBackgroundTraffic"


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


_TOPOLOGIES: dict[tuple[str, str], tuple[int, Topology]] = {}


def live_topology(account_id: str, region: str) -> Topology:
    """The emulator's current network, read through describe_* in-process.

    Reading it takes a dozen describe calls (~0.2 s), so it is cached until an EC2 request
    that may change something arrives (:func:`labkit.emulator.front.changes`).
    """
    from labkit.aws.describe import describe_answers
    from labkit.emulator.front import changes
    from labkit.emulator.inproc import client
    from labkit.netsim.discover import discover

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


@handles(HOOK_SERVICE, HOOK_ACTION)
def _background_hook(req: AwsRequest) -> dict[str, Any]:
    """Front-layer hook: ``{"Count", "Seed", "Start"?, "Span"?}`` → ``{"Written": n}``."""
    try:
        count = int(req.params.get("Count", 0))
        seed = int(req.params.get("Seed", 0))
        start = req.params.get("Start")
        span = int(req.params.get("Span", 600))
    except (TypeError, ValueError):
        raise AwsError(
            "ValidationException", "Count, Seed, Start and Span must be integers"
        ) from None
    if not 0 <= count <= 100_000:
        raise AwsError("ValidationException", f"Count must be between 0 and 100000, not {count}")
    written = generate_background(
        req.account_id, req.region, count, seed, int(start) if start is not None else None, span
    )
    return {"Written": written}


def request_background_traffic(
    endpoint_url: str,
    count: int,
    seed: int = 0,
    region: str = "us-east-1",
    session: Any = None,
    start: int | None = None,
    span: int = 600,
) -> int:
    """Client side: ask a running emulator for ``count`` background records; return how many.

    Sends a SigV4-signed JSON request (service ``labkit``, target
    ``Labkit.GenerateBackgroundTraffic``) with the session's credentials (dummy ones do).
    """
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    from labkit.lab import session_for

    session = session or session_for(endpoint_url, region)
    payload = {
        "Count": count,
        "Seed": seed,
        "Span": span,
        **({"Start": start} if start is not None else {}),
    }
    request = AWSRequest(
        "POST",
        endpoint_url.rstrip("/") + "/",
        data=json.dumps(payload).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"Labkit.{HOOK_ACTION}",
        },
    )
    SigV4Auth(session.get_credentials(), HOOK_SERVICE, region).add_auth(request)
    prepared = urllib.request.Request(
        request.url, data=request.body, headers=dict(request.headers), method="POST"
    )
    with urllib.request.urlopen(prepared, timeout=60) as answer:  # noqa: S310 - the emulator's own URL
        return int(json.loads(answer.read())["Written"])
