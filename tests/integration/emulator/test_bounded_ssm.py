"""SSM's limits on the in-process emulator: TimedOut, the agent's cut, and no record lost
to a simulated clock that ran ahead."""

from __future__ import annotations

import time
from typing import Any

from lab1_build import build_lab1, run  # this directory's helpers

from labkit.emulator.shell.runtime import MAX_LEAD_S
from labkit.emulator.shell.ssm import OUTPUT_LIMIT


def _events(aws: Any, group: str) -> int:
    logs = aws("logs")
    pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group)
    return sum(len(page["events"]) for page in pages)


def test_ssm_answers_timed_out_for_a_ping_past_the_timeout(aws: Any) -> None:
    ids = build_lab1(aws)
    ssm = aws("ssm")
    sent = ssm.send_command(
        InstanceIds=[ids["i1"]],
        DocumentName="AWS-RunShellScript",
        Parameters={"commands": [f"ping -c 100 {ids['public2']}"], "executionTimeout": ["30"]},
    )["Command"]
    answer = ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId=ids["i1"])
    assert (answer["Status"], answer["StatusDetails"], answer["ResponseCode"]) == (
        "TimedOut",
        "ExecutionTimedOut",
        -1,
    )
    assert answer["StandardOutputContent"].count("bytes from") == 31


def test_ssm_cuts_long_output_with_the_agents_marker(aws: Any) -> None:
    ids = build_lab1(aws)
    answer = run(aws, ids["i1"], f"ping -c 3000 -i 0.002 {ids['public2']}")
    out = answer["StandardOutputContent"]
    assert len(out) == OUTPUT_LIMIT
    assert out.endswith("\n---Output truncated---")
    assert answer["Status"] == "Success" and answer["ResponseCode"] == 0


def test_records_after_a_long_ping_are_still_delivered(aws: Any) -> None:
    """A 3-hour ping used to push the clock past CloudWatch's 2-hour limit for good."""
    ids = build_lab1(aws)
    group = "lab1-flow-logs"
    run(aws, ids["i1"], f"ping -c 3 {ids['public2']}")
    before = _events(aws, group)
    assert before > 0
    long = aws("ssm").send_command(
        InstanceIds=[ids["i1"]],
        DocumentName="AWS-RunShellScript",
        Parameters={
            "commands": [f"ping -c 10800 {ids['public2']}"],
            "executionTimeout": ["172800"],
        },
    )["Command"]
    assert long["Status"] == "Success"
    after_long = _events(aws, group)
    run(aws, ids["i1"], f"ping -c 3 {ids['public2']}")
    assert _events(aws, group) > after_long > before, "records after the long ping were dropped"
    newest = max(
        e["timestamp"]
        for page in aws("logs").get_paginator("filter_log_events").paginate(logGroupName=group)
        for e in page["events"]
    )
    assert newest / 1000 <= time.time() + MAX_LEAD_S + 1


def test_the_command_history_is_bounded(aws: Any, monkeypatch: Any) -> None:
    from labkit.emulator.shell import ssm as ssm_handlers

    monkeypatch.setattr(ssm_handlers, "KEPT_COMMANDS", 3)
    ids = build_lab1(aws)
    ssm = aws("ssm")
    sent = [
        ssm.send_command(
            InstanceIds=[ids["i1"]],
            DocumentName="AWS-RunShellScript",
            Parameters={"commands": [f"echo {n}"]},
        )["Command"]["CommandId"]
        for n in range(5)
    ]
    listed = {c["CommandId"] for c in ssm.list_command_invocations()["CommandInvocations"]}
    assert listed == set(sent[-3:])
    answer = ssm.get_command_invocation(CommandId=sent[-1], InstanceId=ids["i1"])
    assert answer["StandardOutputContent"] == "4\n"
