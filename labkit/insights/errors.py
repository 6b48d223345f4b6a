"""Errors of the insights engine; a query error shows the query with a caret under the column."""

from __future__ import annotations

from labkit.errors import LabkitError


class InsightsError(LabkitError):
    """Root of the insights engine's errors."""


class QueryError(InsightsError):
    """The query text is invalid; ``str()`` is the message, the query line and a ``^`` line."""

    def __init__(self, message: str, query: str, position: int | None = None) -> None:
        self.message = message
        self.query = query
        self.position = position
        self.line, self.column = _line_col(query, position)
        super().__init__(self._render())

    def _render(self) -> str:
        if self.position is None:
            return f"Query error: {self.message}\n  {self.query.strip()}"
        lines = self.query.split("\n")
        text = lines[self.line - 1] if self.line - 1 < len(lines) else ""
        where = (
            f"line {self.line}, column {self.column}"
            if len(lines) > 1
            else (f"column {self.column}")
        )
        caret = " " * (self.column - 1) + "^"
        return f"Query error at {where}: {self.message}\n  {text}\n  {caret}"


class QueryTooLongError(QueryError):
    """The query text is over StartQuery's 10,000-character limit; one line, no caret."""

    def __init__(self, query: str, limit: int) -> None:
        self.limit = limit
        super().__init__(
            f"the query is {len(query):,} characters long; Logs Insights accepts "
            f"at most {limit:,} (Member must have length less than or equal to "
            f"{limit})",
            query,
            None,
        )

    def _render(self) -> str:
        return f"Query error: {self.message}"


class SourceError(InsightsError):
    """A log file or event list cannot be read (missing file, malformed record)."""


def _line_col(query: str, position: int | None) -> tuple[int, int]:
    """1-based (line, column) of a character offset."""
    if position is None:
        return 0, 0
    position = max(0, min(position, len(query)))
    before = query[:position]
    line = before.count("\n") + 1
    column = position - (before.rfind("\n") + 1) + 1
    return line, column
