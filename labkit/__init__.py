"""labkit: the AWS networking lab workbook's helpers.

The small surface the notebooks use::

    import labkit
    lab = labkit.connect("local")          # or "aws"
    plan = labkit.Lab1()
    plan.network(lab, 1)
    labkit.checks.public_network(lab, "01.1", "VPC 1", "10.1.0.0/16", "10.1.0.0/24")
    labkit.plots.topology(lab)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from labkit.errors import CheckFailed, LabkitError

if TYPE_CHECKING:
    from labkit.lab import Lab, connect
    from labkit.labs.lab1.plan import Lab1
    from labkit.labs.lab3.plan import Lab3
    from labkit.labs.params import check_parameters
    from labkit.notebook.display import show_json

__all__ = [
    "CheckFailed",
    "Lab",
    "Lab1",
    "Lab3",
    "LabkitError",
    "check_parameters",
    "connect",
    "show_json",
]
__version__ = "0.1.0"

# Names and submodules reached as attributes, imported on first use, so that the CLI and
# the emulator process do not pay for boto3 or matplotlib unless they need them.
_NAMES = {
    "connect": "labkit.lab",
    "Lab": "labkit.lab",
    "Lab1": "labkit.labs.lab1.plan",
    "Lab3": "labkit.labs.lab3.plan",
    "show_json": "labkit.notebook.display",
    "check_parameters": "labkit.labs.params",
}
# The facade's modules: ``labkit.checks`` is Lab 1's checks, ``labkit.report`` the notebook
# runner behind ``labkit run``; the rest are labkit's own packages.
_MODULES = {
    "analysis": "labkit.labs.lab1.analysis",
    "aws": "labkit.aws",
    "checks": "labkit.labs.lab1.checks",
    "insights": "labkit.insights",
    "labs": "labkit.labs",
    "netsim": "labkit.netsim",
    "plots": "labkit.plots",
    "report": "labkit.cli.report",
    "widgets": "labkit.widgets",
}


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    if name in _MODULES:
        return importlib.import_module(_MODULES[name])
    raise AttributeError(f"module 'labkit' has no attribute {name!r}")
