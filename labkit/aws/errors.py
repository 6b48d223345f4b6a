"""Turn boto3's exceptions into one-line labkit errors that say what to do next."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from labkit.errors import ConfigError, CredentialsError, EmulatorError, LabkitError, NotFoundError

# Shapes of secrets that must never reach an error message (AWS access keys and secrets).
_SECRET = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b|\b[A-Za-z0-9/+]{40}\b")


class AwsCallError(LabkitError):
    """An AWS API call was refused; the message carries AWS's code and text."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def mask(text: str) -> str:
    """The text with anything shaped like an access key or a secret key replaced by ****."""
    return _SECRET.sub("****", text)


def _explain(err: ClientError, doing: str) -> LabkitError:
    code = err.response.get("Error", {}).get("Code", "Unknown")
    message = mask(err.response.get("Error", {}).get("Message", str(err)))
    text = f"{doing}: AWS said {code}: {message}" if doing else f"AWS said {code}: {message}"
    if code.endswith(".NotFound") or code.startswith("NoSuch"):
        return NotFoundError(text)
    if code in {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "AuthFailure",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidAccessKeyId",
    }:
        return CredentialsError(f"{text}. Check your credentials (aws configure, or AWS_PROFILE).")
    if code.startswith("Invalid") or code in {"ValidationError", "MalformedPolicyDocument"}:
        return ConfigError(text)
    return AwsCallError(text, code)


@contextmanager
def aws_errors(doing: str = "", endpoint: str | None = None) -> Iterator[None]:
    """Translate boto3 errors raised inside the block into labkit errors.

    ``doing`` says what was being done ("creating VPC 1"); ``endpoint`` is the emulator's
    URL when the backend is local, so a dead emulator is named as such.
    """
    try:
        yield
    except ClientError as err:
        raise _explain(err, doing) from None
    except (BotoConnectionError, HTTPClientError, ConnectionError) as err:
        if endpoint:
            raise EmulatorError(
                f"the emulator at {endpoint} is not answering ({type(err).__name__}). "
                "Start it with `labkit emulator start` and re-run the notebook from its setup "
                "cell: the lab's resources are rebuilt there."
            ) from None
        raise LabkitError(f"{doing or 'calling AWS'}: cannot reach AWS: {err}") from None
    except (NoCredentialsError, PartialCredentialsError) as err:
        raise CredentialsError(
            f"no usable AWS credentials ({err}). Run `aws configure`, or set AWS_PROFILE, "
            "or use BACKEND='local' to run on the emulator."
        ) from None
    except ProfileNotFound as err:
        raise CredentialsError(f"{err}. Check the PROFILE parameter or ~/.aws/config.") from None
    except NoRegionError:
        raise ConfigError("no AWS region is set; pass region='us-east-1' (say).") from None
