"""Which IAM action(s) and resource ARN(s) an S3 REST request needs.

S3's REST calls carry no action name: the operation follows from the method, whether
the path names a bucket or an object, and the sub-resource in the query string
(``?policy``, ``?tagging``, ``?uploads``, …). The permission each operation needs is AWS's
table: https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html

Notable rules modelled here:

* ``ListBuckets`` needs ``s3:ListAllMyBuckets`` (resource ``*``: it names no bucket);
* ``ListObjects``/``ListObjectsV2`` and ``HeadBucket`` need ``s3:ListBucket`` on the bucket;
* ``HeadObject`` needs ``s3:GetObject``; every step of a multipart upload needs
  ``s3:PutObject`` except abort (``s3:AbortMultipartUpload``) and listing parts
  (``s3:ListMultipartUploadParts``);
* ``CopyObject`` needs ``s3:PutObject`` on the target and ``s3:GetObject`` on the source;
* ``DeleteObjects`` needs ``s3:DeleteObject`` on each key;
* ``DeleteBucketTagging`` is authorised by ``s3:PutBucketTagging``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

ALL_BUCKETS = "arn:aws:s3:::*"
_VHOST = re.compile(r"^(?P<bucket>[a-z0-9.\-]+)\.s3[.\-]")

# Bucket sub-resources: query key → (GET, PUT, DELETE) operation names (None: not an op).
BUCKET_SUBRESOURCES: dict[str, tuple[str | None, str | None, str | None]] = {
    "policy": ("GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"),
    "tagging": ("GetBucketTagging", "PutBucketTagging", "DeleteBucketTagging"),
    "acl": ("GetBucketAcl", "PutBucketAcl", None),
    "versioning": ("GetBucketVersioning", "PutBucketVersioning", None),
    "encryption": ("GetBucketEncryption", "PutBucketEncryption", "DeleteBucketEncryption"),
    "cors": ("GetBucketCors", "PutBucketCors", "DeleteBucketCors"),
    "website": ("GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite"),
    "lifecycle": ("GetBucketLifecycle", "PutBucketLifecycle", "DeleteBucketLifecycle"),
    "logging": ("GetBucketLogging", "PutBucketLogging", None),
    "notification": ("GetBucketNotification", "PutBucketNotification", None),
    "publicAccessBlock": (
        "GetPublicAccessBlock",
        "PutPublicAccessBlock",
        "DeletePublicAccessBlock",
    ),
    "ownershipControls": (
        "GetBucketOwnershipControls",
        "PutBucketOwnershipControls",
        "DeleteBucketOwnershipControls",
    ),
    "policyStatus": ("GetBucketPolicyStatus", None, None),
    "location": ("GetBucketLocation", None, None),
    "versions": ("ListObjectVersions", None, None),
    "uploads": ("ListMultipartUploads", None, None),
    "object-lock": ("GetObjectLockConfiguration", "PutObjectLockConfiguration", None),
    "replication": ("GetBucketReplication", "PutBucketReplication", "DeleteBucketReplication"),
    "requestPayment": ("GetBucketRequestPayment", "PutBucketRequestPayment", None),
    "accelerate": ("GetBucketAccelerateConfiguration", "PutBucketAccelerateConfiguration", None),
}
# Operation → IAM action, where the two names differ.
ACTION_OF = {
    "ListBuckets": "ListAllMyBuckets",
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "HeadBucket": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "ListMultipartUploads": "ListBucketMultipartUploads",
    "DeleteBucketTagging": "PutBucketTagging",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "PutBucketEncryption": "PutEncryptionConfiguration",
    "DeleteBucketEncryption": "PutEncryptionConfiguration",
    "GetBucketCors": "GetBucketCORS",
    "PutBucketCors": "PutBucketCORS",
    "DeleteBucketCors": "PutBucketCORS",
    "DeleteBucketWebsite": "DeleteBucketWebsite",
    "GetBucketLifecycle": "GetLifecycleConfiguration",
    "PutBucketLifecycle": "PutLifecycleConfiguration",
    "DeleteBucketLifecycle": "PutLifecycleConfiguration",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeletePublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeleteBucketOwnershipControls": "PutBucketOwnershipControls",
    "DeleteBucketReplication": "PutReplicationConfiguration",
    "GetBucketReplication": "GetReplicationConfiguration",
    "PutBucketReplication": "PutReplicationConfiguration",
    "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
    "PutBucketAccelerateConfiguration": "PutAccelerateConfiguration",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
    "PutObjectLockConfiguration": "PutBucketObjectLockConfiguration",
    "GetBucketNotification": "GetBucketNotification",
    "PutBucketNotification": "PutBucketNotification",
    "HeadObject": "GetObject",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "UploadPartCopy": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "CopyObject": "PutObject",
    "ListParts": "ListMultipartUploadParts",
    "DeleteObjects": "DeleteObject",
    "RestoreObject": "RestoreObject",
}


@dataclass(frozen=True)
class S3Operation:
    """An S3 request, classified: its operation, bucket, key, and what it must be allowed."""

    operation: str
    bucket: str | None
    key: str | None
    needs: tuple[tuple[str, str], ...]  # (IAM action, resource ARN), every one must be allowed


def split_target(path: str, host: str = "") -> tuple[str | None, str | None]:
    """(bucket, key) from a path-style path, or a virtual-hosted ``bucket.s3.…`` host."""
    found = _VHOST.match(host.split(":")[0])
    if found:
        return found.group("bucket"), path.lstrip("/") or None
    parts = path.lstrip("/").split("/", 1)
    bucket = parts[0] or None
    key = parts[1] if len(parts) == 2 and parts[1] else None
    return bucket, key


def _bucket_operation(method: str, query: dict[str, list[str]]) -> str:
    for name, (get, put, delete) in BUCKET_SUBRESOURCES.items():
        if name in query:
            chosen = {"GET": get, "HEAD": get, "PUT": put, "DELETE": delete}.get(method)
            if chosen:
                return chosen
    if method == "POST" and "delete" in query:
        return "DeleteObjects"
    return {
        "GET": "ListObjectsV2" if query.get("list-type") == ["2"] else "ListObjects",
        "HEAD": "HeadBucket",
        "PUT": "CreateBucket",
        "DELETE": "DeleteBucket",
    }.get(method, f"{method.title()}Bucket")


def _object_operation(method: str, query: dict[str, list[str]], headers: dict[str, str]) -> str:
    if "tagging" in query:
        return {"GET": "GetObjectTagging", "PUT": "PutObjectTagging"}.get(
            method, "DeleteObjectTagging"
        )
    if "acl" in query:
        return "GetObjectAcl" if method == "GET" else "PutObjectAcl"
    if "uploads" in query and method == "POST":
        return "CreateMultipartUpload"
    if "uploadId" in query:
        return {
            "PUT": "UploadPartCopy" if "x-amz-copy-source" in headers else "UploadPart",
            "POST": "CompleteMultipartUpload",
            "DELETE": "AbortMultipartUpload",
            "GET": "ListParts",
        }.get(method, "UploadPart")
    if "restore" in query:
        return "RestoreObject"
    if method == "PUT":
        return "CopyObject" if "x-amz-copy-source" in headers else "PutObject"
    return {"GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}.get(
        method, "PutObject"
    )


def _copy_source(headers: dict[str, str]) -> str | None:
    source = unquote(headers.get("x-amz-copy-source", "")).split("?")[0].lstrip("/")
    return f"arn:aws:s3:::{source}" if "/" in source else None


def classify(
    method: str,
    path: str,
    query: dict[str, list[str]],
    headers: dict[str, str],
    body: bytes = b"",
) -> S3Operation:
    """The operation an S3 REST request performs and the permissions it needs."""
    bucket, key = split_target(path, headers.get("host", ""))
    if bucket is None:
        return S3Operation("ListBuckets", None, None, (("s3:ListAllMyBuckets", ALL_BUCKETS),))
    if key is None:
        operation = _bucket_operation(method, query)
        resource = f"arn:aws:s3:::{bucket}"
        if operation == "DeleteObjects":
            keys = re.findall(rb"<Key>(.*?)</Key>", body) or [b"*"]
            each = tuple(
                ("s3:DeleteObject", f"{resource}/{k.decode('utf-8', 'replace')}") for k in keys
            )
            return S3Operation(operation, bucket, None, each)
        action = "s3:" + ACTION_OF.get(operation, operation)
        return S3Operation(operation, bucket, None, ((action, resource),))
    operation = _object_operation(method, query, headers)
    resource = f"arn:aws:s3:::{bucket}/{key}"
    needs: tuple[tuple[str, str], ...] = (("s3:" + ACTION_OF.get(operation, operation), resource),)
    if operation in ("CopyObject", "UploadPartCopy"):
        source = _copy_source(headers)
        if source:
            needs += (("s3:GetObject", source),)
    if operation == "GetObject" and "versionId" in query:
        needs = (("s3:GetObjectVersion", resource),)
    return S3Operation(operation, bucket, key, needs)


def request_keys(operation: S3Operation, query: dict[str, list[str]]) -> dict[str, str]:
    """S3's own condition keys for the request (``s3:prefix``, ``s3:delimiter``, …)."""
    found: dict[str, str] = {}
    if operation.operation in ("ListObjects", "ListObjectsV2", "ListObjectVersions"):
        for name in ("prefix", "delimiter", "max-keys"):
            if name in query:
                found[f"s3:{name}"] = query[name][0]
    return found
