"""The policies notebook 04 writes out for the learner are the ones labkit rebuilds.

Notebook 04 shows its three policies literally; ``build_lab2`` (a later notebook's
``connect(ensure="04")``) and ``Lab2`` make the same resources from ``plan``. If the two
drifted, a lab rebuilt by a setup cell would differ from the one the learner built.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from labkit.aws import compute
from labkit.labs.lab2.plan import Lab2

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "04-lab2-s3-from-a-vpc.ipynb"
BUCKET = "lab-bucket-123456789012"


def literal(name: str) -> Any:
    """The value notebook 04 assigns to ``name`` (a dict display), with BUCKET bound."""
    for cell in json.loads(NOTEBOOK.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        for node in ast.parse("".join(cell["source"])).body:
            if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == [name]:
                code = compile(ast.Expression(node.value), str(NOTEBOOK), "eval")
                return eval(code, {"__builtins__": {}}, {"BUCKET": BUCKET})  # a literal only
    raise AssertionError(f"notebook 04 assigns no {name}")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("user_policy", lambda plan: plan.user_policy()),
        ("reader_policy", lambda plan: plan.reader_policy()),
        ("trust_policy", lambda plan: compute.EC2_TRUST),
    ],
)
def test_notebook_04_policies_match_the_plan(name: str, expected: Any) -> None:
    plan = Lab2("lab", BUCKET)
    assert literal(name) == expected(plan)
