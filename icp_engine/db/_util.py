"""Small helpers shared by the query modules of :mod:`icp_engine.db`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

#: A database row as a plain dict (column name -> value).
Row = dict[str, Any]


def as_dicts(rows: Iterable[Any]) -> list[Row]:
    """Result mappings (``RowMapping``) -> plain dicts."""
    return [dict(r) for r in rows]


def any_of(name: str, values: Iterable[Any], item_type: Any = sa.Text) -> Any:
    """``ANY(:name)`` with one array parameter (not one parameter per value), for ``col == any_of(...)``."""
    return sa.any_(sa.bindparam(name, list(values), type_=ARRAY(item_type)))


class _Now:
    """Type of :data:`NOW`."""

    def __repr__(self) -> str:
        return "NOW"


#: Pass as a column value to ``update`` functions of :mod:`icp_engine.db` to store the database's ``now()``.
NOW = _Now()


def with_now(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with every :data:`NOW` replaced by ``now()`` (the database clock, not this host's)."""
    return {k: sa.func.now() if v is NOW else v for k, v in values.items()}


def copy_into_temp(conn: Any, name: str, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]]) -> None:
    """Create the temporary table ``name`` (``columns``: ``(column, SQL type)`` pairs; dropped at
    commit) and fill it with ``COPY`` from ``rows`` (tuples in column order; Python lists become
    arrays, None NULL, str as given, e.g. JSON text for a ``jsonb`` column).

    The bulk writes of a run (50,000 leads per stage) go through here: one ``COPY`` plus one
    set-based statement instead of one parameter set per row, several times faster (psycopg 3
    ``Cursor.copy``; https://www.psycopg.org/psycopg3/docs/basic/copy.html). Runs in the caller's
    transaction (``conn`` is a SQLAlchemy ``Connection`` on psycopg 3).
    """
    cols = ", ".join(f"{c} {t}" for c, t in columns)
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ({cols}) ON COMMIT DROP")
    raw: Any = conn.connection.driver_connection  # psycopg 3 connection, same transaction
    with raw.cursor() as cur, cur.copy(f"COPY {name} ({', '.join(c for c, _ in columns)}) FROM STDIN") as copy:
        for r in rows:
            copy.write_row(r)
