"""Saved LinkedIn people-list pages (followers, connections, search results) -> followers.

Handles every DOM generation of FORMATS.md §A.2 in one pass over a Lexbor tree:

* **G1** legacy follows cards: ``.follows-recommendation-card`` (name ``h3 …__name``, headline
  ``…__headline``).
* **G2** "entity-result" template: ``div.entity-result`` /
  ``[data-view-name="search-entity-result-universal-template"]`` (name in the title link's
  ``span[aria-hidden=true]``, headline ``…__primary-subtitle``, location
  ``…__secondary-subtitle``, degree badge, member URN in ``data-chameleon-result-urn``).
* **Classic connections page** (2019 markup, FORMATS.md §H): ``li.list-style-none >
  div.mn-connection-card`` (or ``li.mn-connection-card``); the photo link
  ``a.mn-connection-card__picture`` and the name link ``a.mn-connection-card__link`` carry the
  same, often **relative**, ``/in/<vanity>/`` href; name ``span.mn-connection-card__name``,
  headline ``span.mn-connection-card__occupation``; ``time.time-badge`` "Connected 2 weeks ago".
* **G3** server-driven UI with hashed classes: ``[role=listitem]`` cards holding an ``/in/`` link,
  or ``a[data-view-name=connections-profile]`` / ``…-lockup-title`` links; the name link sits in a
  ``<p>`` with the degree, the next sibling blocks hold headline then location.

Extraction is **card-scoped**: only links inside a card count, and cards inside the right rail
(``aside``, ``role=complementary``, "People you may know" sections) are ignored, so the page owner
(nav "Me" menu), suggestions, ads and footer links are never followers. The owner is also
detected from the page header/nav and removed if a card points to them. "LinkedIn Member" cards
(no ``/in/`` link; counted as ``skipped_headless``) and loader skeletons (``…:headless`` URN or an
empty card; ``skeletons``) are skipped. People are deduped on the canonical key of
:mod:`icp_engine.ingest.profile_url` *and* on known aliases: the ``miniProfileUrn`` id of a link,
the ``recipient=ACoAA…`` id of a card's Message link, and the id <-> vanity pairs of the hidden
``<code>`` JSON data islands (Voyager ``MiniProfile`` entities, FORMATS.md §A.1).

Key of a URN-only card whose vanity is known from a data island: the key stays the ``ACoAA…`` id
of the card's link and the island vanity is recorded as the ``vanity`` alias. Reason: islands
only hold what was inlined at first page load, so keying on them would give the same person a
different key in another save of the same list; the link is always there. (This is also the
keying of ``followers_sample.expected.json``.)

Only when a page has no card at all, every ``/in/`` link outside the nav, header, right rail and
footer is taken (then a raw-text URL scan), with a warning in the result.

**Visually hidden text is never a name or headline**, in every generation: LinkedIn puts
screen-reader text inside the links ("Status is offline", "Member’s name", "View X’s profile",
"2nd degree connection"). G1 and classic connections cards drop their ``.visually-hidden`` /
``.a11y-text`` / ``.sr-only`` / presence-indicator elements before their fields are read; G2 reads
the name from the visible ``span[aria-hidden=true]`` and the headline from the subtitle (neither
holds hidden text, and a page-wide removal would cost ~0.35 s at 50k cards); G3 (hashed classes)
and the fallback read visible text only and also strip those phrases by content.

**Fragments**: a people list copied from the browser's developer tools (``<ul>…</ul>``, no head,
title or nav) is parsed like a page; it counts as LinkedIn when it has LinkedIn card markup or
photos from LinkedIn's image hosts (``media.licdn.com``).

**Header total**: when a heading or the list header states the list's total ("1,284
Connections", "1,284 followers", "Followers (1,284)"), it is returned as
``stats["declared_total"]`` / ``stats["declared_total_of"]``, with a warning when fewer than 95 %
of that number were found (the list was not scrolled to the end before saving).

**Big pages are parsed in slices** (issue 15): a Lexbor tree takes ~9.5 bytes of memory per byte
of HTML (1.33 GB for the 140 MB page of 50,000 followers), so UTF-8 pages of at least
:data:`SLICE_MIN_BYTES` with classic cards are cut between cards into slices of ~:data:`SLICE_BYTES`
and a skeleton (head, nav, data islands, side panels, first and last cards), each parsed on its
own (:func:`_parse_sliced`): one slice's tree at a time, the same result as the whole parse, which
is used for every page that cannot be cut safely (G3 pages, page-level markup between the cards,
odd nesting). Measured at 50,000 cards: the process's RSS after the parse 1.40 GB -> 0.43 GB.

Why the fast path uses selectolax (Lexbor), not beautifulsoup4
---------------------------------------------------------------
A saved page with 50,000 followers is ~140 MB of HTML (~2.9 kB per card). Measured on this
machine (2 cores, shared with other jobs: load average 3.5-4) with
``python benchmarks/bench_parse.py --compare 50000``: building the tree and reading each card's
links takes 1.2 s with selectolax/Lexbor, 3.6 s with lxml and 113 s with beautifulsoup4 on the
lxml backend (issue 2 measured 37 s on a quiet machine, and over 10 minutes with
``html.parser``). The whole upload (UTF-8 check, sniffing, Lexbor tree with DOM mutation events
off, one page-wide query for all cards and fields, dedupe) takes 2.3 s of CPU, 3.0-3.4 s wall
clock under that load; 10,000 entries take 0.5 s CPU. Per-card queries, a second pass per card
or the cyclic GC running during the parse each cost more than a second at this size, which is
why the code batches its queries and pauses the GC. beautifulsoup4 is used where its strengths
matter and size does not: its ``UnicodeDammit`` reads ``<meta charset>`` declarations to decode
saved pages that are not UTF-8 (see :mod:`icp_engine.ingest.upload`).
"""

from __future__ import annotations

import gc
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

from selectolax.lexbor import LexborDocumentOptions, LexborHTMLParser, LexborNode

from ..domain import Follower
from .profile_url import PROFILE_ID_RE, ProfileRef, id_from_urn, is_profile_id, profile_ref

# --- selectors -------------------------------------------------------------------------------
_G2 = "div.entity-result, [data-view-name=\"search-entity-result-universal-template\"]"
_G1 = ".follows-recommendation-card"
_MN = ".mn-connection-card"
_CLASSIC_CARDS = f"{_G2}, {_G1}, {_MN}"
_G3_ITEMS = "[role=\"listitem\"]"
_G3_LINKS = ("a[data-view-name=\"connections-profile\"], "
             "a[data-view-name=\"search-result-lockup-title\"]")
#: Regions whose cards and links are never followers (right rail, suggestions, chrome).
_EXCLUDED_REGIONS = (
    "aside, [role=\"complementary\"], .discover-entity-type-card, .discover-person-card, "
    ".pymk-card, [data-view-name*=\"pymk\"], [data-view-name*=\"people-you-may-know\"], "
    "[aria-label*=\"People you may know\"]"
)
_CHROME = ("header, nav, footer, aside, [role=\"banner\"], [role=\"navigation\"], "
           "[role=\"contentinfo\"], [role=\"complementary\"], #global-nav")
_OWNER_REGIONS = ("#global-nav, header, nav, [role=\"banner\"], [role=\"navigation\"], "
                  ".global-nav__me-content")
