"""``labkit.connect`` and ``Lab``: the backend, the boto3 clients, tags, and errors.

The notebooks never branch on the backend. ``local`` points every client at the labkit
emulator on 127.0.0.1 (started on demand); ``aws`` uses a profile or the usual credential
chain. Everything else is the same code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from labkit.aws import compute, lookup, queries
from labkit.aws.echo import Echo
from labkit.aws.errors import aws_errors
from labkit.errors import ConfigError, CredentialsError, LabkitError, NotFoundError

if TYPE_CHECKING:
    from labkit.aws.compute import Instance
    from labkit.aws.ssm import ShellResult
    from labkit.labs.lab1.analysis import QueryResult
    from labkit.netsim.model import Topology
    from labkit.notebook.display import ReachReport
    from labkit.tables import Table

BACKENDS = ("local", "aws")
DEFAULT_REGION = "us-east-1"
DEFAULT_PREFIX = "lab"
# The emulator accepts any credentials; these dummy ones are not secrets, and a learner's
# real credentials are never sent to it.
EMULATOR_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def session_for(
    endpoint_url: str | None, region: str | None = None, profile: str | None = None
) -> boto3.Session:
    """A boto3 session: dummy credentials for an emulator endpoint, else profile or chain.

    Every client of labkit's (the Lab, ``labkit reach``, ``labkit query``) opens its session
    here, so none sends real credentials to the emulator.
    """
    if endpoint_url:
        return boto3.Session(region_name=region or DEFAULT_REGION, **EMULATOR_CREDENTIALS)
    with aws_errors("opening the AWS session"):
        return boto3.Session(profile_name=profile, region_name=region)


class Lab:
    """A connection to one backend, with clients, the lab's tags, and error translation."""

    TAG_KEY = "labkit-lab"

    def __init__(
        self,
        backend: str,
        session: boto3.Session,
        region: str,
        prefix: str,
        endpoint_url: str | None = None,
    ) -> None:
        self.backend = backend
        self.session = session
        self.region = region
        self.prefix = prefix
        self.endpoint_url = endpoint_url
        self._clients: dict[str, Any] = {}
        self._echo = Echo()

    @property
    def echo_calls(self) -> bool | str:
        """Print AWS calls with their AWS CLI equivalent and answer (see aws.echo).

        True: the notebook's own calls and every change a helper makes; "all": helpers'
        lookups and polls too; False: nothing.
        """
        return "all" if self._echo.enabled and self._echo.reads else self._echo.enabled

    @echo_calls.setter
    def echo_calls(self, on: bool | str) -> None:
        if on not in (True, False, "all"):
            raise ConfigError(f"echo_calls={on!r}: use True, False or 'all'")
        self._echo.enabled, self._echo.reads = bool(on), on == "all"

    def __repr__(self) -> str:
        where = self.endpoint_url or f"your AWS account ({self.region})"
        return f"<Lab {self.prefix!r} on {self.backend}: {where}>"

    def client(self, service: str) -> Any:
        """A cached boto3 client for ``service`` on this backend."""
        if service not in self._clients:
            config = Config(
                retries={"max_attempts": 2 if self.endpoint_url else 5, "mode": "standard"},
                connect_timeout=3 if self.endpoint_url else 10,
                read_timeout=60,
            )
            with self.call(f"creating a {service} client"):
                self._clients[service] = self.session.client(
                    service, region_name=self.region, endpoint_url=self.endpoint_url, config=config
                )
            self._echo.attach(self._clients[service])
        return self._clients[service]

    ec2 = property(lambda self: self.client("ec2"), doc="The EC2 client.")
    iam = property(lambda self: self.client("iam"), doc="The IAM client.")
    logs = property(lambda self: self.client("logs"), doc="The CloudWatch Logs client.")
    s3 = property(lambda self: self.client("s3"), doc="The S3 client.")
    ssm = property(lambda self: self.client("ssm"), doc="The SSM client.")

    @contextmanager
    def call(self, doing: str = "") -> Iterator[None]:
        """Run AWS calls, turning boto3 errors into one-line labkit errors."""
        with aws_errors(doing, self.endpoint_url):
            yield

    def tags(self, name: str) -> list[dict[str, str]]:
        """The tags every lab resource carries: the lab tag and a Name."""
        return [{"Key": self.TAG_KEY, "Value": self.prefix}, {"Key": "Name", "Value": name}]

    def tag_spec(self, resource_type: str, name: str) -> list[dict[str, Any]]:
        """A TagSpecifications argument for EC2 create calls."""
        return [{"ResourceType": resource_type, "Tags": self.tags(name)}]

    def filters(self, name: str | None = None) -> list[dict[str, Any]]:
        """EC2 describe filters that select this lab's resources (and one Name)."""
        found = [{"Name": f"tag:{self.TAG_KEY}", "Values": [self.prefix]}]
        return found + ([{"Name": "tag:Name", "Values": [name]}] if name else [])

    def topology(self) -> Topology:
        """The network as the backend reports it now (every VPC of the region)."""
        from labkit.aws.describe import describe_answers
        from labkit.netsim.discover import discover

        with self.call("reading the network (describe_* calls)"):
            return discover(describe_answers(self.ec2))

    def shell(self, instance: str, command: str, timeout_s: float = 120) -> ShellResult:
        """Run a shell command on an instance (Name tag or id) through SSM; see aws.ssm.shell."""
        from labkit.aws.ssm import shell

        return shell(self, instance, command, timeout_s)

    def reach(
        self, source: str, destination: str, protocol: str = "icmp", port: int | None = None
    ) -> ReachReport:
        """Explain whether ``source`` reaches ``destination``, and what blocks it if not.

        Parameters
        ----------
        source: an instance's Name tag or id (or an internet address, for inbound traffic).
        destination: an instance, a private or public IP, an internet address, or "s3".
        protocol: "icmp", "tcp" or "udp"; port: the destination port for tcp and udp.

        Returns
        -------
        A report with the verdict, the blocking component and its code, and the hops.
        """
        from labkit.aws.compute import list_instances
        from labkit.netsim.reach import reach
        from labkit.notebook.display import ReachReport

        # Names are this lab's instances: another lab in the account may use the same ones.
        known = {i.name: i.instance_id for i in list_instances(self)}
        verdict = reach(
            self.topology(),
            known.get(source, source),
            known.get(destination, destination),
            protocol,
            port,
        )
        label = protocol.upper() + (f" port {port}" if port is not None else "")
        if destination.strip().lower() == "s3" and not (protocol == "tcp" and port):
            label = "TCP port 443"  # reach sends HTTPS to S3 (labkit.netsim.reach)
        return ReachReport(source, destination, label, verdict)

    def existing(self, kind: str, name: str) -> dict[str, Any] | None:
        """The lab's resource of this kind and name, or None; see aws.lookup.existing.

        Notebooks write a step as ``lab.existing("vpc", "VPC 1") or lab.ec2.create_vpc(...)``
        so that running the cell again creates nothing twice.
        """
        return lookup.existing(self, kind, name)

    def instance_profile(self) -> str:
        """The name of the instance profile that lets SSM run commands on lab instances."""
        return compute.ensure_ssm_profile(self)

    def wait_query(self, query_id: str) -> str:
        """Wait until a Logs Insights query started with ``lab.logs.start_query`` is done."""
        return queries.wait_query(self, query_id)

    def instance(self, name_or_id: str) -> Instance:
        """A lab instance by Name tag or id: its addresses and state."""
        from labkit.aws.compute import find_instance

        return find_instance(self, name_or_id)

    def route_table(self, vpc_name: str) -> Table:
        """The routes that serve a lab VPC's public subnet, as a table."""
        from labkit.aws.network import find_vpc, route_table_for
        from labkit.netsim.discover import parse_route
        from labkit.tables import Table

        vpc = find_vpc(self, vpc_name)
        if vpc is None:
            raise NotFoundError(f"{vpc_name} does not exist: run notebook 01 first")
        with self.call(f"reading {vpc_name}'s subnets"):
            subnets = self.ec2.describe_subnets(Filters=self.filters(f"{vpc_name} public subnet"))
        if not subnets["Subnets"]:
            raise NotFoundError(f"{vpc_name} has no public subnet: run notebook 01 first")
        table = route_table_for(self, vpc["VpcId"], subnets["Subnets"][0]["SubnetId"])
        routes = [parse_route(r) for r in table["Routes"]]
        rows = [(r.destination, r.target, r.state) for r in routes if r is not None]
        return Table.of((f"{table['RouteTableId']}: destination", "target", "state"), rows)

    def query(
        self, log_group: str, text: str, minutes: int = 60, limit: int | None = None
    ) -> QueryResult:
        """Run a Logs Insights query over the last ``minutes``; see analysis.query."""
        from labkit.labs.lab1.analysis import query

        return query(self, log_group, text, minutes, limit)

    def records(self, log_group: str, limit: int = 10) -> Table:
        """The first raw flow-log records of a log group; see analysis.records."""
        from labkit.labs.lab1.analysis import records

        return records(self, log_group, limit)

    def background_traffic(self, flows: int = 200, seed: int = 7, minutes: int = 10) -> int:
        """Seeded internet traffic into the flow logs (emulator only); see analysis."""
        from labkit.labs.lab1.analysis import background_traffic

        return background_traffic(self, flows, seed, minutes)

    def flow_log_group(self) -> str:
        """The log group that VPC 1's flow log writes to (built by notebook 01)."""
        from labkit.aws.flowlogs import find_log_group
        from labkit.aws.network import find_vpc

        vpc = find_vpc(self, "VPC 1")
        group = find_log_group(self, vpc["VpcId"]) if vpc else None
        if group is None:
            raise NotFoundError("VPC 1 has no flow log yet: run notebook 01 first")
        return group

    def teardown_plan(self) -> Table:
        """What teardown would delete: everything carrying this lab's tag (a dry run)."""
        from labkit.aws import teardown

        return teardown.summary(teardown.plan(self))

    def teardown(self) -> Table:
        """Delete everything carrying this lab's tag; returns what was deleted."""
        from labkit.aws import teardown

        return teardown.remove(self)

    def vpc_ids(self) -> list[str]:
        """The ids of this lab's VPCs."""
        with self.call("listing the lab's VPCs"):
            return [v["VpcId"] for v in self.ec2.describe_vpcs(Filters=self.filters())["Vpcs"]]

    @cached_property
    def account_id(self) -> str:
        """The account the lab runs in."""
        with self.call("asking STS who we are"):
            return str(self.client("sts").get_caller_identity()["Account"])


