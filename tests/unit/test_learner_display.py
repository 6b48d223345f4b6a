"""What a learner reads in a cell output: builders' results, reach's hops, the panels' chart."""

from __future__ import annotations

import io
import os

import matplotlib

matplotlib.use("Agg")

from labkit import launch  # noqa: E402
from labkit.aws.compute import LabInstance as Instance  # noqa: E402
from labkit.aws.network import Network  # noqa: E402
from labkit.aws.peering import Peering  # noqa: E402
from labkit.netsim.names import hop_names  # noqa: E402
from labkit.netsim.reach import reach  # noqa: E402
from labkit.netsim.topologies import two_vpcs  # noqa: E402
from labkit.notebook.display import ReachReport  # noqa: E402
from labkit.plots.traffic import chart_png  # noqa: E402


def test_builders_results_show_one_field_per_line_not_a_dataclass_repr() -> None:
    inst = Instance(
        "Instance 2", "i-0abc", "10.2.0.10", "54.2.0.10", "subnet-2", "vpc-2", "running"
    )
    net = Network(
        "VPC 1", "vpc-1", "10.1.0.0/16", "subnet-1", "10.1.0.0/24", "igw-1", "rtb-1", "sg-1"
    )
    pcx = Peering("VPC 1 ↔ VPC 2", "pcx-1", "VPC 1", "VPC 2", "active")
    assert repr(inst).splitlines() == [
        "Instance 2 (i-0abc): running",
        "  private IP  10.2.0.10",
        "  public IP   54.2.0.10",
        "  subnet      subnet-2",
        "  VPC         vpc-2",
    ]
    assert repr(net).splitlines()[0] == "VPC 1 (vpc-1) 10.1.0.0/16"
    assert "  route table       rtb-1: 0.0.0.0/0 → igw-1" in repr(net).splitlines()
    assert repr(pcx).splitlines()[0] == "Peering VPC 1 ↔ VPC 2 (pcx-1): active"
    for shown in (inst, net, pcx):
        assert "(name=" not in repr(shown)
        page = shown._repr_html_()
        assert page.startswith("<div><b>") and "<table>" in page
    assert "<th style='text-align:left;padding-right:1em'>public IP</th>" in inst._repr_html_()
    # Still values: equal by fields, usable as dict keys.
    assert inst == Instance(*[getattr(inst, f) for f in inst.__dataclass_fields__])


def _report(peered: bool) -> ReachReport:
    topo, _ = two_vpcs(peered=peered)
    verdict = reach(topo, "Instance 1", "10.2.0.10", "icmp", None)
    named = hop_names(topo, verdict.forward + verdict.return_path)
    return ReachReport(
        "Instance 1", "10.2.0.10", "ICMP", verdict, {h.resource_id: h for h in named}
    )


def test_reach_lists_hops_by_name_one_per_line_and_marks_the_blocker() -> None:
    text = repr(_report(peered=False)).splitlines()
    assert text[0] == "Instance 1 → 10.2.0.10 (ICMP): NOT reachable"
    assert text[2] == "blocked by: route table of Public 1 (rtb-2), CANNOT_ROUTE"
    hops = text[text.index("forward:") + 1 :]
    assert [h.split()[0] for h in hops] == ["1", "2", "3", "4", "5"]
    assert "Instance 1's interface 10.1.0.10" in hops[1] and hops[1].rstrip().endswith("eni-1")
    assert [h for h in hops if "✗ blocked here (CANNOT_ROUTE)" in h] == [hops[4]]
    page = _report(peered=False)._repr_html_()
    assert page.count("background:#fdecea") == 1  # the blocking row, highlighted
    assert page.count("<tr>") + page.count("<tr style=") == page.count("</tr>")
    assert "route table of Public 1" in page and ">rtb-2</code>" in page


def test_reach_without_a_blocker_shows_both_paths_with_names() -> None:
    text = repr(_report(peered=True))
    assert "blocked" not in text
    assert "return:" in text and "peering connection  VPC 1 ↔ VPC 2" in text


def test_make_lab_listens_on_localhost_without_the_news_question(tmp_path) -> None:  # type: ignore[no-untyped-def]
    args = launch.lab_args(tmp_path, port=8899, token="t")
    assert "--ip=127.0.0.1" in args and "--port=8899" in args
    assert ("--allow-root" in args) == (os.geteuid() == 0)
    config = launch.lab_config(tmp_path / "config")
    page = (config / "labconfig" / "page_config.json").read_text()
    assert launch.ANNOUNCEMENTS in page
    env = launch.lab_env(config, {"JUPYTER_CONFIG_PATH": "/elsewhere"})
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [str(config), "/elsewhere"]


class _Rows:
    columns = ("srcAddr", "bytes")
    rows = ({"srcAddr": "10.1.0.10", "bytes": 5000}, {"srcAddr": "10.2.0.10", "bytes": 900})


def test_the_query_panels_chart_is_a_complete_png() -> None:
    from PIL import Image

    png = chart_png(_Rows())
    assert png is not None and png.startswith(b"\x89PNG")
    image = Image.open(io.BytesIO(png))
    assert image.size[0] > 500 and image.size[1] > 250

    class Empty:
        columns = ("srcAddr",)
        rows = ({"srcAddr": "10.1.0.10"},)

    assert chart_png(Empty()) is None
