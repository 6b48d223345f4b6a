"""What reach answers: a Verdict (the public shape) and a Trace (the details traffic needs)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from labkit.netsim.endpoints import Endpoint


class Stage(StrEnum):
    """The stages a reach query walks, in order (see :mod:`labkit.netsim.reach`)."""

    SOURCE = "source"
    SOURCE_SG = "source-sg"
    SOURCE_ACL = "source-acl"
    FORWARD_ROUTE = "forward-route"
    DESTINATION = "destination"
    DESTINATION_ACL = "destination-acl"
    DESTINATION_SG = "destination-sg"
    REPLY_ACL = "reply-acl"
    RETURN_ROUTE = "return-route"
    SOURCE_REPLY_ACL = "source-reply-acl"

    def passed(self, failed: Stage | str | None) -> bool:
        """True if a walk that failed at ``failed`` (None: it did not fail) got past this stage."""
        order = list(Stage)
        return failed is None or order.index(Stage(failed)) > order.index(self)


STAGES: tuple[Stage, ...] = tuple(Stage)
REPLY_ACL_STAGES = frozenset({Stage.REPLY_ACL, Stage.SOURCE_REPLY_ACL})


@dataclass(frozen=True)
class Delivered:
    """Where a request arrived: the destination, how (an arrival kind), the source it saw."""

    destination: Endpoint | None
    kind: str  # local | peering | internet-gateway | internet | endpoint
    seen_source: str  # the source's address as the destination sees it


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
    failed_stage: Stage | None
    source: Endpoint
    destination: Endpoint | None
    protocol: int
    port: int
    src_port: int
    seen_source: str  # the source's address as the destination sees it
    address: str  # the address the source sent to (a public IP stays public here)
    forward_kind: str | None  # local | peering | internet-gateway | internet | endpoint
