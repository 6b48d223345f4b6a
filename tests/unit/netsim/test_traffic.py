"""Traffic → flow-log records: which ENI records what, with which action (AWS's examples)."""

from __future__ import annotations

from dataclasses import replace

from labkit.netsim.background import background_exchanges, background_records
from labkit.netsim.model import FlowLog, NaclRule
from labkit.netsim.records import FlowRecord, LogFormat
from labkit.netsim.topologies import Builder, allow_tcp, public_vpc, two_vpcs
from labkit.netsim.traffic import Exchange, records_for, simulate

T0 = 1_700_000_000


def lines(topo, exchange):  # type: ignore[no-untyped-def]
    return [r.line() for r in simulate(topo, exchange).records]


def ping(src: str, dst: str, count: int = 4) -> Exchange:
    return Exchange(src, dst, packets=count, bytes=84 * count, start=T0)


def test_private_ping_before_peering_leaves_only_the_egress_accept() -> None:
    topo, ids = two_vpcs()
    assert lines(topo, ping("Instance 1", "10.2.0.10")) == [
        f"2 123456789012 {ids['eni1']} 10.1.0.10 10.2.0.10 0 0 1 4 336 {T0} {T0 + 3} ACCEPT OK"
    ]


def test_public_ping_shows_private_address_of_the_eni_and_public_of_the_peer() -> None:
    topo, ids = two_vpcs()
    out = [FlowRecord.parse(line) for line in lines(topo, ping("Instance 1", "54.2.0.10"))]
    assert [(r.srcaddr, r.dstaddr, r.action) for r in out] == [
        ("10.1.0.10", "54.2.0.10", "ACCEPT"),
        ("54.2.0.10", "10.1.0.10", "ACCEPT"),
    ]
    assert all((r.srcport, r.dstport, r.protocol) == (0, 0, 1) for r in out)  # ICMP: 0 0


def test_both_enis_record_when_both_are_logged() -> None:
    topo, ids = two_vpcs(peered=True)
    topo = topo.with_resource(FlowLog("fl-2", ids["vpc2"], log_group="g2"))
    out = simulate(topo, ping("Instance 1", "Instance 2")).records
    seen = [(r.flow_log.id, r.record.interface_id, r.record.srcaddr, r.record.action) for r in out]
    assert seen == [
        (ids["flow_log"], ids["eni1"], "10.1.0.10", "ACCEPT"),  # request leaves Instance 1
        ("fl-2", ids["eni2"], "10.1.0.10", "ACCEPT"),  # request reaches Instance 2
        ("fl-2", ids["eni2"], "10.2.0.10", "ACCEPT"),  # reply leaves Instance 2
        (ids["flow_log"], ids["eni1"], "10.2.0.10", "ACCEPT"),  # reply reaches Instance 1
    ]


def _inbound_lab() -> tuple[Builder, dict[str, str]]:
    b = Builder()
    ids = public_vpc(b, 1)
    ids["fl"] = b.flow_log(ids["vpc"])
    return b, ids


def test_sg_rejected_inbound_is_a_single_reject() -> None:
    b, ids = _inbound_lab()
    b.replace(replace(b.get(ids["sg"]), ingress=(allow_tcp(22),)))  # type: ignore[type-var]
    out = lines(b.build(), Exchange("203.0.113.12", "54.1.0.10", packets=4, bytes=336, start=T0))
    assert out == [
        f"2 123456789012 {ids['eni']} 203.0.113.12 10.1.0.10 0 0 1 4 336 {T0} {T0 + 3} REJECT OK"
    ]


def test_nacl_dropped_reply_gives_accept_then_reject() -> None:
    # AWS's worked example: SG allows ICMP in, the NACL allows ICMP in but not out.
    b, ids = _inbound_lab()
    b.acl(
        ids["vpc"],
        [NaclRule(100, False, True, 1), NaclRule(100, True, True, 6, "0.0.0.0/0", 22, 22)],
        [ids["subnet"]],
    )
    out = [
        FlowRecord.parse(x)
        for x in lines(
            b.build(), Exchange("203.0.113.12", "54.1.0.10", packets=4, bytes=336, start=T0)
        )
    ]
    assert [(r.srcaddr, r.dstaddr, r.action) for r in out] == [
        ("203.0.113.12", "10.1.0.10", "ACCEPT"),
        ("10.1.0.10", "203.0.113.12", "REJECT"),
    ]


def test_traffic_type_filters_records() -> None:
    b, ids = _inbound_lab()
    b.replace(replace(b.get(ids["fl"]), traffic_type="REJECT"))  # type: ignore[type-var]
    topo = b.build()
    assert lines(topo, Exchange("203.0.113.12", "54.1.0.10", "tcp", 22, start=T0)) == []
    rejected = lines(topo, Exchange("203.0.113.12", "54.1.0.10", "tcp", 3389, start=T0))
    assert len(rejected) == 1 and rejected[0].endswith("REJECT OK")


