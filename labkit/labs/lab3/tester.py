"""The policy tester's logic: build a request, decide it with labkit.policy, render the answer.

Design. The widget (:mod:`labkit.widgets.policy`) only reads its inputs and shows what
:func:`try_request` and :func:`render_html` return, so everything here is testable without
a kernel. The evaluation is :func:`labkit.policy.evaluate`, the same one ``labkit policy
eval`` and the emulator's S3 layer call. The request's network path sets the IAM global
condition keys as :class:`labkit.netsim.s3path.S3Path` does: through a gateway endpoint
``aws:SourceVpce``, ``aws:SourceVpc`` and ``aws:VpcSourceIp`` (and no ``aws:SourceIp``);
over the internet ``aws:SourceIp`` only.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html

The deciding statements are found in the text the learner typed (not a reformatted copy)
by walking the top-level JSON object with :meth:`json.JSONDecoder.raw_decode`, which
reports where each value ends.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from labkit.netsim.s3path import HOST_PUBLIC_IP
from labkit.policy import Decision, Policy, PolicyError, Request, evaluate, parse_policy

PATHS = ("internet", "endpoint")
# The three policies the tester holds, in the order evaluate() reads them.
KINDS = ("identity", "resource", "endpoint")
COLOURS = {"Allow": "#d4f7d4", "Deny": "#ffd6d6", "ImplicitDeny": "#fff1c2"}
_SPACE = re.compile(r"\s*")


@dataclass(frozen=True)
class Probe:
    """A request described as the tester's form does: who, what, on which ARN, from where."""

    principal: str
    action: str
    resource: str
    path: str = "internet"  # "internet" (from source_ip) or "endpoint" (through vpce_id)
    source_ip: str = HOST_PUBLIC_IP
    vpce_id: str = ""
    vpc_id: str = ""
    vpc_source_ip: str = ""

    def context(self) -> dict[str, str]:
        """The network keys of this path, as S3 sets them."""
        if self.path == "endpoint":
            keys = {
                "aws:SourceVpce": self.vpce_id,
                "aws:SourceVpc": self.vpc_id,
                "aws:VpcSourceIp": self.vpc_source_ip,
            }
            return {k: v.strip() for k, v in keys.items() if v.strip()}
        return {"aws:SourceIp": self.source_ip.strip()} if self.source_ip.strip() else {}

    def request(self) -> Request:
        """The :class:`labkit.policy.Request` this probe describes."""
        return Request(
            self.principal.strip(), self.action.strip(), self.resource.strip(), self.context()
        )


@dataclass(frozen=True)
class Outcome:
    """A decision, or the one line that says why there is none (a malformed policy)."""

    decision: Decision | None
    error: str | None
    texts: Mapping[str, str] = field(default_factory=dict)  # kind -> the text evaluated
    names: Mapping[str, str] = field(default_factory=dict)  # kind -> the policy's name


def policy_text(document: str | Mapping[str, Any] | None) -> str:
    """A policy as the text the tester shows: given text as is, a dict as indented JSON."""
    if document is None:
        return ""
    if isinstance(document, str):
        return document
    return json.dumps(document, indent=2)


def policy_names(probe: Probe) -> dict[str, str]:
    """The names decisions show for each kind of policy, from the probe's principal and ARNs."""
    who = probe.principal.rsplit("/", 1)[-1].rsplit(":", 1)[-1] or "the principal"
    bucket = probe.resource.split(":::", 1)[-1].split("/", 1)[0] or "the bucket"
    return {
        "identity": f"IAM policy of {who}",
        "resource": f"bucket policy of {bucket}",
        "endpoint": f"endpoint policy of {probe.vpce_id.strip() or 'the endpoint'}",
    }


def try_request(texts: Mapping[str, str], probe: Probe) -> Outcome:
    """Decide ``probe`` against the policies in ``texts`` (kind -> JSON; blank = none).

    The endpoint policy applies only when the probe goes through the endpoint, as on AWS.
    A blank endpoint policy stands for the default one, which allows everything.
    """
    names = policy_names(probe)
    parsed: dict[str, Policy | None] = {}
    try:
        for kind in KINDS:
            text = texts.get(kind, "")
            parsed[kind] = parse_policy(text, name=names[kind], kind=kind) if text.strip() else None
    except PolicyError as err:
        return Outcome(None, str(err), dict(texts), names)
    missing = [n for n, v in (("principal", probe.principal), ("action", probe.action),
                              ("resource", probe.resource)) if not v.strip()]  # fmt: skip
    if missing:
        why = f"the request has no {' and no '.join(missing)}: fill it in"
        return Outcome(None, why, dict(texts), names)
    identity = parsed["identity"]
    decision = evaluate(
        probe.request(),
        [identity] if identity else [],
        parsed["resource"],
        parsed["endpoint"] if probe.path == "endpoint" else None,
    )
    return Outcome(decision, None, dict(texts), names)