_PAGE_REGIONS = f"code, h1, h2, {_OWNER_REGIONS}, {_EXCLUDED_REGIONS}"
#: Section headings of suggestion lists (their section is excluded like the right rail).
_SUGGESTION_HEADINGS = ("people you may know", "people also viewed", "more suggestions",
                        "add to your feed", "people you may want to follow",
                        "suggested for you", "who your viewers also viewed")
#: Fields read from classic cards. They are fetched for all cards at once with one query
#: qualified by the card selectors (``div.entity-result a[href], …``): Lexbor returns card and
#: field nodes in document order, so each field belongs to the card opened last. One query for
#: the page instead of one per card is what keeps 50k cards under the time budget.
_G2_FIELDS = ("a[href]", ".entity-result__title-text a span[aria-hidden=\"true\"]",
              ".entity-result__primary-subtitle", ".entity-result__secondary-subtitle",
              ".entity-result__badge-text")
_G1_FIELDS = ("a[href]", ".follows-recommendation-card__name",
              ".follows-recommendation-card__headline")
_MN_FIELDS = ("a[href]", ".mn-connection-card__name", ".mn-connection-card__occupation")
#: Name fallbacks, read per card only when the card's name element is missing.
_ALT_NAME = "img[alt], figure[aria-label], [class*=\"ghost-person\"][aria-label]"
_CARD_FIELDS = (("div.entity-result", _G2_FIELDS),
                ("[data-view-name=\"search-entity-result-universal-template\"]"
                 ":not(.entity-result)", _G2_FIELDS),
                (_G1, _G1_FIELDS), (_MN, _MN_FIELDS))
_CARD_CLS_RE = re.compile(
    r"(?:^|\s)(entity-result|follows-recommendation-card|mn-connection-card)(?:\s|$)")
_CARD_TOKENS = {"entity-result": "g2", "follows-recommendation-card": "g1",
                "mn-connection-card": "mn"}
_NAME_LINK_CLASSES = ("mn-connection-card__link", "follows-recommendation-card__avatar-link")
_DEGREE_RE = re.compile(r"\b(1st|2nd|3rd\+?)(?![a-z])")
_PIC_SUFFIX_RE = re.compile(r"[\u2019']s profile picture$|^Profile picture of |^Photo of ", re.I)
# Raw profile URLs in visible text. The search is anchored on the literal "linkedin.com/in/" and
# the scheme/subdomain prefix is read from at most 90 characters before it: a pattern that starts
# with ``([a-z0-9-]+\.)*`` backtracks quadratically on long runs of letters (a 200 kB script took
# over 3 minutes), this takes linear time.
_RAW_URL_TAIL_RE = re.compile(r"linkedin\.com/in/[^\s\"'<>\\)]+", re.IGNORECASE)
_RAW_URL_PREFIX_RE = re.compile(r"(?:https?:)?(?://)?(?:[a-z0-9-]{1,63}\.){0,5}$", re.IGNORECASE)


def _raw_profile_urls(text: str):
    """Yield profile URLs written out in ``text`` (linear time; see _RAW_URL_TAIL_RE)."""
    for m in _RAW_URL_TAIL_RE.finditer(text):
        before = text[max(0, m.start() - 90) : m.start()]
        pm = _RAW_URL_PREFIX_RE.search(before)
        yield (before[pm.start():] if pm else "") + m.group(0)
_SAVED_FROM_RE = re.compile(r"saved from url=\(\d+\)(\S+)", re.IGNORECASE)
_MAX_CLIMB = 40  # ancestor steps when looking for a card container
_MAX_ISLANDS = 5000
_ALT_NAME_SECONDS = 1.0
_MAX_TEXT = 600  # names/headlines longer than this are cut (junk or hostile input)
_MAX_ISLAND_CHARS = 20_000_000
_HEADLESS_NAMES = {"linkedin member", "linkedin-mitglied", "membre de linkedin",
                   "miembro de linkedin", "membro do linkedin"}

PAGE_KINDS = ("followers_page", "connections_page", "search_page", "people_page")


@dataclass
class PageParse:
    """Result of :func:`parse_people_page`.

    ``kind`` is one of :data:`PAGE_KINDS`; ``people`` are unique by canonical key, in page order;
    ``page_owner`` is the owner's key (vanity or ``ACoAA…`` id) or None; ``stats`` counts
    ``cards``, ``people``, ``skipped_headless``, ``skeletons``, ``duplicates``,
    ``cards_without_profile_link``, ``owner_cards``, ``suggestion_cards`` (cards in "People you
    may know" / right-rail sections, dropped), ``island_profiles``, ``generation``
    (``g1``/``g2``/``mn``/``g3``/``mixed``/``fallback``/``none``); ``is_linkedin`` says whether
    any LinkedIn marker (title, saved-from URL, canonical link, LinkedIn card markup or links)
    was found.
    """

    kind: str
    people: list[Follower]
    page_owner: str | None
    stats: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    is_linkedin: bool = True


def _is_excluded_region(n: LexborNode) -> bool:
    attrs = n.attrs
    if attrs.get("role") == "complementary":
        return True
    cls = attrs.get("class") or ""
    if any(c in cls for c in ("discover-entity-type-card", "discover-person-card", "pymk-card")):
        return True
    view = attrs.get("data-view-name") or ""
    label = attrs.get("aria-label") or ""
    return "pymk" in view or "people-you-may-know" in view or "People you may know" in label


def _clean(text: str | None) -> str | None:
    if not text:
        return None
    s = " ".join(text.split())
    if len(s) > _MAX_TEXT:
        s = s[:_MAX_TEXT].rstrip() + "…"
    return s or None


#: Visually hidden elements (screen-reader text): never part of a name, headline or location.
#: Class-based for the classic generations; G3 hashes its classes, so :func:`_scrub` also removes
#: the phrases LinkedIn writes into such elements.
_HIDDEN_SEL = (".visually-hidden, .a11y-text, .sr-only, .screen-reader-text, .visuallyhidden, "
               ".artdeco-visually-hidden, .presence-indicator, [hidden]")
#: Screen-reader phrases of LinkedIn people cards (presence indicator, link labels, degree):
#: "Status is offline", "View Nora Vidal’s profile", "Member’s name", "2nd degree connection".
_HIDDEN_PHRASES_RE = re.compile(
    r"\bStatus is (?:offline|online|reachable|away|busy|active)\.?"
    r"|\bView [^\n]{0,120}?[\u2019']s\s+(?:full\s+)?profile\b\.?"
    r"|\bMember[\u2019']s (?:name|occupation|headline)\b"
    r"|\b(?:1st|2nd|3rd\+?)[- ]degree connection\b",
    re.IGNORECASE)
#: Cheap, case-sensitive pre-check before the phrase regex (LinkedIn writes these phrases in
#: sentence case; most names and headlines contain none of them).
_HIDDEN_HINT_RE = re.compile(r"Status is|s (?:full )?profile|Member.s |degree connection")


def _scrub(text: str | None) -> str | None:
    """``text`` without LinkedIn's screen-reader phrases (see ``_HIDDEN_PHRASES_RE``); None if
    nothing visible is left. ``"Status is offline Nora Vidal"`` -> ``"Nora Vidal"``."""
    if not text or _HIDDEN_HINT_RE.search(text) is None:
        return text
    return _clean(_HIDDEN_PHRASES_RE.sub(" ", text).strip(" ,;|\u2022\u00b7"))


def _visible_text(node: LexborNode) -> str | None:
    """Cleaned text of ``node`` without screen-reader phrases. Hidden elements with a known class
    were removed beforehand by :func:`_drop_hidden` (one query per page, not one per field)."""
    return _scrub(_clean(node.text()))


