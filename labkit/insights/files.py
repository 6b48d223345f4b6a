"""Log files as a source: flow logs (default or custom format), JSON lines, or plain text.

Design: DuckDB reads the files itself (``read_csv`` with a space delimiter for flow logs,
one whole-line column otherwise); Python only peeks at the first line to pick the format
and to skip an S3 header line. Parsed columns are cached as Parquet column groups
(:mod:`labkit.insights.cache`). A query whose columns a group holds reads that. Otherwise:

- a flow-log query that can count its statistics while answering, on files with at least
  ``INLINE_BUILD_BYTES`` of text, is answered straight from the text in one scan, like
  hand-written DuckDB SQL, and the group is built afterwards in a detached process;
- any other query builds the group first (inline) and answers from it.
"""

from __future__ import annotations

import gzip
import os
import struct
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb

from labkit.insights import cache
from labkit.insights.errors import SourceError
from labkit.insights.flowlogs import (
    DEFAULT_FIELDS,
    looks_like_default_record,
    looks_like_header,
    parse_format,
)
from labkit.insights.formats import (
    FileFormat,
    Skipped,
    describe_csv_error,
    read_sql,
    skipped_lines,
)
from labkit.insights.sources import (
    Prepared,
    flow_field_sql,
    is_json_object,
    json_fields,
    json_structure,
)
from labkit.insights.typed import Kind, Typed, quote_ident, quote_str


def default_cache_dir() -> Path:
    """``$LABKIT_HOME/cache/insights`` (``~/.labkit/cache/insights`` by default)."""
    home = os.environ.get("LABKIT_HOME") or os.path.join(os.path.expanduser("~"), ".labkit")
    return Path(home) / "cache" / "insights"


def _first_line(path: Path) -> str:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as handle:  # type: ignore[operator]
            for line in handle:
                if line.strip():
                    return str(line).rstrip("\r\n")
    except FileNotFoundError:
        raise SourceError(f"no such file: {path}") from None
    except (OSError, EOFError) as err:
        raise SourceError(f"cannot read {path}: {err}") from None
    return ""


def detect(path: Path, log_format: str | None) -> FileFormat:
    """Pick a file's format from its first line (and ``log_format`` if given)."""
    first = _first_line(path)
    header = looks_like_header(first)
    if log_format is not None:
        return FileFormat("flow", parse_format(log_format), 1 if header else 0)
    if header:  # S3 delivery writes the format's field names as the first line
        return FileFormat("flow", parse_format(first), 1)
    if looks_like_default_record(first) or not first:
        return FileFormat("flow", DEFAULT_FIELDS, 0)
    if first.lstrip().startswith("{"):
        return FileFormat("json")
    return FileFormat("text")


def _uncompressed_size(path: Path, size: int) -> int:
    """Bytes of text in a file; for .gz the ISIZE trailer (exact below 4 GiB, one member)."""
    if path.suffix != ".gz" or size < 4:
        return size
    with open(path, "rb") as handle:
        handle.seek(-4, os.SEEK_END)
        return int(struct.unpack("<I", handle.read(4))[0])


