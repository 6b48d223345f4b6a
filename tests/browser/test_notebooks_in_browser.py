"""Every notebook in JupyterLab in headless Chromium, as a learner runs it; then its widgets.

In order (99-teardown last), each notebook gets Run All, then Kernel → Restart Kernel and
Run All: both runs must show no error, every check line ok, and widgets as controls. After
its runs, the panels a notebook shows are clicked as a learner would. Screenshots of every
notebook and widget go to build/browser/, which build/report.html links.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from labpage import NotebookPage, cell_kinds, problems

from labkit import report

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(report.notebooks_in(REPO / "notebooks"), key=lambda p: (p.stem[:2] == "99", p))


def opened(page: Any, jupyter: Any, workspace: Path, name: str) -> NotebookPage:
    """The notebook's page, opened once and kept for its widget tests."""
    found = _OPEN.get(name)
    if found is None or found.page is not page:
        for previous in _OPEN.values():
            previous.close()
        _OPEN.clear()
        found = NotebookPage(page, jupyter, workspace / name).open()
        _OPEN[name] = found
    return found


_OPEN: dict[str, NotebookPage] = {}


CELLS = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell"


def cell_of(nb: NotebookPage, marker: str) -> Any:
    """The locator of the first cell whose source contains ``marker``."""
    index = next(i for i, c in enumerate(cell_kinds(nb.path)) if marker in c["source"])
    return nb.page.locator(CELLS).nth(index)


# ---------------------------------------------------------------- the panels, as a learner


def ping_panel(nb: NotebookPage, shots: Path) -> None:
    """Starts on Instance 1 → Instance 2's private IP; a reachable and a blocked pair."""
    cell = cell_of(nb, "ping_panel(")
    cell.scroll_into_view_if_needed()
    source, target = cell.locator("select").nth(0), cell.locator("select").nth(1)
    chosen = "s => s.options[s.selectedIndex].text.replace(/\\u00a0/g, ' ')"
    first = source.evaluate(chosen)
    assert first == source.evaluate("s => s.options[0].text.replace(/\\u00a0/g, ' ')")
    start = target.evaluate(chosen)
    # The first instance pings another one's private IP (Lab 1: Instance 2's).
    assert not start.startswith(first + " ") and " private " in start, (first, start)
    # Every label fits its drop-down (the longest option's text, measured in the select's font).
    for select in (source, target):
        widths = select.evaluate(FITS)
        assert widths["text"] + 20 <= widths["box"], (select.inner_text(), widths)
    output = cell.locator(".widget-output")
    cell.locator("button", has_text="ping").click()
    output.get_by_text("reachable").first.wait_for(timeout=30_000)
    shown = output.inner_text()
    assert "0% packet loss" in shown and "NOT reachable" not in shown, shown
    nb.page.screenshot(path=str(shots / f"{nb.path.stem}-ping-reachable.png"), full_page=True)
    nb.cell_screenshot(cell, shots / f"{nb.path.stem}-ping-reachable-panel.png")

    # Instance 2 → Instance 1's private IP, after the learner deleted VPC 2's route back
    # (the notebook's "Try it"): the request arrives, the reply has no route.
    _delete_route_back(nb)
    source.select_option(index=1)
    target.select_option(index=0)
    assert (source.evaluate(chosen), target.evaluate(chosen)) == (
        "Instance 2",
        "Instance 1 private 10.1.0.10",
    )
    cell.locator("button", has_text="ping").click()
    output.get_by_text("NOT reachable").first.wait_for(timeout=30_000)
    shown = output.inner_text()
    assert "100% packet loss" in shown and "blocked here" in shown, shown
    blocked = output.locator("tr", has_text="blocked here")
    assert blocked.count() == 1 and "route table" in blocked.inner_text(), shown
    nb.cell_screenshot(cell, shots / f"{nb.path.stem}-ping-blocked-panel.png")


