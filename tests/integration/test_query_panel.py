"""The query panel runs what the learner typed and shows rows, or the error line."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import labkit  # noqa: E402
from labkit import labs  # noqa: E402


def test_query_panel_shows_rows_and_errors(
    lab: labkit.Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    from labkit.widgets import query_panel

    labs.ensure_upto(lab, "02")
    lab.shell("Instance 1", "ping -c 2 10.2.0.10")
    text, controls, _ = query_panel(lab, lab.flow_log_group()).children
    button = controls.children[1]
    text.value = "filter protocol = 1 | stats sum(packets) as packets by srcAddr, dstAddr"
    button.click()
    shown = capsys.readouterr().out
    assert "srcAddr" in shown and "10.1.0.10" in shown and "10.2.0.10" in shown
    text.value = "stats sum(bytes) by srcAddr | sort bytes dsc"
    button.click()
    shown = capsys.readouterr().out
    assert "MalformedQueryException" in shown and "^" in shown
    assert "Traceback" not in shown
