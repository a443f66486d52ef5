"""Scorer: every criterion, bands and named sizes, unknown vs mismatch, exclusions, determinism,
calibration on an own fixture, reasoning format, reranking (fake reranker), follower ranking.

Uses the real offline embedder (WordLlama, weights inside the wheel); no database needed.
"""

from __future__ import annotations

import json
import re

import pytest

from icp_engine.domain import ICP, Profile, bucket_for
from icp_engine.scoring import calibration as cal
from icp_engine.scoring.industry import industry_fit
from icp_engine.scoring.scorer import RERANK_WEIGHT, SCORER_VERSION, Scorer, profile_document, rerank_query
from icp_engine.scoring.sizes import lead_band, size_fit, target_bands
from icp_engine.scoring.title_match import (
    CSUITE_FLOOR,
    chief_officer_role,
    equivalence_floor,
    is_csuite_icp,
    title_info,
)
from icp_engine.scoring.titles import (
    detect_status,
    normalize_title,
    parse_headline,
    seniority_level,
    title_features,
)

from conftest import FIXTURES

FINANCE = ICP(name="Finance leaders", target_titles=["CFO", "VP Finance", "Head of Finance"])


@pytest.fixture(scope="module")
def embedder():
    from icp_engine.embeddings.local import WordLlamaEmbedder

    return WordLlamaEmbedder()


@pytest.fixture(scope="module")
def scorer(embedder):
    return Scorer(embedder)


def one(scorer, icp, **profile):
    return scorer.score(icp, [Profile(**profile)])[0]


# ----------------------------------------------------------------------------- titles


@pytest.mark.parametrize("raw, norm", [
    ("CFO", "chief financial officer"),
    ("VP of Finance & Ops", "vice president of finance and operations"),
    ("Sr. FP&A Manager", "senior financial planning and analysis manager"),
    ("Database Administrator (DBA)", "database administrator"),
    ("Accounting Manager (Work From Home)", "accounting manager"),
    ("Data Analyst - Kuala Lumpur - (6 months contract)", "data analyst"),
    ("HR Generalist (Human Resources Generalist)", "human resources generalist"),
    ("SVP, Finance", "senior vice president finance"),
    ("Senior Business Dev Mgr", "senior business development manager"),
    ("A&P Executive", "advertising and promotions executive"),
    ("P&O Business Partner", "people and organisation business partner"),
    ("Marcom Specialist", "marketing communications specialist"),
    ("Geschäftsführer", "geschaftsfuhrer"),
])
def test_normalize_title_expands_abbreviations_and_drops_noise(raw, norm):
    assert normalize_title(raw) == norm


@pytest.mark.parametrize("title, level", [
    ("Chief Operating Officer", 7), ("Founder & CEO", 7), ("Chief Financial and Operating Officer", 7),
    ("Chief of Staff", 4), ("VP Sales", 6), ("SVP Finance", 6),
    ("Head of Finance", 5), ("Finance Director", 5), ("Assistant Director of Finance", 4),
    ("FP&A Manager", 4), ("Senior Accountant", 3), ("Accountant", 2), ("Junior Analyst", 1),
    ("Finance Intern", 0),
])
def test_seniority_levels(title, level):
    assert seniority_level(normalize_title(title)) == level


@pytest.mark.parametrize("headline, titles, company", [
    ("VP Finance at Quarrydale Systems | SaaS metrics nerd", ("VP Finance",), "Quarrydale Systems"),
    ("CFO | Brambleton Health | ex-Big4", ("CFO",), "Brambleton Health"),
    ("Founder & CEO, Orrin Labs (AI for logistics)", ("Founder & CEO",), "Orrin Labs"),
    ("Head of Revenue Operations @ Tidewell Capital", ("Head of Revenue Operations",), "Tidewell Capital"),
    ("Growth Marketing Lead — Pebblecrest Pay", ("Growth Marketing Lead",), "Pebblecrest Pay"),
    ("Fractional CFO for DTC brands", ("Fractional CFO",), None),
    ("Helping founders raise capital | Partner @ Ashgrove Ventures", ("Partner",), "Ashgrove Ventures"),
])
def test_parse_headline(headline, titles, company):
    got = parse_headline(headline)
    assert got.titles == titles
    assert (got.companies[0] if got.companies else None) == company


