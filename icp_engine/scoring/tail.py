"""The bottom of the ranking: calibration of the title model's low tail, and status words that
modify a role.

**Tail recalibration** (:func:`recalibrate`). The title model's probability is recalibrated
monotonically, ``sigmoid(a * logit(P) + b)`` with :data:`calibration.TITLE_RECALIBRATION`
``(1.3, -1.0)``, chosen for the top band (>= 85 % rel 2 among scores >= 80). A slope above 1 also
steepens the tail: a title with model log-odds -6 became P ~ 3e-4 (score 0.01-0.03), while on the
benchmark's dev split about 0.1-0.6 % of such titles are true matches (onet / esco_jobbert). The
score has two decimals, so thousands of leads tied at 0.01-0.05 and the true matches among them
lost their order to the model (AUC is decided there: on the test split, ties cost 0.0007 AUC on
onet, 0.0018 on esco_jobbert and 0.0056 on occupation groups, ``benchmarks/diagnose_tail.py``).
Below the knee :data:`TAIL_KNEE` (model log-odds; recalibrated P there is 2.7 %, far below every
bucket edge) the slope is :data:`TAIL_SLOPE`, fitted by maximum likelihood on the dev split of onet
+ esco_jobbert title-only ICPs (the same data as ``TITLE_RECALIBRATION``) with the curve kept
continuous at the knee (knee -1 / -2 / -3: slopes 0.93 / 0.84 / 0.70). Above the knee nothing
changes, so the buckets and the calibration at >= 80 and < 40 are exactly as before.

**Status words as modifiers** (:func:`is_student`): "Student Recruitment Officer" or
"Student Recruiter" is a person who works with students, not a student. The status flag
"student" is dropped when the word is directly followed by a role title of its own (the rest of
the title has a role noun of the package's lexicon, :func:`title_match.title_info`).

Diagnosis (``benchmarks/diagnose_tail.py``, scorer 3.4, test split): AUC is lost to inversions
by the title model itself (onet 0.037, esco_jobbert 0.068, groups 0.097 of the pairs), not to
the floors and caps (the whole scorer's AUC equals the raw model's within 0.002; the floors lift
AUC slightly). The rel-2 candidates under most rel-0 ones have low cosines (0.5-0.65: ESCO /
O*NET neighbours such as "Growth Lead" for a business consultant) and a function of the lexicon
that is not the ICP's (``fun`` 0); exclusions (students, recruiters the ICP does not target) are
1-7 % of the lost AUC; ties at two decimals 0.0007 / 0.0018 / 0.0056.

Tried and not kept (raw model, leave-one-track-out test nDCG@10 / AUC onet / esco_jobbert /
groups; base 0.811 / 0.962, 0.874 / 0.934, 0.675 / 0.899): ``fun`` unknown (not 0) when the
ICP's titles imply no function (5 group queries): 0.807 / 0.961, 0.873 / 0.934, 0.675 / 0.900
(with the shipped weights groups 0.681 -> 0.679: a lead the lexicon cannot classify either often
shares the ICP's unclassifiable words); a pairwise (RankNet) term added to the top-k logistic fit,
lambda 0.1 / 0.3 / 1: esco_jobbert 0.862 / 0.861 / 0.859 and AUC 0.933-0.932; a model of its own
for the candidates under the first stage's top 1,000 (its ``tok`` weight turns negative; esco
AUC inside that tail 0.51 vs 0.69); the first-stage (all candidates) logits blended in below a
first-stage cut (top 300 / 1,000, weight 0.5 / 1): AUC onet +0.0004, esco_jobbert -0.0004 to
-0.0009, groups +0.0005 to +0.0013, nDCG unchanged; shapes of the features: seniority distance
as a hinge (0.805 / 0.875 / 0.676, esco AUC 0.927), capped at 2 tiers, square root; an
indicator of a function mismatch (0.809 / 0.874 / 0.680, AUC 0.962 / 0.933 / 0.897); ``fun``
floored at 0.25; ``hub`` clipped from below at 0.6-0.75 (0.810-0.815 / 0.870-0.874 / 0.675-0.681,
which track gains changes with the clip).
"""

from __future__ import annotations

import math
import re

import numpy as np

from . import calibration as cal

#: Model log-odds below which the tail slope applies (P_recalibrated = sigmoid(1.3 * -2 - 1) = 2.7 %).
TAIL_KNEE = -2.0
#: Slope of the recalibrated log-odds in the model's log-odds below the knee (fitted on dev, see above).
TAIL_SLOPE = 0.84


def recalibrate(p: float) -> float:
    """Recalibrated title probability in (0, 1) of a title-model probability ``p`` in [0, 1].

    ``sigmoid(a * logit(p) + b)`` (``(a, b) = calibration.TITLE_RECALIBRATION``) for
    ``logit(p) >= TAIL_KNEE``; below it the log-odds continue from the knee with slope
    :data:`TAIL_SLOPE`. Continuous and strictly increasing in ``p``; per value (batch-invariant)."""
    a, b = cal.TITLE_RECALIBRATION
    z = cal.logit(p)
    if z >= TAIL_KNEE:
        return cal.sigmoid(a * z + b)
    return cal.sigmoid(a * TAIL_KNEE + b + TAIL_SLOPE * (z - TAIL_KNEE))


def recalibrate_many(p: np.ndarray) -> np.ndarray:
    """:func:`recalibrate` of every value of ``p`` (any shape, values in [0, 1]), vectorised; the
    result has ``p``'s shape, each value depending only on its own input."""
    a, b = cal.TITLE_RECALIBRATION
    q = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1.0 - 1e-6)
    z = np.log(q / (1.0 - q))
    y = np.where(z >= TAIL_KNEE, a * z + b, a * TAIL_KNEE + b + TAIL_SLOPE * (z - TAIL_KNEE))
    return 1.0 / (1.0 + np.exp(-y))


_STUDENT_ROLE = re.compile(r"\bstudents?\s+(?P<rest>[A-Za-z][^|,;/()\u00b7\u2022\u2013\u2014-]*)", re.I)
_SEGMENTS = re.compile(r"\s+[-\u2013\u2014]\s+|[|,;/()\u00b7\u2022]")


def _qualifies_role(rest: str) -> bool:
    from .title_match import title_info
    from .titles import detect_status

    return bool(title_info(rest).feats.roles) or "recruiter" in detect_status(rest)


def is_student(*texts: str | None) -> bool:
    """True when a text (headline, current titles) says the person is a student.

    As :func:`titles.detect_status`, except that "student" directly followed by a role title of
    its own is a modifier ("Student Recruitment Officer", "Student Recruiter", "Student Affairs
    Manager": a person who works with students). Checked per segment of the text (split at
    ``| , ; / ( )`` and spaced dashes), so "Student Recruiter | MBA Student" is a student.
    False for empty texts."""
    from .titles import detect_status

    for text in texts:
        if not text:
            continue
        for seg in _SEGMENTS.split(str(text)):
            if "student" not in detect_status(seg):
                continue
            rest = _STUDENT_ROLE.sub(lambda m: "" if _qualifies_role(m.group("rest")) else m.group(0), seg)
            if "student" in detect_status(rest):
                return True
    return False


def _check() -> None:  # pragma: no cover - sanity of the constants at import
    assert math.isclose(recalibrate(cal.sigmoid(TAIL_KNEE)), recalibrate(cal.sigmoid(TAIL_KNEE - 1e-12)), abs_tol=1e-9)


_check()
