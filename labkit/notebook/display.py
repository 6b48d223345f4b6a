"""Display values for notebook kernels: indented JSON and reachability reports.

Tables are :class:`labkit.tables.Table`, shared with the CLI and the AWS helpers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Json:
    """A JSON document shown indented (policies, trust policies)."""

    document: Any

    def __repr__(self) -> str:
        return json.dumps(self.document, indent=2)


def show_json(document: Any) -> Json:
    """Show a JSON document (a policy, say) indented, in a notebook or a terminal."""
    return Json(document)


@dataclass(frozen=True)
class ReachReport:
    """A reachability verdict shown for a learner: the answer, the blocker, and the path."""

    source: str
    destination: str
    protocol: str
    verdict: Any  # labkit.netsim.reach.Verdict

    def __repr__(self) -> str:
        answer = "reachable" if self.verdict.reachable else "NOT reachable"
        head = f"{self.source} → {self.destination} ({self.protocol}): {answer}"
        return "\n".join([head, *self.verdict.details()])

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))
