"""Parse-speed benchmark for saved LinkedIn followers pages (issue 2 item 3: 50k entries <= 3 s).

Generates, in memory, G2 ("entity-result") followers pages of 1k, 10k and 50k invented people
with the chrome a "Save page as" copy carries (nav with the owner, right-rail suggestions, a data
island, Ember comment markers, two anchors per card, every URL form of FORMATS.md §A.3), then
times :func:`icp_engine.ingest.upload.parse_upload` on the bytes (decode + validation + parse +
dedupe: what an upload costs). Nothing is written to disk.

Optional comparison (``--compare``): the same 10k page through lxml ``iterparse``-free tree
parsing and beautifulsoup4 (lxml backend), to keep the README's reasoning honest.

Usage::

    python benchmarks/bench_parse.py               # 1k, 10k, 50k
    python benchmarks/bench_parse.py --sizes 50000 --repeat 3
    python benchmarks/bench_parse.py --compare     # + selectolax/lxml/bs4 on a 10k page
"""

from __future__ import annotations

import argparse
import html
import os
import random
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FIRST = ["Ada", "Bruno", "Céline", "Dmitri", "Elif", "Farah", "Gustavo", "Hiroko", "Ivo", "Jana",
         "Kwame", "Lotte", "Marek", "Nadia", "Osman", "Pilar", "Quentin", "Rhea", "Stellan", "Tuva"]
LAST = ["Abernethy", "Bjørnstad", "Castellanos", "Dunmore", "Eklund", "Fairbairn", "Gallo",
        "Hollis", "Iversen", "Jovanović", "Kerrigan", "Laurent", "Mbeki", "Nakamura", "Ortega"]
TITLES = ["CFO", "VP Finance", "Controller", "Head of Finance", "Founder & CEO", "FP&A Manager",
          "Student", "Recruiter", "Senior Accountant", "Operations Manager"]
CITIES = ["Oslo, Norway", "Porto, Portugal", "Austin, Texas, United States", "Kraków, Poland",
          "Nairobi County, Kenya", "Greater Sydney Area"]
B64URL = string.ascii_letters + string.digits + "-_"


def _pid(rng: random.Random) -> str:
    return "ACoAA" + "".join(rng.choice(B64URL) for _ in range(34))


