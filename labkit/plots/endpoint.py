"""S3 on the topology diagram: the S3 service, the gateway endpoints, and the path taken.

Drawn by :func:`labkit.plots.topology.draw_topology` when it is given a path to S3. S3
sits beside the internet (a public service, outside every VPC); each gateway endpoint sits
on its VPC's top edge, beside the internet gateway, linked to S3; the path is a thick line
from the instance through the gateway the route table chose (endpoint, or internet gateway
and internet) to S3.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.patches import Ellipse, FancyBboxPatch

from labkit.netsim.model import Topology
from labkit.netsim.s3path import S3Path

S3_COLORS = ("#fff3e6", "#d2691e")
ENDPOINT_COLORS = ("#e3f6f5", "#16877f")
PATH_COLORS = {"endpoint": "#16877f", "internet": "#7b46c9", "none": "#c0392b"}
# The endpoint sits on its VPC's top edge at the left, clear of the internet gateway (at
# the right) and above the VPC's name; its id is in the route table's text.
ENDPOINT_X, ENDPOINT_W, ENDPOINT_H, ENDPOINT_DROP = 0.2, 2.0, 1.0, 0.15
S3_W, S3_H, S3_GAP = 3.0, 0.9, 4.6  # S3's ellipse, and how far right of the internet


@dataclass(frozen=True)
class Frame:
    """Where the topology drawing put things: VPC boxes, gateways, instances, the internet."""

    vpc_boxes: Mapping[str, tuple[float, float, float, float]]  # vpc id -> x, y, w, h
    igws: Mapping[str, tuple[float, float]]  # igw id -> centre
    anchors: Mapping[str, tuple[float, float]]  # instance IP -> centre of its box
    internet: tuple[float, float]
    width: float
    fontsize: float  # the diagram's text size


def s3_position(frame: Frame) -> tuple[float, float]:
    """S3's centre: right of the internet, inside the drawing's width."""
    x, y = frame.internet
    return (min(x + S3_GAP, frame.width - S3_W / 2), y)


def draw_s3(ax: Axes, topo: Topology, frame: Frame, path: S3Path | None = None) -> None:
    """Draw S3, the gateway endpoints of the drawn VPCs, and ``path`` (if given)."""
    s3 = s3_position(frame)
    ax.add_patch(Ellipse(s3, S3_W, S3_H, facecolor=S3_COLORS[0], edgecolor=S3_COLORS[1], lw=1.6))
    ax.text(*s3, "Amazon S3", ha="center", va="center", fontsize=frame.fontsize, weight="bold")
    ends: dict[str, tuple[float, float]] = {}
    for endpoint in topo.endpoints:
        box = frame.vpc_boxes.get(endpoint.vpc_id)
        if box is None or endpoint.state in ("deleted", "deleting"):
            continue
        x, y, _, h = box
        left, bottom = x + ENDPOINT_X, y + h - ENDPOINT_DROP
        ax.add_patch(
            FancyBboxPatch(
                (left, bottom), ENDPOINT_W, ENDPOINT_H, boxstyle="round,pad=0.02",
                facecolor=ENDPOINT_COLORS[0], edgecolor=ENDPOINT_COLORS[1], linewidth=1.4,
            )
        )  # fmt: skip
        centre = (left + ENDPOINT_W / 2, bottom + ENDPOINT_H / 2)
        ends[endpoint.id] = centre
        ax.text(*centre, "S3\nendpoint", ha="center", va="center", fontsize=frame.fontsize)
        ax.annotate(
            "", xy=(s3[0] - S3_W / 2, s3[1]), xytext=(centre[0], bottom + ENDPOINT_H),
            arrowprops={"arrowstyle": "-|>", "color": ENDPOINT_COLORS[1], "lw": 1.4, "ls": "--"},
        )  # fmt: skip
    if path is not None:
        _draw_path(ax, topo, frame, path, ends, s3)


def _draw_path(
    ax: Axes,
    topo: Topology,
    frame: Frame,
    path: S3Path,
    ends: Mapping[str, tuple[float, float]],
    s3: tuple[float, float],
) -> None:
    """A thick line along the hops of the path, under the boxes so their text stays legible.

    No line when there is no path: the title says so.
    """
    start = next(
        (frame.anchors[e.private_ip] for e in topo.interfaces
         if e.instance_id and e.instance_id in path.hops and e.private_ip in frame.anchors),
        None,
    )  # fmt: skip
    if start is None or path.kind == "none":
        return
    points = [start]
    for hop in path.hops:
        if hop in ends:
            points.append(ends[hop])
        elif hop in frame.igws:
            points += [frame.igws[hop], frame.internet]
    points.append(s3)
    xs, ys = zip(*points, strict=True)
    ax.plot(xs, ys, color=PATH_COLORS[path.kind], lw=5, alpha=0.45, zorder=0.6,
            solid_capstyle="round")  # fmt: skip
