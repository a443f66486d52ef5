"""Matching items to leads, the page provider and the apify-json provider (issue 2 item 4)."""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURES, SHARED_FORMATS, needs_shared
from icp_engine.domain import Profile
from icp_engine.enrich import EnrichmentProvider, EnrichRequest, get_provider
from icp_engine.enrich.apify_json import ApifyExportError, ApifyJsonProvider, load_items
from icp_engine.enrich.matching import match_items, url_identity
from icp_engine.enrich.page import PageProvider, parse_headline, profile_from_page

OWN = FIXTURES / "enrich" / "apify_items.json"


def _own() -> list[dict]:
    return json.loads(OWN.read_text(encoding="utf-8"))


def req(lead_id, key, url, profile_id=None, vanity=None, page=None):
    return EnrichRequest(lead_id=lead_id, key=key, url=url, profile_id=profile_id, vanity=vanity, page=page)


# --- url_identity ------------------------------------------------------------------------------------

@pytest.mark.parametrize("url,key,alias", [
    ("https://www.linkedin.com/in/Nora-Vidal-3b2a1c/", "nora-vidal-3b2a1c", None),
    ("https://de.linkedin.com/in/j%C3%BCrgen-albrecht-b3/recent-activity/all/", "jürgen-albrecht-b3", None),
    ("/in/aoife-brennan-ops/", "aoife-brennan-ops", None),
    ("linkedin.com/in/abc", "abc", None),
    ("https://www.linkedin.com/in/ACoAA7gRjI8ciBPv9ilUlfqoWSuAfSQ6DltNCgo", "ACoAA7gRjI8ciBPv9ilUlfqoWSuAfSQ6DltNCgo", None),
    ("https://www.linkedin.com/in/kenji?miniProfileUrn=urn%3Ali%3Afs_miniProfile%3AACoAAZATzX3yczGGWjo07YAsNSnwkoOK3TRB_4f&lipi=x",
     "kenji", "ACoAAZATzX3yczGGWjo07YAsNSnwkoOK3TRB_4f"),
    ("https://www.linkedin.com/company/acme/", None, None),
    ("https://evil.example/in/abc", None, None),
    ("", None, None),
])
def test_url_identity(url, key, alias):
    assert url_identity(url) == (key, alias)


# --- match_items ------------------------------------------------------------------------------------

def test_match_order_of_evidence_and_never_by_position():
    items = _own()
    reqs = [
        # URN-keyed lead: profileId match, case kept
        req(1, "ACoAAD4fGh6Jk8Lm0Nb2Vc4Xz6Sa8Qw0Er2Ty4u", "https://www.linkedin.com/in/ACoAAD4fGh6Jk8Lm0Nb2Vc4Xz6Sa8Qw0Er2Ty4u",
            profile_id="ACoAAD4fGh6Jk8Lm0Nb2Vc4Xz6Sa8Qw0Er2Ty4u"),
        # vanity lead in mixed case: publicIdentifier match
        req(2, "tomasz-wierzbicki-fd", "https://www.linkedin.com/in/Tomasz-Wierzbicki-FD", vanity="Tomasz-Wierzbicki-FD"),
        # renamed profile: only the input URL matches (uk host, trailing slash)
        req(3, "gwendolyn-ashcombe-77", "https://uk.linkedin.com/in/gwendolyn-ashcombe-77/", vanity="gwendolyn-ashcombe-77"),
        # nobody scraped this one
        req(4, "nobody-here", "https://www.linkedin.com/in/nobody-here"),
        # the same id in a different case is a different person
        req(5, "ACoAAD4fgh6Jk8Lm0Nb2Vc4Xz6Sa8Qw0Er2Ty4u", "https://www.linkedin.com/in/ACoAAD4fgh6Jk8Lm0Nb2Vc4Xz6Sa8Qw0Er2Ty4u"),
    ]
    res = match_items(reqs, list(reversed(items)))
    got = {r.lead_id: (item_name(i), how) for r, i, how in res.pairs}
    assert got == {
        1: ("Abena", "profileId"),
        2: ("Tomasz", "publicIdentifier"),
        3: ("Gwendolyn", "inputUrl"),
    }
    assert sorted(r.lead_id for r in res.missing) == [4, 5]
    assert len(res.unmatched_items) == len(items) - 3


def item_name(item):
    return item.get("firstName")


