"""The column cache of file sources: Parquet column groups, built inline or in the background.

Design: a cache *entry* is a directory keyed by a file's path, size, mtime and format.
It holds *column groups*: ``NAME.parquet`` with the columns one query needed, and
``NAME.json`` (columns, record count, JSON structure, and how long the build took). A
query whose columns a group holds reads that Parquet file and never touches the text.

Writing Parquet costs about as much again as reading the text, so a cold query on a big
file does not wait for it: it answers straight from the text (counting its statistics in
the same pass) and then calls :func:`build_later`, which starts ``python -m
labkit.insights.cache`` detached (own session, no stdio, lower priority). Neither the
answer nor the process exit waits for the build. While it runs, ``NAME.lock`` holds the
builder's pid and columns; a query that needs those columns waits for the build instead
of reading the text a second time alongside it (:func:`find_group`). Small files are
built inline, where starting a process would cost more than the build.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from labkit.insights.flowlogs import field_for
from labkit.insights.formats import FileFormat, Skipped, read_sql, skipped_lines
from labkit.insights.sources import json_structure
from labkit.insights.typed import quote_ident, quote_str

CACHE_VERSION = 2  # 2: groups record the malformed lines they skipped
INLINE_BUILD_BYTES = 8 << 20  # below this much text a build is cheaper than a new process
STALE_LOCK_SECONDS = 900.0  # a build lock older than this is abandoned
_UNWRITTEN_LOCK_SECONDS = 5.0  # a lock still without a pid after this is abandoned
_POLL_SECONDS = 0.05
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}  # our builders, so exits are reaped


@dataclass(frozen=True)
class Group:
    """A built column group: its Parquet file, record count, JSON structure, skipped lines."""

    path: Path
    records: int
    structure: object = None
    skipped: Skipped | None = None


def entry_dir(root: Path, path: Path, kind: str, names: Sequence[str], skip: int) -> Path:
    """The cache directory of one file read one way (changes when the file changes)."""
    stat = path.stat()
    key = hashlib.sha256(
        json.dumps(
            [CACHE_VERSION, str(path), stat.st_size, stat.st_mtime_ns, kind, list(names), skip]
        ).encode()
    ).hexdigest()[:32]
    return root / key


def _group_name(columns: Sequence[str]) -> str:
    return hashlib.sha256("\0".join(columns).encode()).hexdigest()[:16]


def _complete(entry: Path, columns: Sequence[str]) -> Group | None:
    for meta_path in sorted(entry.glob("*.json")) if entry.is_dir() else []:
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            continue
        parquet = meta_path.with_suffix(".parquet")
        if set(columns) <= set(meta["columns"]) and parquet.exists():
            skipped = meta.get("skipped")
            return Group(
                parquet,
                int(meta["records"]),
                meta.get("structure"),
                Skipped(int(skipped[0]), str(skipped[1])) if skipped else None,
            )
    return None


def _alive(pid: int) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists but belongs to someone else
    return True


def _building(entry: Path, columns: Sequence[str]) -> bool:
    """True while a live builder is writing a group that holds ``columns``."""
    found = False
    for lock in sorted(entry.glob("*.lock")) if entry.is_dir() else []:
        try:
            age = time.time() - lock.stat().st_mtime
            text = lock.read_text()
        except OSError:
            continue
        try:
            info: dict[str, Any] = json.loads(text)
        except ValueError:  # just created: the pid is being written
            if age < _UNWRITTEN_LOCK_SECONDS:
                found = True
            else:
                lock.unlink(missing_ok=True)
            continue
        if age > STALE_LOCK_SECONDS or not _alive(int(info["pid"])):
            lock.unlink(missing_ok=True)
        elif set(columns) <= set(info["columns"]):
            found = True
    return found


def find_group(entry: Path, columns: Sequence[str]) -> Group | None:
    """A group holding ``columns``, waiting for a build of them in progress; else None."""
    while True:
        group = _complete(entry, columns)
        if group is not None or not _building(entry, columns):
            return group
        time.sleep(_POLL_SECONDS)


def wait_for_builds(root: Path, timeout: float = STALE_LOCK_SECONDS) -> None:
    """Wait until no build under ``root`` is running (benchmarks and tests use this)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(_building(entry, ()) for entry in root.glob("*") if entry.is_dir()):
            return
        time.sleep(_POLL_SECONDS)


