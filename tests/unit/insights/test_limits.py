"""Issue 11: long and deep queries compile up to AWS's 10,000 characters, and no further."""

from __future__ import annotations

import pytest

from labkit import insights

EVENTS = [
    {
        "@timestamp": 1700000000000 + i * 1000,
        "@message": (
            f"2 123456789010 eni-a 10.0.0.{i} 10.0.1.9 40000 {port} 6 10 900 "
            f"{1700000000 + i} {1700000060 + i} ACCEPT OK"
        ),
    }
    for i, port in enumerate((22, 443, 8080, 9999))
]


def test_a_500_term_or_filter_compiles_and_runs() -> None:
    """500 ``or`` terms (under 10,000 characters) run; before: RecursionError."""
    query = (
        "filter "
        + " or ".join(f"dstPort = {1000 + i}" for i in range(499))
        + (" or dstPort = 443 | fields dstPort")
    )
    assert len(query) < insights.MAX_QUERY_CHARS
    result = insights.run(query, insights.EventSource(EVENTS))
    assert result.rows == ((443,),)


def test_a_500_term_and_filter_compiles_and_runs() -> None:
    """The same for ``and``: every term holds for one record."""
    query = "filter " + " and ".join("dstPort > 100" for _ in range(500)) + " | stats count(*)"
    assert len(query) < insights.MAX_QUERY_CHARS
    assert insights.run(query, insights.EventSource(EVENTS)).rows == ((3,),)


def test_or_keeps_its_meaning_with_missing_values() -> None:
    """Regrouping ``or`` does not change which records match (a missing field is not true)."""
    query = (
        "filter nosuch = 1 or dstPort = 22 or nosuch = 2 or dstPort = 8080 or nosuch = 3 "
        "| fields dstPort | sort dstPort asc"
    )
    assert insights.run(query, insights.EventSource(EVENTS)).rows == ((22,), (8080,))


@pytest.mark.parametrize(
    "query",
    [
        "filter " + "not " * 2400 + "dstPort = 22",
        "fields " + "+".join(["1"] * 4900) + " as x",
    ],
    ids=["2400-nots", "4900-term-sum"],
)
def test_deep_queries_under_the_limit_compile(query: str) -> None:
    """Thousands of nesting levels under 10,000 characters compile, no RecursionError."""
    assert len(query) <= insights.MAX_QUERY_CHARS
    assert insights.compile(query).text == query


def test_exactly_10000_characters_compiles() -> None:
    """The limit itself is allowed."""
    query = "fields dstPort" + " " * (insights.MAX_QUERY_CHARS - len("fields dstPort"))
    assert len(query) == insights.MAX_QUERY_CHARS
    insights.compile(query)


def test_a_longer_query_gets_aws_length_error() -> None:
    """10,001 characters: AWS's length constraint, one line, no caret, no echo of the query."""
    query = "fields dstPort" + " " * (insights.MAX_QUERY_CHARS + 1 - len("fields dstPort"))
    with pytest.raises(insights.QueryTooLongError) as caught:
        insights.compile(query)
    message = str(caught.value)
    assert "Member must have length less than or equal to 10000" in message
    assert "10,001 characters" in message
    assert "\n" not in message and "^" not in message
