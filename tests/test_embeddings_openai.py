"""OpenAI embeddings client, faked at the transport with realistic /v1/embeddings payloads."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest

from icp_engine.config import Settings
from icp_engine.embeddings import get_embedder
from icp_engine.embeddings.local import BgeSmallOnnxEmbedder, WordLlamaEmbedder
from icp_engine.embeddings.openai import OpenAIEmbedder, estimate_tokens, plan_batches
from icp_engine.http import ServiceError


def fake_vector(text: str, dim: int) -> list[float]:
    """Deterministic pseudo-embedding for a text (not normalised, like a raw API vector scaled)."""
    rng = np.random.default_rng(abs(hash(text)) % (2**32))
    return (rng.normal(size=dim) * 3.0).round(6).tolist()


class FakeOpenAI:
    """Records requests; answers like api.openai.com, with data items in *reversed* order."""

    def __init__(self, dim: int = 1536, fail_first: list[httpx.Response] | None = None):
        self.dim = dim
        self.requests: list[dict] = []
        self.fail_first = list(fail_first or [])

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/embeddings"
        assert request.headers["authorization"] == "Bearer sk-test"
        if self.fail_first:
            return self.fail_first.pop(0)
        body = json.loads(request.content)
        self.requests.append(body)
        assert body["model"] == "text-embedding-3-small"
        assert body["encoding_format"] == "float"
        assert all(isinstance(t, str) and t for t in body["input"]), "no empty strings may be sent"
        data = [
            {"object": "embedding", "index": i, "embedding": fake_vector(t, body.get("dimensions", self.dim))}
            for i, t in enumerate(body["input"])
        ]
        data.reverse()
        n = sum(estimate_tokens(t) for t in body["input"])
        return httpx.Response(200, json={"object": "list", "data": data, "model": "text-embedding-3-small",
                                         "usage": {"prompt_tokens": n, "total_tokens": n}})


def make(fake, **kw) -> OpenAIEmbedder:
    return OpenAIEmbedder("sk-test", base_url="https://api.openai.com/v1", transport=httpx.MockTransport(fake), **kw)


def test_embed_reorders_by_index_normalises_and_skips_empty():
    fake = FakeOpenAI()
    emb = make(fake)
    assert emb.name == "openai-text-embedding-3-small-1536" and emb.dim == 1536
    texts = ["VP Finance", "", "Head of Growth", "  ", "VP Finance", "CFO at Brindle Labs"]
    v = emb.embed(texts)
    assert v.shape == (6, 1536) and v.dtype == np.float32
    assert len(fake.requests) == 1
    assert fake.requests[0]["input"] == ["VP Finance", "Head of Growth", "CFO at Brindle Labs"]  # distinct, no blanks
    assert np.allclose(np.linalg.norm(v[[0, 2, 4, 5]], axis=1), 1.0, atol=1e-5)
    assert not v[1].any() and not v[3].any()
    expected = np.asarray(fake_vector("Head of Growth", 1536), dtype=np.float32)
    assert np.allclose(v[2], expected / np.linalg.norm(expected), atol=1e-5)
    assert np.array_equal(v[0], v[4])
    assert emb.tokens_used > 0


def test_batches_respect_input_count_and_token_sum():
    fake = FakeOpenAI(dim=8)
    emb = make(fake, dimensions=8, max_inputs_per_request=2048)
    texts = [f"Director of Operations #{i}" for i in range(5000)]
    v = emb.embed(texts)
    assert [len(r["input"]) for r in fake.requests] == [2048, 2048, 904]
    assert all(r["dimensions"] == 8 for r in fake.requests)
    assert v.shape == (5000, 8)
    # token cap: long texts split into more requests
    long_texts = [("finance " * 2000) + str(i) for i in range(100)]  # ~5.3k estimated tokens each
    assert sum(estimate_tokens(t) for t in long_texts) > 300_000
    fake.requests.clear()
    emb.embed(long_texts)
    assert len(fake.requests) >= 2
    assert all(sum(estimate_tokens(t) for t in r["input"]) <= 300_000 for r in fake.requests)


def test_plan_batches_limits():
    texts = ["abc"] * 10
    assert plan_batches(texts, max_inputs=4) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert plan_batches(texts, max_inputs=100, max_tokens=3) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]


def test_429_with_retry_after_then_success():
    fake = FakeOpenAI(dim=4, fail_first=[httpx.Response(
        429, headers={"Retry-After": "0"},
        json={"error": {"message": "Rate limit reached for text-embedding-3-small", "type": "requests",
                        "param": None, "code": "rate_limit_exceeded"}})])
    emb = make(fake, dimensions=4)
    v = emb.embed(["Head of Finance"])
    assert v.shape == (1, 4) and len(fake.requests) == 1 and emb.requests_sent == 1


def test_401_raises_service_error_at_once():
    calls = []

    def handler(request):
        calls.append(1)
        return httpx.Response(401, json={"error": {"message": "Incorrect API key provided: sk-test.",
                                                  "type": "invalid_request_error", "param": None,
                                                  "code": "invalid_api_key"}})

    emb = OpenAIEmbedder("sk-test", transport=httpx.MockTransport(handler))
    with pytest.raises(ServiceError) as ei:
        emb.embed(["CFO"])
    assert ei.value.status == 401 and ei.value.service == "openai"
    assert len(calls) == 1


def test_missing_vectors_is_an_error():
    def handler(request):
        return httpx.Response(200, json={"object": "list", "data": [], "model": "text-embedding-3-small",
                                         "usage": {"prompt_tokens": 0, "total_tokens": 0}})

    with pytest.raises(ServiceError, match="0 vectors for 1 inputs"):
        OpenAIEmbedder("sk-test", transport=httpx.MockTransport(handler)).embed(["CFO"])


def test_get_embedder_selection(tmp_path):
    base = dict(icp_data_dir=tmp_path, openai_api_key=None)
    assert isinstance(get_embedder(Settings(**base)), WordLlamaEmbedder)
    assert isinstance(get_embedder(Settings(**base, embedding_provider="local")), WordLlamaEmbedder)
    with_key = Settings(icp_data_dir=tmp_path, openai_api_key="sk-test")
    assert isinstance(get_embedder(with_key), OpenAIEmbedder)
    assert isinstance(get_embedder(Settings(icp_data_dir=tmp_path, openai_api_key="sk-test",
                                            embedding_provider="local")), WordLlamaEmbedder)
    bge = get_embedder(Settings(**base, embedding_provider="bge"))
    assert isinstance(bge, BgeSmallOnnxEmbedder) and bge.dim == 384
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        get_embedder(Settings(**base, embedding_provider="openai"))
    with pytest.raises(ValueError, match="unknown embedding provider"):
        get_embedder(Settings(**base, embedding_provider="word2vec"))
