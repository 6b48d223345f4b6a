"""Matching a statement's Action, Resource and Principal against one request.

Wildcards are IAM's: ``*`` is any run of characters (``/`` and ``:`` included), ``?`` is
exactly one character. Everything else is literal.
"""

from __future__ import annotations

import re
from functools import lru_cache

# An ARN is arn:partition:service:region:account-id:resource; the resource part may itself
# contain colons, so it is split at most five times.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
ARN_PARTS = 6

# A literal * or ? inside a pattern (written ${*} / ${?} in a policy, see variables.py).
LITERAL_STAR = "\ue000"
LITERAL_QUESTION = "\ue001"
_LITERALS = {LITERAL_STAR: "\\*", LITERAL_QUESTION: "\\?"}


@lru_cache(maxsize=4096)
def _wildcard_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(
        ".*" if ch == "*" else "." if ch == "?" else _LITERALS.get(ch) or re.escape(ch)
        for ch in pattern
    )
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """True if ``value`` matches ``pattern`` with IAM's ``*`` and ``?`` wildcards."""
    return _wildcard_regex(pattern, ignore_case).fullmatch(value) is not None


def split_arn(arn: str) -> tuple[str, ...] | None:
    """The six parts of an ARN, or None if ``arn`` is not one."""
    parts = arn.split(":", ARN_PARTS - 1)
    if len(parts) != ARN_PARTS or parts[0] != "arn":
        return None
    return tuple(parts)


def action_matches(pattern: str, action: str) -> bool:
    """Action names are case-insensitive and take ``*``/``?`` wildcards.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
    """
    return wildcard_match(pattern, action, ignore_case=True)


def arn_matches(pattern: str, arn: str) -> bool:
    """Each of the six ARN parts is matched on its own, case-sensitively, with wildcards.

    ``*`` alone matches every resource. In the last (resource) part ``*`` spans ``/``.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
    """
    if pattern == "*":
        return True
    wanted, actual = split_arn(pattern), split_arn(arn)
    if wanted is None or actual is None:
        return False
    return all(wildcard_match(w, a) for w, a in zip(wanted, actual, strict=True))


def principal_account(principal: str) -> str | None:
    """The account id of a principal ARN (user, role, root, session), or None for anonymous."""
    parts = split_arn(principal)
    return parts[4] if parts else None


def _role_of_session(principal: str) -> str | None:
    """``arn:aws:sts::A:assumed-role/R/S`` → ``R``; None for any other principal."""
    parts = split_arn(principal)
    if parts is None or parts[2] != "sts" or not parts[5].startswith("assumed-role/"):
        return None
    pieces = parts[5].split("/")
    return pieces[1] if len(pieces) >= 3 else None


def _is_root(principal: str) -> bool:
    parts = split_arn(principal)
    return parts is not None and parts[2] == "iam" and parts[5] == "root"


DIRECT = "direct"
ACCOUNT = "account"


def principal_match(
    policy_value: str, principal: str, *, account_means_root_only: bool = False
) -> str | None:
    """How one ``Principal`` entry (an ``AWS`` value or ``"*"``) names the request's principal.

    Returns ``"direct"`` (the entry names the caller, or everyone), ``"account"`` (the entry
    names the caller's account) or None (no match).

    - ``"*"`` and ``{"AWS": "*"}`` are everyone, anonymous callers included.
    - An account id or ``arn:aws:iam::ACCOUNT:root`` stands for the account, not only its
      root user: "This delegates authority to the account [...] Using the account ARN in the
      Principal element does not limit permissions to only the root user of the account."
      https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts
      So it matches every principal of the account (an explicit Deny naming the account
      denies them all), but an Allow naming it only delegates to the account's own IAM
      policies; ``evaluate`` uses the ``"account"`` level for that.
    - In a gateway endpoint policy it means the account's root user only
      (``account_means_root_only``): "the following formats [...] grant access to the AWS
      account root user only, not all users and roles for the account", see
      https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html
      (we model gateway endpoints, the labs' S3 endpoint; interface endpoints differ).
    - A user or role ARN matches itself; an assumed-role session
      ``arn:aws:sts::A:assumed-role/R/S`` matches its session ARN and the role's ARN
      ``arn:aws:iam::A:role/[path/]R``:
      https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-role-session
    """
    if policy_value == "*":
        return DIRECT
    if principal == "*":
        return None
    account = principal_account(principal)
    policy_account = policy_value if policy_value.isdigit() else None
    if policy_account is None and (parts := split_arn(policy_value)) and parts[5] == "root":
        policy_account = parts[4]
    if policy_account is not None:
        if account != policy_account:
            return None
        if _is_root(principal):
            return DIRECT
        return None if account_means_root_only else ACCOUNT
    if policy_value == principal:
        return DIRECT
    role = _role_of_session(principal)
    parts = split_arn(policy_value)
    if role is None or parts is None or parts[2] != "iam" or parts[4] != account:
        return None
    if parts[5].startswith("role/") and parts[5].rsplit("/", 1)[-1] == role:
        return DIRECT
    return None
