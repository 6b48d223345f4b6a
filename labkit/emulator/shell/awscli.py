"""``aws …`` in the instance shell: the real AWS CLI, run as if on the instance, confined to it.

Design (the three mechanisms, also in the README of the emulator):

* **Identity.** Each run gets a one-time token (:mod:`labkit.emulator.instanceid`) passed
  as ``AWS_SDK_UA_APP_ID``; every request of the run carries ``app/labkit-<token>`` in its
  User-Agent, and the S3 enforcement layer maps it to the instance and its network path.
* **Credentials.** The CLI's own chain: ``~/.aws/credentials`` and ``~/.aws/config`` in the
  instance's home (written by ``aws configure set``), else, if the instance has an
  instance profile, the role's session credentials from the emulator's loopback
  container-credentials URL (:mod:`labkit.emulator.credentials`); else the CLI's own
  "Unable to locate credentials". The process gets a clean environment: none of the host's
  ``AWS_*`` variables, no proxies, IMDS disabled.
* **Sandbox.** The CLI runs as ``python -I`` (no user site, no cwd on ``sys.path``) with an
  audit hook (PEP 578) installed before awscli is imported: files may be written only
  under the instance's folder and read only there or in the Python installation and a
  few system data files (MIME types, time zones); no process may be started; sockets may
  connect only to the emulator's port. Path arguments (``/tmp/x``, ``~/x``, ``../x``,
  ``file://…``) are first mapped into the instance's folder, so ``/etc/x`` is the
  instance's ``/etc/x``; a symlink that leads out is refused with one line. Settings that
  would run or read things outside the instance (``credential_process``, CLI aliases,
  plugins, ``--endpoint-url``, CA bundles) are refused before the CLI starts.

No path to S3 (``s3_path`` kind "none"): the run's endpoint is a closed local port, one
attempt, so the CLI fails at once with its own ``Could not connect to the endpoint URL``.
Outputs are rewritten so the instance's folder shows as ``/`` and the emulator's URL as
the AWS endpoint the CLI would have called.
"""

from __future__ import annotations

import configparser
import os
import site
import socket
import subprocess
import sys

from labkit.emulator import instanceid
from labkit.emulator.credentials import credentials_url, instance_role_arn
from labkit.emulator.front import DEFAULT_ACCOUNT_ID, server_url
from labkit.emulator.shell.fs import HOME, EscapeError, InstanceFS, InstanceState
from labkit.emulator.shell.runtime import Context
from labkit.netsim.s3path import s3_path
from labkit.netsim.services import HTTPS_PORT, S3

RUN_TIMEOUT_S = 120
CLI_ERROR = 255  # the AWS CLI's exit code for a failed command; 252 for a usage error
USAGE_ERROR = 252
REFUSED_OPTIONS = {
    "--endpoint-url": "the instance reaches AWS through its own network path",
    "--ca-bundle": "the CLI on an instance uses the system's certificates",
}
# Settings of ~/.aws/config and ~/.aws/credentials the simulated instance honours; others
# (credential_process, web_identity_token_file, ca_bundle, sso_*, plugins, …) could run or
# read things outside the instance.
SETTINGS = frozenset(
    {
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "region",
        "output",
        "role_arn",
        "source_profile",
        "role_session_name",
        "external_id",
        "duration_seconds",
        "cli_timestamp_format",
        "parameter_validation",
        "max_attempts",
        "retry_mode",
        "s3",
        "sts_regional_endpoints",
        "tcp_keepalive",
    }
)
S3_SETTINGS = frozenset(
    {
        "addressing_style",
        "max_concurrent_requests",
        "max_queue_size",
        "multipart_threshold",
        "multipart_chunksize",
        "max_bandwidth",
        "payload_signing_enabled",
    }
)
SYSTEM_DATA = (
    "/dev/null",
    "/dev/urandom",
    "/etc/mime.types",
    "/etc/httpd/mime.types",
    "/etc/httpd/conf/mime.types",
    "/etc/apache/mime.types",
    "/etc/apache2/mime.types",
    "/usr/local/etc/httpd/conf/mime.types",
    "/usr/local/lib/netscape/mime.types",
    "/usr/local/etc/mime.types",
    "/etc/localtime",
    "/usr/share/zoneinfo",
)

