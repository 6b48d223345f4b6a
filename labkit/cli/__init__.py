"""The ``labkit`` command: emulator, run, query, reach, and the rest.

Every error is one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from labkit.cli import emulator, policy, query, reach, run
from labkit.errors import LabkitError

# The subcommands, in ``labkit --help`` order: one module each, with ``register(subparsers)``.
SUBCOMMANDS = (emulator, run, query, reach, policy)


DEBUG_ENV = "LABKIT_DEBUG"  # set to 1 to see the traceback of an unexpected error


def skip_slow_iri_checker() -> None:
    """Keep jsonschema from importing ``rfc3987_syntax``, which costs 1.6 s per process.

    nbformat (under papermill and nbconvert) imports jsonschema, whose format module
    imports ``rfc3987_syntax`` whenever it is installed (Jupyter's ``format-nongpl``
    extra installs it) to check the ``iri`` formats; that package builds about 35 Earley
    parsers at import time (jsonschema issue #1392; 1.6 s here, on every ``labkit run``
    before its first notebook). No notebook schema uses an ``iri`` format, so the
    ``labkit`` command marks the module as absent, and jsonschema goes without that check.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line: what is wrong, and where to look.

    argparse prints the whole usage before the error; a learner needs the error and the
    ``--help`` to run. Subparsers inherit the class (``add_subparsers`` uses ``type(self)``).
    """

    def error(self, message: str) -> NoReturn:
        """Print one line on stderr and exit 2, as argparse does."""
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = OneLineParser(
        prog="labkit", description="The AWS networking lab workbook's command-line helper."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in SUBCOMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; exit 0 on success, 1 on a labkit error, 130 on Ctrl-C."""
    args = build_parser().parse_args(argv)
    skip_slow_iri_checker()
    try:
        return int(args.func(args) or 0)
    except LabkitError as err:
        print(f"labkit {args.command}: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"labkit {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug, not a bad input: still one line, unless debugging
        if os.environ.get(DEBUG_ENV):
            raise
        print(
            f"labkit {args.command}: unexpected {type(err).__name__}: {err} (a labkit bug: "
            f"please report it; {DEBUG_ENV}=1 shows the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
