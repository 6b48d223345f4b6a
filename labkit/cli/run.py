"""``labkit run``: every notebook headless, the executed notebooks and an HTML report."""

from __future__ import annotations

import argparse
import ast
import json
from pathlib import Path
from typing import Any

from labkit.cli import report
from labkit.errors import ConfigError
from labkit.labs import params
from labkit.labs.lab1.plan import Lab1


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``run`` subcommand."""
    parser = subparsers.add_parser(
        "run", help="run every notebook headless and write build/report.html"
    )
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/NN-*.ipynb")
    parser.add_argument("--out", type=Path, default=Path("build"), help="output folder")
    parser.add_argument("--backend", choices=["local", "aws"], default="local")
    parser.add_argument("--seed", type=int, default=report.DEFAULT_SEED)
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a notebook parameter, as with papermill -p",
    )
    parser.add_argument(
        "--update-expected",
        action="store_true",
        help="after a green run, store the check cells' outputs in the source notebooks (nbval)",
    )
    parser.set_defaults(func=run)


def _value(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text


# Notebook 01's parameters → the fields of the Lab 1 plan that checks them as a whole.
LAB1_PARAMETERS = {
    "VPC_1_CIDR": "vpc_1_cidr",
    "SUBNET_1_CIDR": "subnet_1_cidr",
    "VPC_2_CIDR": "vpc_2_cidr",
    "SUBNET_2_CIDR": "subnet_2_cidr",
    "LOG_GROUP": "log_group_name",
    "TRAFFIC_TYPE": "traffic_type",
    "AGGREGATION_S": "aggregation_s",
}


def declared_parameters(notebooks: list[Path]) -> dict[str, tuple[str, Any]]:
    """Every notebook's parameters cell: name → (type name, default), as papermill reads it."""
    import papermill

    declared: dict[str, tuple[str, Any]] = {}
    for path in notebooks:
        try:
            found = papermill.inspect_notebook(str(path))
        except Exception as err:  # papermill raises bare exceptions for unreadable notebooks
            raise ConfigError(f"cannot read the parameters of {path}: {err}") from None
        for name, info in found.items():
            declared.setdefault(name, (info["inferred_type_name"], _value(info["default"])))
    return declared


def _readable(path: Path) -> None:
    """Fail at once, naming the file, if ``path`` is not a notebook's JSON."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells")
    except (OSError, UnicodeDecodeError, ValueError, AttributeError) as err:
        raise ConfigError(f"cannot read the parameters of {path}: not a notebook ({err})") from None
    if not isinstance(cells, list):
        raise ConfigError(f"cannot read the parameters of {path}: not a notebook (no cells)")


def check_parameters(notebooks: list[Path], given: list[tuple[str, str]]) -> dict[str, Any]:
    """The ``-p`` values, typed as the notebooks declare them and checked before any run.

    An unknown name, a value of the wrong type, or one labkit's validators refuse
    (``labkit.labs.params``) fails at once, naming the parameter.
    """
    if not given:  # nothing to type or check; papermill (0.6 s) loads as the emulator starts
        for path in notebooks:
            _readable(path)
        return {}
    declared = declared_parameters(notebooks)
    values: dict[str, Any] = {}
    for name, text in given:
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise ConfigError(f"unknown parameter {name!r}: the notebooks take {known}")
        kind = declared[name][0]
        value = _value(text)
        if kind == "str" and not isinstance(value, str):
            value = text  # -p PREFIX 123 is the text "123"
        if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError(f"parameter {name} {text!r} must be a whole number")
        if name in params.PARAMETERS:
            params.check_parameter(name, value)
        values[name] = value
    if LAB1_PARAMETERS.keys() & values.keys():  # checked together: subnets inside VPCs...
        merged = {k: declared[k][1] for k in LAB1_PARAMETERS if k in declared} | values
        Lab1(**{LAB1_PARAMETERS[k]: v for k, v in merged.items() if k in LAB1_PARAMETERS})
    return values


def run(args: argparse.Namespace) -> int:
    """Execute the notebooks; exit 1 if any cell or check failed."""
    notebooks = args.notebooks or report.notebooks_in(Path("notebooks"))
    for path in notebooks:
        if not path.is_file():
            raise ConfigError(f"no notebook at {path}")
    params_given = check_parameters(notebooks, args.parameter)
    backend = params_given.pop("BACKEND", args.backend)
    if backend != args.backend and args.backend != "local":
        raise ConfigError(f"-p BACKEND {backend} contradicts --backend {args.backend}: give one")
    args.backend = backend
    params = params_given
    print(f"running {len(notebooks)} notebooks on the {args.backend} backend → {args.out}/")
    result = report.run_all(
        notebooks,
        args.out,
        params,
        backend=args.backend,
        seed=args.seed,
        on_done=lambda nb: print(nb.line(), flush=True),
    )
    if args.update_expected and result.ok:
        for source, nb in zip(notebooks, result.runs, strict=True):
            count = report.update_expected(source, nb.output)
            print(f"stored {count} expected check outputs in {source}")
    passed = sum(r.ok for r in result.runs)
    print(f"{passed}/{len(result.runs)} notebooks passed; report: {args.out / 'report.html'}")
    return 0 if result.ok else 1
