"""Binary COPY of vectors and binary reads (icp_engine/db/vectors.py) against the real Postgres + pgvector."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
import sqlalchemy as sa

from icp_engine.db import embedding_cache, schema
from icp_engine.db.vectors import _field, copy_rows_binary, vector_from_send


def test_text_embeddings_round_trip_exactly(db):
    model = f"test-bin-{uuid.uuid4().hex}"
    rng = np.random.default_rng(3)
    vecs = rng.standard_normal((50, 384)).astype(np.float32)
    rows = [{"model": model, "text_sha1": f"sha{i}", "text": f"Título {i} — ünïcode", "dim": 384, "embedding": v}
            for i, v in enumerate(vecs)]
    with db.begin() as conn:
        embedding_cache.store(conn, rows)
        embedding_cache.store(conn, rows[:5])  # already stored: kept, no error
    with db.connect() as conn:
        got = dict(embedding_cache.lookup(conn, model, [f"sha{i}" for i in range(50)] + ["absent"]))
        T = schema.text_embeddings
        texts = dict(conn.execute(sa.select(T.c.text_sha1, T.c.text).where(T.c.model == model)).all())
        # the SQLAlchemy Vector type reads the same values back (text format)
        via_text = conn.execute(sa.select(T.c.embedding).where(T.c.model == model, T.c.text_sha1 == "sha7")).scalar_one()
    assert len(got) == 50 and texts["sha3"] == "Título 3 — ünïcode"
    for i, v in enumerate(vecs):
        assert got[f"sha{i}"].dtype == np.float32 and np.array_equal(got[f"sha{i}"], v)
    assert np.array_equal(np.asarray(via_text, dtype=np.float32), vecs[7])


def test_copy_rows_binary_nulls_conflicts_and_kinds(db):
    model = f"test-bin-{uuid.uuid4().hex}"
    with db.begin() as conn:
        conn.exec_driver_sql("CREATE TEMP TABLE _vt (id bigint primary key, n int, label text, v vector(3)) ON COMMIT DROP")
        cols = [("id", "int8"), ("n", "int4"), ("label", "text"), ("v", "vector")]
        copy_rows_binary(conn, "_vt", cols, [(1, 7, model, [1.5, -2.0, 0.25]), (2, None, None, [0, 0, 1])],
                         conflict="DO NOTHING")
        copy_rows_binary(conn, "_vt", cols, [(1, 9, "other", [9, 9, 9])], conflict="DO NOTHING")
        copy_rows_binary(conn, "_vt", cols, [])
        rows = conn.exec_driver_sql("SELECT id, n, label, vector_send(v) FROM _vt ORDER BY id").all()
    assert [(r[0], r[1], r[2]) for r in rows] == [(1, 7, model), (2, None, None)]
    assert vector_from_send(rows[0][3]).tolist() == [1.5, -2.0, 0.25]
    assert vector_from_send(None) is None
    with pytest.raises(ValueError, match="unknown column kind"):
        _field("jsonb", {})
