"""The instance shell's parsing and outputs, on a hand-built Lab 1 topology (no moto)."""

from __future__ import annotations

import pytest

from labkit.emulator.shell import (
    COMMANDS,
    Context,
    ShellState,
    SimClock,
    command,
    run_script,
)
from labkit.netsim.topologies import two_vpcs
from labkit.netsim.traffic import LoggedRecord


class Clock:
    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def __call__(self) -> float:
        return self.t


def shell(peered: bool = False) -> tuple[Context, list[LoggedRecord]]:
    topo, ids = two_vpcs(peered=peered)
    delivered: list[LoggedRecord] = []
    ctx = Context(
        ids["instance1"],
        ShellState("ip-10-1-0-10.ec2.internal"),
        lambda: topo,
        delivered.extend,
        SimClock(Clock()),
    )
    return ctx, delivered


def run(ctx: Context, *lines: str) -> tuple[int, str, str]:
    ctx.out.clear()
    ctx.err.clear()
    code = run_script(ctx, list(lines))
    return code, "".join(ctx.out), "".join(ctx.err)


def test_ping_private_ip_before_peering_loses_everything() -> None:
    ctx, delivered = shell()
    code, out, _ = run(ctx, "ping -c 3 10.2.0.10")
    assert code == 1
    assert out.splitlines()[0] == "PING 10.2.0.10 (10.2.0.10) 56(84) bytes of data."
    assert "64 bytes from" not in out
    assert "3 packets transmitted, 0 received, 100% packet loss" in out.splitlines()[-1]
    assert [r.record.action for r in delivered] == ["ACCEPT"]


def test_ping_public_ip_replies() -> None:
    ctx, _ = shell()
    code, out, _ = run(ctx, "ping -c2 54.2.0.10")
    lines = out.splitlines()
    assert code == 0
    assert [ln.split(" time=")[0] for ln in lines[1:3]] == [
        "64 bytes from 54.2.0.10: icmp_seq=1 ttl=64",
        "64 bytes from 54.2.0.10: icmp_seq=2 ttl=64",
    ]
    assert lines[-2].startswith("2 packets transmitted, 2 received, 0% packet loss, time ")
    assert lines[-1].startswith("rtt min/avg/max/mdev = ")


def test_ping_time_is_simulated_not_slept() -> None:
    ctx, delivered = shell(peered=True)
    before = ctx.clock.now()
    run(ctx, "ping -c 5 -i 2 10.2.0.10")
    assert ctx.clock.now() - before == pytest.approx(8)
    first = delivered[0].record
    assert (first.start, first.end, first.packets, first.bytes) == (
        int(before),
        int(before) + 8,
        5,
        420,
    )


@pytest.mark.parametrize(
    ("line", "code", "err"),
    [
        ("ping nosuchhost", 2, "ping: nosuchhost: Name or service not known\n"),
        ("ping 10.2.0.300", 2, "ping: 10.2.0.300: Name or service not known\n"),
        ("ping -x 10.2.0.10", 2, "ping: invalid option -- 'x'\n"),
        ("nmap -sS 10.2.0.0/24", 127, "bash: nmap: command not found\n"),
        ("cat /nope", 1, "cat: /nope: No such file or directory\n"),
        ("curl http://nosuchhost/", 6, "curl: (6) Could not resolve host: nosuchhost\n"),
    ],
)
def test_errors_read_like_the_real_tools(line: str, code: int, err: str) -> None:
    ctx, _ = shell()
    got = run(ctx, line)
    assert (got[0], got[2].splitlines(keepends=True)[0]) == (code, err)


def test_nc_reports_success_refusal_and_timeout() -> None:
    ctx, _ = shell(peered=True)
    assert run(ctx, "nc -zv -w 2 10.2.0.10 22") == (
        0,
        "",
        "Connection to 10.2.0.10 22 port [tcp/ssh] succeeded!\n",
    )
    code, _, err = run(ctx, "nc -zv -w 2 10.2.0.10 3306")  # the SG does not allow 3306
    assert code == 1 and "timed out" in err
    before = ctx.clock.now()
    run(ctx, "nc -z -w 5 10.2.0.10 3306")
    assert ctx.clock.now() - before == pytest.approx(5)


def test_curl_reaches_the_web_server_only_where_the_sg_allows() -> None:
    ctx, _ = shell(peered=True)
    code, out, err = run(ctx, "curl -s http://93.184.216.34/")
    assert code == 0 and "simulated internet host" in out
    code, _, err = run(ctx, "curl --connect-timeout 3 http://10.2.0.10:80/")
    assert code == 28 and err.startswith(
        "curl: (28) Failed to connect to 10.2.0.10 port 80 after 3000 ms"
    )


def test_files_chains_and_redirects() -> None:
    ctx, _ = shell()
    assert run(ctx, "touch /tmp/test.txt", "echo hi > /tmp/a.txt", "echo there >> /tmp/a.txt") == (
        0,
        "",
        "",
    )
    assert run(ctx, "ls /tmp", "cat /tmp/a.txt") == (0, "a.txt\ntest.txt\nhi\nthere\n", "")
    assert run(ctx, "false && echo no || echo yes; echo done")[1] == "yes\ndone\n"
    assert run(ctx, "cd /tmp && pwd")[1] == "/tmp\n"
    assert run(ctx, "hostname")[1] == "ip-10-1-0-10.ec2.internal\n"
    assert run(ctx, "touch /nodir/x")[0] == 1


def test_command_registry_is_the_extension_hook() -> None:
    @command("greet")
    def greet(ctx: Context, args: list[str]) -> int:
        ctx.print("hello " + " ".join(args))
        return 3

    try:
        ctx, _ = shell()
        assert run(ctx, "greet you") == (3, "hello you\n", "")
    finally:
        del COMMANDS["greet"]


def test_shell_command_table_is_complete() -> None:
    from labkit.emulator.shell import BUILTIN_COMMANDS

    for name in ("echo", "cat", "ls", "hostname", "ping", "nc", "curl"):
        assert COMMANDS[name] is BUILTIN_COMMANDS[name]
