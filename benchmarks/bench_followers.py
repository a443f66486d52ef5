"""Follower-page AUC: synthetic saved followers pages built from real benchmark job titles.

Usage::

    python benchmarks/bench_followers.py [--bench DIR] [--split test] [--per-track N]
        [--tracks onet,esco_jobbert,groups] [--sample]

For each query of the title tracks (and the occupation-group track), a followers page is built
with the project's page generator (``tests/fixtures/ui/make_followers_page.py``, the G2 saved-page
DOM): up to 30 people holding a rel-2 title of the query and 60 holding a rel-0 title (real
candidate titles of the pool, split ``--split``), each with an invented headline around the
title ("<title> at <Company>", "<title> | <Company> | <tail>", "<title>, <Company>"...), plus two
students and a retiree (negatives) and two people without a headline (reported, not in the AUC).
The page goes through the real upload parser and page enrichment; the Apify variant adds one
dataset item per follower (FORMATS §B shape: current position title, company, size, industry)
through the ``apify-json`` provider. AUC = P(rel-2 follower scores above a negative), per query,
averaged per track. Targets: page data >= 0.90, with Apify data >= 0.95.

A second table (``--company``, on by default) does the same with ICPs that also set two
industries and two company-size bands, as clients' ICPs do: the positives are people with a
rel-2 title *at a fitting company* (industry and size both in the ICP), and 20 more people with
a rel-2 title at a company that does not fit (wrong industry, or right industry and wrong size)
join the negatives. Page data cannot tell those apart (their industry and size are unknown on a
followers page), so its AUC is lower by construction; the Apify items carry the company's
industry and size.

``--sample`` also scores the shared ``followers_sample.html`` with the finance ICP (CFO, VP
Finance, Head of Finance) and checks: finance leaders on top, the student and the retiree in the
bottom 8, the follower without a headline below every finance leader.
Exits 0 with a message when the benchmark folder is absent.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

WORDS = ["Amber", "Birch", "Cobalt", "Dune", "Ember", "Fable", "Garnet", "Harbor", "Iris", "Juniper",
         "Kestrel", "Lumen", "Maple", "Nimbus", "Onyx", "Pylon", "Quarry", "Rowan", "Sable", "Tidal"]
SUFFIX = ["works", "labs", "line", " Systems", " Group", " & Co", " Partners", "field", " Analytics", " Health"]
TAILS = ["", "", "", " | Board advisor", " | ex-Big4", " | Mentor", " | Speaker", " 🚀", " | MBA"]
INDUSTRIES = ["Software Development", "Financial Services", "Hospitals and Health Care", "Retail",
              "Manufacturing", "IT Services and IT Consulting", "Construction", "Higher Education"]
SIZES = [(11, 50), (51, 200), (201, 500), (1001, 5000), (10001, None)]
SIZE_BANDS = {(11, 50): "11-50", (51, 200): "51-200", (201, 500): "201-500", (1001, 5000): "1001-5000",
              (10001, None): "10001+"}


def _company(rng: random.Random) -> str:
    return rng.choice(WORDS) + rng.choice(SUFFIX)


def _headline(title: str, company: str, rng: random.Random) -> str:
    form = rng.randrange(5)
    if form == 0:
        return f"{title} at {company}{rng.choice(TAILS)}"
    if form == 1:
        return f"{title} | {company}{rng.choice(TAILS)}"
    if form == 2:
        return f"{title} @ {company}"
    if form == 3:
        return f"{title}, {company}"
    return title


def _generator():
    path = ROOT / "tests" / "fixtures" / "ui" / "make_followers_page.py"
    spec = importlib.util.spec_from_file_location("make_followers_page", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def build_page(people: list[dict], gen) -> tuple[bytes, list[dict]]:
    """HTML bytes of a followers page and the Apify items for ``people`` (dicts with first, last,
    vanity, headline, location, title, company, size, industry; title None = no Apify position)."""
    gen.PEOPLE = [(p["first"], p["last"], p["vanity"], p["headline"], p["location"]) for p in people]
    gen.APIFY = {}
    for p in people:
        if p.get("title"):
            start, end = p["size"]
            gen.APIFY[p["vanity"]] = ([(p["title"], p["company"], start, end or 100000, [p["industry"]])], None)
    return gen.build().encode("utf-8"), gen.build_items()


def profiles_from_page(data: bytes, items: list[dict] | None):
    """Parse the page like an upload; page enrichment, or the apify-json provider when ``items``."""
    from icp_engine.domain import Profile
    from icp_engine.enrich import EnrichRequest
    from icp_engine.enrich.apify_json import ApifyJsonProvider
    from icp_engine.enrich.page import profile_from_page
    from icp_engine.ingest.upload import parse_upload

    parsed = parse_upload("followers.html", data)
    reqs = [EnrichRequest(lead_id=i, key=f.key, url=f.url, profile_id=f.profile_id, vanity=f.vanity,
                          page=Profile(name=f.name, headline=f.headline, location=f.location, company=f.company,
                                       titles=[f.title] if f.title else [], profile_id=f.profile_id, vanity=f.vanity))
            for i, f in enumerate(parsed.people)]
    if items is None:
        profs = [profile_from_page(r) for r in reqs]
    else:
        got = {o.lead_id: o.profile for o in ApifyJsonProvider(items).enrich(reqs)}
        profs = [got.get(r.lead_id) or profile_from_page(r) for r in reqs]
    return parsed.people, profs


def _firm(rng: random.Random, kind: str, t_ind: list[str], t_size: list) -> tuple[tuple[int, int | None], str]:
    """Size and industry of a person's company: ``fit`` (both in the ICP), ``wrong`` (a wrong
    industry, or the right industry at a wrong size) or ``any``."""
    if kind == "fit":
        return rng.choice(t_size), rng.choice(t_ind)
    if kind == "wrong":
        if rng.random() < 0.5:
            return rng.choice(SIZES), rng.choice([i for i in INDUSTRIES if i not in t_ind])
        return rng.choice([z for z in SIZES if z not in t_size]), rng.choice(t_ind)
    return rng.choice(SIZES), rng.choice(INDUSTRIES)


def run_tracks(args, company: bool = False) -> list[dict]:
    import numpy as np

    from bench_matching import load_tracks
    from icp_engine.domain import ICP
    from icp_engine.embeddings.local import WordLlamaEmbedder
    from icp_engine.evals import auc
    from icp_engine.scoring.scorer import Scorer

    tracks = load_tracks(Path(args.bench))
    pool = tracks.pop("_pool")["pool"]
    gen = _generator()
    scorer = Scorer(WordLlamaEmbedder())
    rows = []
    for track in [t for t in args.tracks.split(",") if t]:
        rng = random.Random(f"{track}-{args.split}" + ("-company" if company else ""))
        a_page, a_apify, nq = [], [], 0
        for q in tracks[track]["queries"][: args.per_track or None]:
            cands = [c for c in pool if c["track"] == q["pool_track"] and c.get("split") == args.split and c.get("title")]
            qr = tracks[track]["qrels"].get(q["qid"], {})
            pos = [c for c in cands if qr.get(c["pid"], 0) == 2]
            neg = [c for c in cands if qr.get(c["pid"], 0) == 0]
            if len(pos) < 3:
                continue
            t_ind = rng.sample(INDUSTRIES, 2) if company else []
            t_size = rng.sample(SIZES, 2) if company else []

            groups = [(1, "fit" if company else "any", rng.sample(pos, min(30, len(pos)))),
                      (0, "any", rng.sample(neg, min(60, len(neg))))]
            if company:
                groups.append((0, "wrong", [rng.choice(pos) for _ in range(20)]))
            people = []
            for lab, kind, group in groups:
                for c in group:
                    name = _company(rng)
                    size, industry = _firm(rng, kind, t_ind, t_size)
                    people.append({"title": c["title"], "headline": _headline(c["title"], name, rng), "label": lab,
                                   "company": name, "size": size, "industry": industry})
            for h, lab in (("Student at University of Eastbridge", 0), ("Economics student | Open to internships", 0),
                           ("Retired. Avid sailor.", 0), ("--", None), ("", None)):
                people.append({"title": None, "headline": h or "--", "label": lab})
            rng.shuffle(people)
            for k, p in enumerate(people):
                p.update(first=rng.choice(WORDS), last=f"Tester{k}", vanity=f"tester-{q['qid']}-{k}",
                         location="Lisbon, Portugal")
            data, items = build_page(people, gen)
            icp = ICP(target_titles=q["titles"], target_industries=t_ind,
                      company_sizes=[SIZE_BANDS[z] for z in t_size])
            by_vanity = {p["vanity"]: p for p in people}
            for use_items, acc in ((None, a_page), (items, a_apify)):
                followers, profs = profiles_from_page(data, use_items)
                res = scorer.score(icp, profs)
                labels, scores = [], []
                for f, r in zip(followers, res):
                    p = by_vanity.get(f.vanity or "")
                    if p is None or p["label"] is None:
                        continue
                    labels.append(bool(p["label"]))
                    scores.append(round(r.icp_score, 2))
                acc.append(auc(scores, np.array(labels)))
            nq += 1
        rows.append({"track": track, "queries": nq, "auc_page": float(np.nanmean(a_page)),
                     "auc_apify": float(np.nanmean(a_apify))})
    return rows


FINANCE_WORDS = ("CFO", "VP Finance", "VP of Finance", "Head of Finance", "Finance Director", "Director of Finance",
                 "Chief Financial Officer")


def run_sample(shared_formats: Path) -> bool:
    """Score the shared sample with the finance ICP; print the ranking and the checks."""
    from icp_engine.domain import ICP
    from icp_engine.embeddings.local import WordLlamaEmbedder
    from icp_engine.scoring.scorer import Scorer

    page = shared_formats / "followers_sample.html"
    if not page.is_file():
        print("shared sample not found: skipping")
        return True
    followers, profs = profiles_from_page(page.read_bytes(), None)
    icp = ICP(target_titles=["CFO", "VP Finance", "Head of Finance"])
    res = Scorer(WordLlamaEmbedder()).score(icp, profs)
    ranked = sorted(zip(followers, res), key=lambda x: -x[1].icp_score)
    print("\n## Shared sample, finance ICP (CFO, VP Finance, Head of Finance), page data\n")
    for k, (f, r) in enumerate(ranked, 1):
        print(f"{k:2d}. {r.icp_score:6.2f} {r.bucket:8s} {(f.headline or '')[:70]}")
    heads = [(f.headline or "").strip() for f, _ in ranked]

    def is_leader(h: str) -> bool:
        first = h.split("|")[0].split(" at ")[0].split("@")[0].split("—")[0]
        return any(w.lower() in first.lower() for w in FINANCE_WORDS) and "Transformation" not in h

    leaders = [i for i, h in enumerate(heads) if is_leader(h)]
    empty = [i for i, h in enumerate(heads) if h in ("", "--")]
    student = [i for i, h in enumerate(heads) if h.lower().startswith("student")]
    retired = [i for i, h in enumerate(heads) if h.lower().startswith("retired")]
    n = len(heads)
    ok_top = leaders == list(range(len(leaders)))
    ok_bottom = all(i >= n - 8 for i in student + retired)
    ok_empty = all(e > max(leaders) for e in empty)
    print(f"\nfinance leaders ranks {[i + 1 for i in leaders]} -> on top: {ok_top}")
    print(f"student / retiree ranks {[i + 1 for i in student + retired]} of {n} -> bottom 8: {ok_bottom}")
    print(f"no-headline ranks {[i + 1 for i in empty]} -> below every finance leader: {ok_empty}")
    return ok_top and ok_bottom and ok_empty


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", default=str(ROOT.parent / "shared" / "bench"))
    ap.add_argument("--split", default="test", choices=["test", "dev"])
    ap.add_argument("--tracks", default="onet,esco_jobbert,groups")
    ap.add_argument("--per-track", type=int, default=0, help="at most this many queries per track (0: all)")
    ap.add_argument("--sample", action="store_true", help="also check the shared followers_sample.html")
    ap.add_argument("--no-company", action="store_true", help="skip the table of ICPs with industries and sizes")
    args = ap.parse_args(argv)
    if not (Path(args.bench) / "queries.jsonl").is_file():
        print(f"benchmark folder {args.bench} not found: skipping (it only exists in the dev workspace)")
        return 0
    t0 = time.perf_counter()
    import numpy as np

    for company in ((False,) if args.no_company else (False, True)):
        rows = run_tracks(args, company=company)
        kind = "ICPs with titles, two industries and two size bands" if company else "title-only ICPs"
        print(f"# Follower pages from benchmark titles, split={args.split}, {kind}\n")
        print("| track | pages | AUC page data | AUC with Apify data |")
        print("|---|---|---|---|")
        for r in rows:
            print(f"| {r['track']} | {r['queries']} | {r['auc_page']:.3f} | {r['auc_apify']:.3f} |")
        if rows:
            w = np.array([r["queries"] for r in rows], dtype=float)
            print(f"| all (pages weighted) | {int(w.sum())} | {np.average([r['auc_page'] for r in rows], weights=w):.3f} "
                  f"| {np.average([r['auc_apify'] for r in rows], weights=w):.3f} |")
        print()
    if args.sample:
        run_sample(Path(args.bench).parent / "formats")
    print(f"\ntotal wall time {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
