"""What the score means and how criteria combine: ``icp_score = 100 x P(client keeps the lead)``.

**The title probability** ``P_title`` is a logistic model of a few features of the best (lead
title, ICP title) pair (:mod:`icp_engine.scoring.title_model`), fitted on the dev split of the
title benchmarks and validated leave-one-track-out (``benchmarks/fit_title_model.py``). When the
ICP sets no titles but picks functions / seniority levels, :func:`function_level_probability`
gives it from the lead's function and level. When the lead has no title evidence at all (no
headline, no position), it is :data:`TITLE_PRIOR`: unknown is neither a match nor a mismatch.

**Hard criteria** (industry, company size, company type) multiply it by a likelihood factor
``m = r + (1 - r) * fit`` (:func:`hard_factor`): 1 when the criterion fits, ``r``
(:data:`MISMATCH_KEEP`) when it clearly does not (the client keeps ``r`` times as many such
leads), in between for partial fits (a sibling industry, an adjacent size band). An **unknown**
hard criterion is marginalised over the prior share :data:`UNKNOWN_FIT_PRIOR` of followers who
fit it: ``m = r + (1 - r) * prior`` - so a CFO whose company is unknown scores below a CFO whose
company is known to fit, and above one known not to.

**Soft criteria** (keywords; location, which is "nice to have") multiply the *odds*: found ->
``x SOFT_LIFT``, looked for and absent -> ``x SOFT_ABSENT`` (costs little: page data rarely holds
keywords), unknown -> ``x 1``.

**Exclusions** (ICP exclusions; students, retirees, recruiters, open-to-work people without a
position unless the ICP targets them) cap the probability below 1 % (see the scorer).

Buckets (:func:`icp_engine.domain.bucket_for`) are ranges of that probability:

* **strong 80-100**: at least 80 % likely to be kept - the role is the ICP's and every known hard
  criterion fits (for an ICP of titles only, the title alone can be strong). Unknown company
  data keeps an exact-title lead below 80 unless the ICP sets titles only.
* **good 60-79**, **possible 40-59** (e.g. an adjacent role of the ICP's function one level
  below: a Controller for a CFO ICP), **poor 0-39**.

Measured on the benchmark's test split (title-only ICPs): see README "Score".
The same lead and ICP version always get the same score: nothing depends on the batch.
"""

from __future__ import annotations

import math

#: P_title of a lead with no title evidence (no headline, no current position): about the share
#: of a creator's followers who hold a target role. Below every lead with a related role, above
#: clear mismatches.
TITLE_PRIOR = 0.12

#: Base probability when the ICP sets no title and no function / seniority (industry-only or
#: size-only ICPs): a lead fitting every hard criterion is kept with this probability.
NO_TITLE_BASE = 0.9

#: Keep rate of a lead that clearly fails a hard criterion, relative to one that fits it. A hard
#: criterion is what a Sales Navigator filter would be: a CFO at a company of the wrong industry
#: or far outside the size bands is kept about one time in ten (partial fits - a sibling
#: industry, an adjacent size band - keep proportionally more). Scorer 3.0 had 0.3 / 0.4, which
#: let a clear company mismatch outrank a weaker title at a fitting company (follower pages with
#: company ICPs and Apify data, ``benchmarks/bench_followers.py``: AUC 0.90 -> 0.93 on dev).
MISMATCH_KEEP: dict[str, float] = {"industry": 0.1, "size": 0.1, "company_type": 0.15}

#: Prior share of followers that fit a hard criterion when the lead's data is unknown (an unknown
#: criterion costs ``1 - (r + (1 - r) * prior)``, about 0.18: a CFO of unknown industry and size
#: stays "good").
UNKNOWN_FIT_PRIOR: dict[str, float] = {"industry": 0.8, "size": 0.8, "company_type": 0.8}

#: Soft criteria: odds multiplier when found, and when looked for but absent.
SOFT_LIFT: dict[str, float] = {"keywords": 2.0, "location": 1.5}
SOFT_ABSENT: dict[str, float] = {"keywords": 0.85, "location": 0.75}

#: Function / seniority probabilities (ICP pickers, and the "adjacent role" floor of free-title
#: ICPs): by (same function, seniority tier distance).
FUNCTION_LEVEL_P: dict[tuple[bool, int], float] = {
    (True, 0): 0.8, (True, 1): 0.55, (True, 2): 0.3, (True, 3): 0.12,
    (False, 0): 0.06, (False, 1): 0.04, (False, 2): 0.03, (False, 3): 0.02,
}
#: Adjacent-role floor for free-title ICPs: a lead of one of the ICP's implied functions at
#: tier distance d gets at least ``ADJACENT_FLOOR[d]`` (Controller / FP&A manager for a CFO
#: ICP: "possible"). Distances beyond the table get no floor.
ADJACENT_FLOOR: dict[int, float] = {0: 0.4, 1: 0.4}
#: ... and only for leads at manager tier or above (a leadership role of the ICP's function).
ADJACENT_MIN_TIER = 4

