"""Traffic charts from Logs Insights results: top talkers, actions over time, and a guess.

Each function takes a result with ``columns`` and ``rows`` (a list of dicts), such as
:class:`labkit.analysis.QueryResult`, plus ``ax=None``, and returns the Axes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import matplotlib.dates as mdates
from matplotlib.axes import Axes

ACTION_COLORS = {"ACCEPT": "#2e8b57", "REJECT": "#c0392b"}


class Rows(Protocol):
    """Anything with ordered column names and rows of dicts."""

    @property
    def columns(self) -> Sequence[str]: ...

    @property
    def rows(self) -> Sequence[Mapping[str, Any]]: ...


def _axes(ax: Axes | None, size: tuple[float, float] = (9, 4.5)) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size)[1]


def human_bytes(value: float) -> str:
    """Bytes for people: 840 B, 2.0 kB, 1.2 MB (powers of 1000, as AWS's consoles show)."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(value) < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def _numeric_columns(result: Rows) -> list[str]:
    return [
        c
        for c in result.columns
        if result.rows and all(isinstance(r.get(c), int | float) for r in result.rows)
    ]


def top_talkers(
    result: Rows,
    ax: Axes | None = None,
    value: str | None = None,
    names: Mapping[str, str] | None = None,
) -> Axes:
    """Horizontal bars: one per (srcAddr, dstAddr) row, longest first.

    ``value`` is the numeric column to draw (default: the first numeric one); ``names``
    maps addresses to labels such as "Instance 1".
    """
    ax = _axes(ax)
    numeric = _numeric_columns(result)
    column = value or (numeric[0] if numeric else None)
    if column is None:
        raise ValueError(f"no numeric column to draw among {', '.join(result.columns)}")
    names = names or {}
    rows = sorted(result.rows, key=lambda r: r.get(column) or 0)
    labels = [
        f"{names.get(str(r.get('srcAddr')), r.get('srcAddr'))} → "
        f"{names.get(str(r.get('dstAddr')), r.get('dstAddr'))}"
        for r in rows
    ]
    values = [float(r.get(column) or 0) for r in rows]
    bars = ax.barh(range(len(rows)), values, color="#3b6fd8")
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    for bar, v in zip(bars, values, strict=True):
        text = human_bytes(v) if "byte" in column.lower() else f"{v:,.0f}"
        ax.text(
            bar.get_width(),
            bar.get_y() + bar.get_height() / 2,
            f" {text}",
            va="center",
            fontsize=7.5,
        )
    ax.set_xlabel(column)
    ax.set_title(f"Top talkers by {column}")
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(x=0.15)
    return ax


def _time(value: Any) -> datetime:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, tz=UTC)
    parsed = datetime.fromisoformat(str(value).replace(" ", "T"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # Insights prints UTC


def actions_over_time(
    result: Rows, ax: Axes | None = None, time: str | None = None, value: str | None = None
) -> Axes:
    """Stacked bars per time bin, one colour per action (ACCEPT green, REJECT red).

    The result needs a time column (from ``bin(...)``), an ``action`` column and a count.
    """
    ax = _axes(ax)
    time = time or next(
        (c for c in result.columns if c not in ("action",) and c not in _numeric_columns(result)),
        result.columns[0],
    )
    value = value or next(c for c in _numeric_columns(result) if c != time)
    series: dict[str, dict[datetime, float]] = defaultdict(dict)
    for r in result.rows:
        series[str(r.get("action", "all"))][_time(r[time])] = float(r.get(value) or 0)
    bins = sorted({t for s in series.values() for t in s})
    if len(bins) > 1:
        width = min(b - a for a, b in zip(bins, bins[1:], strict=False)).total_seconds()
    else:
        width = 60.0
    bottom = [0.0] * len(bins)
    for action in sorted(series, key=lambda a: (a != "ACCEPT", a)):
        heights = [series[action].get(t, 0.0) for t in bins]
        ax.bar(
            mdates.date2num(bins),
            heights,
            width=width / 86400 * 0.85,
            bottom=bottom,
            label=action,
            color=ACTION_COLORS.get(action, "#888"),
        )
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax.set_ylabel(value)
    ax.set_title(f"{value} per {int(width)} s, by action")
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    ax.xaxis_date()
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    ax.set_xlabel("time (UTC)" if bins and bins[0].tzinfo else "time")
    return ax


def chart_png(result: Rows, dpi: int = 100) -> bytes | None:
    """The query panel's chart as PNG bytes (a Figure of its own, no pyplot), or None.

    A figure shown with ``plt.show()`` inside an ipywidgets Output reaches the browser
    through the inline backend's display hooks, and in JupyterLab it often arrives
    incomplete (a few bars, no axes) or lands in the log console. PNG bytes displayed as an
    image are complete every time.
    """
    import io

    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 4.5), dpi=dpi)
    if auto_chart(result, figure.add_subplot()) is None:
        return None
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def auto_chart(result: Rows, ax: Axes | None = None) -> Axes | None:
    """A chart that fits the result, or None if none does (used by the query panel)."""
    numeric = _numeric_columns(result)
    if not result.rows or not numeric:
        return None
    if "action" in result.columns and len(result.columns) >= 3:
        try:
            return actions_over_time(result, ax)
        except (ValueError, StopIteration):
            pass
    if {"srcAddr", "dstAddr"} <= set(result.columns) and len(result.rows) <= 40:
        return top_talkers(result, ax)
    # The bars' labels: the first non-numeric column, else the first column (a port, say).
    label = next((c for c in result.columns if c not in numeric), result.columns[0])
    values = [c for c in numeric if c != label]
    if not values or len(result.rows) > 40:
        return None
    ax = _axes(ax)
    rows = list(result.rows)
    ax.barh(
        [str(r.get(label)) for r in rows][::-1],
        [float(r[values[0]]) for r in rows][::-1],
        color="#3b6fd8",
    )
    ax.set_xlabel(values[0])
    ax.set_ylabel(label)
    ax.set_title(f"{values[0]} by {label}")
    ax.spines[["top", "right"]].set_visible(False)
    return ax
