"""OpenAI embeddings through the official ``openai`` SDK (``POST {base}/embeddings``), batched.

Request/response format (OpenAI API reference, see ``FORMATS.md`` §E)::

    POST https://api.openai.com/v1/embeddings
    {"model": "text-embedding-3-small", "input": ["text", ...], "encoding_format": "float"
     [, "dimensions": 512]}
    -> {"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [...]}, ...],
        "model": "text-embedding-3-small", "usage": {"prompt_tokens": N, "total_tokens": N}}

Limits honoured: at most 2,048 inputs per request, at most 300,000 tokens summed per request,
each input at most 8,192 tokens, no empty strings. Tokens are estimated without a tokenizer
download (``tiktoken`` fetches its tables at run time): ``ceil(utf8_bytes / 3)`` is above the
cl100k_base count for English and most European text, so batches stay under the limit.
Results are re-ordered by ``index`` (the API does not promise input order).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import httpx
import numpy as np

import openai

from ..http import ServiceError
from ..llm import openai_client, service_error
from .local import l2_normalise

__all__ = ["OpenAIEmbedder", "estimate_tokens", "plan_batches", "MAX_INPUTS_PER_REQUEST", "MAX_TOKENS_PER_REQUEST"]

MAX_INPUTS_PER_REQUEST = 2048
MAX_TOKENS_PER_REQUEST = 300_000
MAX_TOKENS_PER_INPUT = 8192
#: Native vector length of OpenAI embedding models (platform.openai.com/docs/guides/embeddings).
MODEL_DIMS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}


def estimate_tokens(text: str) -> int:
    """Upper-bound estimate of the cl100k_base token count of ``text``: ``ceil(utf8 bytes / 3)``, at least 1."""
    return max(1, math.ceil(len(text.encode("utf-8")) / 3))


def _truncate(text: str, max_tokens: int = MAX_TOKENS_PER_INPUT) -> str:
    """Cut ``text`` so its estimated token count is within ``max_tokens`` (keeps the start)."""
    if estimate_tokens(text) <= max_tokens:
        return text
    b = text.encode("utf-8")[: max_tokens * 3]
    return b.decode("utf-8", errors="ignore")


def plan_batches(
    texts: Sequence[str],
    max_inputs: int = MAX_INPUTS_PER_REQUEST,
    max_tokens: int = MAX_TOKENS_PER_REQUEST,
) -> list[list[int]]:
    """Split positions of ``texts`` into request batches of <= ``max_inputs`` inputs and
    <= ``max_tokens`` estimated tokens each, keeping input order. Each text must already be
    non-empty and within the per-input limit."""
    batches: list[list[int]] = []
    cur: list[int] = []
    cur_tokens = 0
    for i, t in enumerate(texts):
        n = estimate_tokens(t)
        if cur and (len(cur) >= max_inputs or cur_tokens + n > max_tokens):
            batches.append(cur)
            cur, cur_tokens = [], 0
        cur.append(i)
        cur_tokens += n
    if cur:
        batches.append(cur)
    return batches


class OpenAIEmbedder:
    """``text-embedding-3-small`` (or another OpenAI embedding model) behind the Embedder protocol.

    ``name``: ``"openai-<model>-<dim>"``; ``dim``: ``dimensions`` if given, else the model's native
    size (1536 for text-embedding-3-small). ``embed(texts)`` -> float32 ``(n, dim)``, rows
    L2-normalised; empty/blank texts are not sent and get zero rows; duplicate texts are sent once.
    Requests go through the SDK client of :func:`icp_engine.llm.openai_client` (429/5xx/timeouts
    retried by the SDK, ``Retry-After`` honoured). Raises :class:`icp_engine.http.ServiceError` on a 4xx such as 401 or when retries
    run out, or when the response is malformed. ``transport`` (e.g. ``httpx.MockTransport``) is for
    tests.
    """

    def __init__(
        self,
        api_key: str,
        *,
        model: str = "text-embedding-3-small",
        dimensions: int | None = None,
        base_url: str | None = None,
        timeout_s: float = 60.0,
        max_attempts: int = 5,
        transport: httpx.BaseTransport | None = None,
        max_inputs_per_request: int = MAX_INPUTS_PER_REQUEST,
        max_tokens_per_request: int = MAX_TOKENS_PER_REQUEST,
    ):
        if not api_key:
            raise ValueError("OpenAIEmbedder needs an API key (OPENAI_API_KEY)")
        self.model = model
        self.dimensions = dimensions
        self.dim = int(dimensions or MODEL_DIMS.get(model, 1536))
        self.name = f"openai-{model}-{self.dim}"
        self.max_attempts = max_attempts
        self.max_inputs = max(1, min(max_inputs_per_request, MAX_INPUTS_PER_REQUEST))
        self.max_tokens = max(1, min(max_tokens_per_request, MAX_TOKENS_PER_REQUEST))
        self.requests_sent = 0
        self.tokens_used = 0
        self._client = openai_client(api_key, base_url=base_url, timeout_s=timeout_s, max_attempts=max_attempts,
                                     transport=transport)

    @classmethod
    def from_settings(cls, settings: Any, transport: httpx.BaseTransport | None = None) -> OpenAIEmbedder:
        """Build from :class:`icp_engine.config.Settings` (key, base URL, model, timeout, attempts)."""
        return cls(
            settings.openai_api_key,
            model=settings.openai_embedding_model,
            base_url=settings.openai_base_url,
            timeout_s=settings.http_timeout_s,
            max_attempts=settings.http_max_attempts,
            transport=transport,
        )

    def _request(self, inputs: list[str]) -> np.ndarray:
        extra: dict[str, Any] = {"dimensions": self.dimensions} if self.dimensions else {}
        try:
            resp = self._client.embeddings.create(model=self.model, input=inputs, encoding_format="float", **extra)
        except openai.OpenAIError as exc:
            raise service_error(exc) from exc
        self.requests_sent += 1
        try:
            self.tokens_used += int(getattr(resp.usage, "total_tokens", 0) or 0)
            out = np.zeros((len(inputs), self.dim), dtype=np.float32)
            seen = set()
            for item in resp.data or []:
                i = int(item.index)
                vec = np.asarray(item.embedding, dtype=np.float32)
                if vec.shape != (self.dim,):
                    raise ValueError(f"vector of length {vec.shape} for index {i}, expected {self.dim}")
                out[i] = vec
                seen.add(i)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            raise ServiceError("openai", f"malformed embeddings response: {exc}") from exc
        if len(seen) != len(inputs):
            raise ServiceError("openai", f"embeddings response has {len(seen)} vectors for {len(inputs)} inputs")
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = [t if isinstance(t, str) else ("" if t is None else str(t)) for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        unique: dict[str, list[int]] = {}
        for i, t in enumerate(texts):
            if t.strip():
                unique.setdefault(t, []).append(i)
        if not unique:
            return out
        order = list(unique)
        sendable = [_truncate(t) for t in order]
        for batch in plan_batches(sendable, self.max_inputs, self.max_tokens):
            vecs = self._request([sendable[j] for j in batch])
            for row, j in enumerate(batch):
                out[unique[order[j]]] = vecs[row]
        return l2_normalise(out)

    def close(self) -> None:
        """Close the underlying HTTP client."""
        self._client.close()

    def __repr__(self) -> str:
        return f"OpenAIEmbedder({self.name!r})"
