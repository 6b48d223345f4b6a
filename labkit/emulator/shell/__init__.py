"""The instance shell behind SSM Run Command: runtime, built-in and network commands, SSM adapter.

- :mod:`~labkit.emulator.shell.runtime`: state, context, simulated clock, registry, script runner.
- :mod:`~labkit.emulator.shell.builtins`: echo, cat, touch, ls, mkdir, cd, hostname...
- :mod:`~labkit.emulator.shell.network`: ping, nc, curl.
- :mod:`~labkit.emulator.shell.fs`: each instance's filesystem on disk; rm, sudo.
- :mod:`~labkit.emulator.shell.awscli`: ``aws``, the real AWS CLI confined to the instance.
- :mod:`~labkit.emulator.shell.ssm`: SSM's SendCommand/GetCommandInvocation on top of it.

The command table is filled here, in one place, when the package is imported (every
import of a shell module imports the package first).
"""

from __future__ import annotations

from labkit.emulator.shell import awscli, builtins, fs, network
from labkit.emulator.shell.runtime import (
    COMMANDS,
    CommandFn,
    Context,
    ShellState,
    SimClock,
    command,
    run_script,
)

BUILTIN_COMMANDS: dict[str, CommandFn] = {
    "echo": builtins.echo,
    "cat": builtins.cat,
    "touch": builtins.touch,
    "ls": builtins.ls,
    "mkdir": builtins.mkdir,
    "pwd": builtins.pwd,
    "cd": builtins.cd,
    "hostname": builtins.hostname,
    "whoami": builtins.whoami,
    "true": builtins.true_,
    "false": builtins.false_,
    "ping": network.ping,
    "nc": network.nc,
    "curl": network.curl,
    "rm": fs.rm,
    "sudo": fs.sudo,
    "aws": awscli.aws,
}
COMMANDS.update(BUILTIN_COMMANDS)

__all__ = [
    "BUILTIN_COMMANDS",
    "COMMANDS",
    "CommandFn",
    "Context",
    "ShellState",
    "SimClock",
    "command",
    "run_script",
]