class FileSource:
    """Flow-log, JSON-lines or text files, plain or .gz, read by DuckDB itself.

    ``log_format`` is a flow-log LogFormat string (``"${version} ${vpc-id} ..."``) for
    custom-format files; without it a header line or the default format is detected.
    ``cache_dir`` holds the Parquet column cache; ``None`` turns caching off.
    Malformed lines are skipped and reported (:attr:`Result.skipped`) unless ``strict``,
    where the first one fails the query with its line number and DuckDB's reason.
    """

    def __init__(
        self,
        paths: Iterable[str | os.PathLike[str]],
        *,
        log_format: str | None = None,
        cache_dir: str | os.PathLike[str] | None = "default",
        strict: bool = False,
    ) -> None:
        self.paths = [Path(p).expanduser().resolve() for p in paths]
        if not self.paths:
            raise SourceError("no files given; pass at least one log file")
        self.log_format = log_format
        self.strict = strict
        self.cache_dir = (
            default_cache_dir()
            if cache_dir == "default"
            else Path(cache_dir)
            if cache_dir is not None
            else None
        )

    def prepare(
        self,
        con: duckdb.DuckDBPyConnection,
        needed: frozenset[str],
        *,
        materialize: bool = True,
        one_pass: bool = False,
    ) -> Prepared:
        """Detect the format, find (or build) the needed columns in the cache, describe fields.

        With ``one_pass`` (the plan counts while answering), a cache miss on big flow-log
        files answers from the text and builds the cache afterwards, in the background.
        """
        formats = [detect(p, self.log_format) for p in self.paths]
        kinds = {(f.kind, tuple(x.record_name for x in f.fields)) for f in formats}
        if len(kinds) > 1:
            raise SourceError(
                "the files mix formats; query files of one format at a time: "
                + ", ".join(str(p) for p in self.paths)
            )
        fmt = formats[0]
        sizes = [p.stat().st_size for p in self.paths]
        text_bytes = sum(_uncompressed_size(p, s) for p, s in zip(self.paths, sizes, strict=True))
        columns = _physical_columns(fmt, needed)
        available = set(columns)
        text_sql = (
            "("
            + " UNION ALL ".join(
                f"SELECT * FROM {read_sql(p, f, strict=self.strict)}"
                for p, f in zip(self.paths, formats, strict=True)
            )
            + ")"
        )
        if not materialize or self.cache_dir is None:
            structure = None
            if fmt.kind == "json" and materialize:
                structure = json_structure(con, text_sql, "line")
            return Prepared(
                text_sql,
                _file_fields(fmt, structure, available),
                None,
                text_bytes,
                single_pass=True,
                skipped=skipped_lines,
            )
        names = [f.record_name for f in fmt.fields]
        entries = [
            cache.entry_dir(self.cache_dir, p, f.kind, names, f.skip)
            for p, f in zip(self.paths, formats, strict=True)
        ]
        found = [cache.find_group(entry, columns) for entry in entries]
        later = one_pass and fmt.kind == "flow" and text_bytes >= cache.INLINE_BUILD_BYTES
        if later and None in found:
            todo = [
                (p, f, e)
                for p, f, e, g in zip(self.paths, formats, entries, found, strict=True)
                if g is None
            ]

            def build_later() -> None:
                for path, f, entry in todo:
                    cache.build_later(
                        entry,
                        {
                            "path": str(path),
                            "kind": f.kind,
                            "fields": names,
                            "skip": f.skip,
                            "columns": columns,
                        },
                    )

            return Prepared(
                text_sql,
                _file_fields(fmt, None, available),
                None,
                text_bytes,
                single_pass=True,
                after=build_later,
                skipped=skipped_lines,
            )
        groups = [
            g
            if g is not None
            else cache.build_group(
                con,
                e,
                p,
                f,
                columns,
                note={"source": str(p)},
                strict=self.strict,
                on_error=_read_error(p, f),
            )
            for p, f, e, g in zip(self.paths, formats, entries, found, strict=True)
        ]
        skipped = _merge_skipped([g.skipped for g in groups])
        if skipped is not None and self.strict:  # cached by a lenient query earlier
            raise SourceError(f"cannot read the log file: {skipped.first}")
        from_sql = "read_parquet([" + ", ".join(quote_str(str(g.path)) for g in groups) + "])"
        structure = _merge_structures(g.structure for g in groups) if fmt.kind == "json" else None
        return Prepared(
            from_sql,
            _file_fields(fmt, structure, available),
            sum(g.records for g in groups),
            text_bytes,
            skipped=(lambda _con: skipped) if skipped else None,
        )


def _physical_columns(fmt: FileFormat, needed: frozenset[str]) -> list[str]:
    """The file columns a query needs (every column when it shows @message)."""
    if fmt.kind != "flow":
        return ["line"]
    if "@message" in needed:
        return fmt.columns()
    wanted: list[str] = []
    for f in fmt.fields:
        names = {f.insights_name, *f.aliases}
        if names & needed or (f.record_name == "start" and "@timestamp" in needed):
            wanted.append(f.record_name)
    return wanted or fmt.columns()[:1]


def _file_fields(
    fmt: FileFormat, structure: object, available: set[str] | None
) -> dict[str, Typed]:
    """Typed fields over the physical columns of a file source (``available``: None = all)."""
    if fmt.kind != "flow":
        fields = {
            "@message": Typed("line", Kind.STR),
            "@timestamp": Typed("CAST(NULL AS TIMESTAMP)", Kind.TIME),
        }
        if structure is not None:
            fields.update(json_fields(structure, "line", is_json_object("line")))
        return fields
    names = [f.record_name for f in fmt.fields]
    have = set(names) if available is None else available
    present = tuple(f for f in fmt.fields if f.record_name in have)
    fields = flow_field_sql(present, lambda i, f: quote_ident(f.record_name))
    # The CloudWatch timestamp of a flow-log record is its start time (aws-facts A.8).
    timestamp = (
        'make_timestamp(CAST("start" AS BIGINT) * 1000000)'
        if "start" in have
        else "CAST(NULL AS TIMESTAMP)"
    )
    out = {"@timestamp": Typed(timestamp, Kind.TIME)}
    if have >= set(names):  # @message is rebuilt from the fields, "-" for missing ones
        out["@message"] = Typed(
            "concat_ws(' ', "
            + ", ".join(f"coalesce(CAST({quote_ident(n)} AS VARCHAR), '-')" for n in names)
            + ")",
            Kind.STR,
        )
    return {**out, **fields}


def _merge_structures(structures: Iterable[object]) -> object:
    merged: dict[str, object] = {}
    for s in structures:
        if isinstance(s, dict):
            for key, value in s.items():
                merged.setdefault(key, value)
    return merged or None


def _merge_skipped(skips: Iterable[Skipped | None]) -> Skipped | None:
    found = [s for s in skips if s is not None]
    return Skipped(sum(s.count for s in found), found[0].first) if found else None


def _read_error(path: Path, fmt: FileFormat) -> Callable[[duckdb.Error], SourceError]:
    """How a failed read of ``path`` is reported (DuckDB's reason kept)."""
    return lambda err: SourceError(
        f"cannot read {path} as {_describe(fmt)}: {describe_csv_error(err)}"
    )


def _describe(fmt: FileFormat) -> str:
    if fmt.kind == "flow":
        return f"flow logs with {len(fmt.fields)} fields per line"
    return "JSON lines" if fmt.kind == "json" else "text lines"
