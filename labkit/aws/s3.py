"""Idempotent S3 helpers for the labs: the lab's bucket, its objects, and its removal.

Buckets carry the lab's tag through bucket tagging, so teardown finds them by tag.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from labkit.errors import ConfigError

if TYPE_CHECKING:
    from labkit.aws.context import AwsContext as Lab

BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def bucket_name(lab: Lab, purpose: str = "lab2") -> str:
    """A valid bucket name unique to the lab's prefix and account: ``<prefix>-<purpose>-<acct>``.

    Bucket names are global across AWS, so the account id keeps two learners' apart.
    """
    name = f"{lab.prefix.lower()}-{purpose}-{lab.account_id}"
    if not BUCKET_NAME.match(name) or ".." in name or name.startswith("xn--"):
        raise ConfigError(
            f"bucket name {name!r} is not valid: use a shorter PREFIX of lowercase letters, "
            "digits and dashes"
        )
    return name


def ensure_bucket(lab: Lab, name: str) -> bool:
    """Create the bucket (tagged with the lab's tag) unless it exists; True if created."""
    s3 = lab.s3
    with lab.call(f"looking for bucket {name}"):
        try:
            s3.head_bucket(Bucket=name)
            return False
        except s3.exceptions.ClientError as err:
            if err.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket"):
                raise
    with lab.call(f"creating bucket {name}"):
        if lab.region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(
                Bucket=name, CreateBucketConfiguration={"LocationConstraint": lab.region}
            )
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": lab.tags(name)})
    return True


def put_objects(lab: Lab, bucket: str, objects: dict[str, bytes]) -> list[str]:
    """Upload objects (key → body); returns the keys."""
    with lab.call(f"uploading {len(objects)} objects to {bucket}"):
        for key, body in objects.items():
            lab.s3.put_object(Bucket=bucket, Key=key, Body=body)
    return list(objects)


def list_keys(lab: Lab, bucket: str) -> list[str]:
    """Every key in the bucket, sorted."""
    with lab.call(f"listing {bucket}"):
        pages = lab.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def lab_buckets(lab: Lab) -> list[str]:
    """The buckets carrying this lab's tag."""
    s3 = lab.s3
    found = []
    with lab.call("listing the lab's buckets"):
        for bucket in s3.list_buckets().get("Buckets", []):
            try:
                tags = s3.get_bucket_tagging(Bucket=bucket["Name"])["TagSet"]
            except s3.exceptions.ClientError:
                continue  # untagged, or not ours to read
            if {"Key": lab.TAG_KEY, "Value": lab.prefix} in tags:
                found.append(bucket["Name"])
    return found


def remove_bucket(lab: Lab, name: str) -> None:
    """Delete the bucket's policy, every object (and version), then the bucket."""
    s3 = lab.s3
    s3.delete_bucket_policy(Bucket=name)  # first: a policy may deny deleting objects
    pages = s3.get_paginator("list_object_versions").paginate(Bucket=name)
    for page in pages:
        doomed = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if doomed:
            s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})
    for key in list_keys(lab, name):
        s3.delete_object(Bucket=name, Key=key)
    s3.delete_bucket(Bucket=name)
