"""The core-role view of a title (:mod:`icp_engine.scoring.core_view`): its text without
seniority / level words, and the view's vectors and features.

Pure functions; the vector checks use a small deterministic fake backbone (no model, no DB).
"""

from __future__ import annotations

import numpy as np
import pytest

from icp_engine.domain import ICP, Profile
from icp_engine.scoring import core_view as cv
from icp_engine.scoring.titles import normalize_title


@pytest.mark.parametrize("title, core", [
    ("Senior Payroll Coordinator", "payroll coordinator"),
    ("Jr. Web Designer", "web designer"),
    ("Head of Procurement", "procurement"),
    ("VP of Customer Success", "customer success"),
    ("Associate Director, Clinical Operations", "director clinical operations"),
    ("Assistant Store Manager", "store manager"),
    ("Lead Backend Developer", "backend developer"),
    ("Network Engineer II", "network engineer"),
    ("Interim Plant Manager", "plant manager"),
    ("Tax Advisor (Junior)", "tax advisor"),
])
def test_core_drops_seniority_and_level_words(title, core):
    assert cv.core_text(title) == core


@pytest.mark.parametrize("title", [
    "Principal Consultant",  # nothing but role words: no specialism to isolate
    "Senior Manager",
    "Team Lead",  # "lead" is the role noun here
    "Research Associate",  # "associate" after a specialism is the role noun
    "Pharmacy Assistant",
    "Chief Marketing Officer",  # a C-level role stays whole
    "Payroll Coordinator",  # nothing to drop
])
def test_core_keeps_the_title_when_nothing_is_a_modifier(title):
    assert cv.core_text(title) == normalize_title(title)


def test_core_of_an_empty_title_is_empty():
    assert cv.core_text("") == ""
    assert cv.core_text("   ") == ""


class _FakeBackbone:
    """Deterministic unit vectors per text (hash-seeded); counts the texts it embeds."""

    dim = 8

    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed(self, texts):
        self.seen.extend(texts)
        out = []
        for t in texts:
            v = np.random.default_rng(abs(hash(t)) % (2**32)).normal(size=self.dim)
            out.append(v / np.linalg.norm(v))
        return np.asarray(out, dtype=np.float32)


def test_lead_views_embed_only_gated_titles_whose_core_differs_and_are_batch_invariant():
    bb = _FakeBackbone()
    targets = ["Payroll Coordinator"]
    T = bb.embed([normalize_title(t) for t in targets])
    titles = ["Payroll Coordinator", "Senior Payroll Coordinator", "Head of Procurement"]
    C = bb.embed([normalize_title(t) for t in titles])
    C[1] = 0.9 * T[0] + 0.1 * C[1]  # close to the target: above the gate
    C[1] /= np.linalg.norm(C[1])
    C[2] = -T[0]  # far from it: below the gate, no second pass
    bb.seen.clear()
    views = cv.lead_views(bb, titles, C, T)
    assert views["mask"].tolist() == [True, True, False]
    assert bb.seen == ["payroll coordinator"]  # only the gated title whose core differs
    np.testing.assert_array_equal(views["K"][0], C[0])
    np.testing.assert_allclose(views["K"][1], T[0], atol=1e-6)  # core "payroll coordinator"
    np.testing.assert_array_equal(views["K"][2], C[2])
    alone = cv.lead_views(bb, titles[1:2], C[1:2], T)
    np.testing.assert_array_equal(alone["K"][0], views["K"][1])


def test_core_features_use_the_core_above_the_gate_and_the_whole_title_below():
    bb = _FakeBackbone()
    targets = ["Senior Payroll Manager"]
    T = bb.embed([normalize_title(t) for t in targets])
    ct = cv.prepare_targets(bb, targets, targets, T, T)
    core_vec = bb.embed(["payroll manager"])[0]
    np.testing.assert_allclose(ct.V[0], core_vec, atol=1e-6)  # the ICP side is cored too
    K = np.stack([core_vec, core_vec]).astype(np.float32)
    views = {"K": K, "mask": np.array([True, False])}
    X = cv.core_features(views, ct, cvar=np.array([0.7, 0.4]), ccen=np.array([0.6, 0.3]))
    assert X.shape == (2, len(cv.CORE_FEATURES))
    assert X[0].tolist() == pytest.approx([1.0, 1.0], abs=1e-6)
    assert X[1].tolist() == [0.4, 0.3]


@pytest.fixture(scope="module")
def scorer():
    from icp_engine.embeddings.local import WordLlamaEmbedder
    from icp_engine.scoring.scorer import Scorer

    return Scorer(WordLlamaEmbedder())


def test_the_scorer_compares_the_core_of_a_senior_title_with_the_icp(scorer):
    icp = ICP(target_titles=["Payroll Coordinator"])
    senior, plain = scorer.score(icp, [Profile(titles=["Senior Payroll Coordinator"]),
                                       Profile(titles=["Payroll Coordinator"])])
    fs, fp = senior.components["title_features"], plain.components["title_features"]
    assert fs["cvar"] < 0.99  # the whole title is pulled away by "senior"
    assert fs["kvar"] == pytest.approx(1.0, abs=1e-3)  # its core is the ICP's title
    assert fp["kvar"] == pytest.approx(fp["cvar"], abs=1e-4)


def test_core_view_scores_do_not_depend_on_the_batch(scorer):
    icp = ICP(target_titles=["Procurement Manager", "Head of Purchasing"])
    leads = [Profile(titles=[t]) for t in ("Senior Procurement Manager", "Assistant Buyer", "Lead Sourcing Analyst",
                                           "Regional Purchasing Director", "Pastry Chef")]
    together = [r.icp_score for r in scorer.score(icp, leads)]
    alone = [scorer.score(icp, [p])[0].icp_score for p in leads]
    assert together == alone
