"""Title templates around both sides' titles (icp_engine/scoring/prompts.py)."""

from __future__ import annotations

import os
import uuid

import numpy as np
import pytest
import sqlalchemy as sa

from icp_engine.db import schema
from icp_engine.domain import ICP, Profile
from icp_engine.embeddings.local import BgeSmallInt8Embedder, WordLlamaEmbedder
from icp_engine.scoring import backbone as bb
from icp_engine.scoring import layers, lexical, prompts
from icp_engine.scoring import title_model as tm

TITLES = ["head of finance", "vp finance", "chief financial officer", "software engineer", "",
          "treasury analyst", "registered nurse", "cfo"]


def _hidden(m: BgeSmallInt8Embedder, text: str) -> np.ndarray:
    ids = np.array([m._tok.encode(text).ids], dtype=np.int64)
    return m._session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids),
                                 "token_type_ids": np.zeros_like(ids)})[0][0]


def test_parse_names_and_cache_suffixes_are_distinct():
    specs = ["bare", "a", "a/title", "a0", "a0/title", "iwork/title"]
    got = [prompts.parse(s) for s in specs]
    assert [t.spec for t in got] == specs
    sfx = [t.suffix() for t in got]
    assert sfx[0] == "" and len(set(sfx)) == len(sfx)
    assert prompts.parse("a/title").apply("cfo") == "a cfo" and prompts.parse("a").apply("  ") == "  "
    with pytest.raises(ValueError):
        prompts.parse("nope")
    with pytest.raises(ValueError):
        prompts.parse("a/middle")


def test_templated_pass_embeds_the_templated_text_and_pools_the_title_rows():
    m = BgeSmallInt8Embedder()
    t = prompts.parse("a/title")
    bp = layers.BackbonePass(template=t)
    assert bp._span == (1, 0)
    cls, view = bp.embed_both(["treasury analyst"])
    h = _hidden(m, "a treasury analyst")  # [CLS] a treasury analyst [SEP]
    want_cls = h[0] / np.linalg.norm(h[0])
    want_view = h[2:-1].mean(axis=0)
    want_view /= np.linalg.norm(want_view)
    assert np.allclose(cls[0], want_cls, atol=1e-6) and np.allclose(view[0], want_view, atol=1e-6)
    # all-rows pooling keeps the template's word piece in the mean
    allv = layers.BackbonePass(template=prompts.parse("a")).embed_both(["treasury analyst"])[1][0]
    want_all = h[1:-1].mean(axis=0)
    assert np.allclose(allv, want_all / np.linalg.norm(want_all), atol=1e-6)
    assert not np.allclose(allv, view[0], atol=1e-3)
    # and the bare pass is not the templated one
    bare = layers.BackbonePass(template=prompts.parse("bare")).embed_both(["treasury analyst"])
    assert float(bare[0][0] @ cls[0]) < 0.99
    assert bp.cls.name == "bge-small-en-int8s-384+t-a-tp" and bp.view.name == layers.VIEW_NAME + "+t-a-tp"


def test_dropped_sep_variant_has_the_bare_length():
    bp = layers.BackbonePass(template=prompts.parse("a0/title"))
    seen: list[int] = []
    run = bp._model._session.run

    class Spy:
        def run(self, out, feeds):
            seen.append(feeds["input_ids"].shape[1])
            return run(out, feeds)

    bp._model._session = Spy()
    bp.embed_both(["treasury analyst"])
    assert seen == [len(bp._model._tok.encode("treasury analyst").ids)]


def test_templated_vectors_are_batch_invariant():
    t = prompts.parse("a/title")
    words = ["senior", "finance", "manager", "head", "of", "sales", "data", "engineer", "chief", "officer"]
    rng = np.random.default_rng(11)
    many = list(dict.fromkeys(" ".join(rng.choice(words, rng.integers(1, 6))) for _ in range(120)))
    alone = [layers.BackbonePass(template=t).embed_both([x]) for x in many[:10]]
    big = layers.BackbonePass(template=t).embed_both(list(reversed(many)))
    tiny = layers.BackbonePass(template=t, batch_size=3).embed_both(many[:10])
    for k in range(10):
        j = len(many) - 1 - k
        for v in (0, 1):
            assert np.array_equal(alone[k][v][0], big[v][j]) and np.array_equal(alone[k][v][0], tiny[v][k])