def _drop_hidden(scope: LexborNode) -> None:
    """Remove visually hidden elements (``_HIDDEN_SEL``) under ``scope`` from the tree; nothing
    after the parse reads them. Used before the G3 and fallback passes (G1 / classic connections
    cards do it for their own cards; G2 needs no such pass)."""
    for hidden in scope.css(_HIDDEN_SEL):
        hidden.decompose()


class _Merger:
    """Dedupes people on canonical key and aliases (profile id, vanity), keeping page order."""

    def __init__(self, id2vanity: dict[str, str], vanity2id: dict[str, str],
                 island_people: dict[str, dict[str, str]]):
        self.people: list[Follower] = []
        self.by_alias: dict[str, int] = {}
        self.id2vanity = id2vanity
        self.vanity2id = vanity2id
        self.island_people = island_people
        self.duplicates = 0
        # photo-alt name lookups are one subtree query each: cheap on real pages, quadratic on
        # hostile nested markup, so they stop after 1 s in total
        self._alt_deadline: float | None = None

    def alt_name_allowed(self) -> bool:
        now = time.monotonic()
        if self._alt_deadline is None:
            self._alt_deadline = now + _ALT_NAME_SECONDS
        return now < self._alt_deadline

    def add(self, ref: ProfileRef, *, name=None, headline=None, location=None, degree=None,
            member_urn=None, extra_id: str | None = None) -> Follower:
        pid = ref.profile_id or extra_id
        vanity = ref.vanity
        if pid is None and vanity is not None:
            pid = self.vanity2id.get(vanity)
        if vanity is None and pid is not None:
            vanity = self.id2vanity.get(pid)
        aliases = [a for a in (ref.key, pid, vanity) if a]
        idx = next((self.by_alias[a] for a in aliases if a in self.by_alias), None)
        if idx is not None:
            self.duplicates += 1
            f = self.people[idx]
            f.profile_id = f.profile_id or pid
            f.vanity = f.vanity or vanity
            f.name = f.name or name
            f.headline = f.headline or headline
            f.location = f.location or location
            f.degree = f.degree or degree
            f.member_urn = f.member_urn or member_urn
        else:
            isl = self.island_people.get(pid or "") or self.island_people.get(vanity or "") or {}
            f = Follower(key=ref.key, url=ref.url, profile_url=ref.profile_url, profile_id=pid,
                         vanity=vanity, member_urn=member_urn or isl.get("member_urn"),
                         name=name or isl.get("name"), headline=headline or isl.get("headline"),
                         location=location, degree=degree)
            idx = len(self.people)
            self.people.append(f)
        for a in aliases:
            self.by_alias.setdefault(a, idx)
        return f


def parse_people_page(html: str | bytes, *, slice_bytes: int | None = None) -> PageParse:
    """Parse one saved LinkedIn people-list page.

    ``html``: the page text, or UTF-8 bytes (decode other encodings first; see
    :func:`icp_engine.ingest.upload.parse_upload`, which also enforces size and type limits).
    Returns a :class:`PageParse`; never raises on odd markup (an empty result means no profile
    was found).

    UTF-8 pages of at least :data:`SLICE_MIN_BYTES` with classic (G1/G2/connections) cards are
    parsed in slices of about ``slice_bytes`` (default :data:`SLICE_BYTES`) so that only one
    slice's tree is in memory at a time (see :func:`_parse_sliced`; same result as the whole
    parse, which is used whenever a page cannot be sliced safely). ``slice_bytes`` given
    explicitly also slices smaller pages (tests). Cost at 50,000 cards (140 MB): the whole tree
    took ~1.3 GB; sliced, the trees take ~0.1 GB.
    """
    # The cyclic GC would re-scan the ~10^6 node/str objects of a big page many times
    # (measured on a loaded machine, 50k cards: 16.8 s with it, 10 s without, before the other
    # optimisations); nothing here creates reference cycles, so it is paused for the parse.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        if isinstance(html, bytes) and (slice_bytes is not None or len(html) >= SLICE_MIN_BYTES):
            page = _parse_sliced(html, slice_bytes or SLICE_BYTES)
            if page is not None:
                return page
        return _parse_people_page(html)
    finally:
        if gc_was_enabled:
            gc.enable()


def _parse_people_page(html: str | bytes, cuts: list[int] | None = None) -> PageParse:
    """The parse. With ``cuts`` (byte offsets of slice boundaries, see :func:`_parse_sliced`) the
    tree is built for the skeleton only (the page before the first cut, a marker element, the page
    from the last cut on) and the slices between the cuts are parsed one by one; raises
    :class:`_NotSliceable` when the page cannot be sliced without changing the result."""
    if cuts:
        assert isinstance(html, bytes)
        tree = LexborHTMLParser(html[:cuts[0]] + _CUT_MARK + html[cuts[-1]:],
                                options=LexborDocumentOptions.WO_EVENTS)
    else:
        tree = LexborHTMLParser(html, options=LexborDocumentOptions.WO_EVENTS)
    root = tree.body or tree.root
    stats: dict[str, Any] = {
        "cards": 0, "people": 0, "skipped_headless": 0, "skeletons": 0, "duplicates": 0,
        "cards_without_profile_link": 0, "owner_cards": 0, "suggestion_cards": 0,
        "island_profiles": 0, "generation": "none",
    }
    warnings: list[str] = []
    if root is None:
        if cuts:
            raise _NotSliceable("no body")
        return PageParse("people_page", [], None, stats, warnings, is_linkedin=False)

    # one traversal for every page-level region: data islands, nav/header, right rail
    codes: list[LexborNode] = []
    owner_regions: list[LexborNode] = []
    excluded_regions: list[LexborNode] = []
    count_texts: list[tuple[LexborNode, str]] = []
    for n in root.css(_PAGE_REGIONS):
        tag = n.tag
        if tag == "code":
            codes.append(n)
        elif tag == "h1" or tag == "h2":
            raw = n.text() or ""
            if len(raw) < 300 and _COUNT_WORD_RE.search(raw):
                count_texts.append((n, raw))
            if tag == "h1":
                continue
            text = raw.strip().lower()
            if text.startswith(_SUGGESTION_HEADINGS):
                region = _suggestion_region(n)
                if region is not None:
                    excluded_regions.append(region)
        elif tag == "aside" or _is_excluded_region(n):
            excluded_regions.append(n)
        else:
            owner_regions.append(n)
            if tag == "header" and n.attrs.get("id") != "global-nav":
                raw = n.text() or ""
                if len(raw) < 300 and _COUNT_WORD_RE.search(raw):
                    count_texts.append((n, raw))
    chain: list[str] = []
    if cuts:
        chain = _slice_chain(tree, excluded_regions)
    id2vanity, vanity2id, island_people = _data_islands(codes)
    stats["island_profiles"] = len(island_people) // 2 if island_people else 0
    owner = _page_owner(tree, owner_regions, sliced=bool(cuts))
    merger = _Merger(id2vanity, vanity2id, island_people)

    scope = tree.css_first("main") or root
    cards: list[Any] = []
    if cuts:
        assert isinstance(html, bytes)
        n_cards, generation = _sliced_cards(html, cuts, chain, scope, excluded_regions, merger, stats,
                                            owner)
    else:
        cards = _stream_classic_cards(scope)
        if not cards and scope is not root:
            cards = _stream_classic_cards(root)
        generation = "none"
        if cards:
            gens = {c.generation for c in cards[:200]}
            generation = gens.pop() if len(gens) == 1 else "mixed"
            excluded = _excluded_ids(excluded_regions, _CLASSIC_CARDS)
            kept = [c for c in cards if c.mem_id not in excluded]
            if not kept and scope is not root:  # <main> held only suggestions: look page-wide
                cards = _stream_classic_cards(root)
                kept = [c for c in cards if c.mem_id not in excluded]
            stats["suggestion_cards"] = len(cards) - len(kept)
            cards = kept
            for card in cards:
                _finish_classic_card(card, merger, stats, owner)
        n_cards = len(cards)
    bad = {a.mem_id for r in excluded_regions for a in r.css('a[href*="/in/"]')} if not n_cards else set()
    if not n_cards:
        _drop_hidden(root)
        g3_cards = _find_g3_cards(scope, bad) or (
            _find_g3_cards(root, bad) if scope is not root else [])
        if g3_cards:
            generation = "g3"
            cards = g3_cards
            for node in cards:
                _g3_card(node, merger, stats, owner)
            n_cards = len(cards)
    stats["generation"] = generation if n_cards else "none"
    stats["cards"] = n_cards

    if not n_cards:
        _fallback_links(root, merger, owner, bad)
        if merger.people:
            stats["generation"] = "fallback"
            warnings.append(
                "No follower/connection cards were recognised in this page, so every LinkedIn "
                "profile link outside the navigation and side panels was taken. The list may "
                "include people who are not followers; check it before qualifying.")
    stats["duplicates"] = merger.duplicates
    stats["people"] = len(merger.people)
    if stats["skipped_headless"]:
        warnings.append(f"{stats['skipped_headless']} \"LinkedIn Member\" entries have no profile "
                        "link (LinkedIn hides them) and were skipped.")
    declared = _declared_total(count_texts)
    if declared is not None:
        total, what = declared
        stats["declared_total"], stats["declared_total_of"] = total, what
        found = stats["people"] + stats["skipped_headless"] + stats["owner_cards"]
        if found < total * 0.95:
            warnings.append(
                f"The page says {total:,} {what}, but {found:,} were found in the file. LinkedIn "
                "only loads the people you scroll past: scroll to the end of the list, wait until "
                "no more people load, then save the page again.")
    head = _head_info(tree, html[:4096])
    kind = _page_kind(tree, generation, head)
    is_li = bool(n_cards) or _has_linkedin_markers(tree, head)
    return PageParse(kind, merger.people, owner, stats, warnings, is_linkedin=is_li)


