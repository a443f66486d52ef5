"""Lead classification (industry V2 label + company type): company data, LLM (faked at the HTTP
transport with realistic chat-completions payloads) and the offline classifier."""

from __future__ import annotations

import json

import httpx
import pytest

from icp_engine.classify import LLM_SCHEMA, Classification, classify, classify_many, company_type_from_text
from icp_engine.domain import Profile
from icp_engine.llm import LLMError, OpenAIChat
from icp_engine.taxonomy import COMPANY_TYPES


def chat_completion(content: dict | str, *, finish_reason: str = "stop", refusal: str | None = None) -> dict:
    """A chat.completion body as api.openai.com returns it for gpt-5-mini."""
    return {
        "id": "chatcmpl-CD4rT9xYzQk2nV8bW1sLmP0aE3hJ",
        "object": "chat.completion",
        "created": 1763721600,
        "model": "gpt-5-mini-2025-08-07",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant",
                        "content": None if refusal else (content if isinstance(content, str) else json.dumps(content)),
                        "refusal": refusal, "annotations": []},
            "finish_reason": finish_reason,
        }],
        "usage": {"prompt_tokens": 3120, "completion_tokens": 402, "total_tokens": 3522,
                  "prompt_tokens_details": {"cached_tokens": 2944, "audio_tokens": 0},
                  "completion_tokens_details": {"reasoning_tokens": 256, "audio_tokens": 0,
                                                "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
        "service_tier": "default",
        "system_fingerprint": None,
    }


class FakeChat:
    """Fake /v1/chat/completions: answers each lead from a table keyed by headline."""

    def __init__(self, answers: dict[str, tuple[str, str, str]], fail: list[httpx.Response] | None = None):
        self.answers = answers
        self.bodies: list[dict] = []
        self.fail = list(fail or [])

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url == httpx.URL("https://api.openai.com/v1/chat/completions")
        assert request.headers["authorization"] == "Bearer sk-test"
        if self.fail:
            return self.fail.pop(0)
        body = json.loads(request.content)
        self.bodies.append(body)
        user = body["messages"][1]["content"]
        leads = json.loads(user.split("\n", 1)[1])
        out = []
        for lead in leads:
            ind, typ, why = self.answers.get(lead.get("headline", ""), ("unknown", "unknown", "no evidence"))
            out.append({"id": lead["id"], "industry": ind, "company_type": typ, "reasoning": why})
        return httpx.Response(200, json=chat_completion({"leads": out}))


def make_llm(fake) -> OpenAIChat:
    return OpenAIChat(api_key="sk-test", model="gpt-5-mini", max_attempts=2, transport=httpx.MockTransport(fake))


APIFY_LEAD = Profile(name="Ines Albaret", headline="VP Finance | scaling SaaS finance teams", titles=["VP Finance"],
                     company="Ostrander Cloud", company_size="201-500", industry="Computer Software", source="apify")
PAGE_LEADS = [
    Profile(name="Tomas Wreford", headline="Head of Growth at Pellucid Systems"),
    Profile(name="Maren Olsted", headline="Operations Lead at Fernhill & Co"),
    Profile(name="Dario Kessel", headline="Founder @ stealth | ex-Stripe"),
]


def test_company_data_wins_and_is_not_sent_to_the_llm():
    fake = FakeChat({})
    c = classify(APIFY_LEAD, llm=make_llm(fake))
    assert c == Classification(
        industry="Software Development", company_type="scaleup", source="apify",
        reasoning="industry: company industry 'Computer Software' -> Software Development · "
                  "type: 201-500 employees -> scaleup",
        industry_source="apify", industry_guess=None, company_type_source="apify",
        company_type_is_guess=False)
    assert not c.industry_is_guess and c.to_dict()["industry_is_guess"] is False
    assert fake.bodies == []


def test_llm_path_request_and_answers():
    fake = FakeChat({
        "Head of Growth at Pellucid Systems": ("IT Services & IT Consulting", "scaleup", "systems integrator, growing team"),
        "Operations Lead at Fernhill & Co": ("unknown", "unknown", "no company evidence"),
        "Founder @ stealth | ex-Stripe": ("Software Development", "startup", "stealth founder"),
    })
    llm = make_llm(fake)
    res = classify_many(PAGE_LEADS + [APIFY_LEAD], llm=llm)
    assert len(fake.bodies) == 1
    body = fake.bodies[0]
    assert body["model"] == "gpt-5-mini"
    assert "temperature" not in body  # GPT-5 models reject non-default temperatures
    assert body["reasoning_effort"] == "low"
    rf = body["response_format"]
    assert rf["type"] == "json_schema" and rf["json_schema"]["strict"] is True
    assert rf["json_schema"]["schema"] == LLM_SCHEMA
    assert "Software Development" in body["messages"][0]["content"]
    sent = json.loads(body["messages"][1]["content"].split("\n", 1)[1])
    assert [s["id"] for s in sent] == [0, 1, 2]  # the Apify lead was complete, not sent

    assert res[0].industry == "IT Services and IT Consulting"  # snapped to the V2 spelling
    assert res[0].company_type == "scaleup" and res[0].source == "llm"
    assert (res[0].industry_source, res[0].company_type_source) == ("llm", "llm")
    assert "systems integrator" in res[0].reasoning
    assert res[1].industry is None and res[1].company_type == "unknown" and res[1].source == "llm"
    assert res[2].industry == "Software Development" and res[2].company_type == "startup"
    assert res[3].source == "apify"
    assert llm.requests_sent == 1 and llm.prompt_tokens == 3120 and llm.completion_tokens == 402


def test_llm_batches():
    fake = FakeChat({})
    leads = [Profile(headline=f"Analyst #{i} at Corvid Works") for i in range(45)]
    res = classify_many(leads, llm=make_llm(fake), llm_batch_size=20, max_workers=2)
    assert sorted(len(json.loads(b["messages"][1]["content"].split("\n", 1)[1])) for b in fake.bodies) == [5, 20, 20]
    assert all(r.company_type == "unknown" and r.source == "llm" for r in res)


def test_llm_partial_fill_keeps_company_data():
    # size known from Apify, industry not: the LLM fills only the industry
    fake = FakeChat({"Product lead": ("Computer Games", "startup", "mobile games studio")})
    p = Profile(headline="Product lead", company="Lumen Forge", company_size="11-50", source="apify")
    c = classify(p, llm=make_llm(fake))
    assert c.industry == "Computer Games" and c.company_type == "startup"
    assert c.source == "llm+apify"
    assert (c.industry_source, c.company_type_source) == ("llm", "apify")


def test_llm_http_failure_falls_back_to_offline(caplog):
    unauthorized = httpx.Response(401, json={"error": {"message": "Incorrect API key provided: sk-test.",
                                                      "type": "invalid_request_error", "param": None,
                                                      "code": "invalid_api_key"}})
    fake = FakeChat({}, fail=[unauthorized])
    c = classify(Profile(headline="Associate at Hale & Porter LLP", company="Hale & Porter LLP"),
                 llm=make_llm(fake))
    # offline: no industry from the letters of "LLP" or the job title (issue 8)
    assert c.industry is None and c.industry_source is None and c.source == "offline"
    assert "using the offline classifier" in caplog.text


def test_llm_retries_429_then_answers():
    limited = httpx.Response(429, headers={"Retry-After": "0"},
                             json={"error": {"message": "Rate limit reached for gpt-5-mini", "type": "requests",
                                             "param": None, "code": "rate_limit_exceeded"}})
    fake = FakeChat({"CTO at Quaywise": ("Software Development", "startup", "seed-stage SaaS")}, fail=[limited])
    c = classify(Profile(headline="CTO at Quaywise"), llm=make_llm(fake))
    assert c.industry == "Software Development" and c.source == "llm"


def test_openai_chat_errors():
    def refusing(request):
        return httpx.Response(200, json=chat_completion({}, refusal="I can't help with that."))

    llm = OpenAIChat(api_key="sk-test", transport=httpx.MockTransport(refusing))
    with pytest.raises(LLMError, match="refused"):
        llm.complete_json([{"role": "user", "content": "x"}], LLM_SCHEMA, "s")

    def truncated(request):
        return httpx.Response(200, json=chat_completion('{"leads": [', finish_reason="length"))

    with pytest.raises(LLMError, match="cut off"):
        OpenAIChat(api_key="sk-test", transport=httpx.MockTransport(truncated)).complete_json(
            [{"role": "user", "content": "x"}], LLM_SCHEMA, "s")
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        OpenAIChat(api_key=None)


def test_non_reasoning_model_gets_no_reasoning_effort():
    bodies = []

    def handler(request):
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json=chat_completion({"leads": []}))

    OpenAIChat(api_key="sk-test", model="gpt-4o-mini", transport=httpx.MockTransport(handler)).complete_json(
        [{"role": "user", "content": "x"}], LLM_SCHEMA, "s")
    assert "reasoning_effort" not in bodies[0] and "temperature" not in bodies[0]


