"""Clients on the in-process emulator (tests/conftest.py), with its state reset per test."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest


@pytest.fixture(scope="session")
def emulator_url(inproc_emulator_url: str) -> str:
    """The in-process emulator shared by the whole test session (tests/conftest.py)."""
    return inproc_emulator_url


@pytest.fixture()
def aws(emulator_url: str) -> Iterator[Any]:
    """A factory of boto3 clients on a freshly reset emulator, with dummy credentials."""
    from labkit.emulator.shell import ssm

    request = urllib.request.Request(f"{emulator_url}/moto-api/reset", data=b"", method="POST")
    urllib.request.urlopen(request, timeout=30).read()
    ssm.reset()
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=emulator_url)

    yield client
