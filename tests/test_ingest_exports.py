"""Real-world input shapes of issue 8 (FORMATS.md §H), on project-owned fixtures: classic
connections cards, lists copied from the developer tools, hidden screen-reader text in every DOM
generation, the page header's total, and Connections.csv exports without profile URLs."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES

from icp_engine.domain import Follower, Profile, is_name_key, name_company_key, normalise_name_part
from icp_engine.ingest.connections_csv import parse_connected_on, parse_connections_csv
from icp_engine.ingest.html_pages import parse_people_page
from icp_engine.ingest.upload import UploadError, parse_text, parse_upload

HERE = FIXTURES / "ingest"
EXPORTS = HERE / "exports"
EXPORTS_EXPECTED = json.loads((EXPORTS / "expected.json").read_text(encoding="utf-8"))

CLASSIC = [
    ("tamsin-okafor-4b1a", "Tamsin Okafor", "Procurement Manager at Veldmark Staffing"),
    ("rafael-quintero-ostrava", "Rafael Quintero", "Head of Finance | Ostrava Logistics s.r.o."),
    ("ji-woo-han-7c2e11", "Ji-woo Han", "Senior Accountant at Brightwell & Co"),
    ("mirela-vasić", "Mirela Vasić", "Controller – Danubius Foods d.o.o."),
    ("hugo-lindqvist-b2", "Hugo Lindqvist", "--"),
]


def _triples(people: list[Follower]) -> list[tuple]:
    return [(p.key, p.name, p.headline) for p in people]


# --- classic connections markup ----------------------------------------------------------------
def test_classic_connections_page():
    result = parse_upload("Connections _ LinkedIn.html", (HERE / "connections_classic.html").read_bytes())
    assert result.kind == "connections_page"
    assert result.stats["generation"] == "mn"
    assert _triples(result.people) == CLASSIC
    assert result.page_owner == "selma-brandt-owner"
    assert result.stats["cards"] == 6 and result.stats["duplicates"] == 1
    assert "pymk-suggestion-9" not in {p.key for p in result.people}
    # relative hrefs resolved; percent-encoded vanity decoded in the key
    assert result.people[0].url == "https://www.linkedin.com/in/tamsin-okafor-4b1a/"
    assert result.people[3].profile_url == "https://www.linkedin.com/in/mirela-vasi%C4%87"
    for p in result.people:
        assert "Status is" not in (p.name or "") + (p.headline or "")
        assert "Member’s" not in (p.name or "") + (p.headline or "")


def test_page_header_total_and_scroll_warning():
    result = parse_upload("c.html", (HERE / "connections_classic.html").read_bytes())
    assert result.stats["declared_total"] == 1284
    assert result.stats["declared_total_of"] == "connections"
    assert any("The page says 1,284 connections, but 5 were found" in w
               and "scroll to the end" in w for w in result.warnings)


def test_li_mn_connection_card_still_one_card():
    # FORMATS §A.2's li.mn-connection-card wrapping a div.mn-connection-card: one card, not a skeleton
    html = ("<title>Connections | LinkedIn</title><main><ul>"
            '<li class="mn-connection-card"><div class="mn-connection-card">'
            '<a class="mn-connection-card__link" href="/in/nested-card/">'
            '<span class="visually-hidden">Status is offline</span>'
            '<span class="mn-connection-card__name">Nested Card</span>'
            '<span class="mn-connection-card__occupation">CFO at Nestwell</span></a>'
            "</div></li></ul></main>")
    page = parse_people_page(html)
    assert _triples(page.people) == [("nested-card", "Nested Card", "CFO at Nestwell")]
    assert page.stats["skeletons"] == 0 and page.stats["cards"] == 1


@pytest.mark.parametrize(
    ("text", "total", "what"),
    [("1,284 followers", 1284, "followers"), ("Followers (12,004)", 12004, "followers"),
     ("You have 2.1K followers", 2100, "followers"), ("38 Connections", 38, "connections"),
     ("1 284 connections", 1284, "connections")],
)
def test_header_count_forms(text, total, what):
    card = ('<li class="reusable-search__result-container"><div class="entity-result">'
            '<span class="entity-result__title-text"><a href="/in/only-one/">'
            '<span aria-hidden="true">Only One</span></a></span></div></li>')
    page = parse_people_page(f"<title>Followers | LinkedIn</title><main><h1>{text}</h1><ul>{card}</ul></main>")
    assert (page.stats["declared_total"], page.stats["declared_total_of"]) == (total, what)
    assert any("scroll to the end" in w for w in page.warnings)


def test_no_header_count_no_warning_and_title_count_ignored():
    # "(3)" in the title is a notification count, not the list's total
    page = parse_people_page((HERE / "connections_mn.html").read_bytes())
    assert page.stats["declared_total"] == 3  # its header says "3 Connections" and 3 were found
    assert not any("scroll" in w for w in page.warnings)
    g1 = parse_people_page((HERE / "followers_g1.html").read_bytes())
    assert "declared_total" not in g1.stats


# --- fragments copied from the developer tools -------------------------------------------------
@pytest.mark.parametrize("filename", ["people.html", "copied.txt", "list"])
def test_classic_fragment_is_accepted(filename):
    data = (HERE / "connections_classic_fragment.html").read_bytes()
    assert b"<title" not in data and b"<head" not in data
    result = parse_upload(filename, data)
    assert _triples(result.people) == CLASSIC[:3]
    assert result.kind == "connections_page"


def test_fragment_of_unknown_cards_with_licdn_photos_is_accepted():
    frag = ('<ul><li class="x1"><a href="/in/frag-person-1/"><img src="https://media.licdn.com/dms/image/'
            'v2/abc/profile-displayphoto-shrink_100_100/0?e=1" alt="Frag Person">'
            '<span class="visually-hidden">Status is online</span>Frag Person</a></li>'
            '<li class="x1"><a href="/in/frag-person-2/"><img src="https://media.licdn.com/dms/image/v2/d">'
            "Other Person</a></li></ul>")
    result = parse_upload("list.html", frag.encode())
    assert [(p.key, p.name) for p in result.people] == [("frag-person-1", "Frag Person"),
                                                         ("frag-person-2", "Other Person")]
    assert result.stats["generation"] == "fallback"


def test_g2_fragment_is_accepted():
    frag = ('<ul class="reusable-search__entity-result-list"><li class="reusable-search__result-container">'
            '<div class="entity-result"><a href="https://www.linkedin.com/in/g2-frag/"><img alt="G Two"></a>'
            '<span class="entity-result__title-text"><a href="https://www.linkedin.com/in/g2-frag/">'
            '<span aria-hidden="true">G Two</span><span class="visually-hidden">View G Two’s profile</span>'
            '</a></span><div class="entity-result__primary-subtitle">CTO at Fragwise</div></div></li></ul>')
    assert _triples(parse_upload("x.html", frag.encode()).people) == [("g2-frag", "G Two", "CTO at Fragwise")]


@pytest.mark.parametrize(
    "junk",
    [b'<ul><li><a href="https://www.linkedin.com/in/some-blogger/">My LinkedIn</a></li></ul>',
     b'<ul><li><a href="/in/relative-only/">me</a></li><li><img src="https://cdn.example/x.png"></li></ul>'],
)
def test_junk_fragment_without_linkedin_markers_is_refused(junk):
    with pytest.raises(UploadError, match="not a saved LinkedIn page or a people list copied"):
        parse_upload("junk.html", junk)


# --- visually hidden text is never a name or headline, in every generation ---------------------
def test_hidden_text_g1():
    html = ('<title>Followers | LinkedIn</title><main><div class="follows-recommendation-card">'
            '<a class="follows-recommendation-card__avatar-link" href="/in/g1-hidden/">'
            '<span class="visually-hidden">Status is offline</span></a>'
            '<h3 class="follows-recommendation-card__name"><span class="a11y-text">Member’s name</span>'
            "Gee One</h3>"
            '<p class="follows-recommendation-card__headline"><span class="visually-hidden">Member’s '
            "occupation</span>Treasurer at Onewell</p></div></main>")
    assert _triples(parse_people_page(html).people) == [("g1-hidden", "Gee One", "Treasurer at Onewell")]


def test_hidden_text_g3_hashed_classes():
    # G3 hashes its class names: the hidden span is recognised by what LinkedIn writes into it
    html = ('<title>Followers | LinkedIn</title><main><ul>'
            '<li role="listitem"><div class="_a1b2"><p><a href="/in/g3-hidden/" class="_c3d4">'
            '<span class="_e5f6">Status is reachable</span>Gee Three</a> <span>• 2nd</span></p>'
            '<div><p>Head of Ops at Threefold <span class="visually-hidden">View Gee Three’s profile</span></p></div>'
            "<div><p>Leeds, England</p></div></div></li></ul></main>")
    (p,) = parse_people_page(html).people
    assert (p.key, p.name, p.headline, p.location, p.degree) == (
        "g3-hidden", "Gee Three", "Head of Ops at Threefold", "Leeds, England", "2nd")


def test_hidden_text_fallback_links():
    html = ("<title>Connections | LinkedIn</title><main><div>"
            '<a href="/in/only-hidden/"><span class="visually-hidden">Status is offline</span></a>'
            '<a href="/in/fallback-name/"><span class="sr-only">Status is away</span>Fall Back</a>'
            "</div></main>")
    people = {p.key: p.name for p in parse_people_page(html).people}
    assert people == {"only-hidden": None, "fallback-name": "Fall Back"}


# --- Connections.csv exports without URLs ------------------------------------------------------
@pytest.mark.parametrize("name", sorted(EXPORTS_EXPECTED))
def test_export_variants(name):
    exp = EXPORTS_EXPECTED[name]
    result = parse_upload(name, (EXPORTS / name).read_bytes())
    assert result.kind == "connections_csv"
    got = [[p.key, p.name, p.company, p.title, p.headline, p.connected_on] for p in result.people]
    assert got == exp["people"]
    for stat, value in exp["stats"].items():
        assert result.stats[stat] == value, stat
    for p in result.people:
        assert p.has_url is False and p.url == "" and p.profile_url == ""
        assert is_name_key(p.key) and p.key == p.name_company_key()
        assert p.degree == "1st"
    for key, urn in exp.get("member_urns", {}).items():
        assert next(p for p in result.people if p.key == key).member_urn == urn
    assert all(p.member_urn is None for p in result.people if p.key not in exp.get("member_urns", {}))
    assert any("no profile URLs" in w and "live Apify enrichment cannot look them up" in w
               for w in result.warnings)


def test_export_2022_counts_and_skip_warning():
    result = parse_upload("Connections.csv", (EXPORTS / "Connections_2022.csv").read_bytes())
    assert any("1 row(s) have no name" in w for w in result.warnings)
    assert result.stats["rows"] == result.stats["people"] + result.stats["blank_rows"] + \
        result.stats["skipped_no_name"] + result.stats["duplicates"]


def test_excel_resave_without_bom_and_lf():
    text = (EXPORTS / "Connections_2023_excel.csv").read_bytes()[3:].decode("utf-8")
    result = parse_upload("Connections.csv", text.replace("\r\n", "\n").encode("utf-8"))
    assert [p.name for p in result.people][-1] == "Zoë Hart"
    assert result.people[0].connected_on == "2022-09-09"


def test_pasted_semicolon_export():
    result = parse_text("First Name;Company;Position;Connected On\nAnneke;Van Dijk B.V.;Inkoper;05 Oct 2020\n")
    (p,) = result.people
    assert (p.key, p.headline, p.connected_on) == ("name:anneke|van dijk", "Inkoper at Van Dijk B.V.", "2020-10-05")


def test_mixed_export_urls_and_names_dedupe():
    text = ("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
            "Ana,Lopes,https://www.linkedin.com/in/ana-lopes-pt,,Lopes Lda,CFO,01 Jan 2026\n"
            "Ben,Ode,,,Odeworks,CTO,02 Jan 2026\n"
            "Ben,Ode,,,Odeworks Ltd,CTO,02 Jan 2026\n"  # same person: legal form ignored
            "Ben,Ode,,,Other Co,CTO,02 Jan 2026\n")  # same name, other company: another person
    result = parse_connections_csv(text)
    assert [p.key for p in result.people] == ["ana-lopes-pt", "name:ben ode|odeworks", "name:ben ode|other"]
    assert [p.has_url for p in result.people] == [True, False, False]
    assert result.stats["duplicates"] == 1 and result.stats["people_without_url"] == 2
    assert any("2 of 3 connections in this export have no profile URL" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("raw", "iso"),
    [("05 Oct 2020", "2020-10-05"), ("9-Sep-22", "2022-09-09"), ("23-Apr-23", "2023-04-23"),
     ("1/8/18, 6:14 PM", "2018-01-08"), ("12/24/17, 9:02 AM", "2017-12-24"), ("2026-01-12", "2026-01-12"),
     ("", None), ("soon", None), ("01 Jan 1990", None), ("01 Jan 2999", None)],
)
def test_connected_on(raw, iso):
    assert parse_connected_on(raw) == iso


# --- the name + company key --------------------------------------------------------------------
def test_name_company_key_is_the_same_for_a_follower_and_an_enriched_profile():
    f = Follower(key="x", url="", profile_url="", name="Mirela Vasić", company="Danubius Foods, d.o.o.")
    p = Profile(name="Mirela  VASIC", company="Danubius Foods")
    assert f.name_company_key() == p.name_company_key() == "name:mirela vasic|danubius foods"
    assert name_company_key(None, "Acme") is None and name_company_key(" 🌱 ", "Acme") is None
    assert name_company_key("Kai", None) == "name:kai|"
    assert normalise_name_part("Nair & Co", company=True) == "nair"
    assert normalise_name_part("Co", company=True) == "co"  # never normalised to nothing
    assert ":" not in normalise_name_part("a:b|c") and "|" not in normalise_name_part("a:b|c")


# --- encodings of Excel re-saves without a BOM ---------------------------------------------------
def test_tiny_windows_1252_export_is_not_misread():
    """Three lines and one "ë": statistical detection said Windows-1257 ("Zoė"); 1252 is plausible."""
    data = "First Name,Last Name,Company,Position\nZoë,Hart,Acme Café,Responsable achats à Lyon\n".encode("cp1252")
    parsed = parse_upload("Connections.csv", data)
    assert parsed.stats["encoding"] == "cp1252"
    (p,) = parsed.people
    assert (p.name, p.company, p.title) == ("Zoë Hart", "Acme Café", "Responsable achats à Lyon")


@pytest.mark.parametrize("text, encoding", [
    ("First Name,Last Name,Company,Position\nŁukasz,Kowalski,Spółka Zoo,CFO\n", "cp1250"),
    ("First Name,Last Name,Company,Position\nСергей,Иванов,Газпром,CFO\n", "cp1251"),
    ("First Name,Last Name,Company,Position\n" + "".join(
        f"{a},{b},{c},CFO\n" for a, b, c in [("José", "Núñez", "Fábrica Sol"), ("François", "Lefèvre", "Société Générale"),
                                            ("Jürgen", "Müller", "Bäckerei Groß"), ("Åsa", "Lindström", "Nordiska"),
                                            ("Søren", "Kjær", "Ørsted"), ("Inês", "Conceição", "Banco Atlântico")] * 2),
     "cp1252"),
])
def test_other_single_byte_encodings_still_detected(text, encoding):
    parsed = parse_upload("Connections.csv", text.encode(encoding))
    names = [p.name for p in parsed.people]
    first = text.splitlines()[1].split(",")
    assert names[0] == f"{first[0]} {first[1]}"