@pytest.mark.parametrize(
    "profile, guess, ctype, type_guess",
    [
        # job titles and headline words say nothing reliable about the employer's industry
        (Profile(headline="Registered Nurse at St Aldhelm's", company="St Aldhelm's"), None, "unknown", False),
        (Profile(headline="Founder, stealth startup"), None, "startup", False),
        (Profile(headline="Founder & CEO, Porto Wine Co."), None, "startup", True),
        (Profile(headline="Freelance brand designer"), None, "freelance", False),
        (Profile(headline="Account Director at Brightside Digital Agency", company="Brightside Digital Agency"),
         None, "agency", False),
        (Profile(headline="Partner at Redwood Ventures, investing in seed-stage fintech", company="Redwood Ventures"),
         None, "startup", False),
        # a measured name rule: a guess, never the industry
        (Profile(headline="Head of Finance at Kestrel Bank", company="Kestrel Bank", company_size="10,001+ employees"),
         "Banking", "enterprise", False),
        (Profile(headline="Leasing manager", company="Harbourview Properties"), "Real Estate", "unknown", False),
        (Profile(headline="Volunteer lead", company="Riverside Food Bank"), None, "unknown", False),
        (Profile(headline="Site manager at Ballard Construction", company="Ballard Construction"), None, "unknown", False),
        (Profile(headline="Shift lead at a regional brewery"), None, "unknown", False),
        (Profile(headline="Designer", company="Self-employed"), None, "freelance", False),
        (Profile(headline="Retired"), None, "unknown", False),
        (Profile(), None, "unknown", False),
    ],
)
def test_offline_classifier(profile, guess, ctype, type_guess):
    c = classify(profile)
    assert c.industry is None  # offline never states an industry
    assert (c.industry_guess, c.company_type, c.company_type_is_guess) == (guess, ctype, type_guess)
    assert c.industry_source == ("guess" if guess else None) and c.industry_is_guess is bool(guess)
    assert c.source in ("offline", "profile", "offline+profile", "profile+offline")
    assert c.company_type in COMPANY_TYPES
    assert c.reasoning.startswith("industry: ")
    if guess:
        assert "guessed" in c.reasoning and "not counted as a mismatch" in c.reasoning
    else:
        assert "industry: unknown" in c.reasoning
    assert ("(guessed)" in c.reasoning) is type_guess


