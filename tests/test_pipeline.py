"""Qualification runs on a real Postgres: stages, retries to `failed`, pause/resume/cancel through the
job queue (procrastinate), one run of a client at a time, two workers draining one queue."""

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
from icp_engine.errors import RunStopped
from icp_engine.pipeline import MAX_ATTEMPTS, RunContext, RunOptions
from icp_engine.runs import RunExecutor
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
    keys = ("total", "discovered", "enriched", "failed", "not_enriched", "no_url", "classified", "scored")
    counts = {k: final["counts"][k] for k in keys}
    assert counts == {"total": 12, "discovered": 0, "enriched": 12, "failed": 0, "not_enriched": 0, "no_url": 0,
                      "classified": 0, "scored": 12}
    assert [p["stage"] for p in progress][0] == "enrich" and progress[-1]["stage"] == "done"
    with engine.db.connect() as conn:
        statuses = conn.execute(sa.text("SELECT DISTINCT status FROM leads")).scalars().all()
        versions = conn.execute(sa.text("SELECT DISTINCT icp_version_id FROM lead_scores")).scalars().all()
        titles = conn.execute(sa.text("SELECT titles, company FROM leads ORDER BY id LIMIT 1")).one()
    assert statuses == ["qualified"]
    assert versions == [engine.current_icp(c["id"])[0]["id"]]
    assert titles.titles == ["CFO"] and titles.company.startswith("Example")


def test_retryable_failures_become_failed_after_three_attempts_and_are_still_qualified(engine):
    c, b, run_id = _setup(engine, n=6, chunk=10)
    prov = FlakyProvider(failing={"p001"}, fatal={"p002"})
    final = RunExecutor(engine.db, run_id, RunContext(provider=prov, scorer=LengthScorer())).execute()
    # nothing dropped: the two failed leads are scored on the upload's data
    assert final["counts"]["failed"] == 2 and final["counts"]["not_enriched"] == 2
    assert final["counts"]["scored"] == 6
    assert prov.seen.count("p001") == MAX_ATTEMPTS
    assert prov.seen.count("p002") == 1
    with engine.db.connect() as conn:
        rows = {r.profile_key: r for r in conn.execute(sa.text(
            "SELECT profile_key, status, retry_count, error_message, enrichment_note, enrichment_source, titles, "
            "company FROM leads"))}
        scored = conn.execute(sa.text("SELECT count(*) FROM lead_scores")).scalar_one()
    assert (rows["p001"].status, rows["p001"].retry_count, rows["p001"].error_message) == ("failed", 3, "no item returned")
    assert (rows["p002"].status, rows["p002"].error_message) == ("failed", "profile is private")
    assert rows["p001"].enrichment_note == "enrichment: no item returned"
    assert rows["p002"].enrichment_note == "enrichment: profile is private"
    # the upload's data, completed from the headline like the page provider does
    assert rows["p001"].enrichment_source == "page" and rows["p001"].titles == ["CFO"]
    assert rows["p001"].company.startswith("Example")
    assert rows["p000"].enrichment_note is None and rows["p000"].status == "qualified"
    assert scored == 6
    csv = engine.export_csv(c["id"], batch_id=b["id"]).decode("utf-8-sig")
    lines = {line.split(",")[0]: line for line in csv.splitlines()[1:]}
    assert len(lines) == 6
    assert "enrichment: no item returned · len=" in lines["Person 1"] and ",not enriched" in lines["Person 1"]
    # the user retries failed leads: back to discovered with a fresh count, scores removed
    assert engine.retry_failed(c["id"], b["id"]) == 2
    with engine.db.connect() as conn:
        assert conn.execute(sa.text(
            "SELECT count(*) FROM leads WHERE status='discovered' AND retry_count=0 AND enrichment_note IS NULL"
        )).scalar_one() == 2
        assert conn.execute(sa.text("SELECT count(*) FROM lead_scores")).scalar_one() == 4
    run2 = engine.create_run(c["id"], batch_id=b["id"], options=RunOptions(chunk_size=10, classify=False))
    final2 = RunExecutor(engine.db, run2, RunContext(provider=PageProvider(), scorer=LengthScorer())).execute()
    assert final2["counts"]["failed"] == 0 and final2["counts"]["not_enriched"] == 0
    assert final2["counts"]["scored"] == 6


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


