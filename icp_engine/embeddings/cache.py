"""Embedding cache: every vector stored in Postgres (``text_embeddings``) plus an in-process LRU.

Table (:mod:`icp_engine.db.schema`, SQL in :mod:`icp_engine.db.embedding_cache`): ``text_embeddings(model, text_sha1, text, dim, embedding vector,
created_at)``, primary key ``(model, text_sha1)``; ``model`` is the inner embedder's ``name`` so
vectors of different models never mix. A text is embedded once per model for the life of the
database; the cache is content-addressed (SHA-1 of the UTF-8 text), so it never goes stale.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..db import embedding_cache as sql
from . import Embedder

if TYPE_CHECKING:  # pragma: no cover
    from ..db import Database

__all__ = ["CachedEmbedder", "text_sha1"]


def text_sha1(text: str) -> str:
    """Hex SHA-1 of the UTF-8 bytes of ``text`` (the cache key next to the model name)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class CachedEmbedder:
    """Wraps an :class:`~icp_engine.embeddings.Embedder`; same ``name``, ``dim`` and output.

    ``embed(texts)``: blank texts -> zero rows (never stored); the rest are looked up in the
    in-process LRU (``lru_size`` entries), then in Postgres in **one** query
    (``model = name AND text_sha1 = ANY(:shas)``), then the still-missing distinct texts are
    embedded by ``inner`` in one call and inserted with ``ON CONFLICT DO NOTHING`` (safe when
    several workers embed the same text). ``hits_memory``, ``hits_db`` and ``misses`` count texts
    for monitoring. Thread-safe. Raises what ``inner`` or the database raise.
    """

    def __init__(self, inner: Embedder, db: Database, lru_size: int = 100_000):
        self.inner = inner
        self.db = db
        self.name = inner.name
        self.dim = inner.dim
        self.lru_size = lru_size
        self._lru: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits_memory = 0
        self.hits_db = 0
        self.misses = 0

    def clear_memory(self) -> None:
        """Empty the in-process LRU (after an erasure removed texts from the database)."""
        with self._lock:
            self._lru.clear()

    def _lru_get(self, text: str) -> np.ndarray | None:
        with self._lock:
            v = self._lru.get(text)
            if v is not None:
                self._lru.move_to_end(text)
            return v

    def _lru_put(self, items: dict[str, np.ndarray]) -> None:
        if self.lru_size <= 0:
            return
        with self._lock:
            for t, v in items.items():
                self._lru[t] = v
                self._lru.move_to_end(t)
            while len(self._lru) > self.lru_size:
                self._lru.popitem(last=False)

    def _db_lookup(self, texts: list[str]) -> dict[str, np.ndarray]:
        by_sha = {text_sha1(t): t for t in texts}
        with self.db.connect() as conn:
            rows = sql.lookup(conn, self.name, list(by_sha))
        out: dict[str, np.ndarray] = {}
        for sha, emb in rows:
            v = np.asarray(emb, dtype=np.float32)
            if v.shape == (self.dim,):
                out[by_sha[sha]] = v
        return out

    def _db_store(self, items: dict[str, np.ndarray]) -> None:
        if not items:
            return
        rows = [
            {"model": self.name, "text_sha1": text_sha1(t), "text": t, "dim": self.dim, "embedding": v}
            for t, v in items.items()
        ]
        with self.db.begin() as conn:
            sql.store(conn, rows)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = [t if isinstance(t, str) else ("" if t is None else str(t)) for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        positions: dict[str, list[int]] = {}
        for i, t in enumerate(texts):
            if t.strip():
                positions.setdefault(t, []).append(i)
        if not positions:
            return out
        found: dict[str, np.ndarray] = {}
        missing: list[str] = []
        for t in positions:
            v = self._lru_get(t)
            if v is None:
                missing.append(t)
            else:
                found[t] = v
        self.hits_memory += len(found)
        if missing:
            from_db = self._db_lookup(missing)
            self.hits_db += len(from_db)
            found.update(from_db)
            missing = [t for t in missing if t not in from_db]
            new: dict[str, np.ndarray] = {}
            if missing:
                self.misses += len(missing)
                vecs = np.asarray(self.inner.embed(missing), dtype=np.float32)
                new = {t: vecs[k] for k, t in enumerate(missing)}
                self._db_store(new)
                found.update(new)
            self._lru_put({**from_db, **new})
        for t, idx in positions.items():
            out[idx] = found[t]
        return out

    def __repr__(self) -> str:
        return f"CachedEmbedder({self.inner!r})"
