"""The fast run path gives the same result as the stage-by-stage one (issue 15).

The enrich stage classifies and scores each chunk it enriched before writing it once
(``RunStages.one_pass``; the whole-profile vectors stay a stage of their own); the reference path
writes ``enriched`` leads and lets the classify, embed and score stages read them back. Both run here with the offline defaults (page
enrichment, the classifier, WordLlama whole-profile vectors, the real scorer) on the same
generated page of a few thousand followers with varied titles, companies and headlines, for two
clients; every stored value that a user sees or a later run reads must be identical.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from icp_engine import pipeline
from icp_engine.domain import ICP
from icp_engine.engine import Engine
from icp_engine.pipeline import RunOptions, RunStages
from icp_engine.runs import RunExecutor

ROOT = Path(__file__).resolve().parent.parent
N_FOLLOWERS = 2500

_LEAD_COLS = ("status", "name", "headline", "location", "titles", "company", "company_size", "industry", "summary",
              "past_roles", "skills", "enrichment_source", "enrichment_note", "industry_class", "company_type",
              "classification_reason", "classification_source", "industry_guess", "industry_source",
              "company_type_source", "company_type_is_guess")


def _page(n: int) -> bytes:
    spec = importlib.util.spec_from_file_location("follower_pages", ROOT / "benchmarks" / "follower_pages.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.make_page(n, seed=3)


def _snapshot(engine: Engine, client_id: int) -> dict[str, dict]:
    cols = ", ".join(f"l.{c}" for c in _LEAD_COLS)
    with engine.db.connect() as conn:
        rows = conn.execute(sa.text(
            f"SELECT l.profile_key, {cols}, s.icp_score, s.bucket, s.match_reasoning, s.components, s.scorer_version, "
            "e.embedding::text AS vec FROM leads l "
            "LEFT JOIN lead_scores s ON s.lead_id = l.id "
            "LEFT JOIN lead_embeddings e ON e.lead_id = l.id WHERE l.client_id = :c"), {"c": client_id}).mappings()
        return {r["profile_key"]: dict(r) for r in rows}


@pytest.fixture()
def engine(db, settings):
    return Engine(settings, db=db)


def test_one_pass_run_stores_exactly_what_the_stage_by_stage_run_stores(engine, monkeypatch):
    parsed = engine.parse_upload("followers.html", _page(N_FOLLOWERS))
    assert len(parsed.people) == N_FOLLOWERS
    icp = ICP(target_titles=["CFO", "VP Finance", "Head of Finance"],
              target_industries=["Software Development", "Financial Services"], company_sizes=["51-200", "201-500"])
    snaps = {}
    # same chunks on both paths: the score stage's small first chunks (pipeline.FIRST_CHUNK, for an
    # early rate) would change the scorer's batches, and its float32 matrix products differ in the
    # last bits with the batch shape (p_keep in components, ~1e-7 relative; icp_score is the same)
    monkeypatch.setattr(pipeline, "FIRST_CHUNK", 10_000)
    for one_pass in (True, False):
        monkeypatch.setattr(RunStages, "one_pass", one_pass)
        c = engine.create_client(f"equivalence {one_pass}")
        engine.save_icp(c["id"], icp)
        b = engine.ingest_followers(c["id"], parsed.people, batch_name="b", source_kind=parsed.kind)
        options = RunOptions(chunk_size=300)  # 1,200-lead chunks: several per stage
        run_id = engine.create_run(c["id"], batch_id=b["id"], options=options)
        final = RunExecutor(engine.db, run_id, engine.wiring.run_context(options, run_id)).execute()
        assert final["status"] == "completed"
        assert final["counts"]["scored"] == final["counts"]["classified"] == N_FOLLOWERS
        stages = final.get("stage", "")
        assert stages == "done"
        snaps[one_pass] = _snapshot(engine, c["id"])

    fast, ref = snaps[True], snaps[False]
    assert fast.keys() == ref.keys() and len(fast) == N_FOLLOWERS
    # the page has variety: many distinct titles and scores, not a handful repeated
    assert len({tuple(r["titles"]) for r in ref.values()}) > 800
    assert len({r["icp_score"] for r in ref.values()}) > 50
    diffs = [(k, c, fast[k][c], ref[k][c]) for k in ref for c in ref[k] if c != "vec" and fast[k][c] != ref[k][c]]
    assert diffs == []
    for k in ref:
        assert ref[k]["vec"] is not None
        np.testing.assert_array_equal(np.array(fast[k]["vec"].strip("[]").split(","), dtype=np.float32),
                                      np.array(ref[k]["vec"].strip("[]").split(","), dtype=np.float32))
    assert {r["status"] for r in fast.values()} == {"qualified"}


def test_re_enrichment_one_pass_stores_and_reports_what_the_stage_by_stage_run_does(engine, monkeypatch):
    """After a page-data run, an Apify export enriches 4 of the 12 leads again: the one-pass run
    (which classifies and re-scores them in the enrich stage) stores the same leads, scores
    and vectors as the stage-by-stage run, and counts the same changes (re-enriched, filled fields,
    re-scored, bucket moves)."""
    from icp_engine.enums import EnrichProvider

    page = (ROOT / "tests" / "fixtures" / "ui" / "followers_finance.html").read_bytes()
    items = ROOT / "tests" / "fixtures" / "ui" / "apify_items_finance.json"
    icp = ICP(target_titles=["CFO", "VP Finance", "Head of Finance"],
              target_industries=["Software Development", "Financial Services"], company_sizes=["51-200", "201-500"])
    snaps, changes = {}, {}
    for one_pass in (True, False):
        monkeypatch.setattr(RunStages, "one_pass", one_pass)
        c = engine.create_client(f"re-enrichment {one_pass}")
        engine.save_icp(c["id"], icp)
        engine.store_upload(c["id"], [engine.preview_upload(c["id"], "followers.html", page)], batch_name="b")
        for options in (RunOptions(), RunOptions(enrich=EnrichProvider.APIFY_JSON, profiles_path=str(items))):
            run_id = engine.create_run(c["id"], options=options)
            final = RunExecutor(engine.db, run_id, engine.wiring.run_context(options, run_id)).execute()
            assert final["status"] == "completed"
        snaps[one_pass] = _snapshot(engine, c["id"])
        changes[one_pass] = final["changes"]
    fast, ref = snaps[True], snaps[False]
    assert fast.keys() == ref.keys() and len(fast) == 12
    assert sum(r["enrichment_source"] == "apify-json" for r in ref.values()) == 4
    diffs = [(k, c, fast[k][c], ref[k][c]) for k in ref for c in ref[k] if c != "vec" and fast[k][c] != ref[k][c]]
    assert diffs == []
    for k in ref:
        np.testing.assert_array_equal(np.array(fast[k]["vec"].strip("[]").split(","), dtype=np.float32),
                                      np.array(ref[k]["vec"].strip("[]").split(","), dtype=np.float32))
    assert changes[True] == changes[False]
    assert changes[True]["reenriched"] == 4 and changes[True]["no_better_data"] == 8
    assert changes[True]["rescored"] == 4 and changes[True]["filled"]["company_size"] == 4