def test_parse_headline_without_role():
    assert parse_headline("--").titles == ()
    assert parse_headline("Retired. Avid gardener.").titles == ()
    assert parse_headline(None).titles == ()


@pytest.mark.parametrize("text, flag", [
    ("Student at Northbridge University", "student"),
    ("Retired. Avid sailor.", "retired"),
    ("Senior Recruiter at Hireloop", "recruiter"),
    ("Talent Acquisition Lead", "recruiter"),
    ("Finance leader | #OpenToWork", "open_to_work"),
    ("Seeking new opportunities in FP&A", "open_to_work"),
])
def test_detect_status(text, flag):
    assert flag in detect_status(text)


def test_detect_status_clean_for_normal_headline():
    assert detect_status("VP Finance at Larkspur Analytics | CPA") == frozenset()


def test_title_abbreviations_both_ways(scorer):
    a = one(scorer, ICP(target_titles=["CFO"]), titles=["Chief Financial Officer"])
    b = one(scorer, ICP(target_titles=["Chief Financial Officer"]), titles=["CFO"])
    assert a.components["title"] >= 0.9 and b.components["title"] >= 0.9


@pytest.mark.parametrize("target, other", [
    ("COO", "CTO"), ("COO", "CFO"), ("COO", "CIO"), ("CFO", "CTO"), ("CFO", "CMO"), ("CFO", "CRO"),
    ("Chief Operating Officer", "Chief Technology Officer"),
])
def test_c_level_titles_are_not_confused(scorer, target, other):
    r = one(scorer, ICP(target_titles=[target]), titles=[other])
    assert r.components["title"] < 0.4, r.match_reasoning


@pytest.mark.parametrize("title, level, executive", [
    ("Product Owner", 4, False), ("Process Owner", 4, False), ("Data Owner", 4, False),
    ("Owner", 7, True), ("Business Owner", 7, True), ("Restaurant Owner", 7, True),
])
def test_artefact_owner_is_not_a_business_owner(title, level, executive):
    f = title_features(title)
    assert f.level == level
    assert ("executive" in f.functions) is executive


def test_product_owner_is_not_a_top_executive(scorer):
    r = one(scorer, ICP(target_titles=["CEO", "Founder"]), titles=["Product Owner"])
    assert r.components["title"] < 0.4, r.match_reasoning
    r2 = one(scorer, ICP(target_titles=["CEO", "Founder"]), titles=["Owner"])
    assert r2.components["title"] >= 0.7, r2.match_reasoning


def test_chief_officer_role_and_csuite_icp():
    assert chief_officer_role(title_info("Group CEO")) == "chief executive officer"
    assert chief_officer_role(title_info("CISO")) == "chief information security officer"
    assert chief_officer_role(title_info("Chief of Staff")) is None
    assert chief_officer_role(title_info("Fire Chief")) is None
    assert is_csuite_icp([title_info("CEO"), title_info("Chief Operating Officer (COO)")])
    assert not is_csuite_icp([title_info("CEO"), title_info("Chief Executive Officer")])
    assert not is_csuite_icp([title_info("CFO"), title_info("VP Finance")])


@pytest.mark.parametrize("other", ["CIO", "Chief Technology Officer", "Chief Innovation Officer"])
def test_csuite_icp_covers_every_chief_officer(scorer, other):
    """An ICP naming several C-level roles means the C-suite: other chief officers are good fits,
    while an ICP with a single C-level role still keeps them apart."""
    suite = one(scorer, ICP(target_titles=["CEO", "COO", "Executive Director"]), titles=[other])
    assert suite.components["title"] >= CSUITE_FLOOR - 1e-9, suite.match_reasoning
    assert suite.bucket in ("good", "strong")
    single = one(scorer, ICP(target_titles=["COO"]), titles=[other])
    assert single.components["title"] < 0.4, single.match_reasoning
    below = one(scorer, ICP(target_titles=["CEO", "COO"]), titles=["Chief of Staff"])
    assert below.components["title"] < CSUITE_FLOOR, below.match_reasoning


