"""The ``labkit`` command: emulator, run, query, reach, and the rest.

Every error is one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from labkit.cli import emulator, policy, query, reach, run
from labkit.errors import LabkitError

# The subcommands, in ``labkit --help`` order: one module each, with ``register(subparsers)``.
SUBCOMMANDS = (emulator, run, query, reach, policy)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="labkit", description="The AWS networking lab workbook's command-line helper."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in SUBCOMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; exit 0 on success, 1 on a labkit error, 130 on Ctrl-C."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except LabkitError as err:
        print(f"labkit {args.command}: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"labkit {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
