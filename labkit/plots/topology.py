"""The topology diagram: VPCs, subnets, instances, gateways, route tables and peerings.

It draws a :class:`labkit.netsim.model.Topology`, which notebooks build from the live
backend with ``describe_*`` calls, so the picture shows what exists, not what was meant.
Layout: one column per VPC, the internet above, subnets stacked inside their VPC with
their instances, each subnet's route table under it, peerings as links between VPCs.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.patches import Ellipse, FancyBboxPatch

from labkit.netsim.model import (
    ALL,
    PROTOCOL_NAMES,
    RouteTable,
    SecurityGroup,
    Subnet,
    Topology,
    Vpc,
)
from labkit.netsim.s3path import S3Path
from labkit.plots.endpoint import Frame, draw_s3
from labkit.plots.traffic import human_bytes

# Sizes are in data units, drawn at INCH_PER_UNIT: two VPCs make a figure about 780 px
# wide at 100 dpi, about the width of JupyterLab's output area on a laptop, so it is shown
# at (nearly) 100 % and every text is at least TEXT_PT, which is 14.6 px: no smaller than
# the notebook's body text (14 px).
COL_W, COL_GAP = 6.6, 1.9  # width of a VPC column and the gap between columns
SUBNET_H, TABLE_H, HEAD_H = 2.75, 1.75, 1.05  # heights inside a VPC
INCH_PER_UNIT = 0.5
Y_BOTTOM, Y_TOP, INTERNET_Y = -0.9, 3.1, 2.45  # below and above the VPCs' boxes
TEXT_PT = 10.5  # the smallest text in the diagram
BIG_PT = 12.0  # names of VPCs and the internet
COLORS = {
    "vpc": ("#f3f7ff", "#3b6fd8"),
    "subnet": ("#eaf7ea", "#3d9a3d"),
    "instance": ("#fff4e0", "#e08a00"),
    "igw": ("#f2e9ff", "#7b46c9"),
    "table": ("#ffffff", "#8a8a8a"),
    "internet": ("#f4f4f4", "#777777"),
}
LINK_COLORS = {"active": "#2e8b57", "pending-acceptance": "#d4a017"}


@dataclass(frozen=True)
class _Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def top(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h)

    @property
    def mid_left(self) -> tuple[float, float]:
        return (self.x, self.y + self.h / 2)

    @property
    def mid_right(self) -> tuple[float, float]:
        return (self.x + self.w, self.y + self.h / 2)


def _box(ax: Axes, box: _Box, kind: str, lw: float = 1.4) -> None:
    face, edge = COLORS[kind]
    ax.add_patch(
        FancyBboxPatch(
            (box.x, box.y),
            box.w,
            box.h,
            boxstyle="round,pad=0.02,rounding_size=0.15",
            facecolor=face,
            edgecolor=edge,
            linewidth=lw,
        )
    )


def _name(resource: Vpc | Subnet, fallback: str) -> str:
    return resource.name or fallback


def _target_label(target: str, names: Mapping[str, str]) -> str:
    return names.get(target, target)


def _routes_text(table: RouteTable | None, names: Mapping[str, str]) -> str:
    if table is None:
        return "no route table"
    head = f"route table{' (main)' if table.main else ''}\n{table.id}"
    lines = [
        f"{_target_label(r.destination, names)} → {_target_label(r.target, names)}"
        + (" (blackhole)" if r.state == "blackhole" else "")
        for r in table.routes
    ]
    return "\n".join([head, *lines[:5]] + ([f"… {len(lines) - 5} more"] if len(lines) > 5 else []))


def _route_lines(table: RouteTable | None) -> int:
    return 1 if table is None else 2 + min(len(table.routes), 6)


def draw_topology(
    topo: Topology,
    ax: Axes | None = None,
    title: str | None = None,
    vpc_ids: Collection[str] | None = None,
    traffic: Mapping[tuple[str, str], float] | None = None,
    s3: S3Path | None = None,
) -> Axes:
    """Draw the topology (only ``vpc_ids``, if given) on ``ax`` and return the Axes.

    ``traffic`` maps (source address, destination address) to bytes; each pair is drawn as
    a red link between the instances (or the internet) whose width grows with the bytes.
    With ``s3`` (a path to S3), S3 and the drawn VPCs' gateway endpoints are drawn too, and
    the path as a thick line along its hops.
    """
    import matplotlib.pyplot as plt

    shown = [v for v in topo.vpcs if vpc_ids is None or v.id in vpc_ids]
    vpcs = sorted(shown, key=lambda v: (v.name or "~", v.id))
    subnets = {
        v.id: sorted((s for s in topo.subnets if s.vpc_id == v.id), key=lambda s: s.cidr)
        for v in vpcs
    }
    # A route table box grows with its routes (a line each).
    table_h = {
        s.id: max(TABLE_H, 0.35 + 0.31 * _route_lines(topo.route_table_for(s.id)))
        for v in vpcs
        for s in subnets[v.id]
    }
    heights = {
        v.id: HEAD_H + sum(SUBNET_H + table_h[s.id] + 0.3 for s in subnets[v.id]) + 0.6
        for v in vpcs
    }
    vpc_h = max(heights.values(), default=3.0)
    width = max(1, len(vpcs)) * (COL_W + COL_GAP) - COL_GAP
    if ax is None:
        # The axes fill the figure (equal aspect), with room for the title on top.
        data_w, data_h, title_in = width + 0.8, vpc_h + Y_TOP - Y_BOTTOM, 0.45
        fig = plt.figure(figsize=(data_w * INCH_PER_UNIT, data_h * INCH_PER_UNIT + title_in))
        ax = fig.add_axes((0, 0, 1, data_h * INCH_PER_UNIT / fig.get_size_inches()[1]))
    names = {igw.id: "internet gateway" for igw in topo.internet_gateways}
    names |= {p.id: "peering" for p in topo.peerings}
    names["local"] = "local"
    names |= {e.id: "S3 endpoint" for e in topo.endpoints if e.service_name.endswith(".s3")}
    names |= {p.id: "S3 (prefix list)" for p in topo.prefix_lists if p.name.endswith(".s3")}
    igws: dict[str, tuple[float, float]] = {}

    internet = (width / 2, vpc_h + INTERNET_Y)
    ax.add_patch(
        Ellipse(
            internet,
            3.2,
            0.9,
            facecolor=COLORS["internet"][0],
            edgecolor=COLORS["internet"][1],
            linewidth=1.4,
        )
    )
    ax.text(*internet, "Internet", ha="center", va="center", fontsize=BIG_PT, weight="bold")

    vpc_boxes: dict[str, _Box] = {}
    anchors: dict[str, tuple[float, float]] = {}
    for col, vpc in enumerate(vpcs):
        x0 = col * (COL_W + COL_GAP)
        box = _Box(x0, 0, COL_W, vpc_h)
        vpc_boxes[vpc.id] = box
        _box(ax, box, "vpc", lw=2)
        ax.text(
            x0 + 0.2,
            vpc_h - 0.25,
            f"{_name(vpc, vpc.id)}  {', '.join(vpc.cidrs)}",
            ha="left",
            va="top",
            fontsize=BIG_PT,
            weight="bold",
            color=COLORS["vpc"][1],
        )
        ax.text(x0 + 0.2, vpc_h - 0.62, vpc.id, ha="left", va="top", fontsize=TEXT_PT, color="#555")
        igw = topo.igw_for(vpc.id)
        if igw is not None:
            # On the VPC's top edge, at the right, above the VPC's name and id.
            gbox = _Box(x0 + COL_W - 4.2, vpc_h - 0.15, 4.0, 1.0)
            _box(ax, gbox, "igw")
            ax.text(*_center(gbox), f"IGW\n{igw.id}", ha="center", va="center", fontsize=TEXT_PT)
            igws[igw.id] = _center(gbox)
            ax.annotate(
                "",
                xy=(internet[0], internet[1] - 0.45),
                xytext=gbox.top,
                arrowprops={"arrowstyle": "<->", "color": COLORS["igw"][1], "lw": 1.4},
            )
        logs = [f for f in topo.flow_logs if f.resource_id == vpc.id]
        for i, fl in enumerate(logs):
            where = fl.log_group or fl.destination_arn or "?"
            ax.text(
                x0 + COL_W - 0.2,
                0.12 + 0.36 * i,
                f"flow log ({fl.traffic_type}) → {where}",
                ha="right",
                va="bottom",
                fontsize=TEXT_PT,
                color="#b03a2e",
                style="italic",
            )
        y = vpc_h - HEAD_H
        for subnet in subnets[vpc.id]:
            y -= SUBNET_H
            _draw_subnet(ax, topo, subnet, _Box(x0 + 0.25, y, COL_W - 0.5, SUBNET_H), anchors)
            y -= table_h[subnet.id] + 0.05
            tbox = _Box(x0 + 0.25, y, COL_W - 0.5, table_h[subnet.id])
            _box(ax, tbox, "table", lw=1)
            ax.text(
                tbox.x + 0.12,
                tbox.y + tbox.h - 0.1,
                _routes_text(topo.route_table_for(subnet.id), names),
                ha="left",
                va="top",
                fontsize=TEXT_PT,
            )
            y -= 0.25

    for peering in topo.peerings:
        a, b = vpc_boxes.get(peering.requester_vpc_id), vpc_boxes.get(peering.accepter_vpc_id)
        if a is None or b is None or peering.status in ("deleted", "rejected", "failed"):
            continue
        left, right = (a, b) if a.x < b.x else (b, a)
        color = LINK_COLORS.get(peering.status, "#999")
        y_link = vpc_h * 0.55
        ax.annotate(
            "",
            xy=(right.x, y_link),
            xytext=(left.x + left.w, y_link),
            arrowprops={
                "arrowstyle": "<->",
                "color": color,
                "lw": 2.5,
                "connectionstyle": "arc3,rad=0.0",
            },
        )
        # "peering" in the gap, under the link; its id and state under the VPCs, where
        # there is room (the routes through it say "peering").
        middle = (left.x + left.w + right.x) / 2
        ax.text(
            middle, y_link - 0.2, "peering", ha="center", va="top", fontsize=TEXT_PT, color=color
        )
        ax.text(
            middle,
            -0.2,
            f"peering {peering.id} ({peering.status})",
            ha="center",
            va="top",
            fontsize=TEXT_PT,
            color=color,
        )

    if traffic:
        _draw_traffic(ax, traffic, anchors, (internet[0], internet[1] - 0.45), vpc_h)

    if s3 is not None:
        boxes = {k: (b.x, b.y, b.w, b.h) for k, b in vpc_boxes.items()}
        draw_s3(ax, topo, Frame(boxes, igws, anchors, internet, width, TEXT_PT), s3)
    ax.set_xlim(-0.4, width + 0.4)
    ax.set_ylim(Y_BOTTOM, vpc_h + Y_TOP)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title or f"Lab network in {topo.region}", fontsize=BIG_PT)
    return ax


def _draw_traffic(
    ax: Axes,
    traffic: Mapping[tuple[str, str], float],
    anchors: Mapping[str, tuple[float, float]],
    internet: tuple[float, float],
    vpc_top: float,
) -> None:
    """Links between the ends of each conversation, width by bytes (both directions summed).

    A link's label sits where no box is: for a link to the internet, in the band between
    the VPCs' top edge (and the gateways on it) and the internet; for a link between two
    instances, in the gap between their VPCs.
    """
    links: dict[tuple[tuple[float, float], tuple[float, float]], float] = {}
    for (src, dst), size in traffic.items():
        a, b = anchors.get(src), anchors.get(dst)
        if a is None and b is None:
            continue
        # The internet end of a link is on the internet's edge above the instance's side,
        # so links (and their labels) from different VPCs stay apart.
        a = a or _internet_end(internet, b)  # type: ignore[arg-type]
        b = b or _internet_end(internet, a)
        if a == b:
            continue
        key = (a, b) if a <= b else (b, a)
        links[key] = links.get(key, 0.0) + float(size)
    if not links:
        return
    biggest = max(links.values())
    for (a, b), size in sorted(links.items(), key=lambda kv: kv[1]):
        width = 1.5 + 10.0 * size / biggest
        # Under the boxes (zorder 0.5 < 1), so a link shows between them, not over their text.
        ax.annotate(
            "",
            xy=b,
            xytext=a,
            zorder=0.5,
            arrowprops={
                "arrowstyle": "-",
                "color": "#c0392b",
                "lw": width,
                "alpha": 0.6,
                "connectionstyle": "arc3,rad=0.12",
            },
        )
        ax.text(
            *_label_at(a, b, internet, vpc_top),
            human_bytes(size),
            ha="center",
            va="center",
            fontsize=TEXT_PT,
            color="#922b21",
            zorder=5,
            weight="bold",
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#c0392b", "alpha": 0.9},
        )


def _internet_end(
    internet: tuple[float, float], inside: tuple[float, float]
) -> tuple[float, float]:
    offset = max(-1.3, min(1.3, inside[0] - internet[0]))
    return (internet[0] + offset, internet[1] + 0.45 * (1 - (offset / 1.6) ** 2) ** 0.5 - 0.45)


def _label_at(
    a: tuple[float, float],
    b: tuple[float, float],
    internet: tuple[float, float],
    vpc_top: float,
) -> tuple[float, float]:
    """Where a traffic label goes on the link a–b (see :func:`_draw_traffic`)."""
    if max(a[1], b[1]) > vpc_top:  # one end is the internet
        inside, outside = (a, b) if a[1] < b[1] else (b, a)
        y = vpc_top + 1.3  # just above the gateways, below the internet
        share = (y - inside[1]) / (outside[1] - inside[1])
        return (inside[0] + share * (outside[0] - inside[0]), y)
    return ((a[0] + b[0]) / 2, max(a[1], b[1]) + 0.45)


def _inbound(group: SecurityGroup) -> str:
    """A short summary of a security group's inbound rules, e.g. "ICMP, TCP 22"."""
    parts = []
    for rule in group.ingress:
        name = PROTOCOL_NAMES.get(rule.protocol, str(rule.protocol))
        ports = (
            ""
            if rule.protocol in (1, ALL) or rule.from_port == ALL
            else (
                f" {rule.from_port}"
                if rule.from_port == rule.to_port
                else f" {rule.from_port}-{rule.to_port}"
            )
        )
        parts.append(name + ports)
    return ", ".join(parts) or "nothing"


