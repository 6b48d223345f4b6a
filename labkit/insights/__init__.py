"""Logs Insights for the workbook: the query language on DuckDB, over events or log files.

    >>> from labkit import insights
    >>> result = insights.run("stats count(*) by action", insights.FileSource(["flows.log"]))
    >>> result.columns, result.rows

The public surface is small: :func:`compile`, :func:`run`, :func:`explain`, the two
sources, :class:`Result` and :class:`QueryError`.
"""

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
