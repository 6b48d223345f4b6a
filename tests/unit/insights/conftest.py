"""An in-process moto server behind the labkit front layer, for the Logs Insights API tests.

Until the shared emulator fixture covers these tests, this starts werkzeug on 127.0.0.1
(port 0) serving ``FrontApp(moto)``, with the Logs Insights handlers registered, and
shuts it down afterwards even when tests fail. Credentials are dummies.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """URL of a threaded werkzeug server running FrontApp(moto)."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    import labkit.emulator.logsquery  # noqa: F401  (registers the handlers)
    from labkit.emulator.front import FrontApp

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = FrontApp(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def logs(moto_endpoint: str) -> Any:
    """A boto3 Logs client on the in-process server, with dummy credentials."""
    import boto3

    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name="us-east-1")
    return session.client("logs", endpoint_url=moto_endpoint)
