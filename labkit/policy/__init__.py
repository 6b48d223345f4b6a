"""IAM policy evaluation, pure: parse identity, bucket and endpoint policies, decide requests.

``parse_policy`` validates a document (one-line ``PolicyError``); ``evaluate`` decides a
``Request`` and says which statements decided and why, with AWS's AccessDenied message.
"""

from labkit.policy.evaluate import (
    Decision,
    Match,
    Request,
    evaluate,
    principal_context,
    statement_applies,
)
from labkit.policy.model import Condition, Policy, PolicyError, Statement, parse_policy

__all__ = [
    "Condition",
    "Decision",
    "Match",
    "Policy",
    "PolicyError",
    "Request",
    "Statement",
    "evaluate",
    "principal_context",
    "parse_policy",
    "statement_applies",
]
