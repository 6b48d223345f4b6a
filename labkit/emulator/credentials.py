"""Instance-role credentials for the AWS CLI on a simulated instance; no keys on disk.

On EC2 the CLI finds an instance role's temporary credentials in the instance metadata
service. The emulator hands them out through the credential path botocore takes just
before IMDS, the container credentials provider: the instance shell starts the CLI with
``AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:<port>/labkit/instance-credentials/<token>``
(a loopback address, which botocore accepts) when the instance has an instance profile.
https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html

The credentials are real STS session credentials in moto (``AssumeRole`` of the profile's
role, session name = the instance id, as EC2 does), so S3 enforcement sees the assumed
role. They are reused until five minutes before they expire, like the ones EC2 rotates.
https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from labkit.emulator import instanceid
from labkit.emulator.front import backend

CREDENTIALS_PATH = "/labkit/instance-credentials/"
DURATION_S = 6 * 3600  # EC2 hands out role credentials valid for about six hours
_CACHE: dict[tuple[str, str, str], Any] = {}
_lock = threading.Lock()


def instance_role_arn(account_id: str, region: str, instance_id: str) -> str | None:
    """The ARN of the role in the instance's associated instance profile, or None."""
    ec2 = backend("ec2", account_id, region)
    association = ec2.iam_instance_profile_associations.get(instance_id)
    if association is None or getattr(association, "state", "associated") != "associated":
        return None
    roles = list(getattr(association.iam_instance_profile, "roles", []))
    return str(roles[0].arn) if roles else None


def session_for(account_id: str, region: str, instance_id: str) -> Any:
    """moto's AssumedRole for the instance's role (cached until near expiry), or None."""
    role_arn = instance_role_arn(account_id, region, instance_id)
    if role_arn is None:
        return None
    key = (account_id, instance_id, role_arn)
    with _lock:
        cached = _CACHE.get(key)
        soon = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=5)
        if cached is not None and cached.expiration > soon:
            return cached
        sts = backend("sts", account_id)
        session = sts.assume_role(
            region_name=region,
            role_session_name=instance_id,
            role_arn=role_arn,
            policy="",
            duration=DURATION_S,
            external_id="",
        )
        _CACHE[key] = session
        return session


def credentials_url(base_url: str, run: instanceid.CliRun) -> str:
    """The container-credentials URL for one CLI run."""
    return f"{base_url.rstrip('/')}{CREDENTIALS_PATH}{run.token}"


def serve(environ: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Answer the container credentials provider: the run's role credentials, or 404."""
    token = str(environ.get("PATH_INFO", "")).removeprefix(CREDENTIALS_PATH)
    run = instanceid.run_for_token(token)
    if run is None:
        return 404, {"Code": "NotFound", "Message": "no AWS CLI run has this token"}
    session = session_for(run.account_id, run.region, run.instance_id)
    if session is None:
        return 404, {"Code": "NotFound", "Message": f"{run.instance_id} has no instance profile"}
    return 200, {
        "AccessKeyId": session.access_key_id,
        "SecretAccessKey": session.secret_access_key,
        "Token": session.session_token,
        "Expiration": session.expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def reset() -> None:
    """Forget cached role sessions."""
    with _lock:
        _CACHE.clear()
