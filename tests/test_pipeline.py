"""Qualification runs on a real Postgres: stages, retries to `failed`, pause/resume, leases."""

from __future__ import annotations

import threading
import time
from typing import Iterator, Sequence

import pytest
import sqlalchemy as sa

from icp_engine.domain import ICP, Follower, Profile, ScoreResult, bucket_for
from icp_engine.engine import Engine
from icp_engine.enrich import EnrichOutcome, EnrichRequest
from icp_engine.enrich.page import PageProvider
from icp_engine.errors import RunBusy, RunStopped
from icp_engine.pipeline import MAX_ATTEMPTS, RunContext, RunOptions
from icp_engine.runs import RunExecutor, claim_run
from icp_engine.wiring import Wiring


class LengthScorer:
    """Deterministic stand-in for the scorer: these tests check the run's bookkeeping."""

    version = "length-test"

    def __init__(self):
        self.calls = 0

    def score(self, icp: ICP, profiles: Sequence[Profile]) -> list[ScoreResult]:
        self.calls += 1
        out = []
        for p in profiles:
            s = float(min(100, len(p.headline or "") * 2))
            out.append(ScoreResult(s, bucket_for(s), f"len={len(p.headline or '')}", {"len": len(p.headline or "")}))
        return out


class FlakyProvider:
    """Fails retryably for the listed keys (always), else behaves like the page provider."""

    name = "flaky"

    def __init__(self, failing: set[str], fatal: set[str] = frozenset()):
        self.failing, self.fatal = failing, fatal
        self.seen: list[str] = []
        self.page = PageProvider()

    def enrich(self, requests: Sequence[EnrichRequest]) -> Iterator[EnrichOutcome]:
        ok = []
        for r in requests:
            self.seen.append(r.key)
            if r.key in self.fatal:
                yield EnrichOutcome(lead_id=r.lead_id, error="profile is private", retryable=False)
            elif r.key in self.failing:
                yield EnrichOutcome(lead_id=r.lead_id, error="no item returned", retryable=True)
            else:
                ok.append(r)
        yield from self.page.enrich(ok)


def _people(n: int) -> list[Follower]:
    return [
        Follower(key=f"p{i:03d}", url=f"https://www.linkedin.com/in/p{i:03d}",
                 profile_url=f"https://www.linkedin.com/in/p{i:03d}", vanity=f"p{i:03d}",
                 name=f"Person {i}", headline="CFO at Example " + "x" * (i % 40))
        for i in range(n)
    ]


@pytest.fixture()
def engine(db, settings):
    return Engine(settings, db=db)


def _setup(engine: Engine, n: int = 12, chunk: int = 5):
    c = engine.create_client("Pipe")
    engine.save_icp(c["id"], ICP(target_titles=["CFO"]))
    b = engine.ingest_followers(c["id"], _people(n), batch_name="b")
    run_id = engine.create_run(c["id"], batch_id=b["id"], options=RunOptions(chunk_size=chunk, classify=False))
    return c, b, run_id


def test_run_enriches_scores_and_records_icp_version(engine):
    c, b, run_id = _setup(engine)
    progress = []
    ctx = RunContext(provider=PageProvider(), scorer=LengthScorer())
    final = RunExecutor(engine.db, run_id, ctx, on_progress=progress.append).execute()
    assert final["status"] == "completed"
    counts = {k: final["counts"][k] for k in ("total", "discovered", "enriched", "failed", "classified", "scored")}
    assert counts == {"total": 12, "discovered": 0, "enriched": 12, "failed": 0, "classified": 0, "scored": 12}
    assert [p["stage"] for p in progress][0] == "enrich" and progress[-1]["stage"] == "done"
    with engine.db.connect() as conn:
        statuses = conn.execute(sa.text("SELECT DISTINCT status FROM leads")).scalars().all()
        versions = conn.execute(sa.text("SELECT DISTINCT icp_version_id FROM lead_scores")).scalars().all()
        titles = conn.execute(sa.text("SELECT titles, company FROM leads ORDER BY id LIMIT 1")).one()
    assert statuses == ["qualified"]
    assert versions == [engine.current_icp(c["id"])[0]["id"]]
    assert titles.titles == ["CFO"] and titles.company.startswith("Example")


def test_retryable_failures_become_failed_after_three_attempts(engine):
    c, b, run_id = _setup(engine, n=6, chunk=10)
    prov = FlakyProvider(failing={"p001"}, fatal={"p002"})
    final = RunExecutor(engine.db, run_id, RunContext(provider=prov, scorer=LengthScorer())).execute()
    assert final["counts"]["failed"] == 2 and final["counts"]["scored"] == 4
    assert prov.seen.count("p001") == MAX_ATTEMPTS
    assert prov.seen.count("p002") == 1
    with engine.db.connect() as conn:
        rows = {r.profile_key: r for r in conn.execute(
            sa.text("SELECT profile_key, status, retry_count, error_message FROM leads"))}
    assert (rows["p001"].status, rows["p001"].retry_count, rows["p001"].error_message) == ("failed", 3, "no item returned")
    assert (rows["p002"].status, rows["p002"].error_message) == ("failed", "profile is private")
    # the user retries failed leads: back to discovered with a fresh count
    assert engine.retry_failed(c["id"], b["id"]) == 2
    with engine.db.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM leads WHERE status='discovered' AND retry_count=0")).scalar_one() == 2