@pytest.mark.parametrize("candidate", ["Finance Director", "Director of Finance", "Vice President, Finance",
                                       "VP of Finance", "Chief Financial Officer"])
def test_equivalent_finance_leader_titles_score_at_least_good(scorer, candidate):
    r = one(scorer, FINANCE, titles=[candidate])
    assert r.icp_score >= 80, r.match_reasoning


def test_equivalence_floor_rules():
    assert equivalence_floor(title_info("CFO"), title_info("Chief Financial Officer")) == pytest.approx(0.97)
    assert equivalence_floor(title_info("Head of Finance"), title_info("Finance Director")) == pytest.approx(0.85)
    assert equivalence_floor(title_info("COO"), title_info("CFO")) == 0.0
    assert equivalence_floor(title_info("Head of Finance"), title_info("Financial Director")) == pytest.approx(0.85)
    assert equivalence_floor(title_info("Production Manager"), title_info("Product Manager")) == 0.0
    assert equivalence_floor(title_info("Operations Director"), title_info("Directory Operator")) == 0.0


def test_best_pair_wins_over_titles_and_headline(scorer):
    r = one(scorer, FINANCE, titles=["Board Advisor", "VP Finance"], headline="Dad of two | sailing")
    assert r.components["title_evidence"] == "VP Finance"
    r2 = one(scorer, FINANCE, headline="Ops nerd | CFO at Heronfield | ex-Big4")
    assert r2.components["title_evidence"] == "CFO"
    assert r2.bucket in ("strong", "good")


def test_title_features_functions():
    f = title_features("VP of Finance & Ops")
    assert {"finance", "operations"} <= f.functions and "leader" in f.roles


# ----------------------------------------------------------------------------- industry


def test_industry_relations():
    targets = ["Software Development"]
    assert industry_fit("Software Development", targets)[0] == 1.0
    assert industry_fit("Computer Software", targets)[0] == 1.0  # legacy V1 name
    assert industry_fit("Computer Games", targets)[0] == pytest.approx(0.95)  # descendant
    assert industry_fit("Technology, Information and Media", ["Computer Games"])[1] == "ancestor"
    parent = industry_fit("Software Development", ["Computer Games"])[0]
    grandparent = industry_fit("Technology, Information and Media", ["Computer Games"])[0]
    assert parent == pytest.approx(0.6) and grandparent == pytest.approx(0.3)
    fit, rel, _ = industry_fit("IT Services and IT Consulting", targets)
    assert rel in ("sibling", None) and fit <= 0.5
    assert industry_fit("Hospitals and Health Care", targets)[0] == 0.0
    assert industry_fit(None, targets)[0] is None
    assert industry_fit("Banking", [])[0] is None


def test_industry_criterion_in_scorer(scorer):
    icp = ICP(target_titles=["CFO"], target_industries=["Financial Services"])
    exact = one(scorer, icp, titles=["CFO"], industry="Banking")
    other = one(scorer, icp, titles=["CFO"], industry="Restaurants")
    unknown = one(scorer, icp, titles=["CFO"])
    assert exact.components["industry"] >= 0.95
    assert other.components["industry"] == 0.0
    assert unknown.components["industry"] is None
    assert exact.icp_score > unknown.icp_score > other.icp_score
    assert "industry: Banking ✓" in exact.match_reasoning
    assert "industry: unknown" in unknown.match_reasoning


# ----------------------------------------------------------------------------- size


