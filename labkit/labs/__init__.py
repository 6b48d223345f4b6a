"""The labs: each lab's plan, checks and analysis (``labs/lab1``), and ``ensure_upto``.

A notebook's setup cell calls ``labkit.connect(..., ensure="01")`` to put the lab in the
state notebook 01 leaves it in, which is where the next notebook starts: the resources of
the notebooks up to 01 are built if missing, and what the *later* notebooks make (a
previous run's peering, say) is removed, so Run All works any number of times, in order
or alone. Every change is printed as one line; nothing is removed silently. Everything
is found by tag, so this is cheap when the lab is already in that state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from labkit.aws import teardown
from labkit.errors import ConfigError
from labkit.labs.lab1.plan import Lab1, build_lab1, build_lab1_peering
from labkit.labs.lab2.plan import build_lab2, undo_lab2
from labkit.labs.lab3.steps import build_lab3, undo_lab3

if TYPE_CHECKING:
    from labkit.aws.context import AwsContext

# What each notebook leaves behind, in order; `ensure_upto(lab, "02")` builds 01 and 02.
# Notebook 03 builds nothing; 04 (Lab 2) starts from 02's state.
# A builder may return lines for changes the lab's tag cannot find (routes, say).
Step = Callable[["AwsContext", Lab1], "list[str] | None"]
Undo = Callable[["AwsContext", Lab1], list[str]]
STEPS: dict[str, Step] = {
    "01": build_lab1,
    "02": build_lab1_peering,
    "04": build_lab2,
    "05": build_lab3,
}
# How to take a notebook's own changes back, so that it can run again from its start.
UNDO: dict[str, Undo] = {}


def undoes(notebook: str) -> Callable[[Undo], Undo]:
    """Register how to undo what ``notebook`` makes (it must be a known step)."""

    def register(undo: Undo) -> Undo:
        if notebook not in STEPS:
            raise ConfigError(f"undo for {notebook!r}: known steps are {', '.join(STEPS)}")
        UNDO[notebook] = undo
        return undo

    return register


@undoes("02")
def remove_lab1_peering(lab: AwsContext, plan: Lab1) -> list[str]:
    """Undo notebook 02: its peering connection and the routes through it."""
    return plan.undo_peering(lab)


undoes("04")(undo_lab2)  # keys, ~/.aws, the uploaded object, the instance's role
undoes("05")(undo_lab3)  # the bucket policy, then VPC 1's S3 endpoint


def _inventory(lab: AwsContext) -> dict[tuple[str, str], str]:
    """The lab's tagged resources: (kind, id) → name."""
    return {(d.kind, d.resource_id): d.name for d in teardown.plan(lab)}


def _build(lab: AwsContext, key: str, plan: Lab1) -> list[str]:
    """Run notebook ``key``'s builder; one line per resource it had to make.

    The lab is listed (about 25 calls) just before the builder's first call that may change
    something, and again after it; a builder that only finds what it needs lists nothing.
    """
    before: dict[tuple[str, str], str] | None = None

    def snapshot() -> None:
        nonlocal before
        before = _inventory(lab)

    with lab.before_first_change(snapshot):
        extra = STEPS[key](lab, plan) or []
    if before is None:
        return extra
    made = [
        f"{kind} {name or rid} ({rid})" if name and name != rid else f"{kind} {rid}"
        for (kind, rid), name in _inventory(lab).items()
        if (kind, rid) not in before
    ]
    return made + extra


def ensure_upto(lab: AwsContext, notebook: str) -> list[str]:
    """Put the lab in the state ``notebook`` leaves it in (where the next one starts).

    Builds what is missing of the notebooks up to ``notebook``, and removes what the later
    notebooks make (left by previous runs of them), the latest first. Returns one line per
    change, saying which notebook the resource belongs to; empty when the lab was in that
    state already.
    """
    if notebook == "00":
        return []
    if notebook not in STEPS:
        raise ConfigError(f"ensure={notebook!r}: known steps are {', '.join(STEPS)}")
    plan = Lab1.from_lab(lab)
    changes: list[str] = []
    keys = list(STEPS)
    for key in keys[: keys.index(notebook) + 1]:
        changes += [f"built {what}, which notebook {key} makes" for what in _build(lab, key, plan)]
    # Every later notebook's changes go, the latest first: a later one's can stand in the
    # way of undoing an earlier one's (Lab 3's bucket policy denies listing Lab 2's bucket,
    # and its endpoint takes Instance 1's S3 traffic off the internet that Lab 2 expects).
    for key in reversed(keys[keys.index(notebook) + 1 :]):
        if key in UNDO:
            changes += [
                f"removed {what}, which a previous run of notebook {key} made"
                for what in UNDO[key](lab, plan)
            ]
    return changes
