"""The pictures show what a learner needs to read off them (texts, order, widths, colours)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from labkit.netsim.topologies import two_vpcs  # noqa: E402
from labkit.plots import actions_over_time, auto_chart, draw_topology, top_talkers  # noqa: E402


@dataclass
class Result:
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]


def texts(ax: Any) -> str:
    return "\n".join(t.get_text() for t in ax.texts)


@pytest.fixture(autouse=True)
def _close() -> Any:
    yield
    plt.close("all")


def test_topology_shows_vpcs_instances_routes_and_peering() -> None:
    topo, ids = two_vpcs(peered=True)
    ax = draw_topology(topo)
    shown = texts(ax)
    for cidr in ("10.1.0.0/16", "10.2.0.0/16", "10.1.0.0/24"):
        assert cidr in shown
    for vpc in topo.vpcs:
        assert vpc.id in shown
    for eni in topo.interfaces:
        assert f"private {eni.private_ip}" in shown
    peering = topo.peerings[0]
    assert f"peering {peering.id} (active)" in shown
    assert "10.2.0.0/16 → peering" in shown
    assert "0.0.0.0/0 → internet gateway" in shown
    assert "flow log (ALL)" in shown


def test_topology_can_leave_out_other_vpcs() -> None:
    topo, _ = two_vpcs()
    keep = topo.vpcs[0]
    shown = texts(draw_topology(topo, vpc_ids=[keep.id]))
    assert keep.id in shown and topo.vpcs[1].id not in shown


def test_traffic_links_grow_with_bytes() -> None:
    topo, _ = two_vpcs(peered=True)
    a, b = (eni.private_ip for eni in topo.interfaces[:2])
    ax = draw_topology(topo, traffic={(a, b): 1000, (b, a): 1000, (a, "8.8.8.8"): 500_000})
    shown = texts(ax)
    assert "2.0 kB" in shown and "500.0 kB" in shown  # both directions of a↔b summed
    widths = sorted(
        p.arrow_patch.get_linewidth()
        for p in ax.texts
        if hasattr(p, "arrow_patch")
        and p.arrow_patch is not None
        and p.arrow_patch.get_edgecolor()[0] > 0.7
    )
    assert widths[-1] > 5 * widths[0], "the busiest link must be drawn much wider"


def test_top_talkers_puts_the_biggest_on_top_with_names() -> None:
    result = Result(
        ("srcAddr", "dstAddr", "bytesTransferred"),
        [
            {"srcAddr": "10.1.0.10", "dstAddr": "10.2.0.10", "bytesTransferred": 5000},
            {"srcAddr": "1.2.3.4", "dstAddr": "10.1.0.10", "bytesTransferred": 20},
        ],
    )
    ax = top_talkers(result, names={"10.1.0.10": "Instance 1"})
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "Instance 1 → 10.2.0.10", "the top bar is the biggest talker"
    assert labels[0] == "1.2.3.4 → Instance 1"
    assert [bar.get_width() for bar in ax.patches] == [20, 5000]
    assert "5.0 kB" in texts(ax)


def test_actions_over_time_stacks_accept_and_reject_per_bin() -> None:
    result = Result(
        ("minute", "action", "flows"),
        [
            {"minute": "2026-11-28 03:17:00.000", "action": "ACCEPT", "flows": 6},
            {"minute": "2026-11-28 03:17:00.000", "action": "REJECT", "flows": 2},
            {"minute": "2026-11-28 03:18:00.000", "action": "REJECT", "flows": 7},
        ],
    )
    ax = actions_over_time(result)
    bars = ax.patches
    assert len(bars) == 4  # 2 bins × 2 actions, a zero-height bar where an action is absent
    heights = sorted((round(b.get_x(), 6), b.get_y(), b.get_height()) for b in bars)
    assert [h[1:] for h in heights] == [(0, 6), (6, 2), (0, 0), (0, 7)]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["ACCEPT", "REJECT"]


def test_auto_chart_picks_a_chart_or_none() -> None:
    ports = Result(
        ("dstPort", "attempts"), [{"dstPort": 3389, "attempts": 5}, {"dstPort": 22, "attempts": 2}]
    )
    ax = auto_chart(ports)
    assert ax is not None and ax.get_title() == "attempts by dstPort"
    assert auto_chart(Result(("action",), [{"action": "ACCEPT"}])) is None
    assert auto_chart(Result(("n",), [])) is None
