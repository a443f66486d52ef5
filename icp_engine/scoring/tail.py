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
