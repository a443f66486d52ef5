"""Small helpers shared by the query modules of :mod:`icp_engine.db`."""

from __future__ import annotations

from collections.abc import Iterable
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
