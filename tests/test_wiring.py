"""Wiring: models and providers built once, in one place; stand-ins injected through it; enums."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from icp_engine import (
    ICP,
    Bucket,
    EnrichProvider,
    Engine,
    Follower,
    InvalidInput,
    RerankerName,
    RunOptions,
    ScoreResult,
    bucket_for,
)
from icp_engine.embeddings.cache import CachedEmbedder
from icp_engine.enrich.apify import ApifyProvider
from icp_engine.enrich.apify_json import ApifyJsonProvider
from icp_engine.enrich.page import PageProvider
from icp_engine.wiring import Wiring, reranker_name
from tests.conftest import FIXTURES


class ConstantScorer:
    version = "constant-test"

    def __init__(self):
        self.calls = 0

    def score(self, icp, profiles):
        self.calls += 1
        return [ScoreResult(55.0, bucket_for(55.0), "constant", {}) for _ in profiles]


def test_scorer_is_built_once_per_reranker_and_top_n(settings, db):
    w = Wiring(settings, db)
    s1 = w.scorer()
    assert w.scorer(RerankerName.NONE) is s1 and w.scorer("none") is s1 and w.scorer(None) is s1
    assert w.scorer("none", 50) is not s1 and w.scorer("none", 50).rerank_top_n == 50
    assert s1.embedder is w.embedder and isinstance(w.embedder, CachedEmbedder)  # cached in Postgres
    assert s1.reranker is None and s1.rerank_top_n == settings.rerank_top_n
    assert not isinstance(Wiring(settings).embedder, CachedEmbedder)  # no database: no cache


def test_rerankers_and_unknown_names(settings):
    w = Wiring(settings)
    assert w.reranker("none") is None
    assert w.reranker(RerankerName.LOCAL).name
    with pytest.raises(InvalidInput, match="JINA_API_KEY"):
        w.reranker("jina")
    with pytest.raises(InvalidInput, match="unknown reranker"):
        reranker_name("magic")
    assert reranker_name(" Cohere ") is RerankerName.COHERE


def test_provider_per_option(settings, db):
    w = Wiring(settings, db)
    assert isinstance(w.provider(RunOptions()), PageProvider)
    items = str(FIXTURES / "enrich" / "apify_items.json")
    p = w.provider(RunOptions(enrich=EnrichProvider.APIFY_JSON, profiles_path=items))
    assert isinstance(p, ApifyJsonProvider) and p.db is db
    with pytest.raises(InvalidInput, match="--profiles"):
        w.provider(RunOptions(enrich="apify-json"))
    with pytest.raises(InvalidInput, match="APIFY_API_TOKEN"):
        w.provider(RunOptions(enrich="apify"))
    live = Wiring(settings.model_copy(update={"apify_api_token": "t"}), db).provider(RunOptions(enrich="apify"), 7)
    assert isinstance(live, ApifyProvider) and live.run_id == 7
    live.close()


def test_run_options_are_enums_and_round_trip_as_plain_json():
    o = RunOptions(enrich="apify-json", reranker="local", profiles_path="x.json")
    assert o.enrich is EnrichProvider.APIFY_JSON and o.reranker is RerankerName.LOCAL
    d = o.to_dict()
    assert json.loads(json.dumps(d)) == d and d["enrich"] == "apify-json" and type(d["enrich"]) is str
    assert RunOptions.from_dict({**d, "unknown_key": 1}) == o
    with pytest.raises(InvalidInput, match="unknown enrichment provider"):
        RunOptions(enrich="scrape-it")
    with pytest.raises(InvalidInput, match="unknown reranker"):
        RunOptions(reranker="magic")
    assert bucket_for(81) is Bucket.STRONG and bucket_for(10) == "poor"


def test_engine_runs_with_injected_stand_ins(settings, db):
    scorer = ConstantScorer()
    classified = []

    def classifier(profiles):
        classified.extend(profiles)
        return [None for _ in profiles]

    eng = Engine(settings, db=db, wiring=Wiring(settings, db, scorer=scorer, classifier=classifier))
    c = eng.create_client("Wired")
    eng.save_icp(c["id"], ICP(target_titles=["CFO"]))
    people = [Follower(key=f"w{i}", url=f"https://www.linkedin.com/in/w{i}", profile_url=f"https://www.linkedin.com/in/w{i}",
                       vanity=f"w{i}", name=f"W {i}", headline="CFO") for i in range(3)]
    b = eng.ingest_followers(c["id"], people, batch_name="b")
    run_id = eng.create_run(c["id"], batch_id=b["id"])
    assert eng.execute_run(run_id)["counts"]["scored"] == 3
    assert scorer.calls == 1 and len(classified) == 3
    assert eng.rank(ICP(target_titles=["CFO"]), []) == [] and scorer.calls == 2  # rank uses the same scorer
    with db.connect() as conn:
        stored = conn.execute(sa.text("SELECT options FROM runs WHERE id=:i"), {"i": run_id}).scalar_one()
        scores = conn.execute(sa.text("SELECT DISTINCT icp_score, bucket, scorer_version FROM lead_scores")).all()
    assert stored["enrich"] == "page" and stored["reranker"] == "none"
    assert [tuple(r) for r in scores] == [(55.0, "possible", "constant-test")]