def build_group(
    con: duckdb.DuckDBPyConnection,
    entry: Path,
    source: Path,
    fmt: FileFormat,
    columns: Sequence[str],
    *,
    on_error: Callable[[duckdb.Error], Exception],
    strict: bool = False,
    note: dict[str, Any] | None = None,
) -> Group:
    """Write ``columns`` of the file ``source`` as a new group of ``entry``.

    The group records the malformed lines the read skipped (none when ``strict``: the
    first one fails the build).
    """
    kind = fmt.kind
    began = time.perf_counter()
    entry.mkdir(parents=True, exist_ok=True)
    target = entry / f"{_group_name(columns)}.parquet"
    fd, tmp = tempfile.mkstemp(dir=entry, prefix=".build-", suffix=".parquet")
    os.close(fd)
    select = ", ".join(quote_ident(c) for c in columns)
    if kind == "flow":  # row order is not needed for flow logs; this saves memory
        con.execute("SET preserve_insertion_order = false")
    try:
        row = con.execute(
            f"COPY (SELECT {select} FROM {read_sql(source, fmt, strict=strict)}) "
            f"TO {quote_str(tmp)} (FORMAT parquet)"
        ).fetchone()
    except duckdb.Error as err:
        os.unlink(tmp)
        raise on_error(err) from None
    finally:
        con.execute("RESET preserve_insertion_order")
    os.replace(tmp, target)
    skipped = skipped_lines(con, source)
    structure = None
    if kind == "json":
        structure = json_structure(con, f"read_parquet({quote_str(str(target))})", "line")
    meta = {
        "columns": list(columns),
        "records": int(row[0]) if row else 0,
        "structure": structure,
        "skipped": [skipped.count, skipped.first] if skipped else None,
        "build_seconds": round(time.perf_counter() - began, 3),
        "build_peak_mb": _peak_mb(),
        **(note or {}),
    }
    meta_tmp = target.with_suffix(".json.tmp")
    meta_tmp.write_text(json.dumps(meta))
    os.replace(meta_tmp, target.with_suffix(".json"))
    return Group(target, meta["records"], structure, skipped)


def build_later(entry: Path, spec: dict[str, Any]) -> bool:
    """Start a detached builder for ``spec`` (see :func:`main`) unless one already runs."""
    entry.mkdir(parents=True, exist_ok=True)
    lock = entry / f"{_group_name(spec['columns'])}.lock"
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    package_root = str(Path(__file__).resolve().parents[2])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p),
    }
    try:
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "labkit.insights.cache",
                json.dumps({**spec, "entry": str(entry), "lock": str(lock)}),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=os.name == "posix",
        )
    except OSError:
        os.close(fd)
        lock.unlink(missing_ok=True)
        return False
    _CHILDREN[child.pid] = child
    with os.fdopen(fd, "w") as handle:
        json.dump({"pid": child.pid, "columns": list(spec["columns"])}, handle)
    return True


def _peak_mb() -> float | None:
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1 << 20 if sys.platform == "darwin" else 1 << 10), 1)


def main(argv: Sequence[str]) -> int:
    """The builder process: ``python -m labkit.insights.cache SPEC-JSON``."""
    spec = json.loads(argv[0])
    lock = Path(spec["lock"])
    try:
        if hasattr(os, "nice"):
            os.nice(10)  # yield the CPU to the queries a learner is waiting for
        path = Path(spec["path"])
        fmt = FileFormat(
            spec["kind"], tuple(field_for(n) for n in spec["fields"]), int(spec["skip"])
        )
        con = duckdb.connect(":memory:")
        con.execute("SET enable_progress_bar = false")
        note: dict[str, Any] = {"source": str(path), "built": "background"}
        build_group(
            con,
            Path(spec["entry"]),
            path,
            fmt,
            spec["columns"],
            on_error=lambda err: err,
            note=note,
        )
        return 0
    except (duckdb.Error, OSError, ValueError, KeyError):
        return 1  # the next query reads the text and tries again
    finally:
        lock.unlink(missing_ok=True)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