def _card(i: int, rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    name = f"{first} {last}"
    vanity = f"{first.lower()}-{last.lower()}-{i:x}"
    pid = _pid(rng)
    style = i % 5
    if style == 0:
        href = f"https://www.linkedin.com/in/{vanity}?miniProfileUrn=urn%3Ali%3Afs_miniProfile%3A{pid}"
    elif style == 1:
        href = f"https://www.linkedin.com/in/{pid}?miniProfileUrn=urn%3Ali%3Afs_miniProfile%3A{pid}"
    elif style == 2:
        href = f"https://www.linkedin.com/in/{vanity}/"
    elif style == 3:
        href = f"/in/{vanity}/"
    else:
        href = (f"https://www.linkedin.com/in/{vanity}?miniProfileUrn=urn%3Ali%3Afs_miniProfile%3A{pid}"
                f"&lipi=urn%3Ali%3Apage%3Ad_flagship3_people_follows%3Bx{i}%3D%3D")
    href = html.escape(href, quote=True)
    deg = rng.choice(["1st", "2nd", "3rd+"])
    headline = html.escape(f"{rng.choice(TITLES)} at Company {i % 997} | B2B")
    loc = html.escape(rng.choice(CITIES))
    ename = html.escape(name)
    return f"""
<li class="reusable-search__result-container">
<div class="entity-result" data-view-name="search-entity-result-universal-template" data-chameleon-result-urn="urn:li:member:{10_000_000 + i}">
  <div class="entity-result__item">
    <div class="entity-result__universal-image">
      <div class="display-flex align-items-center">
        <a class="app-aware-link  scale-down " aria-hidden="true" tabindex="-1" href="{href}" data-test-app-aware-link="">
          <div class="ivm-image-view-model   "><div class="ivm-view-attr__img-wrapper"><div class="presence-entity presence-entity--size-3">
            <img width="48" src="./Followers _ LinkedIn_files/profile-displayphoto-shrink_100_100({i})" loading="lazy" height="48" alt="{ename}" id="ember{1000 + 3 * i}" class="presence-entity__image EntityPhoto-circle-3 evi-image lazy-image ember-view">
            <div class="presence-entity__indicator presence-indicator hidden"><span class="visually-hidden">Status is offline</span></div>
          </div></div></div>
        </a>
      </div>
    </div>
    <div class="entity-result__content entity-result__divider pt3 pb3 t-12 t-black--light">
      <div class="mb1"><div class="linked-area flex-1 cursor-pointer">
        <div class="t-roman t-sans"><div class="display-flex">
          <span class="entity-result__title-line entity-result__title-line--2-lines ">
            <span class="entity-result__title-text t-16">
              <a class="app-aware-link " href="{href}" data-test-app-aware-link="">
                <span dir="ltr"><span aria-hidden="true"><!---->{ename}<!----></span><span class="visually-hidden"><!---->View {ename}\u2019s profile<!----></span></span>
              </a>
              <span class="entity-result__badge t-14 t-normal t-black--light">
                <div class="entity-result__badge-text"><span aria-hidden="true"><!---->\u2022 {deg}<!----></span><span class="visually-hidden"><!---->{deg} degree connection<!----></span></div>
              </span>
            </span>
          </span>
        </div></div>
        <div class="entity-result__primary-subtitle t-14 t-black t-normal"><!---->{headline}<!----></div>
        <div class="entity-result__secondary-subtitle t-14 t-normal"><!---->{loc}<!----></div>
      </div></div>
    </div>
    <div class="entity-result__actions entity-result__divider">
      <button aria-pressed="false" aria-label="Follow {ename}" id="ember{1001 + 3 * i}" class="artdeco-button artdeco-button--2 artdeco-button--secondary ember-view" type="button"><span class="artdeco-button__text">Follow</span></button>
    </div>
  </div>
</div>
</li>"""


def make_followers_page(n: int, seed: int = 7) -> bytes:
    """A saved G2 followers page with ``n`` invented followers (UTF-8 bytes; ~3.3 kB per card)."""
    rng = random.Random(seed)
    cards = "".join(_card(i, rng) for i in range(n))
    return f"""<!DOCTYPE html>
<!-- saved from url=(0075)https://www.linkedin.com/mynetwork/network-manager/people-follow/followers/ -->
<html lang="en"><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<title>Followers | LinkedIn</title><meta name="pageKey" content="d_flagship3_people_follows"></head>
<body class="render-mode-BIGPIPE nav-v2 ember-application">
<header id="global-nav" class="global-nav"><div class="global-nav__me-content">
  <a href="https://www.linkedin.com/in/bench-owner-0/">Bench Owner</a>
  <a href="/in/bench-owner-0/">View Profile</a></div></header>
<main id="main" class="scaffold-layout__main"><section class="artdeco-card mn-network-manager">
<h1>Followers</h1><ul class="reusable-search__entity-result-list list-style-none" role="list">
{cards}
</ul></section></main>
<aside class="scaffold-layout__aside"><section class="artdeco-card discover-entity-type-card">
<h2>People you may know</h2><ul><li><a href="https://www.linkedin.com/in/bench-pymk-1/">Pymk One</a></li></ul></section></aside>
<script>window.__como_rehydration__ = [];</script>
</body></html>
""".encode()


def _time(fn, repeat: int) -> float:
    return _time_cpu(fn, repeat)[0]


def _time_cpu(fn, repeat: int) -> tuple[float, float]:
    """Best wall-clock seconds and best CPU seconds of this process over ``repeat`` runs (CPU
    time shows the work itself when other processes compete for the 2 cores)."""
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best, best_cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    ap.add_argument("--repeat", type=int, default=1, help="best of N runs")
    ap.add_argument("--compare", type=int, nargs="?", const=10_000, default=0, metavar="N",
                    help="also time lxml and bs4 (lxml backend) on an N-entry page (default 10k)")
    args = ap.parse_args(argv)

    from icp_engine.ingest.upload import parse_upload

    print(f"{'entries':>8} {'MB':>7} {'parse_upload s':>15} {'cpu s':>7} {'people':>7}"
          f"   (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    for n in args.sizes:
        data = make_followers_page(n)
        result = {}

        def run() -> None:
            result["r"] = parse_upload("Followers _ LinkedIn.html", data)

        secs, cpu = _time_cpu(run, args.repeat)
        print(f"{n:>8} {len(data) / 1e6:>7.1f} {secs:>15.2f} {cpu:>7.2f} {len(result['r'].people):>7}")
        if len(result["r"].people) != n:
            print(f"ERROR: expected {n} people, got {len(result['r'].people)}", file=sys.stderr)
            return 1

    if args.compare:
        data = make_followers_page(args.compare)
        text = data.decode("utf-8")
        import lxml.html
        from bs4 import BeautifulSoup

        def lx() -> None:
            doc = lxml.html.fromstring(data)
            for card in doc.find_class("entity-result"):
                card.xpath(".//a/@href")

        def bs() -> None:
            soup = BeautifulSoup(text, "lxml")
            for card in soup.select("div.entity-result"):
                card.select("a[href]")

        from selectolax.lexbor import LexborDocumentOptions, LexborHTMLParser

        def sx() -> None:
            tree = LexborHTMLParser(data, options=LexborDocumentOptions.WO_EVENTS)
            for card in tree.css("div.entity-result"):
                card.css("a[href]")

        print(f"{args.compare} entries, tree + card anchors only: selectolax {_time(sx, 1):.2f} s, "
              f"lxml {_time(lx, 1):.2f} s, bs4+lxml {_time(bs, 1):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
