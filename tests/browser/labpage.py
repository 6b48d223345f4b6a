"""JupyterLab in a real browser: start a private server, and drive a notebook as a learner does.

`JupyterServer` starts ``jupyter lab`` on 127.0.0.1 (free port, a token, no news pop-up,
``--allow-root`` when root) in a folder of its own, with private Jupyter config, data,
runtime and settings folders, so nothing of the user's (or the tracked notebooks) is read or
written. `NotebookPage` is a Playwright page on one notebook: Run All through the menu,
wait until every cell has run, then read what a learner sees (outputs, errors, widgets).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labkit import launch

# JupyterLab user settings written before the server starts: every cell stays in the DOM
# (the default "contentVisibility" skips painting offscreen cells; "none" keeps the page
# what a screenshot and a DOM query see alike). The news pop-up is left to `make lab`'s
# own flags, which the tests check.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}
CHECK_TAG = "nbval-check-output"
STEP_OK = re.compile(r"^step \S+ ok: ", re.MULTILINE)
# A dataclass's default repr as a cell output: Network(name='VPC 1', vpc_id=...).
RAW_REPR = re.compile(r"\b[A-Z][A-Za-z0-9]+\([a-z_]+=")
RAW_WIDGET = re.compile(r"\b(VBox|HBox|Dropdown|Button|Output)\(")
BROKEN_WIDGET = re.compile(r"model not found|Error displaying widget|Loading widget", re.I)


def chromium_path() -> str | None:
    """A system Chromium: $LABKIT_CHROMIUM, else chromium / chromium-browser on PATH."""
    found = os.environ.get("LABKIT_CHROMIUM")
    if found:
        return found if Path(found).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def free_port() -> int:
    """A TCP port nobody listens on right now, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class JupyterServer:
    """A ``jupyter lab`` process of the tests' own; `stop` ends it and its kernels."""

    root: Path
    env: dict[str, str]
    port: int = 0
    token: str = ""
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 90) -> JupyterServer:
        """Start the server and wait until its API answers."""
        state = self.root.parent / "jupyter-state"
        for sub in ("config", "data", "runtime", "settings", "workspaces"):
            (state / sub).mkdir(parents=True, exist_ok=True)
        for rel, values in SETTINGS.items():
            target = state / "settings" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values))
        self.port = free_port()
        self.token = secrets.token_hex(16)
        # The same page config as `make lab` (no news pop-up), in a folder of the tests'.
        env = dict(
            launch.lab_env(launch.lab_config(state / "lab-config"), self.env),
            JUPYTER_CONFIG_DIR=str(state / "config"),
            JUPYTER_DATA_DIR=str(state / "data"),
            JUPYTER_RUNTIME_DIR=str(state / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(state / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"),
            JUPYTER_PLATFORM_DIRS="1",
        )
        # The same command line as `make lab` (127.0.0.1, no news pop-up, --allow-root as
        # root), plus a free port, a token, and no browser of its own.
        args = [*launch.lab_args(self.root, self.port, self.token), "--no-browser"]
        log = (self.root.parent / "jupyter.log").open("wb")
        self.process = subprocess.Popen(
            args,
            cwd=self.root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=2):
                    return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        raise RuntimeError(f"jupyter lab did not answer in {timeout_s} s: {self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's log."""
        path = self.root.parent / "jupyter.log"
        return (
            "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
            if path.exists()
            else ""
        )

    def api(self, path: str, method: str = "GET") -> Any:
        """Call the server's REST API."""
        req = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def stop(self) -> None:
        """Shut the server down (kernels too); kill its process group if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.api("/api/shutdown", method="POST")
            self.process.wait(timeout=15)
        except (urllib.error.URLError, OSError, subprocess.TimeoutExpired):
            pass
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def cell_kinds(path: Path) -> list[dict[str, Any]]:
    """Each cell of a notebook file: its type, its tags and its source."""
    cells = json.loads(path.read_text())["cells"]
    return [
        {
            "type": c["cell_type"],
            "tags": c.get("metadata", {}).get("tags", []),
            "source": "".join(c["source"]) if isinstance(c["source"], list) else c["source"],
        }
        for c in cells
    ]


# Read every cell as a learner sees it: its prompt, its outputs' text and kinds.
READ_CELLS = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')].map(cell => ({
  code: cell.classList.contains('jp-CodeCell'),
  prompt: (cell.querySelector('.jp-InputArea-prompt') || {}).innerText || '',
  text: [...cell.querySelectorAll('.jp-OutputArea-output')].map(o => o.innerText).join('\\n'),
  stderr: [...cell.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
  ].map(o => o.innerText),
  widgets: cell.querySelectorAll(
    '.jp-OutputArea-output .jupyter-widgets.widget-container, .jp-OutputArea-output .widget-vbox'
  ).length,
  images: cell.querySelectorAll('.jp-OutputArea-output img').length,
}))"""


@dataclass
class NotebookPage:
    """One notebook open in JupyterLab in a Playwright page."""

    page: Any  # playwright.sync_api.Page
    server: JupyterServer
    path: Path  # the notebook file in the server's root

    def open(self) -> NotebookPage:
        """Open the notebook and wait for its kernel to be idle."""
        # ?reset: a clean workspace, so no earlier notebook reopens (and starts a kernel).
        self.page.goto(
            f"{self.server.url}/lab/tree/{self.path.name}?reset&token={self.server.token}"
        )
        self.page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=60_000)
        self.wait_idle(timeout_s=90)
        return self

    def kernel_status(self) -> str:
        """The kernel's state as the status bar shows it: "idle", "busy", "connecting"..."""
        text = self.page.evaluate(
            "() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]"
            ".map(e => e.innerText).join(' ')"
        )
        found = re.search(r"\|\s*(\w+)", str(text))
        return found.group(1).lower() if found else ""

    def wait_idle(self, timeout_s: float) -> None:
        """Wait until the kernel is connected and says idle."""
        deadline = time.monotonic() + timeout_s
        while self.kernel_status() != "idle":
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.path.name}: kernel {self.kernel_status()!r} after {timeout_s} s"
                )
            time.sleep(0.25)

    def menu(self, top: str, item: str) -> None:
        """Click a main-menu item, e.g. ("Run", "Run All Cells")."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).click()
        self.page.locator(
            ".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")
        ).first.click()

    def cells(self) -> list[dict[str, Any]]:
        """Every cell as the page shows it."""
        return list(self.page.evaluate(READ_CELLS))

    def run_all(self, restart: bool = False, timeout_s: float = 300) -> list[dict[str, Any]]:
        """Run → Run All Cells (or Kernel → Restart Kernel and Run All), wait until done."""
        before = self.cells()
        counts_before = [_count(c["prompt"]) for c in before if c["code"]]
        if restart:
            self.menu("Kernel", "Restart Kernel and Run All Cells…")
            self.page.locator(".jp-Dialog .jp-mod-accept").click()
        else:
            self.menu("Run", "Run All Cells")
        deadline = time.monotonic() + timeout_s
        started = quiet = False
        while True:
            time.sleep(0.5)
            prompts = [c["prompt"] for c in self.cells() if c["code"]]
            pending = any("*" in p for p in prompts)
            started = started or pending
            counts = [_count(p) for p in prompts]
            all_new = all(
                n is not None and (m is None or n > m)
                for n, m in zip(counts, counts_before, strict=True)
            )
            done = not pending and (started or all_new) and self.kernel_status() == "idle"
            if done and quiet:  # idle on two polls in a row: the queue is empty
                break
            quiet = done
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.path.name}: Run All not done after {timeout_s} s")
        time.sleep(1.0)  # widgets render after the kernel goes idle
        return self.cells()

    def screenshot(self, target: Path) -> Path:
        """A full-page PNG of the whole notebook (the viewport grown to the notebook's height)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        height = self.page.evaluate(
            """() => { const el = document.querySelector(
                '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer');
              return el ? el.scrollHeight : document.body.scrollHeight; }"""
        )
        size = self.page.viewport_size
        self.page.set_viewport_size(
            {"width": size["width"], "height": min(int(height) + 160, 20000)}
        )
        self.page.evaluate(
            """() => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden)'
              + ' .jp-WindowedPanel-outer').forEach(el => { el.scrollTop = 0; })"""
        )
        time.sleep(0.5)
        self.page.screenshot(path=str(target), full_page=True)
        self.page.set_viewport_size(size)
        return target

    def cell_screenshot(self, cell: Any, target: Path) -> Path:
        """A PNG of one cell with all its output (the viewport grown to fit it)."""
        size = self.page.viewport_size
        height = int(cell.evaluate("c => c.getBoundingClientRect().height"))
        self.page.set_viewport_size({"width": size["width"], "height": min(height + 200, 6000)})
        cell.scroll_into_view_if_needed()
        time.sleep(0.3)
        cell.screenshot(path=str(target))
        self.page.set_viewport_size(size)
        return target

    def close(self) -> None:
        """Shut down every kernel of the server (one notebook at a time on two cores)."""
        for session in self.server.api("/api/sessions"):
            self.server.api(f"/api/sessions/{session['id']}", method="DELETE")