def test_size_bands_and_named_sizes():
    assert target_bands(["51-200", "201-500"]) == ["51-200", "201-500"]
    assert target_bands(["startup"]) == ["1-10", "11-50"]
    assert target_bands(["enterprise"]) == ["1001-5000", "5001-10000", "10001+"]
    assert target_bands(["mid-market"]) == ["201-500", "501-1000"]
    assert set(target_bands(["SMB"])) == {"1-10", "11-50", "51-200"}
    assert target_bands(["100-1000 employees"]) == ["51-200", "201-500", "501-1000"]
    assert target_bands(["nonsense"]) == []
    assert lead_band("10,001+ employees") == "10001+"
    assert lead_band("2-10") == "1-10"
    assert lead_band(None) is None


def test_size_fit_partial_credit():
    t = ["51-200"]
    assert size_fit("51-200", t) == 1.0
    assert size_fit("201-500", t) == 0.5 and size_fit("11-50", t) == 0.5
    assert size_fit("501-1000", t) == pytest.approx(0.15)
    assert size_fit("10001+", t) == 0.0
    assert size_fit(None, t) is None
    assert size_fit("51-200", []) is None


def test_size_criterion_in_scorer(scorer):
    icp = ICP(target_titles=["CFO"], company_sizes=["startup"])
    inside = one(scorer, icp, titles=["CFO"], company_size="11-50")
    near = one(scorer, icp, titles=["CFO"], company_size="51-200")
    far = one(scorer, icp, titles=["CFO"], company_size="10001+")
    assert inside.icp_score > near.icp_score > far.icp_score
    assert "size: 11-50 ✓" in inside.match_reasoning
    assert "size: 10001+ ✗" in far.match_reasoning


# ----------------------------------------------------------------------------- keywords, location


def test_keywords(scorer):
    icp = ICP(target_titles=["CFO"], keywords=["SaaS", "B2B"])
    hit = one(scorer, icp, titles=["CFO"], headline="CFO | B2B SaaS", summary="")
    miss = one(scorer, icp, titles=["CFO"], headline="CFO at a bakery")
    assert hit.components["keywords"] == 1.0 and miss.components["keywords"] == 0.0
    assert "keywords: SaaS, B2B ✓" in hit.match_reasoning
    assert "keywords: not found" in miss.match_reasoning
    assert miss.icp_score > 80  # a soft criterion costs little when absent
    skills = one(scorer, ICP(keywords=["NetSuite"]), skills=["netsuite", "Excel"])
    assert skills.components["keywords"] == 1.0


def test_location(scorer):
    icp = ICP(target_titles=["CFO"], locations=["United Kingdom"])
    uk = one(scorer, icp, titles=["CFO"], location="Leeds, England, United Kingdom")
    us = one(scorer, icp, titles=["CFO"], location="Denver, Colorado, United States")
    unknown = one(scorer, icp, titles=["CFO"])
    assert uk.components["location"] == 1.0 and us.components["location"] == 0.0
    assert unknown.components["location"] is None
    assert uk.icp_score > unknown.icp_score > us.icp_score


# ----------------------------------------------------------------------------- unknown vs mismatch


def test_unknown_is_not_a_mismatch(scorer):
    icp = ICP(target_titles=["CFO"], target_industries=["Software Development"], company_sizes=["51-200"])
    unknown = one(scorer, icp, titles=["CFO"])
    mismatch = one(scorer, icp, titles=["CFO"], industry="Farming", company_size="10001+")
    full = one(scorer, icp, titles=["CFO"], industry="Software Development", company_size="51-200")
    assert full.icp_score > unknown.icp_score > mismatch.icp_score
    assert unknown.bucket in ("strong", "good")


def test_unknown_does_not_inflate_single_weak_field(scorer):
    icp = ICP(target_titles=["CFO"], target_industries=["Software Development"],
              company_sizes=["51-200"], keywords=["SaaS"])
    only_kw = one(scorer, icp, summary="We love SaaS")
    assert only_kw.components["title"] is None and only_kw.components["keywords"] == 1.0
    assert only_kw.icp_score < 60
    nothing = one(scorer, icp, name="Nobody")
    assert nothing.bucket == "poor"


