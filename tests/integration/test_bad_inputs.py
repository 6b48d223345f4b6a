"""One line per error: bad inputs to every ``labkit`` subcommand, as a new user types them.

Each case asserts exactly one line on stderr, a non-zero exit, no traceback, and the words
a user needs to fix it. Cases that need an emulator use the session's (``{url}``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from labkit.cli import main
from labkit.emulator import control

REPO = Path(__file__).resolve().parents[2]
NB = str(REPO / "notebooks" / "01-lab1-build.ipynb")
NB2 = str(REPO / "notebooks" / "02-lab1-connectivity.ipynb")
NB3 = str(REPO / "notebooks" / "03-lab1-flow-log-analysis.ipynb")


@dataclass(frozen=True)
class Case:
    """A command line (``{url}``, ``{tmp}``: the emulator's URL, a scratch folder) and what
    its one error line must say."""

    args: tuple[str, ...]
    says: str
    home: str = ""  # "file": LABKIT_HOME is a file; "statedir": emulator.json is a folder


def case(says: str, *args: str, home: str = "") -> Case:
    return Case(tuple(args), says, home)


CASES = [
    # labkit run: parameters are checked before any notebook runs
    case("no notebook at", "run", "{tmp}/missing.ipynb"),
    case("no notebook at", "run", "{tmp}"),
    case("cannot read the parameters", "run", "{tmp}/not-a-notebook.ipynb"),
    case("unknown parameter 'NOPE'", "run", "-p", "NOPE", "1", NB),
    case("PING_COUNT -1 is out of range", "run", "-p", "PING_COUNT", "-1", NB2),
    case("PING_COUNT 0 is out of range", "run", "-p", "PING_COUNT", "0", NB2),
    case("PING_COUNT 5000000 is out of range", "run", "-p", "PING_COUNT", "5000000", NB2),
    case("PING_COUNT 'abc' must be a whole number", "run", "-p", "PING_COUNT", "abc", NB2),
    case("PING_COUNT '2.5' must be a whole number", "run", "-p", "PING_COUNT", "2.5", NB2),
    case("BACKEND 'gcp' is not a backend", "run", "-p", "BACKEND", "gcp", NB),
    case("VPC_1_CIDR 'notacidr'", "run", "-p", "VPC_1_CIDR", "notacidr", NB, NB2),
    case("did you mean 10.1.0.0/16", "run", "-p", "VPC_1_CIDR", "10.1.0.1/16", NB),
    case("between /16 and /28", "run", "-p", "VPC_1_CIDR", "10.0.0.0/8", NB),
    case("is IPv6", "run", "-p", "VPC_1_CIDR", "2001:db8::/56", NB),
    case("not inside VPC_1_CIDR", "run", "-p", "SUBNET_1_CIDR", "10.9.0.0/24", NB),
    case("overlaps", "run", "-p", "VPC_2_CIDR", "10.1.0.0/16", NB),
    case("TRAFFIC_TYPE 'SOME'", "run", "-p", "TRAFFIC_TYPE", "SOME", NB),
    case("AGGREGATION_S 30 must be 60 or 600", "run", "-p", "AGGREGATION_S", "30", NB),
    case("PREFIX 'bad prefix!'", "run", "-p", "PREFIX", "bad prefix!", NB),
    case("REGION 'mars'", "run", "-p", "REGION", "mars", NB),
    case("MINUTES 0 is out of range", "run", "-p", "MINUTES", "0", NB3),
    case("BACKGROUND_FLOWS -5 is out of range", "run", "-p", "BACKGROUND_FLOWS", "-5", NB3),
    case("SEED -1 is out of range", "run", "-p", "SEED", "-1", NB3),
    case("LOG_GROUP 'bad group!'", "run", "-p", "LOG_GROUP", "bad group!", NB),
    case("contradicts --backend aws", "run", "--backend", "aws", "-p", "BACKEND", "local", NB),
    case("--seed", "run", "--seed", "notanint", NB),
    case("--backend", "run", "--backend", "gcp", NB),
    case("-p", "run", "-p", "PING_COUNT"),
    case("--frobnicate", "run", "--frobnicate"),
    case("cannot write to", "run", "--out", "/sys/kernel/labkit-build", NB),
    # labkit reach
    case("--from", "reach"),
    case(
        "--endpoint-url 'notaurl' is not a URL",
        "reach",
        "--from",
        "a",
        "--to",
        "b",
        "--endpoint-url",
        "notaurl",
    ),
    case(
        "--endpoint-url 'ftp://x' is not a URL",
        "reach",
        "--from",
        "a",
        "--to",
        "b",
        "--endpoint-url",
        "ftp://x",
    ),
    case(
        "cannot connect to http://127.0.0.1:9",
        "reach",
        "--from",
        "a",
        "--to",
        "b",
        "--endpoint-url",
        "http://127.0.0.1:9",
    ),
    case(
        "valid region",
        "reach",
        "--from",
        "a",
        "--to",
        "b",
        "--endpoint-url",
        "{url}",
        "--region",
        "mars-1",
    ),
    case("--protocol", "reach", "--from", "a", "--to", "b", "--protocol", "gre"),
    case("--port", "reach", "--from", "a", "--to", "b", "--port", "abc"),
    case("--format", "reach", "--from", "a", "--to", "b", "--format", "xml"),
    case(
        "no-such-instance",
        "reach",
        "--from",
        "no-such-instance",
        "--to",
        "10.0.0.1",
        "--endpoint-url",
        "{url}",
    ),
    case(
        "port 70000",
        "reach",
        "--from",
        "i-1",
        "--to",
        "10.0.0.1",
        "--protocol",
        "tcp",
        "--port",
        "70000",
        "--endpoint-url",
        "{url}",
    ),
    # labkit policy
    case("cannot read request file", "policy", "eval", "--request", "{tmp}/missing.json"),
    case("not-json.json", "policy", "eval", "--request", "{tmp}/not-json.json"),
    case("cannot read request file", "policy", "eval", "--request", "{tmp}"),
    case("must be a JSON object", "policy", "eval", "--request", "{tmp}/list.json"),
    case("--request", "policy", "eval"),
    case("ACTION", "policy"),
    # labkit emulator
    case("--port 70000 is not a TCP port", "emulator", "start", "--port", "70000"),
    case("--port -1 is not a TCP port", "emulator", "start", "--port", "-1"),
    case("--port", "emulator", "start", "--port", "abc"),
    case("--seed", "emulator", "start", "--seed", "x"),
    case("frobnicate", "emulator", "frobnicate"),
    case("is a file, not a folder", "emulator", "status", home="file"),
    case("is a file, not a folder", "emulator", "start", home="file"),
    case("is a file, not a folder", "emulator", "stop", home="file"),
    case("is a folder", "emulator", "status", home="statedir"),
    case("is a folder", "emulator", "start", home="statedir"),
    case("is a folder", "emulator", "stop", home="statedir"),
    # labkit itself
    case(
        "COMMAND",
    ),
    case("frob", "frob"),
]


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bad-inputs")
    (folder / "not-a-notebook.ipynb").write_text("this is not JSON")
    (folder / "not-json.json").write_text("{principal: nope")
    (folder / "list.json").write_text(json.dumps([1, 2]))
    return folder


@pytest.mark.parametrize("bad", CASES, ids=[" ".join(c.args)[:60] or "nothing" for c in CASES])
def test_one_line_per_error(
    bad: Case,
    scratch: Path,
    emulator: control.EmulatorInfo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if bad.home == "file":
        home = tmp_path / "home-file"
        home.write_text("")
        monkeypatch.setenv("LABKIT_HOME", str(home))
    elif bad.home == "statedir":
        (tmp_path / "emulator.json").mkdir()
        monkeypatch.setenv("LABKIT_HOME", str(tmp_path))
    else:
        monkeypatch.setenv("LABKIT_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    argv = [a.format(url=emulator.url, tmp=scratch) for a in bad.args]
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code != 0, out
    assert "Traceback" not in err
    assert len(lines) == 1, err
    assert bad.says in lines[0], lines[0]
    assert lines[0].startswith("labkit"), lines[0]
    assert not (tmp_path / "emulator.json").is_file(), "an error must not start an emulator"
    assert os.environ.get("LABKIT_HOME") is not None
