"""Scorer 3: probability semantics, function / seniority, group titles, the issue's user checks.

Real offline models (WordLlama for industry labels, the bge-small fp32 title backbone); no DB.
"""

from __future__ import annotations

import json

import pytest

from icp_engine.domain import ICP, Profile
from icp_engine.scoring import calibration as cal
from icp_engine.scoring.functions import (
    FUNCTIONS,
    SENIORITIES,
    canonical_function,
    canonical_seniority,
    classify_title,
    icp_targets,
)
from icp_engine.scoring.scorer import Scorer
from icp_engine.scoring.targets import expand_target

from conftest import SHARED_FORMATS, needs_shared

FINANCE = ICP(target_titles=["CFO", "VP Finance", "Head of Finance"])


@pytest.fixture(scope="module")
def scorer():
    from icp_engine.embeddings.local import WordLlamaEmbedder

    return Scorer(WordLlamaEmbedder())


def one(scorer, icp, **kw):
    return scorer.score(icp, [Profile(**kw)])[0]


# ----------------------------------------------------------------------------- functions / seniority


@pytest.mark.parametrize("title, function, seniority", [
    ("CFO", "Finance", "CXO"),
    ("Senior FP&A Manager", "Finance", "Experienced Manager"),
    ("Founder & CEO", "Entrepreneurship", "Owner / Partner"),
    ("VP Sales", "Sales", "Vice President"),
    ("Director of Engineering", "Engineering", "Director"),
    ("Team Lead, Customer Support", "Customer Success and Support", "Entry Level Manager"),
    ("Senior Software Engineer", "Engineering", "Senior"),
    ("Management Consultant", "Consulting", "Strategic"),
    ("Junior Accountant", "Accounting", "Entry Level"),
    ("Marketing Intern", "Marketing", "In Training"),
    ("HR Business Partner", "Human Resources", None),
])
def test_classify_title(title, function, seniority):
    c = classify_title(title)
    assert function in c.functions, c
    assert all(f in FUNCTIONS for f in c.functions)
    if seniority:
        assert c.seniority == seniority, c
    assert c.seniority in SENIORITIES


@pytest.mark.parametrize("title, seniority", [
    # "partner" naming a role, not an owner: the rest of the title decides the level
    ("HR Business Partner", "Entry Level"),
    ("Senior Talent Acquisition Partner", "Senior"),
    ("Channel Partner Manager", "Experienced Manager"),
    ("Partner Marketing Lead", "Experienced Manager"),
    ("Director, Partner Sales", "Director"),
    # "partner" as the owner-level title stays Owner / Partner
    ("Partner", "Owner / Partner"),
    ("Managing Partner", "Owner / Partner"),
    ("Audit Partner", "Owner / Partner"),
    ("Founding Partner at Brindle Ventures", "Owner / Partner"),
])
def test_partner_is_owner_level_only_when_it_is_the_title(title, seniority):
    assert classify_title(title).seniority == seniority


def test_classify_empty_and_canonical_labels():
    assert classify_title("") .seniority is None and classify_title("").functions == ()
    assert canonical_function("finance") == "Finance" and canonical_function("IT") == "Information Technology"
    assert canonical_function("astrology") is None
    assert canonical_seniority("vp") == "Vice President" and canonical_seniority("owner / partner") == "Owner / Partner"
    assert canonical_seniority("c-level") == "CXO" and canonical_seniority("nonsense") is None


def test_free_titles_imply_functions_and_levels():
    it = icp_targets(["CFO", "VP Finance", "Head of Finance"])
    assert it.functions[0] == "Finance" and not it.explicit_functions
    assert set(it.seniorities) == {"CXO", "Vice President", "Director"}
    picked = icp_targets(["CFO"], ["Information Technology"], ["Director"])
    assert picked.functions == ("Information Technology",) and picked.seniorities == ("Director",)
    assert picked.explicit_functions and picked.explicit_seniorities and picked.tiers == {5}


def test_icp_of_functions_and_levels_only(scorer):
    icp = ICP(functions=["Finance"], seniorities=["CXO", "Vice President"])
    assert not icp.is_empty()
    cfo = one(scorer, icp, titles=["Chief Financial Officer"])
    fin_mgr = one(scorer, icp, titles=["Finance Manager"])
    eng = one(scorer, icp, titles=["VP Engineering"])
    unknown = one(scorer, icp, name="No headline")
    assert cfo.bucket == "strong" and cfo.components["function"][0] == "Finance"
    assert cfo.icp_score > fin_mgr.icp_score > eng.icp_score
    assert eng.bucket == "poor"
    assert unknown.components["title"] is None and unknown.icp_score == pytest.approx(100 * cal.TITLE_PRIOR)
    assert "role:" in cfo.match_reasoning


