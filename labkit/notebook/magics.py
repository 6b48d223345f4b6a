"""The ``%%on INSTANCE`` cell magic: run each line of the cell on an instance, through SSM.

    %%on Instance 1
    hostname
    ping -c 3 10.2.0.10

It uses the Lab of the latest ``labkit.connect`` in the kernel; ``connect`` registers it.
"""

from __future__ import annotations

from typing import Any, Protocol

from labkit.errors import LabkitError


class Shells(Protocol):
    """What ``%%on`` needs of a lab (``labkit.lab.Lab`` has it): a shell on an instance."""

    def shell(self, instance: str, command: str, timeout_s: float = 120) -> Any:
        """Run ``command`` on ``instance`` and return a printable result."""
        ...


_current: Shells | None = None


def set_current(lab: Shells) -> None:
    """Remember the lab that ``%%on`` runs commands in."""
    global _current
    _current = lab


def on(line: str, cell: str) -> None:
    """Run each non-empty line of the cell on the instance named on the magic's line."""
    instance = line.strip().strip("\"'")
    if not instance:
        raise LabkitError("%%on needs an instance: write %%on Instance 1")
    if _current is None:
        raise LabkitError("no lab yet: run lab = labkit.connect(...) first")
    for command in (c.strip() for c in cell.splitlines()):
        if command and not command.startswith("#"):
            print(_current.shell(instance, command))


def register(shell: Any) -> None:
    """Register ``%%on`` in an IPython shell."""
    shell.register_magic_function(on, magic_kind="cell", magic_name="on")
