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
ENDPOINT_W, ENDPOINT_H = 1.7, 0.7


@dataclass(frozen=True)
class Frame:
    """Where the topology drawing put things: VPC boxes, gateways, instances, the internet."""

    vpc_boxes: Mapping[str, tuple[float, float, float, float]]  # vpc id -> x, y, w, h
    igws: Mapping[str, tuple[float, float]]  # igw id -> centre
    anchors: Mapping[str, tuple[float, float]]  # instance IP -> centre of its box
    internet: tuple[float, float]
    width: float


def s3_position(frame: Frame) -> tuple[float, float]:
    """S3's centre: right of the internet, clear of it."""
    x, y = frame.internet
    return (max(frame.width - 1.4, x + 4.2), y)


def draw_s3(ax: Axes, topo: Topology, frame: Frame, path: S3Path | None = None) -> float:
    """Draw S3, the endpoints of the drawn VPCs and ``path``; returns the rightmost x used."""
    s3 = s3_position(frame)
    ax.add_patch(Ellipse(s3, 2.4, 0.9, facecolor=S3_COLORS[0], edgecolor=S3_COLORS[1], lw=1.6))
    ax.text(*s3, "Amazon S3", ha="center", va="center", fontsize=11, weight="bold")
    ax.annotate(
        "", xy=(s3[0] - 1.2, s3[1]), xytext=(frame.internet[0] + 1.6, frame.internet[1]),
        arrowprops={"arrowstyle": "-", "color": "#999", "lw": 1.2, "ls": ":"},
    )  # fmt: skip
    ends: dict[str, tuple[float, float]] = {}
    for endpoint in topo.endpoints:
        box = frame.vpc_boxes.get(endpoint.vpc_id)
        if box is None or endpoint.state in ("deleted", "deleting"):
            continue
        x, y, w, h = box
        left, bottom = x + w - 3.8, y + h - 0.1
        ax.add_patch(
            FancyBboxPatch(
                (left, bottom), ENDPOINT_W, ENDPOINT_H, boxstyle="round,pad=0.02",
                facecolor=ENDPOINT_COLORS[0], edgecolor=ENDPOINT_COLORS[1], linewidth=1.4,
            )
        )  # fmt: skip
        centre = (left + ENDPOINT_W / 2, bottom + ENDPOINT_H / 2)
        ends[endpoint.id] = centre
        tables = len(endpoint.route_table_ids)
        label = f"S3 endpoint\n{endpoint.id}\n{tables} route table{'s' if tables != 1 else ''}"
        ax.text(*centre, label, ha="center", va="center", fontsize=6.5)
        ax.annotate(
            "", xy=(s3[0] - 0.6, s3[1] - 0.4), xytext=(centre[0], bottom + ENDPOINT_H),
            arrowprops={"arrowstyle": "-|>", "color": ENDPOINT_COLORS[1], "lw": 1.4, "ls": "--"},
        )  # fmt: skip
    if path is not None:
        _draw_path(ax, topo, frame, path, ends, s3)
    return s3[0] + 1.3


def _draw_path(
    ax: Axes,
    topo: Topology,
    frame: Frame,
    path: S3Path,
    ends: Mapping[str, tuple[float, float]],
    s3: tuple[float, float],
) -> None:
    """A thick line along the hops of the path (under the boxes, so their text stays legible)."""
    start = next(
        (frame.anchors[e.private_ip] for e in topo.interfaces
         if e.instance_id and e.instance_id in path.hops and e.private_ip in frame.anchors),
        None,
    )  # fmt: skip
    if start is None:
        return
    points = [start]
    for hop in path.hops:
        if hop in ends:
            points.append(ends[hop])
        elif hop in frame.igws:
            points += [frame.igws[hop], frame.internet]
    colour = PATH_COLORS[path.kind]
    if path.kind == "none":
        ax.text(start[0], start[1] - 0.8, "✗ no path to S3", ha="center", color=colour,
                fontsize=9, weight="bold")  # fmt: skip
        return
    points.append(s3)
    xs, ys = zip(*points, strict=True)
    ax.plot(xs, ys, color=colour, lw=5, alpha=0.45, zorder=0.6, solid_capstyle="round")