def policy_panel(nb: NotebookPage, shots: Path) -> None:
    """The policy tester re-decides as the learner types; a broken policy is one line."""
    cell = cell_of(nb, "policy_tester(")
    cell.scroll_into_view_if_needed()
    decision = cell.locator(".widget-html-content").last
    # It starts on the notebook's policies, through the endpoint whose policy denies.
    decision.get_by_text("explicit_deny").first.wait_for(timeout=30_000)
    assert "NothingThroughThisEndpoint" in decision.inner_text(), decision.inner_text()
    area = cell.locator("textarea").first  # the bucket policy, the tab shown first
    policy = area.input_value()
    area.fill(policy.replace('"Effect": "Deny",', '"Effect": "Deny"', 1))
    decision.get_by_text("malformed JSON").first.wait_for(timeout=10_000)
    shown = decision.inner_text().strip()
    assert "\n" not in shown and "line " in shown and "column " in shown, shown
    nb.cell_screenshot(cell, shots / f"{nb.path.stem}-policy-tester-malformed.png")
    area.fill(policy)
    decision.get_by_text("explicit_deny").first.wait_for(timeout=10_000)
    # From the internet the endpoint is not on the path: the bucket policy's Deny decides.
    cell.locator("button", has_text="internet").click()
    decision.get_by_text("OnlyThroughTheEndpoint").first.wait_for(timeout=10_000)
    assert "NothingThroughThisEndpoint" not in decision.inner_text()
    nb.cell_screenshot(cell, shots / f"{nb.path.stem}-policy-tester.png")


# The widest option label of a <select> and the select's inner width, in CSS pixels.
FITS = """s => { const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = getComputedStyle(s).font;
  return {text: Math.max(...[...s.options].map(o => ctx.measureText(o.text).width)),
          box: s.clientWidth}; }"""


def _delete_route_back(nb: NotebookPage) -> None:
    """Delete VPC 2's route to VPC 1 (as the notebook's "Try it" suggests)."""
    lab = _lab_of(nb)
    vpcs = {
        tag["Value"]: vpc
        for vpc in lab.ec2.describe_vpcs(Filters=lab.filters())["Vpcs"]
        for tag in vpc.get("Tags", [])
        if tag["Key"] == "Name"
    }
    back = vpcs["VPC 1"]["CidrBlock"]
    tables = lab.ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpcs["VPC 2"]["VpcId"]]}]
    )["RouteTables"]
    deleted = 0
    for table in tables:
        if any(r.get("DestinationCidrBlock") == back for r in table["Routes"]):
            lab.ec2.delete_route(RouteTableId=table["RouteTableId"], DestinationCidrBlock=back)
            deleted += 1
    assert deleted == 1, tables


