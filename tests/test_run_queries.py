"""The run's per-stage queries select the same leads as their plain definitions, with plans that do
not depend on the planner's statistics (issue 15)."""

from __future__ import annotations

import sqlalchemy as sa

from icp_engine.db import leads as leads_sql
from icp_engine.db import scores as scores_sql
from icp_engine.db.schema import lead_scores, leads
from icp_engine.domain import ICP, Follower
from icp_engine.engine import Engine


def _people(n: int) -> list[Follower]:
    return [Follower(key=f"p-{i}", url=f"https://www.linkedin.com/in/p-{i}",
                     profile_url=f"https://www.linkedin.com/in/p-{i}", vanity=f"p-{i}",
                     name=f"Person {i}", headline="CFO at Veldmark") for i in range(n)]


def _scope(db, settings, n: int):
    eng = Engine(settings, db=db)
    c = eng.create_client("queries")
    ver = eng.save_icp(c["id"], ICP(target_titles=["CFO"]))
    b = eng.ingest_followers(c["id"], _people(n), batch_name="b")
    return c["id"], b["id"], ver["id"]


def _score(conn, lead_id: int, version: int, scored_at: str) -> None:
    conn.execute(lead_scores.insert().values(
        lead_id=lead_id, icp_version_id=version, icp_score=50.0, bucket="medium", match_reasoning="r",
        scorer_version="t", scored_at=sa.text(f"TIMESTAMPTZ '{scored_at}'")))


def test_unscored_is_not_has_fresh_score_for_every_case(db, settings):
    client_id, batch_id, version = _scope(db, settings, 8)
    with db.begin() as conn:
        ids = [int(i) for i in conn.execute(sa.select(leads.c.id).order_by(leads.c.id)).scalars()]
        # 0 discovered (not scorable); 1 enriched, no score; 2 enriched, fresh score; 3 enriched since
        # its score (stale); 4 enriched_at NULL with a score; 5 failed, no score; 6 qualified with a
        # score of another version only; 7 exported, score at the same instant as the enrichment
        states = {1: "enriched", 2: "qualified", 3: "qualified", 4: "qualified", 5: "failed", 6: "qualified",
                  7: "exported"}
        for k, st in states.items():
            conn.execute(leads.update().where(leads.c.id == ids[k]).values(
                status=st, enriched_at=None if k == 4 else sa.text("TIMESTAMPTZ '2026-01-02 00:00+00'")))
        other = conn.execute(sa.text(
            "INSERT INTO client_icps (client_id, version, icp) SELECT client_id, version + 1, icp "
            "FROM client_icps WHERE id = :v RETURNING id"), {"v": version}).scalar_one()
        _score(conn, ids[2], version, "2026-01-03 00:00+00")
        _score(conn, ids[3], version, "2026-01-01 00:00+00")
        _score(conn, ids[4], version, "2026-01-01 00:00+00")
        _score(conn, ids[6], other, "2026-01-03 00:00+00")
        _score(conn, ids[7], version, "2026-01-02 00:00+00")
    plain = sa.and_(leads.c.status.in_(scores_sql.SCORABLE), ~scores_sql.has_fresh_score(version))
    with db.connect() as conn:
        got = [r["id"] for r in leads_sql.lead_chunk(conn, client_id, batch_id, scores_sql.unscored(version), 0, 100,
                                                     ["id"])]
        want = [int(i) for i in conn.execute(sa.select(leads.c.id).where(plain).order_by(leads.c.id)).scalars()]
    assert got == want == [ids[1], ids[3], ids[5], ids[6]]


def test_the_score_stage_query_probes_the_score_index_not_an_anti_join(db, settings):
    # With statistics from before the enrich stage wrote a new version's scores, an anti join
    # planned for "no scores" compared each lead with every score (2-7 s at 10,000 leads), and a
    # subquery on the version's index scanned all its scores for each lead (24 s).
    client_id, batch_id, version = _scope(db, settings, 3)
    q = sa.select(leads.c.id).where(leads_sql.scope_condition(client_id, batch_id), scores_sql.unscored(version))
    with db.connect() as conn:
        sql = str(q.compile(conn, compile_kwargs={"literal_binds": True}))
        plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + sql).scalars())
    assert "Anti Join" not in plan, plan
    assert "lead_scores_pkey" in plan, plan
    assert "lead_scores_version_score" not in plan, plan


def test_an_upload_refreshes_the_scope_statistics_however_large_the_table(db, settings, monkeypatch):
    # a new client's upload that is a small share of a large table still gets statistics before
    # its run starts (with stale ones the run's estimate, progress counts and chunk reads took seconds)
    monkeypatch.setattr(leads_sql, "ANALYZE_MIN_ROWS", 10)
    eng = Engine(settings, db=db)
    big = eng.create_client("big")
    eng.ingest_followers(big["id"], _people(300), batch_name="b")
    small = eng.create_client("small")
    eng.ingest_followers(small["id"], [Follower(key=f"s-{i}", url=f"https://www.linkedin.com/in/s-{i}",
                                                profile_url=f"https://www.linkedin.com/in/s-{i}", vanity=f"s-{i}",
                                                name=f"Small {i}") for i in range(20)], batch_name="s")
    with db.connect() as conn:
        tuples = conn.exec_driver_sql("SELECT reltuples FROM pg_class WHERE oid = 'leads'::regclass").scalar_one()
        vals = conn.exec_driver_sql(
            "SELECT most_common_vals::text::bigint[] FROM pg_stats WHERE tablename = 'leads' AND attname = 'client_id'"
        ).scalar_one()
    assert tuples == 320
    assert small["id"] in vals
    few = eng.create_client("few")
    eng.ingest_followers(few["id"], _people(5), batch_name="f")  # under the minimum: no ANALYZE
    with db.connect() as conn:
        assert conn.exec_driver_sql("SELECT reltuples FROM pg_class WHERE oid = 'leads'::regclass").scalar_one() == 320


def test_a_run_that_wrote_many_scores_refreshes_their_statistics(db, settings, monkeypatch):
    from icp_engine import pipeline
    from icp_engine.pipeline import RunOptions

    monkeypatch.setattr(leads_sql, "ANALYZE_MIN_ROWS", 10)
    calls: list[int] = []
    real = pipeline.scores_sql.analyze_scores
    monkeypatch.setattr(pipeline.scores_sql, "analyze_scores", lambda conn: (calls.append(1), real(conn)))
    eng = Engine(settings, db=db)
    client_id, batch_id, version = _scope(db, settings, 30)
    run_id = eng.create_run(client_id, batch_id=batch_id, options=RunOptions(chunk_size=10, classify=False))
    with db.connect() as conn:
        t0 = conn.exec_driver_sql("SELECT clock_timestamp()").scalar_one()
    assert eng.execute_run(run_id)["counts"]["scored"] == 30
    assert calls == [1]  # once, after the enrich stage scored the 30 leads; the score stage wrote none
    with db.connect() as conn:
        analysed_after = conn.exec_driver_sql(
            "SELECT last_analyze >= %(t)s FROM pg_stat_user_tables WHERE relname = 'lead_scores'", {"t": t0}).scalar()
    assert analysed_after is True
