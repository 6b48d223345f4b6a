"""The emulator's life cycle, as the `labkit emulator` command and other processes see it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from labkit.emulator import control
from labkit.errors import EmulatorError

LABKIT = [sys.executable, "-m", "labkit"]


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, LABKIT_HOME=str(home))
    return subprocess.run(LABKIT + list(args), env=env, capture_output=True, text=True, timeout=120)


def ec2(url: str):  # type: ignore[no-untyped-def]
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    return session.client("ec2", endpoint_url=url)


@pytest.fixture
def home(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A LABKIT_HOME of the test's own; whatever it started is stopped afterwards."""
    yield tmp_path
    control.stop(tmp_path)


def test_start_prints_url_last_and_second_start_reuses_it(home: Path) -> None:
    first = cli(home, "emulator", "start", "--port", "0")
    assert first.returncode == 0, first.stderr
    url = first.stdout.strip().splitlines()[-1]
    assert url.startswith("http://127.0.0.1:")
    assert ec2(url).describe_vpcs()["Vpcs"], "the endpoint must answer EC2 once start returns"
    second = cli(home, "emulator", "start")
    assert second.stdout.strip().splitlines()[-1] == url
    assert "already running" in second.stdout
    state = json.loads((home / "emulator.json").read_text())
    assert state["url"] == url and state["pid"] > 0
    status = cli(home, "emulator", "status")
    assert status.returncode == 0 and status.stdout.strip().splitlines()[-1] == url
    stopped = cli(home, "emulator", "stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert cli(home, "emulator", "status").returncode == 3
    assert not (home / "emulator.json").exists()


def test_stale_state_file_from_a_crash_is_cleared(home: Path) -> None:
    info = control.start(home=home)
    os.kill(info.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while control._pid_alive(info.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (home / "emulator.json").exists(), "a crash leaves the state file behind"
    status = cli(home, "emulator", "status")
    assert status.returncode == 3 and "not running" in status.stdout
    assert not (home / "emulator.json").exists()
    fresh = control.start(home=home)
    assert fresh.pid != info.pid and not fresh.already_running


def test_garbage_state_file_is_cleared(home: Path) -> None:
    (home / "emulator.json").write_text("{not json")
    assert control.status(home) is None
    assert not (home / "emulator.json").exists()


def test_port_taken_gives_one_clear_line(home: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli(home, "emulator", "start", "--port", str(port))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"127.0.0.1:{port}" in lines[0] and "--port" in lines[0]
    assert "Traceback" not in result.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_seed_makes_ids_deterministic_whatever_the_timing(tmp_path: Path) -> None:
    ids = []
    for run, pause in (("quick", 0.0), ("slow", 1.5)):
        home = tmp_path / run
        port = _free_port()
        client = ec2(f"http://127.0.0.1:{port}")  # ready before the start: no delay after it
        control.start(port=port, seed=7, home=home)
        try:
            vpc = client.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
            time.sleep(pause)  # background loading, if any, would draw ids meanwhile
            subnet = client.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]
            ids.append((vpc, subnet))
        finally:
            control.stop(home)
    assert ids[0] == ids[1]


def test_no_log_line_per_request(home: Path) -> None:
    info = control.start(home=home)
    for _ in range(5):
        ec2(info.url).describe_vpcs()
    log = (home / "emulator.log").read_text()
    assert "DescribeVpcs" not in log and "POST /" not in log, log


def test_aws_managed_policies_exist(emulator: control.EmulatorInfo) -> None:
    iam = boto3.client(
        "iam",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    for name in ("AmazonS3FullAccess", "AmazonSSMManagedInstanceCore"):
        policy = iam.get_policy(PolicyArn=f"arn:aws:iam::aws:policy/{name}")["Policy"]
        assert policy["PolicyName"] == name


def test_two_processes_share_one_emulator(
    emulator: control.EmulatorInfo, labkit_home: Path
) -> None:
    code = (
        "import labkit; lab = labkit.connect('local', prefix='shared');"
        "import sys; v = lab.ec2.create_vpc(CidrBlock='10.9.0.0/16',"
        " TagSpecifications=lab.tag_spec('vpc', 'from ' + sys.argv[1]))['Vpc']['VpcId']; print(v)"
    )
    env = dict(os.environ, LABKIT_HOME=str(labkit_home))
    made = [
        subprocess.run(
            [sys.executable, "-c", code, who],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout.strip()
        for who in ("kernel-a", "kernel-b")
    ]
    names = {
        t["Value"]
        for v in ec2(emulator.url).describe_vpcs(VpcIds=made)["Vpcs"]
        for t in v.get("Tags", [])
        if t["Key"] == "Name"
    }
    assert names == {"from kernel-a", "from kernel-b"}
    assert control.status(labkit_home).pid == emulator.pid  # type: ignore[union-attr]


def _non_loopback_addresses() -> list[str]:
    found = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(str(info[4][0]))
    except socket.gaierror:
        pass
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent for a UDP connect
            found.add(probe.getsockname()[0])
        except OSError:
            pass
    return sorted(a for a in found if not a.startswith("127."))


def test_emulator_answers_on_loopback_only(emulator: control.EmulatorInfo) -> None:
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=2):
        pass
    addresses = _non_loopback_addresses()
    if not addresses:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    for address in addresses:
        with pytest.raises(OSError):
            socket.create_connection((address, emulator.port), timeout=2).close()


def test_start_failure_is_an_emulator_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(EmulatorError, match="could not start"):
            control.start(port=taken.getsockname()[1], home=tmp_path)
    assert control.status(tmp_path) is None


def test_concurrent_starts_share_one_emulator(tmp_path: Path) -> None:
    starting = control.start_in_background(home=tmp_path)
    try:
        other = control.start(home=tmp_path)  # waits on the start lock, then finds it
        first = starting.result(timeout=60)
        assert other.pid == first.pid and other.already_running
    finally:
        control.stop(tmp_path)
