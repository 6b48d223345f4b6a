"""The emulator process: moto's WSGI application behind labkit's front layer, on 127.0.0.1.

Run by :func:`labkit.emulator.control.start` as ``python -m labkit.emulator.server``. It
binds, writes its state file (pid, port, url) atomically, and serves until SIGTERM, when
it removes the state file. It never binds anything but the loopback address.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from labkit.emulator import handlers
from labkit.emulator.front import FrontApp, backend
from labkit.emulator.iam import ensure_managed_policies

LOOPBACK = "127.0.0.1"


def quiet() -> None:
    """No log line per request: werkzeug logs every request unless silenced."""
    for name in ("werkzeug", "moto", "botocore"):
        logging.getLogger(name).setLevel(logging.ERROR)


def build_app(seed: int | None) -> Any:
    """moto's dispatcher wrapped in the front layer, with every labkit handler registered."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    handlers.register_all()
    if seed is not None:
        seed_ids(seed)
    return FrontApp(DomainDispatcherApplication(create_backend_app))


def seed_ids(seed: int) -> None:
    """Make moto's generated ids follow ``seed`` from here on."""
    from moto.moto_api._internal import mock_random

    mock_random.seed(seed)


def _warm_up(app: Any, services: tuple[str, ...] = ("ec2",)) -> None:
    """Load moto's backends and per-service web apps early, so first calls don't pay.

    moto builds both on a service's first request: the backend (the models) and a Flask
    app with the service's routes (about 0.5 s for EC2).
    """
    from moto.iam.models import get_account_id_from

    get_account_id_from("")  # builds every partition's IAM backend, as a first request would
    dispatcher = app.moto_app
    for service in services:
        backend(service)
        if service == "iam":
            ensure_managed_policies()
        with dispatcher.lock:
            if service not in dispatcher.app_instances:
                dispatcher.app_instances[service] = dispatcher.create_app(service)


# Loaded in the background: IAM (with AWS's managed policies, about 0.8 s), S3, CloudWatch
# Logs and SSM. Not while a first request is on its way (a client that was waiting for the
# start sends one at once, and a loading thread would slow it down), but not later than
# IDLE_S after the start either, while a notebook kernel is still starting.
LATER = ("iam", "s3", "logs", "ssm")
IDLE_S = 0.3


def _warm_up_later(app: Any) -> None:
    app.answered.wait(timeout=IDLE_S)
    _warm_up(app, LATER)


def write_state(path: Path, state: dict[str, Any]) -> None:
    """Write the state file atomically (a reader never sees half of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state))
    os.replace(tmp, path)


def serve(port: int, seed: int | None, state_file: Path) -> None:
    """Bind 127.0.0.1:port, record the state, and serve until SIGTERM or SIGINT."""
    quiet()
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    app = build_app(seed)
    server = make_server(LOOPBACK, port, app, threaded=True, request_handler=MotoRequestHandler)
    bound_port = server.server_address[1]
    url = f"http://{LOOPBACK}:{bound_port}"
    app.health = {"status": "ok", "pid": os.getpid(), "url": url}
    _warm_up(app)
    if seed is not None:
        # Loading a backend draws ids from moto's random generator, so a background load
        # would interleave with requests and make seeded ids differ from run to run: with a
        # seed, load everything now, then seed again.
        _warm_up(app, LATER)
        seed_ids(seed)

    def stop(_signum: int, _frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    write_state(
        state_file,
        {"pid": os.getpid(), "port": bound_port, "url": url, "seed": seed, "started": time.time()},
    )
    if seed is None:
        threading.Thread(target=_warm_up_later, args=(app,), daemon=True, name="warm-up").start()
    try:
        server.serve_forever()
    finally:
        try:
            current = json.loads(state_file.read_text())
            if current.get("pid") == os.getpid():
                state_file.unlink()
        except (OSError, ValueError):
            pass


def main(argv: list[str] | None = None) -> int:
    """Entry point of the emulator process."""
    parser = argparse.ArgumentParser(prog="python -m labkit.emulator.server")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--state-file", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        serve(args.port, args.seed, args.state_file)
    except OSError as err:
        print(f"cannot listen on {LOOPBACK}:{args.port}: {err.strerror}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