# --- slicing big pages -----------------------------------------------------------------------
#: UTF-8 pages of at least this many bytes are parsed in slices (:func:`_parse_sliced`).
SLICE_MIN_BYTES = 16 * 1024 * 1024
#: About this many bytes per slice: ~2,000 cards of a G2 page, a tree of ~60 MB.
SLICE_BYTES = 6 * 1024 * 1024
_CUT_TAG = "icp-slice-cut"
_END_TAG = "icp-slice-end"
_CUT_MARK = b"<icp-slice-cut></icp-slice-cut>"
_END_MARK = b"<icp-slice-end></icp-slice-end>"
_WRAP_ATTR = "data-icp-slice-wrap"
#: Elements the cards' list may sit in for slicing (ordinary containers: the HTML tree builder
#: treats a slice under these exactly as it treats it in the page).
_CHAIN_TAGS = frozenset({"div", "main", "section", "ul", "ol", "li", "article", "span"})
#: What a slice must not hold: anything read page-wide (data islands, headings, nav/header,
#: right rail, the scope, the head's title/URL/pageKey, the connections list hook).
_SLICE_FORBIDDEN = (f"{_PAGE_REGIONS}, main, title, link[rel=\"canonical\"], meta[property=\"og:url\"], "
                    "meta[name=\"pageKey\"], [data-view-name=\"connections-list\"]")
_CARD_CLASS_BYTES_RE = re.compile(
    rb'class="(?:[^"<>]*\s)?(?:entity-result|follows-recommendation-card|mn-connection-card)[\s"]')
_CARD_TAG_BYTES_RE = re.compile(rb"<(?:div|li|section|article)\s[^<>]*")
_UNIT_PREFIX_RE = re.compile(rb"(?:<(?:li|div|section|article)(?:\s[^<>]*)?>\s*){1,3}\Z")


#: Byte strings of page-level markup (:data:`_SLICE_FORBIDDEN`), looked for in the first and last
#: slice only (a search over the whole page would cost ~0.2 s per string at 140 MB).
_REGION_BYTES = (b"<aside", b"</main", b"<main", b"<h1", b"<h2", b"<code", b"<header", b"<nav",
                 b"<footer", b"complementary", b"discover-", b"pymk", b"people-you-may-know",
                 b"People you may know")


def _has_region_bytes(html: bytes, start: int, end: int) -> bool:
    return any(html.find(b, start, end) >= 0 for b in _REGION_BYTES)


class _NotSliceable(Exception):
    """The page cannot be sliced without changing the result: parse it whole."""


def _cut_points(html: bytes, slice_bytes: int) -> list[int]:
    """Byte offsets, about ``slice_bytes`` apart, where a classic card's list item starts (the card's
    start tag, or the run of up to 3 wrapper start tags right before it). Only proposals:
    :func:`_slice_chain` and :func:`_sliced_cards` check that each one lies between cards."""
    cuts: list[int] = []
    pos = slice_bytes
    n = len(html)
    while pos < n:
        m = _CARD_CLASS_BYTES_RE.search(html, pos)
        if m is None:
            break
        lt = html.rfind(b"<", 0, m.start())
        if lt < 0 or _CARD_TAG_BYTES_RE.fullmatch(html, lt, m.start()) is None:
            pos = m.end()
            continue
        window = html[max(0, lt - 2048):lt]
        w = _UNIT_PREFIX_RE.search(window)
        cut = lt - (len(window) - w.start()) if w else lt
        if not cuts or cut > cuts[-1]:
            cuts.append(cut)
        pos = max(m.end(), cut + slice_bytes)
    return cuts


def _parse_sliced(html: bytes, slice_bytes: int) -> PageParse | None:
    """Parse a big page slice by slice; None when it cannot be sliced (the caller parses it whole).

    The page is cut at card boundaries into a *skeleton* (everything before the first cut, a marker
    element, everything from the last cut on: head, nav, data islands, side panels, the first and
    last cards) and the slices between the cuts. The skeleton gets the page-level reading of the
    whole parse (owner, islands, excluded regions, header total, kind). Each slice is parsed on its
    own, wrapped in start tags naming the elements open at the first cut (read from the skeleton's
    marker), so the HTML tree builder is in the same state as in the whole page; a marker after the
    slice must come back in those same elements (so the next slice starts there too) and no card,
    page-level region or side panel may be open across a cut. Cards are read in page order and
    deduplicated across slices by one :class:`_Merger`: the result equals :func:`_parse_people_page`
    on the whole page (tests/test_ingest_sliced.py). Memory: one slice's tree at a time."""
    cuts = _cut_points(html, slice_bytes)
    # where the list ends (or starts) there is page-level markup: keep that slice in the skeleton
    while len(cuts) >= 2 and _has_region_bytes(html, cuts[-2], cuts[-1]):
        cuts.pop()
    while len(cuts) >= 2 and _has_region_bytes(html, cuts[0], cuts[1]):
        cuts.pop(0)
    if len(cuts) < 2:
        return None
    try:
        return _parse_people_page(html, cuts)
    except _NotSliceable:
        return None