# Runs in the CLI's process before awscli is imported. Audit hooks cannot be removed.
BOOT = r"""
import os, sys
root = os.path.realpath(os.environ.pop("LABKIT_SANDBOX_ROOT"))
readable = [p for p in os.environ.pop("LABKIT_SANDBOX_READ").split(os.pathsep) if p]
ports = {int(p) for p in os.environ.pop("LABKIT_SANDBOX_PORTS").split(",")}
WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
SPAWN = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
         "os.fork", "os.forkpty", "pty.spawn", "os.startfile"}
CHANGE = {"os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.utime",
          "os.truncate", "os.symlink", "os.link", "os.rename", "shutil.rmtree",
          "os.setxattr", "os.removexattr", "shutil.copyfile", "shutil.move"}
READ = {"os.listdir", "os.scandir", "os.listxattr", "os.getxattr", "glob.glob"}

def under(path, tops):
    real = os.path.realpath(os.fsdecode(path))
    return any(real == t or real.startswith(t.rstrip("/") + "/") for t in tops)

def refuse(path):
    shown = os.fsdecode(path)
    raise PermissionError(13, "Permission denied: outside this instance's filesystem", shown)

def hook(event, args):
    if event == "open":
        path, mode, flags = args
        if path is None or isinstance(path, int):
            return
        writing = bool(flags & WRITE) if mode is None else any(c in mode for c in "wax+")
        if not under(path, [root]) and (writing or not under(path, readable)):
            refuse(path)
    elif event in CHANGE:
        for path in args[:2] if event in ("os.rename", "os.link", "shutil.copyfile",
                                          "shutil.move") else args[:1]:
            if isinstance(path, (str, bytes, os.PathLike)) and not under(path, [root]):
                refuse(path)
        if event == "os.symlink":
            target = os.path.join(os.path.dirname(os.fsdecode(args[1])), os.fsdecode(args[0]))
            if not under(target, [root]):
                refuse(args[0])
    elif event in READ:
        path = args[0] if args else "."
        if isinstance(path, (str, bytes, os.PathLike)) and not under(path, [root] + readable):
            refuse(path)
    elif event in SPAWN:
        raise PermissionError(1, "Operation not permitted: no process may start here")
    elif event == "socket.connect":
        address = args[1]
        if not (isinstance(address, tuple) and address[0] == "127.0.0.1" and address[1] in ports):
            raise PermissionError(1, "Operation not permitted: the instance reaches only AWS")

sys.addaudithook(hook)
sys.argv = ["aws"] + sys.argv[1:]
from awscli.clidriver import main
sys.exit(main())
"""


class Refused(Exception):
    """An argument or setting the simulated instance does not allow (one line)."""


def _readable() -> list[str]:
    """What the CLI may read outside the instance: the Python installation, system data."""
    tops = {sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages()}
    tops |= {os.path.realpath(p) for p in list(tops)}
    tops.add(os.path.realpath(sys.executable))
    return sorted(tops) + list(SYSTEM_DATA)


def map_arg(fs: InstanceFS, cwd: str, arg: str) -> str:
    """An argument with its local path (if it names one) mapped into the instance's folder."""
    if arg.startswith("--") and "=" in arg:
        name, value = arg.split("=", 1)
        return f"{name}={map_arg(fs, cwd, value)}"
    for scheme in ("fileb://", "file://"):
        if arg.startswith(scheme):
            return scheme + str(fs.host_path(arg[len(scheme) :], cwd))
    if arg.startswith("-") or "://" in arg:
        return arg
    parts = arg.split("/")
    if arg.startswith(("/", "~")) or ".." in parts:
        mapped = str(fs.host_path(arg, cwd))
        return mapped + "/" if arg.endswith("/") and not mapped.endswith("/") else mapped
    fs.host_path(arg, cwd)  # relative: refuse one that leads out through a symlink
    return arg


def prepare(fs: InstanceFS, cwd: str, args: list[str]) -> list[str]:
    """The CLI's arguments, checked and mapped; raises :class:`Refused` or EscapeError."""
    for arg in args:
        name = arg.split("=", 1)[0]
        if name in REFUSED_OPTIONS:
            raise Refused(f"{name} is not available on this instance: {REFUSED_OPTIONS[name]}")
    if args[:2] == ["configure", "set"] and len(args) >= 3:
        setting = args[2].split(".")[-1]
        if setting not in SETTINGS | S3_SETTINGS:
            raise Refused(
                f"the setting {setting!r} is not simulated on this instance; "
                f"known: {', '.join(sorted(SETTINGS - {'s3'}))}"
            )
    return [map_arg(fs, cwd, arg) for arg in args]


def check_settings(fs: InstanceFS) -> None:
    """Refuse config files with settings that would reach outside the instance."""
    home = fs.host_path(HOME)
    if (home / ".aws" / "cli" / "alias").exists():
        raise Refused("~/.aws/cli/alias: CLI aliases are not simulated; remove the file")
    for name in ("config", "credentials"):
        path = home / ".aws" / name
        if not path.is_file():
            continue
        parser = configparser.RawConfigParser(strict=False)
        try:
            parser.read_string(path.read_text(errors="replace"))
        except configparser.Error as err:
            first = str(err).splitlines()[0]
            raise Refused(f"~/.aws/{name} cannot be read ({first}); fix or remove it") from None
        for section in parser.sections():
            if section == "plugins":
                raise Refused(f"~/.aws/{name}: CLI plugins are not simulated; remove [plugins]")
            for key, value in parser.items(section):
                nested = {line.split("=")[0].strip() for line in value.splitlines() if "=" in line}
                if key not in SETTINGS or (key == "s3" and not nested <= S3_SETTINGS):
                    raise Refused(
                        f"~/.aws/{name} sets {key!r} in [{section}], which the simulated "
                        "instance does not allow (it could run or read things outside it); "
                        "remove that line"
                    )


