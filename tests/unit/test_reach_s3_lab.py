"""lab.reach(..., "s3") on the emulator: the internet gateway, then the gateway endpoint."""

from __future__ import annotations

import labkit
from labkit.labs.lab1 import plan as lab1_plan


def test_lab_reach_s3_names_the_igw_then_the_endpoint(lab: labkit.Lab) -> None:
    lab1_plan.build_lab1(lab, labkit.Lab1())
    before = lab.reach("Instance 1", "s3")
    assert repr(before).startswith("Instance 1 → s3 (TCP port 443): reachable")
    assert any(h.startswith("igw-") for h in before.verdict.forward)
    topo = lab.topology()
    eni = topo.get(topo.get(lab.instance("Instance 1").instance_id).interface_ids[0])
    table = topo.route_table_for(eni.subnet_id)
    vpce = lab.ec2.create_vpc_endpoint(
        VpcId=table.vpc_id,
        ServiceName=f"com.amazonaws.{lab.region}.s3",
        VpcEndpointType="Gateway",
        RouteTableIds=[table.id],
    )["VpcEndpoint"]["VpcEndpointId"]
    try:
        after = lab.reach("Instance 1", "s3")
        assert after.verdict.reachable
        assert after.verdict.forward[-2:] == (table.id, vpce)
        assert vpce in repr(after)
    finally:
        lab.ec2.delete_vpc_endpoints(VpcEndpointIds=[vpce])
