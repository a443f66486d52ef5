"""Engine facade on a real Postgres: clients, ICP versions, uploads/dedupe, review, export."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from icp_engine.domain import ICP, Follower, ScoreResult
from icp_engine.engine import Engine
from icp_engine.export import neutralise_cell
from icp_engine.db import Database
from icp_engine.db import schema


def F(key: str, name: str, headline: str, **kw) -> Follower:
    pid = key if key.startswith("ACoAA") else kw.pop("profile_id", None)
    vanity = None if key.startswith("ACoAA") else key
    return Follower(
        key=key, url=f"https://www.linkedin.com/in/{key}", profile_url=f"https://www.linkedin.com/in/{key}",
        profile_id=pid, vanity=kw.pop("vanity", vanity), name=name, headline=headline, **kw,
    )


@pytest.fixture()
def engine(db, settings):
    return Engine(settings, db=db)


def test_migrations_are_idempotent(db, settings):
    again = Database(settings, url=db.url)  # runs the migrations a second time
    with again.connect() as conn:
        from alembic.script import ScriptDirectory

        from icp_engine.db import alembic_config

        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == head
        assert conn.execute(sa.text("SELECT extname FROM pg_extension WHERE extname='vector'")).scalar_one() == "vector"
    again.dispose()


def test_client_names_unique_and_icp_versions(engine):
    c = engine.create_client("Acme")
    with pytest.raises(ValueError):
        engine.create_client("Acme")
    with pytest.raises(ValueError):
        engine.create_client("  ")
    v1 = engine.save_icp(c["id"], ICP(target_titles=["CFO"]), author="ana", note="first")
    same = engine.save_icp(c["id"], ICP(target_titles=["CFO"]), author="bob")
    assert same["id"] == v1["id"]  # identical ICP -> no new version
    v2 = engine.save_icp(c["id"], ICP(target_titles=["CFO", "VP Finance"]), author="bob", note="add VP")
    assert (v1["version"], v2["version"]) == (1, 2)
    hist = engine.icp_history(c["id"])
    assert [h["version"] for h in hist] == [2, 1]
    assert [h["created_by"] for h in hist] == ["bob", "ana"]
    row, icp = engine.current_icp(c["id"])
    assert row["version"] == 2 and icp.target_titles == ["CFO", "VP Finance"]


def test_upload_dedupes_against_earlier_batches_and_per_client(engine):
    a = engine.create_client("A")
    b = engine.create_client("B")
    people1 = [F("nora-vidal", "Nora Vidal", "VP Finance"), F("ACoAA7gRjI8ciBPv9ilUlfqoWSuAfSQ6DltNCgo", "Priya R", "CFO")]
    b1 = engine.ingest_followers(a["id"], people1, batch_name="one")
    assert (b1["new_leads"], b1["known_leads"]) == (2, 0)
    # second upload: Priya now seen under her vanity, with the id as alias -> known, not new
    people2 = [
        F("priya-raman", "Priya R", "CFO", profile_id="ACoAA7gRjI8ciBPv9ilUlfqoWSuAfSQ6DltNCgo"),
        F("new-person", "New Person", "Analyst"),
    ]
    b2 = engine.ingest_followers(a["id"], people2, batch_name="two")
    assert (b2["new_leads"], b2["known_leads"]) == (1, 1)
    # the same person is a separate lead of another client
    b3 = engine.ingest_followers(b["id"], people1, batch_name="b-one")
    assert b3["new_leads"] == 2
    with engine.db.connect() as conn:
        n_a = conn.execute(sa.text("SELECT count(*) FROM leads WHERE client_id=:c"), {"c": a["id"]}).scalar_one()
        members = conn.execute(sa.text("SELECT count(*) FROM batch_members WHERE batch_id=:b"), {"b": b2["id"]}).scalar_one()
        vanity = conn.execute(
            sa.text("SELECT vanity FROM leads WHERE client_id=:c AND profile_id LIKE 'ACoAA7g%'"), {"c": a["id"]}
        ).scalar_one()
    assert n_a == 3
    assert members == 2  # the batch scope includes the known lead
    assert vanity == "priya-raman"  # alias learnt from the second upload


def test_ingest_is_atomic_on_error(engine):
    c = engine.create_client("Atomic")
    bad = [F("ok-person", "Ok", "CFO"), Follower(key="broken", url=None, profile_url=None)]  # NOT NULL violation
    with pytest.raises(sa.exc.IntegrityError):
        engine.ingest_followers(c["id"], bad, batch_name="bad")
    with engine.db.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM batches")).scalar_one() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM leads")).scalar_one() == 0


def _score_directly(engine: Engine, client_id: int, scores: dict[str, float]) -> int:
    """Write lead_scores rows for the current ICP version (bypassing the scorer)."""
    ver, _ = engine.current_icp(client_id)
    with engine.db.begin() as conn:
        for key, s in scores.items():
            lid = conn.execute(sa.text("SELECT id FROM leads WHERE profile_key=:k AND client_id=:c"),
                               {"k": key, "c": client_id}).scalar_one()
            res = ScoreResult(icp_score=s, bucket="strong" if s >= 80 else "poor", match_reasoning=f"r{s}")
            conn.execute(schema.lead_scores.insert().values(
                lead_id=lid, icp_version_id=ver["id"], icp_score=res.icp_score, bucket=res.bucket,
                match_reasoning=res.match_reasoning, components={}, scorer_version="test"))
            conn.execute(sa.text("UPDATE leads SET status='qualified' WHERE id=:i"), {"i": lid})
    return ver["id"]


def test_review_order_is_seeded_random_not_by_score_and_feedback_undo(engine):
    c = engine.create_client("Rev")
    engine.save_icp(c["id"], ICP(target_titles=["CFO"]))
    people = [F(f"p{i:02d}", f"P {i}", "x") for i in range(30)]
    engine.ingest_followers(c["id"], people, batch_name="b")
    _score_directly(engine, c["id"], {f"p{i:02d}": float(i * 3) for i in range(30)})
    q1 = [r["id"] for r in engine.review_queue(c["id"], "ana", limit=30)]
    q1_again = [r["id"] for r in engine.review_queue(c["id"], "ana", limit=30)]
    q2 = [r["id"] for r in engine.review_queue(c["id"], "bob", limit=30)]
    assert q1 == q1_again  # stable across reloads
    assert q1 != q2  # per reviewer
    scores = [r["icp_score"] for r in engine.review_queue(c["id"], "ana", limit=30)]
    assert scores != sorted(scores) and scores != sorted(scores, reverse=True)
    first = q1[0]
    engine.record_feedback(first, "keep", "ana")
    assert first not in [r["id"] for r in engine.review_queue(c["id"], "ana", limit=30)]
    engine.record_feedback(q1[1], "trash", "ana")
    prog = engine.review_progress(c["id"], "ana")
    assert (prog["keep"], prog["trash"], prog["labelled"], prog["scored"]) == (1, 1, 2, 30)
    undone = engine.undo_last_feedback(c["id"], "ana")
    assert undone["lead_id"] == q1[1] and undone["label"] == "trash"
    assert engine.review_progress(c["id"], "ana")["trash"] == 0
    assert q1[1] in [r["id"] for r in engine.review_queue(c["id"], "ana", limit=30)]
    with pytest.raises(ValueError):
        engine.record_feedback(first, "maybe", "ana")
    with engine.db.connect() as conn:
        fb = conn.execute(sa.text("SELECT label, reviewer, icp_version_id IS NOT NULL FROM lead_feedback "
                                  "WHERE undone_at IS NULL")).all()
    assert [tuple(r) for r in fb] == [("keep", "ana", True)]


def test_export_sorted_neutralised_and_marks_exported(engine):
    c = engine.create_client("Exp")
    engine.save_icp(c["id"], ICP(target_titles=["CFO"]))
    people = [
        F("a", "=HYPERLINK(\"http://evil\")", "CFO"),
        F("b", "Bea", "+1 555 headline"),
        F("c", "Cy", "@mention"),
    ]
    engine.ingest_followers(c["id"], people, batch_name="b")
    _score_directly(engine, c["id"], {"a": 42.0, "b": 91.5, "c": 10.0})
    data = engine.export_csv(c["id"])
    text = data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["first_name"] for r in rows] == ["Bea", "'=HYPERLINK(\"http://evil\")", "Cy"]
    assert [float(r["icp_score"]) for r in rows] == [91.5, 42.0, 10.0]
    assert rows[0]["headline"] == "'+1 555 headline"
    assert rows[2]["headline"] == "'@mention"
    for col in ("name", "profile_url", "headline", "current_titles", "company", "industry", "company_size",
                "location", "icp_score", "match_reasoning"):
        assert col in rows[0]
    with engine.db.connect() as conn:
        statuses = conn.execute(sa.text("SELECT DISTINCT status FROM leads")).scalars().all()
    assert statuses == ["exported"]
    assert neutralise_cell("-2+3") == "'-2+3" and neutralise_cell(5) == 5 and neutralise_cell("ok") == "ok"


def test_histogram_and_buckets_in_sql(engine):
    c = engine.create_client("Hist")
    engine.save_icp(c["id"], ICP(target_titles=["CFO"]))
    engine.ingest_followers(c["id"], [F(f"h{i}", f"H{i}", "x") for i in range(5)], batch_name="b")
    _score_directly(engine, c["id"], {"h0": 0.0, "h1": 3.0, "h2": 81.0, "h3": 99.0, "h4": 100.0})
    hist = engine.score_histogram(c["id"], bin_width=10)
    assert hist == [{"bin_start": 0, "count": 2}, {"bin_start": 80, "count": 1}, {"bin_start": 90, "count": 2}]
    assert engine.bucket_counts(c["id"]) == {"strong": 3, "good": 0, "possible": 0, "poor": 2}
