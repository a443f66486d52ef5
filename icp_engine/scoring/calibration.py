"""Calibration: raw criterion scores -> 0-1 fits -> one absolute 0-100 ``icp_score``.

Meaning of the score (see :func:`icp_engine.domain.bucket_for`):

* **80-100 strong** - the lead clearly is the person the ICP describes (on the title benchmark:
  at least 85 % of leads scoring 80+ hold a title of a target occupation);
* **60-79 good** - very likely a fit, or a fit on the main criteria with a gap elsewhere;
* **40-59 possible** - related role (neighbouring function or seniority) or partial evidence;
* **0-39 poor** - not the ICP (on the title benchmark at most 5 % of leads under 40 are clear
  targets); excluded leads (students, retirees, recruiters, competitors...) sit here.

The title fit is ``sigmoid(a * raw + b)`` where ``raw`` is the best weighted title-pair score
(:mod:`icp_engine.scoring.title_match`); ``a``/``b`` per embedder family were fitted by logistic
regression of "rel 2" on the dev split of ``../shared/bench`` and are shipped here as
constants (no benchmark data). Nothing is stretched per batch: the same lead and ICP always give
the same score.

Measured on the benchmark's test split with the default embedder (WordLlama), title-only ICPs:
87.3 % of candidates scoring >= 80 are rel 2 (onet 84.5 %, esco_jobbert 88.4 %), 1.34 % of
those under 40 are (``python benchmarks/bench_matching.py``).
"""

from __future__ import annotations

import math

#: Title raw score -> fit: (a, b) of ``sigmoid(a * raw + b)`` per embedder family.
# BEGIN FITTED CALIBRATION
TITLE_CALIBRATION: dict[str, tuple[float, float]] = {
    "bge": (12.173, -13.377),
    "wordllama": (2.771, -6.506),
}
# END FITTED CALIBRATION

#: Weight of each criterion in the combined score (renormalised over the ICP's criteria).
CRITERION_WEIGHTS: dict[str, float] = {
    "title": 0.55,
    "industry": 0.2,
    "size": 0.1,
    "keywords": 0.1,
    "location": 0.05,
    "company_type": 0.1,
}

#: An unknown criterion counts as this value with ``UNKNOWN_WEIGHT_FACTOR`` of its weight, so
#: missing data pulls a score towards the middle instead of being a mismatch or inflating it.
UNKNOWN_PRIOR = 0.3
UNKNOWN_WEIGHT_FACTOR = 0.35

#: Without a known title fit (when titles are a criterion), or with less than half of the
#: criteria's weight known, a lead cannot rise above "possible".
UNKNOWN_CAP = 0.59

#: A poor title caps the combined fit at ``title_fit + TITLE_CAP_MARGIN`` (company data alone
#: cannot make a non-target role "good").
TITLE_CAP_MARGIN = 0.25


def sigmoid(x: float) -> float:
    """Logistic function, numerically safe for large |x|."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def title_fit_from_raw(raw: float, family: str) -> float:
    """Calibrated title fit in [0, 1] from a raw title score (``TITLE_CALIBRATION[family]``)."""
    a, b = TITLE_CALIBRATION.get(family) or TITLE_CALIBRATION["wordllama"]
    return sigmoid(a * raw + b)


def combine(components: dict[str, float | None], criteria: list[str]) -> float:
    """Combined fit in [0, 1] of the ICP's ``criteria`` (names of :data:`CRITERION_WEIGHTS`).

    ``components[name]`` is the criterion's fit in [0, 1] or None when unknown for this lead.
    Known criteria count with their weight; unknown ones with ``UNKNOWN_WEIGHT_FACTOR`` of it at
    ``UNKNOWN_PRIOR``. With a known title fit, the result is capped at ``title + margin``; with
    the title unknown (when it is a criterion) or under half of the weight known, at
    ``UNKNOWN_CAP``.
    Returns 0.0 when ``criteria`` is empty.
    """
    num = den = known = total = 0.0
    for name in criteria:
        w = CRITERION_WEIGHTS.get(name, 0.1)
        v = components.get(name)
        total += w
        if v is not None:
            known += w
        if v is None:
            num += w * UNKNOWN_WEIGHT_FACTOR * UNKNOWN_PRIOR
            den += w * UNKNOWN_WEIGHT_FACTOR
        else:
            num += w * float(v)
            den += w
    if den <= 0:
        return 0.0
    out = num / den
    t = components.get("title")
    if "title" in criteria and t is not None:
        out = min(out, float(t) + TITLE_CAP_MARGIN)
    if ("title" in criteria and t is None) or known < 0.5 * total:
        out = min(out, UNKNOWN_CAP)
    return max(0.0, min(1.0, out))


def to_score(fit: float) -> float:
    """0-100 score (one decimal) of a fit in [0, 1]."""
    return round(100.0 * max(0.0, min(1.0, fit)), 1)
