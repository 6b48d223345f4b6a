"""A flow log holds no record from before it was created (background traffic included)."""

from __future__ import annotations

import labkit
from labkit import labs


def test_background_records_start_when_the_flow_log_was_created(lab: labkit.Lab) -> None:
    labs.ensure_upto(lab, "01")
    group = lab.flow_log_group()
    (flow_log,) = lab.ec2.describe_flow_logs(Filters=lab.filters())["FlowLogs"]
    created = int(flow_log["CreationTime"].timestamp())
    assert lab.background_traffic(120, seed=3, minutes=10) > 0
    events = [
        e
        for stream in lab.logs.describe_log_streams(logGroupName=group)["logStreams"]
        for e in lab.logs.get_log_events(
            logGroupName=group, logStreamName=stream["logStreamName"], startFromHead=True
        )["events"]
    ]
    assert len(events) >= 120
    assert min(e["timestamp"] for e in events) >= created * 1000
    starts = [int(e["message"].split()[10]) for e in events]  # the record's own start field
    assert min(starts) >= created
    assert lab.topology().flow_logs[0].created == created  # discover reads CreationTime
