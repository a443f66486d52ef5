"""Active learning: an optional "most informative next" review order.

The dashboard's default review queue stays the seeded random order (unbiased labels, the only
ones that measure the model). :func:`informative_order` offers a second queue: the leads whose
label would teach the model most. Labels obtained through it must be stored with
``queue = "informative"`` (:data:`icp_engine.learning.features.QUEUES`); the learner then uses
them for training only, never for validation, so the measured lift stays unbiased.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from .features import LeadFeatures
from .gp import bald, binary_entropy, logit

__all__ = ["informative_order", "METHODS"]

#: ``bald``: mutual information between the label and the model (Houlsby et al. 2011) - prefers
#: leads the model is unsure about *because it lacks data*, not because they are borderline by
#: nature; ``uncertainty``: predictive entropy (P(keep) closest to 0.5); ``bald_density``: BALD
#: times the square root of how many candidates share the lead's title (information density,
#: Settles & Craven 2008: a label on a common title corrects every follower with it). On the 12
#: tune pages of ``benchmarks/bench_learning.py --composition topical --group 2`` (50 random labels,
#: then the queue; AUC of the model on a random 20 % held out): plain BALD 0.926 / 0.947 at 100 / 200
#: labels, random labels 0.933 / 0.951, ``bald_density`` 0.937 / 0.957 (the Review page's order).
METHODS: tuple[str, ...] = ("bald", "uncertainty", "bald_density")


def _title_density(features: LeadFeatures) -> np.ndarray:
    """How many candidates share each lead's title (1 without a title): a label on a common title
    corrects every follower with it (information density, Settles & Craven 2008)."""
    tid = features.title_ids
    if tid is None:
        return np.ones(features.m)
    _u, inv, cnt = np.unique(tid, return_inverse=True, return_counts=True)
    return np.where(tid >= 0, np.sqrt(cnt[inv]), 1.0)


def informative_order(model, features: LeadFeatures, exclude: Iterable[int] = (), k: int = 20,
                      method: str = "bald") -> list[int]:
    """Lead ids of the ``k`` most informative leads to review next, best first.

    ``model``: a fitted :class:`~icp_engine.learning.model.LearnedModel` (applied or not) or
    None (no labels yet: the static P(keep) is used, and both methods reduce to "closest to
    0.5"). ``features``: the candidate leads; ``exclude``: lead ids already labelled (or
    otherwise not to show). ``method``: one of :data:`METHODS`. Ties are broken by lead id, so
    the order is deterministic. Raises ``ValueError`` for an unknown method.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    skip = {int(x) for x in exclude}
    keep = np.array([int(x) not in skip for x in features.lead_ids], dtype=bool)
    if not keep.any() or k <= 0:
        return []
    sub = features.subset(np.flatnonzero(keep))
    if model is None or getattr(model, "gp", None) is None:
        mu = logit(sub.static_prob, 0.005)
        var = np.zeros_like(mu)
        score = binary_entropy(1.0 / (1.0 + np.exp(-mu)))
    else:
        mu, var = model.latent(sub)
        if method in ("bald", "bald_density"):
            score = bald(mu, var)
            if method == "bald_density":
                score = score * _title_density(sub)
        else:
            score = binary_entropy(1.0 / (1.0 + np.exp(-mu / np.sqrt(1.0 + np.pi * var / 8.0))))
    order = np.lexsort((sub.lead_ids, -score))
    return [int(x) for x in sub.lead_ids[order[:k]]]
