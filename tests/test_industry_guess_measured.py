"""The offline industry guess is allowed only where it was measured right >= 95 % of the time
(issue 8 item 5): re-run the measurement of benchmarks/bench_industry_guess.py on its labelled set
of listed companies (pytickersymbols: names and industries only) and check the kept rules."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from bench_industry_guess import guess_sectors, measure, sectors, wilson_lower

from icp_engine.classify import GUESS_MIN_PRECISION, GUESS_MIN_SUPPORT, NAME_GUESS_RULES


def test_kept_name_rules_meet_the_bar_and_the_embedding_guess_does_not():
    res = measure()
    assert res["labelled"] > 1500
    kept = {label for _, label in NAME_GUESS_RULES}
    assert kept == {"Banking", "Real Estate"}
    for label in kept:
        n, right = res["rules"][label]
        assert n >= GUESS_MIN_SUPPORT and right / n >= GUESS_MIN_PRECISION, (label, n, right)
    n, right = res["kept"]
    assert n >= GUESS_MIN_SUPPORT and right / n >= GUESS_MIN_PRECISION
    # the removed guesses: the name's nearest label and, e.g., "... Utilities/Energy/Power"
    en, eright = res["embedding"]
    assert en > 300 and eright / en < 0.8
    un, uright = res["rules"]["Utilities"]
    assert uright / un < GUESS_MIN_PRECISION


def test_measurement_helpers():
    assert sectors(["Banking Services", "Financials"]) == {"finance"}
    assert "finance" in guess_sectors("Banking")
    assert "tech" in guess_sectors("Radio and Television Broadcasting")
    assert 0.92 < wilson_lower(49, 49) < 0.93 and wilson_lower(0, 0) == 0.0
