"""Issue 11: malformed log-file lines are skipped and counted, or refused with DuckDB's reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit import insights

GOOD = "2 123456789010 eni-a 10.0.0.5 10.0.1.9 40000 22 6 10 900 1700000000 1700000060 ACCEPT OK"
SHORT = "2 123456789010 eni-a 10.0.0.5 10.0.1.9 40000 22"
WORD = GOOD.replace(" 900 ", " lots ")
CACHES = ["text", "cache"]


def _source(path: Path, tmp_path: Path, how: str, *, strict: bool = False) -> insights.FileSource:
    cache = tmp_path / "cache" if how == "cache" else None
    return insights.FileSource([path], cache_dir=cache, strict=strict)


def _write(tmp_path: Path, *lines: str | bytes) -> Path:
    path = tmp_path / "flows.log"
    path.write_bytes(
        b"".join((ln if isinstance(ln, bytes) else ln.encode()) + b"\n" for ln in lines)
    )
    return path


@pytest.mark.parametrize("how", CACHES)
def test_short_line_is_skipped_and_counted(tmp_path: Path, how: str) -> None:
    """One 7-field line among good ones: the others are answered, the first bad one named."""
    path = _write(tmp_path, GOOD, SHORT, GOOD, SHORT)
    for _ in range(2):  # the second run answers from the cache when there is one
        result = insights.run("stats count(*) as n", _source(path, tmp_path, how))
        assert result.rows == ((2,),)
        assert result.skipped is not None
        assert result.skipped.count == 2
        assert result.skipped.first == "flows.log line 2: expected 14 fields, found 7"


@pytest.mark.parametrize("how", CACHES)
def test_strict_refuses_with_the_reason(tmp_path: Path, how: str) -> None:
    """--strict: the first malformed line fails the query, with its line and reason."""
    path = _write(tmp_path, GOOD, SHORT)
    with pytest.raises(insights.SourceError) as caught:
        insights.run("stats count(*) as n", _source(path, tmp_path, how, strict=True))
    assert "flows.log line 2: expected 14 fields, found 7" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("how", CACHES)
def test_strict_after_a_lenient_query_still_refuses(tmp_path: Path, how: str) -> None:
    """A cache built while skipping does not hide the bad line from a strict query."""
    path = _write(tmp_path, GOOD, SHORT)
    insights.run("stats count(*) as n", _source(path, tmp_path, how))
    with pytest.raises(insights.SourceError, match="expected 14 fields, found 7"):
        insights.run("stats count(*) as n", _source(path, tmp_path, how, strict=True))


@pytest.mark.parametrize("how", CACHES)
def test_not_utf8_is_named(tmp_path: Path, how: str) -> None:
    """A byte that is not UTF-8 in a field read: skipped with "not UTF-8", or refused."""
    path = _write(tmp_path, GOOD, GOOD.replace("ACCEPT", "ACC\xffEPT").encode("latin-1"))
    query = "stats count(*) as n by action"
    result = insights.run(query, _source(path, tmp_path, how))
    assert result.rows == (("ACCEPT", 1),)
    assert result.skipped is not None and result.skipped.first == "flows.log line 2: not UTF-8"
    with pytest.raises(insights.SourceError, match="line 2: not UTF-8"):
        insights.run(query, _source(path, tmp_path / "s", how, strict=True))


def test_line_too_long_is_named(tmp_path: Path) -> None:
    """A line over DuckDB's 2,000,000-byte maximum: "line too long"."""
    path = _write(tmp_path, GOOD, "x" * 2_100_000)
    result = insights.run("stats count(*) as n", _source(path, tmp_path, "text"))
    assert result.skipped is not None and "line 2: line too long" in result.skipped.first
    with pytest.raises(insights.SourceError, match="line 2: line too long"):
        insights.run("stats count(*) as n", _source(path, tmp_path, "text", strict=True))


@pytest.mark.parametrize("how", CACHES)
def test_word_in_a_number_field(tmp_path: Path, how: str) -> None:
    """A word where bytes should be: the line is skipped when bytes is read, and named."""
    path = _write(tmp_path, GOOD, WORD)
    result = insights.run("stats sum(bytes) as b", _source(path, tmp_path, how))
    assert result.rows == ((900,),)
    assert result.skipped is not None
    assert result.skipped.first == "flows.log line 2: field bytes is 'lots', not a number"
    with pytest.raises(insights.SourceError, match="field bytes is 'lots', not a number"):
        insights.run("stats sum(bytes) as b", _source(path, tmp_path / "s", how, strict=True))


def test_clean_file_skips_nothing(tmp_path: Path) -> None:
    """No malformed line: ``skipped`` is None."""
    path = _write(tmp_path, GOOD, GOOD)
    assert insights.run("stats count(*)", _source(path, tmp_path, "cache")).skipped is None
