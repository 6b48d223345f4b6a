"""The ping panel: pick a source and a destination, see the replies and the path explanation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w

from labkit.aws import compute
from labkit.errors import LabkitError

if TYPE_CHECKING:
    from labkit.lab import Lab


def _destinations(instances: list[compute.LabInstance]) -> list[tuple[str, str]]:
    found = []
    for inst in instances:
        found.append((f"{inst.name} private {inst.private_ip}", inst.private_ip))
        if inst.public_ip:
            found.append((f"{inst.name} public {inst.public_ip}", inst.public_ip))
    return found


def _first_other(instances: list[compute.LabInstance], source: str) -> str | None:
    """The private IP of the first instance that is not ``source`` (a useful first ping)."""
    return next((i.private_ip for i in instances if i.name != source), None)


def ping_panel(lab: Lab) -> w.VBox:
    """A panel that pings between the lab's instances and explains the result.

    It starts on the first instance pinging the next one's private IP (Instance 1 →
    Instance 2's private IP in Lab 1).

    Parameters
    ----------
    lab: the connected lab; its instances fill the two drop-downs.

    Returns
    -------
    The panel (display it as a cell's last value).
    """
    from IPython.display import display

    instances = sorted(compute.list_instances(lab), key=lambda i: i.name)
    destinations = _destinations(instances)
    first = instances[0].name if instances else None
    # Wide enough for "Instance 2 private 10.2.0.10": the labels are never cut off.
    fit = {"width": "max-content", "min_width": "12em"}
    wide = {"description_width": "initial"}
    source = w.Dropdown(
        options=[i.name for i in instances],
        value=first,
        description="from",
        layout=fit,
        style=wide,
    )
    target = w.Dropdown(
        options=destinations,
        value=_first_other(instances, first or "")
        or (destinations[0][1] if destinations else None),
        description="to",
        layout=fit,
        style=wide,
    )
    count = w.BoundedIntText(
        value=3, min=1, max=20, description="count", layout={"width": "8em"}, style=wide
    )
    button = w.Button(description="ping", button_style="primary", icon="paper-plane")
    out = w.Output(layout={"border": "1px solid #ddd", "padding": "4px"})

    def run(_: object) -> None:
        out.clear_output(wait=True)
        with out:
            try:
                print(lab.shell(source.value, f"ping -c {count.value} {target.value}"))
                display(lab.reach(source.value, target.value))
            except LabkitError as err:
                print(err)

    button.on_click(run)
    controls = w.HBox([source, target, count, button], layout={"flex_flow": "row wrap"})
    return w.VBox([controls, out])
