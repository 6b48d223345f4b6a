"""Pictures for the notebooks; every function takes ``ax=None`` and returns the Axes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from labkit.errors import ConfigError
from labkit.netsim.s3path import s3_path as decide_path
from labkit.plots.s3 import draw_s3_path
from labkit.plots.topology import draw_topology
from labkit.plots.traffic import actions_over_time, auto_chart, top_talkers

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from labkit.lab import Lab
    from labkit.plots.traffic import Rows

__all__ = [
    "actions_over_time",
    "auto_chart",
    "draw_s3_path",
    "s3_path",
    "draw_topology",
    "endpoint_path",
    "top_talkers",
    "topology",
    "traffic_on_topology",
]


def s3_path(lab: Lab, instance: str, bucket: str, ax: Axes | None = None) -> Axes:
    """Draw the lab's network with the bucket and the path the instance's S3 requests take."""
    from labkit.netsim.s3path import s3_path as path_of

    inst, topo = lab.instance(instance), lab.topology()
    path = path_of(topo, inst.instance_id, lab.region)
    return draw_s3_path(topo, inst.private_ip, bucket, path, lab.vpc_ids(), ax=ax)


def topology(lab: Lab, ax: Axes | None = None) -> Axes:
    """Draw the lab's network (its tagged VPCs) as the backend reports it now."""
    return draw_topology(lab.topology(), ax=ax, vpc_ids=lab.vpc_ids())


def traffic_on_topology(
    lab: Lab, result: Rows, value: str | None = None, ax: Axes | None = None
) -> Axes:
    """The lab's network with each (srcAddr, dstAddr) row of ``result`` drawn as a link.

    ``value`` is the bytes column (default: the first numeric one, e.g. bytesTransferred).
    """
    column = value or next((c for c in result.columns if c not in ("srcAddr", "dstAddr")), None)
    if column is None or not {"srcAddr", "dstAddr"} <= set(result.columns):
        raise ConfigError("traffic_on_topology needs srcAddr, dstAddr and a bytes column")
    traffic: dict[tuple[str, str], float] = {}
    for row in result.rows:
        key = (str(row["srcAddr"]), str(row["dstAddr"]))
        traffic[key] = traffic.get(key, 0.0) + float(row.get(column) or 0)
    ax = draw_topology(lab.topology(), ax=ax, vpc_ids=lab.vpc_ids(), traffic=traffic)
    ax.set_title(f"Traffic on the lab network ({column}; the internet is every other address)")
    return ax


def endpoint_path(lab: Lab, source: str = "Instance 1", ax: Axes | None = None) -> Axes:
    """The lab's network with S3, its gateway endpoints and the path ``source`` takes to S3."""
    topo = lab.topology()
    path = decide_path(topo, lab.instance(source).instance_id, lab.region)
    ax = draw_topology(topo, ax=ax, vpc_ids=lab.vpc_ids(), s3=path)
    how = {"endpoint": f"through {path.vpce_id}", "internet": "over the internet"}
    ax.set_title(f"{source} → S3: {how.get(path.kind, 'no path')}")
    return ax
