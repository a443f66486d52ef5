"""Field extraction from Apify items (issue 2 item 4; FORMATS.md §B.3/§B.5)."""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURES, SHARED_FORMATS, needs_shared
from icp_engine.domain import SIZE_BANDS
from icp_engine.enrich.extract import (
    is_duration_or_employment_type,
    is_empty_item,
    item_keys,
    item_shape,
    profile_from_apify_item,
    size_band,
)

OWN = FIXTURES / "enrich" / "apify_items.json"


def _own() -> list[dict]:
    return json.loads(OWN.read_text(encoding="utf-8"))


def _by_vanity(items: list[dict]) -> dict[str, dict]:
    return {item_keys(i)[1] or item_keys(i)[2]: i for i in items}


# --- the shared sample: every one of its 8 items -------------------------------------------------

SHARED_EXPECTED = {
    "nora-vidal-3b2a1c": dict(
        name="Nora Vidal", titles=["VP Finance", "Board Advisor (Finance)"], company="Quillstone Systems",
        company_size="201-500", industry="Computer Software", location="Barcelona, Catalonia, Spain",
        past_roles=["Finance Manager at Brightmoor Retail Group", "Audit Associate at Ardent Audit S.L."],
        skills_len=5, summary_starts="Finance leader", profile_id="ACoAAEkjYj4mbM4pZlGEvUDUBH1mLh2ZJ3JMRSa"),
    "priyanka-raman-202": dict(
        name="Priyanka Raman", titles=["Chief Financial Officer"], company="Vantrella Health",
        company_size="501-1000", industry="Hospital & Health Care", location="London, England, United Kingdom",
        past_roles=["Director, Transaction Services at Harcourt Lyle LLP"], skills_len=3, summary_starts=None,
        profile_id="ACoAA7gRjI8ciBPv9ilUlfqoWSuAfSQ6DltNCgo"),
    "kenjiwatanabe": dict(
        name="Kenji Watanabe", titles=["Founder & CEO"], company="Tessaract Labs", company_size=None,
        industry="Technology, Information and Internet", location="Japan",
        past_roles=["Product Lead at Kurobara Commerce"], skills_len=0, summary_starts="Building in public",
        profile_id="ACoAAZATzX3yczGGWjo07YAsNSnwkoOK3TRB_4f"),
    "rafael-montoya-8812a7": dict(
        name="Rafael Montoya", titles=[], company=None, company_size=None, industry="Higher Education",
        location="Valparaíso, Chile", past_roles=["Finance Intern at Andescargo"], skills_len=2,
        summary_starts=None, profile_id="ACoAAZo1v4Z9BELx9kxSSD9qGgjvXX0GrmFei3V"),
    "sofia-lindgren-a41b2c9": dict(
        name="Sofia Lindgren", titles=[], company=None, company_size=None, industry=None, location="Sweden",
        past_roles=[], skills_len=0, summary_starts=None, profile_id="ACoAAz-8DwkCCc0BBdnXK8SvO5vVFTL4aZ30T9S"),
    "henrikmadsen": dict(
        name="Henrik Madsen", titles=["Partner", "Board Member"], company="Madsen & Holm Revisionsfirma",
        company_size="11-50", industry="Accounting", location="Copenhagen, Capital Region of Denmark, Denmark",
        past_roles=["Senior Manager at Madsen & Holm Revisionsfirma"], skills_len=3, summary_starts=None,
        profile_id="ACoAAdcWfyOhYb_8a8RHXrMTR4r7pp2PxpNzVQ6"),
    "daniel-park-finops": dict(
        name="Daniel Park", titles=["Vice President, Finance", "Board Advisor", "Mentor"],
        company="Halverin Robotics", company_size="501-1000", industry="Industrial Automation",
        location="Seattle, Washington, United States", past_roles=["Senior Finance Manager at Orbital Retail Corp"],
        skills_len=4, summary_starts=None, profile_id="ACoAAa7XcKw7hWu5YpZXAMElQT8YDeojbWdmgeU"),
    "jürgen-albrecht-b3": dict(
        name="Jürgen Albrecht", titles=["Geschäftsführer"], company="Albrecht Feinmechanik Hohlstedt GmbH",
        company_size="51-200", industry="Machinery", location="Stuttgart, Baden-Württemberg, Germany",
        past_roles=["Leiter Controlling at Schwabentec AG"], skills_len=3, summary_starts="Familienunternehmen",
        profile_id="ACoAAu3CLAdnN-ZWm67ENYSLH45jH3bX9leXiUP"),
}