def _count(prompt: str) -> int | None:
    found = re.search(r"\[(\d+)\]", prompt)
    return int(found.group(1)) if found else None


def problems(path: Path, cells: list[dict[str, Any]]) -> list[str]:
    """What a learner would see go wrong: errors, failed or missing checks, raw widgets."""
    kinds = cell_kinds(path)
    assert len(kinds) == len(cells), f"{path.name}: {len(cells)} cells shown, {len(kinds)} saved"
    found = []
    for index, (kind, cell) in enumerate(zip(kinds, cells, strict=True)):
        where = f"{path.stem} cell {index}"
        if kind["type"] != "code":
            continue
        if _count(cell["prompt"]) is None:
            found.append(f"{where}: did not run ({cell['prompt']!r})")
        for text in cell["stderr"]:
            found.append(f"{where}: error output: {text[-600:]}")
        if CHECK_TAG in kind["tags"] and not STEP_OK.search(cell["text"]):
            found.append(f"{where}: check did not say ok: {cell['text'][-600:]!r}")
        if RAW_WIDGET.search(cell["text"]) or BROKEN_WIDGET.search(cell["text"]):
            found.append(f"{where}: a widget shows as text: {cell['text'][:300]!r}")
        if RAW_REPR.search(cell["text"]):
            found.append(f"{where}: a raw repr as output: {RAW_REPR.search(cell['text'])[0]!r}…")
        if "widgets." in kind["source"] and not cell["widgets"]:
            found.append(f"{where}: the widget did not render as controls")
    return found
