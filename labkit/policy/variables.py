"""Policy variables: ``${aws:username}`` in Resource and Condition values.

Only policies with ``"Version": "2012-10-17"`` have variables; in older ones ``${...}`` is
plain text. A variable takes the request's value for its key (key names are
case-insensitive), or its default (``${aws:username, 'nobody'}``, ``''`` for a quote).
"If AWS cannot resolve a variable this might cause the entire statement to be invalid":
we make a statement with an unresolved variable (key absent or multi-valued, no default)
not apply at all. ``${*}``, ``${?}`` and ``${$}`` stand for a literal ``*``, ``?``, ``$``.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from labkit.policy.conditions import lookup
from labkit.policy.matching import LITERAL_QUESTION, LITERAL_STAR

VARIABLES_VERSION = "2012-10-17"

# Literal * and ? (from ${*} and ${?}) travel as private-use characters, so that wildcard
# matching can tell them from wildcards; ``literal`` turns them back into text.
_SPECIAL = {"*": LITERAL_STAR, "?": LITERAL_QUESTION, "$": "$"}
_VARIABLE = re.compile(r"\$\{\s*([^,}\s]+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?\}")


class Unresolved(Exception):
    """A variable with no value in the request and no default."""


def substitute(text: str, context: Mapping[str, Any]) -> str:
    """``text`` with each variable replaced; raise Unresolved if one has no value."""
    if "${" not in text:
        return text

    def value(match: re.Match[str]) -> str:
        key, default = match.group(1), match.group(2)
        if key in _SPECIAL:
            return _SPECIAL[key]
        values = lookup(context, key)
        if values is not None and len(values) == 1:
            return values[0]
        if default is not None:
            return default.replace("''", "'")
        raise Unresolved(key)

    return _VARIABLE.sub(value, text)


def substitute_all(texts: Sequence[str], context: Mapping[str, Any]) -> tuple[str, ...]:
    """Every text substituted; raise Unresolved if any variable has no value."""
    return tuple(substitute(text, context) for text in texts)


def literal(text: str) -> str:
    """Text for exact comparison: literal ``*``/``?`` markers back to the characters."""
    return text.replace(LITERAL_STAR, "*").replace(LITERAL_QUESTION, "?")
