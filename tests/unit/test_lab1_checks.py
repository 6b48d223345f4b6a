"""Lab 1's checks and the ``%%on`` magic, on inputs that need no emulator."""

from __future__ import annotations

import pytest

from labkit.errors import LabkitError
from labkit.labs.lab1 import checks
from labkit.notebook import magics


def test_ping_counts_reads_the_summary_line() -> None:
    text = "--- 10.2.0.10 ping statistics ---\n3 packets transmitted, 1 received, 66% packet loss"
    assert checks.ping_counts(text) == (3, 1)
    assert checks.ping_counts("ping: unknown host") == (0, 0)


def test_cell_magic_needs_an_instance() -> None:
    with pytest.raises(LabkitError, match="%%on needs an instance"):
        magics.on("  ", "hostname")
