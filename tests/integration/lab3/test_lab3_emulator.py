"""Lab 3 on the emulator: the endpoint step and its check, the reset, the paths, teardown."""

from __future__ import annotations

import pytest

import labkit
from labkit import labs
from labkit.errors import CheckFailed
from labkit.labs.lab3 import checks
from labkit.labs.lab3.explain import explain
from labkit.labs.lab3.plan import Lab3


def _bucket(lab: labkit.Lab) -> Lab3:
    """Notebook 01's network, and the bucket notebook 04 makes (its name, its tag)."""
    labs.ensure_upto(lab, "01")
    plan = Lab3.for_lab(lab)
    lab.s3.create_bucket(Bucket=plan.bucket)
    lab.s3.put_bucket_tagging(Bucket=plan.bucket, Tagging={"TagSet": lab.tags(plan.bucket)})
    return plan


def test_lab3_steps_reset_and_teardown(lab: labkit.Lab) -> None:
    plan = _bucket(lab)
    assert plan.reset(lab) == []
    with pytest.raises(CheckFailed, match="step 05.1 failed: VPC 1 has no S3 gateway endpoint"):
        checks.endpoint_created(lab, plan)

    # Step 1, as the notebook's cell does it: no route table yet.
    created = lab.ec2.create_vpc_endpoint(
        VpcEndpointType="Gateway", VpcId=plan.vpc_id, ServiceName=plan.service,
        TagSpecifications=lab.tag_spec("vpc-endpoint", plan.endpoint_name),
    )["VpcEndpoint"]  # fmt: skip
    vpce = created["VpcEndpointId"]
    found = lab.existing("vpc-endpoint", plan.endpoint_name)  # the cell's re-run guard
    assert found is not None and found["VpcEndpointId"] == vpce
    line = str(checks.endpoint_created(lab, plan))
    assert line == (
        "step 05.1 ok: VPC 1 has one S3 gateway endpoint (available), "
        "associated with 0 route tables"
    )
    assert explain(lab, plan, plan.instance).path.kind == "internet"
    assert explain(lab, plan, None).path.kind == "internet"

    # Step 4's association moves the instance onto the endpoint path.
    lab.ec2.modify_vpc_endpoint(VpcEndpointId=vpce, AddRouteTableIds=[plan.route_table_id])
    through = explain(lab, plan, plan.instance)
    assert through.path.kind == "endpoint" and through.path.vpce_id == vpce
    assert "aws:SourceIp" not in through.path.context()

    # Step 2's policy is accepted by the guard, then stored.
    lab.s3.put_bucket_policy(Bucket=plan.bucket, Policy=plan.checked(plan.bucket_policy(vpce)))
    host = explain(lab, plan, None)
    assert host.decision is not None and host.decision.decision == "explicit_deny"
    assert [m.sid for m in host.decision.matched] == ["OnlyThroughTheEndpoint"]

    # A second endpoint (a cell run twice) fails step 1's check with the way out.
    second = lab.ec2.create_vpc_endpoint(
        VpcEndpointType="Gateway", VpcId=plan.vpc_id, ServiceName=plan.service
    )["VpcEndpoint"]["VpcEndpointId"]
    with pytest.raises(CheckFailed, match="VPC 1 has 2 S3 endpoints.*re-run the setup cell"):
        checks.endpoint_created(lab, plan)

    # The setup cell's reset: policy first, then every S3 endpoint of VPC 1 and its routes.
    made_by = "which a previous run of notebook 05 made"
    said = plan.reset(lab)
    assert said[0] == f"removed the policy of bucket {plan.bucket}, {made_by}"  # first
    assert sorted(said[1:]) == sorted([
        f"removed VPC endpoint VPC 1 S3 endpoint ({vpce}), {made_by}",
        f"removed VPC endpoint {second}, {made_by}",  # untagged: found in VPC 1 all the same
    ])  # fmt: skip
    assert plan.stored_policy(lab) is None and plan.endpoints(lab) == []
    assert lab.existing("vpc-endpoint", plan.endpoint_name) is None
    routes = lab.ec2.describe_route_tables(RouteTableIds=[plan.route_table_id])["RouteTables"]
    assert not [r for r in routes[0]["Routes"] if r.get("DestinationPrefixListId")]
    assert plan.reset(lab) == []

    # An earlier notebook's setup (here 02's) also takes notebook 05's changes back, first.
    lab.s3.put_bucket_policy(Bucket=plan.bucket, Policy=plan.checked(plan.bucket_policy("x")))
    made = lab.ec2.create_vpc_endpoint(
        VpcEndpointType="Gateway", VpcId=plan.vpc_id, ServiceName=plan.service,
        TagSpecifications=lab.tag_spec("vpc-endpoint", plan.endpoint_name),
    )["VpcEndpoint"]["VpcEndpointId"]  # fmt: skip
    lines = labs.ensure_upto(lab, "01")
    assert lines[:2] == [
        f"removed the policy of bucket {plan.bucket}, {made_by}",
        f"removed VPC endpoint VPC 1 S3 endpoint ({made}), {made_by}",
    ]
    assert plan.stored_policy(lab) is None and plan.endpoints(lab) == []

    # Teardown finds the tagged endpoint by its tag and leaves nothing tagged behind.
    lab.ec2.create_vpc_endpoint(
        VpcEndpointType="Gateway", VpcId=plan.vpc_id, ServiceName=plan.service,
        RouteTableIds=[plan.route_table_id],
        TagSpecifications=lab.tag_spec("vpc-endpoint", plan.endpoint_name),
    )  # fmt: skip
    planned = lab.teardown_plan()
    assert ("VPC endpoint", plan.endpoint_name) in [(r[0], r[2]) for r in planned.rows]
    lab.teardown()
    assert [r for r in lab.teardown_plan().rows if r[0] != "S3 bucket"] == []
    left = lab.ec2.describe_vpc_endpoints(Filters=lab.filters())["VpcEndpoints"]
    assert all(e["State"] in ("deleted", "deleting") for e in left)
