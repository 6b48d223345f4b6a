"""Check a lab's parameters before anything is created, so a bad one leaves nothing half-made."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from typing import Any

from labkit.errors import ConfigError

# A VPC's IPv4 block is between /16 and /28.
# https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html
VPC_PREFIX_RANGE = (16, 28)


def cidr(label: str, text: str) -> ipaddress.IPv4Network:
    """Parse an IPv4 CIDR block, or raise ConfigError naming the parameter and the fix."""
    try:
        net = ipaddress.ip_network(str(text).strip(), strict=True)
    except ValueError as err:
        hint = ""
        try:
            loose = ipaddress.ip_network(str(text).strip(), strict=False)
            hint = f"; did you mean {loose}?"
        except ValueError:
            hint = "; write it like 10.1.0.0/16"
        raise ConfigError(
            f"{label} {text!r} is not a valid IPv4 CIDR block ({err}){hint}"
        ) from None
    if not isinstance(net, ipaddress.IPv4Network):
        raise ConfigError(f"{label} {text!r} is IPv6; the labs use IPv4 blocks like 10.1.0.0/16")
    return net


def vpc_cidr(label: str, text: str) -> ipaddress.IPv4Network:
    """A VPC block: a valid IPv4 CIDR between /16 and /28."""
    net = cidr(label, text)
    low, high = VPC_PREFIX_RANGE
    if not low <= net.prefixlen <= high:
        raise ConfigError(
            f"{label} {text!r}: a VPC block must be between /{low} and /{high}, "
            f"not /{net.prefixlen}"
        )
    return net


def subnet_cidr(
    label: str, text: str, vpc: ipaddress.IPv4Network, vpc_label: str
) -> ipaddress.IPv4Network:
    """A subnet block: valid, /16 to /28, and inside its VPC's block."""
    net = vpc_cidr(label, text)
    if not net.subnet_of(vpc):
        raise ConfigError(
            f"{label} {text!r} is not inside {vpc_label} {vpc}; pick a block within it, "
            f"e.g. {next(vpc.subnets(new_prefix=max(24, vpc.prefixlen)))}"
        )
    return net


def disjoint(blocks: Sequence[tuple[str, ipaddress.IPv4Network]], why: str) -> None:
    """Raise ConfigError if any two labelled blocks overlap."""
    for i, (label_a, a) in enumerate(blocks):
        for label_b, b in blocks[i + 1 :]:
            if a.overlaps(b):
                raise ConfigError(f"{label_a} {a} overlaps {label_b} {b}; {why}")


# --- Notebook parameters: one validator per name, used by `labkit run` before any notebook
# runs and by the notebooks' setup cells (labkit.check_parameters). ---

ParameterCheck = Callable[[str, Any], None]
PARAMETERS: dict[str, ParameterCheck] = {}

BACKENDS = ("local", "aws")
PING_COUNT_RANGE = (1, 100)  # a lab ping is a few echo requests; SSM ends longer ones anyway
BACKGROUND_FLOWS_RANGE = (0, 100_000)  # the emulator's GenerateBackgroundTraffic bound
MINUTES_RANGE = (1, 7 * 24 * 60)  # how far back a lab query looks: up to a week
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
LOG_GROUP_PATTERN = re.compile(r"[\.\-_/#A-Za-z0-9]{1,512}")
REGION_PATTERN = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
PREFIX_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,31}")
LAB1_INSTANCES = ("Instance 1", "Instance 2")


def parameter(name: str) -> Callable[[ParameterCheck], ParameterCheck]:
    """Register the validator of the notebook parameter ``name``."""

    def register(fn: ParameterCheck) -> ParameterCheck:
        PARAMETERS[name] = fn
        return fn

    return register


def _int_in(label: str, value: Any, bounds: tuple[int, int]) -> None:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{label} {value!r} must be a whole number from {low} to {high}")
    if not low <= value <= high:
        raise ConfigError(f"{label} {value} is out of range: give {low} to {high}")


