"""Read a live network configuration with describe_* calls, for :func:`labkit.netsim.discover`."""

from __future__ import annotations

import re
from typing import Any

from labkit.netsim.discover import ENTRIES_OPERATION, OPERATIONS


def _snake(operation: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


def describe_answers(ec2: Any) -> dict[str, Any]:
    """Call every describe_* that netsim needs (all pages) on a boto3 EC2 client.

    Parameters
    ----------
    ec2: a boto3 EC2 client (any endpoint: the emulator's or AWS's).

    Returns
    -------
    ``{"Region": ..., "DescribeVpcs": {"Vpcs": [...]}, ...}``, ready for ``discover``
    (and ``GetManagedPrefixListEntries`` by prefix-list id, for lists answered without CIDRs).
    """
    answers: dict[str, Any] = {"Region": ec2.meta.region_name}
    for operation, key in OPERATIONS.items():
        method = _snake(operation)
        items: list[Any] = []
        if ec2.can_paginate(method):
            for page in ec2.get_paginator(method).paginate():
                items.extend(page.get(key, []))
        else:
            items.extend(getattr(ec2, method)().get(key, []))
        answers[operation] = {key: items}
    # A prefix list answered without its CIDRs: ask for its entries (the S3 gateway route's).
    answers[ENTRIES_OPERATION] = {
        pl["PrefixListId"]: ec2.get_managed_prefix_list_entries(PrefixListId=pl["PrefixListId"])
        for pl in answers["DescribePrefixLists"]["PrefixLists"]
        if not pl.get("Cidrs")
    }
    return answers
