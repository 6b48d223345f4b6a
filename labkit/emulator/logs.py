"""Logs Insights in the emulator: StartQuery and friends, answered by labkit.insights.

moto stores the log events but its Insights ignores filter, stats and parse (moto-notes
item 6), so these four actions are answered here, over moto's stored events.
API shapes: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartQuery.html
and API_GetQueryResults.html, API_StopQuery.html, API_DescribeQueries.html.

A query is checked at StartQuery (a bad one is a MalformedQueryException with the caret
message) and runs at the first GetQueryResults, which answers ``Complete``; StopQuery
before that cancels it. Queries live on moto's Logs backend, so a moto reset clears them.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from labkit import insights
from labkit.emulator.front import AwsError, AwsRequest, CodedAwsError, backend

MAX_GROUPS = 50  # logGroupNames / logGroupIdentifiers hold at most 50 entries
MAX_LIMIT = 10_000
_LOCK = threading.Lock()


@dataclass
class _StoredQuery:
    query_id: str
    text: str
    compiled: Any
    groups: list[Any]
    start_s: int
    end_s: int
    limit: int | None
    account_id: str
    created_ms: int
    status: str = "Running"
    results: list[list[dict[str, str]]] = field(default_factory=list)
    statistics: dict[str, float] = field(default_factory=dict)


def _queries(req: AwsRequest) -> dict[str, _StoredQuery]:
    logs = backend("logs", req.account_id, req.region)
    store: dict[str, _StoredQuery] = logs.__dict__.setdefault("_labkit_queries", {})
    return store


class InvalidParameterException(CodedAwsError):
    """A parameter of a Logs Insights call is missing, malformed or contradictory."""

    CODE = "InvalidParameterException"


class ResourceNotFoundException(CodedAwsError):
    """The log group or query does not exist."""

    CODE = "ResourceNotFoundException"


class MalformedQueryException(CodedAwsError):
    """The query text does not parse (the message carries the caret line)."""

    CODE = "MalformedQueryException"


def _invalid(message: str) -> AwsError:
    return InvalidParameterException(message)


def _resolve_groups(req: AwsRequest) -> list[Any]:
    params = req.params
    given = [k for k in ("logGroupName", "logGroupNames", "logGroupIdentifiers") if params.get(k)]
    if len(given) != 1:
        raise _invalid("Specify exactly one of logGroupName, logGroupNames or logGroupIdentifiers.")
    value = params[given[0]]
    names = [value] if isinstance(value, str) else list(value)
    if len(names) > MAX_GROUPS:
        raise _invalid(f"A query can search at most {MAX_GROUPS} log groups.")
    groups = backend("logs", req.account_id, req.region).groups
    found = []
    for name in names:
        if name.startswith("arn:"):  # arn:aws:logs:region:account:log-group:NAME[:*]
            name = name.split(":log-group:", 1)[-1].removesuffix(":*")
        if name not in groups:
            raise ResourceNotFoundException(
                f"Log group '{name}' does not exist for account ID '{req.account_id}'."
            )
        found.append(groups[name])
    return found


def start_query(req: AwsRequest) -> dict[str, Any]:
    """Check the query and the log groups, and store the query as Running."""
    params = req.params
    language = params.get("queryLanguage", "CWLI")
    if language != "CWLI":
        raise _invalid(f"queryLanguage {language} is not supported by the emulator; use CWLI.")
    groups = _resolve_groups(req)
    try:
        start_s, end_s = int(params["startTime"]), int(params["endTime"])
    except (KeyError, TypeError, ValueError):
        raise _invalid("startTime and endTime (epoch seconds) are required.") from None
    if end_s < start_s:
        raise _invalid("endTime must be at or after startTime.")
    limit = params.get("limit")
    if limit is not None and not 1 <= int(limit) <= MAX_LIMIT:
        raise _invalid(f"limit must be from 1 to {MAX_LIMIT}.")
    text = str(params.get("queryString", ""))
    if len(text) > insights.MAX_QUERY_CHARS:  # the service model's length constraint
        raise _invalid(
            f"1 validation error detected: Value '{text}' at 'queryString' failed "
            "to satisfy constraint: Member must have length less than or equal "
            f"to {insights.MAX_QUERY_CHARS}"
        )
    try:
        compiled = insights.compile(text)
    except insights.InsightsError as err:  # never a raw 500 for a query it cannot take
        raise MalformedQueryException(str(err)) from None
    query_id = str(uuid.uuid4())
    _queries(req)[query_id] = _StoredQuery(
        query_id,
        text,
        compiled,
        groups,
        start_s,
        end_s,
        int(limit) if limit is not None else None,
        req.account_id,
        int(time.time() * 1000),
    )
    return {"queryId": query_id}


def _lookup(req: AwsRequest) -> _StoredQuery:
    query_id = str(req.params.get("queryId", ""))
    stored = _queries(req).get(query_id)
    if stored is None:
        raise ResourceNotFoundException(f"Query {query_id!r} does not exist.")
    return stored


def _events(stored: _StoredQuery) -> list[dict[str, Any]]:
    """moto's events in the time range: startTime..endTime seconds, both inclusive."""
    low, high = stored.start_s * 1000, stored.end_s * 1000 + 999
    events = []
    for group in stored.groups:
        for stream in list(group.streams.values()):
            for event in list(stream.events):
                if low <= event.timestamp <= high:
                    events.append(
                        {
                            "@timestamp": event.timestamp,
                            "@message": event.message,
                            "@logStream": stream.log_stream_name,
                            "@log": f"{stored.account_id}:{group.name}",
                            "@ingestionTime": event.ingestion_time,
                        }
                    )
    return events