def _text(label: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{label} {value!r} must be text (a str)")
    return value


@parameter("BACKEND")
def _backend(label: str, value: Any) -> None:
    if value not in BACKENDS:
        raise ConfigError(
            f"{label} {value!r} is not a backend: use 'local' (the emulator) or 'aws'"
        )


@parameter("REGION")
def _region(label: str, value: Any) -> None:
    if not REGION_PATTERN.fullmatch(_text(label, value)):
        raise ConfigError(f"{label} {value!r} is not an AWS Region name like 'us-east-1'")


@parameter("PROFILE")
def _profile(label: str, value: Any) -> None:
    _text(label, value)


@parameter("PREFIX")
def _prefix(label: str, value: Any) -> None:
    if not PREFIX_PATTERN.fullmatch(_text(label, value)):
        raise ConfigError(
            f"{label} {value!r} must be 1 to 32 letters, digits and dashes, e.g. 'lab'"
        )


@parameter("VPC_1_CIDR")
@parameter("VPC_2_CIDR")
def _vpc(label: str, value: Any) -> None:
    vpc_cidr(label, _text(label, value))


@parameter("SUBNET_1_CIDR")
@parameter("SUBNET_2_CIDR")
def _subnet(label: str, value: Any) -> None:
    vpc_cidr(label, _text(label, value))  # inside its VPC: checked with the whole plan


@parameter("LOG_GROUP")
def _log_group(label: str, value: Any) -> None:
    if _text(label, value) and not LOG_GROUP_PATTERN.fullmatch(value):
        raise ConfigError(
            f"{label} {value!r}: a log group name is 1 to 512 of A-Z a-z 0-9 . _ - / #"
        )


@parameter("TRAFFIC_TYPE")
def _traffic_type(label: str, value: Any) -> None:
    if value not in ("ALL", "ACCEPT", "REJECT"):
        raise ConfigError(f"{label} {value!r} must be one of ALL, ACCEPT, REJECT")


@parameter("AGGREGATION_S")
def _aggregation(label: str, value: Any) -> None:
    # https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html#flow-logs-basics
    if isinstance(value, bool) or value not in (60, 600):
        raise ConfigError(f"{label} {value!r} must be 60 or 600 seconds")


@parameter("PING_COUNT")
def _ping_count(label: str, value: Any) -> None:
    _int_in(label, value, PING_COUNT_RANGE)


@parameter("BACKGROUND_FLOWS")
def _background_flows(label: str, value: Any) -> None:
    _int_in(label, value, BACKGROUND_FLOWS_RANGE)


@parameter("SEED")
def _seed(label: str, value: Any) -> None:
    _int_in(label, value, (0, 2**32 - 1))


@parameter("MINUTES")
def _minutes(label: str, value: Any) -> None:
    _int_in(label, value, MINUTES_RANGE)


@parameter("INSTANCE")
def _instance(label: str, value: Any) -> None:
    # Lab 2 and 3 run on one of Lab 1's two instances (notebook 01 names them).
    if value not in LAB1_INSTANCES:
        raise ConfigError(f"{label} {value!r} must be one of {', '.join(LAB1_INSTANCES)}")


def check_parameter(name: str, value: Any) -> None:
    """Raise ConfigError if ``value`` is not valid for the notebook parameter ``name``."""
    check = PARAMETERS.get(name)
    if check is None:
        raise ConfigError(
            f"unknown parameter {name!r}: the known ones are {', '.join(sorted(PARAMETERS))}"
        )
    check(name, value)


def check_parameters(**values: Any) -> None:
    """Check a notebook's parameters in its setup cell: a bad one stops the notebook there.

    Parameters
    ----------
    values: the parameters cell's names and values, e.g. ``PING_COUNT=PING_COUNT``.
    """
    for name, value in values.items():
        check_parameter(name, value)
