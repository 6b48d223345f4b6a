"""Network commands of the instance shell: ping (iputils), nc -z (OpenBSD netcat), curl.

Each is ``(ctx, args) -> exit code``; the table that names them is in
:mod:`labkit.emulator.shell`.

Outputs follow the real tools so learners recognise them; timings are simulated and
reproducible (a hash of the path, not a clock).
"""

from __future__ import annotations

import random
from urllib.parse import urlsplit

from labkit.emulator.shell.runtime import Context, hostname_for, resolve
from labkit.netsim.traffic import Outcome

# Every simulated instance runs sshd on 22 and a small web server on 80 that answers
# "Hello from <hostname>"; internet hosts answer on 80 and 443.
INSTANCE_PORTS = {22: "ssh", 80: "http"}
INTERNET_PORTS = {80: "http", 443: "https"}
_RTT_MS = {"local": 0.05, "peering": 0.6, "internet-gateway": 1.4, "internet": 9.0, "endpoint": 1.0}
DEFAULT_PING_COUNT = 4  # real ping runs until stopped; under SSM it would run into the timeout
TCP_TIMEOUT = 127  # seconds Linux spends retrying a SYN with default settings
# iputils ping refuses shorter intervals unless flooding (-f, not simulated).
MIN_INTERVAL_MS = 2
MIN_INTERVAL_S = MIN_INTERVAL_MS / 1000
MAX_SIZE = 65507  # the largest ICMP payload in an IPv4 packet
RTT_SAMPLE = 1000  # round-trip times drawn per ping; statistics come from this sample


def _rtt(kind: str | None, draw: random.Random) -> float:
    base = _RTT_MS.get(kind or "local", 0.05)
    return round(base * draw.uniform(0.8, 1.3), 3)


def _opts(args: list[str], with_value: str, flags: str) -> tuple[dict[str, str], list[str]] | str:
    """Parse short options: those in ``with_value`` take a value (``-c 4`` or ``-c4``)."""
    found: dict[str, str] = {}
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-") and len(arg) > 1:
            j = 1
            while j < len(arg):
                letter = arg[j]
                if letter in with_value:
                    value = arg[j + 1 :] or (args[i + 1] if i + 1 < len(args) else "")
                    if not arg[j + 1 :]:
                        i += 1
                    if not value:
                        return f"option requires an argument -- '{letter}'"
                    found[letter] = value
                    break
                if letter not in flags:
                    return f"invalid option -- '{letter}'"
                found[letter] = ""
                j += 1
        else:
            rest.append(arg)
        i += 1
    return found, rest


