"""``labkit run``'s kernels: one per notebook, started ahead, and a dead one fails only its
notebook. These notebooks touch no AWS API, so they run with ``--backend aws`` and need no
emulator and no credentials.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from labkit.cli import main, report


def _notebook(folder: Path, name: str, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    path = folder / name
    nbformat.write(nb, str(path))
    return path


def _outputs(executed: Path) -> str:
    cells = json.loads(executed.read_text())["cells"]
    return "".join("".join(o.get("text", "")) for c in cells for o in c.get("outputs", []))


@pytest.mark.timeout(180)
def test_a_dead_kernel_fails_its_notebook_and_the_run_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "nbs"
    src.mkdir()
    dead = _notebook(src, "10-dead.ipynb", "print('before the crash')", "import os; os._exit(3)")
    fine = _notebook(src, "11-fine.ipynb", "print('the next notebook ran')")
    code = main(["run", "--backend", "aws", "--out", str(tmp_path / "out"), str(dead), str(fine)])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL 10-dead" in out and "the kernel died in cell 3" in out, out
    assert "ok   11-fine" in out, out
    executed = tmp_path / "out" / "notebooks"
    assert "before the crash" in _outputs(executed / "10-dead.ipynb")  # nothing lost
    assert "the next notebook ran" in _outputs(executed / "11-fine.ipynb")


def test_every_notebook_has_a_fresh_kernel_in_its_own_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folders = [tmp_path / "a", tmp_path / "b", tmp_path / "c"]
    probe = "import os; print('pid', os.getpid(), 'cwd', os.getcwd(), 'x' in globals())"
    paths = []
    for i, folder in enumerate(folders):
        folder.mkdir()
        paths.append(_notebook(folder, f"1{i}-probe.ipynb", probe, "x = 1"))
    code = main(["run", "--backend", "aws", "--out", str(tmp_path / "out"), *map(str, paths)])
    assert code == 0, capsys.readouterr()
    seen = [
        _outputs(tmp_path / "out" / "notebooks" / p.name).split() for p in paths
    ]  # ['pid', N, 'cwd', folder, 'False']
    assert len({words[1] for words in seen}) == 3  # three kernels
    assert [words[3] for words in seen] == [str(f) for f in folders]  # started where each lives
    assert all(words[4] == "False" for words in seen)  # none sees the previous one's names


def test_a_cell_over_the_timeout_is_stopped_and_what_ran_is_kept(tmp_path: Path) -> None:
    path = _notebook(tmp_path, "10-slow.ipynb", "print('quick')", "import time; time.sleep(60)")
    (tmp_path / "out").mkdir()
    run = report.run_notebook(path, tmp_path / "out", {}, cwd=tmp_path, timeout_s=3)
    assert run.error == "cell 2 ran over 3 s and was stopped"
    assert run.seconds < 30
    assert "quick" in _outputs(tmp_path / "out" / "10-slow.ipynb")
