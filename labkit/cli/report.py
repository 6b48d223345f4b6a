"""Run the notebooks headless with papermill, and report their check results.

``labkit run`` (and ``make run``) starts a fresh emulator in its own LABKIT_HOME, executes
every notebook in order, writes the executed notebooks and an HTML report under the output
folder, prints one line per notebook, and stops the emulator even on failure.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labkit.emulator import control
from labkit.errors import ConfigError, LabkitError

try:
    import fcntl
except ImportError:  # Windows: concurrent runs are not detected there
    fcntl = None  # type: ignore[assignment]

CHECK_TAG = "nbval-check-output"
DEFAULT_SEED = 2024  # the seed `make run` gives the emulator, so IDs are the same every run


@dataclass(frozen=True)
class NotebookRun:
    """One executed notebook: its check lines, and the error that stopped it, if any."""

    name: str
    output: Path
    checks: tuple[str, ...]
    seconds: float
    error: str | None = None
    html: Path | None = None

    @property
    def ok(self) -> bool:
        """True if the notebook ran to the end and every check passed."""
        return self.error is None

    def line(self) -> str:
        """The one-line summary printed for this notebook."""
        mark = "ok  " if self.ok else "FAIL"
        detail = f"{len(self.checks)} checks passed" if self.ok else self.error
        return f"{mark} {self.name} ({self.seconds:.1f} s): {detail}"


@dataclass
class RunReport:
    """Every notebook of one run."""

    runs: list[NotebookRun] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True if every notebook passed."""
        return bool(self.runs) and all(r.ok for r in self.runs)


def check_lines(nb: dict[str, Any]) -> tuple[tuple[str, ...], str | None]:
    """The check cells' output lines, and the first error shown in the notebook (if any)."""
    lines: list[str] = []
    error = None
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and error is None:
                error = f"{out.get('ename')}: {out.get('evalue')}"
            if CHECK_TAG in tags:
                text = out.get("text") or out.get("data", {}).get("text/plain", "")
                text = "".join(text) if isinstance(text, list) else str(text)
                lines += [ln for ln in text.splitlines() if ln.startswith("step ")]
    return tuple(lines), error


def _running_cell(executed: Path) -> str:
    """The cell that was running when the notebook stopped: the last one that started.

    Its number counts the code cells from 1, as the ``FAIL`` line of a cell error does.
    """
    try:
        cells = json.loads(executed.read_text())["cells"]
    except (OSError, ValueError, KeyError):
        return "?"
    code = [c for c in cells if c.get("cell_type") == "code"]
    started = [
        i for i, c in enumerate(code, 1) if c["metadata"].get("papermill", {}).get("start_time")
    ]
    return str(started[-1]) if started else "?"


def notebooks_in(folder: Path) -> list[Path]:
    """The ordered notebooks of a folder: ``NN-title.ipynb``, by number."""
    found = sorted(p for p in folder.glob("[0-9][0-9]-*.ipynb"))
    if not found:
        raise LabkitError(f"no notebooks like 00-title.ipynb in {folder}")
    return found


class Kernel:
    """A fresh Python kernel for one notebook, which may start before the notebook runs.

    Its sockets are IPC files in a private folder: no other host or user can reach it.
    ``labkit run`` starts the next notebook's kernel while the current notebook runs, so
    the next one does not wait for a kernel to boot (about 0.7 s each); every notebook
    still gets a kernel of its own, started in the notebook's folder.
    """

    def __init__(self, cwd: Path) -> None:
        # The asynchronous manager, as nbclient's own default: with the blocking one, the
        # client's reads block the event loop, and a kernel that dies mid-cell is never
        # noticed (the run hung until the cell's timeout).
        from jupyter_client import AsyncKernelManager

        self._sockets = tempfile.TemporaryDirectory(prefix="labkit-kernel-")
        self.manager = AsyncKernelManager(
            kernel_name="python3", transport="ipc", ip=f"{self._sockets.name}/kernel"
        )
        self.cwd = cwd

    def start(self) -> Kernel:
        """Start the kernel process (it boots in the background); returns self."""
        from jupyter_core.utils import run_sync

        run_sync(self.manager.start_kernel)(cwd=str(self.cwd))
        return self

    def stop(self) -> None:
        """Stop the kernel if it runs, and remove its sockets' folder."""
        from jupyter_core.utils import run_sync

        try:
            if self.manager.has_kernel:
                run_sync(self.manager.shutdown_kernel)(now=True)
        finally:
            self._sockets.cleanup()