def test_pause_between_chunks_then_resume_loses_nothing(engine):
    c, b, run_id = _setup(engine, n=23, chunk=5)

    class PausingScorer(LengthScorer):
        def score(self, icp, profiles):
            out = super().score(icp, profiles)
            if self.calls == 1:
                engine.pause_run(run_id)  # another process pauses the run mid-way
            return out

    ctx = RunContext(provider=PageProvider(), scorer=PausingScorer())
    with pytest.raises(RunStopped):
        RunExecutor(engine.db, run_id, ctx).execute()
    st = engine.run_status(run_id)
    assert st["status"] == "paused" and 0 < st["counts"]["scored"] < 23
    assert engine.requeue_run(run_id)
    final = RunExecutor(engine.db, run_id, RunContext(provider=PageProvider(), scorer=LengthScorer())).execute()
    assert final["status"] == "completed" and final["counts"]["scored"] == 23
    with engine.db.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM lead_scores")).scalar_one() == 23


def test_lease_blocks_second_worker_until_stale(engine):
    c, b, run_id = _setup(engine, n=3)
    claim_run(engine.db, run_id, "worker-a")
    with pytest.raises(RunBusy):
        claim_run(engine.db, run_id, "worker-b")
    with engine.db.begin() as conn:  # worker-a died two minutes ago
        conn.execute(sa.text("UPDATE runs SET heartbeat_at = now() - interval '2 minutes' WHERE id=:i"), {"i": run_id})
    row = claim_run(engine.db, run_id, "worker-b")
    assert row["worker_id"] == "worker-b" and row["status"] == "running"


def test_resume_unfinished_runs_in_background(engine):
    c, b, run_id = _setup(engine, n=4)
    engine = Engine(engine.settings, db=engine.db, wiring=Wiring(engine.settings, engine.db, scorer=LengthScorer()))
    resumed = engine.resume_unfinished_runs()
    assert resumed == [run_id]
    deadline = time.monotonic() + 120
    while engine.is_running_here(run_id) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert engine.run_status(run_id)["status"] == "completed"


def test_two_workers_share_the_queue_without_double_work(engine, db, settings):
    """Two engines (as on two machines) drain queued runs; each run is executed once."""
    c = engine.create_client("Workers")
    engine.save_icp(c["id"], ICP(target_titles=["CFO"]))
    runs = []
    for k in range(4):
        b = engine.ingest_followers(c["id"], _people(10)[k * 2:(k + 1) * 2 + 3], batch_name=f"b{k}")
        runs.append(engine.create_run(c["id"], batch_id=b["id"], options=RunOptions(classify=False)))
    engine, other = (Engine(settings, db=db, wiring=Wiring(settings, db, scorer=LengthScorer())) for _ in range(2))
    done = []
    threads = [threading.Thread(target=lambda e=e: done.append(e.work(once=True))) for e in (engine, other)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    assert sum(done) == 4
    with db.connect() as conn:
        assert set(conn.execute(sa.text("SELECT status FROM runs")).scalars()) == {"completed"}
        assert conn.execute(sa.text("SELECT count(*), count(DISTINCT lead_id) FROM lead_scores")).one() == (10, 10)


def test_apify_json_run_caches_matched_items(engine):
    """Through the pipeline: the apify-json provider stores what it matched in the profile cache."""
    from tests.conftest import FIXTURES

    c = engine.create_client("Export")
    engine.save_icp(c["id"], ICP(target_titles=["CFO"]))
    people = [Follower(key=k, url=f"https://www.linkedin.com/in/{k}", profile_url=f"https://www.linkedin.com/in/{k}",
                       vanity=k, name=k.title(), headline="Finance") for k in ("maren-okafor-lind", "nobody-here")]
    b = engine.ingest_followers(c["id"], people, batch_name="b")
    opts = RunOptions(enrich="apify-json", profiles_path=str(FIXTURES / "enrich" / "apify_items.json"), classify=False)
    run_id = engine.create_run(c["id"], batch_id=b["id"], options=opts)
    assert engine.execute_run(run_id)["counts"]["scored"] == 2
    with engine.db.connect() as conn:
        cached = conn.execute(sa.text("SELECT profile_key, source FROM profile_cache")).all()
        sources = dict(conn.execute(sa.text("SELECT profile_key, enrichment_source FROM leads")).all())
    assert [tuple(r) for r in cached] == [("maren-okafor-lind", "apify-json")]
    assert sources == {"maren-okafor-lind": "apify-json", "nobody-here": "page"}
