"""Hosted rerankers over HTTP: Jina (``POST /v1/rerank``) and Cohere (``POST /v2/rerank``).

Formats (``FORMATS.md`` §E; jina.ai reranker API docs, docs.cohere.com v2 rerank reference):

Jina request ``{"model", "query", "documents": [str], "top_n", "return_documents": false}`` ->
``{"model", "usage": {"total_tokens"}, "results": [{"index", "relevance_score"}]}``.
Cohere v2 request ``{"model" (required), "query", "documents": [str], "top_n"}`` ->
``{"id", "results": [{"index", "relevance_score"}], "meta": {...}}``.

Both return results sorted by descending score with ``index`` pointing into the request's
``documents``; they are put back in input order here. ``top_n`` is set to the number of documents
so every document gets a score. Scores are relative (not calibrated probabilities).
HTTP goes through :func:`icp_engine.http.send`: 429 (with ``Retry-After``), 5xx and timeouts are
retried with backoff; other 4xx (401 bad key, 400 bad request) raise
:class:`icp_engine.http.ServiceError` at once.
"""

from __future__ import annotations

from typing import Any, Sequence

import httpx

from ..http import ServiceError, make_client, send

__all__ = ["JinaReranker", "CohereReranker", "HTTPReranker"]


class HTTPReranker:
    """Shared logic of the hosted rerankers (batching, empty documents, re-ordering by index).

    ``rerank(query, documents)`` -> one float per document in input order. Documents are sent in
    requests of at most ``max_documents``; blank documents are not sent and get the lowest score
    of the call (0.0 when nothing was scored). Raises :class:`ServiceError` on HTTP errors and on
    a malformed response (missing or out-of-range indices).
    """

    service = "rerank"
    path = "/rerank"

    def __init__(
        self,
        api_key: str,
        *,
        model: str,
        base_url: str,
        timeout_s: float = 60.0,
        max_attempts: int = 5,
        max_documents: int = 1000,
        transport: httpx.BaseTransport | None = None,
    ):
        if not api_key:
            raise ValueError(f"{self.service} reranker needs an API key")
        if not model:
            raise ValueError(f"{self.service} reranker needs a model name")
        self.model = model
        self.name = f"{self.service}-{model}"
        self.max_attempts = max_attempts
        self.max_documents = max(1, max_documents)
        self.requests_sent = 0
        self._client = make_client(
            base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json",
                     "Accept": "application/json"},
            timeout_s=timeout_s,
            transport=transport,
        )

    def _body(self, query: str, documents: list[str]) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _call(self, query: str, documents: list[str]) -> list[float]:
        resp = send(self._client, "POST", self.path, service=self.service, max_attempts=self.max_attempts,
                    json=self._body(query, documents))
        self.requests_sent += 1
        scores: list[float | None] = [None] * len(documents)
        try:
            for r in resp.json()["results"]:
                i = int(r["index"])
                if not 0 <= i < len(documents):
                    raise ValueError(f"index {i} out of range for {len(documents)} documents")
                scores[i] = float(r["relevance_score"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ServiceError(self.service, f"malformed rerank response: {exc}", resp.status_code,
                               resp.text[:500]) from exc
        missing = [i for i, s in enumerate(scores) if s is None]
        if missing:
            raise ServiceError(self.service, f"rerank response lacks scores for {len(missing)} of "
                               f"{len(documents)} documents", resp.status_code, resp.text[:500])
        return [float(s) for s in scores]  # type: ignore[arg-type]

    def rerank(self, query: str, documents: Sequence[str]) -> list[float]:
        docs = [d if isinstance(d, str) else ("" if d is None else str(d)) for d in documents]
        idx = [i for i, d in enumerate(docs) if d.strip()]
        out: list[float | None] = [None] * len(docs)
        if query and query.strip():
            for start in range(0, len(idx), self.max_documents):
                chunk = idx[start:start + self.max_documents]
                for i, s in zip(chunk, self._call(query, [docs[i] for i in chunk])):
                    out[i] = s
        scored = [s for s in out if s is not None]
        floor = min(scored) if scored else 0.0
        return [floor if s is None else s for s in out]

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class JinaReranker(HTTPReranker):
    """Jina AI reranker, ``POST {base_url}/rerank`` (default base ``https://api.jina.ai/v1``,
    model ``jina-reranker-v2-base-multilingual``; ``name`` ``"jina-<model>"``). Sends
    ``top_n = len(documents)`` and ``return_documents: false``; relevance scores roughly in 0-1."""

    service = "jina"

    def __init__(self, api_key: str, *, model: str = "jina-reranker-v2-base-multilingual",
                 base_url: str = "https://api.jina.ai/v1", **kw: Any):
        super().__init__(api_key, model=model, base_url=base_url, **kw)

    def _body(self, query: str, documents: list[str]) -> dict[str, Any]:
        return {"model": self.model, "query": query, "documents": documents, "top_n": len(documents),
                "return_documents": False}


class CohereReranker(HTTPReranker):
    """Cohere reranker v2, ``POST {base_url}/rerank`` (default base ``https://api.cohere.com/v2``,
    model ``rerank-v3.5``, required by v2; ``name`` ``"cohere-<model>"``). Sends
    ``top_n = len(documents)``; at most ``max_documents`` (1,000, Cohere's advice) per request."""

    service = "cohere"

    def __init__(self, api_key: str, *, model: str = "rerank-v3.5",
                 base_url: str = "https://api.cohere.com/v2", **kw: Any):
        super().__init__(api_key, model=model, base_url=base_url, **kw)

    def _body(self, query: str, documents: list[str]) -> dict[str, Any]:
        return {"model": self.model, "query": query, "documents": documents, "top_n": len(documents)}
