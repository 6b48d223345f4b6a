"""The instance shell's runtime: state, context, clock, the command registry, the script runner.

A command is a function ``(ctx, args) -> exit code`` that writes to ``ctx.out``/``ctx.err``.
The built-in table is filled in one place, :mod:`labkit.emulator.shell` (its ``__init__``);
another command is added with the decorator::

    @command("aws")
    def aws(ctx: Context, args: list[str]) -> int:
        ...

This module moves no bytes to moto: the network is reached through ``ctx.topology()`` and
``ctx.send(...)`` (see :mod:`labkit.emulator.shell.ssm`), so commands are testable on a
hand-built topology. Time is simulated: ``ping -c 4`` advances ``ctx.clock`` by 3 s and
returns at once.
"""

from __future__ import annotations

import posixpath
import random
import shlex
import time
from collections.abc import Callable, MutableMapping, MutableSet
from dataclasses import dataclass, field

from labkit.errors import LabkitError
from labkit.netsim.model import NetworkInterface, Topology, ip
from labkit.netsim.traffic import Exchange, LoggedRecord, Outcome, simulate

CommandFn = Callable[["Context", list[str]], int]
COMMANDS: dict[str, CommandFn] = {}
NOT_FOUND = 127


def command(name: str) -> Callable[[CommandFn], CommandFn]:
    """Register a shell command under ``name`` in :data:`COMMANDS`."""

    def register(fn: CommandFn) -> CommandFn:
        COMMANDS[name] = fn
        return fn

    return register


class SimClock:
    """Simulated seconds: never behind the wall clock, never going backwards."""

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self.wall = wall
        self._last = 0.0

    def now(self) -> float:
        """The current simulated time (Unix seconds)."""
        self._last = max(self._last, self.wall())
        return self._last

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of simulated time pass, without sleeping."""
        self._last = self.now() + seconds


@dataclass
class ShellState:
    """What persists on one instance between commands: files, directories, cwd."""

    hostname: str
    cwd: str = "/home/ssm-user"
    dirs: MutableSet[str] = field(
        default_factory=lambda: {
            "/",
            "/tmp",
            "/home",
            "/home/ssm-user",
            "/home/ec2-user",
            "/root",
            "/etc",
            "/var",
            "/usr",
            "/usr/bin",
        }
    )
    files: MutableMapping[str, str] = field(default_factory=dict)

    def path(self, name: str) -> str:
        """An absolute, normalised path for ``name`` relative to the cwd."""
        return posixpath.normpath(posixpath.join(self.cwd, name))


@dataclass
class Context:
    """One script run on one instance: its state, network access, clock and output."""

    instance_id: str
    state: ShellState
    topology: Callable[[], Topology]
    deliver: Callable[[list[LoggedRecord]], None]
    clock: SimClock
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)

    def print(self, text: str = "") -> None:
        """Write a line to stdout."""
        self.out.append(text + "\n")

    def error(self, text: str) -> None:
        """Write a line to stderr."""
        self.err.append(text + "\n")

    def eni(self) -> NetworkInterface:
        """The instance's primary network interface."""
        topo = self.topology()
        inst = topo.get(self.instance_id)
        return topo.get(inst.interface_ids[0])  # type: ignore[no-any-return,union-attr]

    def send(
        self,
        dst: str,
        protocol: str,
        port: int | None,
        packets: int,
        size: int,
        duration: float = 0.0,
        reply_packets: int | None = None,
        reply_bytes: int | None = None,
    ) -> Outcome:
        """Simulate an exchange from this instance, deliver its flow-log records, return it."""
        start = int(self.clock.now())
        exchange = Exchange(
            self.instance_id,
            dst,
            protocol,
            port,
            packets,
            size,
            start,
            start + int(duration),
            reply_packets,
            reply_bytes,
            random.Random(f"{self.instance_id}{start}{dst}").randrange(32768, 61000),
        )
        outcome = simulate(self.topology(), exchange)
        if outcome.records:
            self.deliver(list(outcome.records))
        return outcome


def hostname_for(private_ip: str, region: str) -> str:
    """EC2's private DNS name: ip-10-1-0-10.ec2.internal (us-east-1) or …region.compute.internal."""
    suffix = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
    return f"ip-{private_ip.replace('.', '-')}.{suffix}"


def resolve(ctx: Context, host: str) -> str | None:
    """An IPv4 address for a host: a literal, localhost, or an EC2 private DNS name."""
    if host == "localhost":
        return ctx.eni().private_ip
    if host.startswith("ip-") and (host.endswith(".internal")):
        host = host.split(".")[0].removeprefix("ip-").replace("-", ".")
    try:
        return str(ip(host)) if host.replace(".", "").isdigit() and host.count(".") == 3 else None
    except LabkitError:
        return None


# -- the script runner ----------------------------------------------------------------------

_OPERATORS = {"&&", "||", ";"}


def run_line(ctx: Context, line: str, last: int = 0) -> int:
    """Run one line of shell (``a && b || c; d``, ``> file`` redirects); return its exit code."""
    try:
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        tokens = list(lexer)
    except ValueError as err:
        ctx.error(f"bash: syntax error: {err}")
        return 2
    code, words, op = last, [], ";"
    for token in [*tokens, ";"]:
        if token not in _OPERATORS:
            words.append(token)
            continue
        if words and (op == ";" or (op == "&&" and code == 0) or (op == "||" and code != 0)):
            code = _run_simple(ctx, words)
        words, op = [], token
    return code


def _run_simple(ctx: Context, words: list[str]) -> int:
    target, append = None, False
    if len(words) >= 2 and words[-2] in (">", ">>"):
        target, append, words = words[-1], words[-2] == ">>", words[:-2]
    if any(w in ("|", "<", "&", "(", ")") for w in words):
        ctx.error(
            "bash: pipes, input redirection and background jobs are not simulated in this shell"
        )
        return 2
    if not words:
        return 0
    fn = COMMANDS.get(words[0])
    if fn is None:
        ctx.error(f"bash: {words[0]}: command not found")
        return NOT_FOUND
    if target is None:
        return fn(ctx, words[1:])
    before = len(ctx.out)
    code = fn(ctx, words[1:])
    text = "".join(ctx.out[before:])
    del ctx.out[before:]
    path = ctx.state.path(target)
    if posixpath.dirname(path) not in ctx.state.dirs:
        ctx.error(f"bash: {target}: No such file or directory")
        return 1
    ctx.state.files[path] = (ctx.state.files.get(path, "") if append else "") + text
    return code


def run_script(ctx: Context, lines: list[str]) -> int:
    """Run AWS-RunShellScript ``commands``: every line in order; the last exit code wins."""
    code = 0
    for line in lines:
        for part in str(line).splitlines():
            if part.strip():
                code = run_line(ctx, part, code)
    return code
