"""Date arithmetic the reports need, written once for SQLite and PostgreSQL.

SQLite keeps dates and timestamps as ISO text and has no date type, PostgreSQL has both; each
construct here compiles to what its dialect understands, so a source writes ``days_between(a, b)``
or ``month_of(d)`` and the database does the work inside its GROUP BY.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class days_between(FunctionElement[int]):
    """Whole days from the first date (or timestamp) to the second: ``later - earlier``."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    earlier, later = list(element.clauses)
    return (f"CAST(julianday(date({compiler.process(later, **kw)})) "
            f"- julianday(date({compiler.process(earlier, **kw)})) AS INTEGER)")


@compiles(days_between, "postgresql")
def _days_between_pg(element: days_between, compiler: Any, **kw: Any) -> str:
    earlier, later = list(element.clauses)
    return (f"(CAST({compiler.process(later, **kw)} AS DATE) "
            f"- CAST({compiler.process(earlier, **kw)} AS DATE))")


class month_of(FunctionElement[str]):
    """``YYYY-MM`` of a date or timestamp (the period label of a monthly report)."""

    type = String()
    inherit_cache = True
    name = "month_of"


@compiles(month_of, "sqlite")
def _month_of_sqlite(element: month_of, compiler: Any, **kw: Any) -> str:
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"


@compiles(month_of, "postgresql")
def _month_of_pg(element: month_of, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


class day_of(FunctionElement[Any]):
    """The calendar day of a date or UTC timestamp (ISO text on SQLite, DATE on PostgreSQL)."""

    inherit_cache = True
    name = "day_of"


@compiles(day_of, "sqlite")
def _day_of_sqlite(element: day_of, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(day_of, "postgresql")
def _day_of_pg(element: day_of, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


class greatest(FunctionElement[Any]):
    """The larger of its arguments (SQLite's scalar ``max``)."""

    inherit_cache = True
    name = "greatest"


@compiles(greatest, "sqlite")
def _greatest_sqlite(element: greatest, compiler: Any, **kw: Any) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"


@compiles(greatest, "postgresql")
def _greatest_pg(element: greatest, compiler: Any, **kw: Any) -> str:
    return f"greatest({compiler.process(element.clauses, **kw)})"


class least(FunctionElement[Any]):
    """The smaller of its arguments (SQLite's scalar ``min``)."""

    inherit_cache = True
    name = "least"


@compiles(least, "sqlite")
def _least_sqlite(element: least, compiler: Any, **kw: Any) -> str:
    return f"min({compiler.process(element.clauses, **kw)})"


@compiles(least, "postgresql")
def _least_pg(element: least, compiler: Any, **kw: Any) -> str:
    return f"least({compiler.process(element.clauses, **kw)})"