def _jobs(db) -> list:
    with db.connect() as conn:
        return conn.execute(sa.text(
            "SELECT j.id, j.status::text AS status, j.lock, j.queueing_lock, (j.args->>'run_id')::int AS run_id "
            "FROM procrastinate_jobs j ORDER BY j.id")).all()


def _wait_status(engine: Engine, run_id: int, statuses: tuple[str, ...], timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while engine.run_status(run_id)["status"] not in statuses and time.monotonic() < deadline:
        time.sleep(0.1)
    return engine.run_status(run_id)


def test_execute_goes_through_one_job_with_client_lock(engine):
    c, b, run_id = _setup(engine, n=7)
    engine = Engine(engine.settings, db=engine.db, wiring=Wiring(engine.settings, engine.db, scorer=LengthScorer()))
    assert engine.execute_run(run_id)["counts"]["scored"] == 7
    (job,) = _jobs(engine.db)
    assert (job.status, job.lock, job.queueing_lock, job.run_id) == ("succeeded", f"client:{c['id']}", f"run:{run_id}", run_id)
    with engine.db.connect() as conn:
        assert conn.execute(sa.text("SELECT job_id FROM runs WHERE id=:i"), {"i": run_id}).scalar_one() == job.id
    assert engine.runs.enqueue(run_id) is None  # a completed run is not queued again


def test_pause_resume_cancel_through_the_queue(engine):
    c, b, run_id = _setup(engine, n=23, chunk=5)
    svc_engine = engine

    class PausingScorer(LengthScorer):
        def score(self, icp, profiles):
            out = super().score(icp, profiles)
            if self.calls == 1:
                svc_engine.pause_run(run_id)  # another process pauses the run mid-way
            return out

    # cancelling a queued run cancels its waiting job: it never executes
    b2 = engine.ingest_followers(c["id"], _people(30)[23:], batch_name="b2")
    run2 = engine.create_run(c["id"], batch_id=b2["id"], options=RunOptions(classify=False))
    assert engine.runs.enqueue(run2) is not None
    assert engine.cancel_run(run2)
    assert [j.status for j in _jobs(engine.db)] == ["cancelled"]
    assert engine.run_status(run2)["status"] == "cancelled" and engine.run_status(run2)["counts"]["scored"] == 0

    engine = Engine(engine.settings, db=engine.db, wiring=Wiring(engine.settings, engine.db, scorer=PausingScorer()))
    with pytest.raises(RunStopped):
        engine.execute_run(run_id)
    st = engine.run_status(run_id)
    assert st["status"] == "paused" and 0 < st["counts"]["scored"] < 23
    assert [j.status for j in _jobs(engine.db)] == ["cancelled", "aborted"]  # procrastinate's record of the stopped job
    engine.resume_run(run_id)  # background worker of this process
    assert _wait_status(engine, run_id, ("completed", "failed"))["status"] == "completed"
    assert engine.run_status(run_id)["counts"]["scored"] == 23
    assert [j.status for j in _jobs(engine.db)] == ["cancelled", "aborted", "succeeded"]
    with engine.db.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*), count(DISTINCT lead_id) FROM lead_scores")).one() == (23, 23)
    assert engine.run_status(run2)["counts"]["scored"] == 0  # the cancelled run's leads were never scored


