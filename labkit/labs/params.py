"""Check a lab's parameters before anything is created, so a bad one leaves nothing half-made."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

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
