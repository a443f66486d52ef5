"""SQL of the text embedding cache (table ``text_embeddings``): one vector per (model, SHA-1 of text).

The caching logic (in-process LRU, what to embed) is :class:`icp_engine.embeddings.cache.CachedEmbedder`.
Every function takes an open ``Connection``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from ._util import any_of
from .schema import text_embeddings

T = text_embeddings.c


def lookup(conn: Connection, model: str, shas: Sequence[str]) -> list[tuple[str, Any]]:
    """``(text_sha1, embedding)`` of the stored vectors of ``model`` for these SHA-1s, in one query."""
    rows = conn.execute(sa.select(T.text_sha1, T.embedding).where(T.model == model, T.text_sha1 == any_of("shas", shas)))
    return [(r[0], r[1]) for r in rows]


def store(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``{"model", "text_sha1", "text", "dim", "embedding"}`` rows (5,000 per statement);
    a vector already stored for (model, text_sha1) is kept (``ON CONFLICT DO NOTHING``)."""
    for start in range(0, len(rows), 5000):
        conn.execute(pg_insert(text_embeddings).values(list(rows[start:start + 5000]))
                     .on_conflict_do_nothing(index_elements=["model", "text_sha1"]))
