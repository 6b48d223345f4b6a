"""AWS's managed policies in the emulator: loaded once, into the "aws" partition, on demand.

moto can load AWS's ~1,300 managed policies (AmazonS3FullAccess, …) into IAM, but it does
so for every partition (aws, aws-cn, aws-us-gov, …) while building each IAM backend, and
its first request of *any* service builds them all to look up the caller's access key:
a first EC2 call paid about 0.5 s for policies no lab uses. Here moto builds IAM without
them, and labkit loads them into the "aws" partition before the first IAM request that
could see them, or in the emulator's background warm-up, whichever comes first.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from labkit.emulator.front import DEFAULT_ACCOUNT_ID, AwsRequest, backend

_lock = threading.Lock()


def skip_policies_at_build() -> None:
    """Build moto's IAM backends without managed policies (labkit loads them itself)."""
    from moto.iam.models import IAMBackend

    def none(self: IAMBackend) -> list[Any]:
        return []

    IAMBackend._init_aws_policies = none  # type: ignore[method-assign]


def ensure_managed_policies(account_id: str = DEFAULT_ACCOUNT_ID) -> int:
    """Load AWS's managed policies into the account's "aws" IAM backend once; how many."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data
    from moto.iam.models import AWSManagedPolicy

    iam = backend("iam", account_id)
    with _lock:
        if not iam.aws_managed_policies:
            data = json.loads(aws_managed_policies_data)
            iam.aws_managed_policies = [
                AWSManagedPolicy.from_data(name, account_id, iam.region_name, d)
                for name, d in data.items()
            ]
            iam.managed_policies.update({p.arn: p for p in iam.aws_managed_policies})
    return len(iam.aws_managed_policies)


def before_iam_request(req: AwsRequest) -> None:
    """Every IAM request sees the managed policies (also after a moto reset)."""
    ensure_managed_policies(req.account_id)
    return None
