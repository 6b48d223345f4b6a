"""``labkit.connect`` and ``Lab``: the notebooks' front end, built on the AWS context.

The notebooks never branch on the backend. ``local`` points every client at the labkit
emulator on 127.0.0.1 (started on demand); ``aws`` uses a profile or the usual credential
chain. Everything else is the same code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3

from labkit.aws import compute, flowlogs, lookup, network, queries, teardown
from labkit.aws.compute import LabInstance
from labkit.aws.context import DEFAULT_REGION, AwsContext, session_for
from labkit.aws.describe import describe_answers
from labkit.aws.errors import aws_errors
from labkit.aws.ssm import ShellResult, shell
from labkit.emulator import control
from labkit.errors import ConfigError, CredentialsError, LabkitError, NotFoundError
from labkit.labs import ensure_upto
from labkit.netsim.discover import discover, parse_route
from labkit.netsim.model import Topology
from labkit.netsim.names import hop_names
from labkit.netsim.reach import reach
from labkit.notebook import magics
from labkit.notebook.display import ReachReport
from labkit.tables import Table

if TYPE_CHECKING:
    from labkit.labs.lab1.analysis import QueryResult

BACKENDS = ("local", "aws")
DEFAULT_PREFIX = "lab"
__all__ = ["BACKENDS", "DEFAULT_PREFIX", "DEFAULT_REGION", "Lab", "connect", "session_for"]


class Lab(AwsContext):
    """A connection to one backend, as the notebooks use it: the AWS context plus lab views.

    The clients, tags, filters and error translation come from
    :class:`labkit.aws.context.AwsContext`; this class adds what a notebook asks of a lab.
    """

    def __repr__(self) -> str:
        where = self.endpoint_url or f"your AWS account ({self.region})"
        return f"<Lab {self.prefix!r} on {self.backend}: {where}>"

    def topology(self) -> Topology:
        """The network as the backend reports it now (every VPC of the region)."""
        with self.call("reading the network (describe_* calls)"):
            return discover(describe_answers(self.ec2))

    def shell(self, instance: str, command: str, timeout_s: float = 120) -> ShellResult:
        """Run a shell command on an instance (Name tag or id) through SSM; see aws.ssm.shell."""
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
        # Names are this lab's instances: another lab in the account may use the same ones.
        known = {i.name: i.instance_id for i in compute.list_instances(self)}
        topo = self.topology()
        verdict = reach(
            topo,
            known.get(source, source),
            known.get(destination, destination),
            protocol,
            port,
        )
        label = protocol.upper() + (f" port {port}" if port is not None else "")
        if destination.strip().lower() == "s3" and not (protocol == "tcp" and port):
            label = "TCP port 443"  # reach sends HTTPS to S3 (labkit.netsim.reach)
        named = hop_names(topo, verdict.forward + verdict.return_path)
        return ReachReport(source, destination, label, verdict, {h.resource_id: h for h in named})

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

    def instance(self, name_or_id: str) -> LabInstance:
        """A lab instance by Name tag or id: its addresses and state."""
        return compute.find_instance(self, name_or_id)

    def route_table(self, vpc_name: str) -> Table:
        """The routes that serve a lab VPC's public subnet, as a table."""
        vpc = network.find_vpc(self, vpc_name)
        if vpc is None:
            raise NotFoundError(f"{vpc_name} does not exist: run notebook 01 first")
        subnet = network.find_public_subnet(self, vpc_name)
        if subnet is None:
            raise NotFoundError(f"{vpc_name} has no public subnet: run notebook 01 first")
        table = network.route_table_for(self, vpc["VpcId"], subnet["SubnetId"])
        routes = [parse_route(r) for r in table["Routes"]]
        rows = [(r.destination, r.target, r.state) for r in routes if r is not None]
        return Table.of((f"{table['RouteTableId']}: destination", "target", "state"), rows)

    def query(
        self, log_group: str, text: str, minutes: int = 60, limit: int | None = None
    ) -> QueryResult:
        """Run a Logs Insights query over the last ``minutes``; see analysis.query."""
        from labkit.labs.lab1 import analysis  # deferred: DuckDB loads ~1 s; notebook 03 only

        return analysis.query(self, log_group, text, minutes, limit)

    def records(self, log_group: str, limit: int = 10) -> Table:
        """The first raw flow-log records of a log group; see analysis.records."""
        from labkit.labs.lab1 import analysis  # deferred: DuckDB loads ~1 s; notebook 03 only

        return analysis.records(self, log_group, limit)

    def background_traffic(self, flows: int = 200, seed: int = 7, minutes: int = 10) -> int:
        """Seeded internet traffic into the flow logs (emulator only); see analysis."""
        from labkit.labs.lab1 import analysis  # deferred: DuckDB loads ~1 s; notebook 03 only

        return analysis.background_traffic(self, flows, seed, minutes)

    def flow_log_group(self) -> str:
        """The log group that VPC 1's flow log writes to (built by notebook 01)."""
        vpc = network.find_vpc(self, "VPC 1")
        group = flowlogs.find_log_group(self, vpc["VpcId"]) if vpc else None
        if group is None:
            raise NotFoundError("VPC 1 has no flow log yet: run notebook 01 first")
        return group

    def explain_last_denial(self) -> Any:
        """The emulator's last S3 AccessDenied: who, what, path, deciding statement."""
        from labkit.labs.lab2.denials import explain_last_denial

        return explain_last_denial(self)

    def teardown_plan(self) -> Table:
        """What teardown would delete: everything carrying this lab's tag (a dry run)."""
        return teardown.summary(teardown.plan(self))

    def teardown(self) -> Table:
        """Delete everything carrying this lab's tag; returns what was deleted."""
        return teardown.remove(self)

    def vpc_ids(self) -> list[str]:
        """The ids of this lab's VPCs."""
        with self.call("listing the lab's VPCs"):
            return [v["VpcId"] for v in self.ec2.describe_vpcs(Filters=self.filters())["Vpcs"]]


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
    ensure: put the lab in the state this notebook leaves it in, e.g. "01" (where notebook
        02 starts): build what is missing, remove what a previous run of the next one
        made, and print one line per change.
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
            endpoint_url = control.start(seed=seed).url
    session = session_for(endpoint_url, region, profile)
    # boto3 may check the profile only when credentials are read: translate that error too.
    with aws_errors("reading your AWS credentials"):
        credentials = session.get_credentials() if backend == "aws" else None
    if backend == "aws" and credentials is None:
        raise CredentialsError(
            f"no AWS credentials found{f' for profile {profile!r}' if profile else ''}: "
            "run `aws configure` (or set AWS_PROFILE), or use BACKEND='local'."
        )
    _check_region(session, region)
    lab = Lab(backend, session, region, prefix, endpoint_url)
    lab.echo_calls = echo_calls
    _install_notebook_helpers()
    magics.set_current(lab)
    if ensure:
        for change in ensure_upto(lab, ensure):
            print(f"setup: {change}")
    return lab


def _install_notebook_helpers() -> None:
    """In IPython: a LabkitError shows as its one line, not a traceback; and ``%%on``."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    ipython = get_ipython()
    if ipython is None:
        return

    def show(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None) -> Any:
        shell._showtraceback(etype, value, [f"{etype.__name__}: {value}"])

    ipython.set_custom_exc((LabkitError,), show)
    magics.register(ipython)
