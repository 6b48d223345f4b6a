"""What reach answers: a Verdict (the public shape) and a Trace (the details traffic needs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labkit.netsim.endpoints import Endpoint


@dataclass(frozen=True)
class Blocked:
    """The component that drops the traffic, and why (a code from :mod:`.codes`)."""

    component: str
    code: str


@dataclass(frozen=True)
class Verdict:
    """The answer to a reachability question, with hop-by-hop paths and one sentence."""

    reachable: bool
    forward: tuple[str, ...]
    return_path: tuple[str, ...]
    blocked_by: Blocked | None
    explanation: str

    def details(self) -> list[str]:
        """The explanation, the blocker and the hops, as lines a learner reads."""
        lines = [self.explanation]
        if self.blocked_by is not None:
            lines.append(f"blocked by: {self.blocked_by.component} ({self.blocked_by.code})")
        lines.append("forward: " + " → ".join(self.forward))
        if self.return_path:
            lines.append("return:  " + " → ".join(self.return_path))
        return lines

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``labkit reach --format json``."""
        blocked = None
        if self.blocked_by is not None:
            blocked = {"component": self.blocked_by.component, "code": self.blocked_by.code}
        return {
            "reachable": self.reachable,
            "forward": list(self.forward),
            "return": list(self.return_path),
            "blocked_by": blocked,
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class Trace:
    """Everything a query found: the verdict, the stage that failed, and the addresses used."""

    verdict: Verdict
    failed_stage: str | None
    source: Endpoint
    destination: Endpoint | None
    protocol: int
    port: int
    src_port: int
    seen_source: str  # the source's address as the destination sees it
    address: str  # the address the source sent to (a public IP stays public here)
    forward_kind: str | None  # local | peering | internet-gateway | internet | endpoint
