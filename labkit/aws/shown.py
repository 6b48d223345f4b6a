"""How the builders' results show as cell outputs: a titled card, as text and as HTML.

A builder's return value is often a cell's last expression (``plan.network(lab, 1)``), so
it is what the learner sees after each step. The dataclass default repr (``Network(name=
'VPC 1', vpc_id='vpc-…', …)``) runs off the screen; a card shows one field per line.
The classes keep ``@dataclass(repr=False)`` so these methods are used.
"""

from __future__ import annotations

import html
from typing import Any


class Card:
    """Mixin: ``_card()`` gives a title and (label, value) rows; text and HTML reprs follow."""

    def _card(self) -> tuple[str, list[tuple[str, Any]]]:
        raise NotImplementedError

    def __repr__(self) -> str:
        title, rows = self._card()
        shown = [(label, value) for label, value in rows if value not in (None, "")]
        width = max((len(label) for label, _ in shown), default=0)
        return "\n".join([title, *(f"  {label.ljust(width)}  {value}" for label, value in shown)])

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        title, rows = self._card()
        body = "".join(
            f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(label)}</th>"
            f"<td style='text-align:left'><code>{html.escape(str(value))}</code></td></tr>"
            for label, value in rows
            if value not in (None, "")
        )
        return f"<div><b>{html.escape(title)}</b><table>{body}</table></div>"