def _closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(
    fs: InstanceFS, endpoint: str, run: instanceid.CliRun, role: bool, ports: list[int]
) -> dict[str, str]:
    """The CLI's whole environment: nothing from the host's."""
    home = fs.host_path(HOME)
    env = {
        "HOME": str(home),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_SDK_UA_APP_ID": instanceid.APP_PREFIX + run.token,
        "LABKIT_SANDBOX_ROOT": str(fs.root),
        "LABKIT_SANDBOX_READ": os.pathsep.join(_readable()),
        "LABKIT_SANDBOX_PORTS": ",".join(str(p) for p in ports),
    }
    if endpoint != server_url():  # no path to S3: one attempt, so the failure is immediate
        env.update(AWS_MAX_ATTEMPTS="1", AWS_RETRY_MODE="standard")
    if role:
        base = server_url() or endpoint
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = credentials_url(base, run)
    return env


def aws_url(service: str, region: str) -> str:
    """The public endpoint the CLI would call for a service on AWS."""
    if service in ("s3", "s3api") and region == "us-east-1":
        return "https://s3.amazonaws.com"
    name = "s3" if service == "s3api" else service
    return f"https://{name}.{region}.amazonaws.com"


def rewrite(text: str, fs: InstanceFS, endpoint: str, public: str) -> str:
    """Show the instance's folder as ``/`` and the emulator's URL as AWS's.

    Progress lines the CLI overwrites with carriage returns are shown as a terminal
    would leave them: only the last text of each line, without trailing blanks.
    """
    for root in sorted({str(fs.root), os.path.realpath(fs.root)}, key=len, reverse=True):
        text = text.replace(root + "/", "/").replace(root, "/")
    text = text.replace(endpoint, public)
    lines = text.split("\n")
    return "\n".join(ln.rsplit("\r", 1)[-1].rstrip() if "\r" in ln else ln for ln in lines)


def aws(ctx: Context, args: list[str]) -> int:
    """aws SERVICE COMMAND … (the real AWS CLI, run on this instance)"""
    state = ctx.state
    if not isinstance(state, InstanceState):
        ctx.error("aws: this shell has no instance filesystem")
        return CLI_ERROR
    if not args:
        ctx.error("usage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]")
        return USAGE_ERROR
    fs = state.fs
    try:
        argv = prepare(fs, state.cwd, args)
        check_settings(fs)
    except (Refused, EscapeError) as err:
        ctx.error(f"aws: {err}")
        return CLI_ERROR
    topo = ctx.topology()
    region = topo.region
    path = s3_path(topo, ctx.instance_id, region)
    base = server_url()
    if base is None:
        ctx.error("aws: the emulator does not know its own address yet; try again")
        return CLI_ERROR
    dead = _closed_port() if path.kind == "none" else None
    endpoint = f"http://127.0.0.1:{dead}" if dead else base
    ports = [int(base.rsplit(":", 1)[1])] + ([dead] if dead else [])
    run = instanceid.begin(DEFAULT_ACCOUNT_ID, region, ctx.instance_id)
    role = instance_role_arn(DEFAULT_ACCOUNT_ID, region, ctx.instance_id) is not None
    try:
        proc = subprocess.run(  # noqa: S603 - our interpreter, our boot code, mapped args
            [sys.executable, "-I", "-c", BOOT, *argv],
            cwd=fs.host_path(state.cwd),
            env=environment(fs, endpoint, run, role, ports),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
        code, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired:
        code, stdout = CLI_ERROR, b""
        stderr = f"aws: no answer within {RUN_TIMEOUT_S} s\n".encode()
    finally:
        instanceid.end(run)
    public = aws_url(args[0] if not args[0].startswith("-") else "s3", region)
    ctx.out.append(rewrite(stdout.decode("utf-8", "replace"), fs, endpoint, public))
    ctx.err.append(rewrite(stderr.decode("utf-8", "replace"), fs, endpoint, public))
    _record_traffic(ctx, run, dead is not None)
    return code


def _record_traffic(ctx: Context, run: instanceid.CliRun, failed: bool) -> None:
    """One flow-log exchange per run towards S3 (HTTPS), by the path netsim decides."""
    if failed:
        ctx.send(S3, "tcp", HTTPS_PORT, 1, 60)
    elif "s3" in run.services:
        packets = max(3, run.requests * 4)
        ctx.send(
            S3,
            "tcp",
            HTTPS_PORT,
            packets,
            run.sent + packets * 52,
            reply_packets=packets,
            reply_bytes=run.received + packets * 52,
        )


__all__ = ["aws", "prepare"]