def _slice_chain(tree: LexborHTMLParser, excluded_regions: list[LexborNode]) -> list[str]:
    """Tag names of the elements open at the skeleton's cut marker, from below ``<body>`` down.
    Raises :class:`_NotSliceable` when the cut is inside a card, a side panel or an element the
    slices cannot be wrapped in."""
    marker = tree.css_first(_CUT_TAG)
    if marker is None:
        raise _NotSliceable("the cut is not in the tree (inside a comment, script or attribute?)")
    bad = {r.mem_id for r in excluded_regions}
    chain: list[str] = []
    node = marker.parent
    while node is not None and node.is_element_node and node.tag not in ("body", "html"):
        attrs = node.attrs
        if (node.tag not in _CHAIN_TAGS or node.mem_id in bad or _is_excluded_region(node)
                or _CARD_CLS_RE.search(attrs.get("class") or "")
                or attrs.get("data-view-name") == "search-entity-result-universal-template"):
            raise _NotSliceable(f"the cut is inside <{node.tag}>")
        chain.append(node.tag)
        node = node.parent
    if node is None or node.tag != "body":
        raise _NotSliceable("the cut is not in the body")
    chain.reverse()
    return chain


def _sliced_cards(html: bytes, cuts: list[int], chain: list[str], scope: LexborNode,
                  excluded_regions: list[LexborNode], merger: _Merger, stats: dict,
                  owner: str | None) -> tuple[int, str]:
    """Read the classic cards of the skeleton's first part, of each slice, then of the skeleton's
    last part, in page order, into ``merger``; return (cards kept, generation)."""
    cards, split = _stream_cards(scope, cut=True)
    if split is None:
        raise _NotSliceable("the cut is outside the cards' scope")
    g2_only = scope.css_first(_CARD_FIELDS[0][0]) is not None
    excluded = _excluded_ids(excluded_regions, _CLASSIC_CARDS)
    gens: list[str] = []
    counts = [0, 0]  # cards seen, cards kept

    def take(part: list[_Card], skeleton: bool) -> None:
        if len(gens) < 200:
            gens.extend(c.generation for c in part[:200 - len(gens)])
        kept = [c for c in part if c.mem_id not in excluded] if skeleton else part
        counts[0] += len(part)
        counts[1] += len(kept)
        for card in kept:
            _finish_classic_card(card, merger, stats, owner)

    take(cards[:split], True)
    prefix = b"".join(b"<" + t.encode() + b" " + _WRAP_ATTR.encode() + b">" for t in chain)
    query = f"{_END_TAG}, {_SLICE_FORBIDDEN}"
    for a, b in zip(cuts, cuts[1:]):
        stree = LexborHTMLParser(prefix + html[a:b] + _END_MARK, options=LexborDocumentOptions.WO_EVENTS)
        sroot = stree.body
        found = [n for n in sroot.css(query) if _WRAP_ATTR not in n.attrs] if sroot is not None else []
        if len(found) != 1 or found[0].tag != _END_TAG:
            raise _NotSliceable("a slice holds page-level markup or swallowed its end marker")
        # the slice must end inside the very elements it started in (the wrappers), as the next
        # slice and the skeleton's last part are parsed from there
        depth = 0
        node = found[0].parent
        while node is not None and node.is_element_node and node.tag != "body":
            if _WRAP_ATTR not in node.attrs:
                raise _NotSliceable("a slice does not end where it started")
            depth += 1
            node = node.parent
        if depth != len(chain):
            raise _NotSliceable("a slice does not end where it started")
        take(_stream_cards(sroot, g2_only=g2_only)[0], False)
        del found, sroot, stree
    take(cards[split:], True)
    if not counts[1]:
        raise _NotSliceable("no card kept")
    stats["suggestion_cards"] = counts[0] - counts[1]
    kinds = set(gens)
    return counts[1], (kinds.pop() if len(kinds) == 1 else "mixed")


# --- card discovery --------------------------------------------------------------------------
@dataclass
class _Card:
    """Raw fields of one classic (G1/G2/mn) card, gathered from the page-wide stream."""

    node: LexborNode
    mem_id: int
    generation: str
    urn: str = ""
    hrefs: list[str] = field(default_factory=list)
    name_hrefs: list[str] = field(default_factory=list)
    name: str | None = None
    headline: str | None = None
    location: str | None = None
    degree_text: str | None = None
    anchors: int = 0


def _stream_selector(scope: LexborNode, g2_only: bool | None = None) -> tuple[str | None, list[str]]:
    """The card + field query for the card kinds present under ``scope`` (None if none), and the
    card selectors of those kinds.

    Only present kinds are included: a descendant selector whose card part never matches makes
    Lexbor walk every field node's ancestors up to the root, which is quadratic on deeply nested
    (hostile) markup. ``g2_only`` (a slice of a page, :func:`_parse_sliced`): what the page's
    probe found, True = the page has ``div.entity-result`` cards, so only G2 cards count; False =
    it has none (raises :class:`_NotSliceable` if this slice has one)."""
    parts = []
    present: list[str] = []
    # A G2 page (the common, big case) is settled by one early-stopping probe; only pages
    # without ``div.entity-result`` pay full-tree probes for the rarer kinds.
    if g2_only:
        kinds = _CARD_FIELDS[:1]
    else:
        has_g2 = scope.css_first(_CARD_FIELDS[0][0]) is not None
        if has_g2 and g2_only is False:
            raise _NotSliceable("G2 cards only in a slice")
        kinds = _CARD_FIELDS[:1] if has_g2 else _CARD_FIELDS
    for card_sel, fields in kinds:
        if kinds is _CARD_FIELDS and scope.css_first(card_sel) is None:
            continue
        parts.append(card_sel)
        present.append(card_sel)
        parts.extend(f"{card_sel} {f}" for f in fields)
    return (", ".join(parts) if parts else None), present


def _stream_classic_cards(scope: LexborNode) -> list[_Card]:
    """All G1/G2/mn cards under ``scope`` with their raw fields, in page order (one query)."""
    return _stream_cards(scope)[0]


