"""SSM Run Command for the emulator: SendCommand runs AWS-RunShellScript in the instance shell.

Supported: ``SendCommand`` (DocumentName ``AWS-RunShellScript``, ``Parameters.commands`` a
list of lines, ``InstanceIds`` or ``Targets=[{"Key": "InstanceIds", "Values": [...]}]``),
``GetCommandInvocation`` and ``ListCommandInvocations``. Commands run synchronously while
SendCommand is answered, so the first GetCommandInvocation already sees ``Success`` (exit
code 0) or ``Failed`` (any other code), with stdout and stderr like SSM's (truncated at
24,000 characters). https://docs.aws.amazon.com/systems-manager/latest/userguide/documents-command-ssm-plugin-reference.html

Each instance keeps a shell state (files, cwd) for the emulator's lifetime, keyed by account,
Region and instance id. The network is the live topology, read from moto in-process.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from labkit.emulator.flows import live_topology, write_records
from labkit.emulator.front import AwsRequest, CodedAwsError
from labkit.emulator.shell.fs import new_state, remove_all
from labkit.emulator.shell.runtime import Context, ShellState, SimClock, hostname_for, run_script
from labkit.netsim.model import Topology
from labkit.netsim.traffic import LoggedRecord

DOCUMENT = "AWS-RunShellScript"
OUTPUT_LIMIT = 24_000  # GetCommandInvocation returns at most this many characters per stream
CLOCK = SimClock()
_STATES: dict[tuple[str, str, str], ShellState] = {}
_COMMANDS: dict[str, CommandRun] = {}
_lock = threading.RLock()


class InvalidInstanceId(CodedAwsError):
    """The instance does not exist or is not running."""

    CODE = "InvalidInstanceId"


class InvalidParameters(CodedAwsError):
    """SendCommand's parameters or targets are missing or not simulated."""

    CODE = "InvalidParameters"


class InvalidDocument(CodedAwsError):
    """The SSM document is not AWS-RunShellScript."""

    CODE = "InvalidDocument"


class InvocationDoesNotExist(CodedAwsError):
    """No invocation of that command on that instance."""

    CODE = "InvocationDoesNotExist"


@dataclass(frozen=True)
class Invocation:
    """The result of a command on one instance."""

    instance_id: str
    exit_code: int
    stdout: str
    stderr: str
    started: datetime
    ended: datetime

    @property
    def status(self) -> str:
        """SSM's status: Success for exit code 0, else Failed."""
        return "Success" if self.exit_code == 0 else "Failed"


@dataclass
class CommandRun:
    """One SendCommand: its parameters and the invocation per instance."""

    command_id: str
    comment: str
    commands: list[str]
    requested: datetime
    timeout: int
    invocations: dict[str, Invocation] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """Success if every instance succeeded, else Failed."""
        return (
            "Success" if all(i.status == "Success" for i in self.invocations.values()) else "Failed"
        )


def run_on_instance(
    account_id: str, region: str, instance_id: str, commands: list[str]
) -> Invocation:
    """Run shell lines on a simulated instance now (the same path SendCommand takes)."""
    cache: dict[str, Topology] = {}

    def topology() -> Topology:
        if "topo" not in cache:
            cache["topo"] = live_topology(account_id, region)
        return cache["topo"]

    def deliver(records: list[LoggedRecord]) -> None:
        write_records(account_id, region, records)

    inst = topology().get(instance_id)
    if inst is None or getattr(inst, "state", "") != "running":
        raise InvalidInstanceId(
            f"Instances [[{instance_id}]] not in a valid state for account "
            f"{account_id}; use the id of a running instance",
        )
    with _lock:
        key = (account_id, region, instance_id)
        if key not in _STATES:
            eni = topology().get(inst.interface_ids[0])
            hostname = hostname_for(eni.private_ip if eni else "0.0.0.0", region)
            _STATES[key] = new_state(hostname, region, instance_id)
        ctx = Context(instance_id, _STATES[key], topology, deliver, CLOCK)
        started = datetime.now(UTC)
        code = run_script(ctx, commands)
    return Invocation(
        instance_id, code, "".join(ctx.out), "".join(ctx.err), started, datetime.now(UTC)
    )


def _targets(params: dict[str, Any]) -> list[str]:
    ids = list(params.get("InstanceIds") or [])
    for target in params.get("Targets") or []:
        if target.get("Key") == "InstanceIds":
            ids.extend(target.get("Values", []))
        else:
            raise InvalidParameters(
                f"target key {target.get('Key')!r} is not simulated; use InstanceIds",
            )
    if not ids:
        raise InvalidParameters("give InstanceIds (or Targets with Key=InstanceIds)")
    return ids


