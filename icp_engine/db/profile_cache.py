"""SQL of the profile cache shared by all clients (table ``profile_cache``).

One scraped item per person under ``profile_key``, with ``profile_id`` and ``vanity`` as lookup
aliases; ``fetched_at`` drives freshness. The matching rules (which item serves which lead) are
in :mod:`icp_engine.enrich.cache`. Every function takes an open ``Connection``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from .schema import profile_cache

P = profile_cache.c
_CHUNK = 5000


def fresh_rows(conn: Connection, keys: Sequence[str], ttl_days: int) -> list[Any]:
    """Rows ``(profile_key, profile_id, vanity, item, fetched_at)`` fetched less than ``ttl_days``
    days ago whose key, profile id or vanity is one of ``keys`` (queried 5,000 keys at a time)."""
    rows: list[Any] = []
    klist = list(keys)
    for i in range(0, len(klist), _CHUNK):
        chunk = klist[i:i + _CHUNK]
        rows.extend(conn.execute(
            sa.select(P.profile_key, P.profile_id, P.vanity, P.item, P.fetched_at).where(
                P.fetched_at > sa.func.now() - sa.func.make_interval(0, 0, 0, int(ttl_days)),
                sa.or_(P.profile_key.in_(chunk), P.profile_id.in_(chunk), P.vanity.in_(chunk)),
            )
        ).all())
    return rows


def upsert(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert or replace cache rows ``{"profile_key", "profile_id", "vanity", "source", "item"}``;
    ``fetched_at`` becomes now. Returns the number of rows written (1,000 per statement)."""
    values = list(rows)
    for i in range(0, len(values), 1000):
        stmt = pg_insert(profile_cache).values(values[i:i + 1000])
        stmt = stmt.on_conflict_do_update(
            index_elements=[P.profile_key],
            set_={"profile_id": stmt.excluded.profile_id, "vanity": stmt.excluded.vanity,
                  "source": stmt.excluded.source, "item": stmt.excluded.item, "fetched_at": sa.func.now()},
        )
        conn.execute(stmt)
    return len(values)
