"""Simulated traffic → flow-log records, one per ENI, direction and flow, per covering flow log.

Semantics, from https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-records-examples.html
(reference A.5–A.7):

* the source ENI records the request as egress, the destination ENI as ingress; the reply
  is recorded egress at the destination and ingress at the source;
* a request a security group or ACL drops is one REJECT record where it was dropped and
  nothing after it; in particular an inbound SG reject gives a single REJECT, no reply record;
* a reply dropped by an ACL (stateless) gives ACCEPT for the request and REJECT for the reply;
* a packet dropped by routing (no route, blackhole) leaves its ENI: the ENI records ACCEPT;
* ICMP has ports ``0 0``; srcaddr/dstaddr show the ENI's primary PRIVATE address, even for
  traffic to or from its public IP; the far end shows as the address on the wire;
* ``traffic-path`` is only set for egress records; ``tcp-flags`` ORs SYN, FIN and SYN-ACK.

Traffic to S3 (``Exchange(src, "s3", "tcp", 443)``) goes to an address of S3's prefix list
(:func:`labkit.netsim.services.s3_address`), through the gateway endpoint or the internet
gateway that the route table picks: the instance's ENI records the request (egress,
traffic-path 7 through an endpoint or 8 through an IGW on Nitro, 2 on Xen) and the reply
(ingress), with ``pkt-dst-aws-service``/``pkt-src-aws-service`` ``S3``. Through an
endpoint S3 sees the private address; the ENI records its private address either way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from labkit.netsim.filters import in_cidr
from labkit.netsim.model import FlowLog, NetworkInterface, Topology
from labkit.netsim.reach import EPHEMERAL_PORT, Stage, Trace, trace
from labkit.netsim.records import FlowRecord, LogFormat
from labkit.netsim.services import is_s3, with_s3_prefix_list

# traffic-path: 1 same VPC, 2 IGW or gateway endpoint, 4 intra-Region peering, 7 gateway
# endpoint (Nitro), 8 IGW (Nitro). Instance families on the Xen hypervisor get 2; all others
# are Nitro. https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-nitro-instances.html
XEN_FAMILIES = frozenset(
    {
        "t1",
        "t2",
        "m1",
        "m2",
        "m3",
        "m4",
        "c1",
        "c3",
        "c4",
        "r3",
        "r4",
        "i2",
        "d2",
        "x1",
        "x1e",
        "p2",
        "p3",
        "g3",
        "h1",
        "f1",
    }
)
TCP_SYN, TCP_FIN, TCP_SYN_ACK = 2, 1, 18
ICMP_ECHO_BYTES = 84  # 56 data + 8 ICMP header + 20 IP header, as `ping` sends


@dataclass(frozen=True)
class Exchange:
    """One conversation: a request of ``packets``/``bytes`` from src to dst, and its reply."""

    src: str
    dst: str
    protocol: str = "icmp"
    port: int | None = None
    packets: int = 1
    bytes: int = ICMP_ECHO_BYTES
    start: int = 0
    end: int | None = None
    reply_packets: int | None = None
    reply_bytes: int | None = None
    src_port: int = EPHEMERAL_PORT


@dataclass(frozen=True)
class LoggedRecord:
    """A record and the flow log that captures it."""

    flow_log: FlowLog
    record: FlowRecord

    @cached_property
    def log_format(self) -> LogFormat:
        """The flow log's record format."""
        return LogFormat.parse(self.flow_log.log_format)

    def line(self) -> str:
        """The record as its flow log writes it."""
        return self.record.format(self.log_format)


@dataclass(frozen=True)
class Outcome:
    """What an exchange did: the reachability trace and the records it left."""

    trace: Trace
    records: tuple[LoggedRecord, ...]

    @property
    def replied(self) -> bool:
        """True if the reply made it back to the source."""
        return self.trace.verdict.reachable


def _traffic_path(topo: Topology, eni: NetworkInterface, kind: str | None) -> int | None:
    inst = topo.instance_of(eni)
    nitro = inst is None or inst.instance_type.split(".")[0] not in XEN_FAMILIES
    return {
        "local": 1,
        "peering": 4,
        "internet-gateway": 8 if nitro else 2,
        "internet": 8 if nitro else 2,
        "endpoint": 7 if nitro else 2,
    }.get(kind or "")


def aws_service(topo: Topology, address: str) -> str | None:
    """The AWS service (e.g. "S3") whose prefix list holds the address, for pkt-*-aws-service."""
    for pl in topo.prefix_lists:
        if any(in_cidr(address, c) for c in pl.cidrs):
            return pl.name.rsplit(".", 1)[-1].upper()
    return None