@pytest.fixture
def templated(monkeypatch):
    """This process switched to the "a/title" template (fresh pass, backbones and centroid)."""
    monkeypatch.setenv("ICP_TITLE_TEMPLATE", "a/title")
    saved_l, saved_b, saved_c = dict(layers._shared), dict(bb._shared), list(lexical._centroid)
    layers._shared.clear()
    bb._shared.clear()
    lexical._centroid.clear()
    yield prompts.active()
    layers._shared.clear()
    layers._shared.update(saved_l)
    bb._shared.clear()
    bb._shared.update(saved_b)
    lexical._centroid[:] = saved_c


def test_scorer_uses_templated_vectors_by_default_and_tags_bare_titles(templated, monkeypatch):
    from icp_engine.scoring.scorer import SCORER_VERSION, Scorer

    monkeypatch.delenv("ICP_TITLE_TEMPLATE")
    assert prompts.active().spec == "a/title" == templated.spec  # the shipped default (scorer 3.7)
    m = BgeSmallInt8Embedder()
    h = _hidden(m, "a treasury analyst")
    got = bb.title_backbone().embed(["treasury analyst"])[0]
    assert np.allclose(got, h[0] / np.linalg.norm(h[0]), atol=1e-6)
    sc = Scorer(WordLlamaEmbedder())
    assert sc.version == SCORER_VERSION
    # the hub centroid is the templated one (shipped file next to the bare one)
    assert lexical.centroid_path().name == "generic_centroid+t-a-tp.npy" and lexical.centroid_path().is_file()
    fresh = lexical.compute_generic_centroid(bb.title_backbone())
    assert float(fresh @ lexical.generic_centroid()) > 0.9999
    # the shipped weights are the template's; bare titles have their own fitted weights
    assert prompts.fitted_weights(tm.WEIGHTS, tm.INTERCEPT) == (tm.WEIGHTS, tm.INTERCEPT)
    assert prompts.FITTED["bare"][0] != tm.WEIGHTS
    icp = ICP(target_titles=["Treasury Manager"])
    leads = [Profile(name="a", titles=["Treasury Analyst"]), Profile(name="b", titles=["Barista"])]
    res = sc.score(icp, leads)
    assert res[0].icp_score > res[1].icp_score
    # bare titles: a tagged version, their own weights, different scores (the template reached the scorer)
    layers._shared.clear()
    bb._shared.clear()
    lexical._centroid.clear()
    monkeypatch.setenv("ICP_TITLE_TEMPLATE", "bare")
    assert prompts.fitted_weights(tm.WEIGHTS, tm.INTERCEPT) == prompts.FITTED["bare"]
    assert lexical.centroid_path() == lexical.CENTROID_FILE
    sb = Scorer(WordLlamaEmbedder())
    assert sb.version == SCORER_VERSION + "+t-bare"
    bare = sb.score(icp, leads)
    assert bare[0].icp_score != res[0].icp_score or bare[0].components != res[0].components


def test_templated_and_bare_vectors_never_share_a_cache_row(db, templated):
    text = f"treasury analyst {uuid.uuid4().hex[:8]}"
    tv = bb.title_backbone(db).embed([text])[0]
    layers._shared.clear()
    bb._shared.clear()
    os.environ["ICP_TITLE_TEMPLATE"] = "bare"  # monkeypatch (the fixture) restores it
    bv = bb.title_backbone(db).embed([text])[0]
    assert float(tv @ bv) < 0.99  # the bare backbone did not read the templated row
    T = schema.text_embeddings
    with db.connect() as conn:
        models = sorted(r.model for r in conn.execute(sa.select(T.c.model).where(T.c.text == text)))
    assert models == ["bge-small-en-int8s-384", "bge-small-en-int8s-384+t-a-tp"]


def test_template_comes_from_the_settings_sources(monkeypatch, tmp_path):
    """ICP_TITLE_TEMPLATE is read through Settings: the environment, or a .env file when unset."""
    monkeypatch.delenv("ICP_TITLE_TEMPLATE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert prompts.active().spec == prompts.parse(prompts.DEFAULT).spec
    (tmp_path / ".env").write_text("ICP_TITLE_TEMPLATE=bare\n")
    assert prompts.active().spec == prompts.parse("bare").spec
    monkeypatch.setenv("ICP_TITLE_TEMPLATE", "a/title")
    assert prompts.active().spec == "a/title"
    monkeypatch.setenv("ICP_TITLE_TEMPLATE", "no-such-template")
    with pytest.raises(ValueError, match="unknown title template"):
        prompts.active()