def test_company_data_cannot_rescue_a_wrong_role(scorer):
    icp = ICP(target_titles=["CFO"], target_industries=["Software Development"], company_sizes=["51-200"])
    r = one(scorer, icp, titles=["Barista"], industry="Software Development", company_size="51-200")
    assert r.icp_score < 40


def test_combine_is_a_probability_with_marginalised_unknowns():
    assert cal.combine(0.9, {}, {})[0] == pytest.approx(0.9)
    fit, factors = cal.combine(0.9, {"industry": 1.0}, {})
    assert fit == pytest.approx(0.9) and factors == {"industry": 1.0}
    r, prior = cal.MISMATCH_KEEP["industry"], cal.UNKNOWN_FIT_PRIOR["industry"]
    assert cal.combine(0.9, {"industry": 0.0}, {})[0] == pytest.approx(0.9 * r)
    assert cal.combine(0.9, {"industry": None}, {})[0] == pytest.approx(0.9 * (r + (1 - r) * prior))
    # soft: lift when found, small cost when absent, nothing when unknown
    p = 0.5
    found = cal.combine(p, {}, {"keywords": 1.0})[0]
    absent = cal.combine(p, {}, {"keywords": 0.0})[0]
    assert found == pytest.approx(cal.SOFT_LIFT["keywords"] / (1 + cal.SOFT_LIFT["keywords"]))
    assert 0.45 < absent < p < found
    assert cal.combine(p, {}, {"keywords": None})[0] == pytest.approx(p)
    assert cal.hard_factor("size", None) == pytest.approx(cal.MISMATCH_KEEP["size"] + (1 - cal.MISMATCH_KEEP["size"]) * cal.UNKNOWN_FIT_PRIOR["size"])


# ----------------------------------------------------------------------------- exclusions


def test_explicit_exclusions(scorer):
    icp = ICP(target_titles=["CFO"], exclusions=["Grimsby Analytics", "recruiter"])
    comp = one(scorer, icp, titles=["CFO"], company="Grimsby Analytics")
    rec = one(scorer, icp, headline="Finance Recruiter | placing CFOs")
    ok = one(scorer, icp, titles=["CFO"], company="Harlow Foods")
    assert comp.icp_score <= 5 and comp.bucket == "poor"
    assert "excluded: Grimsby Analytics" in comp.match_reasoning
    assert rec.icp_score <= 5
    assert ok.icp_score >= 80


def test_status_pushes_to_bottom_unless_targeted(scorer):
    student = one(scorer, FINANCE, headline="Finance student at Eastmoor University | aspiring CFO")
    assert student.icp_score <= 10 and "excluded: student" in student.match_reasoning
    recruiting_icp = ICP(target_titles=["Recruiter", "Talent Acquisition Manager"])
    rec = one(scorer, recruiting_icp, headline="Senior Recruiter at Hireloop")
    assert rec.icp_score >= 60 and rec.components["excluded"] is None
    open_cfo = one(scorer, FINANCE, headline="Former CFO | #OpenToWork")
    assert open_cfo.icp_score <= 10


# ----------------------------------------------------------------------------- determinism, batch independence


def test_deterministic_and_batch_independent(scorer):
    icp = ICP(target_titles=["VP Finance"], target_industries=["Software Development"], company_sizes=["51-200"])
    p = Profile(headline="VP of Finance & Ops @ Tallow Analytics | CPA", industry="Computer Software",
                company_size="51-200")
    alone = scorer.score(icp, [p])[0]
    others = [Profile(headline=f"Engineer #{i}", titles=["Software Engineer"]) for i in range(30)]
    in_batch = scorer.score(icp, others + [p] + others)[30]
    again = scorer.score(icp, [p])[0]
    assert alone.icp_score == in_batch.icp_score == again.icp_score
    assert alone.match_reasoning == in_batch.match_reasoning
    assert alone.components == again.components