def test_picked_function_sharpens_free_titles(scorer):
    base = ICP(target_titles=["Director"])
    picked = ICP(target_titles=["Director"], functions=["Finance"])
    fin = "Director of Finance"
    mkt = "Director of Marketing"
    gap_picked = one(scorer, picked, titles=[fin]).icp_score - one(scorer, picked, titles=[mkt]).icp_score
    gap_base = abs(one(scorer, base, titles=[fin]).icp_score - one(scorer, base, titles=[mkt]).icp_score)
    assert gap_picked > 25 and gap_picked > gap_base + 20
    assert one(scorer, picked, titles=[mkt]).icp_score < 1  # the other function: clearly not


# ----------------------------------------------------------------------------- group titles


def test_expand_group_titles():
    assert expand_target("CFO") == ("CFO",)
    assert expand_target("Financial managers and directors") == (
        "Financial managers and directors", "Financial managers", "directors", "Financial directors")
    got = expand_target("Software and web developers, programmers and testers")
    assert "Software developers" in got and "web developers" in got and "testers" in got
    assert expand_target("Technical and medical sales professionals (excluding ICT)")[1:] == (
        "Technical sales professionals", "medical sales professionals")
    assert expand_target("") == ()


def test_group_phrased_icp_finds_its_jobs(scorer):
    icp = ICP(target_titles=["Financial managers and directors"])
    res = scorer.score(icp, [Profile(titles=[t]) for t in
                             ("Finance Director", "Financial Manager", "Treasurer", "Nurse", "Software Engineer")])
    s = [r.icp_score for r in res]
    assert min(s[:3]) > max(s[3:]) + 10, s


# ----------------------------------------------------------------------------- the user checks


@pytest.mark.parametrize("title", ["Controller", "Financial Controller", "Senior FP&A Manager", "Treasurer"])
def test_adjacent_finance_roles_are_possible_for_a_cfo_icp(scorer, title):
    r = one(scorer, FINANCE, titles=[title], headline=title)
    assert r.bucket == "possible", r.match_reasoning
    assert r.icp_score > one(scorer, FINANCE, titles=["Software Engineer"]).icp_score + 30


def test_keyword_does_not_demote_strong_cfo(scorer):
    leads = [Profile(titles=["CFO"], headline="CFO at Acme"), Profile(titles=["VP Finance"], headline="VP Finance")]
    plain = scorer.score(FINANCE, leads)
    with_kw = scorer.score(ICP(target_titles=FINANCE.target_titles, keywords=["SaaS"]), leads)
    assert all(r.bucket == "strong" for r in plain)
    assert all(r.bucket == "strong" for r in with_kw)
    saas = one(scorer, ICP(target_titles=FINANCE.target_titles, keywords=["SaaS"]), titles=["CFO"],
               headline="CFO | B2B SaaS")
    assert saas.icp_score > with_kw[0].icp_score  # found: a lift


def test_strong_needs_known_company_data_unless_titles_only(scorer):
    titles_only = one(scorer, FINANCE, titles=["CFO"])
    icp = ICP(target_titles=FINANCE.target_titles, target_industries=["Software Development"], company_sizes=["51-200"])
    unknown = one(scorer, icp, titles=["CFO"])
    fits = one(scorer, icp, titles=["CFO"], industry="Software Development", company_size="51-200")
    wrong = one(scorer, icp, titles=["CFO"], industry="Farming", company_size="10001+")
    assert titles_only.bucket == "strong" and fits.bucket == "strong"
    assert unknown.bucket == "good" and 60 <= unknown.icp_score < 80
    assert wrong.bucket == "poor"
    assert unknown.components["factors"]["industry"] == pytest.approx(cal.hard_factor("industry", None), abs=1e-4)


def test_no_headline_is_unknown_not_a_mismatch(scorer):
    res = scorer.score(FINANCE, [Profile(name="Nobody"), Profile(headline="--"), Profile(titles=["Barista"]),
                                 Profile(titles=["Controller"]), Profile(titles=["CFO"])])
    nobody, dashes, barista, controller, cfo = (r.icp_score for r in res)
    assert nobody == pytest.approx(100 * cal.TITLE_PRIOR) and dashes == nobody
    assert barista < nobody < controller < cfo


def test_batch_independent_scores(scorer):
    leads = [Profile(titles=[t], headline=f"{t} at Co") for t in ("CFO", "Controller", "Nurse", "Head of Data")]
    alone = [scorer.score(FINANCE, [p])[0].icp_score for p in leads]
    together = [r.icp_score for r in scorer.score(FINANCE, leads + [Profile(titles=[f"Role {i}"]) for i in range(40)])]
    assert together[: len(leads)] == alone


