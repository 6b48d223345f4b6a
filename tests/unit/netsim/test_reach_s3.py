"""reach to "s3": the forward hops name the gateway endpoint or the internet gateway."""

from __future__ import annotations

from dataclasses import replace

import pytest

from labkit.errors import LabkitError
from labkit.netsim import codes, reach
from labkit.netsim.model import Route, RouteTable
from labkit.netsim.topologies import Builder, lab1_builder


def lab() -> tuple[Builder, dict[str, str]]:
    return lab1_builder(flow_log=False)


def private(b: Builder, ids: dict[str, str]) -> None:
    b.replace(replace(b.get(ids["eni1"]), public_ip=None))  # type: ignore[type-var]
    rtb = b.get(ids["rtb1"])
    assert isinstance(rtb, RouteTable)
    b.replace(replace(rtb, routes=(Route("10.1.0.0/16", "local"),)))


def test_through_the_internet_gateway() -> None:
    b, ids = lab()
    verdict = reach(b.build(), "Instance 1", "s3")
    assert verdict.reachable, verdict.explanation
    assert ids["igw1"] in verdict.forward and ids["rtb1"] in verdict.forward
    assert "S3" in verdict.explanation and "TCP port 443" in verdict.explanation


def test_through_the_endpoint_even_with_a_default_route() -> None:
    b, ids = lab()
    vpce = b.gateway_endpoint(ids["vpc1"], [ids["rtb1"]])
    verdict = reach(b.build(), ids["instance1"], "S3")
    assert verdict.reachable
    assert verdict.forward[-2:] == (ids["rtb1"], vpce)
    assert ids["igw1"] not in verdict.forward
    assert f"via {vpce}" in verdict.explanation


def test_private_subnet_without_endpoint_names_the_route_table() -> None:
    b, ids = lab()
    private(b, ids)
    verdict = reach(b.build(), "Instance 1", "s3")
    assert verdict.blocked_by is not None
    assert (verdict.blocked_by.component, verdict.blocked_by.code) == (
        ids["rtb1"],
        codes.CANNOT_ROUTE,
    )
    assert "gateway endpoint for com.amazonaws.us-east-1.s3" in verdict.explanation
    b.gateway_endpoint(ids["vpc1"], [ids["rtb1"]])
    assert reach(b.build(), "Instance 1", "s3").reachable


def test_security_group_without_https_egress_blocks_s3() -> None:
    b, ids = lab()
    b.gateway_endpoint(ids["vpc1"], [ids["rtb1"]])
    b.replace(replace(b.get(ids["sg1"]), egress=()))  # type: ignore[type-var]
    verdict = reach(b.build(), "Instance 1", "s3")
    assert verdict.blocked_by is not None
    assert verdict.blocked_by.component == ids["sg1"]
    assert "TCP port 443" in verdict.explanation


def test_s3_is_https_only() -> None:
    b, _ = lab()
    with pytest.raises(LabkitError, match="HTTPS"):
        reach(b.build(), "Instance 1", "s3", "udp", 53)
