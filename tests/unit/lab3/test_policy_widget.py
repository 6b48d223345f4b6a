"""The policy tester widget: typing a policy or changing the request re-decides, live."""

from __future__ import annotations

import json

import ipywidgets as w

from labkit.widgets import policy_tester

VPCE = "vpce-0a1b2c3d4e5f67890"
VPCE_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "OnlyThroughTheEndpoint",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::lab-bucket", "arn:aws:s3:::lab-bucket/*"],
            "Condition": {"StringNotEquals": {"aws:SourceVpce": VPCE}},
        }
    ],
}


def parts(panel: w.VBox) -> tuple[dict[str, w.Textarea], dict[str, w.Widget], w.HTML]:
    tabs, form, shown = panel.children
    areas = {tabs.get_title(i): area for i, area in enumerate(tabs.children)}
    fields = {field.description: field for field in form.children}
    return areas, fields, shown


def test_typing_a_policy_and_a_request_updates_the_decision() -> None:
    panel = policy_tester(bucket_policy=VPCE_ONLY, vpce_id=VPCE, path="endpoint")
    areas, fields, shown = parts(panel)
    assert "<b" in shown.value and ">allow</b>" in shown.value
    fields["path"].value = "internet"
    assert ">explicit_deny</b>" in shown.value and "OnlyThroughTheEndpoint" in shown.value
    fields["path"].value = "endpoint"
    fields["vpce id"].value = "vpce-somewhere-else"
    assert ">explicit_deny</b>" in shown.value
    fields["vpce id"].value = VPCE
    areas["endpoint policy"].value = json.dumps(
        {
            "Statement": [
                {
                    "Sid": "Closed",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "*",
                    "Resource": "*",
                }
            ]
        }  # fmt: skip
    )
    assert ">explicit_deny</b>" in shown.value and "endpoint policy of " + VPCE in shown.value
    assert "with an explicit deny in a VPC endpoint policy" in shown.value
    areas["endpoint policy"].value = ""
    assert ">allow</b>" in shown.value


def test_a_malformed_policy_shows_one_line() -> None:
    areas, fields, shown = parts(policy_tester(bucket_policy=VPCE_ONLY, vpce_id=VPCE))
    areas["bucket policy"].value = '{"Statement": [{"Effect": "Deny",}]}'
    assert shown.value.startswith('<div style="color:#a00"><b>error:</b> bucket policy of')
    assert "malformed JSON at line 1 column 34" in shown.value
    assert shown.value.count("<div") == 1
    areas["bucket policy"].value = json.dumps(VPCE_ONLY)
    assert "error" not in shown.value


def test_the_inputs_update_as_the_learner_types() -> None:
    areas, fields, _ = parts(policy_tester())
    assert all(area.continuous_update for area in areas.values())
    assert fields["principal"].continuous_update and fields["resource"].continuous_update