def _stream_cards(scope: LexborNode, g2_only: bool | None = None,
                  cut: bool = False) -> tuple[list[_Card], int | None]:
    """:func:`_stream_classic_cards`, plus for slicing (:func:`_parse_sliced`): ``g2_only`` as in
    :func:`_stream_selector`; ``cut``: also return how many cards come before the skeleton's cut
    marker (None when the marker is not under ``scope``)."""
    cards: list[_Card] = []
    cur: _Card | None = None
    last = -1
    split: int | None = None
    selector, present = _stream_selector(scope, g2_only)
    if selector is None:
        return cards, split
    if cut:
        selector += f", {_CUT_TAG}"
    # G1 / classic connections fields are whole elements whose text would include hidden
    # presence text ("Status is offline" inside the links): drop those elements first. G2 reads
    # its name from the visible span[aria-hidden] and needs no such pass (it would cost ~0.35 s
    # on a 50k page).
    for card_sel in present:
        if card_sel in (_G1, _MN):
            for hidden in scope.css(", ".join(f"{card_sel} {h.strip()}" for h in _HIDDEN_SEL.split(","))):
                hidden.decompose()
    for n in scope.css(selector):
        mem = n.mem_id
        if mem == last:  # a node matching several selectors comes back once per match
            continue
        last = mem
        tag = n.tag
        if cut and tag == _CUT_TAG:
            split = len(cards)
            cur = None  # the cut sits between cards (checked by _slice_chain)
            continue
        attrs = n.attrs
        if tag == "a":
            if cur is None:
                continue
            href = attrs.get("href")
            if href:
                cur.anchors += 1
                cur.hrefs.append(href)
                if cur.generation != "g2":
                    cls = attrs.get("class") or ""
                    if cls and any(c in cls for c in _NAME_LINK_CLASSES):
                        cur.name_hrefs.append(href)
            continue
        cls = attrs.get("class") or ""
        # field checks first (most nodes are fields); a card's own class matches none of them
        if cur is not None:
            if tag == "span" and not cls:  # the title link's span[aria-hidden] (G2 name)
                if cur.name is None:
                    cur.name = _clean(n.text())
                continue
            if "primary-subtitle" in cls or "card__headline" in cls or "card__occupation" in cls:
                if cur.headline is None:
                    cur.headline = _clean(n.text())
                continue
            if "secondary-subtitle" in cls:
                if cur.location is None:
                    cur.location = _clean(n.text())
                continue
            if "badge-text" in cls:
                cur.degree_text = cur.degree_text or n.text()
                continue
            if "card__name" in cls:
                if cur.name is None:
                    cur.name = _clean(n.text())
                continue
        gen = _card_generation(cls, attrs, tag)
        if gen is not None:
            if (cur is not None and gen == cur.generation == "mn" and not cur.anchors
                    and cur.name is None and _is_ancestor(cur.node, n)):
                cards.pop()  # li.mn-connection-card > div.mn-connection-card: one card
            cur = _Card(node=n, mem_id=mem, generation=gen,
                        urn=attrs.get("data-chameleon-result-urn") or "")
            cards.append(cur)
    return cards, split


def _is_ancestor(anc: LexborNode, node: LexborNode, depth: int = 4) -> bool:
    p = node.parent
    for _ in range(depth):
        if p is None:
            return False
        if p.mem_id == anc.mem_id:
            return True
        p = p.parent
    return False


def _alt_name(node: LexborNode) -> str | None:
    """Name from the photo's ``alt`` / ``aria-label`` (cards whose name element is missing)."""
    for n in node.css(_ALT_NAME):
        attrs = n.attrs
        label = attrs.get("alt") if n.tag == "img" else attrs.get("aria-label")
        name = _clean(_PIC_SUFFIX_RE.sub("", label or ""))
        if name:
            return name
    return None


def _card_generation(cls: str, attrs, tag: str) -> str | None:
    if cls:
        m = _CARD_CLS_RE.search(cls)
        if m is not None:
            g = _CARD_TOKENS[m.group(1)]
            # classic connections: li.mn-connection-card (FORMATS §A.2) or
            # li.list-style-none > div.mn-connection-card (§H, real 2019 markup)
            if g != "mn" or tag in ("li", "div", "section", "article"):
                return g
    if tag != "img" and attrs.get("data-view-name") == "search-entity-result-universal-template":
        return "g2"
    return None


@dataclass
class _G3Card:
    """A G3 card node with its own profile links (links of nested cards excluded)."""

    node: LexborNode
    anchors: list[LexborNode]
    nested: bool = False  # holds other cards (hostile or odd markup): read the links only


def _find_g3_cards(scope: LexborNode, excluded_links: set[int]) -> list[_G3Card]:
    """G3 cards, in page order, skipping links inside right-rail regions.

    * list items: the nearest ``[role=listitem]`` ancestor of each ``/in/`` link (so the
      innermost item holding a link; linear time even for nested lists);
    * otherwise cards around ``a[data-view-name=connections-profile|…-lockup-title]`` links
      (see :func:`_cards_from_links`)."""
    anchors = []
    if scope.css_first(_G3_ITEMS) is not None:
        anchors = [a for a in scope.css('[role="listitem"] a[href*="/in/"]')
                   if a.mem_id not in excluded_links]
    if anchors:
        by_id: dict[int, _G3Card] = {}
        order: list[_G3Card] = []
        outer: set[int] = set()
        for a in anchors:
            node = a.parent
            card = None
            for _ in range(_MAX_CLIMB):
                if node is None or not node.is_element_node:
                    break
                if node.attrs.get("role") == "listitem":
                    if card is None:
                        card = by_id.get(node.mem_id)
                        if card is None:
                            card = by_id[node.mem_id] = _G3Card(node, [])
                            order.append(card)
                        card.anchors.append(a)
                    else:
                        outer.add(node.mem_id)
                        break
                node = node.parent
        for c in order:
            c.nested = c.node.mem_id in outer
        if order:
            return order
    links = [a for a in scope.css(_G3_LINKS) if a.mem_id not in excluded_links]
    return _cards_from_links(links) if links else []


def _ancestors(node: LexborNode) -> list[LexborNode]:
    """``node`` and up to ``_MAX_CLIMB`` ancestors, stopping below ``main``/``body``."""
    chain = [node]
    cur = node.parent
    while cur is not None and cur.is_element_node and len(chain) <= _MAX_CLIMB:
        if cur.tag in ("main", "body", "html"):
            break
        chain.append(cur)
        cur = cur.parent
    return chain


def _cards_from_links(links: list[LexborNode]) -> list[_G3Card]:
    """Cards around G3 profile links when no list item marks them.

    Consecutive links to the same person (photo + name) form one group; a group's card is its
    widest ancestor that is not shared with the neighbouring groups (i.e. the child of the
    list container). O(links x depth)."""
    groups: list[list[LexborNode]] = []
    last_key = None
    for a in links:
        ref = profile_ref(a.attrs.get("href") or "")
        if ref is None:
            continue
        if ref.key != last_key:
            groups.append([a])
            last_key = ref.key
        else:
            groups[-1].append(a)
    chains = [_ancestors(g[0]) for g in groups]
    ids = [[n.mem_id for n in ch] for ch in chains]
    cards: list[_G3Card] = []
    seen: dict[int, _G3Card] = {}
    for i, chain in enumerate(chains):
        limit = len(chain)
        for nb in (i - 1, i + 1):
            if 0 <= nb < len(chains):
                shared = set(ids[nb])
                for j, m in enumerate(ids[i]):
                    if m in shared:
                        limit = min(limit, j)
                        break
        if limit == len(chain) and len(chains) == 1:
            limit = min(limit, 4)  # a single card: do not climb to the page container
        node = chain[max(limit - 1, 0)]
        if node.mem_id in seen:
            seen[node.mem_id].anchors.extend(groups[i])
            continue
        card = seen[node.mem_id] = _G3Card(node, list(groups[i]))
        cards.append(card)
    return cards


def _excluded_ids(regions: list[LexborNode], card_sel: str) -> set[int]:
    """mem_ids of cards inside right-rail / suggestion regions (never followers)."""
    return {c.mem_id for region in regions for c in region.css(card_sel)}


