"""Pictures for the notebooks; every function takes ``ax=None`` and returns the Axes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from labkit.plots.topology import draw_topology

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from labkit.lab import Lab

__all__ = ["draw_topology", "topology"]


def topology(lab: Lab, ax: Axes | None = None) -> Axes:
    """Draw the lab's network (its tagged VPCs) as the backend reports it now."""
    return draw_topology(lab.topology(), ax=ax, vpc_ids=lab.vpc_ids())
