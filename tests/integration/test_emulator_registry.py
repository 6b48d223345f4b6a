"""The emulator's handlers are registered in one place, by the server, not by imports.

In a fresh interpreter (importing moto takes seconds), so it lives with the integration tests.
"""

from __future__ import annotations

import json
import subprocess
import sys

from labkit.emulator import handlers

SCRIPT = """
import json
import labkit.emulator.ec2, labkit.emulator.flows, labkit.emulator.iam, labkit.emulator.logs
import labkit.emulator.shell.ssm
from labkit.emulator import front, handlers
before = {f"{s}:{a}": len(fns) for (s, a), fns in front.HANDLERS.items()}
handlers.register_all()
handlers.register_all()
after = {f"{s}:{a}": len(fns) for (s, a), fns in front.HANDLERS.items()}
print(json.dumps({"before": before, "after": after}))
"""


def test_importing_handler_modules_registers_nothing_and_register_all_is_idempotent() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True
    )
    seen = json.loads(out.stdout)
    assert seen["before"] == {}
    expected = {f"{service}:{action}" for service, action, _ in handlers.HANDLER_TABLE}
    assert set(seen["after"]) == expected
    assert set(seen["after"].values()) == {1}
    assert "ssm:SendCommand" in expected and "logs:StartQuery" in expected