# --- per-card extraction ---------------------------------------------------------------------
def _finish_classic_card(card: _Card, merger: _Merger, stats: dict, owner: str | None) -> None:
    refs: list[ProfileRef] = []
    msg_id: str | None = None
    headless_link = False
    memo: dict[str, ProfileRef | None] = {}
    for href in card.hrefs:
        ref = memo[href] if href in memo else memo.setdefault(href, profile_ref(href))
        if ref is None:
            if "recipient=" in href or "rofileUrn=" in href:
                m = PROFILE_ID_RE.search(href)
                if m:
                    msg_id = msg_id or m.group(0)
            elif "/headless" in href:
                headless_link = True
            continue
        refs.append(ref)
    name = card.name
    headline = card.headline
    if card.generation != "g2":  # G2 reads the visible span[aria-hidden]; others may hold hidden text
        name, headline = _scrub(name), _scrub(headline)
    if name is None and merger.alt_name_allowed():
        name = _alt_name(card.node)
    if not refs:
        if headless_link or (name or "").lower() in _HEADLESS_NAMES:
            stats["skipped_headless"] += 1
        elif card.urn.endswith(":headless") or (card.anchors == 0 and not name
                                                and not card.headline):
            stats["skeletons"] += 1
        else:
            stats["cards_without_profile_link"] += 1
        return
    name_ref = next((r for r in map(profile_ref, card.name_hrefs) if r), None)
    ref = name_ref or _main_ref(refs)
    pid = None
    for r in refs:  # the id alias from another link to the same person
        if r.key == ref.key and r.profile_id and not ref.profile_id:
            pid = r.profile_id
    if msg_id and ref.profile_id is None and pid is None and ref.vanity:
        pid = msg_id
    if owner and ref.key == owner:
        stats["owner_cards"] += 1
        return
    degree = None
    if card.degree_text:
        m = _DEGREE_RE.search(card.degree_text)
        if m:
            degree = _norm_degree(m.group(1))
    urn = card.urn
    member_urn = urn if urn.startswith("urn:li:member:") and urn[14:].isdigit() else None
    merger.add(ref, name=name, headline=headline, location=card.location, degree=degree,
               member_urn=member_urn, extra_id=pid)


def _main_ref(refs: list[ProfileRef]) -> ProfileRef:
    """The card's person: the key most links point to (photo + name), first on a tie."""
    if len(refs) <= 2:
        return refs[0]
    counts: dict[str, int] = {}
    for r in refs:
        counts[r.key] = counts.get(r.key, 0) + 1
    best = max(counts.values())
    return next(r for r in refs if counts[r.key] == best)


def _norm_degree(d: str) -> str:
    return "3rd+" if d.startswith("3rd") else d


def _g3_card(card: _G3Card, merger: _Merger, stats: dict, owner: str | None) -> None:
    refs: list[tuple[ProfileRef, LexborNode]] = []
    for a in card.anchors:
        ref = profile_ref(a.attrs.get("href") or "")
        if ref:
            refs.append((ref, a))
    if not refs:
        stats["cards_without_profile_link"] += 1
        return
    main = _main_ref([r for r, _ in refs])
    title = None
    for r, a in refs:
        if r.key == main.key and _visible_text(a):
            title = a
            if (a.attrs.get("data-view-name") or "").endswith("title"):
                break
    name = headline = location = degree = None
    if title is not None:
        name = _visible_text(title)
        holder = title  # the <p> holding name + degree; <p> cannot hold blocks, so it is small
        for _ in range(3):
            parent = holder.parent
            if parent is None or not parent.is_element_node:
                break
            if parent.tag == "p":
                holder = parent
                break
            if parent.tag not in ("span", "strong", "div"):
                break
            holder = parent
        if holder.tag != "p":
            holder = title
        else:
            m = _DEGREE_RE.search(holder.text() or "")
            if m:
                degree = _norm_degree(m.group(1))
        texts: list[str] = []
        # headline/location are the blocks after the name's <p>; without that <p> (unknown
        # markup) or in nested cards the siblings may be whole other cards: not read
        sib = holder.next if holder.tag == "p" and not card.nested else None
        while sib is not None and len(texts) < 2:
            if sib.is_element_node:
                t = _visible_text(sib)
                if t and not t.lower().startswith(("connected ", "followed by", "\u2022")):
                    texts.append(t)
                elif t and degree is None and _DEGREE_RE.search(t):
                    degree = _norm_degree(_DEGREE_RE.search(t).group(1))
            sib = sib.next
        if texts:
            headline = texts[0]
        if len(texts) > 1:
            location = texts[1]
    if name is None and not card.nested and merger.alt_name_allowed():
        name = _alt_name(card.node)
    if name and _DEGREE_RE.search(name):  # name link swallowed the degree span
        name = _clean(_DEGREE_RE.sub("", name).replace("\u2022", ""))
    if owner and main.key == owner:
        stats["owner_cards"] += 1
        return
    merger.add(main, name=name, headline=headline, location=location, degree=degree)


# --- page-level helpers ----------------------------------------------------------------------
def _walk_json(obj: Any, max_nodes: int = 2_000_000) -> Iterable[dict]:
    stack = [obj]
    seen = 0
    while stack and seen < max_nodes:
        cur = stack.pop()
        seen += 1
        if isinstance(cur, dict):
            yield cur
            stack.extend(v for v in cur.values() if isinstance(v, (dict, list)))
        elif isinstance(cur, list):
            stack.extend(v for v in cur if isinstance(v, (dict, list)))


def _data_islands(codes: list[LexborNode]):
    """id<->vanity aliases and names from ``<code>`` Voyager JSON islands (FORMATS.md §A.1)."""
    id2vanity: dict[str, str] = {}
    vanity2id: dict[str, str] = {}
    people: dict[str, dict[str, str]] = {}
    budget = _MAX_ISLAND_CHARS
    for code in codes[:_MAX_ISLANDS]:
        text = code.text()
        if not text or "publicIdentifier" not in text or len(text) > budget:
            continue
        budget -= len(text)
        text = text.strip()
        if not text.startswith("{"):
            continue
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            continue
        for ent in _walk_json(data):
            vanity = ent.get("publicIdentifier")
            pid = id_from_urn(ent.get("entityUrn") if isinstance(ent.get("entityUrn"), str) else None)
            if not isinstance(vanity, str) or not pid:
                continue
            if not str(ent.get("$type", "")).endswith("MiniProfile"):
                continue  # e.g. the owner's own fs_profile island
            v = vanity.strip().lower()
            if not v or is_profile_id(vanity):
                continue
            id2vanity.setdefault(pid, v)
            vanity2id.setdefault(v, pid)
            name = " ".join(str(ent.get(k) or "") for k in ("firstName", "lastName")).strip()
            info = {"name": _clean(name), "headline": _clean(str(ent.get("occupation") or ""))}
            obj = ent.get("objectUrn")
            if isinstance(obj, str) and obj.startswith("urn:li:member:"):
                info["member_urn"] = obj
            info = {k: v2 for k, v2 in info.items() if v2}
            people[pid] = info
            people[v] = info
    return id2vanity, vanity2id, people


def _page_owner(tree: LexborHTMLParser, regions: list[LexborNode], *, sliced: bool = False) -> str | None:
    """Key of the page owner: the ``/in/`` link in the global nav / "Me" menu / header, else a
    "View profile" / "Me" link among the first 500 profile links of the page. ``sliced``: ``tree``
    is a skeleton (:func:`_parse_sliced`); raises :class:`_NotSliceable` when the answer could
    depend on the part of the page that is not in it."""
    for region in sorted(regions, key=_owner_region_rank):
        if region.css_matches(_CLASSIC_CARDS) or region.css_matches(_G3_ITEMS):
            continue
        if _inside_excluded(region) or _inside_card(region):
            continue
        if sliced and region.css_first(_CUT_TAG) is not None:
            raise _NotSliceable("an owner region holds the slices")
        for a in region.css('a[href*="/in/"]'):
            ref = profile_ref(a.attributes.get("href") or "")
            if ref:
                return ref.key
    for i, a in enumerate(tree.css('a[href*="/in/"]' + (f", {_CUT_TAG}" if sliced else ""))):
        if i >= 500:  # the nav comes first in the document; do not read 10^5 card links
            break
        if a.tag == _CUT_TAG:
            raise _NotSliceable("fewer than 500 profile links before the first slice")
        label = _clean(a.text()) or ""
        if label.lower() in ("view profile", "view my profile", "me"):
            ref = profile_ref(a.attributes.get("href") or "")
            if ref:
                return ref.key
    return None


