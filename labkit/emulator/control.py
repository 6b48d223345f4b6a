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

HEALTH_PATH = "/labkit/health"  # GET: is this our emulator, and which process is it
INTERNAL_PREFIXES = ("/labkit/", "/moto-api")  # labkit's and moto's own endpoints
# Every request to an internal endpoint must carry this header. A web page cannot add a
# custom header to a cross-origin request without a CORS preflight, and the emulator
# refuses the preflight of any origin it does not allow, so a page the learner happens to
# open cannot reach these endpoints (https://fetch.spec.whatwg.org/#cors-safelisted-request-header).
CLIENT_HEADER = "X-Labkit-Client"
CLIENT_HEADERS = {CLIENT_HEADER: "1"}

START_TIMEOUT_S = 60.0
SERVER_MODULE = "labkit.emulator.server"


@dataclass(frozen=True)
class EmulatorInfo:
    """A running emulator: where it answers and which process it is."""

    url: str
    pid: int
    port: int
    already_running: bool = False
    answering: bool = True  # False: the process runs but missed its health check (paused, busy)


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
        request = urllib.request.Request(url + HEALTH_PATH, headers=CLIENT_HEADERS)
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310
            answer = json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return answer if isinstance(answer, dict) and answer.get("status") == "ok" else None


def _cmdline(pid: int) -> str | None:
    """The process's command line, or None if it cannot be read (gone, or no /proc)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        raw = b""
    if raw:
        return raw.replace(b"\0", b" ").decode(errors="replace")
    try:  # no /proc (macOS): ask ps
        out = subprocess.run(
            ["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out or None


def is_emulator(pid: int, path: Path) -> bool:
    """True if ``pid`` is alive and is the emulator process that owns the state file ``path``.

    A pid alone is not enough: after a crash, the pid may belong to another process.
    """
    if not _pid_alive(pid):
        return False
    cmdline = _cmdline(pid)
    return cmdline is not None and SERVER_MODULE in cmdline and str(path) in cmdline


def _home_error(home: Path, err: OSError) -> EmulatorError:
    """One line for a LABKIT_HOME the emulator cannot use."""
    if home.exists() and not home.is_dir():
        return EmulatorError(
            f"LABKIT_HOME {home} is a file, not a folder: set LABKIT_HOME to a folder"
        )
    where = err.filename or home
    reason = (err.strerror or str(err)).lower()
    return EmulatorError(
        f"cannot use {where} for the emulator's state ({reason}): "
        "set LABKIT_HOME to a folder you can write"
    )


def _read_state(path: Path) -> dict[str, object] | None:
    """The state file's content; None if absent or unreadable (left by a crash mid-write)."""
    if path.is_dir():
        raise EmulatorError(
            f"the emulator's state file {path} is a folder: remove it, or set LABKIT_HOME "
            "to another folder"
        )
    try:
        state = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except NotADirectoryError as err:
        raise _home_error(path.parent, err) from None
    except PermissionError as err:
        raise _home_error(path.parent, err) from None
    except (OSError, ValueError):
        state = None
    if not isinstance(state, dict):
        _forget(path)
        return None
    return state