def test_poor_batch_is_not_stretched(scorer):
    res = scorer.score(FINANCE, [Profile(titles=["Barista"]), Profile(titles=["Line Cook"]),
                                 Profile(titles=["Forklift Operator"])])
    assert max(r.icp_score for r in res) < 40


def test_empty_icp_and_empty_batch(scorer):
    assert scorer.score(FINANCE, []) == []
    r = scorer.score(ICP(), [Profile(titles=["CFO"])])[0]
    assert r.icp_score == 0 and r.match_reasoning == "ICP has no criteria"


def test_scorer_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+", SCORER_VERSION)


# ----------------------------------------------------------------------------- calibration


def test_calibration_property_on_own_fixture(scorer):
    """Strong (80+) must be mostly clear targets; poor (<40) almost never a clear target."""
    data = json.loads((FIXTURES / "scoring_titles.json").read_text())
    hi, lo = [], []
    for case in data["cases"]:
        icp = ICP(**case["icp"])
        cands = case["candidates"]
        res = scorer.score(icp, [Profile(titles=[t]) for t, _ in cands])
        for r, (_, rel) in zip(res, cands):
            (hi if r.icp_score >= 80 else lo if r.icp_score < 40 else []).append(rel)
        # every clear target above every unrelated title
        s2 = [r.icp_score for r, (_, rel) in zip(res, cands) if rel == 2]
        s0 = [r.icp_score for r, (_, rel) in zip(res, cands) if rel == 0]
        assert min(s2) > max(s0), (icp.name, sorted(zip([r.icp_score for r in res], cands))[-12:])
    assert len(hi) >= 8 and sum(r == 2 for r in hi) / len(hi) >= 0.85
    assert len(lo) >= 20 and sum(r == 2 for r in lo) / len(lo) <= 0.05


def test_buckets_follow_documented_meaning():
    assert [bucket_for(s) for s in (95, 80, 79.9, 60, 59, 40, 39.9, 0)] == [
        "strong", "strong", "good", "good", "possible", "possible", "poor", "poor"]
    assert cal.to_score(0.8) == 80.0 and cal.to_score(1.2) == 100.0 and cal.to_score(-1) == 0.0
    assert cal.sigmoid(cal.logit(0.37)) == pytest.approx(0.37)


# ----------------------------------------------------------------------------- reasoning


def test_reasoning_format(scorer):
    icp = ICP(target_titles=["VP Finance"], target_industries=["Software Development"],
              company_sizes=["201-500"], keywords=["ARR"])
    r = one(scorer, icp, titles=["VP of Finance & Ops"], industry="Software Development",
            company_size="201-500", headline="VP of Finance & Ops")
    parts = r.match_reasoning.split(" · ")
    assert re.fullmatch(r'title: "VP of Finance & Ops" [≈~] "VP Finance" \(\d\.\d\d\)', parts[0])
    assert parts[1].startswith("function: Finance")
    assert parts[2] == "seniority: Vice President ✓"
    assert "industry: Software Development ✓" in parts
    assert "size: 201-500 ✓" in parts
    assert "keywords: not found" in parts
    assert "\n" not in r.match_reasoning
    for k in ("title", "function", "seniority", "industry", "size", "keywords", "stage1", "probability", "factors"):
        assert k in r.components
    assert r.components["seniority"] == "Vice President"
    assert all(v is None or 0.0 <= v <= 1.0 for k, v in r.components.items()
               if k in ("title", "industry", "size", "keywords", "probability"))
    json.dumps(r.components)


# ----------------------------------------------------------------------------- reranking


class FakeReranker:
    """Scores documents by a fixed preference; records calls. Raw outputs are logits."""

    name = "fake"

    def __init__(self, prefer: str):
        self.prefer = prefer
        self.calls: list[tuple[str, list[str]]] = []

    def rerank(self, query, documents):
        self.calls.append((query, list(documents)))
        return [6.0 if self.prefer in d else -6.0 for d in documents]


