"""Fixtures for the real-browser tests: a private emulator, JupyterLab, and headless Chromium.

Everything runs on a COPY of the notebooks in a temporary folder, with a LABKIT_HOME of
its own; JupyterLab, its kernels and the emulator are stopped at the end even on failure.
Without a Chromium (or the playwright package) every test here is skipped, saying how to
install it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from labpage import JupyterServer, chromium_path

from labkit import report
from labkit.emulator import control

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "build" / "browser"
INSTALL = "install it with `apt-get install chromium` (and `pip install playwright`)"


@pytest.fixture(scope="session")
def chromium() -> str:
    """The system Chromium's path; skips the browser tests when there is none."""
    path = chromium_path()
    if path is None:
        pytest.skip(f"browser tests skipped: no Chromium found; {INSTALL}")
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.skip(f"browser tests skipped: the playwright package is missing; {INSTALL}")
    return path


@pytest.fixture(scope="session")
def workspace(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary folder with a copy of the notebooks (the tracked ones are never written)."""
    root = tmp_path_factory.mktemp("browser") / "notebooks"
    root.mkdir()
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        shutil.copy(path, root / path.name)
    return root


@pytest.fixture(scope="session")
def emulator_home(workspace: Path) -> Iterator[Path]:
    """A private LABKIT_HOME with its own emulator, stopped at the end."""
    home = workspace.parent / "labkit-home"
    home.mkdir()
    control.start(port=0, home=home)
    try:
        yield home
    finally:
        control.stop(home)


@pytest.fixture(scope="session")
def jupyter(workspace: Path, emulator_home: Path) -> Iterator[JupyterServer]:
    """JupyterLab on 127.0.0.1 serving the copied notebooks; the kernels use this worktree."""
    env = dict(os.environ, LABKIT_HOME=str(emulator_home))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    server = JupyterServer(workspace, env)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator[Any]:
    """Headless Chromium driven by Playwright (sync API)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def page(browser: Any, jupyter: JupyterServer) -> Iterator[Any]:
    """One browser tab at 1280x900 (JupyterLab's width on a laptop), 100 % zoom."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture(scope="session")
def shots(chromium: str) -> Iterator[Path]:
    """The screenshot folder, emptied at the start; build/report.html links it at the end."""
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    try:
        yield SHOTS
    finally:
        report.link_screenshots(SHOTS.parent)