def test_no_industry_from_the_letters_of_a_company_name():
    # issue 8: these got "Radio and Television Broadcasting", "International Affairs" and
    # "Newspaper Publishing" from the nearest label to the name's embedding
    leads = [Profile(headline="Analyst at RBC", company="RBC"),
             Profile(headline="Sales Manager at Meatworld International", company="Meatworld International"),
             Profile(headline="Procurement Manager at Inspiren", company="Inspiren"),
             Profile(headline="Chief Financial Officer at Brindle Labs | SaaS for logistics")]
    for c in classify_many(leads):
        assert (c.industry, c.industry_guess, c.industry_source) == (None, None, None)


def test_stated_industry_outside_the_taxonomy_is_still_snapped():
    # a label the data states (not a name) may be mapped onto the nearest V2 label
    c = classify(Profile(company="Quorvex", industry="Software Development", source="apify"))
    assert (c.industry, c.industry_source) == ("Software Development", "apify")


def test_small_traditional_business_is_not_a_startup():
    firm = Profile(headline="Partner, Kjeldsen & Roos Revisorer", company="Kjeldsen & Roos Revisorer",
                   company_size="11-50", industry="Accounting", source="apify")
    c = classify(firm)
    assert (c.industry, c.company_type, c.source) == ("Accounting", "unknown", "apify")
    assert "small traditional business" in c.reasoning
    works = Profile(headline="Geschäftsführer", company="Ortheim Präzisionsteile GmbH", company_size="51-200",
                    industry="Machinery", source="apify")
    assert classify(works).company_type == "mid-market"
    saas = Profile(headline="CTO", company="Quaywise", company_size="11-50", industry="Computer Software",
                   source="apify")
    assert classify(saas).company_type == "startup"


def test_company_type_rules():
    assert company_type_from_text("Series B fintech", "51-200")[0] == "scaleup"
    assert company_type_from_text("co-founder", "10001+")[0] == "enterprise"
    assert company_type_from_text("Fortune 500 retailer")[0] == "enterprise"
    assert company_type_from_text("fractional CFO")[0] == "freelance"
    assert company_type_from_text("nothing here")[0] == "unknown"
    assert company_type_from_text("", "51-200", "Marketing Services")[0] == "agency"


def test_empty_batch():
    assert classify_many([]) == []
