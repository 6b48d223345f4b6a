"""Shared fixtures: an emulator of the tests' own, on a free port, with an isolated LABKIT_HOME.

The emulator is stopped at the end of the session even when tests fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from labkit.emulator import control

# Never let a test reach a real account: dummy credentials, no profile, no metadata service.
for _name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(_name, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_EC2_METADATA_DISABLED="true",
)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def labkit_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An isolated LABKIT_HOME for the whole session."""
    home = tmp_path_factory.mktemp("labkit-home")
    saved = os.environ.get("LABKIT_HOME")
    os.environ["LABKIT_HOME"] = str(home)
    yield home
    if saved is None:
        os.environ.pop("LABKIT_HOME", None)
    else:
        os.environ["LABKIT_HOME"] = saved


@pytest.fixture(scope="session")
def emulator(labkit_home: Path) -> Iterator[control.EmulatorInfo]:
    """The session's emulator (a subprocess on 127.0.0.1, free port), stopped afterwards."""
    info = control.start(port=0, home=labkit_home)
    try:
        yield info
    finally:
        control.stop(labkit_home)


@pytest.fixture
def lab(emulator: control.EmulatorInfo):  # type: ignore[no-untyped-def]
    """A Lab on the session's emulator with a prefix of its own, so tests do not collide."""
    import labkit

    return labkit.connect("local", endpoint_url=emulator.url, prefix=f"t{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="session")
def inproc_emulator_url(labkit_home: Path) -> Iterator[str]:
    """The emulator's own app (server.build_app) served by a thread of this process.

    Its instance filesystems live under the session's LABKIT_HOME.

    On 127.0.0.1, a free port; for tests that reach into moto's state in-process. Stopped
    at the end of the session even when tests fail.
    """
    import threading

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    from labkit.emulator.server import build_app, quiet

    quiet()
    server = make_server(
        "127.0.0.1", 0, build_app(seed=None), threaded=True, request_handler=MotoRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
