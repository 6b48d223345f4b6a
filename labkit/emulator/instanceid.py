"""Which simulated instance sent a request: one random token per AWS CLI run.

Design: before the instance shell runs the real AWS CLI for an instance, it registers a
fresh 128-bit token here and starts the CLI with ``AWS_SDK_UA_APP_ID=labkit-<token>``.
botocore then adds ``app/labkit-<token>`` to the User-Agent of every request of that run
(S3 transfers included), and the front layer maps the token back to the instance. The
token is forgotten when the run ends, so it cannot be replayed from the host later, and a
request with no token (or an unknown one) comes from the host, i.e. the internet.
https://docs.aws.amazon.com/sdkref/latest/guide/feature-appid.html

The same token names the run's instance-role credentials URL (see
:mod:`labkit.emulator.credentials`). Each run also counts the bytes its requests moved, so
the shell can write one flow-log exchange per run towards S3.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass, field

APP_PREFIX = "labkit-"
_TOKEN = re.compile(r"\bapp/labkit-([0-9a-f]{32})\b")


@dataclass
class CliRun:
    """One AWS CLI run on an instance: where it runs and what its requests moved."""

    token: str
    account_id: str
    region: str
    instance_id: str
    requests: int = 0
    sent: int = 0
    received: int = 0
    services: set[str] = field(default_factory=set)


_RUNS: dict[str, CliRun] = {}
_lock = threading.Lock()


def begin(account_id: str, region: str, instance_id: str) -> CliRun:
    """Register a new CLI run for an instance and return it (with its token)."""
    run = CliRun(secrets.token_hex(16), account_id, region, instance_id)
    with _lock:
        _RUNS[run.token] = run
    return run


def end(run: CliRun) -> None:
    """Forget a run: its token no longer identifies anything."""
    with _lock:
        _RUNS.pop(run.token, None)


def run_for_token(token: str) -> CliRun | None:
    """The live run a token belongs to, or None."""
    with _lock:
        return _RUNS.get(token)


def run_for_user_agent(user_agent: str) -> CliRun | None:
    """The live run named by a User-Agent's ``app/labkit-<token>``, or None (the host)."""
    found = _TOKEN.search(user_agent or "")
    return run_for_token(found.group(1)) if found else None


def note_traffic(run: CliRun, service: str, sent: int, received: int) -> None:
    """Count one request of a run and the bytes it moved."""
    with _lock:
        run.requests += 1
        run.sent += sent
        run.received += received
        run.services.add(service)
