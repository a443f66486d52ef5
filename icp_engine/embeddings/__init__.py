"""Embeddings behind one interface.

An :class:`Embedder` turns short texts (titles, headlines, industry labels, ICP targets) into
L2-normalised float32 vectors, so cosine similarity is a dot product. Implementations:

* ``local`` (offline default): WordLlama, weights shipped inside the ``wordllama`` wheel.
* ``openai``: ``text-embedding-3-small`` over HTTP when ``OPENAI_API_KEY`` is set, batched.

:class:`icp_engine.embeddings.cache.CachedEmbedder` stores every vector in Postgres
(``text_embeddings``: model name, text, vector) so a text is embedded once per model.
"""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

import numpy as np


@runtime_checkable
class Embedder(Protocol):
    """Text -> unit vectors.

    ``name``: model id stored with each vector (e.g. ``"wordllama-l2_supercat-256"``).
    ``dim``: vector length. ``embed(texts)`` returns an array of shape ``(len(texts), dim)``,
    dtype float32, each row L2-normalised (a zero row for an empty text). Deterministic.
    """

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...
