"""Logs Insights for the workbook: the query language on DuckDB, over events or log files.

    >>> from labkit import insights
    >>> result = insights.run("stats count(*) by action", insights.FileSource(["flows.log"]))
    >>> result.columns, result.rows

The public surface is small: :func:`compile`, :func:`run`, :func:`explain`, the two
sources, :class:`Result` and :class:`QueryError`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labkit.insights.errors import InsightsError, QueryError, QueryTooLongError, SourceError
    from labkit.insights.executor import (
        MAX_QUERY_CHARS,
        Result,
        Statistics,
        compile,
        explain,
        output_columns,
        run,
    )
    from labkit.insights.files import FileSource, default_cache_dir
    from labkit.insights.flowlogs import DEFAULT_FORMAT, FLOW_FIELDS, STRING_FIELDS
    from labkit.insights.formats import Skipped
    from labkit.insights.sources import EventSource, Source

# Names are imported on first use: DuckDB and lark cost about 0.3 s, and a notebook kernel
# or the AWS helpers (which read only the flow-log field names) need not pay it up front.
_NAMES = {
    "InsightsError": "errors",
    "QueryError": "errors",
    "QueryTooLongError": "errors",
    "SourceError": "errors",
    "MAX_QUERY_CHARS": "executor",
    "Result": "executor",
    "Statistics": "executor",
    "compile": "executor",
    "explain": "executor",
    "output_columns": "executor",
    "run": "executor",
    "FileSource": "files",
    "default_cache_dir": "files",
    "DEFAULT_FORMAT": "flowlogs",
    "FLOW_FIELDS": "flowlogs",
    "STRING_FIELDS": "flowlogs",
    "Skipped": "formats",
    "EventSource": "sources",
    "Source": "sources",
}


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        return getattr(importlib.import_module(f"labkit.insights.{_NAMES[name]}"), name)
    raise AttributeError(f"module 'labkit.insights' has no attribute {name!r}")


__all__ = [
    "DEFAULT_FORMAT",
    "FLOW_FIELDS",
    "MAX_QUERY_CHARS",
    "STRING_FIELDS",
    "EventSource",
    "FileSource",
    "InsightsError",
    "QueryError",
    "QueryTooLongError",
    "Result",
    "Skipped",
    "Source",
    "SourceError",
    "Statistics",
    "compile",
    "default_cache_dir",
    "explain",
    "output_columns",
    "run",
]
