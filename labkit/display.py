"""Small display values for notebooks: a table that renders as HTML and as plain text."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Table:
    """Rows under named columns; shown as an HTML table in JupyterLab, aligned text elsewhere."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    missing: str = ""  # how a missing value (None) is written

    @classmethod
    def of(cls, columns: Sequence[str], rows: Sequence[Sequence[Any]], missing: str = "") -> Table:
        """A table from any sequences."""
        return cls(tuple(columns), tuple(tuple(r) for r in rows), missing)

    def __repr__(self) -> str:
        """Aligned text: numbers to the right, everything else to the left."""
        cells = [list(self.columns)] + [
            [self.missing if v is None else str(v) for v in r] for r in self.rows
        ]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.columns))]
        lines = [
            "  ".join(
                text.rjust(w)
                if i > 0 and isinstance(self.rows[i - 1][k], int | float)
                else text.ljust(w)
                for k, (text, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
            for i, row in enumerate(cells)
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='text-align:left'>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>"
            + "".join(
                "<td style='text-align:left'>"
                + html.escape(self.missing if v is None else str(v))
                + "</td>"
                for v in row
            )
            + "</tr>"
            for row in self.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


@dataclass(frozen=True)
class Json:
    """A JSON document shown indented (policies, trust policies)."""

    document: Any

    def __repr__(self) -> str:
        import json

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
