"""SQL of the text embedding cache (table ``text_embeddings``): one vector per (model, SHA-1 of text).

The caching logic (in-process LRU, what to embed) is :class:`icp_engine.embeddings.cache.CachedEmbedder`.
Every function takes an open ``Connection``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ._util import any_of
from .schema import text_embeddings
from .vectors import vector_from_send, copy_rows_binary

T = text_embeddings.c


def lookup(conn: Connection, model: str, shas: Sequence[str]) -> list[tuple[str, Any]]:
    """``(text_sha1, embedding)`` of the stored vectors of ``model`` for these SHA-1s, in one query
    (embeddings as float32 numpy arrays, read in pgvector's binary format)."""
    rows = conn.execute(sa.select(T.text_sha1, sa.func.vector_send(T.embedding))
                        .where(T.model == model, T.text_sha1 == any_of("shas", shas)))
    return [(r[0], vector_from_send(r[1])) for r in rows]


def store(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``{"model", "text_sha1", "text", "dim", "embedding"}`` rows with one binary COPY;
    a vector already stored for (model, text_sha1) is kept (``ON CONFLICT DO NOTHING``)."""
    cols = [("model", "text"), ("text_sha1", "text"), ("text", "text"), ("dim", "int4"), ("embedding", "vector")]
    copy_rows_binary(conn, "text_embeddings", cols, [tuple(r[c] for c, _ in cols) for r in rows],
                     conflict="(model, text_sha1) DO NOTHING")
