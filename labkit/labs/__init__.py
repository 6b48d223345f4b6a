"""The labs: each lab's plan, checks and analysis (``labs/lab1``), and ``ensure_upto``.

A notebook's setup cell calls ``labkit.connect(..., ensure="01")`` to make sure the
resources of the notebooks before it exist. Everything is found by tag, so this is cheap
when they do, and any notebook can run alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from labkit.errors import ConfigError
from labkit.labs.lab1.plan import Lab1, build_lab1, build_lab1_peering

if TYPE_CHECKING:
    from labkit.lab import Lab

# What each notebook leaves behind, in order; `ensure_upto(lab, "02")` builds 01 and 02.
STEPS: dict[str, Callable[[Lab, Lab1], None]] = {
    "01": build_lab1,
    "02": build_lab1_peering,
}


def ensure_upto(lab: Lab, notebook: str) -> None:
    """Make sure every resource of the notebooks up to ``notebook`` exists."""
    if notebook == "00":
        return
    if notebook not in STEPS:
        raise ConfigError(f"ensure={notebook!r}: known steps are {', '.join(STEPS)}")
    plan = Lab1.from_lab(lab)
    for key, build in STEPS.items():
        build(lab, plan)
        if key == notebook:
            return
