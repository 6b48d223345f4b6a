"""The query panel: Logs Insights text, a run button, the results table and a chart."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w

from labkit.errors import LabkitError

if TYPE_CHECKING:
    from labkit.lab import Lab


def query_panel(lab: Lab, log_group: str, query: str | None = None, minutes: int = 60) -> w.VBox:
    """A panel that runs Logs Insights queries on a log group and shows table and chart.

    Parameters
    ----------
    lab: the connected lab.
    log_group: the log group to query, e.g. "lab-vpc-flow-logs".
    query: the text to start with (default: the lab's top-talkers query).
    minutes: the default time range.

    Returns
    -------
    The panel (display it as a cell's last value).
    """
    from IPython.display import Image, display

    from labkit.labs.lab1.analysis import LAB_QUERY
    from labkit.plots.traffic import chart_png

    text = w.Textarea(value=query or LAB_QUERY, layout={"width": "100%", "height": "5em"})
    span = w.BoundedIntText(value=minutes, min=1, max=60 * 24 * 14, description="minutes")
    button = w.Button(description="run query", button_style="primary", icon="play")
    out = w.Output()

    def run(_: object) -> None:
        out.clear_output(wait=True)
        with out:
            try:
                result = lab.query(log_group, text.value, minutes=span.value)
            except LabkitError as err:
                print(err)
                return
            display(result)
            # The chart as PNG bytes: complete on every click (see plots.traffic.chart_png).
            png = chart_png(result)
            if png is not None:
                display(Image(data=png, format="png"))

    button.on_click(run)
    return w.VBox([text, w.HBox([span, button]), out])
