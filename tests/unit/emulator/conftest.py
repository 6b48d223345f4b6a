"""An in-process emulator (moto + the labkit front layer) for this directory's tests.

Until the shared fixture lands in tests/conftest.py: a werkzeug server on 127.0.0.1, a
free port, serving FrontApp(moto) after the plugins are imported; state reset per test.
"""

from __future__ import annotations

import logging
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest


@pytest.fixture(scope="session")
def emulator_url() -> Iterator[str]:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    import labkit.emulator.plugins  # noqa: F401
    from labkit.emulator.front import FrontApp

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server(
        "127.0.0.1", 0, FrontApp(DomainDispatcherApplication(create_backend_app)), threaded=True
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture()
def aws(emulator_url: str) -> Iterator[Any]:
    """A factory of boto3 clients on a freshly reset emulator, with dummy credentials."""
    from labkit.emulator import shell

    request = urllib.request.Request(f"{emulator_url}/moto-api/reset", data=b"", method="POST")
    urllib.request.urlopen(request, timeout=30).read()
    shell.reset()
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=emulator_url)

    yield client
