"""The policy tester's logic: request from a path, the decision, the deciding lines marked."""

from __future__ import annotations

import json

from labkit.cli.policy import decide as cli_decide
from labkit.labs.lab3.tester import (
    HOST_PUBLIC_IP,
    Probe,
    marked_lines,
    render_html,
    statement_spans,
    summary,
    try_request,
)

VPCE = "vpce-0a1b2c3d4e5f67890"
BUCKET_ARN = "arn:aws:s3:::lab-bucket"
USER = "arn:aws:iam::123456789012:user/lab-s3-user"
VPCE_ONLY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "OnlyThroughTheEndpoint",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": ["arn:aws:s3:::lab-bucket", "arn:aws:s3:::lab-bucket/*"],
      "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f67890"}}
    },
    {"Sid": "ReadFromAnywhere", "Effect": "Allow", "Principal": "*",
     "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::lab-bucket"}
  ]
}"""
USER_S3 = json.dumps(
    {"Statement": [{"Sid": "S3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
)
ENDPOINT_DENY = json.dumps(
    {
        "Statement": [
            {"Sid": "Closed", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}
        ]
    }  # fmt: skip
)


def probe(path: str, **extra: str) -> Probe:
    return Probe(USER, "s3:ListBucket", BUCKET_ARN, path, vpce_id=VPCE, vpc_id="vpc-1", **extra)


def test_statement_spans_are_the_lines_the_learner_typed() -> None:
    assert statement_spans(VPCE_ONLY) == ((4, 11), (12, 13))
    single = '{"Statement":\n  {"Effect": "Allow",\n   "Action": "*", "Resource": "*"}\n}'
    assert statement_spans(single) == ((2, 3),)
    assert statement_spans('{"Statement": [') == ()
    assert statement_spans("[1, 2]") == ()


def test_the_path_sets_the_network_keys_as_s3_does() -> None:
    assert probe("internet").context() == {"aws:SourceIp": HOST_PUBLIC_IP}
    through = probe("endpoint", vpc_source_ip="10.1.0.10").context()
    assert through == {"aws:SourceVpce": VPCE, "aws:SourceVpc": "vpc-1",
                       "aws:VpcSourceIp": "10.1.0.10"}  # fmt: skip
    assert "aws:SourceIp" not in through


def test_the_bucket_policy_denies_the_internet_and_allows_the_endpoint() -> None:
    texts = {"resource": VPCE_ONLY, "identity": USER_S3}
    over_internet = try_request(texts, probe("internet"))
    deciding = "explicit_deny: bucket policy of lab-bucket, statement 0"
    assert summary(over_internet).startswith(deciding)
    assert over_internet.decision and "explicit deny in a resource-based policy" in (
        over_internet.decision.message
    )
    assert summary(try_request(texts, probe("endpoint"))).startswith("allow:")


def test_the_endpoint_policy_applies_only_through_the_endpoint() -> None:
    texts = {"resource": VPCE_ONLY, "identity": USER_S3, "endpoint": ENDPOINT_DENY}
    through = try_request(texts, probe("endpoint"))
    assert through.decision and through.decision.decision == "explicit_deny"
    assert [(m.kind, m.sid) for m in through.decision.matched] == [("endpoint", "Closed")]
    assert "VPC endpoint policy" in through.decision.message
    # Over the internet the endpoint is not on the path: the bucket policy decides.
    outside = try_request(texts, probe("internet"))
    assert outside.decision and [m.kind for m in outside.decision.matched] == ["resource"]


def test_same_decision_as_labkit_policy_eval() -> None:
    texts = {"resource": VPCE_ONLY, "identity": USER_S3, "endpoint": ENDPOINT_DENY}
    for path in ("internet", "endpoint"):
        p = probe(path)
        ours = try_request(texts, p).decision
        endpoint = json.loads(ENDPOINT_DENY) if path == "endpoint" else None
        file = {"principal": p.principal, "action": p.action, "resource": p.resource,
                "context": p.context(), "identity_policies": [json.loads(USER_S3)],
                "resource_policy": json.loads(VPCE_ONLY), "endpoint_policy": endpoint}  # fmt: skip
        theirs = cli_decide(file)
        assert ours is not None
        assert ours.decision == theirs.decision
        assert [(m.kind, m.index) for m in ours.matched] == [
            (m.kind, m.index) for m in theirs.matched
        ]


def test_a_malformed_policy_is_one_line_saying_what_and_where() -> None:
    broken = VPCE_ONLY.replace('"Effect": "Deny",', '"Effect": "Deny"', 1)
    outcome = try_request({"resource": broken}, probe("internet"))
    assert outcome.decision is None
    assert outcome.error and "\n" not in outcome.error
    where = "bucket policy of lab-bucket: malformed JSON at line 7 column 7"
    assert outcome.error.startswith(where)
    bad_effect = VPCE_ONLY.replace('"Effect": "Allow"', '"Effect": "Permit"')
    error = try_request({"resource": bad_effect}, probe("internet")).error
    assert error and "statement 1" in error and "Permit" in error
    assert "error:" in render_html(try_request({"resource": broken}, probe("internet")))


def test_only_the_deciding_statement_is_highlighted() -> None:
    texts = {"resource": VPCE_ONLY, "identity": USER_S3}
    shown = render_html(try_request(texts, probe("internet")))
    assert shown.count('data-decides="1"') == 8  # lines 4 to 11: the Deny statement
    assert "OnlyThroughTheEndpoint" in shown and "explicit_deny" in shown
    assert marked_lines(VPCE_ONLY, {1: "Allow"}) == {12: "Allow", 13: "Allow"}


def test_an_empty_request_field_is_named() -> None:
    outcome = try_request({"identity": USER_S3}, Probe(USER, " ", BUCKET_ARN))
    assert outcome.error == "the request has no action: fill it in"
