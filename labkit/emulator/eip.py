"""Elastic IPs from a public range, instead of moto's 127.0.0.0/8.

moto hands out Elastic IPs from 127.0.0.0/8, a loopback block no AWS account ever sees and
the internet never routes, so netsim (rightly) treats them as unreachable: an instance
whose only public address was an Elastic IP could not reach the internet.

The emulator allocates them from ``ELASTIC_IP_RANGE``, 198.51.100.0/24 (TEST-NET-2,
https://www.rfc-editor.org/rfc/rfc5737): a block reserved for documentation, which AWS's
own examples use for public addresses. It is never routed on the real internet, so an
address a learner copies out of the lab reaches nobody, and netsim treats it as an
internet address (its own list of unrouted blocks leaves the documentation ranges out).
203.0.113.0/24 is not used: it holds ``HOST_PUBLIC_IP``, the learner's laptop.

Addresses are drawn with moto's seeded random generator (seeded runs get the same ones),
skipping those in use; a full range answers AWS's ``AddressLimitExceeded``.
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AllocateAddress.html
"""

from __future__ import annotations

import ipaddress
from typing import Any

from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.elastic_ip_addresses import ElasticAddressBackend
from moto.moto_api._internal import mock_random

ELASTIC_IP_RANGE = ipaddress.IPv4Network("198.51.100.0/24")
_PATCHED = "_labkit_public_eips"


def free_address(in_use: set[str]) -> str:
    """A random address of ``ELASTIC_IP_RANGE`` that is not in ``in_use``."""
    hosts = [str(h) for h in ELASTIC_IP_RANGE.hosts()]
    free = [h for h in hosts if h not in in_use]
    if not free:
        raise EC2ClientError(
            "AddressLimitExceeded", "The maximum number of addresses has been reached."
        )
    return free[mock_random.randint(0, len(free) - 1)]


def install() -> None:
    """Make moto's AllocateAddress draw from ``ELASTIC_IP_RANGE`` (idempotent)."""
    if getattr(ElasticAddressBackend, _PATCHED, False):
        return
    original = ElasticAddressBackend.allocate_address

    def allocate_address(
        self: Any, domain: str, address: str | None = None, tags: dict[str, str] | None = None
    ) -> Any:
        if not address:  # an explicit Address (BYOIP) is kept as given
            address = free_address({a.public_ip for a in self.addresses})
        return original(self, domain, address=address, tags=tags)

    ElasticAddressBackend.allocate_address = allocate_address  # type: ignore[method-assign]
    setattr(ElasticAddressBackend, _PATCHED, True)
