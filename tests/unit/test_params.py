"""Notebook parameters: every one has a validator, and each notebook's setup refuses bad ones."""

from __future__ import annotations

import json
from pathlib import Path

import papermill
import pytest

from labkit.cli.run import check_parameters
from labkit.errors import ConfigError
from labkit.labs import params

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def setup_source(path: Path) -> tuple[str, str]:
    """The parameters cell and the setup cell (the first code cell after it)."""
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    index = next(i for i, c in enumerate(cells) if "parameters" in c["metadata"].get("tags", []))
    return "".join(cells[index]["source"]), "".join(cells[index + 1]["source"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_declared_parameter_has_a_validator(path: Path) -> None:
    declared = papermill.inspect_notebook(str(path))
    assert set(declared) <= set(params.PARAMETERS), set(declared) - set(params.PARAMETERS)
    for name, info in declared.items():  # and the defaults pass their own validators
        params.check_parameter(name, eval(info["default"]))  # noqa: S307 - our own notebooks


@pytest.mark.parametrize(
    ("notebook", "name", "bad", "says"),
    [
        ("02-lab1-connectivity", "PING_COUNT", -1, "PING_COUNT -1 is out of range"),
        ("02-lab1-connectivity", "BACKEND", "gcp", "unknown backend 'gcp'"),
        ("03-lab1-flow-log-analysis", "MINUTES", 0, "MINUTES 0 is out of range"),
        ("03-lab1-flow-log-analysis", "BACKGROUND_FLOWS", -5, "BACKGROUND_FLOWS -5"),
        ("01-lab1-build", "VPC_1_CIDR", "notacidr", "VPC_1_CIDR 'notacidr'"),
    ],
)
def test_the_setup_cell_refuses_a_bad_value(
    notebook: str, name: str, bad: object, says: str
) -> None:
    """As papermill runs it: the parameters cell, the injected value, then the setup cell.

    The setup cell's first failing line must be the check, before any resource is made;
    ``labkit.connect`` is replaced by a marker so nothing is started if a check lets it by.
    """
    import labkit

    cell, setup = setup_source(next(p for p in NOTEBOOKS if p.stem == notebook))
    namespace: dict[str, object] = {}
    exec(cell, namespace)  # noqa: S102 - our own notebook's parameters cell
    namespace[name] = bad
    connected: list[str] = []
    real_connect = labkit.connect

    def connect(backend: str, *args: object, **kwargs: object) -> object:
        if backend not in ("local", "aws"):
            return real_connect(backend)  # refuses it, as in the notebook
        connected.append(backend)
        raise AssertionError("the setup reached connect with a bad parameter")

    labkit.connect = connect  # type: ignore[assignment]
    try:
        with pytest.raises(ConfigError, match=says.replace("(", r"\(")):
            exec(setup, namespace)  # noqa: S102 - our own notebook's setup cell
    finally:
        labkit.connect = real_connect  # type: ignore[assignment]
    assert not connected


def test_labkit_run_types_values_as_declared() -> None:
    nb = [p for p in NOTEBOOKS if p.stem.startswith(("01", "02"))]
    values = check_parameters(
        nb,
        [
            ("PING_COUNT", "5"),
            ("PREFIX", "123"),
            ("VPC_1_CIDR", "10.3.0.0/16"),
            ("SUBNET_1_CIDR", "10.3.0.0/24"),
        ],
    )
    assert values == {
        "PING_COUNT": 5,
        "PREFIX": "123",
        "VPC_1_CIDR": "10.3.0.0/16",
        "SUBNET_1_CIDR": "10.3.0.0/24",
    }
    with pytest.raises(ConfigError, match="the notebooks take AGGREGATION_S, BACKEND"):
        check_parameters(nb, [("PINGCOUNT", "5")])
