"""LLM judgement of the uncertain band: openai SDK over httpx.MockTransport, cache, cost."""

from __future__ import annotations

import json

import httpx
import pytest

from icp_engine.domain import ICP, Profile
from icp_engine.embeddings.local import WordLlamaEmbedder
from icp_engine.scoring.judge import (
    MemoryJudgeCache,
    OpenAIJudge,
    estimate_cost,
    icp_criteria,
    profile_hash,
    response_schema,
)
from icp_engine.scoring.scorer import Scorer

ICP_FIN = ICP(target_titles=["CFO", "VP Finance", "Head of Finance"], target_industries=["Software Development"])


def completion(content: dict, prompt_tokens: int = 812, completion_tokens: int = 431) -> dict:
    """A chat.completion body as api.openai.com returns it for gpt-5-mini with json_schema."""
    return {
        "id": "chatcmpl-CxJ2b8yq4lW0fN1aT5sJ3dEo9Kp",
        "object": "chat.completion",
        "created": 1764590000,
        "model": "gpt-5-mini-2025-08-07",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": json.dumps(content), "refusal": None,
                                 "annotations": []}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens,
                  "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                  "completion_tokens_details": {"reasoning_tokens": 256, "audio_tokens": 0,
                                                "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
        "service_tier": "default",
        "system_fingerprint": None,
    }


class FakeOpenAI:
    """Answers every lead of a request: title verdict from the headline, industry unknown."""

    def __init__(self):
        self.requests: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith("/chat/completions")
        assert request.headers["authorization"] == "Bearer sk-test"
        body = json.loads(request.content)
        self.requests.append(body)
        user = json.loads(body["messages"][1]["content"])
        leads = []
        for lead in user["leads"]:
            head = (lead.get("headline") or "").lower()
            v = "partial" if "controller" in head else ("mismatch" if "engineer" in head else "unknown")
            leads.append({"id": lead["id"], "criteria": [
                {"criterion": "title", "verdict": v, "reason": f"headline says {head[:30]}"},
                {"criterion": "industry", "verdict": "unknown", "reason": "no company data"},
            ]})
        return httpx.Response(200, json=completion({"leads": leads}))


@pytest.fixture()
def fake():
    return FakeOpenAI()


def make_judge(fake, **kw):
    return OpenAIJudge("sk-test", "gpt-5-mini", transport=httpx.MockTransport(fake), batch_size=2, **kw)


def test_request_shape_structured_output_and_batches(fake):
    judge = make_judge(fake)
    leads = [(f"l{i}", Profile(headline=h)) for i, h in enumerate(
        ["Financial Controller at Acme", "Software Engineer", "Treasurer", "Group Controller"])]
    got = judge.judge(ICP_FIN, leads)
    assert len(fake.requests) == 2  # batch_size 2
    body = fake.requests[0]
    assert body["model"] == "gpt-5-mini"
    assert body["reasoning_effort"] == "low"
    assert "temperature" not in body
    rf = body["response_format"]
    assert rf["type"] == "json_schema" and rf["json_schema"]["strict"] is True
    assert rf["json_schema"]["schema"] == response_schema(["title", "industry"])
    user = json.loads(body["messages"][1]["content"])
    assert user["criteria"] == ["title", "industry"]
    assert "name" not in user["leads"][0]  # no personal identifiers beyond the evidence
    assert got["l0"]["title"]["verdict"] == "partial"
    assert got["l1"]["title"]["verdict"] == "mismatch"
    assert got["l0"]["industry"] == {"verdict": "unknown", "reason": "no company data"}
    assert judge.requests_sent == 2 and judge.prompt_tokens == 2 * 812 and judge.completion_tokens == 2 * 431


def test_scorer_judges_only_the_uncertain_band_and_caches(fake):
    cache = MemoryJudgeCache()
    judge = make_judge(fake, cache=cache, band=(0.3, 0.7))
    scorer = Scorer(WordLlamaEmbedder(), judge=judge)
    icp = ICP(target_titles=["CFO", "VP Finance", "Head of Finance"])
    leads = [Profile(headline="Financial Controller at Acme", titles=["Financial Controller"]),
             Profile(headline="CFO at Beta", titles=["CFO"]),
             Profile(headline="Software Engineer", titles=["Software Engineer"])]
    plain = Scorer(WordLlamaEmbedder()).score(icp, leads)
    assert 30 <= plain[0].icp_score <= 70 and plain[1].icp_score > 70 and plain[2].icp_score < 30
    res = scorer.score(icp, leads)
    # only the controller was in the band
    sent = [lead["headline"] for req in fake.requests for lead in json.loads(req["messages"][1]["content"])["leads"]]
    assert sent == ["Financial Controller at Acme"]
    assert res[0].components["judge"]["verdicts"]["title"]["verdict"] == "partial"
    assert res[0].icp_score == pytest.approx(50.0)  # partial title verdict -> P 0.5
    assert "judged (gpt-5-mini)" in res[0].match_reasoning
    assert res[1].icp_score == plain[1].icp_score and res[2].icp_score == plain[2].icp_score
    json.dumps([r.components for r in res])
    assert len(cache) == 1
    # same lead again, in another batch: served from the cache, same score
    again = scorer.score(icp, [Profile(headline="Someone else"), leads[0]])
    assert len(fake.requests) == 1
    assert again[1].icp_score == res[0].icp_score


def test_cache_key_changes_with_the_icp_version(fake):
    judge = make_judge(fake)
    scorer = Scorer(WordLlamaEmbedder(), judge=judge)
    lead = [Profile(headline="Financial Controller at Acme", titles=["Financial Controller"])]
    scorer.score(ICP(target_titles=["CFO", "VP Finance"]), lead)
    scorer.score(ICP(target_titles=["CFO", "VP Finance"]), lead)
    assert len(fake.requests) == 1
    scorer.score(ICP(target_titles=["CFO", "VP Finance", "Head of Finance"]), lead)
    assert len(fake.requests) == 2


def test_http_error_surfaces_after_retries():
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(401, json={"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                                    "param": None, "code": "invalid_api_key"}})

    import openai

    judge = OpenAIJudge("sk-test", transport=httpx.MockTransport(handler))
    with pytest.raises(openai.AuthenticationError):
        judge.judge(ICP_FIN, [("a", Profile(headline="CFO"))])
    assert len(calls) == 1  # 401 is not retried


def test_estimate_cost_and_helpers():
    est = estimate_cost(100, 2, "gpt-5-mini", batch_size=20)
    assert est["requests"] == 5
    assert est["input_tokens"] == 5 * 350 + 100 * 60
    assert est["output_tokens"] == 100 * (30 * 2 + 10) + 100 * 150
    assert est["usd"] == pytest.approx((est["input_tokens"] * 0.25 + est["output_tokens"] * 2.0) / 1e6, abs=1e-4)
    assert estimate_cost(0, 2)["usd"] == 0.0
    assert estimate_cost(10, 1, "some-unknown-model")["usd"] is None
    assert icp_criteria(ICP(target_titles=["CFO"], keywords=["SaaS"], locations=["UK"])) == ["title", "keywords", "location"]
    a, b = Profile(headline="CFO"), Profile(headline="CFO", name="Someone")
    assert profile_hash(a) == profile_hash(b)  # the name is not evidence
    assert profile_hash(a) != profile_hash(Profile(headline="CFO", industry="Banking"))
    with pytest.raises(ValueError):
        OpenAIJudge(None)
