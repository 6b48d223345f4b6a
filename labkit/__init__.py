"""labkit: the AWS networking lab workbook's helpers.

The small surface the notebooks use::

    import labkit
    lab = labkit.connect("local")          # or "aws"
"""

from labkit.errors import CheckFailed, LabkitError
from labkit.lab import Lab, connect
from labkit.labs import Lab1

__all__ = ["CheckFailed", "Lab", "Lab1", "LabkitError", "connect"]
__version__ = "0.1.0"
