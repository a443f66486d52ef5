"""Title probability: P(the lead's title is one the ICP's titles describe), a logistic model.

Features of a lead title ``c`` against the ICP's target titles ``T`` (each expanded into the
jobs a group phrase names, :func:`icp_engine.scoring.targets.expand_target`), all computed on
abbreviation-expanded titles (:func:`titles.normalize_title`) embedded by the title backbone
(:mod:`icp_engine.scoring.backbone`, bge-small static INT8; the weights were fitted on the
fp32 graph's vectors and hold on the INT8 ones, see ``benchmarks/fit_title_model.py``):

* ``cmax`` - max cosine of ``c`` to the target titles (evidence shown to the user; weight 0 in
  the model: collinear with ``cvar``, and the leave-one-track-out fit is better without it);
* ``cvar`` - max cosine of ``c`` to the targets' expansions (group phrases split into jobs);
* ``ccen`` - cosine of ``c`` to the normalised mean of the target vectors (what the targets
  together describe);
* ``fun`` - share of the lead title's job functions (:mod:`functions`) among the ICP's
  (implied or picked), 0.5 when the title names no function;
* ``lv`` - seniority tier distance to the nearest ICP tier / 7 (0.3 when unknown);
* ``tok`` - a second, lexical view of the title: max Jaccard overlap of its content words (role
  and seniority words aside, stemmed) with any target's or expansion's (:func:`token_overlap`).
  It separates the ICP's role from neighbours the embedding puts just as close ("Market Research
  Analyst" vs "Economic Research Analyst"). Added in scorer 3.2: leave-one-track-out through the
  whole scorer, test nDCG@10 onet 0.794 -> 0.806, esco_jobbert 0.880 -> 0.884, occupation groups
  0.652 -> 0.665 (``benchmarks/fit_title_model.py`` for the raw model).
* ``hub`` - cosine of ``c`` to a fixed centroid of generic titles (:func:`lexical.generic_cosine`):
  how close the title sits to the middle of title space, where hubs ("Manager", "Specialist") that
  are near every ICP live; its weight is negative. Added in scorer 3.4 (with the ICP side's group-phrase
  grammar, :mod:`icp_side`): leave-one-track-out through the whole scorer, test nDCG@10 onet
  0.810 -> 0.811, esco_jobbert 0.889 -> 0.889, occupation groups 0.666 -> 0.680; dev 0.778 ->
  0.786, 0.876 -> 0.879, 0.622 -> 0.624.

* ``lvar``, ``lcen`` - ``cvar`` and ``ccen`` on two views of the same bge-small forward pass
  (:mod:`layers`): each cosine is the mean of the ``[CLS]`` cosine and the cosine of the
  mean-pooled last layer (word-piece rows without ``[CLS]`` / ``[SEP]``). Added in scorer 3.6,
  tied, **replacing** ``cvar`` / ``ccen`` (weight 0 since, kept as evidence): leave-one-track-out
  test nDCG@10 onet / esco_jobbert / groups, raw model 0.811 / 0.874 / 0.675 -> 0.814 / 0.875 /
  0.680; whole scorer 0.810 / 0.891 / 0.685 -> 0.816 / 0.899 / 0.692, dev 0.792 / 0.888 / 0.624
  -> 0.794 / 0.896 / 0.629 (``benchmarks/bench_layers.py`` for the views screened).
* ``kvar`` / ``kcen`` - ``lvar`` / ``lcen`` on the core role texts of both sides
  (:mod:`core_view`: seniority and level words, numerals and "head of" / "vice president" taken
  out, ``"Senior Treasury Analyst"`` -> ``"treasury analyst"``), in the same two-view space
  (:class:`core_view.FusedViews`), for lead titles whose two-view ``lvar`` reaches
  :data:`core_view.CORE_GATE` (below it they equal ``lvar`` / ``lcen``). Seniority has its own
  feature (``lv``); the whole-title cosine mixes it with the job. Added in scorer 3.6, tied with
  ``lvar`` / ``lcen`` (one weight for the four). Leave-one-track-out through the whole scorer,
  test nDCG@10 onet / esco_jobbert / groups, 3.5.0 -> the two-view cosine alone -> with the core
  view: 0.810 / 0.891 / 0.685 -> 0.816 / 0.899 / 0.692 -> 0.813 / 0.904 / 0.690; dev 0.792 / 0.888
  / 0.624 -> 0.794 / 0.896 / 0.629 -> 0.802 / 0.897 / 0.631 (AUC within 0.002; the core view alone,
  tied with the [CLS] ``cvar`` / ``ccen``: test 0.811 / 0.895 / 0.688, dev 0.795 / 0.888 / 0.631).

Since scorer 3.4 ``cvar`` and ``ccen`` are fitted as one feature (their mean), so their weights
are equal (``fit_title_model.py --tie cvar,ccen``; since 3.6 with ``kvar`` and ``kcen``): fitted apart, the two collinear weights swung
between leave-one-track-out folds and every change moved every track; tied, leave-one-track-out
through the whole scorer, test nDCG@10 onet 0.811 -> 0.810, esco_jobbert 0.889 -> 0.891,
occupation groups 0.680 -> 0.685; dev 0.786 -> 0.792, 0.879 -> 0.888, 0.624 -> 0.624.

``P = sigmoid(w . x + b)`` with :data:`WEIGHTS`, fitted by logistic regression of "rel 2" on the
dev split of the three title tracks (onet, esco_jobbert, and the occupation-group track of
``benchmarks/occupation_groups.py``), each track weighted equally; every feature was kept only
if it helped on the track left out of the fit (``benchmarks/fit_title_model.py`` prints the
leave-one-track-out table). Since scorer 3.3 the fit has two stages (``--top-k 1000``): a first
fit ranks each benchmark query's ~3,000 candidates and only its top 1,000 enter the final fit, so
the weights are set where the top of the ranking is decided rather than by thousands of clear
mismatches (leave-one-track-out through the whole scorer, test nDCG@10 onet 0.806 -> 0.810,
esco_jobbert 0.884 -> 0.889, occupation groups 0.664 -> 0.666). Nothing here names a benchmark
title.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from . import core_view, prompts
from .calibration import sigmoid
from .functions import IcpTargets, classify_title, lead_fine_functions
from .layers import view_columns
from .lexical import generic_cosine
from .title_match import title_info
from .titles import normalize_title

FEATURES: tuple[str, ...] = ("cmax", "cvar", "ccen", "fun", "lv", "tok", "hub", "lvar", "lcen") + core_view.CORE_FEATURES

#: Logistic weights (FEATURES order) and intercept; written by benchmarks/fit_title_model.py.
# BEGIN FITTED TITLE MODEL
WEIGHTS: tuple[float, ...] = (0.000, 0.000, 0.000, 1.417, -2.643, 0.900, -9.364, 3.684, 3.684, 3.684, 3.684)
INTERCEPT: float = -6.081
# END FITTED TITLE MODEL
_SHIPPED = (WEIGHTS, INTERCEPT)  # fitted under prompts.DEFAULT; prompts.FITTED holds other templates'

UNKNOWN_FUN = 0.5
UNKNOWN_LV = 0.3
UNKNOWN_TOK = 0.5


@dataclass
class TargetSet:
    """The ICP side, prepared once per score call: unit vectors of the targets (``T``), of
    their expansions (``V``), their centroid (``cen``), and the ICP's functions / tiers."""

    T: np.ndarray
    V: np.ndarray
    cen: np.ndarray
    targets: IcpTargets
    tiers: tuple[int, ...]
    contents: tuple[frozenset[str], ...] = ()
    view: Any = None  # layers.ViewTargets: the ICP side under the mean-pooled view (lvar, lcen)
    core: core_view.CoreTargets | None = None  # the ICP side of the core view (core_view.py)


