"""ipywidgets panels: optional extras whose callbacks call labkit functions and hold no logic."""

from labkit.widgets.ping import ping_panel
from labkit.widgets.policy import policy_tester
from labkit.widgets.query import query_panel

__all__ = ["ping_panel", "policy_tester", "query_panel"]
