"""Errors the network simulator raises; all are LabkitError subclasses with one-line messages."""

from __future__ import annotations

from labkit.errors import ConfigError, NotFoundError


class UnknownEndpointError(NotFoundError):
    """A source or destination names no instance or address in the topology."""


class InvalidAddressError(ConfigError):
    """An IP address, CIDR block, protocol or port is malformed."""


class RecordFormatError(ConfigError):
    """A flow-log format or record line cannot be parsed."""
