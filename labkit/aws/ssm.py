"""Run shell commands on lab instances through SSM Run Command, on either backend.

https://docs.aws.amazon.com/systems-manager/latest/userguide/run-command.html
The emulator runs the commands in its simulated instance shell; AWS runs them for real.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labkit.aws import compute
from labkit.errors import LabkitError

if TYPE_CHECKING:
    from labkit.aws.context import AwsContext

DOCUMENT = "AWS-RunShellScript"
TERMINAL = {"Success", "Failed", "Cancelled", "TimedOut", "Cancelling", "Undeliverable"}


@dataclass(frozen=True)
class ShellResult:
    """What a command printed on an instance, and its exit code; shows like a terminal."""

    instance: str
    command: str
    exit_code: int
    stdout: str
    stderr: str
    status: str

    @property
    def ok(self) -> bool:
        """True if the command exited 0."""
        return self.exit_code == 0

    def __repr__(self) -> str:
        prompt = f"[ec2-user@{self.instance} ~]$ {self.command}"
        body = (self.stdout + self.stderr).rstrip("\n")
        tail = "" if self.ok else f"\n(exit code {self.exit_code})"
        return f"{prompt}\n{body}{tail}" if body else f"{prompt}{tail}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def shell(lab: AwsContext, instance: str, command: str, timeout_s: float = 120) -> ShellResult:
    """Run one shell command on an instance (Name tag or id) and wait for its answer.

    Parameters
    ----------
    instance: the instance's Name tag ("Instance 1") or id.
    command: one shell command line, e.g. "ping -c 3 10.2.0.10".
    timeout_s: how long to wait for the command, printing progress after 5 s.

    Returns
    -------
    The :class:`ShellResult`: exit code, stdout, stderr.
    """
    if not command.strip():
        raise LabkitError("no command given: write one, e.g. 'ping -c 3 10.2.0.10'")
    inst = compute.find_instance(lab, instance)
    if inst.state != "running":
        raise LabkitError(f"{inst.name} is {inst.state}: SSM can run commands on running instances")
    with lab.call(f"sending the command to {inst.name}"):
        sent = lab.ssm.send_command(
            InstanceIds=[inst.instance_id],
            DocumentName=DOCUMENT,
            Parameters={"commands": [command]},
            TimeoutSeconds=max(30, int(timeout_s)),
        )["Command"]
    answer = _wait(lab, sent["CommandId"], inst, timeout_s)
    return ShellResult(
        instance=inst.name,
        command=command,
        exit_code=int(answer.get("ResponseCode", -1)),
        stdout=answer.get("StandardOutputContent", ""),
        stderr=answer.get("StandardErrorContent", ""),
        status=answer.get("Status", "Unknown"),
    )


def _wait(
    lab: AwsContext, command_id: str, inst: compute.LabInstance, timeout_s: float
) -> dict[str, Any]:
    started = time.monotonic()
    said = 0.0
    while True:
        with lab.call(f"reading the command's answer from {inst.name}"):
            try:
                answer = lab.ssm.get_command_invocation(
                    CommandId=command_id, InstanceId=inst.instance_id
                )
            except lab.ssm.exceptions.InvocationDoesNotExist:
                answer = {"Status": "Pending"}
        if answer.get("Status") in TERMINAL:
            return dict(answer)
        waited = time.monotonic() - started
        if waited > timeout_s:
            raise LabkitError(
                f"{inst.name} did not answer within {timeout_s:.0f} s; is the SSM agent "
                "running, and does the instance role allow SSM?"
            )
        if waited - said >= 5:
            print(f"waiting for {inst.name}… {waited:.0f} s", flush=True)
            said = waited
        time.sleep(0.2 if lab.endpoint_url else 1.0)