def test_runs_of_one_client_never_execute_at_the_same_time(engine, db, settings):
    """Two runs over overlapping leads of one client (the same command twice): the job lock makes
    the second wait; it then finds the leads done, scores nothing twice, and completes."""
    c = engine.create_client("Locked")
    engine.save_icp(c["id"], ICP(target_titles=["CFO"]))
    b1 = engine.ingest_followers(c["id"], _people(40), batch_name="first")
    b2 = engine.ingest_followers(c["id"], _people(40), batch_name="second")  # the same people again
    spans: dict[int, list[float]] = {}

    class SpanScorer(LengthScorer):
        def score(self, icp, profiles):
            time.sleep(0.2)
            return super().score(icp, profiles)

    r1 = engine.create_run(c["id"], batch_id=b1["id"], options=RunOptions(classify=False, chunk_size=5))
    r2 = engine.create_run(c["id"], batch_id=b2["id"], options=RunOptions(classify=False, chunk_size=5))
    workers = [Engine(settings, db=db, wiring=Wiring(settings, db, scorer=SpanScorer())) for _ in range(2)]
    for rid in (r1, r2):
        workers[0].runs.enqueue(rid)
    stop = threading.Event()
    threads = [threading.Thread(target=w.work, kwargs={"stop": stop, "poll_s": 0.2}) for w in workers]
    for th in threads:
        th.start()
    try:
        for rid in (r1, r2):
            assert _wait_status(engine, rid, ("completed", "failed"))["status"] == "completed"
    finally:
        stop.set()
        for th in threads:
            th.join(timeout=60)
    with db.connect() as conn:
        for rid, start, end in conn.execute(sa.text("SELECT id, started_at, finished_at FROM runs ORDER BY id")):
            spans[rid] = [start, end]
        assert conn.execute(sa.text("SELECT count(*), count(DISTINCT lead_id) FROM lead_scores")).one() == (40, 40)
    assert spans[r2][0] >= spans[r1][1]  # the second started after the first had finished
    assert engine.export_rows(c["id"], batch_id=b2["id"]).__len__() == 40  # the second's CSV is full


def test_resume_unfinished_runs_in_background(engine):
    c, b, run_id = _setup(engine, n=4)
    engine = Engine(engine.settings, db=engine.db, wiring=Wiring(engine.settings, engine.db, scorer=LengthScorer()))
    resumed = engine.resume_unfinished_runs()  # a run recorded by a process that died before queueing it
    assert resumed == [run_id]
    assert _wait_status(engine, run_id, ("completed", "failed"))["status"] == "completed"


def test_two_workers_share_the_queue_without_double_work(engine, db, settings):
    """Two engines (as on two machines) drain queued runs of several clients; each run executes once."""
    runs = []
    for k in range(6):
        c = engine.create_client(f"Workers {k}")
        engine.save_icp(c["id"], ICP(target_titles=["CFO"]))
        b = engine.ingest_followers(c["id"], _people(30)[k * 5:(k + 1) * 5], batch_name=f"b{k}")
        runs.append(engine.create_run(c["id"], batch_id=b["id"], options=RunOptions(classify=False)))
        engine.runs.enqueue(runs[-1])

    class SlowScorer(LengthScorer):
        def score(self, icp, profiles):
            time.sleep(0.5)
            return super().score(icp, profiles)

    engine, other = (Engine(settings, db=db, wiring=Wiring(settings, db, scorer=SlowScorer())) for _ in range(2))
    done: dict[str, int] = {}
    threads = [threading.Thread(target=lambda e=e, k=k: done.__setitem__(k, e.work(once=True)))
               for k, e in (("a", engine), ("b", other))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    assert sum(done.values()) == 6 and min(done.values()) >= 1, done  # both worked, nothing twice
    with db.connect() as conn:
        assert set(conn.execute(sa.text("SELECT status FROM runs")).scalars()) == {"completed"}
        assert conn.execute(sa.text("SELECT count(*), count(DISTINCT lead_id) FROM lead_scores")).one() == (30, 30)
    assert sorted((j.run_id, j.status) for j in _jobs(db)) == [(r, "succeeded") for r in runs]


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
