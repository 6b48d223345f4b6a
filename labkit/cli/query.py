"""``labkit query``: run a Logs Insights query on flow-log files or on a log group."""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from labkit.errors import ConfigError

_RELATIVE = re.compile(r"^-?(\d+)\s*(s|m|h|d|w)$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def register(subparsers: Any) -> None:
    """Add the ``query`` subcommand to an argparse subparsers object."""
    parser = subparsers.add_parser(
        "query",
        help="run a Logs Insights query on flow-log files or a CloudWatch Logs group",
        description="Run a CloudWatch Logs Insights query. With --file, the local engine "
        "reads flow-log (default or custom format), JSON-lines or text files, plain or "
        ".gz. With --log-group, the query runs in CloudWatch Logs (the emulator with "
        "--endpoint-url, else your AWS account).",
    )
    parser.add_argument(
        "query",
        metavar="QUERY",
        help="the query, e.g. 'stats sum(bytes) as b by srcAddr | sort b desc | limit 10'",
    )
    parser.add_argument(
        "--file",
        action="append",
        default=[],
        metavar="PATH",
        help="a log file to query (repeat for several)",
    )
    parser.add_argument(
        "--log-group",
        action="append",
        default=[],
        metavar="NAME",
        help="a log group to query (repeat for several)",
    )
    parser.add_argument(
        "--endpoint-url", metavar="URL", help="the emulator's endpoint (omit for real AWS)"
    )
    parser.add_argument("--region", metavar="R", help="AWS region (default: from your config)")
    parser.add_argument(
        "--start",
        metavar="T",
        help="start of the time range: ISO 8601, "
        "epoch seconds, or relative like 1h (ago); log groups default to 1d",
    )
    parser.add_argument("--end", metavar="T", help="end of the time range (default: now)")
    parser.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default="table",
        help="output format (default: table)",
    )
    parser.add_argument(
        "--log-format",
        metavar="FMT",
        help="custom flow-log format, e.g. '${version} ${vpc-id} ${srcaddr} ...' (files only)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print the SQL the local engine runs, instead of results",
    )
    parser.set_defaults(func=run)


def parse_time(text: str | None, *, now: datetime | None = None) -> datetime | None:
    """A time argument: ISO 8601, epoch seconds, or a relative ``15m``/``-2h`` before now."""
    if text is None:
        return None
    now = now or datetime.now(UTC)
    relative = _RELATIVE.match(text.strip())
    if relative:
        return now - timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"cannot read the time {text!r}; use ISO 8601 "
            "(2024-05-01T12:00:00Z), epoch seconds, or relative like 1h"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def run(args: argparse.Namespace) -> int:
    """Run the query and print the rows; errors are raised as LabkitError."""
    if bool(args.file) == bool(args.log_group):
        raise ConfigError("give either --file PATH (one or more) or --log-group NAME")
    start, end = parse_time(args.start), parse_time(args.end)
    if args.file:
        columns, rows = _run_files(args, start, end)
        if columns is None:
            return 0
    else:
        columns, rows = _run_log_groups(args, start, end)
        if columns is None:
            return 0
    sys.stdout.write(render(columns, rows, args.format))
    sys.stdout.flush()
    return 0


def _run_files(
    args: argparse.Namespace, start: datetime | None, end: datetime | None
) -> tuple[Any, list[list[Any]]]:
    from labkit import insights

    source = insights.FileSource(args.file, log_format=args.log_format)
    if args.explain:
        print(insights.explain(args.query, source, start=start, end=end))
        return None, []
    result = insights.run(args.query, source, start=start, end=end)
    stats = result.statistics
    if args.format == "table":
        print(
            f"{len(result.rows):,} rows; {stats.records_matched:,} records matched, "
            f"{stats.records_scanned:,} scanned ({stats.bytes_scanned:,} bytes)",
            file=sys.stderr,
        )
    return list(result.columns), [list(r) for r in result.rows]


def _run_log_groups(
    args: argparse.Namespace, start: datetime | None, end: datetime | None
) -> tuple[list[str] | None, list[list[Any]]]:
    from labkit import insights
    from labkit.aws.logs import logs_client, run_insights_query

    if args.explain:  # the SQL the emulator's engine runs over the group's events
        print(insights.explain(args.query, insights.EventSource([])))
        return None, []
    end = end or datetime.now(UTC)
    start = start or end - timedelta(days=1)
    client = logs_client(region=args.region, endpoint_url=args.endpoint_url)
    began = time.monotonic()
    shown = False

    def progress(status: str, elapsed: float) -> None:
        nonlocal shown
        if elapsed > 1.0:  # quick queries print nothing
            print(
                f"\rquery {status.lower()} … {elapsed:4.1f}s", end="", file=sys.stderr, flush=True
            )
            shown = True

    records = run_insights_query(
        client, args.log_group, args.query, start, end, on_progress=progress
    )
    if shown:
        print(f"\rdone in {time.monotonic() - began:.1f}s", file=sys.stderr)
    columns: list[str] = []
    for record in records:
        columns += [k for k in record if k not in columns]
    return columns, [[record.get(c) for c in columns] for record in records]


def render(columns: list[str], rows: list[list[Any]], fmt: str) -> str:
    """Rows as an aligned table, a JSON array of objects, or CSV."""
    if fmt == "json":
        return (
            json.dumps(
                [dict(zip(columns, row, strict=True)) for row in rows], indent=2, ensure_ascii=False
            )
            + "\n"
        )
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
        return out.getvalue()
    from labkit.tables import Table

    return repr(Table.of(columns, rows, missing="-")) + "\n"
