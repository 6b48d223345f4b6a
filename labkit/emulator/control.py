"""Start, stop and find the emulator process; its state lives under ``$LABKIT_HOME``.

``$LABKIT_HOME`` (default ``~/.labkit``) holds ``emulator.json`` (pid, port, url) and
``emulator.log`` (the process's stderr). Every notebook kernel and every CLI call finds the
one running emulator through that file, so all state stays in the emulator process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: starts are not serialised there
    fcntl = None  # type: ignore[assignment]

from labkit.errors import EmulatorError

HEALTH_PATH = "/labkit/health"  # unsigned GET: is this our emulator, and which process is it

START_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class EmulatorInfo:
    """A running emulator: where it answers and which process it is."""

    url: str
    pid: int
    port: int
    already_running: bool = False


def labkit_home() -> Path:
    """The state folder: ``$LABKIT_HOME`` or ``~/.labkit``."""
    return Path(os.environ.get("LABKIT_HOME") or Path.home() / ".labkit")


def state_file(home: Path | None = None) -> Path:
    """The emulator's state file under the given (or current) LABKIT_HOME."""
    return (home or labkit_home()) / "emulator.json"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited child not yet reaped) still "exists"; treat it as dead.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def health(url: str, timeout: float = 2.0) -> dict[str, object] | None:
    """The emulator's health answer at ``url``, or None if nothing (of ours) answers."""
    try:
        with urllib.request.urlopen(url + HEALTH_PATH, timeout=timeout) as resp:
            answer = json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return answer if isinstance(answer, dict) and answer.get("status") == "ok" else None


def status(home: Path | None = None) -> EmulatorInfo | None:
    """The running emulator, or None; a stale state file (crashed process) is removed."""
    path = state_file(home)
    try:
        state = json.loads(path.read_text())
        pid, port, url = int(state["pid"]), int(state["port"]), str(state["url"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        path.unlink(missing_ok=True)  # unreadable: left by a crash mid-write
        return None
    answer = health(url) if _pid_alive(pid) else None
    if answer is None or answer.get("pid") != pid:
        path.unlink(missing_ok=True)
        return None
    return EmulatorInfo(url=url, pid=pid, port=port, already_running=True)


def start(port: int = 0, seed: int | None = None, home: Path | None = None) -> EmulatorInfo:
    """Start the emulator on 127.0.0.1 (port 0 = a free one) and return once it answers.

    Parameters
    ----------
    port: the TCP port; 0 picks a free one.
    seed: makes resource IDs deterministic (the same seed gives the same IDs).
    home: the state folder; defaults to ``$LABKIT_HOME``.

    Returns
    -------
    The running emulator. If one is already running, that one (``already_running=True``).
    """
    home = home or labkit_home()
    with _start_lock(home):
        return _start_locked(port, seed, home)


def start_in_background(
    port: int = 0, seed: int | None = None, home: Path | None = None
) -> Future[EmulatorInfo]:
    """Start the emulator while the caller goes on; ``.result()`` waits for it.

    The start lock is taken before this returns, so any other ``start`` (a notebook
    kernel's ``labkit.connect``) waits for this emulator instead of starting its own.
    """
    home = home or labkit_home()
    lock = _start_lock(home)
    lock.__enter__()

    def run() -> EmulatorInfo:
        try:
            return _start_locked(port, seed, home)
        finally:
            lock.__exit__(None, None, None)

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emulator-start")
    future = pool.submit(run)
    pool.shutdown(wait=False)
    return future


@contextmanager
def _start_lock(home: Path) -> Iterator[None]:
    """Serialise starts: two kernels connecting at once must not start two emulators."""
    home.mkdir(parents=True, exist_ok=True)
    with open(home / "emulator.lock", "a+b") as fh:
        if fcntl is not None:
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(fh, fcntl.LOCK_UN)


def _start_locked(port: int, seed: int | None, home: Path) -> EmulatorInfo:
    running = status(home)
    if running is not None:
        return running
    path = state_file(home)
    log = home / "emulator.log"
    cmd = [sys.executable, "-m", "labkit.emulator.server", "--port", str(port)]
    cmd += ["--state-file", str(path)] + (["--seed", str(seed)] if seed is not None else [])
    with open(log, "wb") as log_fh:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=log_fh, stderr=log_fh, start_new_session=True
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            reason = (_last_line(log) or f"exit code {proc.returncode}").rstrip(".")
            raise EmulatorError(
                f"the emulator could not start on 127.0.0.1:{port}: {reason}. "
                "Pick another port with --port, or 0 for a free one."
            )
        info = status(home)
        if info is not None and info.pid == proc.pid:
            return EmulatorInfo(url=info.url, pid=info.pid, port=info.port)
        time.sleep(0.02)
    proc.kill()
    raise EmulatorError(
        f"the emulator did not answer within {START_TIMEOUT_S:.0f} s; see {log} for why."
    )


def stop(home: Path | None = None, timeout: float = 10.0) -> EmulatorInfo | None:
    """Stop the running emulator; returns what was stopped, or None if none was running."""
    info = status(home)
    if info is None:
        return None
    os.kill(info.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _pid_alive(info.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _pid_alive(info.pid):
        os.kill(info.pid, signal.SIGKILL)
    state_file(home).unlink(missing_ok=True)
    return info


def _last_line(path: Path) -> str:
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1].strip() if lines else ""
