"""The instance shell stays bounded and honest whatever a command asks for.

Pure tests on a hand-built topology: time, memory, output, refused syntax. SSM's answers
and CloudWatch Logs are tested on the emulator in tests/integration/emulator.
"""

from __future__ import annotations

import time
import tracemalloc

import pytest

from labkit.aws.ssm import ShellResult
from labkit.emulator.shell import Context, ShellState, SimClock, run_script
from labkit.emulator.shell.runtime import MAX_LEAD_S, TIMED_OUT
from labkit.emulator.shell.ssm import OUTPUT_LIMIT
from labkit.netsim.topologies import two_vpcs
from labkit.netsim.traffic import LoggedRecord


class Wall:
    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def __call__(self) -> float:
        return self.t


def shell(timeout: float | None = 3600) -> tuple[Context, list[LoggedRecord], Wall]:
    topo, ids = two_vpcs(peered=True)
    delivered: list[LoggedRecord] = []
    wall = Wall()
    ctx = Context(
        ids["instance1"],
        ShellState("ip-10-1-0-10.ec2.internal"),
        lambda: topo,
        delivered.extend,
        SimClock(wall),
        timeout=timeout,
    )
    return ctx, delivered, wall


def test_the_clock_never_leads_the_wall_by_more_than_the_bound() -> None:
    wall = Wall()
    clock = SimClock(wall)
    clock.advance(100_000)  # ping -c 100000 used to move it 28 hours ahead
    assert clock.now() - wall() == MAX_LEAD_S
    wall.t += 30
    clock.advance(5)
    assert clock.now() - wall() <= MAX_LEAD_S
    before = clock.now()
    clock.advance(0)
    assert clock.now() == before, "never backwards"


def test_a_ping_longer_than_the_execution_timeout_times_out() -> None:
    ctx, delivered, _ = shell(timeout=3600)
    code = run_script(ctx, ["ping -c 5000000 10.2.0.10", "echo never"])
    assert code == TIMED_OUT and ctx.timed_out
    out = "".join(ctx.out)
    assert "never" not in out, "SSM stops the whole script"
    assert "packets transmitted" not in out, "a stopped ping prints no statistics"
    assert ctx.elapsed == 3600
    assert delivered[0].record.packets == 3601  # one at 0 s, then one per second


def test_a_huge_ping_uses_bounded_memory_and_time() -> None:
    ctx, _, _ = shell(timeout=172_800)  # SSM's largest executionTimeout
    tracemalloc.start()
    started = time.perf_counter()
    try:
        run_script(ctx, ["ping -c 5000000 -i 0.002 10.2.0.10"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    assert peak < 5_000_000, f"{peak} bytes for one ping"
    assert elapsed < 30, "no per-packet work beyond what is printed"  # generous: shared CPU
    assert ctx.out.chars <= 64_000 and ctx.out.dropped > 0


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("ping -i 0.0001 -c 3 10.2.0.10", "cannot flood; minimal interval allowed for user is 2ms"),
        ("ping -s 70000 -c 1 10.2.0.10", "out of range: 0 <= value <= 65507"),
        ("ping -c -1 10.2.0.10", "out of range: 1 <= value"),
    ],
)
def test_ping_refuses_what_iputils_refuses(line: str, says: str) -> None:
    ctx, _, _ = shell()
    assert run_script(ctx, [line]) == 2
    assert says in "".join(ctx.err)


def test_a_shell_result_shows_the_cut_and_the_exit_status() -> None:
    cut = "x" * (OUTPUT_LIMIT - 23) + "\n---Output truncated---"
    shown = repr(ShellResult("Instance 1", "cat big", 1, cut, "", "Failed"))
    assert shown.endswith("---Output truncated---\n(exit code 1)")
    shown = repr(ShellResult("Instance 1", "cat big", 0, cut, "", "Success"))
    assert shown.endswith("---Output truncated---\n(exit code 0)")
    stopped = repr(ShellResult("Instance 1", "ping x", -1, "PING x\n", "", "TimedOut"))
    assert stopped.endswith("(timed out: SSM stopped the command at its executionTimeout)")


@pytest.mark.parametrize(
    ("line", "refused"),
    [
        ("echo `hostname`", True),
        ('echo "`hostname`"', True),
        ("echo $(hostname)", True),
        ("echo '`hostname`'", False),
        ("echo \\`hostname\\`", False),
    ],
)
def test_command_substitution_is_refused_not_printed(line: str, refused: bool) -> None:
    ctx, _, _ = shell()
    code = run_script(ctx, [line])
    err = "".join(ctx.err)
    assert (code == 2 and "command substitution" in err) is refused, (code, err)
    if not refused:
        assert "`hostname`" in "".join(ctx.out)
