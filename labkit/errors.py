"""The one error root of labkit, and the errors shared across layers.

Every error says what happened, where, and what to do next, in one line: the CLI prints
``str(error)`` alone on stderr, and notebooks show it without a traceback.
"""

from __future__ import annotations


class LabkitError(Exception):
    """Root of every error labkit raises on purpose."""


class ConfigError(LabkitError):
    """A parameter or input is invalid (a CIDR, a region, a name)."""


class EmulatorError(LabkitError):
    """The local emulator is not running, cannot start, or stopped answering."""


class CredentialsError(LabkitError):
    """No usable AWS credentials for the chosen backend."""


class NotFoundError(LabkitError):
    """A named lab resource (an instance, a VPC) does not exist."""


class CheckFailed(LabkitError):
    """A lab step's check did not pass; the message names the step and gives a hint."""
