"""The natural sort order of Logs Insights ``sort``, as a DuckDB sort key.

AWS (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Sort.html):
"The sorting algorithm is an updated version of natural sorting. If you sort in ascending
order, the following logic is used. All non-number values come before all number values.
Number values are values that include only numbers, not a mix of numbers and other
characters. For non-number values, the algorithm groups consecutive numeric characters and
consecutive alphabetic characters into separate chunks for comparison. It orders
non-numeric portions by their Unicode values, and it orders numeric portions by their
length first and then by their numerical value." Its example, ascending: ``!:``, ``#``,
``*%04``, ``0#``, ``5A``, ``111A``, ``2345_``, ``@``, ``@_``, ``A``, ``A9876fghj``,
``a12345hfh``, ``0``, ``01``, ``1``, ``2``, ``3``; "If you sort in descending order, the
sort results are the reverse." (tests/cases/insights/sort.json holds that list.)

Design: :data:`SQL_SETUP` defines ``li_natural_key(text)``, a string whose plain (Unicode
code point) order is the natural order: a class character (``0`` non-number, ``1``
number), then the value with each digit run ``d`` written as its length and ``d``
(``"48"`` becomes ``"248"``; runs of 9 digits or more as ``9``, the length in 7 digits,
then ``d``). The encoded run still starts with a digit, so against a non-digit character
it compares as the digit run itself does (the doc's "2345 is compared with @").

Choices where AWS is silent: a number value compares by its numerical value, ties broken
by its text (``0``, ``01``, ``1`` as in the example); non-number chunks compare character
by character, so ``a!`` sorts before ``a1`` (``!`` < ``1``); values typed as numbers (a
flow log's ``bytes``, an arithmetic result) sort numerically; missing values sort last
both ways (as elsewhere in the engine).

Speed: the key is computed once per *distinct* value, which become an ENUM type in that
order (:func:`natural_order_type`); the sort casts to it. Sorting a million flow-log
records by ``srcAddr`` costs a few hundred keys, not a million. A source read straight
from text joins the keys instead (:func:`natural_key_stage`), to keep to one scan.
"""

from __future__ import annotations

SQL_SETUP = (
    "CREATE OR REPLACE TEMP MACRO li_digits_key(d) AS CASE WHEN length(d) <= 8 "
    "THEN CAST(length(d) AS VARCHAR) || d "
    "ELSE '9' || lpad(CAST(length(d) AS VARCHAR), 7, '0') || d END",
    "CREATE OR REPLACE TEMP MACRO li_natural_key(x) AS CASE "
    "WHEN regexp_full_match(x, '[0-9]+') "
    "THEN '1' || li_digits_key(coalesce(nullif(ltrim(x, '0'), ''), '0')) "
    "WHEN NOT regexp_matches(x, '[0-9]') THEN '0' || x "
    "ELSE '0' || array_to_string(list_transform(regexp_extract_all(x, '[0-9]+|[^0-9]+'), "
    "lambda c: CASE WHEN c[1] BETWEEN '0' AND '9' THEN li_digits_key(c) ELSE c END), '') END",
)


def natural_key_stage(stage: str, value_col: str, key_col: str) -> str:
    """SQL of a stage adding ``key_col``, the natural key of ``value_col``, to ``stage``.

    For a source read as text (no cache yet): the keys of the distinct values are joined
    back in the same scan, where :func:`natural_order_type` would read the text twice.
    """
    keys = (
        f"SELECT __v, li_natural_key(__v) AS __k FROM "
        f"(SELECT DISTINCT {value_col} AS __v FROM {stage} WHERE {value_col} IS NOT NULL)"
    )
    return (
        f"SELECT __s.*, __k AS {key_col} FROM {stage} AS __s "
        f"LEFT JOIN ({keys}) ON __s.{value_col} = __v"
    )


def natural_order_type(name: str, with_sql: str, stage: str, value_col: str) -> str:
    """SQL creating ENUM type ``name``: the distinct values of ``value_col``, naturally ordered.

    ``CAST(value AS name)`` then sorts in the natural order. The key is computed once per
    distinct value, and the cast is a scalar expression, so DuckDB still sorts a top-N
    without computing every shown column of every row (a join on the keys made it do so).
    A missing value casts to a missing one, sorted last by the caller's ``NULLS LAST``.
    """
    distinct = f"SELECT DISTINCT {value_col} AS __v FROM {stage} WHERE {value_col} IS NOT NULL"
    return (
        f"CREATE OR REPLACE TYPE {name} AS ENUM ({with_sql}\n"
        f"SELECT __v FROM ({distinct}) ORDER BY li_natural_key(__v), __v)"
    )