def make_target_set(T: np.ndarray, V: np.ndarray, targets: IcpTargets, variant_tiers: Sequence[int],
                    variant_titles: Sequence[str] = ()) -> TargetSet:
    """``T``: ``(n_targets, d)`` unit vectors; ``V``: ``(n_variants, d)`` (targets included);
    ``variant_titles``: the raw target titles and their expansions (for ``tok``)."""
    cen = T.mean(axis=0) if len(T) else np.zeros(T.shape[1], dtype=np.float32)
    n = float(np.linalg.norm(cen))
    cen = cen / n if n > 0 else cen
    if targets.explicit_seniorities:
        tiers = tuple(sorted(targets.tiers))
    else:
        tiers = tuple(sorted(set(variant_tiers) | set(targets.tiers)))
    contents = tuple(dict.fromkeys(content_words(t) for t in variant_titles))
    return TargetSet(T, V, cen.astype(np.float32), targets, tiers, contents)


def content_words(title: str) -> frozenset[str]:
    """Stemmed content words of a title (role and seniority words aside,
    :func:`title_match.title_info`): ``"Senior Financial Analyst"`` -> ``{"finan"}``."""
    return frozenset(title_info(title).content)


def token_overlap(title: str, contents: Sequence[frozenset[str]]) -> float:
    """Max over the targets of the Jaccard overlap of content words, in [0, 1].

    A target made only of role words (``"Director"``) says nothing about content: it counts
    :data:`UNKNOWN_TOK`; a title without content words (``"Manager"``) overlaps no other target
    (0). No targets: :data:`UNKNOWN_TOK`."""
    if not contents:
        return UNKNOWN_TOK
    mine = content_words(title)
    best = 0.0
    for c in contents:
        v = UNKNOWN_TOK if not c else (len(mine & c) / len(mine | c) if mine else 0.0)
        best = max(best, v)
    return best


