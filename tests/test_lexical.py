"""Lexical and hubness views of titles (icp_engine/scoring/lexical.py) and the ``hub`` feature."""

from __future__ import annotations

import numpy as np
import pytest

from icp_engine.scoring import lexical as lx
from icp_engine.scoring import title_model as tm
from icp_engine.scoring.functions import FUNCTIONS, icp_targets


@pytest.fixture(scope="module")
def backbone():
    from icp_engine.scoring.backbone import title_backbone

    return title_backbone()


def test_char_ngrams_pad_words_and_do_not_span_them():
    g = lx.char_ngrams("CFO", (3,))
    # "CFO" is expanded by normalize_title before the grams are taken
    assert " ch" in g and "er " in g
    two = lx.char_ngrams("Sales Manager", (3,))
    assert "s m" not in two and "es " in two and " ma" in two
    assert lx.char_ngrams("", (3, 4)) == frozenset()


def test_ngram_similarity_range_and_inflections():
    targets = [lx.char_ngrams("Accountant")]
    assert lx.ngram_similarity("Accountant", targets) == pytest.approx(1.0)
    near = lx.ngram_similarity("Accounting Assistant", targets)
    far = lx.ngram_similarity("Software Developer", targets)
    assert 0.0 <= far < near < 1.0
    assert lx.ngram_similarity("Accountant", []) == 0.0
    assert lx.ngram_similarity("", targets) == 0.0


def test_background_is_generated_from_the_package_vocabularies():
    bg = lx.background_titles()
    assert len(bg) == len(FUNCTIONS) * len(lx._BG_ROLES)
    assert len(set(bg)) == len(bg)
    assert bg[0] == f"{FUNCTIONS[0]} {lx._BG_ROLES[0].capitalize()}"
    assert bg == lx.background_titles()


def test_shipped_centroid_matches_the_backbone(backbone):
    shipped = lx.generic_centroid()
    assert shipped.shape == (384,) and shipped.dtype == np.float32
    assert float(np.linalg.norm(shipped)) == pytest.approx(1.0, abs=1e-5)
    fresh = lx.compute_generic_centroid(backbone)
    assert float(fresh @ shipped) > 0.9999, "re-write it: python -c 'from icp_engine.scoring import lexical, " \
        "backbone; lexical.write_generic_centroid(backbone.title_backbone())'"


def test_office_titles_sit_nearer_the_centroid_than_titles_outside_that_vocabulary(backbone):
    from icp_engine.scoring.titles import normalize_title

    titles = ["Business Specialist", "Marketing Specialist", "Barista", "Pediatric Dental Hygienist"]
    h = lx.generic_cosine(np.asarray(backbone.embed([normalize_title(t) for t in titles])))
    assert h.shape == (4,)
    assert min(h[0], h[1]) > max(h[2], h[3]) + 0.05
    assert np.all((h >= -1) & (h <= 1))


def test_hub_feature_is_per_text_whatever_the_batch(backbone):
    from icp_engine.scoring.titles import normalize_title

    titles = ["Finance Manager", "Staff Nurse", "Manager"]
    C = np.asarray(backbone.embed([normalize_title(t) for t in titles]))
    together = lx.generic_cosine(C)
    alone = np.array([lx.generic_cosine(C[i:i + 1])[0] for i in range(3)])
    assert np.array_equal(together, alone)
    B = lx.background_vectors(backbone)
    assert np.array_equal(lx.hubness(C, B, 10), np.array([lx.hubness(C[i:i + 1], B, 10)[0] for i in range(3)]))
    assert lx.generic_cosine(np.zeros((0, 384), np.float32)).shape == (0,)


def test_hub_is_a_title_model_feature_with_negative_weight(backbone):
    from icp_engine.scoring.titles import normalize_title

    j = tm.FEATURES.index("hub")
    assert tm.WEIGHTS[j] < 0
    T = np.asarray(backbone.embed(["sales representative"]))
    ts = tm.make_target_set(T, T, icp_targets(["Sales Representative"]), [2], ["Sales Representative"])
    titles = ["Technical Sales Representative", "Barista"]
    C = np.asarray(backbone.embed([normalize_title(t) for t in titles]))
    X = tm.features(C, titles, ts)
    assert np.array_equal(X[:, j], lx.generic_cosine(C))
    lower = X[:1].copy()
    lower[0, j] -= 0.1
    assert tm.probabilities(lower)[0] > tm.probabilities(X[:1])[0]
