"""Lab 1's connectivity story through labkit: shell over SSM, reach, peering, route tables."""

from __future__ import annotations

import pytest

import labkit
from labkit.errors import CheckFailed, ConfigError, LabkitError, NotFoundError
from labkit.labs.lab1 import checks
from labkit.labs.lab1 import plan as lab1_plan


@pytest.fixture
def built(lab: labkit.Lab) -> labkit.Lab:
    lab1_plan.build_lab1(lab, labkit.Lab1())
    return lab


def test_private_ping_fails_until_peering_and_routes_on_both_sides(built: labkit.Lab) -> None:
    lab = built
    two = lab.instance("Instance 2")
    before = lab.shell("Instance 1", f"ping -c 3 -W 1 {two.private_ip}")
    assert before.exit_code == 1
    assert checks.ping_counts(before.stdout) == (3, 0)
    public = lab.shell("Instance 1", f"ping -c 2 {two.public_ip}")
    assert public.ok and checks.ping_counts(public.stdout) == (2, 2)

    verdict = lab.reach("Instance 1", two.private_ip).verdict
    table = lab.route_table("VPC 1")
    assert not verdict.reachable and verdict.blocked_by.code == "CANNOT_ROUTE"
    assert verdict.blocked_by.component == table.columns[0].split(":")[0]

    plan = labkit.Lab1()
    requested = plan.request_peering(lab)
    assert requested.status == "pending-acceptance"
    assert plan.accept_peering(lab).status == "active"
    only_one_side = lab.shell("Instance 1", f"ping -c 1 {two.private_ip}")
    assert not only_one_side.ok, "accepted but unrouted, the peering carries nothing"

    routes = plan.peering_routes(lab)
    assert routes == [
        f"VPC 1: 10.2.0.0/16 → {requested.peering_id}",
        f"VPC 2: 10.1.0.0/16 → {requested.peering_id}",
    ]
    after = lab.shell("Instance 1", f"ping -c 3 {two.private_ip}")
    assert after.ok and checks.ping_counts(after.stdout) == (3, 3)
    assert lab.reach("Instance 1", two.private_ip).verdict.reachable
    assert ("10.2.0.0/16", requested.peering_id, "active") in lab.route_table("VPC 1").rows
    assert "active, with a route to the other VPC on each side" in repr(
        checks.peering_routes(lab, "02.4", "VPC 1", "VPC 2")
    )


def test_peering_builders_are_idempotent(built: labkit.Lab) -> None:
    plan = labkit.Lab1()
    first = plan.request_peering(built)
    plan.accept_peering(built)
    plan.peering_routes(built)
    assert plan.request_peering(built).peering_id == first.peering_id
    plan.accept_peering(built)
    plan.peering_routes(built)
    live = built.ec2.describe_vpc_peering_connections()["VpcPeeringConnections"]
    ours = [p for p in live if {"Key": "labkit-lab", "Value": built.prefix} in p.get("Tags", [])]
    assert len(ours) == 1
    filtered = built.ec2.describe_vpc_peering_connections(Filters=built.filters())
    assert [p["VpcPeeringConnectionId"] for p in filtered["VpcPeeringConnections"]] == [
        first.peering_id
    ], "the emulator honours DescribeVpcPeeringConnections filters, as AWS does"
    failed = built.ec2.describe_vpc_peering_connections(
        Filters=built.filters() + [{"Name": "status-code", "Values": ["failed"]}]
    )
    assert failed["VpcPeeringConnections"] == []
    assert len(built.route_table("VPC 1").rows) == 3


def test_skipping_the_accept_step_fails_with_the_accept_call_as_hint(built: labkit.Lab) -> None:
    plan = labkit.Lab1()
    pcx = plan.request_peering(built).peering_id
    accept = (
        r"accept it first with lab\.ec2\.accept_vpc_peering_connection"
        rf"\(VpcPeeringConnectionId='{pcx}'\)"
    )
    with pytest.raises(ConfigError, match="is still pending acceptance: " + accept):
        plan.peering_routes(built)
    table = built.existing("route-table", "VPC 1")
    assert table is not None
    built.ec2.create_route(
        RouteTableId=table["RouteTableId"],
        DestinationCidrBlock="10.2.0.0/16",
        VpcPeeringConnectionId=pcx,
    )
    with pytest.raises(
        CheckFailed,
        match=r"step 02\.4 failed: the peering connection VPC 1 ↔ VPC 2 is still pending "
        r"acceptance\. Hint: " + accept,
    ):
        checks.peering_routes(built, "02.4", "VPC 1", "VPC 2")
    plan.accept_peering(built)
    with pytest.raises(
        CheckFailed, match=r"VPC 2's route table has no route to 10\.1\.0\.0/16.*create_route\("
    ):
        checks.peering_routes(built, "02.4", "VPC 1", "VPC 2")