def test_custom_v5_format_fields() -> None:
    b, ids = _inbound_lab()
    fmt = (
        "${version} ${interface-id} ${flow-direction} ${traffic-path} ${vpc-id} ${instance-id} "
        "${tcp-flags}"
    )
    b.replace(replace(b.get(ids["fl"]), log_format=fmt))  # type: ignore[type-var]
    out = lines(b.build(), Exchange("Instance 1", "93.184.216.34", "tcp", 443, start=T0))
    eni, vpc, inst = ids["eni"], ids["vpc"], ids["instance"]
    assert out == [f"5 {eni} egress 8 {vpc} {inst} 3", f"5 {eni} ingress - {vpc} {inst} 19"]


def test_records_are_in_time_order() -> None:
    topo, _ = two_vpcs()
    out = records_for(
        topo,
        [ping("Instance 1", "54.2.0.10") for _ in range(1)]
        + [replace(ping("Instance 1", "54.2.0.10"), start=T0 - 100)],
    )
    starts = [int(r.record.start or 0) for r in out]
    assert starts == sorted(starts) == [T0 - 100, T0 - 100, T0, T0]


def test_background_is_seeded_and_has_rejects() -> None:
    topo, _ = two_vpcs()
    first = [r.line() for r in background_records(topo, 40, seed=7, start=T0)]
    again = [r.line() for r in background_records(topo, 40, seed=7, start=T0)]
    other = [r.line() for r in background_records(topo, 40, seed=8, start=T0)]
    assert first == again != other
    assert len(first) == 40
    assert any(line.endswith("REJECT OK") for line in first)
    assert any(" 443 6 " in line for line in first)
    assert all(T0 <= FlowRecord.parse(x).start < T0 + 600 for x in first)  # type: ignore[operator]


def test_background_without_flow_logs_or_public_instances_is_empty() -> None:
    topo, _ = two_vpcs(flow_log=False)
    assert background_records(topo, 10) == []
    assert len(background_exchanges(topo, 10)) == 10
    assert LogFormat.parse(None).version == 2


def _s3_records(endpoint: bool) -> tuple[list[FlowRecord], dict[str, str]]:
    from labkit.netsim.topologies import lab1_builder

    b, ids = lab1_builder()
    if endpoint:
        ids["vpce"] = b.gateway_endpoint(ids["vpc1"], [ids["rtb1"]])
    fmt = LogFormat.parse(
        "${srcaddr} ${dstaddr} ${dstport} ${protocol} ${action} ${flow-direction} "
        "${traffic-path} ${pkt-dst-aws-service} ${pkt-src-aws-service}"
    )
    exchange = Exchange("Instance 1", "s3", "tcp", 443, packets=10, bytes=4000, start=T0)
    topo = b.build()
    topo = topo.with_resource(replace(topo.get(ids["flow_log"]), log_format=fmt.text))
    out = simulate(topo, exchange).records
    return [FlowRecord.parse(r.line(), fmt) for r in out], ids


def test_s3_through_the_internet_gateway_goes_to_s3_addresses_with_path_8() -> None:
    out, _ = _s3_records(endpoint=False)
    assert [(r.srcaddr, r.dstaddr, r.flow_direction, r.traffic_path) for r in out] == [
        ("10.1.0.10", "52.216.0.1", "egress", 8),  # IGW, Nitro (t3)
        ("52.216.0.1", "10.1.0.10", "ingress", None),  # traffic-path is egress-only
    ]
    assert (out[0].dstport, out[0].protocol, out[0].action) == (443, 6, "ACCEPT")
    assert (out[0].pkt_dst_aws_service, out[1].pkt_src_aws_service) == ("S3", "S3")


def test_s3_through_the_gateway_endpoint_has_traffic_path_7() -> None:
    out, _ = _s3_records(endpoint=True)
    assert [(r.dstaddr, r.traffic_path, r.action) for r in out] == [
        ("52.216.0.1", 7, "ACCEPT"),
        ("10.1.0.10", None, "ACCEPT"),
    ]


def test_background_never_predates_the_flow_log() -> None:
    topo, ids = two_vpcs()
    created = T0 + 300  # the flow log appeared halfway through the ten-minute window
    topo = replace(
        topo,
        flow_logs=tuple(replace(f, created=created) for f in topo.flow_logs),
    )
    records = background_records(topo, 60, seed=7, start=T0, span=600)
    assert len(records) == 60
    assert min(int(r.record.start) for r in records) == created  # type: ignore[arg-type]
    assert all(int(r.record.end) >= int(r.record.start) for r in records)  # type: ignore[arg-type]
    # Without a creation time (a hand-built topology) nothing moves.
    plain, _ = two_vpcs()
    starts = [r.record.start for r in background_records(plain, 60, seed=7, start=T0)]
    assert min(int(s) for s in starts) < created  # type: ignore[arg-type]