def _owner_region_rank(n: LexborNode) -> int:
    attrs = n.attrs
    cls = attrs.get("class") or ""
    if attrs.get("id") == "global-nav" or "global-nav__me" in cls:
        return 0
    if n.tag == "header" or attrs.get("role") == "banner":
        return 1
    return 2


def _suggestion_region(heading: LexborNode) -> LexborNode | None:
    """The section a "People you may know"-style heading introduces: the nearest ancestor (up to
    4 levels) that holds profile links."""
    node = heading.parent
    for _ in range(4):
        if node is None or not node.is_element_node or node.tag in ("main", "body", "html"):
            return None
        if node.css_first('a[href*="/in/"]') is not None:
            return node
        node = node.parent
    return None


def _inside_card(n: LexborNode) -> bool:
    """True when ``n`` sits in a people card (a card's own <header> is not the page header)."""
    p = n.parent
    for _ in range(_MAX_CLIMB):
        if p is None or not p.is_element_node:
            return False
        attrs = p.attrs
        if attrs.get("role") == "listitem" or _CARD_CLS_RE.search(attrs.get("class") or ""):
            return True
        if attrs.get("data-view-name") == "search-entity-result-universal-template":
            return True
        p = p.parent
    return False


def _inside_excluded(n: LexborNode) -> bool:
    p = n.parent
    for _ in range(64):
        if p is None or not p.is_element_node:
            return False
        if p.tag == "aside" or _is_excluded_region(p):
            return True
        p = p.parent
    return False


def _fallback_links(root: LexborNode, merger: _Merger, owner: str | None,
                    excluded_links: set[int]) -> None:
    chrome: set[int] = set(excluded_links)
    for region in root.css(_CHROME):
        for a in region.css("a[href]"):
            chrome.add(a.mem_id)
    for a in root.css("a[href]"):
        if a.mem_id in chrome:
            continue
        ref = profile_ref(a.attributes.get("href") or "")
        if ref is None or ref.key == owner:
            continue
        name = None
        span = a.css_first('span[aria-hidden="true"]')
        if span is not None:
            name = _scrub(_clean(span.text()))
        name = name or _visible_text(a)
        if name and (name.startswith("http") or "/in/" in name):
            name = None
        merger.add(ref, name=name)
    if merger.people:
        return
    # no anchors at all: scan the visible text for pasted profile URLs
    text = root.text(separator=" ")
    for url in _raw_profile_urls(text):
        ref = profile_ref(url.rstrip(".,;"))
        if ref and ref.key != owner:
            merger.add(ref)


#: "1,284 followers", "1.284 Connections", "Followers (1,284)", "12K followers": the list's total
#: as the page header states it (English UI; the title's "(3)" is a notification count).
_COUNT_WORD_RE = re.compile(r"followers?\b|connections?\b|people follow", re.IGNORECASE)
_NUM = r"(\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+|\d+(?:[.,]\d+)?\s*[KkMm]\b|\d+)"
_COUNT_RES = (
    re.compile(_NUM + r"\s+(followers?|connections?|people follow)\b", re.IGNORECASE),
    re.compile(r"\b(followers?|connections?)\s*[(:]\s*" + _NUM, re.IGNORECASE),
)


def _parse_count(raw: str) -> int | None:
    s = raw.strip().replace("\u00a0", " ").replace("\u202f", " ")
    mult = 1
    if s[-1:] in "KkMm" and s[-1:]:
        mult = 1000 if s[-1] in "Kk" else 1_000_000
        s = s[:-1].strip().replace(",", ".")
        try:
            return int(float(s) * mult)
        except ValueError:
            return None
    digits = re.sub(r"[,. ]", "", s)
    return int(digits) if digits.isdigit() else None


def _declared_total(texts: list[tuple[LexborNode, str]]) -> tuple[int, str] | None:
    """``(count, "followers"|"connections")`` from the first page heading / header that states
    the list's total ("1,284 Connections", "Followers (1,284)"), skipping headings inside cards
    and side panels; None when the page states none."""
    for node, raw in texts:
        text = " ".join(raw.split())
        for i, rx in enumerate(_COUNT_RES):
            m = rx.search(text)
            if m is None:
                continue
            num, word = (m.group(1), m.group(2)) if i == 0 else (m.group(2), m.group(1))
            n = _parse_count(num)
            if n is None or _inside_card(node) or _inside_excluded(node):
                continue
            what = "connections" if word.lower().startswith("connection") else "followers"
            return n, what
    return None


def _head_info(tree: LexborHTMLParser, prefix: str | bytes) -> tuple[str, str, str]:
    """(title, saved-from URL / canonical URL, pageKey) of the page, lower-cased."""
    title_node = tree.css_first("title")
    title = (title_node.text() if title_node else "").strip().lower()
    url = ""
    if isinstance(prefix, bytes):
        prefix = prefix.decode("utf-8", "replace")
    m = _SAVED_FROM_RE.search(prefix)
    if m:
        url = m.group(1).lower()
    if not url:
        canon = tree.css_first('link[rel="canonical"], meta[property="og:url"]')
        if canon is not None:
            url = (canon.attributes.get("href") or canon.attributes.get("content") or "").lower()
    pk = tree.css_first('meta[name="pageKey"]')
    page_key = ((pk.attributes.get("content") or "") if pk else "").lower()
    return title, url, page_key


def _page_kind(tree: LexborHTMLParser, generation: str, head: tuple[str, str, str]) -> str:
    title, url, page_key = head
    if "/followers" in url or "people_follows" in page_key or title.startswith("followers"):
        return "followers_page"
    if ("/connections" in url or "connections" in page_key or generation == "mn"
            or title.startswith("connections")
            or tree.css_first('[data-view-name="connections-list"]') is not None):
        return "connections_page"
    if "/search/results/" in url or "search" in page_key or title.startswith("search"):
        return "search_page"
    return "people_page"


def _has_linkedin_markers(tree: LexborHTMLParser, head: tuple[str, str, str]) -> bool:
    """LinkedIn chrome: title, saved-from/canonical URL, pageKey, global nav, SDUI list hooks.

    Bare ``linkedin.com/in/`` links are not enough (any blog page has them)."""
    title, url, page_key = head
    if "linkedin" in title or "linkedin.com" in url or page_key.startswith("d_flagship"):
        return True
    # LinkedIn chrome, card markup of any generation, or photos served from LinkedIn's image
    # hosts (a people list copied from the developer tools is a bare fragment: no title, no nav)
    return tree.css_first(
        '#global-nav, .global-nav, [data-view-name="connections-list"], '
        '[data-view-name*="people-follows"], [data-view-name*="search-result"], '
        '[class*="mn-connection-card"], [class*="entity-result"], '
        '[class*="follows-recommendation-card"], [class*="presence-entity"], '
        'img[src*="licdn.com"], img[data-delayed-url*="licdn.com"], '
        'img[src*="Followers _ LinkedIn_files"]') is not None
