"""``labkit query``: run a Logs Insights query on flow-log files or on a log group."""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from labkit.errors import ConfigError
from labkit.tables import Table

T = TypeVar("T")
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
        "--strict",
        action="store_true",
        help="fail on the first malformed line of a file (default: skip and count them)",
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
    if any(not name.strip() for name in args.log_group):
        raise ConfigError("--log-group needs a log group name, e.g. --log-group /lab/flows")
    if args.endpoint_url is not None:
        check_endpoint_url(args.endpoint_url)
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
    from labkit import insights  # deferred: DuckDB is slow to import

    source = insights.FileSource(args.file, log_format=args.log_format, strict=args.strict)
    if args.explain:
        print(insights.explain(args.query, source, start=start, end=end))
        return None, []
    result = insights.run(args.query, source, start=start, end=end)
    if result.skipped is not None:  # stderr: JSON and CSV on stdout stay clean
        print(f"{result.skipped.note()} (--strict to fail instead)", file=sys.stderr)
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
    from labkit import insights  # deferred: DuckDB is slow to import
    from labkit.aws.logs import logs_client, run_insights_query

    if args.explain:  # the SQL the emulator's engine runs over the group's events
        print(insights.explain(args.query, insights.EventSource([])))
        return None, []
    end = end or datetime.now(UTC)
    start = start or end - timedelta(days=1)
    client = _call_endpoint(
        args, lambda: logs_client(region=args.region, endpoint_url=args.endpoint_url)
    )
    began = time.monotonic()
    shown = False

    def progress(status: str, elapsed: float) -> None:
        nonlocal shown
        if elapsed > 1.0:  # quick queries print nothing
            print(
                f"\rquery {status.lower()} … {elapsed:4.1f}s", end="", file=sys.stderr, flush=True
            )
            shown = True

    if len(args.query) > insights.MAX_QUERY_CHARS:  # AWS refuses it; say so in one line
        raise insights.QueryTooLongError(args.query, insights.MAX_QUERY_CHARS)
    records = _call_endpoint(
        args,
        lambda: run_insights_query(
            client, args.log_group, args.query, start, end, on_progress=progress
        ),
    )
    if shown:
        print(f"\rdone in {time.monotonic() - began:.1f}s", file=sys.stderr)
    columns: list[str] = []
    for record in records:
        columns += [k for k in record if k not in columns]
    if not records:
        columns = list(insights.output_columns(args.query))  # no rows to name them
    return columns, [[record.get(c) for c in columns] for record in records]


def check_endpoint_url(url: str) -> None:
    """Refuse an ``--endpoint-url`` that is not an http(s) URL with a host, in one line."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"--endpoint-url {url!r} is not a URL; give the emulator's address, e.g. "
            "http://127.0.0.1:4566 (labkit emulator status shows it)"
        )


def _call_endpoint(args: argparse.Namespace, call: Callable[[], T]) -> T:
    """``call()``, with a failure to reach the endpoint turned into one line."""
    from botocore.exceptions import BotoCoreError, EndpointConnectionError, NoCredentialsError

    where = args.endpoint_url or "AWS"
    try:
        return call()
    except EndpointConnectionError:
        raise ConfigError(
            f"cannot connect to {where}: nothing answers there; start the emulator with "
            "`labkit emulator start` or check --endpoint-url"
        ) from None
    except NoCredentialsError:
        raise ConfigError(
            "no AWS credentials found: set a profile (AWS_PROFILE) or pass --endpoint-url "
            "for the local emulator"
        ) from None
    except BotoCoreError as err:
        raise ConfigError(f"the query to {where} failed: {err}") from None


def render(columns: list[str], rows: list[list[Any]], fmt: str) -> str:
    """Rows as an aligned table, a JSON array of objects, or CSV."""
    if fmt == "json":
        return (
            json.dumps(
                [dict(zip(columns, row, strict=True)) for row in rows], indent=2, ensure_ascii=False
            )
            + "\n"
        )
    if not columns:  # nothing to show, not even a header: no blank lines either
        return ""
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
        return out.getvalue()
    return repr(Table.of(columns, rows, missing="-")) + "\n"
