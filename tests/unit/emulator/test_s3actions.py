"""S3 REST requests → the IAM actions and ARNs they need (AWS's table, no emulator)."""

from __future__ import annotations

import pytest

from labkit.emulator.s3actions import classify

CASES = [
    # (method, path, query, headers, operation, needs)
    ("GET", "/", {}, {}, "ListBuckets", [("s3:ListAllMyBuckets", "arn:aws:s3:::*")]),
    ("GET", "/b", {"list-type": ["2"]}, {}, "ListObjectsV2", [("s3:ListBucket", "arn:aws:s3:::b")]),
    ("HEAD", "/b", {}, {}, "HeadBucket", [("s3:ListBucket", "arn:aws:s3:::b")]),
    ("PUT", "/b", {}, {}, "CreateBucket", [("s3:CreateBucket", "arn:aws:s3:::b")]),
    (
        "PUT",
        "/b",
        {"policy": [""]},
        {},
        "PutBucketPolicy",
        [("s3:PutBucketPolicy", "arn:aws:s3:::b")],
    ),
    (
        "DELETE",
        "/b",
        {"tagging": [""]},
        {},
        "DeleteBucketTagging",
        [("s3:PutBucketTagging", "arn:aws:s3:::b")],
    ),
    ("HEAD", "/b/k", {}, {}, "HeadObject", [("s3:GetObject", "arn:aws:s3:::b/k")]),
    ("GET", "/b/a/b.txt", {}, {}, "GetObject", [("s3:GetObject", "arn:aws:s3:::b/a/b.txt")]),
    (
        "POST",
        "/b/k",
        {"uploads": [""]},
        {},
        "CreateMultipartUpload",
        [("s3:PutObject", "arn:aws:s3:::b/k")],
    ),
    (
        "PUT",
        "/b/k",
        {"partNumber": ["1"], "uploadId": ["u"]},
        {},
        "UploadPart",
        [("s3:PutObject", "arn:aws:s3:::b/k")],
    ),
    (
        "DELETE",
        "/b/k",
        {"uploadId": ["u"]},
        {},
        "AbortMultipartUpload",
        [("s3:AbortMultipartUpload", "arn:aws:s3:::b/k")],
    ),
    (
        "PUT",
        "/b/k",
        {},
        {"x-amz-copy-source": "/src/x.txt"},
        "CopyObject",
        [("s3:PutObject", "arn:aws:s3:::b/k"), ("s3:GetObject", "arn:aws:s3:::src/x.txt")],
    ),
    (
        "GET",
        "/k",
        {},
        {"host": "b.s3.amazonaws.com"},
        "GetObject",
        [("s3:GetObject", "arn:aws:s3:::b/k")],
    ),
]


@pytest.mark.parametrize(("method", "path", "query", "headers", "operation", "needs"), CASES)
def test_each_request_needs_aws_actions(
    method: str, path: str, query: dict, headers: dict, operation: str, needs: list
) -> None:
    found = classify(method, path, query, headers)
    assert (found.operation, list(found.needs)) == (operation, needs)


def test_delete_objects_needs_delete_object_on_each_key() -> None:
    body = b"<Delete><Object><Key>a</Key></Object><Object><Key>b/c</Key></Object></Delete>"
    found = classify("POST", "/bkt", {"delete": [""]}, {}, body)
    assert list(found.needs) == [
        ("s3:DeleteObject", "arn:aws:s3:::bkt/a"),
        ("s3:DeleteObject", "arn:aws:s3:::bkt/b/c"),
    ]
