"""Lab 2's picture: the lab network, the S3 bucket beside the internet, and the path an
instance's S3 requests take (the red link), or a cross where there is none."""

from __future__ import annotations

import textwrap
from collections.abc import Collection

from matplotlib.axes import Axes
from matplotlib.patches import FancyBboxPatch

from labkit.netsim.model import Topology
from labkit.netsim.s3path import S3Path
from labkit.netsim.services import S3  # not an address: drawn at the internet
from labkit.plots.topology import draw_topology
from labkit.plots.traffic import human_bytes


def draw_s3_path(
    topo: Topology,
    instance_ip: str,
    bucket: str,
    path: S3Path,
    vpc_ids: Collection[str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw the topology, the bucket, and the instance's path to S3; returns the Axes."""
    traffic = {(instance_ip, S3): 1.0} if path.kind != "none" else None
    ax = draw_topology(topo, ax=ax, vpc_ids=vpc_ids, traffic=traffic)
    _, right = ax.get_xlim()
    _, top = ax.get_ylim()
    internet = ((right - 0.4) / 2, top - 0.7)
    x, y = internet[0] + 2.2, internet[1] - 0.4
    ax.add_patch(
        FancyBboxPatch(
            (x, y),
            2.6,
            0.8,
            boxstyle="round,pad=0.02,rounding_size=0.15",
            facecolor="#fdebd0",
            edgecolor="#ca6f1e",
            linewidth=1.4,
        )
    )
    ax.text(x + 1.3, y + 0.4, f"S3\n{bucket}", ha="center", va="center", fontsize=7.5)
    ax.annotate(
        "",
        xy=(x, y + 0.4),
        xytext=(internet[0] + 1.6, internet[1]),
        arrowprops={"arrowstyle": "<->", "color": "#ca6f1e", "lw": 1.4},
    )
    for label in list(ax.texts):  # the link's byte count: this link shows a path, not bytes
        if label.get_text() == human_bytes(1.0):
            label.remove()
    verdict = (
        "no path to S3"
        if path.kind == "none"
        else "S3 requests go over the internet"
        if path.kind == "internet"
        else "S3 requests go through a gateway endpoint"
    )
    ax.set_title(f"{verdict}\n{textwrap.fill(path.explanation, 110)}", fontsize=9)
    return ax