def test_reranker_applies_to_top_n_only(embedder):
    profiles = [Profile(titles=["VP Finance"], company="Alder"), Profile(titles=["Head of Finance"], company="Birch"),
                Profile(titles=["Finance Director"], company="Cedar"), Profile(titles=["Barista"], company="Dune"),
                Profile(headline="Student at Ellery College")]
    fake = FakeReranker(prefer="Cedar")
    base = Scorer(embedder).score(FINANCE, profiles)
    res = Scorer(embedder, reranker=fake, rerank_top_n=3).score(FINANCE, profiles)
    assert len(fake.calls) == 1
    query, docs = fake.calls[0]
    assert query == rerank_query(FINANCE) and "CFO" in query
    assert len(docs) == 3 and not any("Barista" in d or "Student" in d for d in docs)
    # used as a rank: the reranker's first moves up by RERANK_WEIGHT/2, the others (tied last) down
    assert res[2].components["rerank_rank"] == 1.0 and res[0].components["rerank_rank"] == 0.25
    assert res[2].components["rerank"] == pytest.approx(cal.sigmoid(6.0), abs=1e-3)
    assert res[2].icp_score == pytest.approx(cal.to_score(base[2].components["stage1"] + RERANK_WEIGHT / 2), abs=0.1)
    assert res[0].icp_score < base[0].icp_score
    assert res[2].icp_score > base[2].icp_score  # moved up, by at most RERANK_WEIGHT / 2
    assert "rerank: #1/3" in res[2].match_reasoning and "rerank: #2/3" in res[0].match_reasoning
    # outside the top N and excluded leads: untouched
    assert res[3].icp_score == base[3].icp_score and "rerank" not in res[3].components
    assert res[4].icp_score == base[4].icp_score


def test_reranker_cannot_change_what_a_score_means(embedder):
    """Very negative raw logits for every lead (as the local cross-encoder gives) do not sink a batch."""

    class Gloomy:
        name = "gloomy"

        def rerank(self, query, documents):
            return [-9.0 - 0.1 * k for k in range(len(documents))]

    profiles = [Profile(titles=["CFO"]), Profile(titles=["VP Finance"]), Profile(titles=["Head of Finance"])]
    base = Scorer(embedder).score(FINANCE, profiles)
    res = Scorer(embedder, reranker=Gloomy()).score(FINANCE, profiles)
    for b, r in zip(base, res):
        assert abs(r.icp_score - b.icp_score) <= 100 * RERANK_WEIGHT / 2 + 0.1
    assert sum(r.bucket == "strong" for r in res) >= 2


def test_rank_scores():
    from icp_engine.scoring.scorer import _rank_scores

    assert _rank_scores([3.0, 1.0, 2.0]) == [1.0, 0.0, 0.5]
    assert _rank_scores([1.0, 1.0]) == [0.5, 0.5]
    assert _rank_scores([7.0]) == [0.5]


def test_reranker_wrong_length_raises(embedder):
    class Bad:
        name = "bad"

        def rerank(self, query, documents):
            return [1.0]

    with pytest.raises(ValueError):
        Scorer(embedder, reranker=Bad()).score(FINANCE, [Profile(titles=["CFO"]), Profile(titles=["VP Finance"])])


def test_profile_document():
    d = profile_document(Profile(titles=["CFO"], headline="CFO at X", company="X", industry="Banking",
                                 company_size="51-200"))
    assert d == "CFO | CFO at X | at X | industry: Banking | 51-200 employees"


# ----------------------------------------------------------------------------- followers