def test_components_are_json_and_documented(scorer):
    icp = ICP(target_titles=["CFO"], target_industries=["Software Development"], company_sizes=["51-200"],
              keywords=["SaaS"], locations=["Germany"], company_types=["startup"])
    r = one(scorer, icp, titles=["CFO"], headline="CFO | SaaS", industry="Software Development",
            company_size="51-200", location="Berlin, Germany")
    c = json.loads(json.dumps(r.components))
    for k in ("title", "title_evidence", "title_target", "title_source", "title_cos", "title_features",
              "function", "seniority", "function_match", "seniority_gap", "industry", "industry_relation",
              "size", "company_type", "keywords", "keywords_found", "location", "factors", "probability",
              "stage1", "excluded"):
        assert k in c, k
    assert set(c["title_features"]) == {"cmax", "cvar", "ccen", "fun", "lv", "tok", "hub", "lvar", "lcen", "kvar", "kcen"}
    assert r.icp_score == pytest.approx(100 * c["probability"], abs=0.01)


@needs_shared
def test_shared_sample_with_finance_icp(scorer):
    from icp_engine.enrich import EnrichRequest
    from icp_engine.enrich.page import profile_from_page
    from icp_engine.ingest.upload import parse_upload

    parsed = parse_upload("followers_sample.html", (SHARED_FORMATS / "followers_sample.html").read_bytes())
    profs = [profile_from_page(EnrichRequest(i, f.key, f.url, page=Profile(
        name=f.name, headline=f.headline, location=f.location, company=f.company, titles=[f.title] if f.title else [])))
        for i, f in enumerate(parsed.people)]
    res = scorer.score(FINANCE, profs)
    ranked = [h for _, h in sorted(((-r.icp_score, i), (f.headline or "").strip()) for i, (f, r) in
                                   enumerate(zip(parsed.people, res)))]
    prefixes = ("VP Finance", "CFO", "Head of Finance —", "Finance Director", "Director of Finance",
                "Fractional CFO", "VP of Finance")
    leaders = [i for i, h in enumerate(ranked) if h.startswith(prefixes)]
    assert leaders == list(range(len(leaders))) and len(leaders) >= 8, ranked
    n = len(ranked)
    for who in ("Student", "Retired"):
        assert any(h.startswith(who) for h in ranked[n - 8:]), ranked
    empty = [i for i, h in enumerate(ranked) if h in ("", "--")]
    assert empty and min(empty) > max(leaders)


def test_rank_process_exits_cleanly_while_the_backbone_loads(tmp_path):
    """An industry-only ICP never needs the title backbone: the process ends while the background
    load may still run, and must exit normally (a daemon thread inside onnxruntime aborted it)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "icp.json").write_text(json.dumps({"target_industries": ["Software Development"]}))
    (tmp_path / "leads.jsonl").write_text('{"id": 1, "industry": "Banking"}\n{"id": 2, "industry": "Software Development"}\n')
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    for _ in range(2):
        out = subprocess.run([sys.executable, "-m", "icp_engine", "rank", "--icp", str(tmp_path / "icp.json"),
                              "--leads", str(tmp_path / "leads.jsonl")], capture_output=True, text=True, env=env,
                             cwd=tmp_path, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        rows = [json.loads(x) for x in out.stdout.splitlines()]
        assert rows[1]["icp_score"] == pytest.approx(100 * cal.NO_TITLE_BASE) and rows[0]["icp_score"] < 40


def test_token_overlap_is_a_jaccard_of_content_words():
    from icp_engine.scoring.title_model import UNKNOWN_TOK, content_words, token_overlap

    t = [content_words(x) for x in ("Revenue Operations Manager", "Payroll Specialist")]
    assert content_words("Senior Payroll Specialist") == content_words("Payroll Specialist")
    assert token_overlap("Head of Payroll", t) == 1.0  # role and seniority words aside
    assert token_overlap("Revenue Operations Lead", t) == 1.0
    assert token_overlap("Revenue Accountant", t) == pytest.approx(1 / 3)  # {reven, accou} vs {reven, opera}
    assert token_overlap("Plant Supervisor", t) == 0.0
    assert token_overlap("Manager", t) == 0.0  # no content words: overlaps none
    # a target of role words only says nothing about content: unknown, whatever the lead
    bare = [content_words("Director")]
    assert token_overlap("Director of Payroll", bare) == UNKNOWN_TOK == token_overlap("Manager", bare)
    assert token_overlap("Director of Payroll", []) == UNKNOWN_TOK


def test_token_overlap_orders_same_cosine_neighbours(scorer):
    """Two leads whose titles the embedding puts about equally close: the one holding the ICP's
    own content words ranks first."""
    icp = ICP(target_titles=["Payroll Specialist"])
    rs = scorer.score(icp, [Profile(titles=["Payroll Administrator"]), Profile(titles=["Benefits Specialist"])])
    f0, f1 = rs[0].components["title_features"], rs[1].components["title_features"]
    assert f0["tok"] == 1.0 and f1["tok"] == 0.0
    assert rs[0].icp_score > rs[1].icp_score
