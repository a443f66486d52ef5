"""Review page, learning from reviews (issue 10): the measured effect panel and the queue choice.

Streamlit AppTest on a real Postgres (the ``app_env`` fixture of ``tests/test_app.py``).
"""

from __future__ import annotations

import random

import sqlalchemy as sa

from icp_engine.db import schema
from tests.test_app import app_env, eng, new_app, open_page, seed_scored  # noqa: F401  (fixtures)


def _queue_rows(db) -> list[tuple[int, str, str]]:
    with db.connect() as conn:
        return [(r.lead_id, r.label, r.queue) for r in conn.execute(
            sa.select(schema.lead_feedback.c.lead_id, schema.lead_feedback.c.label, schema.lead_feedback.c.queue)
            .order_by(schema.lead_feedback.c.id))]


def _seed_reviews(engine, s: dict, n: int, reviewer: str = "Bo") -> list[int]:
    """``n`` random-order reviews that follow the seeded score (keep = top half), a few mistakes."""
    rng = random.Random(3)
    ids = rng.sample(s["lead_ids"], n)
    rank = {lid: i for i, lid in enumerate(s["lead_ids"])}
    half = len(s["lead_ids"]) // 2
    for k, lid in enumerate(ids):
        keep = (rank[lid] >= half) != (k % 9 == 0)
        engine.record_feedback(lid, "keep" if keep else "trash", reviewer)
    return ids


def test_review_page_measures_the_learned_model_on_held_out_reviews(app_env, eng, db):  # noqa: F811
    s = seed_scored(eng, db, n=70)
    cid = s["client"]["id"]
    _seed_reviews(eng, s, 45)
    # two "most informative" labels: they train, they never measure
    inf = [lid for lid in s["lead_ids"] if lid not in {r[0] for r in _queue_rows(db)}][:2]
    for lid in inf:
        eng.record_feedback(lid, "keep", "Bo", queue="informative")

    at = open_page(new_app(reviewer="Dana"), "pages/4_review.py")
    assert any(e.label == "Learning from your reviews" for e in at.expander)
    assert not at.metric  # nothing is fitted until asked
    at.button(key=f"learn_measure_{cid}").click().run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    rep = eng.feedback.measure(cid)
    assert rep is not None and rep["n_validation"] == 45 and rep["n_labels"] == 47
    assert metrics["Reviews that measure"] == "45"
    assert metrics["Scorer alone (AUC)"] == f"{rep['static_auc']:.3f}"
    assert metrics["Learned (AUC)"] == f"{rep['learned_auc']:.3f}"
    assert 0.5 < rep["static_auc"] <= 1.0
    # the gate's words and the "more labels" hint are shown
    shown = [x.value for x in at.info] + [x.value for x in at.success]
    assert rep["reason"] in shown
    text = " ".join(m.value for m in at.markdown)
    assert ("more** random reviews" in text) or ("More reviews would add little now." in text)
    # the panel stays measured on the next rerun (same labels: cached)
    at.run()
    assert {m.label for m in at.metric} >= {"Scorer alone (AUC)", "Learned (AUC)"}


def test_review_queue_choice_marks_informative_labels(app_env, eng, db):  # noqa: F811
    s = seed_scored(eng, db, n=40)
    cid = s["client"]["id"]
    _seed_reviews(eng, s, 28, reviewer="Dana")  # Dana's queues skip these
    before = len(_queue_rows(db))
    at = open_page(new_app(reviewer="Dana"), "pages/4_review.py")
    radio = at.radio(key=f"review_order_{cid}")
    assert radio.value == "random"  # the default order
    random_first = eng.review_queue(cid, "Dana", limit=1)[0]
    at.button(key=f"keep_{random_first['id']}").click().run()
    assert _queue_rows(db)[-1] == (random_first["id"], "keep", "random")

    # 29 unbiased reviews (< 30): the informative order serves the next random-order lead, stored as random
    at.radio(key=f"review_order_{cid}").set_value("informative").run()
    assert not at.exception, at.exception
    pick = eng.review_queue(cid, "Dana", limit=1)[0]
    served = eng.feedback.informative_queue(cid, "Dana", limit=1)[0]
    assert served["id"] == pick["id"] and served["review_queue"] == "random"
    assert any("random pick" in c.value for c in at.caption)
    at.button(key=f"keep_{pick['id']}").click().run()
    assert _queue_rows(db)[-1] == (pick["id"], "keep", "random")

    # 30 unbiased, 0 informative: now the model's pick, marked informative
    assert any("trains the model without measuring it" in c.value for c in at.caption)
    assert not any("random pick" in c.value for c in at.caption)
    nxt = eng.feedback.informative_queue(cid, "Dana", limit=1)[0]
    assert nxt["review_queue"] == "informative"
    assert at.button(key=f"trash_{nxt['id']}")
    at.button(key=f"trash_{nxt['id']}").click().run()
    assert not at.exception, at.exception
    rows = _queue_rows(db)
    assert len(rows) == before + 3 and rows[-1] == (nxt["id"], "trash", "informative")
    # the informative label trains but does not measure
    rep = eng.feedback.measure(cid)
    assert rep["n_validation"] == 30 and rep["n_informative"] == 1
