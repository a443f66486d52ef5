"""The bottom of the ranking (:mod:`icp_engine.scoring.tail`): the recalibration's low tail and
"student" as a modifier of a role.

Pure functions plus scorer checks; the scorer uses the real offline title backbone, no DB.
"""

from __future__ import annotations

import pytest

from icp_engine.domain import ICP, Profile
from icp_engine.scoring import calibration as cal
from icp_engine.scoring import tail


def test_recalibration_is_unchanged_above_the_knee_and_continuous_at_it():
    a, b = cal.TITLE_RECALIBRATION
    for z in (tail.TAIL_KNEE, -1.0, 0.0, 1.5, 4.0):
        assert tail.recalibrate(cal.sigmoid(z)) == pytest.approx(cal.sigmoid(a * z + b), abs=1e-12)
    k = cal.sigmoid(tail.TAIL_KNEE)
    assert tail.recalibrate(k * (1 - 1e-9)) == pytest.approx(tail.recalibrate(k), abs=1e-9)
    # every bucket edge (40, 60, 80) lies above the knee: the buckets do not move
    assert 100 * tail.recalibrate(k) < 40


def test_recalibration_is_increasing_and_keeps_the_low_tail_apart():
    zs = [-9.0, -8.0, -7.5, -7.0, -6.5, -6.0, -5.5, -5.0, -4.0, -3.0, -2.5]
    ps = [tail.recalibrate(cal.sigmoid(z)) for z in zs]
    assert all(x < y for x, y in zip(ps, ps[1:]))
    # printed with two decimals, distinct model log-odds from -8 up stay distinct scores
    # (the old slope 1.3 put -7 and below at 0.01 and -6.5 / -6 at 0.02)
    scores = [cal.to_score(p) for p, z in zip(ps, zs) if z >= -8.0]
    assert len(set(scores)) == len(scores)
    assert min(scores) > 0.01


@pytest.mark.parametrize("text", ["Student Recruitment Officer", "STUDENT RECRUITMENT", "Student Recruiter",
                                  "Student Affairs Manager",
                                  "Manager-International Student Recruitment (Indonesia Region)"])
def test_student_before_a_role_is_a_modifier(text):
    assert not tail.is_student(text)


@pytest.mark.parametrize("text", ["Student", "MBA Student", "Student at State University",
                                  "Practical Student- Graphic & Design", "Student Recruiter | MBA Student",
                                  "Computer science student, looking for internships", "Aspiring data analyst"])
def test_students_are_students(text):
    assert tail.is_student(text)


def test_is_student_of_no_text():
    assert not tail.is_student(None, "")


@pytest.fixture(scope="module")
def scorer():
    from icp_engine.embeddings.local import WordLlamaEmbedder
    from icp_engine.scoring.scorer import Scorer

    return Scorer(WordLlamaEmbedder())


def test_a_student_recruitment_officer_is_scored_for_an_hr_icp_and_a_student_is_not(scorer):
    icp = ICP(target_titles=["Human Resources Officer", "Recruitment Consultant"])
    officer, student = scorer.score(icp, [Profile(titles=["Student Recruitment Officer"]),
                                          Profile(titles=["Student"], headline="MBA Student at State University")])
    assert officer.components["excluded"] is None
    assert officer.icp_score > 5  # scored on its title (main: 0, excluded as a student)
    assert student.components["excluded"] == "student"
    assert student.icp_score == 0.0


def test_clear_mismatches_keep_their_order_and_do_not_depend_on_the_batch(scorer):
    icp = ICP(target_titles=["Chief Financial Officer"])
    leads = [Profile(titles=["Pastry Chef"]), Profile(titles=["Tree Surgeon"]), Profile(titles=["Dental Hygienist"])]
    together = [r.icp_score for r in scorer.score(icp, leads)]
    alone = [scorer.score(icp, [p])[0].icp_score for p in leads]
    assert together == alone
    assert all(0.01 <= s < 5 for s in together)


def test_vectorised_recalibration_equals_the_scalar_one():
    import numpy as np

    p = np.r_[np.linspace(0.0, 1.0, 201), 1e-9, 3e-4, cal.sigmoid(tail.TAIL_KNEE)]
    np.testing.assert_allclose(tail.recalibrate_many(p), [tail.recalibrate(float(v)) for v in p], rtol=1e-12, atol=1e-15)
    assert tail.recalibrate_many(p.reshape(3, -1)).shape == (3, len(p) // 3)
