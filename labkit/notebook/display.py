"""Display values for notebook kernels: indented JSON and reachability reports.

Tables are :class:`labkit.tables.Table`, shared with the CLI and the AWS helpers.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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


NOWRAP = "white-space:nowrap;word-break:keep-all"  # an id on one line, never broken mid-id


@dataclass(frozen=True)
class ReachReport:
    """A reachability verdict shown for a learner: the answer, the blocker, and the path.

    Each hop shows as a row (kind, name, id), one per line, with the blocking hop marked;
    ``hops`` maps a hop's id to its :class:`labkit.netsim.names.HopName`.
    """

    source: str
    destination: str
    protocol: str
    verdict: Any  # labkit.netsim.reach.Verdict
    hops: Mapping[str, Any] = field(default_factory=dict)  # id → HopName

    @property
    def headline(self) -> str:
        """One line: who, to where, and the answer."""
        answer = "reachable" if self.verdict.reachable else "NOT reachable"
        return f"{self.source} → {self.destination} ({self.protocol}): {answer}"

    def _rows(self, path: Sequence[str]) -> list[tuple[str, str, str, str]]:
        blocker = self.verdict.blocked_by
        rows = []
        for hop in path:
            named = self.hops.get(hop)
            kind, name = (named.kind, named.name) if named else ("", hop)
            mark = (
                f"✗ blocked here ({blocker.code})" if blocker and blocker.component == hop else ""
            )
            rows.append((kind, name, hop, mark))
        return rows

    def _paths(self) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
        found = [("forward", self._rows(self.verdict.forward))]
        if self.verdict.return_path:
            found.append(("return", self._rows(self.verdict.return_path)))
        return found

    def __repr__(self) -> str:
        lines = [self.headline, self.verdict.explanation]
        blocker = self.verdict.blocked_by
        if blocker is not None:
            named = self.hops.get(blocker.component)
            who = f"{named.name} ({blocker.component})" if named else blocker.component
            lines.append(f"blocked by: {who}, {blocker.code}")
        for label, rows in self._paths():
            widths = [max((len(r[i]) for r in rows), default=0) for i in range(3)]
            lines.append(f"{label}:")
            lines += [
                f"  {n:>2}  "
                + "  ".join(v.ljust(w) for v, w in zip(row[:3], widths, strict=True))
                + (f"  {row[3]}" if row[3] else "")
                for n, row in enumerate(rows, 1)
            ]
        return "\n".join(line.rstrip() for line in lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        color = "#2e7d32" if self.verdict.reachable else "#c62828"
        parts = [
            f"<div style='font-weight:bold;color:{color}'>{html.escape(self.headline)}</div>",
            f"<div style='margin:.2em 0 .4em'>{html.escape(self.verdict.explanation)}</div>",
        ]
        for label, rows in self._paths():
            body = "".join(
                "<tr"
                + (" style='background:#fdecea;color:#b71c1c;font-weight:bold'" if mark else "")
                + ">"
                + "".join(
                    f"<td style='text-align:left;white-space:nowrap'>{cell}</td>"
                    for cell in (
                        n,
                        html.escape(kind),
                        html.escape(name),
                        f"<code style='{NOWRAP}'>{html.escape(hop)}</code>",
                        html.escape(mark),
                    )
                )
                + "</tr>"
                for n, (kind, name, hop, mark) in enumerate(rows, 1)
            )
            parts.append(
                f"<div style='margin-top:.3em'>{label} path</div><table><thead><tr>"
                + "".join(
                    f"<th style='text-align:left'>{h}</th>" for h in ("#", "hop", "name", "id", "")
                )
                + "</tr></thead>"
                f"<tbody>{body}</tbody></table>"
            )
        return "<div class='labkit-reach'>" + "".join(parts) + "</div>"
