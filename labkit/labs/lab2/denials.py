"""The emulator's last S3 denial, explained: who, what, from where, the deciding statements.

The emulator keeps its recent S3 authorization decisions; this reads them through the
emulator client (a signed ``labkit`` hook) and shows the newest denial readably.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labkit.emulator.client import last_decisions
from labkit.errors import LabkitError

if TYPE_CHECKING:
    from labkit.aws.context import AwsContext


@dataclass(frozen=True)
class Denial:
    """The emulator's last S3 denial: who, what, from where, and the deciding statements."""

    operation: str
    principal: str
    action: str
    resource: str
    source: str
    path: str
    path_explanation: str
    decision: str
    statements: tuple[str, ...]
    reason: str

    def __repr__(self) -> str:
        deciding = "; ".join(self.statements) or "none: no statement allows the action"
        return (
            f"AccessDenied: {self.operation} ({self.action}) on {self.resource}\n"
            f"who:       {self.principal}\n"
            f"from:      {self.source}\n"
            f"path:      {self.path_explanation}\n"
            f"decision:  {self.decision.replace('_', ' ')}. {self.reason}\n"
            f"deciding:  {deciding}"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def _statement_text(match: dict[str, Any]) -> str:
    sid = f"Sid {match['sid']!r}" if match.get("sid") else "no Sid"
    return f"{match['effect']} in {match['policy']} (statement {match['index']}, {sid})"


def explain_last_denial(lab: AwsContext) -> Denial:
    """The emulator's most recent S3 denial, explained (local backend only)."""
    if not lab.endpoint_url:
        raise LabkitError(
            "explain_last_denial reads the emulator's decisions; on AWS, evaluate the "
            "policies with `labkit policy eval` or read the message of the AccessDenied"
        )
    found = last_decisions(lab.endpoint_url, lab.session.get_credentials(), lab.region)
    denials = [d for d in found if d["decision"]["decision"] != "allow"]
    if not denials:
        raise LabkitError("no S3 request has been denied yet: run a command that fails first")
    last = denials[-1]
    return Denial(
        operation=last["operation"],
        principal=last["principal"],
        action=last["action"],
        resource=last["resource"],
        source=last["source"],
        path=last["path"],
        path_explanation=last["path_explanation"],
        decision=last["decision"]["decision"],
        statements=tuple(_statement_text(m) for m in last["decision"]["matched"]),
        reason=last["decision"]["reason"],
    )
