"""ipywidgets panels: optional extras whose callbacks call labkit functions and hold no logic."""

from labkit.widgets.ping import ping_panel

__all__ = ["ping_panel"]
