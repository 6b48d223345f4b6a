"""``labkit policy eval`` run as a user runs it: ``python -m labkit policy eval --request F``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
USER = "arn:aws:iam::123456789012:user/lab-s3-user"
READ_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "ReadLabBucket", "Effect": "Allow",
                   "Action": ["s3:ListBucket", "s3:GetObject"],
                   "Resource": ["arn:aws:s3:::lab-bucket", "arn:aws:s3:::lab-bucket/*"]}],
}  # fmt: skip
VPCE_ONLY = {
    "Statement": [{"Sid": "Access-to-specific-VPCE-only", "Principal": "*", "Action": "s3:*",
                   "Effect": "Deny",
                   "Resource": ["arn:aws:s3:::lab-bucket", "arn:aws:s3:::lab-bucket/*"],
                   "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d"}}}],
}  # fmt: skip


def _request(**changes: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "principal": USER,
        "action": "s3:ListBucket",
        "resource": "arn:aws:s3:::lab-bucket",
        "context": {"aws:SourceIp": "203.0.113.10"},
        "identity_policies": [READ_ONLY],
        "resource_policy": None,
        "endpoint_policy": None,
    }
    request.update(changes)
    return request


def _eval(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "labkit", "policy", "eval", "--request", str(path), *extra],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


def _write(tmp_path: Path, request: Any) -> Path:
    path = tmp_path / "request.json"
    path.write_text(request if isinstance(request, str) else json.dumps(request))
    return path


def test_json_shape_explicit_deny(tmp_path: Path) -> None:
    """JSON: decision, the deciding statement with policy/kind/sid/effect/index, a reason."""
    path = _write(tmp_path, _request(resource_policy=VPCE_ONLY))
    done = _eval(path, "--format", "json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert set(answer) == {"decision", "matched", "reason"}
    assert answer["decision"] == "explicit_deny"
    assert answer["matched"] == [{"policy": "bucket policy", "kind": "resource",
                                  "sid": "Access-to-specific-VPCE-only", "effect": "Deny",
                                  "index": 0}]  # fmt: skip
    assert "Access-to-specific-VPCE-only" in answer["reason"]


def test_json_allow_through_endpoint(tmp_path: Path) -> None:
    """Through the named endpoint the same request is allowed by the user's statement."""
    endpoint = {
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]
    }
    path = _write(tmp_path, _request(resource_policy=VPCE_ONLY, endpoint_policy=endpoint,
                                     context={"aws:SourceVpce": "vpce-0a1b2c3d"}))  # fmt: skip
    answer = json.loads(_eval(path, "--format", "json").stdout)
    assert answer["decision"] == "allow"
    assert [m["sid"] for m in answer["matched"]] == ["ReadLabBucket", None]


def test_text_output_names_statement_reason_and_message(tmp_path: Path) -> None:
    """Text: the decision, the deciding statement, the reason and AWS's message, one per line."""
    path = _write(tmp_path, _request(action="s3:PutObject", resource="arn:aws:s3:::lab-bucket/t"))
    done = _eval(path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "decision: implicit_deny"
    assert lines[1] == "deciding statements: none (nothing allows the request)"
    assert lines[2].startswith("reason: Implicitly denied: no statement of identity policy 1")
    assert lines[3] == (
        f"AWS says: User: {USER} is not authorized to perform: s3:PutObject on resource: "
        '"arn:aws:s3:::lab-bucket/t" '
        "because no identity-based policy allows the s3:PutObject action"
    )


def test_text_output_lists_deny_statement(tmp_path: Path) -> None:
    """Text: an explicit deny shows the policy, statement index, Sid and effect."""
    done = _eval(_write(tmp_path, _request(resource_policy=VPCE_ONLY)))
    assert (
        '  - bucket policy, statement 0 (Sid "Access-to-specific-VPCE-only"), Deny'
        in done.stdout.splitlines()
    )


BAD_REQUESTS = [
    ("missing file", None, "cannot read request file"),
    ("malformed JSON", '{"principal": ', "malformed JSON at line 1 column 15"),
    ("not an object", "[]", "the request must be a JSON object"),
    ("missing key", json.dumps({"principal": USER, "resource": "arn:aws:s3:::b"}),
     "missing action"),
    ("bad policy", json.dumps(_request(identity_policies=[{"Statement": [{"Action": "s3:*"}]}])),
     "identity policy 1, statement 0: missing Effect"),
    ("bad operator", json.dumps(_request(resource_policy={"Statement": [{"Effect": "Deny",
     "Principal": "*", "Action": "s3:*", "Resource": "*",
     "Condition": {"StringNotEqual": {"aws:SourceVpce": "v"}}}]})),
     "unknown condition operator 'StringNotEqual'"),
    ("identity policies not a list", json.dumps(_request(identity_policies={"Statement": []})),
     "identity_policies must be a list"),
    ("context not an object", json.dumps(_request(context=["aws:SourceIp"])),
     "context must be an object"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "content", "fragment"), BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS]
)
def test_bad_request_file_is_one_line_and_exit_1(
    tmp_path: Path, label: str, content: str | None, fragment: str
) -> None:
    """A bad request file: one line on stderr naming the problem, exit 1, no traceback."""
    path = tmp_path / "missing.json" if content is None else _write(tmp_path, content)
    done = _eval(path)
    assert done.returncode == 1, label
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("labkit policy: ")
    assert fragment in lines[0]
