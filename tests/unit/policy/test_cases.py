"""The JSON case files in tests/cases/policy, run by one parametrized test.

Each file has ``given`` (a default ``request`` and named ``policies``) and ``cases``. A case
gives the fields of ``request`` it changes (``context`` replaces the default's), its
policies, and either a ``result`` (``decision``, ``matched_sids`` in order, and optionally
``matched_policies`` and AWS's exact ``message``) or an ``error`` (one or more fragments of
the one-line PolicyError).

Policies: ``identity_policies`` (a list), ``resource_policy`` and ``endpoint_policy``; each
entry is the name of a policy in ``given`` (then that name is the policy's name), a
document written inline, or ``{"json_text": "..."}`` for raw text. Two shorthands:
``allow_if`` is a Condition block wrapped in an identity policy
``{"Sid": "Cond", "Effect": "Allow", "Action": "*", "Resource": "*", "Condition": ...}``
(allow = the condition holds, implicit deny = it does not), and
``endpoint_policy_padded_to`` is AWS's default endpoint policy padded with spaces to that
many characters.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from labkit.policy import Policy, PolicyError, Request, evaluate, parse_policy

CASES_DIR = Path(__file__).resolve().parents[2] / "cases" / "policy"
DEFAULT_ENDPOINT_POLICY = (
    '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}'
)


def _load() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.json")):
        spec = json.loads(path.read_text())
        for index, case in enumerate(spec["cases"]):
            params.append(pytest.param(spec["given"], case, id=f"{path.stem}[{index}]"))
    return params


def _policy(entry: Any, given: dict[str, Any], default_name: str, kind: str) -> Policy:
    if isinstance(entry, str):
        return parse_policy(given["policies"][entry], name=entry, kind=kind)
    if "json_text" in entry:
        return parse_policy(entry["json_text"], name=default_name, kind=kind)
    return parse_policy(entry, name=default_name, kind=kind)


def _policies(case: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    identity = [
        _policy(entry, given, f"identity policy {i + 1}", "identity")
        for i, entry in enumerate(case.get("identity_policies", []))
    ]
    if "allow_if" in case:
        document = {"Statement": [{"Sid": "Cond", "Effect": "Allow", "Action": "*",
                                   "Resource": "*", "Condition": case["allow_if"]}]}  # fmt: skip
        identity.append(parse_policy(document, name="condition under test", kind="identity"))
    resource = case.get("resource_policy")
    endpoint = case.get("endpoint_policy")
    endpoint_policy = _policy(endpoint, given, "endpoint policy", "endpoint") if endpoint else None
    if "endpoint_policy_padded_to" in case:
        text = DEFAULT_ENDPOINT_POLICY.ljust(case["endpoint_policy_padded_to"])
        endpoint_policy = parse_policy(text, name="endpoint policy", kind="endpoint")
    return {
        "identity_policies": identity,
        "resource_policy": _policy(resource, given, "bucket policy", "resource")
        if resource
        else None,
        "endpoint_policy": endpoint_policy,
    }


@pytest.mark.parametrize(("given", "case"), _load())
def test_case(given: dict[str, Any], case: dict[str, Any]) -> None:
    """One case: the decision and its deciding statements (or the error) as written by hand."""
    assert case.get("comment"), "every case names the rule it checks"
    if "error" in case:
        fragments = case["error"] if isinstance(case["error"], list) else [case["error"]]
        with pytest.raises(PolicyError) as caught:
            _policies(case, given)
        message = str(caught.value)
        assert "\n" not in message
        for fragment in fragments:
            assert fragment in message
        return
    fields = {**given["request"], **case.get("request", {})}
    decision = evaluate(Request(**fields), **_policies(case, given))
    expected = case["result"]
    assert decision.decision == expected["decision"], decision.reason
    assert [m.sid for m in decision.matched] == expected["matched_sids"], decision.reason
    if "matched_policies" in expected:
        assert [m.policy for m in decision.matched] == expected["matched_policies"]
    if "message" in expected:
        assert decision.message == expected["message"]
    assert decision.reason.endswith(".") and "\n" not in decision.reason


def test_every_file_has_cases() -> None:
    """The case directory is not empty, so the parametrized test cannot pass vacuously."""
    assert len(_load()) >= 100
