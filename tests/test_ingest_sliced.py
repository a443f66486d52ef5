"""Big pages are parsed in slices (issue 15): the sliced parse must give exactly what the whole
parse gives, on every page generation, whatever the slice size, and fall back to the whole parse
whenever a page cannot be cut safely."""

from __future__ import annotations

import dataclasses
import html as html_mod
import json
from pathlib import Path

import pytest
from conftest import FIXTURES, SHARED_FORMATS, needs_shared

from icp_engine.ingest import html_pages
from icp_engine.ingest.html_pages import PageParse, parse_people_page
from icp_engine.ingest.upload import parse_upload

PAGES = sorted((FIXTURES / "ingest").glob("*.html")) + sorted((FIXTURES / "ui").glob("*.html"))
SIZES = (150, 400, 1000, 3000, 9000)


def _as_tuple(page: PageParse) -> tuple:
    return ([dataclasses.asdict(p) for p in page.people], page.stats, page.kind, page.page_owner,
            page.warnings, page.is_linkedin)


def _whole(data: bytes) -> PageParse:
    return html_pages._parse_people_page(data)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
@pytest.mark.parametrize("size", SIZES)
def test_sliced_parse_equals_whole_parse_on_every_fixture_page(path: Path, size: int):
    data = path.read_bytes()
    assert _as_tuple(parse_people_page(data, slice_bytes=size)) == _as_tuple(_whole(data))


@pytest.mark.parametrize("name", ["followers_g1.html", "followers_g2.html", "connections_mn.html",
                                  "connections_classic.html"])
def test_classic_generations_really_are_sliced(name: str):
    data = (FIXTURES / "ingest" / name).read_bytes()
    sliced = html_pages._parse_sliced(data, 500)
    assert sliced is not None, "the page fell back to the whole parse"
    assert len(html_pages._cut_points(data, 500)) >= 2
    assert _as_tuple(sliced) == _as_tuple(_whole(data))


@needs_shared
@pytest.mark.parametrize("name", ["followers_sample.html", "followers_sample_sdui.html"])
@pytest.mark.parametrize("size", SIZES)
def test_sliced_parse_equals_whole_parse_on_the_shared_samples(name: str, size: int):
    data = (SHARED_FORMATS / name).read_bytes()
    assert _as_tuple(parse_people_page(data, slice_bytes=size)) == _as_tuple(_whole(data))


# --- a generated page whose cards, duplicates and aliases straddle the slice boundaries ----------
def _card(i: int, href: str, name: str | None, headline: str | None, *, urn: str = "") -> str:
    title = (f'<span class="entity-result__title-text"><a class="app-aware-link" href="{href}">'
             f'<span dir="ltr"><span aria-hidden="true">{html_mod.escape(name)}</span>'
             f'<span class="visually-hidden">View {html_mod.escape(name)}\u2019s profile</span></span></a></span>'
             if name else "")
    sub = (f'<div class="entity-result__primary-subtitle">{html_mod.escape(headline)}</div>' if headline else "")
    photo = (f'<a class="app-aware-link" aria-hidden="true" href="{href}"><img alt="{html_mod.escape(name or "")}"'
             f' src="https://media.licdn.com/p{i}.jpg"></a>' if href else "")
    return (f'<li class="reusable-search__result-container">\n<div class="entity-result"'
            f' data-chameleon-result-urn="{urn or f"urn:li:member:{1000 + i}"}">'
            f'<div class="entity-result__item">{photo}<div class="entity-result__content">{title}'
            f'<span class="entity-result__badge"><div class="entity-result__badge-text">'
            f'<span aria-hidden="true">\u2022 2nd</span></div></span>{sub}'
            f'<div class="entity-result__secondary-subtitle">City {i % 7}</div></div></div></div>\n</li>\n')


