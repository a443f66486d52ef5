"""Follower pages for the learning benchmarks: REAL benchmark titles, invented people.

A page of ``n`` followers of a B2B creator is drawn from the candidate titles of one title track
of ``../shared/bench`` (split ``test`` by default: the static scorer was tuned on ``dev``):

* **ICP people** (``keep_share`` of the page): candidates graded rel 2 for any query of the
  page's ICP (the ICP's target titles are the queries' titles) - the client keeps them;
* **neighbours** (``related_share``): candidates graded rel 1 for a query of the ICP (related
  or sibling occupations: the sales reps on a sales leader's page) - trash;
* **others**: every other candidate of the track - trash;
* a few students, retirees and people without a headline (``noise_share``; trash, the empty
  headlines are not judged).

Composition ``uniform`` (the part-1 pages of ``bench_learning.py``, for comparison): ``n``
candidates of the track drawn without replacement, whatever their grade (keep rates 1-10 %).

A creator's followers repeat titles (many "Marketing Manager"s), so each group draws its titles
with replacement, Zipf-like (weight ``1 / rank ** zipf`` over a seeded order of the group's
titles); every follower is a different person with an invented name, company and headline form
("<title> at <Company>", "<title> | <Company> | Mentor", "<title>, <Company>", ...). The saved
page is written with the project's page generator (``tests/fixtures/ui/make_followers_page.py``,
the G2 saved-page DOM of FORMATS §A), so it goes through the real upload parser.

Nothing here names a benchmark title; the groups come from the qrels only.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TITLE_TRACKS = ("onet", "esco_jobbert")

FIRST = ["Amara", "Bo", "Chiara", "Dario", "Elif", "Femi", "Greta", "Hugo", "Ines", "Jonas", "Kaia", "Luca",
         "Mei", "Nils", "Oona", "Pavel", "Quinn", "Rhea", "Soren", "Tove", "Uma", "Viggo", "Wren", "Ximena",
         "Yusuf", "Zora"]
LAST = ["Ashdown", "Brightwater", "Calloway", "Dunmore", "Elsworth", "Fairleigh", "Greystone", "Hollins",
        "Ivers", "Jarrow", "Kettering", "Lindqvist", "Morrow", "Northcott", "Oakhurst", "Pemberton",
        "Quill", "Redfern", "Stanwick", "Thorne", "Underhill", "Vance", "Whitlock", "Yarrow"]
WORDS = ["Amber", "Birch", "Cobalt", "Dune", "Ember", "Fable", "Garnet", "Harbor", "Iris", "Juniper",
         "Kestrel", "Lumen", "Maple", "Nimbus", "Onyx", "Pylon", "Quarry", "Rowan", "Sable", "Tidal"]
SUFFIX = ["works", "labs", "line", " Systems", " Group", " & Co", " Partners", "field", " Analytics", " Health"]
TAILS = ["", "", "", " | Board advisor", " | Mentor", " | Speaker", " | MBA", " | Opinions my own"]
LOCATIONS = ["Lisbon, Portugal", "Austin, Texas, United States", "Oslo, Norway", "Kraków, Poland",
             "Toronto, Ontario, Canada", "Leeds, England, United Kingdom", "Bengaluru, Karnataka, India"]
NOISE = ["Student at University of Eastbridge", "Economics student | Open to internships",
         "Retired. Avid sailor.", "Retired | Former teacher", "--"]


@dataclass
class PageSpec:
    """What a page is made of. ``track``: title track; ``qids``: the ICP's queries; ``keep_share``,
    ``related_share``, ``noise_share``: shares of the ``n`` followers (others fill the rest);
    ``zipf``: title-frequency exponent; ``seed``: draws; ``split``: candidate split (or ``all``)."""

    name: str
    track: str
    qids: list[str]
    role: str = "report"
    keep_share: float = 0.2
    related_share: float = 0.25
    noise_share: float = 0.02
    n: int = 5000
    zipf: float = 0.6
    split: str = "test"
    seed: int = 0
    icp_titles: list[str] = field(default_factory=list)
    uniform: bool = False


@dataclass
class Page:
    """A built page: ``people`` (dicts: first, last, vanity, headline, location, title, label 1/0/None,
    group keep|related|other|noise), ``spec``, ``icp`` (JSON-ready dict), ``html`` (bytes)."""

    spec: PageSpec
    people: list[dict[str, Any]]
    icp: dict[str, Any]
    html: bytes = b""

    @property
    def truth_by_vanity(self) -> dict[str, int | None]:
        return {p["vanity"]: p["label"] for p in self.people}

    def stats(self) -> dict[str, Any]:
        """Group counts, distinct titles and the most repeated title count."""
        from collections import Counter

        groups = Counter(p["group"] for p in self.people)
        titles = Counter(p["title"] for p in self.people if p["title"])
        return {"groups": dict(groups), "distinct_titles": len(titles),
                "max_repeat": max(titles.values()) if titles else 0}


COMPOSITIONS = ("topical", "broad", "uniform")


def page_specs(bench: Any, *, group: int = 2, which: str = "report", keep_shares=(0.1, 0.2, 0.3),
               related_share: float = 0.25, n: int = 5000, split: str = "test",
               min_keep_titles: int = 8, composition: str = "topical") -> list[PageSpec]:
    """One page per ``group`` consecutive queries of each title track; pages alternate ``tune`` /
    ``report`` (by position within the track); keep shares cycle through ``keep_shares``.
    Groups with fewer than ``min_keep_titles`` distinct ICP titles in ``split`` are skipped.
    ``composition``: ``topical`` (``related_share`` neighbours), ``broad`` (no neighbours drawn on
    purpose: the rest of the page is any other title) or ``uniform`` (the part-1 pages: ``n``
    candidates of the whole track, any split, drawn without replacement; keep rate as it falls)."""
    if composition not in COMPOSITIONS:
        raise ValueError(f"composition must be one of {COMPOSITIONS}")
    if composition == "uniform":
        split = "all"
    if composition == "broad":
        related_share = 0.0
    specs = []
    k = 0
    for track in TITLE_TRACKS:
        qs = [q for q in bench.queries if q["track"] == track]
        for g in range(0, len(qs) - group + 1, group):
            part = qs[g:g + group]
            role = "tune" if (g // group) % 2 == 0 else "report"
            qids = [q["qid"] for q in part]
            pool = [c for c in bench.pool if c["track"] == track and (split == "all" or c.get("split") == split)]
            n_keep = sum(1 for c in pool if any(bench.qrels.get(q, {}).get(c["pid"], 0) == 2 for q in qids))
            if n_keep < min_keep_titles:
                continue
            titles: list[str] = []
            for q in part:
                titles += [t for t in q["titles"] if t not in titles]
            share = keep_shares[k % len(keep_shares)]
            k += 1
            if which != "all" and role != which:
                continue
            specs.append(PageSpec(name="+".join(qids), track=track, qids=qids, role=role, keep_share=share,
                                  related_share=related_share, n=n, split=split,
                                  seed=sum(ord(c) for c in "+".join(qids)), icp_titles=titles,
                                  uniform=composition == "uniform"))
    return specs


def _generator():
    path = ROOT / "tests" / "fixtures" / "ui" / "make_followers_page.py"
    spec = importlib.util.spec_from_file_location("make_followers_page_learning", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_followers_page_learning", mod)
    spec.loader.exec_module(mod)
    return mod


def _headline(title: str, company: str, rng: random.Random) -> str:
    form = rng.randrange(6)
    if form == 0:
        return f"{title} at {company}{rng.choice(TAILS)}"
    if form == 1:
        return f"{title} | {company}{rng.choice(TAILS)}"
    if form == 2:
        return f"{title} @ {company}"
    if form == 3:
        return f"{title}, {company}"
    if form == 4:
        return f"{title} at {company}"
    return title


def _zipf_draw(titles: list[str], k: int, zipf: float, rng: random.Random) -> list[str]:
    if not titles or k <= 0:
        return []
    order = list(titles)
    rng.shuffle(order)
    weights = [1.0 / (i + 1) ** zipf for i in range(len(order))]
    return rng.choices(order, weights=weights, k=k)


def build(bench: Any, spec: PageSpec, *, html: bool = True) -> Page:
    """Draw the page's followers (deterministic per ``spec.seed``) and write its HTML."""
    rng = random.Random(f"learning-page-{spec.name}-{spec.seed}-{spec.keep_share}-{spec.related_share}")
    pool = [c for c in bench.pool if c["track"] == spec.track and c.get("title")
            and (spec.split == "all" or c.get("split") == spec.split)]
    rel = {c["pid"]: max(bench.qrels.get(q, {}).get(c["pid"], 0) for q in spec.qids) for c in pool}
    if spec.uniform:
        return _build_uniform(spec, pool, rel, rng, html)
    keep_t = sorted({c["title"] for c in pool if rel[c["pid"]] == 2})
    # a title string graded 2 under one pid and 0 under another is ambiguous: leave it out of trash
    related_t = sorted({c["title"] for c in pool if rel[c["pid"]] == 1} - set(keep_t))
    other_t = sorted({c["title"] for c in pool if rel[c["pid"]] == 0} - set(keep_t) - set(related_t))
    n_keep = int(round(spec.keep_share * spec.n))
    n_rel = int(round(spec.related_share * spec.n)) if related_t else 0
    n_noise = int(round(spec.noise_share * spec.n))
    n_other = spec.n - n_keep - n_rel - n_noise
    people: list[dict[str, Any]] = []
    for group, titles, k, label in (("keep", keep_t, n_keep, 1), ("related", related_t, n_rel, 0),
                                    ("other", other_t, n_other, 0)):
        for t in _zipf_draw(titles, k, spec.zipf, rng):
            company = rng.choice(WORDS) + rng.choice(SUFFIX)
            people.append({"title": t, "headline": _headline(t, company, rng), "label": label, "group": group})
    for i in range(n_noise):
        h = NOISE[i % len(NOISE)]
        people.append({"title": None, "headline": h, "label": None if h == "--" else 0, "group": "noise"})
    return _finish(spec, people, rng, html)


