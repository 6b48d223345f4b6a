"""Wait for a Logs Insights query that the notebook started with ``lab.logs.start_query``.

https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetQueryResults.html
A query runs asynchronously: GetQueryResults answers "Scheduled" or "Running" until the
status is final. This hides only the polling loop, so a notebook cell can show the
StartQuery and GetQueryResults calls themselves.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from labkit.aws.logs import DONE
from labkit.errors import LabkitError

if TYPE_CHECKING:
    from labkit.aws.context import AwsContext


def wait_query(lab: AwsContext, query_id: str, timeout_s: float = 900) -> str:
    """Poll GetQueryResults until the query is done; returns its final status."""
    started = time.monotonic()
    while True:
        with lab.call("waiting for the Logs Insights query"):
            status = str(lab.logs.get_query_results(queryId=query_id).get("status", "Unknown"))
        waited = time.monotonic() - started
        if status in DONE:
            return status
        if waited > timeout_s:
            raise LabkitError(
                f"the query {query_id} is still {status} after {timeout_s:.0f} s: "
                "narrow the time range and start it again"
            )
        time.sleep(0.5 if waited < 10 else 2)