def test_finance_icp_ranks_invented_followers(scorer):
    icp = ICP(target_titles=["CFO", "VP Finance", "Head of Finance"],
              target_industries=["Software Development", "Financial Services"],
              company_sizes=["51-200", "201-500"])
    followers = {
        "leader_cfo": Profile(headline="CFO | Wrenfield Software | ex-Big4"),
        "leader_vp": Profile(headline="VP Finance at Marblegate Systems | SaaS metrics"),
        "leader_head": Profile(headline="Head of Finance — Quillhaven Payments"),
        "leader_dir": Profile(headline="Director of Finance | Ostrava Cloud"),
        "engineer": Profile(headline="Senior Software Engineer at Brightpine"),
        "designer": Profile(headline="Product Designer @ Loomcraft"),
        "student": Profile(headline="Student at Kellerman Business School"),
        "retiree": Profile(headline="Retired. Keen birdwatcher."),
        "recruiter": Profile(headline="Recruiter at Finchley Talent — hiring finance leaders"),
        "open": Profile(headline="Finance professional | Open to work"),
    }
    res = dict(zip(followers, scorer.score(icp, list(followers.values()))))
    ranked = sorted(res, key=lambda k: -res[k].icp_score)
    assert set(ranked[:4]) == {"leader_cfo", "leader_vp", "leader_head", "leader_dir"}
    assert set(ranked[-4:]) == {"student", "retiree", "recruiter", "open"}
    # exact titles with unknown company data: "good" (industry and size marginalised), not strong
    assert all(res[k].bucket == "good" for k in ("leader_cfo", "leader_vp", "leader_head"))
    assert res["leader_dir"].icp_score >= 55
    assert res["engineer"].bucket == "poor"
    excluded = [k for k in res if res[k].components["excluded"]]
    assert set(excluded) == {"student", "retiree", "recruiter", "open"}
    assert max(res[k].icp_score for k in excluded) == 0.0 < min(
        res[k].icp_score for k in res if k not in excluded)


# ----------------------------------------------------------------------------- company type


def test_company_type_criterion(scorer):
    from icp_engine.scoring.scorer import company_type_fit

    assert company_type_fit("startup", ["startup"]) == 1.0
    assert company_type_fit("scaleup", ["startup"]) == 0.5
    assert company_type_fit("enterprise", ["startup"]) == 0.0
    assert company_type_fit("unknown", ["startup"]) is None
    icp = ICP(target_titles=["CFO"], company_types=["Start-up"])
    small = one(scorer, icp, titles=["CFO"], company_size="11-50", industry="Software Development")
    big = one(scorer, icp, titles=["CFO"], company_size="10001+", industry="Software Development")
    unknown = one(scorer, icp, titles=["CFO"])
    assert small.components["company_type"] == 1.0 and big.components["company_type"] == 0.0
    assert unknown.components["company_type"] is None
    assert small.icp_score > unknown.icp_score > big.icp_score
    assert "type: startup ✓" in small.match_reasoning


def test_scorer_exposes_version(scorer):
    assert scorer.version == SCORER_VERSION


# ----------------------------------------------------------------------------- combined titles, executives


def test_split_roles():
    from icp_engine.scoring.titles import split_roles

    assert split_roles("President & CEO") == ["President", "CEO"]
    assert split_roles("CFO & Co-founder") == ["CFO", "Co-founder"]
    assert split_roles("VP of Finance & Ops") == []
    assert split_roles("Sales & Marketing Executive") == []


@pytest.mark.parametrize("candidate, minimum", [
    ("President & CEO", 80), ("Founder & CEO", 80), ("Co-founder", 80), ("Co-Founder", 80),
    ("Managing Director", 60), ("Owner", 60),
])
def test_top_executive_titles(scorer, candidate, minimum):
    r = one(scorer, ICP(target_titles=["CEO", "Founder"]), titles=[candidate])
    assert r.icp_score >= minimum, r.match_reasoning


def test_assistant_to_an_executive_is_not_the_executive(scorer):
    assert normalize_title("Executive Assistant to the CFO") == "executive assistant"
    r = one(scorer, ICP(target_titles=["CFO"]), titles=["Executive Assistant to the CFO"])
    assert r.icp_score < 40
