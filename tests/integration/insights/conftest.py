"""A Logs client on the in-process emulator (tests/conftest.py), for the API tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def moto_endpoint(inproc_emulator_url: str) -> str:
    """URL of the in-process emulator (moto behind the front layer; tests/conftest.py)."""
    return inproc_emulator_url


@pytest.fixture
def logs(moto_endpoint: str) -> Any:
    """A boto3 Logs client on the in-process server, with dummy credentials."""
    import boto3

    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    return session.client("logs", endpoint_url=moto_endpoint)
