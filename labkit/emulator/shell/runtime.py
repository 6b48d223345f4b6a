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

Bounds, whatever a command asks for:

- **Time.** A script runs for at most its SSM ``executionTimeout`` of simulated seconds
  (``ctx.wait`` raises :class:`CommandTimedOut` past it), as SSM stops a command then.
  The shared clock may lead the wall clock by at most ``MAX_LEAD_S``: records are stamped
  with it, and CloudWatch Logs drops events too far ahead (moto too), while a lab query
  looks up to a minute past "now". So a long ping compresses time instead of losing
  every later record.
- **Memory.** Output streams keep at most ``KEEP_CHARS`` characters (SSM returns 24,000
  of them); the rest is counted, not stored.
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
TIMED_OUT = -1  # SSM's ResponseCode for a command it stopped (no exit code of its own)
# The lead the simulated clock may take over the wall clock. labkit's queries end a minute
# after "now" (labs.lab1.analysis), and PutLogEvents refuses events more than 2 hours ahead:
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html
MAX_LEAD_S = 60.0
KEEP_CHARS = 64_000  # per stream: more than SSM returns, so truncation stays visible


class CommandTimedOut(LabkitError):
    """The script ran past its execution timeout; SSM stops it (status TimedOut)."""


class Stream(list[str]):
    """A command's stdout or stderr: keeps the first ``KEEP_CHARS`` characters, counts the rest."""

    def __init__(self) -> None:
        super().__init__()
        self.chars = 0
        self.dropped = 0

    def append(self, text: str) -> None:
        """Keep ``text`` if there is room, else count it as dropped."""
        if self.chars + len(text) > KEEP_CHARS:
            room = max(KEEP_CHARS - self.chars, 0)
            if room:
                super().append(text[:room])
                self.chars += room
            self.dropped += len(text) - room
            return
        super().append(text)
        self.chars += len(text)

    def __delitem__(self, index: slice | int) -> None:  # type: ignore[override]
        super().__delitem__(index)
        self.chars = sum(map(len, self))

    def clear(self) -> None:
        """Forget everything, dropped characters included."""
        super().clear()
        self.chars = self.dropped = 0


def command(name: str) -> Callable[[CommandFn], CommandFn]:
    """Register a shell command under ``name`` in :data:`COMMANDS`."""

    def register(fn: CommandFn) -> CommandFn:
        COMMANDS[name] = fn
        return fn

    return register


class SimClock:
    """Simulated seconds: never behind the wall clock, never going backwards, and never
    more than ``max_lead`` seconds ahead of it."""

    def __init__(self, wall: Callable[[], float] = time.time, max_lead: float = MAX_LEAD_S) -> None:
        self.wall = wall
        self.max_lead = max_lead
        self._last = 0.0

    def now(self) -> float:
        """The current simulated time (Unix seconds)."""
        self._last = max(self._last, self.wall())
        return self._last

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of simulated time pass, without sleeping (up to the lead bound)."""
        now = self.now()
        self._last = max(now, min(now + seconds, self.wall() + self.max_lead))


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
    out: Stream = field(default_factory=Stream)
    err: Stream = field(default_factory=Stream)
    timeout: float | None = None  # SSM's executionTimeout, in simulated seconds
    elapsed: float = 0.0  # simulated seconds this script has run
    timed_out: bool = False

    def remaining(self) -> float:
        """Simulated seconds left before the execution timeout (inf without one)."""
        return float("inf") if self.timeout is None else max(self.timeout - self.elapsed, 0.0)

    def wait(self, seconds: float) -> None:
        """Let ``seconds`` pass for this script; past the timeout, stop it as SSM does."""
        step = min(seconds, self.remaining())
        self.elapsed += step
        self.clock.advance(step)
        if step < seconds:
            raise CommandTimedOut(f"stopped after {self.timeout:.0f} s")

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


def substitutes(line: str) -> bool:
    """True if bash would run a command substitution in ``line``: `...` or $(...) outside
    single quotes and not escaped."""
    quoted, escaped = False, False
    for i, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\" and not quoted:
            escaped = True
        elif char == "'":
            quoted = not quoted
        elif not quoted and (char == "`" or line.startswith("$(", i)):
            return True
    return False


def run_line(ctx: Context, line: str, last: int = 0) -> int:
    """Run one line of shell (``a && b || c; d``, ``> file`` redirects); return its exit code."""
    if substitutes(line):
        ctx.error("bash: command substitution (`...` and $(...)) is not simulated in this shell")
        return 2
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
    """Run AWS-RunShellScript ``commands``: every line in order; the last exit code wins.

    A script stopped at its execution timeout returns ``TIMED_OUT`` with ``ctx.timed_out``.
    """
    code = 0
    try:
        for line in lines:
            for part in str(line).splitlines():
                if part.strip():
                    code = run_line(ctx, part, code)
    except CommandTimedOut:
        ctx.timed_out = True
        return TIMED_OUT
    return code
