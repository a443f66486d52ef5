"""OpenAI extractor with the official SDK, faked at the transport with chat-completions payloads."""

from __future__ import annotations

import json

import httpx
import pytest

from icp_engine.calls import parse_transcript, propose
from icp_engine.calls.openai_extract import OpenAIExtractor
from icp_engine.config import Settings
from icp_engine.http import ServiceError
from icp_engine.llm import LLMError
from tests.conftest import FIXTURES

DEV = FIXTURES / "calls" / "dev"


def completion(content: str | None, *, refusal: str | None = None, finish: str = "stop") -> dict:
    return {
        "id": "chatcmpl-CAx91lQz3mB7t2", "object": "chat.completion", "created": 1760000000,
        "model": "gpt-5-mini-2025-08-07", "system_fingerprint": None, "service_tier": "default",
        "choices": [{"index": 0, "finish_reason": finish, "logprobs": None,
                     "message": {"role": "assistant", "content": content, "refusal": refusal,
                                 "annotations": []}}],
        "usage": {"prompt_tokens": 1835, "completion_tokens": 412, "total_tokens": 2247,
                  "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                  "completion_tokens_details": {"reasoning_tokens": 256, "audio_tokens": 0,
                                                "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
    }


ARCLIGHT_ITEMS = {"items": [
    {"field": "target_titles", "value": "CISO", "polarity": "include", "audience": "icp",
     "quote": "The CISO when there is one.", "utterance": 1},
    {"field": "target_titles", "value": "IT Manager", "polarity": "include", "audience": "icp",
     "quote": "it's the head of IT or just the IT manager", "utterance": 1},
    {"field": "target_industries", "value": "Fintech", "polarity": "include", "audience": "icp",
     "quote": "Fintech, healthcare, and e-commerce.", "utterance": 5},
    {"field": "company_sizes", "value": "50-500 employees", "polarity": "include", "audience": "icp",
     "quote": "Fifty to five hundred employees, roughly.", "utterance": 7},
    {"field": "target_industries", "value": "Government Administration", "polarity": "exclude", "audience": "icp",
     "quote": "No, no government.", "utterance": 9},
    # paraphrased: not in the transcript, must be dropped
    {"field": "target_titles", "value": "VP Engineering", "polarity": "include", "audience": "icp",
     "quote": "VPs of Engineering are also buyers for us.", "utterance": 3},
    # unknown industry label: dropped as unmapped
    {"field": "target_industries", "value": "Things Where Breaches Make News", "polarity": "include",
     "audience": "icp", "quote": "Anything where a breach ends up in the news.", "utterance": 5},
    {"field": "exclusions", "value": "student", "polarity": "include", "audience": "icp",
     "quote": "And ethical hacking students, lots of them follow me.", "utterance": 11},
]}


class FakeOpenAI:
    def __init__(self, answers: list[httpx.Response]):
        self.answers = list(answers)
        self.bodies: list[dict] = []
        self.headers: list[httpx.Headers] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/chat/completions"
        self.headers.append(request.headers)
        self.bodies.append(json.loads(request.content))
        return self.answers.pop(0)


def _extractor(fake: FakeOpenAI, **kw) -> OpenAIExtractor:
    return OpenAIExtractor(Settings(openai_api_key="sk-test", openai_chat_model="gpt-5-mini"),
                           http_client=httpx.Client(transport=httpx.MockTransport(fake)), **kw)


def _arclight():
    return parse_transcript("arclight-1.json", (DEV / "arclight-1.json").read_bytes())


def test_items_are_quoted_mapped_and_unquoted_ones_dropped():
    fake = FakeOpenAI([httpx.Response(200, json=completion(json.dumps(ARCLIGHT_ITEMS)))])
    ext = _extractor(fake)
    prop = propose([_arclight()], ext, client_name="Arclight Security", client_domains=["arclight.example"])
    body = fake.bodies[0]
    assert fake.headers[0]["authorization"] == "Bearer sk-test"
    assert body["model"] == "gpt-5-mini" and body["reasoning_effort"] == "low"
    rf = body["response_format"]
    assert rf["type"] == "json_schema" and rf["json_schema"]["strict"] is True
    assert rf["json_schema"]["schema"]["properties"]["items"]["items"]["required"] == [
        "field", "value", "polarity", "audience", "quote", "utterance"]
    user = body["messages"][1]["content"]
    assert "[1] 0:07 Nadia Haddad (client): The CISO when there is one." in user
    assert prop.values("target_titles") == ["CISO", "IT Manager"]
    assert prop.values("target_industries") == ["Financial Services"]
    assert prop.values("company_sizes") == ["51-200", "201-500"]
    assert prop.values("exclusions") == ["student"]
    assert [i.value for i in prop.with_status("excluded")] == ["Government Administration"]
    assert ext.dropped_unquoted == 1 and ext.dropped_unmapped == 1
    ev = prop.proposed("target_titles")[0].support[0]
    assert ev.timestamp == "0:07" and ev.speaker == "Nadia Haddad" and ev.role == "client"
    assert ext.prompt_tokens == 1835 and ext.completion_tokens == 412


def test_rate_limit_is_retried_by_the_sdk():
    limited = httpx.Response(429, headers={"retry-after-ms": "5", "content-type": "application/json"},
                             json={"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}})
    fake = FakeOpenAI([limited, httpx.Response(200, json=completion(json.dumps({"items": []})))])
    assert _extractor(fake).extract(_arclight()) == []
    assert len(fake.bodies) == 2


def test_refusal_truncation_and_bad_key_raise_clear_errors():
    for answer, err in (
        (httpx.Response(200, json=completion(None, refusal="I can't help with that.")), LLMError),
        (httpx.Response(200, json=completion('{"items": [', finish="length")), LLMError),
        (httpx.Response(200, json=completion("not json at all")), LLMError),
        (httpx.Response(401, json={"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                             "code": "invalid_api_key"}}), ServiceError),
    ):
        with pytest.raises(err):
            _extractor(FakeOpenAI([answer]), max_retries=0).extract(_arclight())


def test_retraction_across_calls_with_the_model():
    call2 = parse_transcript("arclight-2.txt", (DEV / "arclight-2.txt").read_bytes())
    first = {"items": [{"field": "target_industries", "value": "E-commerce", "polarity": "include", "audience": "icp",
                        "quote": "Fintech, healthcare, and e-commerce.", "utterance": 5}]}
    second = {"items": [{"field": "target_industries", "value": "Online and Mail Order Retail", "polarity": "retract",
                         "audience": "icp", "quote": "Actually, forget e-commerce.", "utterance": 1}]}
    fake = FakeOpenAI([httpx.Response(200, json=completion(json.dumps(second))),
                       httpx.Response(200, json=completion(json.dumps(first)))])
    # given newest first: the proposal still folds the calls by date
    prop = propose([call2, _arclight()], _extractor(fake), client_name="Arclight Security",
                   client_domains=["arclight.example"])
    assert [c["id"] for c in prop.calls] == ["fathom:205001236", "arclight-2"]
    assert prop.values("target_industries") == []
    (item,) = prop.with_status("retracted")
    assert item.value == "Online and Mail Order Retail" and item.retractions[0].quote == "Actually, forget e-commerce."


def test_needs_a_key():
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        OpenAIExtractor(Settings(openai_api_key=None))
