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
from tests.fakes.fake_openai_judge import FakeJudgeOpenAI

ICP_FIN = ICP(target_titles=["CFO", "VP Finance", "Head of Finance"], target_industries=["Software Development"])


@pytest.fixture()
def fake():
    return FakeJudgeOpenAI()


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


# ----------------------------------------------------------------------------- Postgres cache, runs, CLI


def test_postgres_judge_cache_round_trip(db):
    from icp_engine.scoring.judge import PostgresJudgeCache, split_key

    cache = PostgresJudgeCache(db)
    k1, k2 = "v1abc:ph1:gpt-5-mini", "v1abc:ph2:org:custom-model"
    assert cache.get_many([k1, k2]) == {}
    cache.put_many({k1: {"title": {"verdict": "match", "reason": "CFO"}}})
    cache.put_many({k1: {"title": {"verdict": "mismatch", "reason": "later"}}, k2: {}})  # first verdict kept
    got = cache.get_many([k1, k2, "v1abc:ph3:gpt-5-mini"])
    assert got == {k1: {"title": {"verdict": "match", "reason": "CFO"}}, k2: {}}
    assert split_key(k2) == ("v1abc", "ph2", "org:custom-model")
    with pytest.raises(ValueError):
        split_key("no-colons")


def _judge_engine(settings, db, fake):
    from icp_engine.engine import Engine
    from icp_engine.wiring import Wiring

    s = settings.model_copy(update={"openai_api_key": "sk-test", "openai_chat_model": "gpt-5-mini"})
    wiring = Wiring(s, db, embedder=WordLlamaEmbedder(), transports={"openai": httpx.MockTransport(fake)})
    return Engine(s, db=db, wiring=wiring)


def test_run_with_judge_stores_estimate_verdicts_and_never_asks_twice(settings, db, fake):
    from icp_engine.db import judgements
    from icp_engine.domain import Follower
    from icp_engine.pipeline import RunOptions

    eng = _judge_engine(settings, db, fake)
    c = eng.create_client("judged")
    eng.save_icp(c["id"], ICP(target_titles=["CFO", "VP Finance"]))
    heads = ["CFO at Acme", "Financial Controller at Borealis", "Group Controller | Lumen", "Software Engineer"]
    people = [Follower(key=f"p{i}", url=f"https://www.linkedin.com/in/p{i}", profile_url=f"https://www.linkedin.com/in/p{i}",
                       vanity=f"p{i}", name=f"P {i}", headline=h) for i, h in enumerate(heads)]
    batch = eng.ingest_followers(c["id"], people, batch_name="b")
    opts = RunOptions(judge=True, classify=False)
    est = eng.estimate_run(c["id"], batch["id"], opts)
    assert est["judge"]["leads"] == 4 and est["judge"]["upper_bound"] and est["judge"]["usd"] > 0
    run_id = eng.create_run(c["id"], batch_id=batch["id"], options=opts)
    stored = next(r for r in eng.list_runs(c["id"]) if r["id"] == run_id)
    assert stored["estimate"]["judge"]["model"] == "gpt-5-mini" and stored["options"]["judge"] is True
    eng.execute_run(run_id)
    rows = {r["headline"]: r for r in eng.export_rows(c["id"], batch_id=batch["id"])}
    sent = sum(len(json.loads(r["messages"][1]["content"])["leads"]) for r in fake.requests)
    assert 1 <= sent < 4  # only the uncertain band (the controllers), not the CFO nor the engineer
    with db.connect() as conn:
        assert judgements.count(conn) == sent
    assert len(rows) == 4 and any("judged (gpt-5-mini)" in str(r) for r in rows.values())
    # a second run of the same ICP version re-scores nothing; a new run over a re-saved identical ICP
    # (a new version with the same content) finds every verdict in Postgres
    eng.save_icp(c["id"], ICP(target_titles=["CFO", "VP Finance"]))
    n_before = len(fake.requests)
    eng.execute_run(eng.create_run(c["id"], batch_id=batch["id"], options=opts))
    assert len(fake.requests) == n_before


def test_run_with_judge_needs_a_key(settings, db):
    from icp_engine.engine import Engine
    from icp_engine.errors import InvalidInput
    from icp_engine.pipeline import RunOptions

    engine = Engine(settings, db=db)

    c = engine.create_client("nokey")
    engine.save_icp(c["id"], ICP(target_titles=["CFO"]))
    with pytest.raises(InvalidInput, match="OPENAI_API_KEY"):
        engine.create_run(c["id"], options=RunOptions(judge=True))
    assert RunOptions.from_dict(RunOptions(judge=True).to_dict()).judge is True
    assert RunOptions.from_dict({}).judge is False


def test_judge_failure_keeps_offline_scores(fake):
    def down(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"error": {"message": "upstream", "type": "server_error"}})

    judge = OpenAIJudge("sk-test", transport=httpx.MockTransport(down), max_retries=0)
    scorer = Scorer(WordLlamaEmbedder(), judge=judge)
    plain = Scorer(WordLlamaEmbedder())
    profs = [Profile(headline="Financial Controller at Acme"), Profile(headline="CFO at Borealis")]
    got, ref = scorer.score(ICP_FIN, profs), plain.score(ICP_FIN, profs)
    assert [r.icp_score for r in got] == [r.icp_score for r in ref]
    assert "error" in got[0].components["judge"] and "not judged" in got[0].match_reasoning
    assert "judge" not in got[1].components  # outside the band: never sent


def test_components_keep_the_unrounded_probability():
    r = Scorer(WordLlamaEmbedder()).score(ICP_FIN, [Profile(headline="Financial Controller at Acme"),
                                                    Profile(headline="Student at Eastbridge")])
    assert isinstance(r[0].components["p_keep"], float)
    assert round(r[0].components["p_keep"], 6) == r[0].components["probability"]
    assert r[1].components["p_keep"] == 0.0 and r[1].icp_score == 0.0