def _skip(text: str, pos: int) -> int:
    match = _SPACE.match(text, pos)
    return match.end() if match else pos


def statement_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Each statement's (first line, last line), 1-based, in a policy's JSON text.

    A ``Statement`` that is one object (not a list) is statement 0. Text that is not a JSON
    object gives no spans (the parser reports it).
    """
    decoder = json.JSONDecoder()
    try:
        pos = _skip(text, 0)
        if text[pos] != "{":
            return ()
        pos = _skip(text, pos + 1)
        while text[pos] != "}":
            key, pos = decoder.raw_decode(text, pos)
            pos = _skip(text, pos)
            if text[pos] != ":":
                return ()
            pos = _skip(text, pos + 1)
            if key == "Statement":
                return tuple(_lines(text, a, b) for a, b in _elements(decoder, text, pos))
            _, pos = decoder.raw_decode(text, pos)
            pos = _skip(text, pos)
            if text[pos] == ",":
                pos = _skip(text, pos + 1)
    except (ValueError, IndexError):
        return ()
    return ()


def _elements(decoder: json.JSONDecoder, text: str, pos: int) -> list[tuple[int, int]]:
    """(start, end) offsets of the Statement value's elements (or of the value itself)."""
    if text[pos] != "[":
        _, end = decoder.raw_decode(text, pos)
        return [(pos, end)]
    spans = []
    pos = _skip(text, pos + 1)
    while text[pos] != "]":
        _, end = decoder.raw_decode(text, pos)
        spans.append((pos, end))
        pos = _skip(text, end)
        if text[pos] == ",":
            pos = _skip(text, pos + 1)
    return spans


def _lines(text: str, start: int, end: int) -> tuple[int, int]:
    return text.count("\n", 0, start) + 1, text.count("\n", 0, end) + 1


def marked_lines(text: str, indexes: Mapping[int, str]) -> dict[int, str]:
    """Line number (1-based) -> effect, for the statements ``indexes`` (index -> effect)."""
    spans = statement_spans(text)
    marked: dict[int, str] = {}
    for index, effect in indexes.items():
        if 0 <= index < len(spans):
            first, last = spans[index]
            marked.update(dict.fromkeys(range(first, last + 1), effect))
    return marked


def summary(outcome: Outcome) -> str:
    """The outcome as one line: the decision and its deciding statements, or the error."""
    if outcome.decision is None:
        return f"error: {outcome.error}"
    decision = outcome.decision
    names = "; ".join(m.describe() for m in decision.matched) or "no statement"
    return f"{decision.decision}: {names}"


def render_html(outcome: Outcome) -> str:
    """The outcome for people: decision, reason, AWS's message, policies with deciders marked."""
    if outcome.decision is None:
        return f'<div style="color:#a00"><b>error:</b> {html.escape(str(outcome.error))}</div>'
    decision = outcome.decision
    colour = {"allow": "#1a7f37", "explicit_deny": "#b00020"}.get(decision.decision, "#8a6100")
    parts = [
        f'<div><b style="color:{colour}">{html.escape(decision.decision)}</b>: '
        f"{html.escape(decision.reason)}</div>"
    ]
    if decision.message:
        parts.append(f"<div><i>AWS says:</i> <code>{html.escape(decision.message)}</code></div>")
    for kind in KINDS:
        name = outcome.names.get(kind, kind)
        here = [m for m in decision.matched if m.kind == kind and m.policy == name]
        text = outcome.texts.get(kind, "")
        if not here or not text.strip():
            continue
        whole = any(m.index < 0 for m in here)
        marks = marked_lines(text, {m.index: m.effect for m in here if m.index >= 0})
        parts.append(_policy_html(name, text, marks, whole))
    return "\n".join(parts)


def _policy_html(name: str, text: str, marks: Mapping[int, str], whole: bool) -> str:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        effect = marks.get(number, "ImplicitDeny" if whole else "")
        background = f"background:{COLOURS[effect]};" if effect else ""
        mark = ' data-decides="1"' if effect else ""
        style = f"margin:0;{background}"
        rows.append(f'<div style="{style}"{mark}>{html.escape(line) or " "}</div>')
    note = " (no statement allows the request)" if whole else ""
    body = "".join(rows)
    box = "font-family:monospace;white-space:pre;line-height:1.3;border:1px solid #ddd;padding:2px"
    return f'<div><b>{html.escape(name)}</b>{note}</div><div style="{box}">{body}</div>'