def test_match_one_item_serves_two_leads_and_mini_profile_alias():
    item = {"profileId": "ACoAAZATzX3yczGGWjo07YAsNSnwkoOK3TRB_4f", "publicIdentifier": "kenjiwatanabe",
            "firstName": "Kenji", "inputUrl": "https://www.linkedin.com/in/kenjiwatanabe"}
    reqs = [req(1, "kenjiwatanabe", "https://www.linkedin.com/in/kenjiwatanabe", vanity="kenjiwatanabe"),
            req(2, "ACoAAZATzX3yczGGWjo07YAsNSnwkoOK3TRB_4f",
                "https://www.linkedin.com/in/ACoAAZATzX3yczGGWjo07YAsNSnwkoOK3TRB_4f")]
    res = match_items(reqs, [item, dict(item)])  # a duplicate item is not "unmatched"
    assert {r.lead_id for r, _, _ in res.pairs} == {1, 2}
    assert res.missing == [] and res.unmatched_items == []
    # an item without profileId/publicIdentifier whose inputUrl carries the id in miniProfileUrn
    bare = {"firstName": "K", "inputUrl": "https://www.linkedin.com/in/kw-old?miniProfileUrn="
                                          "urn%3Ali%3Afs_miniProfile%3AACoAAZATzX3yczGGWjo07YAsNSnwkoOK3TRB_4f"}
    res = match_items(reqs[1:], [bare])
    assert [(r.lead_id, how) for r, _, how in res.pairs] == [(2, "inputUrl")]


@needs_shared
def test_match_shared_sample_against_expected_followers():
    items = json.loads((SHARED_FORMATS / "apify_profiles_sample.json").read_text(encoding="utf-8"))
    expected = json.loads((SHARED_FORMATS / "followers_sample.expected.json").read_text(encoding="utf-8"))
    reqs = []
    for n, f in enumerate(expected["followers"], 1):
        url = f.get("href_unescaped") or f["href_as_serialized"]
        key, _ = url_identity(url)
        reqs.append(req(n, key, url, profile_id=f.get("profile_id"), vanity=f.get("vanity")))
    res = match_items(reqs, items)
    assert len(res.pairs) == 8
    assert res.unmatched_items == []
    for r, item, _ in res.pairs:
        assert item["profileId"] == r.profile_id or item["publicIdentifier"] == (r.vanity or "").lower()


# --- page provider ----------------------------------------------------------------------------------

@pytest.mark.parametrize("headline,title,company", [
    ("VP Finance at Quillstone Systems | SaaS metrics nerd", "VP Finance", "Quillstone Systems"),
    ("CFO | Vantrella Health | ex-Big4", "CFO", "Vantrella Health"),
    ("Founder & CEO, Tessaract Labs (AI for procurement)", "Founder & CEO", "Tessaract Labs"),
    ("Director, Transaction Services", "Director, Transaction Services", None),
    ("Chief Financial Officer, Quorvex Cloud", "Chief Financial Officer", "Quorvex Cloud"),
    ("Chief Revenue Officer, EMEA", "Chief Revenue Officer, EMEA", None),
    ("VP, Product", "VP, Product", None),
    ("Helping founders close their books | Fractional CFO", "Fractional CFO", None),
    ("Talent Partner @ Hirewell | We're hiring!", "Talent Partner", "Hirewell"),
    ("Building things", None, None),
    ("--", None, None),
    (None, None, None),
])
def test_parse_headline(headline, title, company):
    assert parse_headline(headline) == (title, company)


def test_page_provider_keeps_connections_fields_and_parses_headlines():
    reqs = [
        req(1, "emeka-nwosu", "https://www.linkedin.com/in/emeka-nwosu",
            page=Profile(name="Emeka Nwosu", titles=["CFO & Co-founder"], company="Sprigline", source="connections")),
        req(2, "nora", "https://www.linkedin.com/in/nora", vanity="nora",
            page=Profile(name="Nora", headline="VP Finance at Quillstone Systems | SaaS", location="Barcelona")),
        req(3, "x", "https://www.linkedin.com/in/x"),
    ]
    provider = PageProvider()
    assert isinstance(provider, EnrichmentProvider) and provider.name == "page"
    out = {o.lead_id: o for o in provider.enrich(reqs)}
    assert out[1].profile.titles == ["CFO & Co-founder"] and out[1].profile.company == "Sprigline"
    assert out[1].profile.source == "connections"
    assert out[2].profile.titles == ["VP Finance"] and out[2].profile.company == "Quillstone Systems"
    assert out[2].profile.location == "Barcelona" and out[2].profile.vanity == "nora"
    assert out[3].profile is not None and out[3].error is None and out[3].profile.titles == []
    # the request's page profile is not mutated
    assert reqs[1].page.titles == []


# --- apify-json provider ----------------------------------------------------------------------------