def ping(ctx: Context, args: list[str]) -> int:
    """ping [-c COUNT] [-W TIMEOUT] [-i INTERVAL] [-s SIZE] [-q] HOST

    Bounded whatever COUNT is: only the echo requests that fit before the command's SSM
    execution timeout are sent (SSM then stops ping, which prints no statistics), and the
    round-trip times are drawn for at most ``RTT_SAMPLE`` of them.
    """
    parsed = _opts(args, "cWis", "qn4")
    if isinstance(parsed, str) or len(parsed[1]) != 1:
        ctx.error(
            f"ping: {parsed}"
            if isinstance(parsed, str)
            else "ping: usage error: Destination address required"
        )
        ctx.error("Usage: ping [-c count] [-W timeout] [-i interval] [-s size] [-q] destination")
        return 2
    opts, (host,) = parsed
    try:
        count = int(opts.get("c", DEFAULT_PING_COUNT))
        wait = float(opts.get("W", 10))
        interval = float(opts.get("i", 1))
        size = int(opts.get("s", 56))
    except ValueError:
        ctx.error("ping: invalid argument: the values of -c, -W, -i and -s must be numbers")
        return 2
    if count < 1:
        ctx.error(
            f"ping: invalid argument: '{count}': out of range: 1 <= value <= 9223372036854775807"
        )
        return 2
    if interval < MIN_INTERVAL_S:
        ctx.error(f"ping: cannot flood; minimal interval allowed for user is {MIN_INTERVAL_MS}ms")
        return 2
    if not 0 <= size <= MAX_SIZE:
        ctx.error(f"ping: invalid argument: '{size}': out of range: 0 <= value <= {MAX_SIZE}")
        return 2
    address = resolve(ctx, host)
    if address is None:
        ctx.error(f"ping: {host}: Name or service not known")
        return 2
    # The requests that fit before SSM stops the command: one now, then one per interval.
    left = ctx.remaining()
    sent = count if left == float("inf") else min(count, int(left // interval) + 1)
    outcome = ctx.send(address, "icmp", None, sent, sent * (size + 28), (sent - 1) * interval)
    ok = outcome.replied
    ctx.print(f"PING {host} ({address}) {size}({size + 28}) bytes of data.")
    draw = random.Random(f"{ctx.instance_id}{address}")
    rtts = [_rtt(outcome.trace.forward_kind, draw) for _ in range(min(sent, RTT_SAMPLE))]
    if ok and "q" not in opts:
        for seq in range(1, sent + 1):
            if ctx.out.dropped:  # SSM keeps only the start: stop formatting lines nobody sees
                break
            rtt = rtts[(seq - 1) % len(rtts)]
            ctx.print(f"{size + 8} bytes from {address}: icmp_seq={seq} ttl=64 time={rtt} ms")
    if sent < count:
        ctx.wait(ctx.remaining() + 1)  # raises CommandTimedOut: SSM stops ping here
    received = count if ok else 0
    mean = sum(rtts) / len(rtts)
    elapsed = int(
        (count - 1) * interval * 1000 + (mean * count if ok else 0) + (count if ok else 40)
    )
    ctx.wait((count - 1) * interval + (0 if ok else wait))
    ctx.print()
    ctx.print(f"--- {host} ping statistics ---")
    loss = 100 - received * 100 // count
    ctx.print(
        f"{count} packets transmitted, {received} received, {loss}% packet loss, time {elapsed}ms"
    )
    if ok:
        mdev = (sum((r - mean) ** 2 for r in rtts) / len(rtts)) ** 0.5
        ctx.print(
            f"rtt min/avg/max/mdev = {min(rtts):.3f}/{mean:.3f}/{max(rtts):.3f}/{mdev:.3f} ms"
        )
    return 0 if ok else 1


def _listening(ctx: Context, outcome: Outcome, port: int) -> str | None:
    """The service on the far end's port, or None if nothing listens there."""
    dest = outcome.trace.destination
    if dest is None or dest.eni is None:
        return INTERNET_PORTS.get(port) if outcome.trace.forward_kind == "internet" else None
    return INSTANCE_PORTS.get(port)


def nc(ctx: Context, args: list[str]) -> int:
    """nc -z [-v] [-u] [-w TIMEOUT] HOST PORT (connect test only)"""
    parsed = _opts(args, "w", "zvnu")
    if isinstance(parsed, str) or len(parsed[1]) != 2 or "z" not in parsed[0]:
        ctx.error(
            f"nc: {parsed}"
            if isinstance(parsed, str)
            else "nc: only connection tests are simulated: nc -zv [-w T] HOST PORT"
        )
        return 1
    opts, (host, port_text) = parsed
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        ctx.error(f"nc: port number invalid: {port_text}")
        return 1
    port, timeout = int(port_text), float(opts.get("w", TCP_TIMEOUT))
    address = resolve(ctx, host)
    if address is None:
        ctx.error(f'nc: getaddrinfo for host "{host}" port {port}: Name or service not known')
        return 1
    protocol = "udp" if "u" in opts else "tcp"
    outcome = ctx.send(address, protocol, port, 3, 180)
    kind = "udp" if protocol == "udp" else "tcp"
    if not outcome.replied:
        ctx.wait(timeout)
        if "v" in opts:
            ctx.error(
                f"nc: connect to {host} port {port} ({kind}) timed out: Operation now in progress"
            )
        return 1
    service = _listening(ctx, outcome, port)
    if service is None:
        if "v" in opts:
            ctx.error(f"nc: connect to {host} port {port} ({kind}) failed: Connection refused")
        return 1
    if "v" in opts:
        ctx.error(f"Connection to {host} {port} port [{kind}/{service}] succeeded!")
    return 0


def curl(ctx: Context, args: list[str]) -> int:
    """curl [-s] [-o FILE] [-m SECONDS] [--connect-timeout SECONDS] http://HOST[:PORT]/PATH"""
    timeout: float = TCP_TIMEOUT
    output, urls, i = None, [], 0
    while i < len(args):
        arg = args[i]
        if arg in ("-m", "--max-time", "--connect-timeout") and i + 1 < len(args):
            timeout, i = float(args[i + 1]), i + 2
            continue
        if arg in ("-o", "--output") and i + 1 < len(args):
            output, i = args[i + 1], i + 2
            continue
        if not arg.startswith("-"):
            urls.append(arg)
        i += 1
    if len(urls) != 1:
        ctx.error("curl: try 'curl --help' or 'curl --manual' for more information")
        return 2
    url = urls[0] if "://" in urls[0] else f"http://{urls[0]}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        ctx.error(f'curl: (1) Protocol "{parts.scheme}" not supported')
        return 1
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        ctx.error(
            "curl: (3) URL rejected: Port number was not a decimal number between 0 and 65535"
        )
        return 3
    address = resolve(ctx, host)
    if address is None:
        ctx.error(f"curl: (6) Could not resolve host: {host}")
        return 6
    outcome = ctx.send(address, "tcp", port, 6, 480, reply_packets=5, reply_bytes=900)
    if not outcome.replied:
        ctx.wait(timeout)
        ctx.error(
            f"curl: (28) Failed to connect to {host} port {port} after {int(timeout * 1000)} ms: "
            f"Couldn't connect to server"
        )
        return 28
    if _listening(ctx, outcome, port) is None:
        ctx.error(
            f"curl: (7) Failed to connect to {host} port {port} after 0 ms: "
            "Couldn't connect to server"
        )
        return 7
    dest = outcome.trace.destination
    if dest is not None and dest.eni is not None:
        body = f"<h1>Hello from {hostname_for(dest.eni.private_ip, ctx.topology().region)}</h1>\n"
    else:
        body = f"<html><body>Hello from {host} (a simulated internet host)</body></html>\n"
    if output:
        ctx.state.files[ctx.state.path(output)] = body
    else:
        ctx.out.append(body)
    return 0