#: Monotone recalibration of the title model's probability, ``sigmoid(a * logit(P) + b)``
#: (applied before the knowledge floors): the logistic fit ranks well but its top band was
#: over-confident (84 % rel 2 among P >= 0.8 on dev); (1.3, -0.8) was chosen on the dev split of
#: onet + esco_jobbert for >= 85 % there. Scorer 3.2 (title model with ``tok``): (1.3, -1.0),
#: chosen on dev among b in {-0.8, -1.0, -1.2} (best dev nDCG@10, 87.8 % rel 2 at >= 80 on dev).
#: Since scorer 3.5 it applies above model log-odds -2 only; below, the slope is gentler
#: (:func:`icp_engine.scoring.tail.recalibrate`).
TITLE_RECALIBRATION: tuple[float, float] = (1.3, -1.0)

#: Cap of a lead title made only of role and seniority words ("Consultant", "Senior Manager") when
#: every ICP title names what the role is about ("Legal Consultant", "Marketing Manager").
BARE_ROLE_CAP = 0.3

#: A title found only as a whole unparsed headline is weaker evidence: its log-odds are reduced.
HEADLINE_TEXT_LOGIT_PENALTY = 0.5

#: Floors and caps keep the model's order among the leads they move: a floored probability is
#: ``F + FLOOR_SLOPE * (1 - F) * P`` (not ``F`` for all), a capped one ``C + FLOOR_SLOPE * (P -
#: C)``, so the title that is more similar still ranks first instead of tying at the floor
#: (measured on the benchmark's test split: nDCG@10 +0.017 onet, +0.008 esco_jobbert, +0.020
#: occupation groups; AUC unchanged).
FLOOR_SLOPE = 0.05


def soft_floor(p: float, floor: float) -> float:
    """``max(p, floor + FLOOR_SLOPE * (1 - floor) * p)`` for ``floor > 0`` (else ``p``): at
    least ``floor``, below 1 when ``p`` is, monotone in ``p``."""
    if floor <= 0.0:
        return p
    return max(p, floor + FLOOR_SLOPE * (1.0 - floor) * p)


def soft_cap(p: float, cap: float) -> float:
    """``p`` when ``p <= cap``, else ``cap + FLOOR_SLOPE * (p - cap)``: at most
    ``cap + FLOOR_SLOPE``, monotone in ``p``."""
    return p if p <= cap else cap + FLOOR_SLOPE * (p - cap)


def sigmoid(x: float) -> float:
    """Logistic function, numerically safe for large |x|."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def logit(p: float) -> float:
    """Log-odds of ``p`` (clipped to [1e-6, 1 - 1e-6])."""
    p = min(1.0 - 1e-6, max(1e-6, float(p)))
    return math.log(p / (1.0 - p))


def hard_factor(name: str, fit: float | None) -> float:
    """Likelihood factor of a hard criterion: ``r + (1 - r) * fit``; unknown (``None``) uses the
    prior fit :data:`UNKNOWN_FIT_PRIOR`. In ``[r, 1]``."""
    r = MISMATCH_KEEP.get(name, 0.4)
    f = UNKNOWN_FIT_PRIOR.get(name, 0.6) if fit is None else max(0.0, min(1.0, float(fit)))
    return r + (1.0 - r) * f


def soft_odds(name: str, fit: float | None) -> float:
    """Odds multiplier of a soft criterion: ``SOFT_ABSENT ** (1 - fit) * SOFT_LIFT ** fit``
    (fit 1 -> lift, 0 -> small cost); 1.0 when unknown."""
    if fit is None:
        return 1.0
    f = max(0.0, min(1.0, float(fit)))
    return (SOFT_ABSENT.get(name, 0.85) ** (1.0 - f)) * (SOFT_LIFT.get(name, 1.5) ** f)


def function_level_probability(same_function: bool | None, distance: int | None) -> float:
    """P(keep) from function and seniority alone (ICP pickers without titles).

    ``same_function``: the lead's function is one of the ICP's (None: unknown / not a criterion,
    treated as a match at half strength); ``distance``: seniority tier distance to the nearest
    ICP level (None: unknown / not a criterion -> 1).
    """
    d = 1 if distance is None else min(3, max(0, int(distance)))
    if same_function is None:
        return 0.5 * (FUNCTION_LEVEL_P[(True, d)] + FUNCTION_LEVEL_P[(False, d)])
    return FUNCTION_LEVEL_P[(bool(same_function), d)]


def combine(p_title: float, hard: dict[str, float | None], soft: dict[str, float | None]) -> tuple[float, dict[str, float]]:
    """Final probability in [0, 1] and the factor of each criterion.

    ``p_title``: the title (or function / level, or :data:`NO_TITLE_BASE`) probability;
    ``hard``: ``{criterion: fit or None}`` for the ICP's hard criteria; ``soft``: same for soft
    ones. ``P = p_title x prod(hard factors)``, then the odds are multiplied by the soft factors.
    """
    factors: dict[str, float] = {}
    p = max(0.0, min(1.0, float(p_title)))
    for name, fit in hard.items():
        m = hard_factor(name, fit)
        factors[name] = round(m, 4)
        p *= m
    for name, fit in soft.items():
        o = soft_odds(name, fit)
        factors[name] = round(o, 4)
        if o != 1.0 and 0.0 < p < 1.0:
            odds = p / (1.0 - p) * o
            p = odds / (1.0 + odds)
    return max(0.0, min(1.0, p)), factors


def to_score(p: float) -> float:
    """0-100 score (two decimals) of a probability."""
    return round(100.0 * max(0.0, min(1.0, float(p))), 2)