def function_share(title: str, targets: IcpTargets) -> float | None:
    """Share of the title's functions that are the ICP's, or None when the title names none.

    With picked functions (``targets.explicit_functions``) a lead matches when one of its Sales
    Navigator functions is picked (1.0) or none is (0.0)."""
    if targets.explicit_functions:
        mine = lead_fine_functions(title)
        sn = {f for f in mine if f.startswith("_sn:")}
        if not sn and not mine:
            return None
        return 1.0 if (mine & targets.fine) else 0.0
    fine = classify_title(title).fine
    if not fine:
        return None
    return len(fine & targets.fine) / len(fine)


def tier_distance(title: str, tiers: Sequence[int]) -> int | None:
    """Seniority tier distance of the title to the nearest of ``tiers`` (None when unknown)."""
    t = classify_title(title).tier
    if t is None or not tiers:
        return None
    return min(abs(t - x) for x in tiers)


def features(C: np.ndarray, titles: Sequence[str], ts: TargetSet,
             views: dict[str, np.ndarray] | None = None,
             fshare: Sequence[float | None] | None = None,
             tdist: Sequence[int | None] | None = None) -> np.ndarray:
    """Feature matrix ``(n, len(FEATURES))`` for lead titles ``titles`` with unit vectors ``C``;
    ``views``: the titles' core view (:func:`core_view.lead_views_for`; absent: the core features
    are the whole-title ``cvar`` / ``ccen``). ``fshare`` / ``tdist``: the titles'
    :func:`function_share` / :func:`tier_distance` when the caller has them already (computed
    here otherwise)."""
    n = len(titles)
    X = np.zeros((n, len(FEATURES)), dtype=np.float64)
    if n == 0:
        return X
    X[:, 0] = (C @ ts.T.T).max(axis=1)
    X[:, 1] = (C @ ts.V.T).max(axis=1)
    X[:, 2] = C @ ts.cen
    X[:, FEATURES.index("hub")] = generic_cosine(C)  # lexical.py
    j = FEATURES.index("lvar")  # lvar, lcen: layers.py
    X[:, j:j + 2] = view_columns(C, [normalize_title(t) for t in titles], ts)
    k0 = FEATURES.index(core_view.CORE_FEATURES[0])
    fused = views is not None and "fused" in views
    X[:, k0:k0 + 2] = X[:, j:j + 2] if fused else X[:, 1:3]
    if views is not None and ts.core is not None:
        X[:, k0:k0 + 2] = core_view.core_features(views, ts.core, X[:, k0], X[:, k0 + 1])
    for i, t in enumerate(titles):
        fs = function_share(t, ts.targets) if fshare is None else fshare[i]
        X[i, 3] = UNKNOWN_FUN if fs is None else fs
        d = tier_distance(t, ts.tiers) if tdist is None else tdist[i]
        X[i, 4] = UNKNOWN_LV if d is None else d / 7.0
        X[i, 5] = token_overlap(t, ts.contents)
    return X


def probabilities(X: np.ndarray) -> np.ndarray:
    """P(title fits) per row of a :func:`features` matrix (weights of the active title template,
    :func:`prompts.fitted_weights`, unless a benchmark replaced :data:`WEIGHTS`)."""
    w, b = prompts.fitted_weights(WEIGHTS, INTERCEPT) if (WEIGHTS, INTERCEPT) == _SHIPPED else (WEIGHTS, INTERCEPT)
    z = X @ np.asarray(w, dtype=np.float64) + b
    return np.array([sigmoid(float(v)) for v in z])
