"""The policy tester: edit the bucket, endpoint and IAM policies, describe a request, see why.

Live: every edit re-decides (``observe`` on each input, ``continuous_update`` on). The
logic is :mod:`labkit.labs.lab3.tester`; this module only wires inputs to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as w

from labkit.labs.lab3.tester import HOST_PUBLIC_IP, Probe, policy_text, render_html, try_request

TABS = (("resource", "bucket policy"), ("endpoint", "endpoint policy"), ("identity", "IAM policy"))
# An IAM policy that allows every S3 action: what the lab's administrator has.
S3_ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "AdminS3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


def policy_tester(
    bucket_policy: str | Mapping[str, Any] | None = None,
    endpoint_policy: str | Mapping[str, Any] | None = None,
    identity_policy: str | Mapping[str, Any] | None = S3_ADMIN_POLICY,
    principal: str = "arn:aws:iam::123456789012:user/lab-admin",
    action: str = "s3:ListBucket",
    resource: str = "arn:aws:s3:::lab-bucket",
    path: str = "endpoint",
    vpce_id: str = "",
    vpc_id: str = "",
    vpc_source_ip: str = "10.1.0.10",
    source_ip: str = HOST_PUBLIC_IP,
) -> w.VBox:
    """A panel that decides a request against editable policies, live, as AWS would.

    Parameters
    ----------
    bucket_policy, endpoint_policy, identity_policy: the starting documents (text or dict;
        None = none). A blank endpoint policy stands for the default, full-access one.
    principal, action, resource: the request, e.g. a user ARN, "s3:GetObject" and
        "arn:aws:s3:::bucket/key".
    path: "endpoint" (through ``vpce_id`` in ``vpc_id`` from ``vpc_source_ip``) or
        "internet" (from ``source_ip``).

    Returns
    -------
    The panel: the policy tabs, the request form, then the decision with the deciding
    statements highlighted (display it as a cell's last value).
    """
    starting = {"resource": bucket_policy, "endpoint": endpoint_policy, "identity": identity_policy}
    areas = {
        kind: w.Textarea(
            value=policy_text(starting[kind]),
            continuous_update=True,
            layout={"width": "100%", "height": "16em"},
        )
        for kind, _ in TABS
    }
    tabs = w.Tab(children=[areas[kind] for kind, _ in TABS], titles=[t for _, t in TABS])

    def text(description: str, value: str) -> w.Text:
        return w.Text(
            value=value,
            description=description,
            continuous_update=True,
            layout={"width": "40em"},
            style={"description_width": "7em"},
        )

    fields = {
        "principal": text("principal", principal),
        "action": text("action", action),
        "resource": text("resource", resource),
        "path": w.ToggleButtons(
            options=["endpoint", "internet"],
            value=path,
            description="path",
            style={"description_width": "7em"},
        ),
        "vpce_id": text("vpce id", vpce_id),
        "vpc_id": text("vpc id", vpc_id),
        "vpc_source_ip": text("private IP", vpc_source_ip),
        "source_ip": text("source IP", source_ip),
    }
    shown = w.HTML()

    def decide(_: object = None) -> None:
        probe = Probe(**{name: field.value for name, field in fields.items()})
        outcome = try_request({kind: area.value for kind, area in areas.items()}, probe)
        shown.value = render_html(outcome)

    for control in [*areas.values(), *fields.values()]:
        control.observe(decide, names="value")
    decide()
    form = w.VBox(list(fields.values()))
    return w.VBox([tabs, form, shown])
