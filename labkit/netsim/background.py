"""Seeded background traffic: internet scanners probing public instances, and HTTPS clients.

Real flow logs are never quiet: within minutes of launch a public instance sees SSH and
RDP scans from the internet (REJECTs where the security group says no), and its own
outbound HTTPS calls. This generator makes that noise reproducible: the same topology,
count and seed always give the same exchanges. It is off unless asked for.
"""

from __future__ import annotations

import random
from dataclasses import replace

from labkit.netsim.model import NetworkInterface, Topology
from labkit.netsim.routing import on_internet
from labkit.netsim.traffic import Exchange, LoggedRecord, records_for

SCAN_PORTS = (22, 22, 22, 23, 445, 1433, 3306, 3389, 5900, 8080)  # SSH most often, like real scans
HTTPS_PORT = 443
_FIRST_OCTETS = (23, 45, 61, 80, 89, 103, 118, 141, 176, 185, 193, 212)


def _internet_ip(rng: random.Random) -> str:
    while True:
        octets = (
            rng.choice(_FIRST_OCTETS),
            rng.randrange(256),
            rng.randrange(256),
            rng.randrange(1, 255),
        )
        addr = ".".join(map(str, octets))
        if on_internet(addr):
            return addr


def _targets(topo: Topology) -> list[NetworkInterface]:
    running = {i.id for i in topo.instances if i.state == "running"}
    public = [e for e in topo.interfaces if e.public_ip and e.instance_id in running]
    logged = [e for e in public if topo.flow_logs_for(e)]
    return sorted(logged or public, key=lambda e: e.id)


def background_exchanges(
    topo: Topology, count: int, seed: int = 0, start: int = 0, span: int = 600
) -> list[Exchange]:
    """``count`` exchanges spread over ``span`` seconds from ``start``, reproducible by seed."""
    rng = random.Random(seed)
    targets = _targets(topo)
    if not targets:
        return []
    out = []
    for _ in range(count):
        eni = rng.choice(targets)
        at = start + rng.randrange(max(span, 1))
        src_port = rng.randrange(32768, 61000)
        if rng.random() < 0.6:  # an internet scanner knocks on one port
            port = rng.choice(SCAN_PORTS)
            out.append(
                Exchange(
                    _internet_ip(rng),
                    str(eni.public_ip),
                    "tcp",
                    port,
                    packets=rng.randint(1, 3),
                    bytes=0,
                    start=at,
                    src_port=src_port,
                )
            )
        else:  # the instance calls an HTTPS API
            packets = rng.randint(6, 40)
            out.append(
                Exchange(
                    str(eni.instance_id),
                    _internet_ip(rng),
                    "tcp",
                    HTTPS_PORT,
                    packets=packets,
                    bytes=packets * rng.randint(80, 200),
                    start=at,
                    end=at + rng.randint(0, 5),
                    reply_packets=packets + rng.randint(0, 10),
                    reply_bytes=packets * rng.randint(600, 1400),
                    src_port=src_port,
                )
            )
    out = [replace(ex, bytes=ex.bytes or ex.packets * 60) for ex in out]
    return sorted(out, key=lambda ex: ex.start)


def background_records(
    topo: Topology, count: int, seed: int = 0, start: int = 0, span: int = 600
) -> list[LoggedRecord]:
    """At most ``count`` flow-log records of background traffic, in time order (seeded)."""
    if count <= 0:
        return []
    records: list[LoggedRecord] = []
    batch = count
    while len(records) < count:
        exchanges = background_exchanges(topo, batch, seed, start, span)
        if not exchanges:
            return []
        records = records_for(topo, exchanges)
        if not records:  # no ENI carrying this traffic is covered by a flow log
            return []
        batch *= 2
    return [not_before_creation(rec) for rec in records[:count]]


def not_before_creation(rec: LoggedRecord) -> LoggedRecord:
    """The record moved to its flow log's creation time if it would predate it.

    A flow log holds no record from before it was created, so background traffic spread
    over "the last ten minutes" never starts earlier than the flow log; the record keeps
    its duration.
    """
    created = rec.flow_log.created
    start, end = rec.record.start, rec.record.end
    if created is None or not isinstance(start, int) or start >= created:
        return rec
    shift = created - start
    moved = rec.record.replace(start=created, end=end + shift if isinstance(end, int) else end)
    return replace(rec, record=moved)