def _execute(stored: _StoredQuery) -> None:
    try:
        result = insights.run(
            stored.compiled, insights.EventSource(_events(stored)), limit=stored.limit
        )
    except insights.InsightsError as err:
        stored.status = "Failed"
        stored.statistics = {"recordsMatched": 0.0, "recordsScanned": 0.0, "bytesScanned": 0.0}
        stored.results = [[{"field": "@message", "value": str(err)}]]
        return
    rows = []
    for index, row in enumerate(result.rows):
        cells = [
            {"field": name, "value": str(value)}
            for name, value in zip(result.columns, row, strict=True)
            if value is not None
        ]
        pointer = base64.b64encode(f"{stored.query_id}:{index}".encode()).decode()
        rows.append([*cells, {"field": "@ptr", "value": pointer}])
    stats = result.statistics
    stored.results = rows
    stored.statistics = {
        "recordsMatched": float(stats.records_matched),
        "recordsScanned": float(stats.records_scanned),
        "bytesScanned": float(stats.bytes_scanned),
    }
    stored.status = "Complete"


def get_query_results(req: AwsRequest) -> dict[str, Any]:
    """Run the query on first read; answer its rows, statistics and status."""
    stored = _lookup(req)
    with _LOCK:
        if stored.status == "Running":
            _execute(stored)
    statistics = stored.statistics or {
        "recordsMatched": 0.0,
        "recordsScanned": 0.0,
        "bytesScanned": 0.0,
    }
    return {
        "queryLanguage": "CWLI",
        "results": stored.results,
        "statistics": statistics,
        "status": stored.status,
    }


def stop_query(req: AwsRequest) -> dict[str, Any]:
    """Cancel a query that has not run yet; ``success`` is false if it already finished."""
    stored = _lookup(req)
    with _LOCK:
        if stored.status != "Running":
            return {"success": False}
        stored.status = "Cancelled"
    return {"success": True}


def describe_queries(req: AwsRequest) -> dict[str, Any]:
    """List stored queries, optionally for one log group and one status."""
    group_name = req.params.get("logGroupName")
    status = req.params.get("status")
    max_results = int(req.params.get("maxResults", 1000))
    found = []
    for stored in sorted(_queries(req).values(), key=lambda q: q.created_ms, reverse=True):
        names = [g.name for g in stored.groups]
        if group_name and group_name not in names:
            continue
        if status and stored.status != status:
            continue
        found.append(
            {
                "queryLanguage": "CWLI",
                "queryId": stored.query_id,
                "queryString": stored.text,
                "status": stored.status,
                "createTime": stored.created_ms,
                "logGroupName": names[0],
            }
        )
    return {"queries": found[:max_results]}
