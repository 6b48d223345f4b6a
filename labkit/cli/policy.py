"""``labkit policy eval``: decide one request against policy documents, and say why."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from labkit.policy import Decision, Policy, PolicyError, Request, evaluate, parse_policy

REQUIRED_KEYS = ("principal", "action", "resource")
OPTIONAL_KEYS = ("context", "identity_policies", "resource_policy", "endpoint_policy", "account")


def register(subparsers: Any) -> None:
    """Add the ``policy`` subcommand (with ``eval``) to the ``labkit`` argument parser."""
    parser = subparsers.add_parser(
        "policy",
        help="evaluate IAM, bucket and VPC endpoint policies",
        description="Work with IAM policy documents offline.",
    )
    actions = parser.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    evaluate_parser = actions.add_parser(
        "eval",
        help="decide one request: allow, explicit_deny or implicit_deny, and why",
        description="Read a request file {principal, action, resource, context, "
        "identity_policies, resource_policy, endpoint_policy} and decide it as AWS does.",
    )
    evaluate_parser.add_argument("--request", required=True, help="the request JSON file")
    evaluate_parser.add_argument("--format", choices=("text", "json"), default="text")
    evaluate_parser.set_defaults(func=run)


def _read(path: str) -> Mapping[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise PolicyError(f"cannot read request file {path}: {err.strerror or err}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise PolicyError(
            f"{path}: malformed JSON at line {err.lineno} column {err.colno}: {err.msg}"
        ) from None
    if not isinstance(data, Mapping):
        raise PolicyError(f"{path}: the request must be a JSON object")
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise PolicyError(
            f"{path}: missing {', '.join(missing)}; a request holds "
            f"{', '.join(REQUIRED_KEYS + OPTIONAL_KEYS)}"
        )
    for key in REQUIRED_KEYS:
        if not isinstance(data[key], str):
            raise PolicyError(f"{path}: {key} must be a string")
    return data


def _policy(document: Any, name: str, kind: str) -> Policy | None:
    if document is None:
        return None
    if not isinstance(document, str | Mapping):
        raise PolicyError(f"{name}: a policy must be a JSON object")
    return parse_policy(document, name=name, kind=kind)


def decide(data: Mapping[str, Any]) -> Decision:
    """Decide a request file's contents (already read as JSON)."""
    identity = data.get("identity_policies") or []
    if not isinstance(identity, list):
        raise PolicyError("identity_policies must be a list of policy documents")
    context = data.get("context") or {}
    if not isinstance(context, Mapping):
        raise PolicyError('context must be an object like {"aws:SourceIp": "203.0.113.10"}')
    policies = [
        _policy(doc, f"identity policy {i + 1}", "identity") for i, doc in enumerate(identity)
    ]
    request = Request(
        principal=data["principal"],
        action=data["action"],
        resource=data["resource"],
        context=dict(context),
        account=str(data.get("account") or "123456789012"),
    )
    return evaluate(
        request,
        [p for p in policies if p is not None],
        _policy(data.get("resource_policy"), "bucket policy", "resource"),
        _policy(data.get("endpoint_policy"), "endpoint policy", "endpoint"),
    )


def render_text(decision: Decision) -> str:
    """The decision, its deciding statements and the reason, for people."""
    lines = [f"decision: {decision.decision}"]
    if decision.matched:
        lines.append("deciding statements:")
        lines += [f"  - {match.describe()}" for match in decision.matched]
    else:
        lines.append("deciding statements: none (nothing allows the request)")
    lines.append(f"reason: {decision.reason}")
    if decision.message:
        lines.append(f"AWS says: {decision.message}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run ``labkit policy eval``; exit 0 whatever the decision (1 on a bad request file)."""
    decision = decide(_read(args.request))
    if args.format == "json":
        print(json.dumps(decision.to_json(), indent=2))
    else:
        print(render_text(decision))
    return 0