def _center(box: _Box) -> tuple[float, float]:
    return (box.x + box.w / 2, box.y + box.h / 2)


def _draw_subnet(
    ax: Axes, topo: Topology, subnet: Subnet, box: _Box, anchors: dict[str, tuple[float, float]]
) -> None:
    _box(ax, box, "subnet")
    public = any(
        r.destination == "0.0.0.0/0" and r.target.startswith("igw-")
        for r in (topo.route_table_for(subnet.id) or RouteTable("", "", ())).routes
    )
    kind = "public subnet" if public else "private subnet"
    ax.text(
        box.x + 0.12,
        box.y + box.h - 0.1,
        f"{subnet.name or kind}  {subnet.cidr}",
        ha="left",
        va="top",
        fontsize=TEXT_PT,
        weight="bold",
        color=COLORS["subnet"][1],
    )
    enis = [e for e in topo.interfaces if e.subnet_id == subnet.id and e.instance_id]
    slot_w = (box.w - 0.3) / max(1, len(enis))
    for i, eni in enumerate(enis):
        inst = topo.instance_of(eni)
        ibox = _Box(box.x + 0.15 + i * slot_w, box.y + 0.15, slot_w - 0.15, box.h - 0.7)
        _box(ax, ibox, "instance")
        for address in (eni.private_ip, eni.public_ip):
            if address:
                anchors[address] = _center(ibox)
        label = inst.name if inst and inst.name else eni.instance_id
        state = "" if inst is None or inst.state == "running" else f" ({inst.state})"
        lines = [
            f"{label}{state}",
            f"private {eni.private_ip}",
            f"public {eni.public_ip}" if eni.public_ip else "no public IP",
        ]
        groups = [topo.get(g) for g in eni.security_group_ids]
        lines += [f"SG {g.name}: in {_inbound(g)}" for g in groups if g is not None]
        ax.text(*_center(ibox), "\n".join(lines), ha="center", va="center", fontsize=TEXT_PT)