@needs_shared
@pytest.mark.parametrize("vanity", sorted(SHARED_EXPECTED))
def test_shared_sample_item(vanity):
    items = json.loads((SHARED_FORMATS / "apify_profiles_sample.json").read_text(encoding="utf-8"))
    assert len(items) == 8
    item = _by_vanity(items)[vanity]
    exp = SHARED_EXPECTED[vanity]
    p = profile_from_apify_item(item)
    assert p.name == exp["name"]
    assert p.titles == exp["titles"]
    assert p.company == exp["company"]
    assert p.company_size == exp["company_size"]
    assert p.industry == exp["industry"]
    assert p.location == exp["location"]
    assert p.past_roles == exp["past_roles"]
    assert len(p.skills) == exp["skills_len"]
    if exp["summary_starts"]:
        assert p.summary.startswith(exp["summary_starts"])
    else:
        assert p.summary is None
    assert p.profile_id == exp["profile_id"]
    assert p.vanity == vanity
    assert p.source == "apify"
    assert p.company_size in (None, *SIZE_BANDS)


@needs_shared
def test_shared_sample_junk_company_is_repaired_and_placeholder_headline_dropped():
    items = _by_vanity(json.loads((SHARED_FORMATS / "apify_profiles_sample.json").read_text(encoding="utf-8")))
    henrik = profile_from_apify_item(items["henrikmadsen"])
    assert "Full-time" not in (henrik.company or "")
    assert "Madsen & Holm Revisionsfirma" not in henrik.titles
    assert profile_from_apify_item(items["sofia-lindgren-a41b2c9"]).headline is None
    # the percent-encoded inputUrl and the decoded publicIdentifier agree
    pid, van, url = item_keys(items["jürgen-albrecht-b3"])
    assert van == "jürgen-albrecht-b3" and url.endswith("j%C3%BCrgen-albrecht-b3/")


# --- own fixture -----------------------------------------------------------------------------------


def test_own_two_current_positions_and_tiny_company():
    p = profile_from_apify_item(_by_vanity(_own())["maren-okafor-lind"])
    assert p.titles == ["Head of Finance", "Treasurer"]
    assert p.company == "Tidewell Analytics"
    assert p.company_size == "51-200"
    assert p.industry == "Information Technology & Services"  # the company's, not industryName
    assert p.past_roles == ["Audit Senior at Veldkamp & Roos Accountants",
                            "Audit Assistant at Veldkamp & Roos Accountants"]  # only 2 of 3 past roles
    assert p.location == "Rotterdam, South Holland, Netherlands"


def test_own_grouped_company_junk_duration():
    p = profile_from_apify_item(_by_vanity(_own())["tomasz-wierzbicki-fd"])
    assert p.titles == ["Finance Director"]
    assert p.company == "Kolejka Logistics"
    assert p.company_size == "1001-5000"
    assert p.industry == "Logistics & Supply Chain"
    assert p.summary.startswith("Logistics finance")  # from `about`
    assert p.skills == ["FX Hedging", "Fleet Finance"]  # {name} objects


def test_own_header_without_sub_positions_keeps_company():
    item = {"firstName": "A", "positions": [
        {"title": "Brackenfield Ltd", "companyName": "Full-time · 2 yrs", "company": {"name": "Full-time · 2 yrs"},
         "timePeriod": {"startDate": {"year": 2023}}}], "companyName": "Full-time · 2 yrs",
        "jobTitle": "Brackenfield Ltd"}
    p = profile_from_apify_item(item)
    assert p.company == "Brackenfield Ltd"
    assert p.titles == []


def test_own_current_company_employee_count_and_location_name():
    p = profile_from_apify_item(_by_vanity(_own())["abena-mensah-clarke"])
    assert p.company == "Lumora Health"
    assert p.company_size == "201-500"  # 342 employees
    assert p.industry == "Hospitals and Health Care"  # currentCompany.industries[].name
    assert p.location == "Accra, Ghana"
    assert p.skills == []


