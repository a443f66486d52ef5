"""Apify item shapes of issue 8 (FORMATS.md §B.5 / §H), on project-owned fixtures: dev_fusion
UI-shaped experiences (both variants), supreme_coder with scrapeCompany, harvestapi; and the
exported-dataset provider matching them to a page's followers."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES

from icp_engine.domain import Profile
from icp_engine.enrich import EnrichRequest
from icp_engine.enrich.apify_json import ApifyJsonProvider
from icp_engine.enrich.extract import date_range, item_name_key, item_shape, profile_from_apify_item
from icp_engine.ingest.upload import parse_upload

ENRICH = FIXTURES / "enrich"


def _items(name: str) -> dict[str, dict]:
    return {i["publicIdentifier"]: i for i in json.loads((ENRICH / name).read_text(encoding="utf-8"))}


def _fields(p: Profile) -> tuple:
    return (p.titles, p.company, p.company_size, p.industry, p.past_roles)


# --- dev_fusion, UI-shaped experiences --------------------------------------------------------
def test_dev_fusion_ui_group_header_is_a_company_and_only_present_roles_are_current():
    item = _items("dev_fusion_ui.json")["tamsin-okafor-4b1a"]
    assert item_shape(item) == "dev_fusion"
    p = profile_from_apify_item(item)
    assert _fields(p) == (
        ["Procurement Manager"], "Veldmark Staffing", "1001-5000", "Staffing and Recruiting",
        ["Procurement Specialist at Veldmark Staffing", "Buyer at Brightwell Foods"])
    assert "Veldmark Staffing" not in p.titles
    assert (p.name, p.location) == ("Tamsin Okafor", "Edison, New Jersey, United States")
    assert p.skills == ["Vendor Management", "Procurement"]
    assert p.profile_id == item["urn"] and p.vanity == "tamsin-okafor-4b1a"


def test_dev_fusion_march_2025_variant_without_top_level_job_fields():
    item = _items("dev_fusion_ui.json")["rafael-quintero-ostrava"]
    assert not {"jobTitle", "companyName", "companySize"} & set(item)
    p = profile_from_apify_item(item)
    assert _fields(p) == (["Head of Finance"], "Ostrava Logistics s.r.o.", None, None,
                          ["Finance Manager at Brightwell & Co", "Senior Accountant at Brightwell & Co"])
    assert p.summary is None  # "" is no summary


def test_dev_fusion_ui_two_current_roles_and_junk_top_level_job_title():
    p = profile_from_apify_item(_items("dev_fusion_ui.json")["ji-woo-han-7c2e11"])
    assert p.titles == ["Senior Accountant", "Treasurer (volunteer)"]
    assert p.company == "Brightwell & Co"  # not the top-level "Full-time · 4 yrs 1 mo"
    assert p.past_roles == ["Accountant at Brightwell & Co", "Audit Assistant at Hangang Audit Partners"]


def test_dev_fusion_flat_shape_still_uses_job_still_working():
    item = {"fullName": "Flat Shape", "urn": "ACoAA" + "F" * 34, "companySize": "51-200",
            "companyName": "Flatwise", "experiences": [
                {"title": "CFO", "companyName": "Flatwise", "jobStillWorking": True, "subtitle": None,
                 "caption": None, "companySize": "11-50"},
                {"title": "Controller", "companyName": "Oldco", "jobStillWorking": False, "jobEndedOn": "2021"}]}
    p = profile_from_apify_item(item)
    assert (p.titles, p.company, p.company_size, p.past_roles) == (["CFO"], "Flatwise", "11-50",
                                                                    ["Controller at Oldco"])


def test_dev_fusion_header_without_delivered_roles_is_not_a_title():
    item = {"fullName": "Header Only", "urn": "ACoAA" + "H" * 34, "experiences": [
        {"title": "Quarrystone Ltd", "subtitle": "Full-time · 3 yrs", "breakdown": True, "subComponents": []},
        {"title": "Analyst", "subtitle": "Oldco · Full-time", "caption": "2015 - 2018 · 3 yrs"}]}
    p = profile_from_apify_item(item)
    assert p.titles == [] and "Quarrystone Ltd" not in p.past_roles
    assert p.past_roles == ["Analyst at Oldco"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Apr 2022 - Present · 2 yrs 8 mos", ("Apr 2022 - Present", True)),
     ("Oct 2019 - Apr 2022 · 2 yrs 7 mos", ("Oct 2019 - Apr 2022", False)),
     ("2012 – 2014 · 2 yrs", ("2012 – 2014", False)), ("März 2020 - Heute · 4 Jahre", ("März 2020 - Heute", True)),
     ("Full-time · 5 yrs 2 mos", None), ("Edison, New Jersey, United States", None), (None, None)],
)
def test_date_range(text, expected):
    assert date_range(text) == expected


# --- supreme_coder with scrapeCompany ---------------------------------------------------------
def test_supreme_current_company_head_count_and_industry_beat_the_position():
    item = _items("supreme_coder_company.json")["mirela-vasić"]
    assert item["connectionType"] == "" and item_shape(item) == "supreme_coder"
    p = profile_from_apify_item(item)
    assert _fields(p) == (["Controller"], "Danubius Foods d.o.o.", "11-50", "Food and Beverage Manufacturing",
                          ["Financial Analyst at Panonija Mills"])
    assert p.location == "Novi Sad, Vojvodina, Serbia"


def test_supreme_current_company_of_another_employer_does_not_replace_the_first():
    p = profile_from_apify_item(_items("supreme_coder_company.json")["hugo-lindqvist-b2"])
    assert _fields(p) == (["VP, Product", "Board Member"], "Kestrel & Finch Advisory", "1001-5000",
                          "Management Consulting", ["Product Manager at Nordvik Software"])
    assert p.headline is None  # "--" placeholder


# --- harvestapi -------------------------------------------------------------------------------
def test_harvestapi_items():
    items = _items("harvestapi.json")
    p = profile_from_apify_item(items["ji-woo-han-7c2e11"])
    assert item_shape(items["ji-woo-han-7c2e11"]) == "harvestapi"
    assert _fields(p) == (["Senior Accountant"], "Brightwell & Co", None, None,
                          ["Accountant at Brightwell & Co", "Audit Assistant at Hangang Audit Partners"])
    assert (p.location, p.profile_id) == ("Seoul, South Korea", items["ji-woo-han-7c2e11"]["id"])
    assert p.skills == ["IFRS", "Audit"]
    hugo = profile_from_apify_item(items["hugo-lindqvist-b2"])
    assert (hugo.titles, hugo.company, hugo.past_roles) == ([], "Kestrel & Finch Advisory",
                                                            ["Product Manager at Nordvik Software"])


# --- the exported-dataset provider matches every shape to the classic connections page ---------
@pytest.mark.parametrize(("name", "matched"), [("dev_fusion_ui.json", 3), ("supreme_coder_company.json", 2),
                                                ("harvestapi.json", 2)])
def test_apify_json_provider_matches_page_followers(name, matched):
    page = parse_upload("c.html", (FIXTURES / "ingest" / "connections_classic.html").read_bytes())
    reqs = [EnrichRequest(lead_id=i, key=f.key, url=f.url, profile_id=f.profile_id, vanity=f.vanity,
                          page=Profile(name=f.name, headline=f.headline))
            for i, f in enumerate(page.people)]
    outcomes = {o.lead_id: o for o in ApifyJsonProvider(ENRICH / name).enrich(reqs)}
    assert len(outcomes) == len(reqs) == 5
    got = [o for o in outcomes.values() if o.item is not None]
    assert len(got) == matched
    assert all(o.profile.source == "apify-json" for o in got)
    assert all(o.profile is not None for o in outcomes.values())  # unmatched keep the page profile


def test_item_name_key_links_an_item_to_a_lead_without_url():
    export = parse_upload("Connections.csv", (FIXTURES / "ingest" / "exports" / "Connections_2022.csv").read_bytes())
    no_url = {p.key for p in export.people}
    # the dev_fusion item of the same person (current company from a group header)
    assert item_name_key(_items("dev_fusion_ui.json")["tamsin-okafor-4b1a"]) in no_url
    assert item_name_key(_items("supreme_coder_company.json")["mirela-vasić"]) == "name:mirela vasic|danubius foods"
    assert "name:mirela vasic|danubius foods" in no_url  # "Danubius Foods, d.o.o." in the export
    assert item_name_key({"headline": "no name"}) is None