def send_command(req: AwsRequest) -> dict[str, Any]:
    """Run AWS-RunShellScript on each instance and answer like SSM's SendCommand."""
    params = req.params
    document = params.get("DocumentName", "")
    if document != DOCUMENT:
        raise InvalidDocument(f"document {document!r} is not simulated; use {DOCUMENT}")
    commands = (params.get("Parameters") or {}).get("commands")
    if not commands:
        raise InvalidParameters(f"{DOCUMENT} needs Parameters={{'commands': ['...']}}")
    ids = _targets(params)
    run = CommandRun(
        str(uuid.uuid4()),
        params.get("Comment", ""),
        list(commands),
        datetime.now(UTC),
        int(params.get("TimeoutSeconds", 3600)),
    )
    for instance_id in ids:
        run.invocations[instance_id] = run_on_instance(
            req.account_id, req.region, instance_id, run.commands
        )
    with _lock:
        _COMMANDS[run.command_id] = run
    return {"Command": _command_shape(run, ids)}


def _command_shape(run: CommandRun, ids: list[str]) -> dict[str, Any]:
    failed = sum(1 for i in run.invocations.values() if i.status != "Success")
    return {
        "CommandId": run.command_id,
        "DocumentName": DOCUMENT,
        "DocumentVersion": "$DEFAULT",
        "Comment": run.comment,
        "Parameters": {"commands": run.commands},
        "InstanceIds": ids,
        "Targets": [],
        "RequestedDateTime": run.requested.timestamp(),
        "Status": run.status,
        "StatusDetails": run.status,
        "TimeoutSeconds": run.timeout,
        "TargetCount": len(ids),
        "CompletedCount": len(ids),
        "ErrorCount": failed,
        "DeliveryTimedOutCount": 0,
        "MaxConcurrency": "50",
        "MaxErrors": "0",
    }


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _find(command_id: str, instance_id: str) -> tuple[CommandRun, Invocation]:
    with _lock:
        run = _COMMANDS.get(command_id)
    if run is None or instance_id not in run.invocations:
        raise InvocationDoesNotExist(
            f"no invocation of command {command_id} on instance {instance_id}; check both ids",
        )
    return run, run.invocations[instance_id]


def get_command_invocation(req: AwsRequest) -> dict[str, Any]:
    """The result of a command on one instance, like SSM's GetCommandInvocation."""
    run, inv = _find(str(req.params.get("CommandId")), str(req.params.get("InstanceId")))
    return {
        "CommandId": run.command_id,
        "InstanceId": inv.instance_id,
        "Comment": run.comment,
        "DocumentName": DOCUMENT,
        "DocumentVersion": "$DEFAULT",
        "PluginName": "aws:runShellScript",
        "ResponseCode": inv.exit_code,
        "ExecutionStartDateTime": _stamp(inv.started),
        "ExecutionElapsedTime": "PT0S",
        "ExecutionEndDateTime": _stamp(inv.ended),
        "Status": inv.status,
        "StatusDetails": inv.status,
        "StandardOutputContent": inv.stdout[:OUTPUT_LIMIT],
        "StandardOutputUrl": "",
        "StandardErrorContent": inv.stderr[:OUTPUT_LIMIT],
        "StandardErrorUrl": "",
        "CloudWatchOutputConfig": {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False},
    }


def list_command_invocations(req: AwsRequest) -> dict[str, Any]:
    """Invocations filtered by CommandId and/or InstanceId; ``Details`` adds plugin output."""
    command_id, instance_id = req.params.get("CommandId"), req.params.get("InstanceId")
    details = bool(req.params.get("Details"))
    with _lock:
        runs = [r for r in _COMMANDS.values() if command_id in (None, r.command_id)]
    out = []
    for run in sorted(runs, key=lambda r: r.requested, reverse=True):
        for inv in run.invocations.values():
            if instance_id not in (None, inv.instance_id):
                continue
            item: dict[str, Any] = {
                "CommandId": run.command_id,
                "InstanceId": inv.instance_id,
                "Comment": run.comment,
                "DocumentName": DOCUMENT,
                "DocumentVersion": "$DEFAULT",
                "RequestedDateTime": run.requested.timestamp(),
                "Status": inv.status,
                "StatusDetails": inv.status,
                "StandardOutputUrl": "",
                "StandardErrorUrl": "",
                "CommandPlugins": [],
            }
            if details:
                item["CommandPlugins"] = [
                    {
                        "Name": "aws:runShellScript",
                        "Status": inv.status,
                        "StatusDetails": inv.status,
                        "ResponseCode": inv.exit_code,
                        "ResponseStartDateTime": inv.started.timestamp(),
                        "ResponseFinishDateTime": inv.ended.timestamp(),
                        "Output": (inv.stdout + inv.stderr)[:2500],
                    }
                ]
            out.append(item)
    return {"CommandInvocations": out}


def reset() -> None:
    """Forget every shell state and command (for tests and ``moto-api/reset``)."""
    with _lock:
        _STATES.clear()
        _COMMANDS.clear()
        remove_all()


__all__ = ["CLOCK", "Invocation", "reset", "run_on_instance"]
