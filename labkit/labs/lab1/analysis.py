"""Flow-log analysis for the notebooks: raw records, Logs Insights queries, background traffic.

The same calls work on both backends: queries go through ``StartQuery`` and
``GetQueryResults`` (the emulator answers them with labkit's own engine), records through
``FilterLogEvents``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labkit.aws.compute import list_instances
from labkit.aws.logs import run_insights_query
from labkit.emulator.client import request_background_traffic
from labkit.errors import ConfigError
from labkit.netsim.records import DEFAULT_FORMAT, FIELD_BY_NAME, FlowRecord
from labkit.tables import Table

if TYPE_CHECKING:
    from labkit.aws.context import AwsContext

# The lab's own Logs Insights query.
LAB_QUERY = (
    "stats sum(bytes) as bytesTransferred by srcAddr, dstAddr "
    "| sort bytesTransferred desc | limit 10"
)


@dataclass(frozen=True)
class QueryResult:
    """A Logs Insights answer: the query, its columns in order, and its rows."""

    query: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]

    def table(self) -> Table:
        """The rows as a table (missing values blank)."""
        return Table.of(self.columns, [[r.get(c) for c in self.columns] for r in self.rows])

    def column(self, name: str) -> list[Any]:
        """One column's values, in row order."""
        if name not in self.columns:
            raise ConfigError(f"no column {name!r}: the result has {', '.join(self.columns)}")
        return [r.get(name) for r in self.rows]

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        return f"{len(self.rows)} rows\n{self.table()!r}"

    def _repr_html_(self) -> str:
        return f"<p>{len(self.rows)} rows</p>" + self.table()._repr_html_()


def query(
    lab: AwsContext, log_group: str, text: str, minutes: int = 60, limit: int | None = None
) -> QueryResult:
    """Run a Logs Insights query over the last ``minutes`` of a log group.

    Parameters
    ----------
    log_group: the log group, e.g. "lab-vpc-flow-logs".
    text: the query, e.g. ``labkit.analysis.LAB_QUERY``.
    minutes: how far back to look (AWS's StartQuery needs a time range).
    limit: at most this many rows.

    Returns
    -------
    The :class:`QueryResult`; progress is printed while AWS runs a long query.
    """
    if minutes <= 0:
        raise ConfigError(f"minutes must be positive, not {minutes}")
    end = int(time.time()) + 60
    start = end - 60 - minutes * 60

    def progress(status: str, elapsed: float) -> None:
        if elapsed >= 2:
            print(f"query {status.lower()}… {elapsed:.0f} s", flush=True)

    with lab.call(f"querying {log_group}"):
        rows = run_insights_query(
            lab.logs, log_group, text, start, end, limit=limit, on_progress=progress
        )
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    return QueryResult(text, tuple(columns), tuple(rows))


def records(lab: AwsContext, log_group: str, limit: int = 10) -> Table:
    """The first raw flow-log records of a log group: stream (the ENI) and message."""
    with lab.call(f"reading {log_group}"):
        events = lab.logs.filter_log_events(logGroupName=log_group, limit=limit)["events"]
    return Table.of(("log stream", "record"), [(e["logStreamName"], e["message"]) for e in events])


def explain_record(line: str) -> Table:
    """One default-format record split into its fields, with their Logs Insights names."""
    FlowRecord.parse(line)  # checks the number of fields and their types, in one clear line
    return Table.of(
        ("field", "Logs Insights name", "value"),
        [
            (name, FIELD_BY_NAME[name].insights_name, text)
            for name, text in zip(DEFAULT_FORMAT.fields, line.split(), strict=True)
        ],
    )


def background_traffic(lab: AwsContext, flows: int = 200, seed: int = 7, minutes: int = 10) -> int:
    """Add seeded internet traffic (scans, HTTPS calls) to the flow logs; emulator only.

    A real account needs none: within minutes of launch, internet scanners knock on every
    public IP. Returns the number of records written (0 on AWS).
    """
    if lab.endpoint_url is None:
        print("on AWS the internet sends its own background traffic; nothing generated")
        return 0
    with lab.call("generating background traffic"):
        written = request_background_traffic(
            lab.endpoint_url,
            flows,
            seed,
            region=lab.region,
            session=lab.session,
            start=int(time.time()) - minutes * 60,
            span=minutes * 60,
        )
    return int(written)


def address_names(lab: AwsContext) -> dict[str, str]:
    """The lab's instance addresses (private and public) mapped to their Name tags."""
    names = {}
    for inst in list_instances(lab):
        names[inst.private_ip] = inst.name
        if inst.public_ip:
            names[inst.public_ip] = f"{inst.name} (public)"
    return names
