"""The topology picture with S3: the endpoint, S3, and the path the instance's request takes."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from labkit.netsim.s3path import s3_path  # noqa: E402
from labkit.netsim.topologies import lab1_builder  # noqa: E402
from labkit.plots import draw_topology  # noqa: E402
from labkit.plots.endpoint import PATH_COLORS  # noqa: E402
from labkit.plots.topology import TEXT_PT  # noqa: E402


@pytest.fixture(autouse=True)
def _close() -> Any:
    yield
    plt.close("all")


def texts(ax: Any) -> str:
    return "\n".join(t.get_text() for t in ax.texts)


def path_line(ax: Any) -> Any:
    lines = [line for line in ax.lines if line.get_linewidth() == 5]
    assert len(lines) == 1
    return lines[0]


def test_s3_only_when_a_path_is_asked_for() -> None:
    b, ids = lab1_builder(peered=False, flow_log=False)
    b.gateway_endpoint(ids["vpc1"], [])
    topo = b.build()
    assert "Amazon S3" not in texts(draw_topology(topo))  # Lab 1's pictures stay as they were
    ax = draw_topology(topo, s3=s3_path(topo, ids["instance1"], "us-east-1"))
    assert "Amazon S3" in texts(ax)
    line = path_line(ax)
    assert matplotlib.colors.to_hex(line.get_color()) == PATH_COLORS["internet"]
    # instance → internet gateway → internet → S3
    assert len(line.get_xdata()) == 4


def test_the_endpoint_its_route_and_the_path_through_it() -> None:
    b, ids = lab1_builder(peered=False, flow_log=False)
    vpce = b.gateway_endpoint(ids["vpc1"], [ids["rtb1"]])
    topo = b.build()
    ax = draw_topology(topo, s3=s3_path(topo, ids["instance1"], "us-east-1"))
    shown = texts(ax)
    assert "S3\nendpoint" in shown
    assert "S3 (prefix list) → S3 endpoint" in shown  # the endpoint's route, in the table
    assert vpce not in shown  # ids are in lab.route_table(); the picture stays legible
    line = path_line(ax)
    assert matplotlib.colors.to_hex(line.get_color()) == PATH_COLORS["endpoint"]
    assert len(line.get_xdata()) == 3  # instance → endpoint → S3
    assert min(t.get_fontsize() for t in ax.texts if t.get_text()) >= TEXT_PT  # legible
