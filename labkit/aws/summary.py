"""One readable line for an AWS answer: what was made or found, its id, name and state.

Generic over services: an answer is read as resources (a dict under its type's key, e.g.
``VpcPeeringConnection``), lists of resources (``Vpcs``), and plain values (``GroupId``,
``queryId``, ``status``). Names come from Name tags, remembered across answers, so a
peering's VPCs show as "VPC 1 (vpc-…)" once the VPCs have been seen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Fields that say what state a resource is in, as AWS names them across services.
STATE_FIELDS = ("State", "Status", "status", "LifecycleState")
# Plain fields worth showing on a resource, in this order.
DETAIL_FIELDS = ("CidrBlock", "PrivateIpAddress", "PublicIpAddress", "DestinationCidrBlock")
# SSM parameter types whose value may be shown (a SecureString's never is).
# https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html
PLAIN_PARAMETERS = ("String", "StringList")
# Lists inside a resource that say what it holds (a reservation's instances, a table's routes).
NESTED = ("Instances", "Routes")
MAX_ITEMS = 3
MASKED = "****"  # what the echo puts in place of a secret
# Answer fields that tell a learner nothing about the step.
UNTOLD = ("ResponseMetadata", "OwnerId", "RequesterId")


def _singular(key: str) -> str:
    return key[:-1] if key.endswith("s") else key


def resource_id(kind: str, item: Mapping[str, Any]) -> str | None:
    """The item's own name or id (``<Kind>Name``, ``<Kind>Id``), else its first ``...Id``."""
    for key in (f"{kind}Name", f"{kind}Id", "Id", "GroupId"):
        if isinstance(item.get(key), str):
            return str(item[key])
    for key, value in item.items():
        if key.endswith(("Id", "Name")) and key != "OwnerId" and isinstance(value, str):
            return value
    return None


def name_tag(item: Mapping[str, Any]) -> str | None:
    """The value of the item's Name tag, if any."""
    for tag in item.get("Tags") or []:
        if isinstance(tag, Mapping) and tag.get("Key") == "Name":
            return str(tag.get("Value"))
    return None


def learn_names(answer: Any, names: dict[str, str], kind: str = "") -> None:
    """Remember ``id → Name tag`` for every tagged resource in an answer."""
    if isinstance(answer, Mapping):
        name = name_tag(answer)
        rid = resource_id(kind, answer) if name else None
        if name and rid:
            names[rid] = name
        for key, value in answer.items():
            if key != "Tags":
                learn_names(value, names, _singular(str(key)))
    elif isinstance(answer, list):
        for value in answer:
            learn_names(value, names, kind)


def _state(item: Mapping[str, Any]) -> str | None:
    for key in STATE_FIELDS:
        value = item.get(key)
        if isinstance(value, Mapping):  # {"Code": 16, "Name": "running"}, {"Code": "active"}
            value = value.get("Name") or value.get("Code")
        if isinstance(value, str | int):
            return f"{key.lower()} {value}"
    return None


def _vpc_side(info: Mapping[str, Any], names: Mapping[str, str]) -> str:
    vpc = str(info.get("VpcId", "?"))
    return f"{names[vpc]} ({vpc})" if vpc in names else vpc


def resource(kind: str, item: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """``Kind id "Name": state, details`` for one resource."""
    rid = resource_id(kind, item)
    name = name_tag(item) or (names.get(rid) if rid else None)
    head = " ".join(p for p in (kind, rid, f'"{name}"' if name and name != rid else None) if p)
    details = [d for d in (_state(item),) if d]
    details += [str(item[k]) for k in DETAIL_FIELDS if isinstance(item.get(k), str)]
    if item.get("Type") in PLAIN_PARAMETERS and isinstance(item.get("Value"), str):
        details.append(_scalar(item["Value"]))
    requester, accepter = item.get("RequesterVpcInfo"), item.get("AccepterVpcInfo")
    if isinstance(requester, Mapping) and isinstance(accepter, Mapping):
        details.append(f"{_vpc_side(requester, names)} → {_vpc_side(accepter, names)}")
    details += [_part(k, item[k], names) for k in NESTED if isinstance(item.get(k), list)]
    if not details and rid is None:  # no id, no state: a bag of numbers (query statistics)
        plain = {k: v for k, v in item.items() if not isinstance(v, Mapping | list)}
        details = [f"{k} {_scalar(v)}" for k, v in plain.items()]
    return head + (": " + ", ".join(details) if details else "")


def _scalar(value: Any) -> str:
    return str(value) if not isinstance(value, str) or len(value) <= 60 else value[:56] + "…"


def _part(key: str, value: Any, names: Mapping[str, str]) -> str:
    if isinstance(value, Mapping):
        return resource(key, value, names)
    if isinstance(value, list):
        if not value:
            return f"no {key}"
        if all(isinstance(v, Mapping) for v in value):
            shown = [resource(_singular(key), v, names) for v in value[:MAX_ITEMS]]
            more = f"; … and {len(value) - MAX_ITEMS} more" if len(value) > MAX_ITEMS else ""
            return f"{len(value)} {key}: " + "; ".join(shown) + more
        if all(isinstance(v, list) for v in value):
            return f"{len(value)} {key}"
        return (
            f"{key} "
            + ", ".join(_scalar(v) for v in value[:MAX_ITEMS])
            + (", …" if len(value) > MAX_ITEMS else "")
        )
    return f"{key} {_scalar(value)}"


def answer_line(answer: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """One readable line for a (masked) answer; "ok" when the answer is empty."""
    names = names or {}
    # Masked values (client tokens, pagination tokens) say nothing to a reader.
    fields = {k: v for k, v in answer.items() if k not in UNTOLD and v != MASKED}
    if not fields:
        return "ok"
    if any(v != [] for v in fields.values()):  # "no Vpcs" only when nothing else is said
        fields = {k: v for k, v in fields.items() if v != []}
    return "; ".join(_part(str(k), v, names) for k, v in fields.items())
