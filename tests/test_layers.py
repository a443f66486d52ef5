"""The second title view from the same bge-small pass (icp_engine/scoring/layers.py)."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
import sqlalchemy as sa

from icp_engine.db import schema
from icp_engine.domain import ICP, Profile
from icp_engine.embeddings.cache import CachedEmbedder
from icp_engine.embeddings.local import BgeSmallInt8Embedder, WordLlamaEmbedder
from icp_engine.scoring import layers, prompts
from icp_engine.scoring import title_model as tm
from icp_engine.scoring.scorer import Scorer
from icp_engine.scoring.titles import normalize_title

TITLES = ["Head of Finance", "VP Finance", "Chief Financial Officer", "Software Engineer", "",
          "Market Research Analyst", "Economic Research Analyst", "Registered Nurse", "CFO",
          "Senior Manager, Financial Planning & Analysis (EMEA)"]
BARE = prompts.parse("bare")  # the pass on bare titles (the shipped default templates them: test_prompts.py)
VIEW = layers.VIEW_NAME + prompts.active().suffix()  # the view's cache name under the shipped template


@pytest.fixture(scope="module")
def bp():
    return layers.BackbonePass(template=BARE)


def test_cls_view_is_bit_equal_to_the_backbone(bp):
    cls, view = bp.embed_both(TITLES)
    assert np.array_equal(cls, BgeSmallInt8Embedder().embed(TITLES))
    assert cls.shape == view.shape == (len(TITLES), 384) and view.dtype == np.float32
    norms = np.linalg.norm(view, axis=1)
    assert norms[4] == 0.0 and np.allclose(np.delete(norms, 4), 1.0, atol=1e-5)
    # a second view, not the same vector: cosine to the [CLS] vector clearly below 1
    cos = (cls * view).sum(axis=1)[[0, 3, 5]]
    assert (cos < 0.98).all() and (cos > 0.3).all()


def test_view_is_the_mean_of_the_word_piece_rows(bp):
    m = BgeSmallInt8Embedder()
    enc = m._tok.encode("Head of Finance")
    ids = np.array([enc.ids], dtype=np.int64)
    hidden = m._session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids),
                                   "token_type_ids": np.zeros_like(ids)})[0]
    want = hidden[0, 1:-1].mean(axis=0)
    want /= np.linalg.norm(want)
    got = layers.BackbonePass(template=BARE).embed_both(["Head of Finance"])[1][0]
    assert np.allclose(got, want, atol=1e-6)
    assert not np.allclose(got, hidden[0].mean(axis=0) / np.linalg.norm(hidden[0].mean(axis=0)), atol=1e-3)


def test_view_is_batch_invariant():
    words = ["Senior", "Finance", "Manager", "Head", "of", "Sales", "Data", "Engineer", "Chief", "Officer"]
    rng = np.random.default_rng(5)
    many = list(dict.fromkeys(" ".join(rng.choice(words, rng.integers(1, 6))) for _ in range(150)))
    alone = np.stack([layers.BackbonePass().embed_both([t])[1][0] for t in many[:12]])
    big = layers.BackbonePass().embed_both(list(reversed(many)) + ["a much longer text about finance"] * 3)[1]
    assert np.array_equal(alone, big[[len(many) - 1 - k for k in range(12)]])
    tiny = layers.BackbonePass(batch_size=3).embed_both(many[:12])[1]
    assert np.array_equal(alone, tiny)


def test_one_forward_pass_serves_both_views(monkeypatch):
    bp = layers.BackbonePass(template=BARE)
    calls: list[list[str]] = []
    fwd = bp._forward

    def counting(texts):
        calls.append(list(texts))
        return fwd(texts)

    monkeypatch.setattr(bp, "_forward", counting)
    a = bp.cls.embed(["VP Finance", "CFO", "VP Finance"])
    b = bp.view.embed(["CFO", "VP Finance"])
    assert calls == [["VP Finance", "CFO"]]
    assert np.array_equal(a[0], a[2]) and b.shape == (2, 384)
    assert not bp._memo  # handed over: nothing is held twice
    again = bp.view.embed(["CFO"])  # asked again (its memo evicted it): computed again, same vector
    assert calls[-1] == ["CFO"] and np.array_equal(again[0], b[0])
    assert np.array_equal(bp.embed_both(["CFO"])[1][0], b[0])
    assert bp.cls.name == "bge-small-en-int8s-384" and bp.view.name == layers.VIEW_NAME
    assert layers.BackbonePass().view.name == VIEW == layers.VIEW_NAME + "+t-a-tp"  # shipped: templated


def test_view_cache_round_trip(db):
    texts = [f"Head of Finance {uuid.uuid4().hex[:8]}", f"VP Finance {uuid.uuid4().hex[:8]}"]
    want = layers.BackbonePass().embed_both(texts)[1]
    got = layers.view_backbone(db).embed(texts)
    assert np.array_equal(got, want)
    T = schema.text_embeddings
    with db.connect() as conn:
        rows = conn.execute(sa.select(T.c.text, T.c.dim).where(T.c.model == VIEW)
                            .where(T.c.text.in_(texts))).all()
    assert sorted(r.text for r in rows) == sorted(texts) and {r.dim for r in rows} == {384}

    class Refuse:  # a fresh cache reading them back must not run the model
        name, dim = VIEW, 384

        def embed(self, texts):
            raise AssertionError(f"not cached: {texts}")

    again = CachedEmbedder(Refuse(), db, lru_size=0).embed(texts)
    assert np.allclose(again, want, atol=1e-6)


def test_view_columns_are_the_mean_of_both_views_cosines():
    sc = Scorer(WordLlamaEmbedder())
    prep = sc._prepare(ICP(target_titles=["Chief Financial Officer", "Head of Finance"]))
    ts = prep.tset
    assert isinstance(ts.view, layers.ViewTargets) and ts.view.V.shape == ts.V.shape
    titles = ["VP Finance", "Software Engineer"]
    norms = [normalize_title(t) for t in titles]  # what the scorer embeds
    C = sc.backbone.embed(norms)
    M = layers.view_backbone().embed(norms)
    X = tm.features(C, titles, ts)
    j = tm.FEATURES.index("lvar")
    want_var = (0.5 * (C @ ts.V.T + M @ ts.view.V.T)).max(axis=1)
    want_cen = 0.5 * (C @ ts.cen + M @ ts.view.cen)
    assert np.allclose(X[:, j], want_var) and np.allclose(X[:, j + 1], want_cen)
    assert X[0, j] > X[1, j] + 0.1
    # the shipped model uses the view: its weight is on lvar / lcen, not on cvar / ccen
    w = dict(zip(tm.FEATURES, tm.WEIGHTS))
    assert w["lvar"] > 1 and w["lvar"] == w["lcen"] and w["cvar"] == 0 == w["ccen"]


def test_scores_need_the_view(monkeypatch):
    icp = ICP(target_titles=["Market Research Analyst"])
    leads = [Profile(name=t, titles=[t], headline=t) for t in
             ("Marketing Research Specialist", "Data Analyst")]
    near, far = Scorer(WordLlamaEmbedder()).score(icp, leads)
    assert near.icp_score >= 50 and far.icp_score < 10
    monkeypatch.setattr("icp_engine.scoring.scorer.attach_view", lambda *a, **k: None)
    without = Scorer(WordLlamaEmbedder()).score(icp, leads)[0]  # no view: the title model has no cosine
    assert without.icp_score < 1
