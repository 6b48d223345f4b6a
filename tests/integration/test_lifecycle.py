"""The emulator's life cycle under faults: paused, orphaned, killed, doubled, bad homes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from labkit.cli import report
from labkit.emulator import control
from labkit.errors import EmulatorError

LABKIT = [sys.executable, "-m", "labkit"]
REPO = Path(__file__).resolve().parents[2]


def cli(home: Path | str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, LABKIT_HOME=str(home))
    return subprocess.run(LABKIT + list(args), env=env, capture_output=True, text=True, timeout=120)


def gone(pid: int, within: float = 15.0) -> bool:
    deadline = time.monotonic() + within
    while control._pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not control._pid_alive(pid)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A LABKIT_HOME of the test's own; whatever it started is stopped afterwards."""
    yield tmp_path
    control.stop(tmp_path)


def test_a_paused_emulator_keeps_its_state_and_is_not_doubled(home: Path) -> None:
    info = control.start(home=home)
    os.kill(info.pid, signal.SIGSTOP)
    try:
        seen = control.status(home)
        assert seen is not None and seen.pid == info.pid and not seen.answering
        assert (home / "emulator.json").exists(), "the state of a live emulator is kept"
        shown = cli(home, "emulator", "status")
        assert shown.returncode == 4 and "does not answer" in shown.stdout, shown
        assert (home / "emulator.json").exists()
        with pytest.raises(EmulatorError, match="does not answer"):
            control.start(home=home)
        assert json.loads((home / "emulator.json").read_text())["pid"] == info.pid
    finally:
        stopped = control.stop(home)
    assert stopped is not None and stopped.pid == info.pid
    assert gone(info.pid)
    assert not (home / "emulator.json").exists()


def test_a_pid_that_is_not_the_emulator_is_never_stopped(home: Path) -> None:
    """A stale state file whose pid now belongs to another process (here: this test)."""
    (home / "emulator.json").write_text(
        json.dumps({"pid": os.getpid(), "port": 1, "url": "http://127.0.0.1:1"})
    )
    assert control.stop(home) is None  # and this process is still alive to assert it
    assert not (home / "emulator.json").exists()


def test_an_emulator_dies_with_the_run_that_started_it(tmp_path: Path) -> None:
    """`labkit run` starts its emulator with report.fresh_emulator; SIGKILL the run."""
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from labkit.cli import report
        from labkit.emulator import control
        home = Path({str(tmp_path)!r})
        with report.fresh_emulator(home, seed=None):
            print(control.start(home=home).pid, flush=True)
            time.sleep(600)
        """
    )
    run = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    try:
        assert run.stdout is not None
        emulator_pid = int(run.stdout.readline())
        assert control._pid_alive(emulator_pid)
        run.kill()
        run.wait(timeout=10)
        assert gone(emulator_pid), "the emulator outlived the run that started it"
        assert control.status(tmp_path) is None
    finally:
        run.kill()
        control.stop(tmp_path)


def test_a_second_run_on_the_same_output_folder_fails_at_once(tmp_path: Path) -> None:
    out = tmp_path / "build"
    notebook = REPO / "notebooks" / "00-setup.ipynb"
    with report.output_lock(out):
        second = subprocess.run(
            LABKIT + ["run", "--out", str(out), str(notebook)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPO,
        )
    assert second.returncode != 0
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "another labkit run" in lines[0], second.stderr
    assert f"pid {os.getpid()}" in lines[0]
    assert not (out / ".labkit").exists(), "the second run must not touch the first's emulator"


def _unwritable(tmp_path: Path) -> Path:
    if os.geteuid() == 0:  # root writes through permissions: use a filesystem that refuses
        return Path("/sys/kernel")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    return folder


@pytest.mark.parametrize("action", ["start", "status", "stop"])
def test_bad_homes_give_one_line(tmp_path: Path, action: str) -> None:
    a_file = tmp_path / "home-file"
    a_file.write_text("")
    state_dir = tmp_path / "home-with-dir"
    (state_dir / "emulator.json").mkdir(parents=True)
    homes = [a_file, state_dir]
    if action == "start":  # status and stop only read: "not running" is their right answer
        homes.append(_unwritable(tmp_path))
    for home in homes:
        result = cli(home, "emulator", action)
        assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and str(home) in lines[0], (home, result.stderr)
