"""Resolve what a learner names (an instance id, a Name tag, an IP) into reach's endpoints."""

from __future__ import annotations

import re
from dataclasses import dataclass

from labkit.netsim.errors import UnknownEndpointError
from labkit.netsim.model import Instance, NetworkInterface, Topology, ip
from labkit.netsim.routing import on_internet

_LOOKS_LIKE_IP = re.compile(r"^[0-9.]+$")


@dataclass(frozen=True)
class Endpoint:
    """A resolved source or destination: an instance's ENI, or an internet address."""

    label: str
    address: str
    eni: NetworkInterface | None = None
    instance: Instance | None = None


def known_instances(topo: Topology) -> str:
    names = sorted({topo.label(i) for i in topo.instances})
    return ", ".join(names) if names else "(none)"


def _instance(topo: Topology, text: str) -> Instance | None:
    found = topo.get(text)
    if isinstance(found, Instance):
        return found
    named = topo.instances_named(text)
    if len(named) > 1:
        ids = ", ".join(i.id for i in named)
        raise UnknownEndpointError(
            f"instance name {text!r} is ambiguous ({ids}); use an instance id"
        )
    return named[0] if named else None


def _primary(topo: Topology, inst: Instance) -> NetworkInterface:
    for eni_id in inst.interface_ids:
        eni = topo.get(eni_id)
        if isinstance(eni, NetworkInterface):
            return eni
    raise UnknownEndpointError(
        f"instance {topo.label(inst)} has no network interface in the topology"
    )


def resolve_source(topo: Topology, src: str) -> Endpoint:
    """The source endpoint: an instance by id, Name or IP, or an internet address."""
    text = str(src).strip()
    inst = _instance(topo, text)
    if inst is None and _LOOKS_LIKE_IP.match(text):
        ip(text)
        eni = topo.eni_with_public_ip(text)
        privates = topo.enis_with_private_ip(text)
        if eni is None and len(privates) == 1:
            eni = privates[0]
        if len(privates) > 1:
            ids = ", ".join(e.id for e in privates)
            raise UnknownEndpointError(
                f"{text} is the private IP of several ENIs ({ids}); name the instance"
            )
        if eni is None:
            if on_internet(text):
                return Endpoint(text, text)
            raise UnknownEndpointError(
                f"no instance has the address {text}: known instances are {known_instances(topo)}"
            )
        inst = topo.instance_of(eni)
        if inst is None:
            return Endpoint(eni.id, eni.private_ip, eni)
        return Endpoint(topo.label(inst), eni.private_ip, eni, inst)
    if inst is None:
        raise UnknownEndpointError(
            f"unknown instance {text!r}: known instances are {known_instances(topo)}"
        )
    eni = _primary(topo, inst)
    return Endpoint(topo.label(inst), eni.private_ip, eni, inst)


def destination_address(
    topo: Topology, dst: str, from_internet_: bool
) -> tuple[str, Endpoint | None]:
    """The address to send to, and the instance endpoint when ``dst`` named one."""
    text = str(dst).strip()
    inst = _instance(topo, text)
    if inst is not None:
        eni = _primary(topo, inst)
        address = (eni.public_ip or "") if from_internet_ else eni.private_ip
        return address, Endpoint(topo.label(inst), address, eni, inst)
    if _LOOKS_LIKE_IP.match(text):
        return str(ip(text)), None
    raise UnknownEndpointError(
        f"unknown instance {text!r}: known instances are {known_instances(topo)}"
    )
