"""Run stages overlap their database work with their Python work (issue 15, icp_engine.overlap).

Unit tests of :class:`WriteBehind` (order, one write in flight, errors, stopping), then on a real Postgres: a run with the overlap stores exactly what a run without
it stores (leads, scores, vectors), and a foreground wait shows the executor's own progress
reports instead of counting the leads again every 0.25 s.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from icp_engine import pipeline, runs
from icp_engine.domain import ICP
from icp_engine.engine import Engine
from icp_engine.overlap import WriteBehind
from icp_engine.pipeline import RunOptions, RunStages

ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------ WriteBehind


def test_write_behind_keeps_order_one_write_in_flight_and_runs_then_in_the_callers_thread():
    events: list[tuple[str, int, str]] = []
    in_flight = []
    caller = threading.current_thread().name

    def write(k: int):
        def run() -> int:
            in_flight.append(k)
            assert len(in_flight) == 1, in_flight  # never two writes at once
            time.sleep(0.02)
            events.append(("write", k, threading.current_thread().name))
            in_flight.remove(k)
            return k * 10
        return run

    with WriteBehind() as w:
        for k in range(5):
            events.append(("computed", k, caller))  # chunk k computed (while chunk k-1 is written)
            w.submit(write(k), lambda r, k=k: events.append(("then", r // 10, threading.current_thread().name)))
    order = [(e, k) for e, k, _ in events]
    # chunk k+1 is computed while chunk k is written; k's then runs before k+1 is submitted
    assert [x for x in order if x[0] != "computed"] == [(e, k) for k in range(5) for e in ("write", "then")]
    assert order.index(("computed", 1)) < order.index(("then", 0))
    assert all(t != caller for e, _, t in events if e == "write")
    assert all(t == caller for e, _, t in events if e == "then")


def test_write_behind_raises_a_failed_write_at_the_next_chunk_and_skips_its_then():
    thens = []

    def boom() -> None:
        raise RuntimeError("disk full")

    w = WriteBehind()
    w.submit(boom, thens.append)
    with pytest.raises(RuntimeError, match="disk full"):
        w.submit(lambda: 1, thens.append)
    assert thens == []
    w.__exit__(None, None, None)


def test_write_behind_waits_for_the_write_in_flight_when_the_stage_stops():
    done = []

    def slow() -> None:
        time.sleep(0.1)
        done.append("committed")

    with pytest.raises(KeyError):
        with WriteBehind() as w:
            w.submit(slow)
            raise KeyError("stopped")
    assert done == ["committed"]


def test_write_behind_disabled_writes_at_once():
    got = []
    w = WriteBehind(enabled=False)
    w.submit(lambda: 7, got.append)
    assert got == [7]


# ------------------------------------------------------------------ through a real run


def _page(n: int) -> bytes:
    spec = importlib.util.spec_from_file_location("follower_pages", ROOT / "benchmarks" / "follower_pages.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.make_page(n, seed=5)


_ICP = ICP(target_titles=["CFO", "VP Finance"], target_industries=["Software Development"], company_sizes=["51-200"])


def _snapshot(engine: Engine, client_id: int) -> dict[str, tuple]:
    with engine.db.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT l.profile_key, l.status, l.titles, l.company, l.name_key, l.industry_class, l.company_type, "
            "l.industry_guess, s.icp_score, s.bucket, s.match_reasoning, s.components, e.embedding::text AS vec "
            "FROM leads l LEFT JOIN lead_scores s ON s.lead_id = l.id "
            "LEFT JOIN lead_embeddings e ON e.lead_id = l.id WHERE l.client_id = :c"), {"c": client_id}).all()
    return {r[0]: tuple(r[1:]) for r in rows}


@pytest.fixture()
def engine(db, settings):
    return Engine(settings, db=db)


def test_a_run_with_overlap_stores_exactly_what_a_run_without_it_stores(engine, monkeypatch):
    parsed = engine.parse_upload("followers.html", _page(900))
    snaps = {}
    for overlap in (True, False):
        monkeypatch.setattr(RunStages, "overlap", overlap)
        c = engine.create_client(f"overlap {overlap}")
        engine.save_icp(c["id"], _ICP)
        b = engine.ingest_followers(c["id"], parsed.people, batch_name="b", source_kind=parsed.kind)
        options = RunOptions(chunk_size=50)  # chunks of 50, 100, 200: many writes behind
        run_id = engine.create_run(c["id"], batch_id=b["id"], options=options)
        final = engine.execute_run(run_id)
        assert final["status"] == "completed"
        assert final["counts"]["scored"] == final["counts"]["embedded"] == 900
        snaps[overlap] = _snapshot(engine, c["id"])
    fast, ref = snaps[True], snaps[False]
    assert fast.keys() == ref.keys() and len(ref) == 900
    assert [k for k in ref if fast[k][:-1] != ref[k][:-1]] == []
    for k in ref:
        assert ref[k][-1] is not None
        np.testing.assert_array_equal(np.array(fast[k][-1].strip("[]").split(","), dtype=np.float32),
                                      np.array(ref[k][-1].strip("[]").split(","), dtype=np.float32))
    assert {v[0] for v in fast.values()} == {"qualified"}


def test_a_failed_chunk_write_fails_the_run_and_the_next_execution_completes_it(engine, monkeypatch):
    """A write that fails in the background thread fails the run (not lost); executing it again
    scores every lead (the chunks written before the failure are kept)."""
    parsed = engine.parse_upload("followers.html", _page(300))
    c = engine.create_client("write fails")
    engine.save_icp(c["id"], _ICP)
    b = engine.ingest_followers(c["id"], parsed.people, batch_name="b", source_kind=parsed.kind)
    run_id = engine.create_run(c["id"], batch_id=b["id"], options=RunOptions(chunk_size=25, classify=False))
    real = pipeline.scores_sql.write_scores
    calls = []

    def failing(conn, *a, **kw):
        calls.append(threading.current_thread().name)
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return real(conn, *a, **kw)

    monkeypatch.setattr(pipeline.scores_sql, "write_scores", failing)
    with pytest.raises(Exception, match="the database went away"):
        engine.execute_run(run_id)
    assert all(name.startswith("icp-write") for name in calls)  # written in the background thread
    with engine.db.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM lead_scores")).scalar_one() > 0
    monkeypatch.setattr(pipeline.scores_sql, "write_scores", real)
    engine.runs.requeue(run_id)
    assert engine.execute_run(run_id)["counts"]["scored"] == 300


def test_a_foreground_wait_shows_the_executors_progress_without_counting_again(engine, monkeypatch):
    parsed = engine.parse_upload("followers.html", _page(400))
    c = engine.create_client("waiting")
    engine.save_icp(c["id"], _ICP)
    b = engine.ingest_followers(c["id"], parsed.people, batch_name="b", source_kind=parsed.kind)
    run_id = engine.create_run(c["id"], batch_id=b["id"], options=RunOptions(chunk_size=25))
    real_score = RunStages._score_rows

    def slow_score(self, lead_ids, profiles):
        time.sleep(0.5)  # the run lasts a few seconds: several 0.25 s polls of the wait loop
        return real_score(self, lead_ids, profiles)

    counted: list[str] = []
    real_progress = runs.run_progress

    def counting(*a, **kw):
        counted.append(threading.current_thread().name)
        return real_progress(*a, **kw)

    monkeypatch.setattr(RunStages, "_score_rows", slow_score)
    monkeypatch.setattr(runs, "run_progress", counting)
    shown: list[dict] = []
    main = threading.current_thread().name
    t0 = time.monotonic()
    final = engine.execute_run(run_id, on_progress=shown.append)
    elapsed = time.monotonic() - t0
    assert final["status"] == "completed" and final["counts"]["scored"] == 400
    # a wait loop that counts every 0.25 s would count > 8 times; this one counts while the models
    # load (the run is not executing yet) and once at the end: the executor's reports feed the bars
    assert elapsed > 2.0
    assert counted.count(main) <= 3, counted
    assert len(counted) > 2
    running = [p for p in shown[:-1] if p["status"] == "running"]
    assert len(running) >= 3
    done = [p["counts"]["scored"] for p in running]
    assert done == sorted(done) and done[-1] > 0
    assert shown[-1]["status"] == "completed"