def test_undoing_the_peering_lets_notebook_02_run_again(built: labkit.Lab) -> None:
    plan = labkit.Lab1()
    lab1_plan.build_lab1_peering(built, plan)
    removed = plan.undo_peering(built)
    assert [line.split(" → ")[0] for line in removed[:2]] == [
        "the route VPC 1: 10.2.0.0/16",
        "the route VPC 2: 10.1.0.0/16",
    ]
    assert removed[2].startswith("the peering connection VPC 1 ↔ VPC 2 (pcx-")
    assert len(removed) == 3
    assert built.existing("vpc-peering-connection", "VPC 1 ↔ VPC 2") is None
    assert len(built.route_table("VPC 1").rows) == 2
    with pytest.raises(CheckFailed, match="there is no peering connection VPC 1 ↔ VPC 2"):
        checks.peering_routes(built, "02.4", "VPC 1", "VPC 2")
    lab1_plan.build_lab1_peering(built, plan)
    assert "active" in repr(checks.peering_routes(built, "02.4", "VPC 1", "VPC 2"))


def test_existing_answers_like_the_create_call_and_lists_known_kinds(lab: labkit.Lab) -> None:
    made = lab.ec2.create_vpc(CidrBlock="10.9.0.0/16", TagSpecifications=lab.tag_spec("vpc", "V"))
    found = lab.existing("vpc", "V")
    assert found is not None and found["VpcId"] == made["Vpc"]["VpcId"]
    assert lab.existing("vpc", "W") is None
    with pytest.raises(ConfigError, match="unknown kind of resource 'vpcs': known kinds are vpc, "):
        lab.existing("vpcs", "V")


def test_the_ping_check_fails_with_a_hint(built: labkit.Lab) -> None:
    two = built.instance("Instance 2")
    with pytest.raises(CheckFailed, match=r"step 02.5 failed: Instance 1 gets no reply.*reach"):
        checks.ping(built, "02.5", "Instance 1", "Instance 2", two.private_ip, expect=True)


def test_shell_errors_are_one_line(built: labkit.Lab) -> None:
    with pytest.raises(NotFoundError, match="unknown instance 'Instance 7'"):
        built.shell("Instance 7", "hostname")
    with pytest.raises(LabkitError, match="no command given"):
        built.shell("Instance 1", "  ")
    missing = built.shell("Instance 1", "traceroute 10.2.0.10")
    assert missing.exit_code == 127 and "command not found" in missing.stderr
    assert "(exit code 127)" in repr(missing)


def test_accepting_without_a_request_says_what_to_do(built: labkit.Lab) -> None:
    with pytest.raises(ConfigError, match="no peering request VPC 1 ↔ VPC 2: request it first"):
        labkit.Lab1().accept_peering(built)


def test_route_table_of_a_missing_vpc(lab: labkit.Lab) -> None:
    with pytest.raises(NotFoundError, match="VPC 1 does not exist: run notebook 01 first"):
        lab.route_table("VPC 1")


def test_ping_panel_lists_every_address(built: labkit.Lab) -> None:
    from labkit.widgets import ping_panel

    panel = ping_panel(built)
    source, target = panel.children[0].children[:2]
    assert list(source.options) == ["Instance 1", "Instance 2"]
    labels = [label for label, _ in target.options]
    assert "Instance 2 private 10.2.0.10" in labels
    assert any(label.startswith("Instance 2 public ") for label in labels)


def test_ping_panel_button_pings_and_explains(
    built: labkit.Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    from labkit.widgets import ping_panel

    panel = ping_panel(built)
    source, target, count, button = panel.children[0].children
    target.value = "10.2.0.10"
    count.value = 2
    button.click()
    shown = capsys.readouterr().out
    assert "[ec2-user@Instance 1 ~]$ ping -c 2 10.2.0.10" in shown
    assert "2 packets transmitted, 0 received" in shown
    assert "NOT reachable" in shown and "CANNOT_ROUTE" in shown
