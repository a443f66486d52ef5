"""SQL of the LLM judge's verdict cache (table ``llm_judgements``).

The caching logic is :class:`icp_engine.scoring.judge.PostgresJudgeCache`. Every function takes
an open ``Connection``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from .schema import llm_judgements

J = llm_judgements.c


def get_many(conn: Connection, keys: Sequence[tuple[str, str, str]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Stored verdicts for ``(icp_version, profile_hash, model)`` keys, in one query (missing keys
    are absent from the result)."""
    if not keys:
        return {}
    wanted = sa.tuple_(J.icp_version, J.profile_hash, J.model).in_([tuple(k) for k in dict.fromkeys(keys)])
    rows = conn.execute(sa.select(J.icp_version, J.profile_hash, J.model, J.verdicts).where(wanted))
    return {(r[0], r[1], r[2]): dict(r[3]) for r in rows}


def put_many(conn: Connection, items: dict[tuple[str, str, str], dict[str, Any]]) -> None:
    """Store verdicts; a key already stored keeps its first verdicts (``ON CONFLICT DO NOTHING``:
    a lead and ICP version keep one judgement, so one score)."""
    if not items:
        return
    rows = [{"icp_version": k[0], "profile_hash": k[1], "model": k[2], "verdicts": v} for k, v in items.items()]
    for start in range(0, len(rows), 2000):
        conn.execute(pg_insert(llm_judgements).values(rows[start:start + 2000]).on_conflict_do_nothing())


def count(conn: Connection, icp_version: str | None = None) -> int:
    """Number of stored judgements (of one ICP version when given)."""
    q = sa.select(sa.func.count()).select_from(llm_judgements)
    if icp_version is not None:
        q = q.where(J.icp_version == icp_version)
    return int(conn.execute(q).scalar_one())