def test_own_no_positions():
    p = profile_from_apify_item(_by_vanity(_own())["gwen-ashcombe-new"])
    assert p.titles == [] and p.company is None and p.past_roles == []
    assert p.headline.startswith("Retired")


def test_other_actor_shapes():
    items = _by_vanity(_own())
    h = items["lucia-ferrante"]
    assert item_shape(h) == "harvestapi"
    p = profile_from_apify_item(h)
    assert (p.titles, p.company, p.location) == (["Chief Financial Officer"], "Brezza Mobility", "Milan, Lombardy, Italy")
    assert p.past_roles == ["Finance Manager at Ottone Foods"]
    assert p.profile_id == "ACoAAF6hJk8Lz0Xc2Vb4Nm6Qa8Ws0Ed2Rf4Tg6y"
    d = items["oskar-haaland"]
    assert item_shape(d) == "dev_fusion"
    p = profile_from_apify_item(d)
    assert (p.titles, p.company, p.company_size, p.industry) == (
        ["VP Finance"], "Fjordline Software", "201-500", "Software Development")
    assert p.profile_id == "ACoAAG7jKl9Zx1Cv3Bn5Mq7Wr9Ty1Ui3Op5As7d"
    assert p.summary is None and p.skills == ["Budgeting", "SaaS"]


def test_error_item_is_empty():
    items = _own()
    err = [i for i in items if i.get("succeeded") is False][0]
    assert is_empty_item(err)
    assert not any(is_empty_item(i) for i in items if i is not err)
    assert is_empty_item({"inputUrl": "https://www.linkedin.com/in/x"})


@pytest.mark.parametrize("value,junk", [
    ("8 yrs 1 mo", True), ("Full-time", True), ("Full-time · 11 yrs 4 mos", True), ("1 yr", True),
    ("less than a year", True), ("Part-time · 5 mos", True), ("Jul 2022 - Present · 3 yrs 5 mos", True),
    ("Quillstone Systems", False), ("3M", False), ("Full Stack Labs", False), ("", False), (None, False),
    ("24 Seven Staffing", False),
])
def test_junk_detection(value, junk):
    assert is_duration_or_employment_type(value) is junk


@pytest.mark.parametrize("value,band", [
    ({"start": 0, "end": 1}, "1-10"), ({"start": 2, "end": 10}, "1-10"), ({"start": 11, "end": 50}, "11-50"),
    ({"start": 51, "end": 200}, "51-200"), ({"start": 201, "end": 500}, "201-500"),
    ({"start": 501, "end": 1000}, "501-1000"), ({"start": 1001, "end": 5000}, "1001-5000"),
    ({"start": 5001, "end": 10000}, "5001-10000"), ({"start": 10001}, "10001+"),
    (342, "201-500"), (1, "1-10"), (10, "1-10"), (11, "11-50"), (250000, "10001+"),
    ("2-10", "1-10"), ("201-500", "201-500"), ("10,001+", "10001+"), ("51-200 employees", "51-200"),
    (None, None), ({}, None), ("unknown", None), (True, None),
])
def test_size_band(value, band):
    assert size_band(value) == band


def test_item_keys_and_bad_input():
    assert item_keys({"profileId": "not-an-id", "id": "ACoAAz-8DwkCCc0BBdnXK8SvO5vVFTL4aZ30T9S",
                      "publicIdentifier": "J%C3%BCrgen-X"}) == (
        "ACoAAz-8DwkCCc0BBdnXK8SvO5vVFTL4aZ30T9S", "jürgen-x", None)
    assert item_keys({"id": "518204377"}) == (None, None, None)
    with pytest.raises(TypeError):
        profile_from_apify_item(["not", "a", "dict"])
    # odd types never crash
    p = profile_from_apify_item({"positions": [None, 3, {"title": 5, "timePeriod": "x"}], "skills": [None, 7],
                                 "firstName": None, "geoCountryName": 12})
    assert p.titles == ["5"] and p.skills == ["7"] and p.location == "12"