def _straddling_page(n: int = 120) -> bytes:
    pid = "ACoAA" + "Bx9_kQ2zLmN4pR7tV1wY3-aC5eG8iJ0oU6s"[:34]
    island = {"included": [{"$type": "com.linkedin.voyager.identity.shared.MiniProfile",
                            "entityUrn": f"urn:li:fs_miniProfile:{pid}", "publicIdentifier": "island-vanity",
                            "firstName": "Isla", "lastName": "Land", "occupation": "CFO at Islandco",
                            "objectUrn": "urn:li:member:777"}]}
    cards = []
    for i in range(n):
        if i == 3:  # the page owner's own card: dropped
            cards.append(_card(i, "https://www.linkedin.com/in/page-owner/", "Page Owner", "Owner"))
        elif i == 7:  # "LinkedIn Member": no profile link
            cards.append(_card(i, "", "LinkedIn Member", None))
        elif i in (11, 70, 113):  # the same person three times, fields spread over the copies
            cards.append(_card(i, "https://www.linkedin.com/in/repeat-person/", "Repeat Person" if i == 70 else None,
                               "VP Finance at Again" if i == 113 else None))
        elif i in (20, 95):  # known by id in one card, by vanity (via the island) in another
            href = (f"https://www.linkedin.com/in/{pid}" if i == 20 else "https://www.linkedin.com/in/island-vanity/")
            cards.append(_card(i, href, None, None))
        else:
            cards.append(_card(i, f"/in/person-{i}/", f"Person {i}", f"Title {i % 9} at Company {i % 13}"))
    return ("<!DOCTYPE html><html><head><title>Followers | LinkedIn</title></head><body>"
            '<header id="global-nav"><a href="https://www.linkedin.com/in/page-owner/">Me</a></header>'
            f'<code style="display: none">{html_mod.escape(json.dumps(island))}</code>'
            '<main><section><h2>2,000 followers</h2><div><ul class="list">\n' + "".join(cards) +
            '</ul></div></section></main><aside><section class="discover-entity-type-card"><h2>People you may '
            'know</h2><ul>' + _card(999, "/in/suggested-one/", "Suggested One", "Not a follower") +
            "</ul></section></aside></body></html>").encode()


@pytest.mark.parametrize("size", [100, 700, 1500, 2900, 4100, 9000, 30000])
def test_sliced_parse_of_a_page_with_duplicates_and_aliases_across_slices(size: int):
    data = _straddling_page()
    whole = _whole(data)
    # 120 cards: the owner's, a "LinkedIn Member", two repeats and one id/vanity alias pair merged
    assert len(whole.people) == 115 and whole.stats["island_profiles"] == 1
    alias = next(p for p in whole.people if p.vanity == "island-vanity")
    assert alias.key.startswith("ACoAA") and alias.name == "Isla Land"
    repeat = next(p for p in whole.people if p.key == "repeat-person")
    assert (repeat.name, repeat.headline) == ("Repeat Person", "VP Finance at Again")
    assert whole.stats["duplicates"] == 3 and whole.stats["owner_cards"] == 1
    assert whole.stats["suggestion_cards"] == 0 and whole.page_owner == "page-owner"
    sliced = html_pages._parse_sliced(data, size)
    assert sliced is not None, "the page fell back to the whole parse"
    assert _as_tuple(sliced) == _as_tuple(whole)


def _with_in_list(extra: str, at: int = 60) -> bytes:
    data = _straddling_page().decode()
    marker = '<li class="reusable-search__result-container">\n<div class="entity-result" data-chameleon-result-urn="urn:li:member:1060">'
    assert marker in data
    return data.replace(marker, extra + marker).encode()


@pytest.mark.parametrize("extra", [
    # a suggestions panel in the middle of the list: its cards are not followers
    '<aside>' + _card(500, "/in/side-panel/", "Side Panel", "Suggested") + '</aside>',
    # a data island in the middle of the list (aliases of cards before it)
    '<code>{"included": []}</code>',
    # a comment holding card markup: a proposed cut inside it
    '<!-- <div class="entity-result"> x </div> -->',
    # an unclosed wrapper: the following cards sit one level deeper
    '<div class="odd">',
    # a stray end tag closing the list early
    '</ul><ul class="second">',
])
@pytest.mark.parametrize("size", [300, 2000])
def test_pages_that_cannot_be_cut_safely_give_the_whole_parse(extra: str, size: int):
    data = _with_in_list(extra)
    assert _as_tuple(parse_people_page(data, slice_bytes=size)) == _as_tuple(_whole(data))


def test_big_upload_is_sliced_by_default_with_the_same_result(monkeypatch):
    data = _straddling_page(400)
    whole = parse_upload("followers.html", data)
    monkeypatch.setattr(html_pages, "SLICE_MIN_BYTES", 10_000)
    monkeypatch.setattr(html_pages, "SLICE_BYTES", 5_000)
    calls = []
    real = html_pages._parse_sliced
    monkeypatch.setattr(html_pages, "_parse_sliced", lambda h, s: calls.append(s) or real(h, s))
    sliced = parse_upload("followers.html", data)
    assert calls == [5_000]
    assert [dataclasses.asdict(p) for p in sliced.people] == [dataclasses.asdict(p) for p in whole.people]
    assert (sliced.stats, sliced.kind, sliced.warnings) == (whole.stats, whole.kind, whole.warnings)
