"""CloudWatch Logs Insights through boto3: start a query, poll it, return plain rows.

API: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartQuery.html
(times in epoch seconds, inclusive) and API_GetQueryResults.html (rows of {field, value}
strings, with ``@ptr`` in every row).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from labkit.aws.context import session_for
from labkit.errors import LabkitError, NotFoundError
from labkit.insights.flowlogs import STRING_FIELDS
from labkit.insights.typed import parse_number

DONE = {"Complete", "Failed", "Cancelled", "Timeout", "Unknown"}
Progress = Callable[[str, float], None]


class InsightsQueryFailed(LabkitError):
    """CloudWatch Logs rejected or did not finish a Logs Insights query."""


def logs_client(*, region: str | None = None, endpoint_url: str | None = None) -> Any:
    """A boto3 Logs client for the emulator at ``endpoint_url``, or for AWS."""
    session = session_for(endpoint_url, region)
    return session.client(
        "logs", endpoint_url=endpoint_url, region_name=session.region_name or "us-east-1"
    )


def _seconds(value: datetime | int | float) -> int:
    return int(value.timestamp()) if isinstance(value, datetime) else int(value)


def typed_value(field: str, text: str | None) -> Any:
    """A result value as a number when it is one (flow-log string fields stay strings)."""
    if text is None or field.startswith("@") or field in STRING_FIELDS:
        return text
    number = parse_number(text)
    return text if number is None else number


def run_insights_query(
    logs_client: Any,
    log_groups: Sequence[str] | str,
    query: str,
    start: datetime | int | float,
    end: datetime | int | float,
    limit: int | None = None,
    on_progress: Progress | None = None,
    *,
    poll_seconds: float = 0.5,
    timeout_seconds: float = 900.0,
) -> list[dict[str, Any]]:
    """Run a Logs Insights query and wait for its rows.

    Parameters
    ----------
    logs_client: a boto3 ``logs`` client (the emulator's or AWS's).
    log_groups: log group names or ARNs.
    query: the Logs Insights query text.
    start, end: the time range, datetimes or epoch seconds, both inclusive.
    limit: at most this many rows (AWS default 10,000 when the query has no ``limit``).
    on_progress: called with (status, elapsed seconds) while the query runs.

    Returns
    -------
    One dict per row, fields in result order without ``@ptr``; numbers as numbers,
    missing fields absent.
    """
    from botocore.exceptions import ClientError

    groups = [log_groups] if isinstance(log_groups, str) else list(log_groups)
    key = "logGroupIdentifiers" if any(g.startswith("arn:") for g in groups) else "logGroupNames"
    params: dict[str, Any] = {
        key: groups,
        "startTime": _seconds(start),
        "endTime": _seconds(end),
        "queryString": query,
    }
    if limit is not None:
        params["limit"] = limit
    began = time.monotonic()
    try:
        query_id = logs_client.start_query(**params)["queryId"]
        while True:
            answer = logs_client.get_query_results(queryId=query_id)
            status = answer.get("status", "Unknown")
            if status in DONE:
                break
            elapsed = time.monotonic() - began
            if on_progress is not None:
                on_progress(status, elapsed)
            if elapsed > timeout_seconds:
                logs_client.stop_query(queryId=query_id)
                raise InsightsQueryFailed(
                    f"the query did not finish in {timeout_seconds:.0f}s "
                    "and was stopped; narrow the time range"
                )
            time.sleep(poll_seconds)
    except ClientError as err:
        error = err.response.get("Error", {})
        code, message = error.get("Code", "Error"), error.get("Message", str(err))
        if code == "ResourceNotFoundException":
            raise NotFoundError(f"{message} (log groups: {', '.join(groups)})") from None
        raise InsightsQueryFailed(f"{code}: {message}") from None
    if status != "Complete":
        raise InsightsQueryFailed(f"the query ended with status {status}")
    return [
        {
            cell["field"]: typed_value(cell["field"], cell.get("value"))
            for cell in row
            if cell["field"] != "@ptr"
        }
        for row in answer.get("results", [])
    ]
