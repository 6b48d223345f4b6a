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


def ping_panel(lab: Lab) -> w.VBox:
    """A panel that pings between the lab's instances and explains the result.

    Parameters
    ----------
    lab: the connected lab; its instances fill the two drop-downs.

    Returns
    -------
    The panel (display it as a cell's last value).
    """
    instances = compute.list_instances(lab)
    source = w.Dropdown(options=[i.name for i in instances], description="from")
    target = w.Dropdown(options=_destinations(instances), description="to")
    count = w.BoundedIntText(value=3, min=1, max=20, description="count")
    button = w.Button(description="ping", button_style="primary", icon="paper-plane")
    out = w.Output(layout={"border": "1px solid #ddd", "padding": "4px"})

    def run(_: object) -> None:
        out.clear_output()
        with out:
            try:
                print(lab.shell(source.value, f"ping -c {count.value} {target.value}"))
                print()
                print(lab.reach(source.value, target.value))
            except LabkitError as err:
                print(err)

    button.on_click(run)
    return w.VBox([w.HBox([source, target, count, button]), out])