def _build_uniform(spec: PageSpec, pool: list[dict[str, Any]], rel: dict[str, int], rng: random.Random,
                   html: bool) -> Page:
    picks = rng.sample(pool, min(spec.n, len(pool)))
    people = []
    for c in picks:
        company = rng.choice(WORDS) + rng.choice(SUFFIX)
        lab = 1 if rel[c["pid"]] == 2 else 0
        people.append({"title": c["title"], "headline": _headline(c["title"], company, rng), "label": lab,
                       "group": "keep" if lab else ("related" if rel[c["pid"]] == 1 else "other")})
    return _finish(spec, people, rng, html)


def _finish(spec: PageSpec, people: list[dict[str, Any]], rng: random.Random, html: bool) -> Page:
    rng.shuffle(people)
    for k, p in enumerate(people):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        p.update(first=first, last=last, vanity=f"{first}-{last}-{k:05d}".lower(), location=rng.choice(LOCATIONS))
    icp = {"name": " / ".join(spec.qids), "target_titles": list(spec.icp_titles)}
    page = Page(spec, people, icp)
    if html:
        gen = _generator()
        gen.PEOPLE = [(p["first"], p["last"], p["vanity"], p["headline"], p["location"]) for p in people]
        page.html = gen.build().encode("utf-8")
    return page