def chart_problems(png: bytes) -> list[str]:
    """What is missing from a rendered chart: size, ink, a title, both axes."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    width, height = image.size
    found = []
    if width < 400 or height < 200:
        found.append(f"chart is {width}x{height} px")
        return found
    pixels = image.load()
    dark = [[pixels[x, y] < 160 for x in range(width)] for y in range(height)]
    ink = sum(map(sum, dark)) / (width * height)
    if ink < 0.01:
        found.append(f"chart is nearly blank ({ink:.3%} ink)")
    # Axes: a long dark vertical line (the y axis) and a long horizontal one (the x axis).
    longest_col = max(sum(dark[y][x] for y in range(height)) for x in range(width))
    longest_row = max(sum(row) for row in dark)
    if longest_col < 0.5 * height:
        found.append("no y axis")
    if longest_row < 0.4 * width:
        found.append("no x axis")
    # A title: ink in the top tenth, above the plotting area.
    top = sum(sum(row) for row in dark[: height // 10])
    if top < 30:
        found.append("no title")
    return found


def query_panel(nb: NotebookPage, shots: Path) -> None:
    """A good query shows its table and a complete chart, on every click; a bad one its caret."""
    cell = cell_of(nb, "query_panel(")
    cell.scroll_into_view_if_needed()
    text = cell.locator("textarea")
    button = cell.locator("button", has_text="run query")
    output = cell.locator(".widget-output")
    for click in range(4):
        text.fill("stats sum(bytes) as bytes by srcAddr | sort bytes desc | limit 8")
        # Mark what the last click showed, then wait for this click's chart.
        output.evaluate("o => o.querySelectorAll('img').forEach(i => i.dataset.old = '1')")
        button.click()
        output.locator("img:not([data-old])").first.wait_for(timeout=30_000)
        nb.page.wait_for_timeout(1000)
        assert output.locator("table").count() == 1, output.inner_text()
        assert "srcAddr" in output.locator("table").inner_text()
        images = output.locator("img")
        assert images.count() == 1, f"click {click}: {images.count()} images"
        src = images.first.get_attribute("src") or ""
        assert src.startswith("data:image/png;base64,"), src[:60]
        missing = chart_problems(base64.b64decode(src.split(",", 1)[1]))
        assert not missing, f"click {click}: {missing}"
    nb.cell_screenshot(cell, shots / f"{nb.path.stem}-query-chart-panel.png")
    text.fill("stats sum(bytes) by srcAddr | sort bytes dsc")
    button.click()
    output.get_by_text("^").first.wait_for(timeout=30_000)
    shown = output.inner_text()
    assert "MalformedQueryException" in shown and "Traceback" not in shown, shown
    assert any(set(line.strip()) == {"^"} for line in shown.splitlines()), shown
    nb.cell_screenshot(cell, shots / f"{nb.path.stem}-query-error-panel.png")


def _lab_of(nb: NotebookPage) -> Any:
    import labkit
    from labkit.emulator import control

    info = control.status(Path(nb.server.env["LABKIT_HOME"]))
    assert info is not None
    return labkit.connect("local", endpoint_url=info.url)


# Body text size, the width a figure is shown at, and the PNG's own width.
SHOWN = """img => ({body: parseFloat(getComputedStyle(
    document.querySelector('.jp-RenderedMarkdown p')).fontSize),
  shown: img.clientWidth, natural: img.naturalWidth})"""


def diagram_problems(figure: Any, shown: dict[str, float]) -> list[str]:
    """Text smaller than the body text where the figure is shown, or labels over boxes."""
    from matplotlib.patches import Ellipse, FancyBboxPatch
    from matplotlib.text import Text

    renderer = figure.canvas.get_renderer()
    figure.canvas.draw()
    natural = figure.get_tightbbox(renderer).width * figure.dpi
    found = []
    if abs(natural - shown["natural"]) > 0.05 * natural:
        found.append(
            f"the notebook shows a {shown['natural']} px wide PNG, drawn here {natural:.0f}"
        )
    scale = shown["shown"] / shown["natural"]
    hidden = {  # tick labels of axes drawn without their axis (diagrams)
        id(t)
        for ax in figure.axes
        if not ax.axison
        for t in ax.xaxis.findobj(Text) + ax.yaxis.findobj(Text)
    }
    texts = [
        t
        for t in figure.findobj(Text)
        if t.get_visible() and t.get_text().strip() and id(t) not in hidden
    ]
    for text in texts:
        px = text.get_fontsize() * figure.dpi / 72 * scale
        if px < shown["body"] - 0.5:
            found.append(f"{text.get_text()[:30]!r} shows at {px:.1f} px < body {shown['body']} px")
    boxes = [p for p in figure.findobj(FancyBboxPatch) if p.axes is not None] + [
        p for p in figure.findobj(Ellipse)
    ]
    labels = [t for t in texts if t.get_bbox_patch() is not None]  # traffic labels
    own = {id(t.get_bbox_patch()) for t in labels}
    regions = [p.get_window_extent(renderer) for p in boxes if id(p) not in own]
    for text in texts:  # a text stays inside the box it is written in
        if text.get_bbox_patch() is not None:
            continue
        anchor = text.get_transform().transform(text.get_position())
        holders = [e for e in regions if e.contains(*anchor)]
        if not holders:
            continue
        e = min(holders, key=lambda e: e.width * e.height)
        ext = text.get_window_extent(renderer)
        if not (e.x0 <= ext.x0 and ext.x1 <= e.x1 and e.y0 <= ext.y0 and ext.y1 <= e.y1):
            found.append(f"{text.get_text()[:40]!r} runs out of its box")
    for label in labels:
        box = label.get_window_extent(renderer)
        for patch in boxes:
            if patch is label.get_bbox_patch():
                continue
            edge = patch.get_window_extent(renderer)
            inside = (
                edge.x0 <= box.x0 and box.x1 <= edge.x1 and edge.y0 <= box.y0 and box.y1 <= edge.y1
            )
            if box.overlaps(edge) and not inside:
                found.append(f"traffic label {label.get_text()!r} overlaps a box's edge")
                break
        for other in texts:
            if other is not label and box.overlaps(other.get_window_extent(renderer)):
                found.append(f"traffic label {label.get_text()!r} covers {other.get_text()[:30]!r}")
    return found


def diagrams(nb: NotebookPage, shots: Path) -> None:
    """Each diagram stays legible where JupyterLab shows it; traffic labels sit clear of boxes."""
    import matplotlib

    matplotlib.use("Agg")
    import labkit

    lab = _lab_of(nb)
    found = []
    for index, kind in enumerate(cell_kinds(nb.path)):
        source = kind["source"]
        if "plots.topology(" not in source and "traffic_on_topology(" not in source:
            continue
        cell = nb.page.locator(CELLS).nth(index)
        cell.scroll_into_view_if_needed()
        shown = cell.locator(".jp-OutputArea-output img").first.evaluate(SHOWN)
        if "traffic_on_topology(" in source:
            volume = lab.query(
                lab.flow_log_group(), "stats sum(bytes) as bytes by srcAddr, dstAddr", minutes=60
            )
            ax = labkit.plots.traffic_on_topology(lab, volume)
        else:
            ax = labkit.plots.topology(lab)
        found += [f"cell {index}: {p}" for p in diagram_problems(ax.figure, shown)]
        nb.cell_screenshot(cell, shots / f"{nb.path.stem}-diagram-cell{index}.png")
        matplotlib.pyplot.close(ax.figure)
    assert not found, "\n".join(found)


# Which panels a notebook shows (found in its source), and how a learner tries each.
PANELS: dict[str, Callable[[NotebookPage, Path], None]] = {
    "ping_panel(": ping_panel,
    "query_panel(": query_panel,
    "policy_tester(": policy_panel,
    "plots.topology(": diagrams,
    "traffic_on_topology(": diagrams,
}


def steps() -> list[Any]:
    """Each notebook's two runs, then its panels, in notebook order."""
    found = []
    for path in NOTEBOOKS:
        found.append(pytest.param(path.name, "run-all-twice", id=f"{path.stem}-run-all-twice"))
        source = path.read_text()
        for marker in PANELS:
            if marker in source and not (marker == "plots.topology(" and "traffic_on" in source):
                name = marker.rstrip("(").replace("_", "-")
                found.append(pytest.param(path.name, marker, id=f"{path.stem}-{name}"))
    return found