def run_notebook(
    path: Path,
    out_dir: Path,
    parameters: dict[str, Any],
    cwd: Path,
    timeout_s: int = 900,
    kernel: Kernel | None = None,
) -> NotebookRun:
    """Execute one notebook with papermill; a failed cell is recorded, not raised.

    The notebook runs in ``kernel`` (started already, or not) or in a new one; either way
    the kernel is stopped when the notebook ends.
    """
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    from labkit.cli import engine

    out = out_dir / path.name
    started = time.monotonic()
    error = None
    kernel = kernel or Kernel(cwd)
    try:
        papermill.execute_notebook(
            str(path),
            str(out),
            parameters=parameters,
            engine_name=engine.register(),  # writes the notebook at its end, not per cell
            progress_bar=False,
            cwd=str(cwd),
            km=kernel.manager,
            execution_timeout=timeout_s,
        )
    except PapermillExecutionError as err:
        error = f"cell {err.exec_count}: {err.ename}: {err.evalue}"
    except DeadKernelError:  # a cell ended the kernel (os._exit, out of memory...)
        error = f"the kernel died in cell {_running_cell(out)}; the cells before it ran"
    except CellTimeoutError:
        error = f"cell {_running_cell(out)} ran over {timeout_s} s and was stopped"
    finally:
        kernel.stop()
    elapsed = time.monotonic() - started
    nb = json.loads(out.read_text()) if out.exists() else {}
    checks, shown = check_lines(nb)
    return NotebookRun(path.stem, out, checks, elapsed, error or (shown if not checks else None))


def to_html(run: NotebookRun) -> NotebookRun:
    """Render an executed notebook to HTML next to it."""
    import nbconvert
    import nbformat

    nb = nbformat.read(str(run.output), as_version=4)
    body, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    target = run.output.with_suffix(".html")
    target.write_text(body)
    return NotebookRun(run.name, run.output, run.checks, run.seconds, run.error, target)


def write_index(report: RunReport, out_dir: Path) -> Path:
    """The report's front page: one row per notebook, with its check lines."""
    rows = []
    for run in report.runs:
        link = (
            f'<a href="notebooks/{run.html.name}">{html.escape(run.name)}</a>'
            if run.html
            else run.name
        )
        checks = "<br>".join(html.escape(c) for c in run.checks) or html.escape(run.error or "")
        status = "ok" if run.ok else "FAILED"
        rows.append(
            f"<tr><td>{link}</td><td>{status}</td>"
            f"<td>{run.seconds:.1f} s</td><td>{checks}</td></tr>"
        )
    page = (
        "<!doctype html><meta charset='utf-8'><title>Lab workbook report</title>"
        "<style>body{font-family:sans-serif;margin:2em}td{padding:.3em .8em;vertical-align:top}"
        "</style><h1>AWS networking lab workbook: run report</h1>"
        f"<p>{sum(r.ok for r in report.runs)} of {len(report.runs)} notebooks passed.</p>"
        "<table><tr><th>notebook</th><th>result</th><th>time</th><th>checks</th></tr>"
        + "".join(rows)
        + "</table>"
        + screenshots_section(out_dir)
    )
    index = out_dir / "report.html"
    index.write_text(page)
    return index


SCREENSHOTS = "browser"  # under the output folder: the browser tests' PNGs (tests/browser)


def screenshots_section(out_dir: Path) -> str:
    """Links to the browser tests' screenshots under ``out_dir/browser``, if there are any.

    The browser tests (JupyterLab in headless Chromium) write a full-page PNG of every
    notebook and widget there, so a reviewer can look without a browser.
    """
    shots = sorted((out_dir / SCREENSHOTS).glob("*.png"))
    if not shots:
        return ""
    items = "".join(
        f'<li><a href="{SCREENSHOTS}/{html.escape(p.name)}">{html.escape(p.stem)}</a></li>'
        for p in shots
    )
    return (
        "<!-- screenshots --><h2>JupyterLab in a real browser: screenshots</h2>"
        f"<p>{len(shots)} screenshots taken by the browser tests (headless Chromium).</p>"
        f"<ul>{items}</ul><!-- /screenshots -->"
    )


def link_screenshots(out_dir: Path) -> Path:
    """Put the screenshots section into ``out_dir/report.html`` (a page of its own if none).

    The browser tests call this when they finish, so the report links the newest
    screenshots whether or not ``labkit run`` wrote it.
    """
    import re

    index = out_dir / "report.html"
    section = screenshots_section(out_dir)
    if index.exists():
        page = re.sub(
            r"<!-- screenshots -->.*?<!-- /screenshots -->", "", index.read_text(), flags=re.S
        )
    else:
        page = (
            "<!doctype html><meta charset='utf-8'><title>Lab workbook report</title>"
            "<style>body{font-family:sans-serif;margin:2em}</style>"
            "<h1>AWS networking lab workbook: report</h1>"
            "<p>No notebook run here yet: <code>make run</code> adds it.</p>"
        )
    index.write_text(page + section)
    return index


