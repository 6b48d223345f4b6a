"""The AWS context every helper takes: a session, cached clients, tags and error translation.

This is the narrow part of a connection that the helpers in :mod:`labkit.aws` need, and
nothing more: the backend's session and clients, :meth:`AwsContext.call` (boto3 errors
become one-line labkit errors), the lab's tag, its filters and ``TagSpecifications``, the
prefix, region, endpoint and account. The notebooks' :class:`labkit.lab.Lab` is built on it
(a subclass that adds the notebook-facing methods), so the helpers sit below the front end
and never import it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

import boto3
from botocore.config import Config

from labkit.aws.echo import Echo, is_read
from labkit.aws.errors import aws_errors
from labkit.errors import ConfigError

DEFAULT_REGION = "us-east-1"
# The emulator accepts any credentials; these dummy ones are not secrets, and a learner's
# real credentials are never sent to it.
EMULATOR_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
TAG_KEY = "labkit-lab"  # every lab resource carries it, with the lab's prefix as its value


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


class AwsContext:
    """One backend's session and clients, the lab's tags, and error translation."""

    TAG_KEY = TAG_KEY

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
        self._on_change: Callable[[], None] | None = None  # see before_first_change

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

    @contextmanager
    def before_first_change(self, hook: Callable[[], None]) -> Iterator[None]:
        """Call ``hook`` just before the first call in this block that may change something.

        A Describe, List or Get call does not count; a Create, Run, Put or Delete does. The
        hook runs at most once, and not at all if the block only reads.
        """
        self._on_change = hook
        try:
            yield
        finally:
            self._on_change = None

    def _before_call(self, model: Any, **_: Any) -> None:
        if self._on_change is not None and not is_read(model.name):
            hook, self._on_change = self._on_change, None
            hook()  # before this call goes out: it sees the state the call is about to change

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
            self._clients[service].meta.events.register(
                "provide-client-params", self._before_call, unique_id=f"labkit-changes-{id(self)}"
            )
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

    @cached_property
    def account_id(self) -> str:
        """The account the lab runs in."""
        with self.call("asking STS who we are"):
            return str(self.client("sts").get_caller_identity()["Account"])
