"""The grammar of occupation-group ICP titles (:mod:`icp_engine.scoring.icp_side`).

Pure functions plus one scorer check; the scorer uses the real offline title backbone, no DB.
"""

from __future__ import annotations

import pytest

from icp_engine.domain import ICP, Profile
from icp_engine.scoring.icp_side import clean_group, expand_group, implied_tiers


def test_remainder_markers_and_exclusions_are_dropped():
    assert clean_group("Lawyers, judges, and related workers") == "Lawyers, judges"
    assert clean_group("Other administrative occupations n.e.c.") == "administrative occupations"
    assert clean_group("Clerks not elsewhere classified") == "Clerks"
    assert clean_group("Sales representatives, wholesale and manufacturing, except technical "
                       "and scientific products") == "Sales representatives, wholesale and manufacturing"
    assert clean_group("Sales professionals (excluding ICT)") == "Sales professionals"
    # the vague remainder is not a job of its own
    assert expand_group("Lawyers, judges, and related workers")[1:] == ("Lawyers", "judges")


def test_shared_head_after_an_adjective():
    # "Sales" parallels "public relations", not "public": it shares only "professionals"
    assert expand_group("Sales, marketing and public relations professionals")[1:] == (
        "Sales professionals", "marketing professionals", "public relations professionals")
    assert expand_group("Advertising and public relations managers")[1:] == (
        "Advertising managers", "public relations managers")
    # two parallel adjectives / nouns share everything after the first word
    assert expand_group("Technical and medical sales professionals")[1:] == (
        "Technical sales professionals", "medical sales professionals")
    assert expand_group("Software and web developers")[1:] == ("Software developers", "web developers")


def test_person_plurals_inverted_and_prepositional_qualifiers():
    assert expand_group("Logisticians and project management specialists")[1:] == (
        "Logisticians", "project management specialists")
    assert expand_group("Book-keepers, payroll managers and wages clerks")[1] == "Book-keepers"
    assert expand_group("Sales representatives, wholesale and manufacturing")[1:] == (
        "Sales representatives", "wholesale Sales representatives", "manufacturing Sales representatives")
    # without a comma a trailing part is not an inverted qualifier
    assert expand_group("Head of sales & marketing")[1:] == ("Head of sales", "Head of marketing")
    assert expand_group("VP of Sales and Marketing")[1:] == ("VP of Sales", "VP of Marketing")
    got = expand_group("Production managers and directors in manufacturing")
    assert "Production managers" in got and "Production directors" in got
    assert "directors in manufacturing" in got and "directors" not in got  # a bare role keeps its setting


def test_each_person_noun_of_a_list_is_a_job_of_its_own():
    # "officials" names a person: it does not borrow "legislators" as its head
    got = expand_group("Chief executives, senior officials and legislators")
    assert {"Chief executives", "senior officials", "legislators"} <= set(got)
    assert "senior officials legislators" not in got
    assert expand_group("Couriers and messengers")[1:] == ("Couriers", "messengers")


def test_single_titles_are_left_alone():
    for t in ("CFO", "Director of Finance", "Chief Executive Officer", "Head of Sales"):
        assert expand_group(t) == (t,)
    assert expand_group("Chief Executive Officer (CEO)") == ("Chief Executive Officer",)
    assert expand_group("") == () and expand_group("n.e.c.") == ()
    assert len(expand_group("A, B, C, D, E, F, G, H, I, J managers")) == 8


def test_implied_tiers_read_top_as_c_level():
    assert 7 in implied_tiers("Top executives") and 7 in implied_tiers("top management team")
    assert implied_tiers("Financial managers and directors") == {4, 5}
    assert 7 not in implied_tiers("Stop-loss analysts") and 7 not in implied_tiers("Laptop repairers")
    assert implied_tiers("") == set()


@pytest.fixture(scope="module")
def scorer():
    from icp_engine.embeddings.local import WordLlamaEmbedder
    from icp_engine.scoring.scorer import Scorer

    return Scorer(WordLlamaEmbedder())


def test_top_executives_icp_ranks_a_ceo_above_a_marketing_executive(scorer):
    icp = ICP(target_titles=["Top executives"])
    assert 7 in scorer._prepare(icp).tset.tiers
    ceo, mkt = scorer.score(icp, [Profile(titles=["Chief Executive Officer"]),
                                  Profile(titles=["Marketing Executive"])])
    assert ceo.icp_score > mkt.icp_score
    # "top executives" means the C-suite as a group: any chief officer is at least "possible"
    cto = scorer.score(icp, [Profile(titles=["Chief Technology Officer"])])[0]
    assert ceo.icp_score >= 60 and cto.icp_score >= 60 and mkt.icp_score < 40