@contextmanager
def fresh_emulator(home: Path, seed: int | None) -> Iterator[None]:
    """A new emulator in its own LABKIT_HOME, stopped afterwards even on failure.

    It starts in the background: the first notebook's kernel starts meanwhile, and its
    ``labkit.connect`` waits for this emulator (the start lock) instead of starting one.
    """
    control.stop(home)  # one left by a run that was killed: the output lock says none runs
    starting = control.start_in_background(seed=seed, home=home, exit_with_parent=True)
    try:
        yield None
        starting.result()  # a failed start is reported even if no notebook connected
    finally:
        starting.exception()  # wait for the start to end before stopping what it started
        control.stop(home)


LOCK_NAME = ".labkit-run.lock"


@contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold the output folder for one ``labkit run``; a second one at once fails at once.

    Two runs on one folder would share one emulator (the second stops the first's) and
    overwrite each other's files. The lock is an ``fcntl`` lock, so it is released when
    its process dies, however it dies.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fh = open(out_dir / LOCK_NAME, "a+")  # noqa: SIM115 - closed below
    except OSError as err:
        reason = (err.strerror or str(err)).lower()
        raise ConfigError(f"cannot write to {out_dir} ({reason}): pick another --out") from None
    with fh:
        if fcntl is not None:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                holder = fh.read().strip() or "?"
                raise ConfigError(
                    f"another labkit run (pid {holder}) is writing to {out_dir}: wait for it "
                    "to finish, or pass another --out"
                ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        yield None


def run_all(
    notebooks: Sequence[Path],
    out_dir: Path,
    parameters: dict[str, Any],
    backend: str = "local",
    seed: int | None = DEFAULT_SEED,
    on_done: Callable[[NotebookRun], None] = lambda run: None,
) -> RunReport:
    """Execute the notebooks in order; with the local backend, on a fresh emulator."""
    # Absolute paths: papermill changes the working directory while a notebook runs, and
    # the HTML of the previous one is rendered meanwhile in another thread.
    out_dir = out_dir.resolve()
    with output_lock(out_dir):
        return _run_all(notebooks, out_dir, parameters, backend, seed, on_done)


def _run_all(
    notebooks: Sequence[Path],
    out_dir: Path,
    parameters: dict[str, Any],
    backend: str,
    seed: int | None,
    on_done: Callable[[NotebookRun], None],
) -> RunReport:
    notebooks = [p.resolve() for p in notebooks]
    nb_out = out_dir / "notebooks"
    nb_out.mkdir(parents=True, exist_ok=True)
    report = RunReport()
    params = {"BACKEND": backend, **parameters}
    home = (out_dir / ".labkit").resolve()
    saved = os.environ.get("LABKIT_HOME")
    os.environ["LABKIT_HOME"] = str(home)  # the kernels inherit it and find the emulator
    try:
        # Each notebook is rendered to HTML in a thread while the next one runs in its kernel.
        with ThreadPoolExecutor(max_workers=1) as pool:
            with fresh_emulator(home, seed) if backend == "local" else _nothing():
                pending = []
                ahead: Kernel | None = None
                try:
                    for i, path in enumerate(notebooks):
                        kernel = ahead
                        ahead = None
                        if i + 1 < len(notebooks):  # the next notebook's kernel boots meanwhile
                            ahead = Kernel(notebooks[i + 1].parent).start()
                        run = run_notebook(path, nb_out, params, cwd=path.parent, kernel=kernel)
                        on_done(run)
                        pending.append(pool.submit(to_html, run))
                finally:
                    if ahead is not None:  # interrupted: the kernel started for nothing
                        ahead.stop()
            report.runs.extend(job.result() for job in pending)
    finally:
        if saved is None:
            os.environ.pop("LABKIT_HOME", None)
        else:
            os.environ["LABKIT_HOME"] = saved
    write_index(report, out_dir)
    return report


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def update_expected(source: Path, executed: Path) -> int:
    """Copy the check cells' outputs of an executed notebook into its source notebook.

    nbval (``--nbval-lax``) compares only the cells tagged ``nbval-check-output`` against
    the outputs stored in the source, so those outputs are kept and every other output is
    cleared. Returns the number of check cells updated.
    """
    import nbformat

    src = nbformat.read(str(source), as_version=4)
    done = nbformat.read(str(executed), as_version=4)
    by_id = {cell.get("id"): cell for cell in done.cells}
    updated = 0
    for cell in src.cells:
        if cell.cell_type != "code":
            continue
        if CHECK_TAG in cell.metadata.get("tags", []) and cell.get("id") in by_id:
            ran = by_id[cell.get("id")]
            # nbval refuses a reference cell with outputs but no execution count.
            cell.execution_count = ran.execution_count
            cell.outputs = ran.outputs
            updated += 1
        else:
            cell.execution_count = None
            cell.outputs = []
    nbformat.write(src, str(source))
    return updated
