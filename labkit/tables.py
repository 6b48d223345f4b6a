"""``Table``: rows under named columns, shown as HTML in JupyterLab and as aligned text elsewhere.

It lives at the bottom of the package, below every layer, because both the AWS helpers
(teardown's summary) and the command line (``labkit query``) print tables, and neither may
import the notebook layer (``labkit.notebook``) above them. It depends on nothing but the
standard library.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
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
