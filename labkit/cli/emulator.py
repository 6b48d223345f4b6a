"""``labkit emulator start|stop|status``: the local emulator's life cycle."""

from __future__ import annotations

import argparse

from labkit.emulator import control
from labkit.errors import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``emulator`` subcommand."""
    parser = subparsers.add_parser("emulator", help="start, stop or check the local emulator")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    start = actions.add_parser("start", help="start it (prints the endpoint URL last)")
    start.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = free)")
    start.add_argument("--seed", type=int, default=None, help="deterministic resource IDs")
    start.set_defaults(func=run_start)
    stop = actions.add_parser("stop", help="stop it")
    stop.set_defaults(func=run_stop)
    status = actions.add_parser("status", help="say whether it runs, and where")
    status.set_defaults(func=run_status)


def run_start(args: argparse.Namespace) -> int:
    """Start the emulator, or report the one already running; the URL is the last line."""
    if args.port < 0 or args.port > 65535:
        raise ConfigError(f"--port {args.port} is not a TCP port: give 0 (a free one) to 65535")
    info = control.start(port=args.port, seed=args.seed)
    if info.already_running:
        print(f"the emulator is already running (pid {info.pid})")
    else:
        print(f"the emulator is running on 127.0.0.1:{info.port} (pid {info.pid})")
    print(info.url)
    return 0


def run_stop(args: argparse.Namespace) -> int:
    """Stop the emulator if it runs."""
    info = control.stop()
    print(f"stopped the emulator (pid {info.pid})" if info else "the emulator was not running")
    return 0


def run_status(args: argparse.Namespace) -> int:
    """Exit 0 and print the URL if the emulator answers; 3 if it does not run; 4 if silent."""
    info = control.status()
    if info is None:
        print("the emulator is not running; start it with: labkit emulator start")
        return 3
    if not info.answering:
        print(
            f"the emulator runs (pid {info.pid}) but does not answer at {info.url}: it is "
            "paused or busy; wait, or stop it with: labkit emulator stop"
        )
        return 4
    print(f"the emulator is running (pid {info.pid})")
    print(info.url)
    return 0
