"""Saved LinkedIn pages: the project's own fixtures (every DOM generation) and, when present,
the shared format fixtures with their expected parse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, SHARED_FORMATS, needs_shared

from icp_engine.domain import Follower
from icp_engine.ingest.html_pages import parse_people_page
from icp_engine.ingest.upload import ParsedUpload, UploadError, parse_upload

HERE = FIXTURES / "ingest"
EXPECTED = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))


def _upload(path: Path) -> ParsedUpload:
    return parse_upload(path.name, path.read_bytes())


def _assert_unique(people: list[Follower]) -> None:
    keys = [p.key for p in people]
    assert len(keys) == len(set(keys))
    ids = [p.profile_id for p in people if p.profile_id]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", [n for n in EXPECTED if n.endswith(".html")])
def test_own_pages_match_expected(name):
    exp = EXPECTED[name]
    result = _upload(HERE / name)
    assert result.kind == exp["kind"]
    assert result.page_owner == exp["page_owner"]
    assert [p.key for p in result.people] == [f["key"] for f in exp["followers"]]
    for got, want in zip(result.people, exp["followers"]):
        for field, value in want.items():
            assert getattr(got, field) == value, (got.key, field)
    _assert_unique(result.people)
    assert result.page_owner not in {p.key for p in result.people}


def test_g2_page_noise_and_counts():
    exp = EXPECTED["followers_g2.html"]
    result = _upload(HERE / "followers_g2.html")
    keys = {p.key for p in result.people}
    for not_follower in exp["not_followers"]:
        assert not_follower not in keys
        assert not_follower not in {p.vanity for p in result.people}
    for stat, value in exp["stats"].items():
        assert result.stats[stat] == value, stat
    assert result.stats["generation"] == "g2"
    assert result.stats["people"] == len(exp["followers"])
    assert any("LinkedIn Member" in w for w in result.warnings)


def test_g2_aliases_from_island_and_message_link():
    people = {p.key: p for p in _upload(HERE / "followers_g2.html").people}
    sunita = people["ACoAAS7n1taRa0Bang4l0reP4yments_x9Qw2Ez"]
    assert sunita.vanity == "sunita-rao-77"  # only the data island knows it
    marco = people["marco-bellini"]
    assert marco.profile_id == "ACoAAM4rc0B3ll1n1Tur1nC4ffe_Macch1at0-1"  # from recipient=
    kofi = people["ACoAAK0f1Mens4hAccraL0g1st1cs-7Hh3Jj4Kq"]
    assert kofi.name == "Kofi Mensah"  # ghost photo, name from the title link
    assert people["pavel-dvorak-cz"].headline == "--"


def test_profile_urls_are_clean():
    for p in _upload(HERE / "followers_g2.html").people:
        assert p.profile_url == "https://www.linkedin.com/in/" + (
            p.key if p.key.isascii() else p.profile_url.rsplit("/", 1)[1])
        assert "?" not in p.profile_url
        assert p.url.startswith("https://")


def test_parse_people_page_accepts_text_and_bytes():
    raw = (HERE / "followers_g1.html").read_bytes()
    a = parse_people_page(raw)
    b = parse_people_page(raw.decode("utf-8"))
    assert [p.to_dict() for p in a.people] == [p.to_dict() for p in b.people]
    assert a.stats["generation"] == "g1"


def test_search_results_page_kind():
    html = (HERE / "followers_g2.html").read_text(encoding="utf-8").replace(
        "(0075)https://www.linkedin.com/mynetwork/network-manager/people-follow/followers/",
        "(0060)https://www.linkedin.com/search/results/people/?keywords=cfo").replace(
        "<title>Followers | LinkedIn</title>", "<title>Search | LinkedIn</title>").replace(
        'content="d_flagship3_people_follows"', 'content="d_flagship3_search_srp_people"')
    result = parse_upload("search.html", html.encode("utf-8"))
    assert result.kind == "search_page"
    assert len(result.people) == len(EXPECTED["followers_g2.html"]["followers"])


def test_owner_card_is_not_a_follower():
    html = (HERE / "followers_g3.html").read_text(encoding="utf-8").replace(
        'href="/in/aiko-sato/"', 'href="/in/nadia-kowalski-coach/"')
    result = parse_upload("f.html", html.encode("utf-8"))
    assert "nadia-kowalski-coach" not in {p.key for p in result.people}
    assert result.stats["owner_cards"] == 1


def test_fallback_without_cards_warns_and_skips_chrome():
    html = """<!DOCTYPE html><html><head><title>Followers | LinkedIn</title></head><body>
    <header><a href="/in/owner-person/">Me</a></header>
    <main><div class="unknown-2031-card"><a href="https://www.linkedin.com/in/new-markup-one/">
    <span aria-hidden="true">New Markup One</span></a></div>
    <div><a href="/in/new-markup-two">New Markup Two</a></div></main>
    <aside><a href="/in/rail-person/">Rail Person</a></aside></body></html>"""
    result = parse_upload("f.html", html.encode("utf-8"))
    assert [p.key for p in result.people] == ["new-markup-one", "new-markup-two"]
    assert [p.name for p in result.people] == ["New Markup One", "New Markup Two"]
    assert result.stats["generation"] == "fallback"
    assert any("No follower/connection cards" in w for w in result.warnings)
    assert result.page_owner == "owner-person"


def test_linkedin_page_without_profiles_is_refused():
    html = b"""<!DOCTYPE html><html><head><title>Followers | LinkedIn</title></head><body>
    <main><ul class="reusable-search__entity-result-list"></ul></main></body></html>"""
    with pytest.raises(UploadError, match="No LinkedIn profiles were found"):
        parse_upload("empty-followers.html", html)


# --- shared format fixtures (dev workspace only) ----------------------------------------------
@needs_shared
def test_shared_followers_sample_matches_expected_parse():
    html = (SHARED_FORMATS / "followers_sample.html").read_bytes()
    expected = json.loads((SHARED_FORMATS / "followers_sample.expected.json").read_text("utf-8"))
    result = parse_upload("followers_sample.html", html)
    text = html.decode("utf-8")
    assert result.kind == "followers_page"
    assert result.page_owner == expected["page_owner"]["vanity"]
    want = expected["followers"]
    assert len(result.people) == len(want) == 30
    for got, exp in zip(result.people, want):
        key = exp["profile_id"] if exp["vanity"] is None else exp["vanity"].lower()
        assert got.key == key
        assert got.name == exp["name"]
        assert got.headline == exp["headline"]
        assert got.location == exp["location"]
        assert got.degree == exp["degree"]
        assert got.member_urn == exp["member_urn"]
        href = exp["href_unescaped"]
        assert got.url == (("https://www.linkedin.com" + href) if href.startswith("/") else href)
        # the profile id is known whenever the page carries it (link, Message link, island)
        if exp["profile_id"] in text:
            assert got.profile_id == exp["profile_id"]
        else:
            assert got.profile_id is None
        if exp["vanity_only_in_data_island"]:
            assert got.vanity == exp["vanity_only_in_data_island"].lower()
        elif exp["vanity"]:
            assert got.vanity == exp["vanity"].lower()
    keys = {p.key for p in result.people}
    for nf in expected["not_followers_on_page"]:
        assert nf["vanity"] not in keys
    assert expected["page_owner"]["vanity"] not in keys
    assert result.stats["skipped_headless"] == len(expected["hidden_members"])
    assert result.stats["skeletons"] == expected["skeleton_cards"]
    assert result.stats["duplicates"] == sum(d["times_listed"] - 1
                                             for d in expected["duplicate_cards"])


@needs_shared
def test_shared_sdui_sample():
    expected = json.loads((SHARED_FORMATS / "followers_sample.expected.json").read_text("utf-8"))
    result = _upload(SHARED_FORMATS / "followers_sample_sdui.html")
    assert result.stats["generation"] == "g3"
    assert result.page_owner == "marit-olsen-ruiz"
    want = expected["followers"][:6]
    assert len(result.people) == 6
    for got, exp in zip(result.people, want):
        assert got.key == (exp["profile_id"] if exp["vanity"] is None else exp["vanity"].lower())
        assert (got.name, got.headline, got.location, got.degree) == (
            exp["name"], exp["headline"], exp["location"], exp["degree"])


def test_header_inside_a_card_is_not_the_page_owner():
    html = """<!DOCTYPE html><html><head><title>Followers | LinkedIn</title></head><body><main>
    <div role="listitem"><header><a href="/in/card-person-a/">Card Person A</a></header>
      <p><a href="/in/card-person-a/" data-view-name="search-result-lockup-title">Card Person A</a></p>
      <div><p>CFO at A</p></div></div>
    <div role="listitem"><p><a href="/in/card-person-b/">Card Person B</a></p></div>
    </main></body></html>"""
    result = parse_upload("f.html", html.encode("utf-8"))
    assert result.page_owner is None
    assert [p.key for p in result.people] == ["card-person-a", "card-person-b"]
    assert result.people[0].headline == "CFO at A"


def test_suggestion_section_found_by_its_heading_is_skipped():
    html = (HERE / "followers_g3.html").read_text(encoding="utf-8").replace(
        "</main>",
        """<section class="_x9"><div class="_y8"><h2 class="_z7">People you may know</h2></div>
        <div role="listitem"><p><a href="/in/suggested-sam/" data-view-name="search-result-lockup-title">
        Suggested Sam</a></p><div><p>Recruiter</p></div></div></section></main>""")
    result = parse_upload("f.html", html.encode("utf-8"))
    assert [p.key for p in result.people] == [f["key"] for f in
                                             EXPECTED["followers_g3.html"]["followers"]]


def test_fallback_skips_suggestion_sections():
    html = """<!DOCTYPE html><html><head><title>Followers | LinkedIn</title></head><body><main>
    <div class="new-2031"><a href="/in/real-follower/">Real Follower</a></div>
    <section><h2>People you may know</h2><a href="/in/not-a-follower/">Not A Follower</a></section>
    </main></body></html>"""
    result = parse_upload("f.html", html.encode("utf-8"))
    assert [p.key for p in result.people] == ["real-follower"]


@pytest.mark.parametrize("name", [n for n in EXPECTED if not n.startswith("_")])
def test_parsed_upload_contract(name):
    from icp_engine.ingest.profile_url import profile_ref
    from icp_engine.ingest.upload import UPLOAD_KINDS

    data = (HERE / name).read_bytes()
    result = parse_upload(name, data)
    assert result.kind in UPLOAD_KINDS
    assert result.people and all(isinstance(p, Follower) for p in result.people)
    assert result.stats["bytes"] == len(data) and result.stats["encoding"] == "utf-8"
    assert result.stats["people"] == len(result.people)
    assert all(isinstance(w, str) and w for w in result.warnings)
    _assert_unique(result.people)
    for p in result.people:
        if not p.has_url:  # Connections.csv rows without a profile URL: keyed by name + company
            assert p.key == p.name_company_key() and p.url == p.profile_url == ""
            continue
        ref = profile_ref(p.profile_url)
        assert ref.key == p.key
        assert profile_ref(p.url).key == p.key
        assert p.vanity is None or p.vanity == p.vanity.lower()
