"""A fake OpenAI Chat Completions endpoint for the LLM judge (structured output, realistic body).

``ICP_WIRING_HOOK=tests.fakes.fake_openai_judge:install`` sends the wiring's OpenAI requests to
:data:`FAKE`. Every lead of a request is answered: title ``partial`` when the headline names a
controller, ``mismatch`` for an engineer, else ``unknown``; every other criterion ``unknown``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx


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


class FakeJudgeOpenAI:
    """Records the request bodies in ``requests``; answers with verdicts per lead and criterion."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

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
            crit = [{"criterion": "title", "verdict": v, "reason": f"headline says {head[:30]}"}]
            crit += [{"criterion": c, "verdict": "unknown", "reason": "no company data"}
                     for c in user["criteria"] if c != "title"]
            leads.append({"id": lead["id"], "criteria": crit})
        return httpx.Response(200, json=completion({"leads": leads}))


FAKE = FakeJudgeOpenAI()


def install(wiring: Any) -> None:
    """``ICP_WIRING_HOOK`` entry point: OpenAI requests of this wiring go to :data:`FAKE`."""
    wiring.transports["openai"] = httpx.MockTransport(lambda request: FAKE(request))
