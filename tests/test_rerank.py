"""Rerankers: none, the local ONNX cross-encoder, and Jina / Cohere faked at the HTTP transport."""

from __future__ import annotations

import json

import httpx
import pytest

from icp_engine.config import Settings
from icp_engine.http import ServiceError
from icp_engine.rerank import MissingCredentialsError, NoReranker, Reranker, get_reranker
from icp_engine.rerank.local import LocalCrossEncoderReranker
from icp_engine.rerank.remote import CohereReranker, JinaReranker

QUERY = "Finance leader (CFO, VP Finance) at a B2B software company"
DOCS = [
    "Registered nurse at Harbourview Clinic, night shifts",
    "VP Finance at Ostrander Cloud - SaaS, FP&A, fundraising",
    "Chief Financial Officer | Brindle Labs (software, 51-200 employees)",
    "",
    "Student of history at the University of Tessaly",
]


def score_of(doc: str) -> float:
    """A fake relevance model for the fake services: finance words count."""
    words = ("finance", "financial", "cfo", "saas", "software")
    return round(sum(w in doc.lower() for w in words) / len(words) + 0.01 * len(doc) / 100, 6)


def jina_handler(log: list, *, status_sequence: list[httpx.Response] | None = None):
    pending = list(status_sequence or [])

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert request.url == httpx.URL("https://api.jina.ai/v1/rerank")
        assert request.headers["authorization"] == "Bearer jina_test"
        if pending:
            return pending.pop(0)
        body = json.loads(request.content)
        log.append(body)
        results = sorted(
            ({"index": i, "relevance_score": score_of(d)} for i, d in enumerate(body["documents"])),
            key=lambda r: -r["relevance_score"],
        )[: body["top_n"]]
        return httpx.Response(200, json={"model": body["model"], "usage": {"total_tokens": 321},
                                         "results": results})

    return handler


def cohere_handler(log: list):
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url == httpx.URL("https://api.cohere.com/v2/rerank")
        assert request.headers["authorization"] == "Bearer co_test"
        body = json.loads(request.content)
        log.append(body)
        results = sorted(
            ({"index": i, "relevance_score": score_of(d)} for i, d in enumerate(body["documents"])),
            key=lambda r: -r["relevance_score"],
        )
        return httpx.Response(200, json={
            "id": "0b7e5f0a-3c2d-4e8b-9d51-2f3a9c1e7b44", "results": results[: body["top_n"]],
            "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}}})

    return handler


def test_none_reranker():
    r = NoReranker()
    assert isinstance(r, Reranker) and r.name == "none"
    assert r.rerank(QUERY, DOCS) == [0.0] * 5


def test_jina_request_shape_and_input_order():
    log: list = []
    r = JinaReranker("jina_test", transport=httpx.MockTransport(jina_handler(log)))
    assert isinstance(r, Reranker) and r.name == "jina-jina-reranker-v2-base-multilingual"
    scores = r.rerank(QUERY, DOCS)
    assert len(log) == 1
    body = log[0]
    assert body["model"] == "jina-reranker-v2-base-multilingual"
    assert body["query"] == QUERY
    assert body["documents"] == [d for d in DOCS if d]  # blank document not sent
    assert body["top_n"] == 4 and body["return_documents"] is False
    expected = [score_of(d) for d in DOCS]
    expected[3] = min(e for i, e in enumerate(expected) if i != 3)
    assert scores == pytest.approx(expected)
    assert scores[2] > scores[0] and scores[1] > scores[4]


def test_jina_429_with_retry_after_then_success():
    log: list = []
    rate_limited = httpx.Response(429, headers={"Retry-After": "0"},
                                  json={"detail": "Rate limit exceeded, please retry later"})
    r = JinaReranker("jina_test", transport=httpx.MockTransport(jina_handler(log, status_sequence=[rate_limited])))
    scores = r.rerank(QUERY, DOCS[:3])
    assert len(log) == 1 and r.requests_sent == 1
    assert scores == pytest.approx([score_of(d) for d in DOCS[:3]])


def test_jina_401_raises_without_retry():
    calls: list = []

    def handler(request):
        calls.append(1)
        return httpx.Response(401, json={"detail": "Invalid API key"})

    r = JinaReranker("jina_test", transport=httpx.MockTransport(handler))
    with pytest.raises(ServiceError) as ei:
        r.rerank(QUERY, DOCS)
    assert ei.value.status == 401 and ei.value.service == "jina" and len(calls) == 1


def test_jina_splits_large_calls():
    log: list = []
    r = JinaReranker("jina_test", max_documents=2, transport=httpx.MockTransport(jina_handler(log)))
    scores = r.rerank(QUERY, DOCS)
    assert [len(b["documents"]) for b in log] == [2, 2]
    assert scores[2] == pytest.approx(score_of(DOCS[2]))


def test_malformed_response_is_an_error():
    def handler(request):
        return httpx.Response(200, json={"model": "m", "results": [{"index": 0, "relevance_score": 0.4}]})

    with pytest.raises(ServiceError, match="lacks scores for 1 of 2"):
        JinaReranker("jina_test", transport=httpx.MockTransport(handler)).rerank(QUERY, DOCS[:2])


def test_cohere_v2_request_and_order():
    log: list = []
    r = CohereReranker("co_test", transport=httpx.MockTransport(cohere_handler(log)))
    assert r.name == "cohere-rerank-v3.5"
    scores = r.rerank(QUERY, DOCS[:3])
    assert log[0]["model"] == "rerank-v3.5" and log[0]["top_n"] == 3 and log[0]["query"] == QUERY
    assert "return_documents" not in log[0]
    assert scores == pytest.approx([score_of(d) for d in DOCS[:3]])


def test_cohere_needs_a_model():
    with pytest.raises(ValueError, match="model"):
        CohereReranker("co_test", model="")


def test_get_reranker(tmp_path):
    s = Settings(icp_data_dir=tmp_path, jina_api_key=None, cohere_api_key=None)
    assert isinstance(get_reranker("none", s), NoReranker)
    assert isinstance(get_reranker(None, s), NoReranker)
    with pytest.raises(MissingCredentialsError, match="JINA_API_KEY"):
        get_reranker("jina", s)
    with pytest.raises(MissingCredentialsError, match="COHERE_API_KEY"):
        get_reranker("cohere", s)
    with pytest.raises(ValueError, match="unknown reranker"):
        get_reranker("bm25", s)
    keyed = Settings(icp_data_dir=tmp_path, jina_api_key="jina_test", cohere_api_key="co_test",
                     cohere_model="rerank-v3.5")
    log: list = []
    j = get_reranker("jina", keyed, transport=httpx.MockTransport(jina_handler(log)))
    assert isinstance(j, JinaReranker) and j.rerank(QUERY, DOCS[1:3])
    c = get_reranker("cohere", keyed, transport=httpx.MockTransport(cohere_handler(log)))
    assert isinstance(c, CohereReranker) and len(c.rerank(QUERY, DOCS[1:3])) == 2


def test_local_cross_encoder_ranks_relevant_first():
    r = get_reranker("local", Settings())
    assert isinstance(r, LocalCrossEncoderReranker)
    scores = r.rerank(QUERY, DOCS)
    assert len(scores) == 5
    assert min(scores[1], scores[2]) > max(scores[0], scores[4])
    assert scores[3] == min(scores)  # blank document at the bottom
    # deterministic whatever the batch: a document alone scores exactly as within the list
    assert r.rerank(QUERY, [DOCS[2]])[0] == scores[2]
    assert r.rerank("", DOCS[:2]) == [r.EMPTY_SCORE, r.EMPTY_SCORE]