def _forget(path: Path) -> None:
    """Remove a stale state file; one that cannot be removed is just ignored."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def status(home: Path | None = None) -> EmulatorInfo | None:
    """The running emulator, or None; the state file of a dead or foreign pid is removed.

    The process is identified by its pid and its command line (``labkit.emulator.server``
    with this state file), not by the health check: a paused or busy emulator is still
    running (``answering=False``), and its state file is kept.
    """
    path = state_file(home)
    state = _read_state(path)
    if state is None:
        return None
    try:
        pid, port, url = int(state["pid"]), int(state["port"]), str(state["url"])  # type: ignore[call-overload]
    except (KeyError, TypeError, ValueError):
        _forget(path)
        return None
    if not is_emulator(pid, path):
        _forget(path)
        return None
    answer = health(url)
    answering = answer is not None and answer.get("pid") == pid
    return EmulatorInfo(url=url, pid=pid, port=port, already_running=True, answering=answering)


def start(
    port: int = 0, seed: int | None = None, home: Path | None = None, exit_with_parent: bool = False
) -> EmulatorInfo:
    """Start the emulator on 127.0.0.1 (port 0 = a free one) and return once it answers.

    Parameters
    ----------
    port: the TCP port; 0 picks a free one.
    seed: makes resource IDs deterministic (the same seed gives the same IDs).
    home: the state folder; defaults to ``$LABKIT_HOME``.
    exit_with_parent: the emulator exits when this process does (even on SIGKILL).

    Returns
    -------
    The running emulator. If one is already running, that one (``already_running=True``).
    """
    home = home or labkit_home()
    with _start_lock(home):
        return _start_locked(port, seed, home, exit_with_parent)


def start_in_background(
    port: int = 0, seed: int | None = None, home: Path | None = None, exit_with_parent: bool = False
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
            return _start_locked(port, seed, home, exit_with_parent)
        finally:
            lock.__exit__(None, None, None)

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emulator-start")
    future = pool.submit(run)
    pool.shutdown(wait=False)
    return future


@contextmanager
def _start_lock(home: Path) -> Iterator[None]:
    """Serialise starts: two kernels connecting at once must not start two emulators."""
    try:
        home.mkdir(parents=True, exist_ok=True)
        fh = open(home / "emulator.lock", "a+b")  # noqa: SIM115 - closed below
    except OSError as err:
        raise _home_error(home, err) from None
    with fh:
        if fcntl is not None:
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(fh, fcntl.LOCK_UN)


def _start_locked(
    port: int, seed: int | None, home: Path, exit_with_parent: bool = False
) -> EmulatorInfo:
    running = status(home)
    if running is not None and not running.answering:
        running = _wait_answering(running, home)
    if running is not None:
        return running
    path = state_file(home)
    log = home / "emulator.log"
    cmd = [sys.executable, "-m", SERVER_MODULE, "--port", str(port)]
    cmd += ["--state-file", str(path)] + (["--seed", str(seed)] if seed is not None else [])
    cmd += ["--exit-with-parent"] if exit_with_parent else []
    try:
        with open(log, "wb") as log_fh:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log_fh, stderr=log_fh, start_new_session=True
            )
    except OSError as err:
        raise _home_error(home, err) from None
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            reason = (_last_line(log) or f"exit code {proc.returncode}").rstrip(".")
            raise EmulatorError(
                f"the emulator could not start on 127.0.0.1:{port}: {reason}. "
                "Pick another port with --port, or 0 for a free one."
            )
        info = status(home)
        if info is not None and info.pid == proc.pid and info.answering:
            return EmulatorInfo(url=info.url, pid=info.pid, port=info.port)
        time.sleep(0.02)
    proc.kill()
    raise EmulatorError(
        f"the emulator did not answer within {START_TIMEOUT_S:.0f} s; see {log} for why."
    )


def _wait_answering(info: EmulatorInfo, home: Path, timeout: float = 10.0) -> EmulatorInfo:
    """Wait for a running but silent emulator (busy) to answer; never start a second one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        again = status(home)
        if again is None or again.answering:
            return again  # type: ignore[return-value]
        time.sleep(0.2)
    raise EmulatorError(
        f"the emulator (pid {info.pid}) runs but does not answer at {info.url} "
        "(paused or busy): wait, or stop it with `labkit emulator stop`"
    )


def stop(home: Path | None = None, timeout: float = 10.0) -> EmulatorInfo | None:
    """Stop the running emulator (even a paused one); return it, or None if none ran."""
    info = status(home)
    if info is None:
        return None
    for sig in (signal.SIGTERM, signal.SIGCONT):  # a paused process handles SIGTERM once resumed
        try:
            os.kill(info.pid, sig)
        except ProcessLookupError:
            break
    deadline = time.monotonic() + timeout
    while _pid_alive(info.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _pid_alive(info.pid):
        os.kill(info.pid, signal.SIGKILL)
        while _pid_alive(info.pid) and time.monotonic() < deadline + 5:
            time.sleep(0.05)
    path = state_file(home)
    state = _read_state(path) if path.exists() else None
    if state is not None and state.get("pid") == info.pid:
        _forget(path)
    return info


def _last_line(path: Path) -> str:
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1].strip() if lines else ""
