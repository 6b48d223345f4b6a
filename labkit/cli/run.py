"""``labkit run``: every notebook headless, the executed notebooks and an HTML report."""

from __future__ import annotations

import argparse
import ast
from pathlib import Path
from typing import Any

from labkit.cli import report
from labkit.errors import ConfigError


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
    except (ValueError, SyntaxError):
        return text


def run(args: argparse.Namespace) -> int:
    """Execute the notebooks; exit 1 if any cell or check failed."""
    notebooks = args.notebooks or report.notebooks_in(Path("notebooks"))
    for path in notebooks:
        if not path.is_file():
            raise ConfigError(f"no notebook at {path}")
    params = {name: _value(value) for name, value in args.parameter}
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