def simulate(topo: Topology, exchange: Exchange) -> Outcome:
    """Run one exchange through the network and return its trace and flow-log records."""
    if is_s3(exchange.dst):  # so pkt-*-aws-service names S3 even without DescribePrefixLists
        topo = with_s3_prefix_list(topo)
    t = trace(topo, exchange.src, exchange.dst, exchange.protocol, exchange.port, exchange.src_port)
    failed, src_eni = t.failed_stage, t.source.eni
    dst_eni = t.destination.eni if t.destination else None
    if src_eni is not None and dst_eni is not None and src_eni.id == dst_eni.id:
        return Outcome(t, ())  # loopback never crosses the ENI
    dst_addr = t.address
    end = (
        exchange.end if exchange.end is not None else exchange.start + max(exchange.packets - 1, 0)
    )
    complete = failed is None
    tcp = t.protocol == 6
    icmp = t.protocol == 1
    req_ports = (0, 0) if icmp else (exchange.src_port, t.port)
    rep_ports = (req_ports[1], req_ports[0])
    req_flags = (TCP_SYN | (TCP_FIN if complete else 0)) if tcp else 0
    rep_flags = (TCP_SYN_ACK | (TCP_FIN if complete else 0)) if tcp else 0
    reply_size = (
        exchange.reply_packets or exchange.packets,
        exchange.reply_bytes or exchange.bytes,
    )
    request_size = (exchange.packets, exchange.bytes)
    out: list[LoggedRecord] = []

    def emit(
        eni: NetworkInterface,
        egress: bool,
        reject: bool,
        src: str,
        dst: str,
        ports: tuple[int, int],
        size: tuple[int, int],
        flags: int,
    ) -> None:
        subnet = topo.get(eni.subnet_id)
        record = FlowRecord.make(
            account_id=eni.owner_id,
            interface_id=eni.id,
            srcaddr=src,
            dstaddr=dst,
            srcport=ports[0],
            dstport=ports[1],
            protocol=t.protocol,
            packets=size[0],
            bytes=size[1],
            start=exchange.start,
            end=end,
            action="REJECT" if reject else "ACCEPT",
            log_status="OK",
            vpc_id=eni.vpc_id,
            subnet_id=eni.subnet_id,
            instance_id=eni.instance_id,
            tcp_flags=flags,
            type="IPv4",
            pkt_srcaddr=src,
            pkt_dstaddr=dst,
            region=topo.region,
            az_id=subnet.az_id if subnet else None,
            pkt_src_aws_service=aws_service(topo, src),
            pkt_dst_aws_service=aws_service(topo, dst),
            flow_direction="egress" if egress else "ingress",
            traffic_path=_traffic_path(topo, eni, t.forward_kind) if egress else None,
        )
        for fl in topo.flow_logs_for(eni):
            if fl.traffic_type in ("ALL", record.action):
                out.append(LoggedRecord(fl, record))

    if src_eni is not None and Stage.SOURCE.passed(failed):
        emit(
            src_eni,
            True,
            failed in (Stage.SOURCE_SG, Stage.SOURCE_ACL),
            src_eni.private_ip,
            dst_addr,
            req_ports,
            request_size,
            req_flags,
        )
    reached = Stage.DESTINATION.passed(failed)
    if dst_eni is not None and reached:
        emit(
            dst_eni,
            False,
            failed in (Stage.DESTINATION_ACL, Stage.DESTINATION_SG),
            t.seen_source,
            dst_eni.private_ip,
            req_ports,
            request_size,
            req_flags,
        )
        if Stage.DESTINATION_SG.passed(failed):
            emit(
                dst_eni,
                True,
                failed == Stage.REPLY_ACL,
                dst_eni.private_ip,
                t.seen_source,
                rep_ports,
                reply_size,
                rep_flags,
            )
    if src_eni is not None and Stage.RETURN_ROUTE.passed(failed) and reached:
        emit(
            src_eni,
            False,
            failed == Stage.SOURCE_REPLY_ACL,
            dst_addr,
            src_eni.private_ip,
            rep_ports,
            reply_size,
            rep_flags,
        )
    return Outcome(t, tuple(out))


def records_for(topo: Topology, exchanges: Iterable[Exchange]) -> list[LoggedRecord]:
    """Every record of several exchanges, in time order."""
    found = [r for ex in exchanges for r in simulate(topo, ex).records]
    return sorted(found, key=lambda r: r.record.start or 0)
