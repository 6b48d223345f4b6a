"""``make lab``: JupyterLab on the notebooks, on 127.0.0.1, without the news pop-up, as root too.

JupyterLab 4 asks on first start "Would you like to get notified about official Jupyter
news?" in a pop-up over a corner of the first notebook. It asks whenever the setting
``fetchNews`` is "none" (the default), even with ``--LabApp.news_url=None``, which only
stops the feed. So the announcements plugin is disabled in a page config of our own, in
a folder added to ``JUPYTER_CONFIG_PATH`` (the learner's own Jupyter settings are not
touched). As root (a container) JupyterLab refuses to start unless given
``--allow-root``. The browser tests start JupyterLab with this same command and folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

# The plugin that asks about (and fetches) Jupyter news and checks for updates.
ANNOUNCEMENTS = "@jupyterlab/apputils-extension:announcements"


def lab_config(folder: Path) -> Path:
    """Write a Jupyter config folder whose page config disables the news pop-up."""
    target = folder / "labconfig" / "page_config.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"disabledExtensions": {ANNOUNCEMENTS: True}}))
    return folder


def lab_env(config: Path, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment with ``config`` (see :func:`lab_config`) first in JUPYTER_CONFIG_PATH."""
    found = dict(os.environ if env is None else env)
    paths = [str(config), *filter(None, found.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep))]
    found["JUPYTER_CONFIG_PATH"] = os.pathsep.join(paths)
    return found


def lab_args(root: Path, port: int | None = None, token: str | None = None) -> list[str]:
    """The command line that serves ``root`` in JupyterLab on 127.0.0.1."""
    args = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--ip=127.0.0.1",
        "--LabApp.news_url=None",
        f"--ServerApp.root_dir={root}",
    ]
    if port is not None:
        args.append(f"--port={port}")
    if token is not None:
        args.append(f"--IdentityProvider.token={token}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run JupyterLab on the given folder (default: notebooks/) until it is stopped."""
    given = list(sys.argv[1:] if argv is None else argv)
    root = Path(given[0] if given else "notebooks").resolve()
    with tempfile.TemporaryDirectory(prefix="labkit-jupyter-config-") as folder:
        env = lab_env(lab_config(Path(folder)))
        try:
            return subprocess.call(lab_args(root) + given[1:], env=env)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    raise SystemExit(main())