def _reqs_for_own():
    return [
        req(10, "maren-okafor-lind", "https://www.linkedin.com/in/maren-okafor-lind", vanity="maren-okafor-lind",
            page=Profile(name="Maren O.", headline="Head of Finance at Tidewell Analytics")),
        req(11, "lucia-ferrante", "https://www.linkedin.com/in/lucia-ferrante", vanity="lucia-ferrante"),
        req(12, "private-person-00", "https://www.linkedin.com/in/private-person-00",
            page=Profile(name="Private P", headline="CFO | Hidden Co")),
        req(13, "not-exported", "https://www.linkedin.com/in/not-exported",
            page=Profile(name="Not Exported", headline="Controller at Birchway")),
    ]


def test_apify_json_provider_matches_and_falls_back_with_note():
    provider = ApifyJsonProvider(OWN)
    assert provider.name == "apify-json" and isinstance(provider, EnrichmentProvider)
    out = {o.lead_id: o for o in provider.enrich(_reqs_for_own())}
    assert len(out) == 4
    assert out[10].profile.company == "Tidewell Analytics" and out[10].profile.source == "apify-json"
    assert out[10].item["publicIdentifier"] == "maren-okafor-lind" and out[10].error is None
    assert out[11].profile.titles == ["Chief Financial Officer"]
    for lid in (12, 13):  # not failed, not retryable: page profile + note
        o = out[lid]
        assert o.error is None and not o.retryable and o.item is None
        assert o.profile.source == "page" and o.note
    assert out[13].profile.titles == ["Controller"] and out[13].profile.company == "Birchway"
    assert "not available" in out[12].note


def test_apify_json_accepts_jsonl_envelope_and_bom(tmp_path):
    items = _own()
    jl = tmp_path / "items.jsonl"
    jl.write_text("\n".join(json.dumps(i) for i in items) + "\n", encoding="utf-8")
    assert len(load_items(jl)) == len(items)
    env = tmp_path / "env.json"
    env.write_bytes(b"\xef\xbb\xbf" + json.dumps({"data": {"items": items[:2]}}).encode())
    assert len(load_items(env)) == 2
    assert len(load_items(json.dumps(items[:3]).encode())) == 3
    for bad in (b"", b"<html>nope</html>", b"[1, 2, 3]", b"\xff\xfe\x00junk"):
        with pytest.raises(ApifyExportError):
            load_items(bad)
    with pytest.raises(ApifyExportError):
        load_items(tmp_path / "missing.json")


@needs_shared
def test_apify_json_on_shared_sample_gives_companies_sizes_industries():
    provider = get_provider("apify-json", profiles_path=SHARED_FORMATS / "apify_profiles_sample.json")
    r = req(1, "priyanka-raman-202", "https://www.linkedin.com/in/ACoAA7gRjI8ciBPv9ilUlfqoWSuAfSQ6DltNCgo",
            profile_id="ACoAA7gRjI8ciBPv9ilUlfqoWSuAfSQ6DltNCgo", vanity="priyanka-raman-202")
    (o,) = list(provider.enrich([r]))
    assert (o.profile.company, o.profile.company_size, o.profile.industry) == (
        "Vantrella Health", "501-1000", "Hospital & Health Care")


def test_get_provider_errors():
    assert get_provider("page").name == "page"
    with pytest.raises(ValueError):
        get_provider("apify-json")
    with pytest.raises(ValueError):
        get_provider("apify")
    with pytest.raises(ValueError):
        get_provider("magic")


def test_profile_from_page_without_page():
    p = profile_from_page(req(1, "a", "https://www.linkedin.com/in/a", profile_id=None, vanity="a"))
    assert p.source == "page" and p.vanity == "a"


def test_apify_json_provider_writes_its_own_cache_rows(db):
    """Matched export items land in the shared profile cache under the lead's key (the pipeline
    does not special-case the provider); a live Apify estimate then has nothing to scrape for them."""
    import sqlalchemy as sa

    from icp_engine.db import schema
    from icp_engine.enrich.cache import get_fresh

    out = {o.lead_id: o for o in ApifyJsonProvider(OWN, db=db).enrich(_reqs_for_own())}
    assert out[10].item is not None and out[13].item is None
    with db.connect() as conn:
        rows = {r.profile_key: r for r in conn.execute(sa.select(schema.profile_cache)).all()}
    assert set(rows) == {"maren-okafor-lind", "lucia-ferrante"}  # unmatched / empty items are not cached
    assert {r.source for r in rows.values()} == {"apify-json"}
    assert rows["maren-okafor-lind"].item["publicIdentifier"] == "maren-okafor-lind"
    assert rows["maren-okafor-lind"].vanity == "maren-okafor-lind"
    assert set(get_fresh(db, _reqs_for_own())) == {10, 11}
    # without a database nothing is written (the CLI's rank-like uses)
    with db.begin() as conn:
        conn.execute(sa.delete(schema.profile_cache))
    list(ApifyJsonProvider(OWN).enrich(_reqs_for_own()))
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.profile_cache)).scalar_one() == 0