def test_jupyterlab_as_make_lab_starts_it(page: Any, jupyter: Any, shots: Path) -> None:
    """On 127.0.0.1 (as root here, too), and no news pop-up over the first notebook."""
    assert jupyter.url.startswith("http://127.0.0.1:")
    page.goto(f"{jupyter.url}/lab?reset&token={jupyter.token}")
    page.wait_for_selector(".jp-LabShell", timeout=60_000)
    page.wait_for_timeout(4000)  # the news question comes a moment after the page loads
    toasts = page.locator(".jp-Notification-Toast, .Toastify__toast")
    shown = " | ".join(toasts.all_inner_texts())
    page.screenshot(path=str(shots / "00-jupyterlab-start.png"))
    assert "news" not in shown.lower(), shown


@pytest.mark.parametrize(("notebook", "step"), steps())
def test_as_a_learner(
    notebook: str, step: str, page: Any, jupyter: Any, workspace: Path, shots: Path
) -> None:
    nb = opened(page, jupyter, workspace, notebook)
    if step != "run-all-twice":
        PANELS[step](nb, shots)
        return
    for run, restart in ((1, False), (2, True)):
        cells = nb.run_all(restart=restart)
        nb.screenshot(shots / f"{nb.path.stem}-run{run}.png")
        found = problems(nb.path, cells)
        assert not found, f"Run All #{run}:\n" + "\n".join(found)
