"""Everything the emulator adds to moto, registered in one place: handlers and model patches.

The server calls :func:`register_all` once while it builds its application; nothing is
registered by importing a module. To add a handler, write it in the module of its service
(``ec2``, ``iam``, ``logs``, ``flows``, ``shell.ssm``...) and add a row to
:data:`HANDLER_TABLE`; to change one of moto's models, add the patch to :data:`MOTO_PATCHES`.
"""

from __future__ import annotations

from collections.abc import Callable

from labkit.emulator import credentials, ec2, flows, iam, logs, s3auth, vpce
from labkit.emulator.client import HOOK_ACTION, HOOK_SERVICE, S3_DECISIONS_ACTION
from labkit.emulator.front import Handler, RawHandler, register, register_route
from labkit.emulator.shell import ssm

# Patches of moto's models, applied before the first request (each is idempotent).
MOTO_PATCHES: tuple[Callable[[], None], ...] = (
    ec2.install,  # peering of overlapping VPCs fails; route states; peering filters
    iam.skip_policies_at_build,  # managed policies load on demand, into "aws" only
    vpce.install,  # gateway endpoints move their routes; prefix lists list their CIDRs
    s3auth.take_over_from_moto,  # the front layer decides S3 authorization, not moto
)

# (service, action, handler); "*" handlers see every request of the service first.
HANDLER_TABLE: tuple[tuple[str, str, Handler], ...] = (
    ("iam", "*", iam.before_iam_request),
    ("s3", "*", s3auth.authorize),
    (HOOK_SERVICE, S3_DECISIONS_ACTION, s3auth.decisions_hook),
    ("logs", "StartQuery", logs.start_query),
    ("logs", "GetQueryResults", logs.get_query_results),
    ("logs", "StopQuery", logs.stop_query),
    ("logs", "DescribeQueries", logs.describe_queries),
    ("ec2", "CreateVpcEndpoint", vpce.check_service_name),
    ("ec2", "ModifyVpcEndpoint", vpce.reset_policy),
    ("ssm", "SendCommand", ssm.send_command),
    ("ssm", "GetCommandInvocation", ssm.get_command_invocation),
    ("ssm", "ListCommandInvocations", ssm.list_command_invocations),
    (HOOK_SERVICE, HOOK_ACTION, flows.background_hook),
)


# Unsigned labkit paths: (path prefix, handler).
ROUTE_TABLE: tuple[tuple[str, RawHandler], ...] = (
    (credentials.CREDENTIALS_PATH, credentials.serve),  # instance-role credentials for the CLI
)


def register_all() -> None:
    """Apply the moto patches and register every handler of the table (idempotent)."""
    for patch in MOTO_PATCHES:
        patch()
    for service, action, fn in HANDLER_TABLE:
        register(service, action, fn)
    for prefix, raw in ROUTE_TABLE:
        register_route(prefix, raw)
