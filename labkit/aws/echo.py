"""An echo of the AWS calls a Lab makes: the call, its AWS CLI equivalent, and the answer.

Design: the echo hangs on botocore's event hooks of each client (``provide-client-params``
for the call as the caller wrote it, ``after-call`` for the parsed answer or the error), so
it sees every call, whoever makes it, and costs nothing when it is off. The hooks are
registered on every client the Lab creates and read one shared switch, so turning the echo
on or off applies to clients made before and after.

Which calls it prints:
- every call the notebook (or any code outside labkit) makes itself;
- every call a labkit helper makes that *changes* something (not Describe/List/Get...);
- a helper's read-only calls only with ``reads=True``: they are lookups and polls, noise
  for a learner;
- never a call made by a check (a module named ``...checks``): a check cell prints one
  stable line that nbval compares.

Secrets never reach the output: any parameter or answer field whose name says it holds a
secret is masked, and access key ids are shown the way the AWS CLI shows them.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore import xform_name

from labkit.aws.errors import mask
from labkit.aws.summary import MASKED, answer_line, learn_names

# Field names that hold secrets; matched as substrings, case-sensitively, in parameters
# and answers alike ("SecretAccessKey", "Password", "SessionToken", "NextToken"...).
SECRET_WORDS = ("Secret", "Password", "SessionToken", "Token", "PrivateKey")
# Read-only operations by their name's first word: a helper's lookups and polls.
READ_PREFIXES = ("Describe", "List", "Get", "Filter", "Lookup", "Search", "Head", "Select")
# The AWS CLI's command for a service where it differs from botocore's name.
# https://docs.aws.amazon.com/cli/latest/reference/s3api/
CLI_SERVICE = {"s3": "s3api"}
# Values longer than this are shortened in the call line (never in the CLI line).
SHORT = 48
_OWN_MODULES = ("botocore", "boto3", "labkit.aws.echo", "labkit.aws.summary")


def is_secret(name: str) -> bool:
    """True if a parameter or field of this name holds a secret."""
    return any(word in name for word in SECRET_WORDS)


def mask_key_id(key_id: str) -> str:
    """An access key id as the AWS CLI shows it: ``****************ABCD``."""
    return "*" * 16 + key_id[-4:]


def masked(value: Any, name: str = "") -> Any:
    """The value with every secret field masked, at any depth."""
    if name and is_secret(name):
        return MASKED
    if name == "AccessKeyId" and isinstance(value, str):
        return mask_key_id(value)
    if isinstance(value, Mapping):
        return {k: masked(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [masked(v) for v in value]
    return value


def _short(value: Any) -> str:
    """A Python-literal view of a value, shortened readably when it is long."""
    if isinstance(value, str):
        text = value if len(value) <= SHORT else value[: SHORT - 12] + "…" + value[-8:]
        return repr(text)
    if isinstance(value, Mapping):
        inner = ", ".join(f"{k!r}: {_short(v)}" for k, v in value.items())
        text = "{" + inner + "}"
    elif isinstance(value, list | tuple):
        shown = [_short(v) for v in value[:3]]
        more = [f"… +{len(value) - 3}"] if len(value) > 3 else []
        text = "[" + ", ".join(shown + more) + "]"
    elif isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    else:
        text = repr(value)
    # Keep both ends of a long structure: its start says what it is, its end often the Name.
    return text if len(text) <= 2 * SHORT else text[: SHORT + 8] + " … " + text[-(SHORT - 16) :]


def call_line(service: str, operation: str, params: Mapping[str, Any]) -> str:
    """``→ ec2.CreateRoute(RouteTableId='rtb-…', ...)``: the call, secrets masked."""
    shown = masked(dict(params))
    args = ", ".join(f"{k}={_short(v)}" for k, v in shown.items())
    return f"→ {service}.{operation}({args})"


def _cli_scalar(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", "replace")
    return str(value)


def _cli_value(shape: Any, value: Any) -> list[str]:
    """The CLI words for one parameter's value, following the CLI's shorthand rules.

    https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-parameters-types.html
    Scalars as themselves, lists of scalars space-separated, anything with structure as
    JSON (the CLI accepts JSON for every parameter).
    """
    kind = shape.type_name if shape is not None else "string"
    if kind == "list" and shape.member.type_name not in ("structure", "map", "list"):
        return [shlex.quote(_cli_scalar(v)) for v in value]
    if kind in ("structure", "map", "list"):
        return [shlex.quote(json.dumps(value, default=str, separators=(",", ":")))]
    return [shlex.quote(_cli_scalar(value))]


def cli_line(service: str, operation_model: Any, params: Mapping[str, Any]) -> str:
    """The AWS CLI command for the call, generated from botocore's service model.

    Booleans follow the CLI's ``--flag`` / ``--no-flag`` convention; secrets are masked.
    """
    words = ["aws", CLI_SERVICE.get(service, service), xform_name(operation_model.name, "-")]
    members = operation_model.input_shape.members if operation_model.input_shape else {}
    for name, value in masked(dict(params)).items():
        option = xform_name(name, "-")
        shape = members.get(name)
        if shape is not None and shape.type_name == "boolean":
            words.append(f"--{option}" if value else f"--no-{option}")
            continue
        words += [f"--{option}", *_cli_value(shape, value)]
    return " ".join(words)


def is_read(operation: str) -> bool:
    """True for read-only operations (DescribeVpcs, GetQueryResults, ...)."""
    return operation.startswith(READ_PREFIXES)


def caller() -> str:
    """The module that made the AWS call, skipping botocore, boto3 and the echo itself.

    Returns the *outermost* labkit module on the stack when labkit made the call (a check
    that calls a helper counts as the check), else the first outside module.
    """
    frame = sys._getframe(1)
    outermost = ""
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        if not module.startswith(_OWN_MODULES):
            if not module.startswith("labkit"):
                return outermost or module
            outermost = module
        frame = frame.f_back  # type: ignore[assignment]
    return outermost


@dataclass
class Echo:
    """The switch and memory of one Lab's echo; hooked on each of its clients."""

    enabled: bool = False
    reads: bool = False
    write: Callable[[str], None] = print
    names: dict[str, str] = field(default_factory=dict)

    def attach(self, client: Any) -> None:
        """Hook this echo on a boto3 client (once per client)."""
        events = client.meta.events
        # provide-client-params: the parameters as the caller wrote them, before botocore
        # adds its own (an idempotency ClientToken, for one).
        events.register(
            "provide-client-params", self._before, unique_id=f"labkit-echo-{id(self)}-before"
        )
        events.register("after-call", self._after, unique_id=f"labkit-echo-{id(self)}-after")

    def wanted(self, operation: str) -> bool:
        """Whether a call of this operation, from the current caller, is echoed."""
        if not self.enabled:
            return False
        who = caller()
        if who.startswith("labkit"):
            if who.endswith("checks"):
                return False
            return self.reads or not is_read(operation)
        return True

    def _before(self, params: Mapping[str, Any], model: Any, context: Any, **_: Any) -> None:
        if not self.wanted(model.name):
            return
        service = model.service_model.service_name
        context["labkit_echo"] = True
        self.write(call_line(service, model.name, params))
        self.write("  $ " + cli_line(service, model, params))

    def _after(self, parsed: Any, model: Any, context: Any, **_: Any) -> None:
        learn_names(parsed, self.names)
        if context.get("labkit_echo"):
            error = parsed.get("Error") if isinstance(parsed, Mapping) else None
            if error:
                line = f"error {error.get('Code', '?')}: {mask(str(error.get('Message', '')))}"
                self.write(f"← {line}")
                return
            self.write("← " + answer_line(masked(parsed), self.names))
