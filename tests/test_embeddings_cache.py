"""CachedEmbedder against the real Postgres + pgvector ``text_embeddings`` table."""

from __future__ import annotations

import uuid

import numpy as np
import sqlalchemy as sa

from icp_engine.config import Settings
from icp_engine.embeddings import get_embedder
from icp_engine.embeddings.cache import CachedEmbedder, text_sha1
from icp_engine.embeddings.local import WordLlamaEmbedder
from icp_engine.db import schema


class CountingEmbedder:
    """A real embedder (WordLlama) that records which texts it was asked for."""

    def __init__(self, name: str):
        self._inner = WordLlamaEmbedder()
        self.name = name
        self.dim = self._inner.dim
        self.calls: list[list[str]] = []

    def embed(self, texts):
        self.calls.append(list(texts))
        return self._inner.embed(texts)


def _rows(db, model):
    T = schema.text_embeddings
    with db.connect() as conn:
        return conn.execute(sa.select(T.c.text, T.c.dim, T.c.text_sha1).where(T.c.model == model)).all()


def test_cache_stores_once_and_reads_back(db):
    model = f"test-counting-{uuid.uuid4().hex}"  # unique: the table is kept between tests
    inner = CountingEmbedder(model)
    cached = CachedEmbedder(inner, db)
    assert cached.name == model and cached.dim == 256
    texts = ["Head of Finance", "", "VP Finance", "Head of Finance"]
    v1 = cached.embed(texts)
    assert inner.calls == [["Head of Finance", "VP Finance"]]
    assert np.allclose(v1, WordLlamaEmbedder().embed(texts), atol=1e-6)
    rows = _rows(db, model)
    assert sorted(r.text for r in rows) == ["Head of Finance", "VP Finance"]
    assert all(r.dim == 256 and r.text_sha1 == text_sha1(r.text) for r in rows)

    # same process: served from the LRU
    cached.embed(["VP Finance"])
    assert len(inner.calls) == 1 and cached.hits_memory == 1

    # a fresh wrapper (new process, empty LRU) reads Postgres; only the new text is embedded
    inner2 = CountingEmbedder(model)
    cached2 = CachedEmbedder(inner2, db)
    v2 = cached2.embed(["VP Finance", "Chief Operating Officer", "Head of Finance"])
    assert inner2.calls == [["Chief Operating Officer"]]
    assert cached2.hits_db == 2 and cached2.misses == 1
    assert np.allclose(v2[0], v1[2], atol=1e-6) and np.allclose(v2[2], v1[0], atol=1e-6)
    assert len(_rows(db, model)) == 3


def test_models_do_not_mix_and_conflicts_are_ignored(db):
    a = CachedEmbedder(CountingEmbedder(f"model-a-{uuid.uuid4().hex}"), db)
    b = CachedEmbedder(CountingEmbedder(f"model-b-{uuid.uuid4().hex}"), db)
    a.embed(["Founder & CEO"])
    b.embed(["Founder & CEO"])
    assert b.misses == 1  # b's model had no vector for the text
    # two wrappers racing on the same text: the second insert is a no-op, not an error
    c = CachedEmbedder(CountingEmbedder(a.name), db, lru_size=0)
    c._db_store({"Founder & CEO": np.ones(256, dtype=np.float32)})
    vec = CachedEmbedder(CountingEmbedder(a.name), db).embed(["Founder & CEO"])[0]
    assert not np.allclose(vec, np.ones(256) / 16.0)  # the original vector was kept


def test_get_embedder_wraps_with_db(db, tmp_path):
    emb = get_embedder(Settings(icp_data_dir=tmp_path, openai_api_key=None), db=db)
    assert isinstance(emb, CachedEmbedder) and isinstance(emb.inner, WordLlamaEmbedder)
    assert emb.embed(["Controller"]).shape == (1, 256)