def _check_region(session: boto3.Session, region: str) -> None:
    known = session.get_available_regions("ec2")
    if region not in known:
        close = [r for r in known if r.split("-")[0] == region.split("-")[0]][:4]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ConfigError(f"unknown region {region!r}{hint}; regions look like us-east-1")


def connect(
    backend: str = "local",
    region: str = DEFAULT_REGION,
    profile: str | None = None,
    prefix: str = DEFAULT_PREFIX,
    endpoint_url: str | None = None,
    ensure: str | None = None,
    seed: int | None = None,
    echo_calls: bool | str = False,
) -> Lab:
    """Connect to a backend and return the :class:`Lab` the notebooks use.

    Parameters
    ----------
    backend: "local" (the emulator on this machine, started if needed) or "aws".
    region: the AWS region, e.g. "us-east-1".
    profile: an AWS CLI profile name (aws backend only); None = the usual chain.
    prefix: the lab tag's value and name prefix, so several labs can share an account.
    endpoint_url: talk to this emulator instead of finding or starting one.
    ensure: make sure the resources of the notebooks up to this one exist, e.g. "01".
    seed: when the emulator has to be started here, seed its resource IDs.
    echo_calls: print AWS calls with their AWS CLI equivalent (True, or "all" for
        helpers' lookups too).

    Returns
    -------
    The connected :class:`Lab`.
    """
    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}: use 'local' (the emulator) or 'aws'")
    if not prefix or not prefix.replace("-", "").isalnum():
        raise ConfigError(f"prefix {prefix!r} must be letters, digits and dashes, e.g. 'lab'")
    if backend == "local":
        if endpoint_url is None:
            from labkit.emulator import control

            endpoint_url = control.start(seed=seed).url
    session = session_for(endpoint_url, region, profile)
    if backend == "aws" and session.get_credentials() is None:
        raise CredentialsError(
            f"no AWS credentials found{f' for profile {profile!r}' if profile else ''}: "
            "run `aws configure` (or set AWS_PROFILE), or use BACKEND='local'."
        )
    _check_region(session, region)
    lab = Lab(backend, session, region, prefix, endpoint_url)
    lab.echo_calls = echo_calls
    _install_notebook_helpers()
    from labkit.notebook import magics

    magics.set_current(lab)
    if ensure:
        from labkit.labs import ensure_upto

        ensure_upto(lab, ensure)
    return lab


def _install_notebook_helpers() -> None:
    """In IPython: a LabkitError shows as its one line, not a traceback; and ``%%on``."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return

    def show(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None) -> Any:
        shell._showtraceback(etype, value, [f"{etype.__name__}: {value}"])

    shell.set_custom_exc((LabkitError,), show)
    from labkit.notebook import magics

    magics.register(shell)
