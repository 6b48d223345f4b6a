"""Regex and glob patterns: Logs Insights syntax to the RE2 dialect DuckDB speaks."""

from __future__ import annotations

import re

_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")


def to_re2(pattern: str) -> str:
    """Rewrite ``(?<name>...)`` named groups (Logs Insights / PCRE) as RE2's ``(?P<name>...)``."""
    return _NAMED_GROUP.sub("(?P<", pattern)


def check_regex(pattern: str) -> re.Pattern[str]:
    """Compile an RE2-dialect pattern with Python's re to catch syntax errors early."""
    return re.compile(pattern)


def glob_to_regex(glob: str) -> tuple[str, int]:
    """A ``parse`` glob as a regex and its number of ``*`` captures.

    Choice (AWS documents no anchoring or greediness): the match may start anywhere, each
    ``*`` captures as little as it can, except a trailing ``*``, which takes the rest of
    the text, so ``"* * *"`` on ``"a b c d"`` gives ``a``, ``b``, ``c d``.
    """
    parts = glob.split("*")
    regex = ""
    for i, literal in enumerate(parts):
        regex += re.escape(literal)
        if i < len(parts) - 1:
            last = i == len(parts) - 2 and parts[-1] == ""
            regex += "(.*)" if last else "(.*?)"
    return "(?s)" + regex, len(parts) - 1
