"""Stage-1 scoring speed for 1k and 10k synthetic leads (issue #3 target: <= 5 s for 10k).

Usage::

    python benchmarks/bench_scoring_speed.py [--sizes 1000,10000] [--bge] [--rerank local --top-n 200]

Leads are generated from invented titles, companies, industries, sizes and headlines (a seeded
random mix with a few thousand distinct titles, ~60 % with a headline only, as the offline ``page`` enrichment gives), scored
against a finance ICP with titles, industries, sizes and keywords. The embedder is the default
offline one (WordLlama) without the Postgres cache, i.e. a cold run; ``--bge`` times the
bge-small ONNX embedder instead. Prints seconds and leads/s per size; each size starts with
empty in-process caches (so every title is embedded again), and the first size also reports
the time including the embedder load (scorer 3 loads its title backbone on the first call).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROLES = ["CFO", "VP Finance", "Head of Finance", "Finance Director", "Controller", "FP&A Manager",
         "Senior Accountant", "Software Engineer", "Staff Engineer", "Product Manager", "Head of Sales",
         "Account Executive", "Marketing Manager", "Growth Lead", "Recruiter", "Talent Partner",
         "Data Scientist", "CEO", "COO", "Founder", "Operations Manager", "HR Business Partner",
         "Customer Success Manager", "Student", "Designer", "Treasury Analyst", "Tax Manager"]
SENIOR = ["", "Senior ", "Lead ", "Principal ", "Junior ", "Associate ", "Group ", "Regional "]
COMPANIES = ["Acme", "Borealis", "Cindertech", "Dovetail", "Everfield", "Fjordline", "Gallant",
             "Hollowmere", "Ironbark", "Juniper", "Kestrel", "Lumen", "Marlow", "Northwind"]
INDUSTRIES = ["Software Development", "Computer Software", "Financial Services", "Banking",
              "Hospitals and Health Care", "Retail", "IT Services and IT Consulting",
              "Staffing and Recruiting", "Manufacturing", "Marketing and Advertising", None]
SIZES = ["1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "10001+", None]
SCOPES = ["", "", "", " EMEA", " APAC", " North America", " DACH", " Global", ", Payments", ", Platform",
          ", Growth", " & Operations", " & Strategy", ", Retail", ", Healthcare", ", Cloud", ", Data",
          " (Interim)", ", Corporate", ", Europe", " II", ", B2B", ", SMB", ", Enterprise"]
TAILS = ["", " | SaaS", " | ex-Big4", " | Board advisor", " | CPA", " (Series B)", " | B2B payments"]


def synthetic_profiles(n: int, seed: int = 7):
    """``n`` invented :class:`Profile` objects (deterministic for a seed)."""
    from icp_engine.domain import Profile

    rnd = random.Random(seed)
    out = []
    for i in range(n):
        role = rnd.choice(SENIOR) + rnd.choice(ROLES) + rnd.choice(SCOPES)
        comp = rnd.choice(COMPANIES) + f" {rnd.randint(1, 999)}"
        sep = rnd.choice([" at ", " @ ", " | ", ", "])
        headline = f"{role}{sep}{comp}{rnd.choice(TAILS)}"
        if rnd.random() < 0.6:  # page enrichment: headline only
            out.append(Profile(name=f"Lead {i}", headline=headline, location="Berlin, Germany"))
        else:
            out.append(Profile(name=f"Lead {i}", headline=headline, titles=[role], company=comp,
                               industry=rnd.choice(INDUSTRIES), company_size=rnd.choice(SIZES),
                               location="Austin, Texas, United States", source="apify"))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--bge", action="store_true")
    ap.add_argument("--rerank", default="")
    ap.add_argument("--top-n", type=int, default=200)
    args = ap.parse_args(argv)

    from icp_engine.domain import ICP
    from icp_engine.scoring.scorer import Scorer

    if args.bge:
        from icp_engine.embeddings.local import BgeSmallOnnxEmbedder as E
    else:
        from icp_engine.embeddings.local import WordLlamaEmbedder as E
    t = time.perf_counter()
    emb = E()
    load_s = time.perf_counter() - t
    reranker = None
    if args.rerank:
        from icp_engine.config import Settings
        from icp_engine.rerank import get_reranker

        reranker = get_reranker(args.rerank, Settings())
    icp = ICP(target_titles=["CFO", "VP Finance", "Head of Finance"],
              target_industries=["Software Development", "Financial Services"],
              company_sizes=["51-200", "201-500"], keywords=["SaaS"])
    print(f"embedder {emb.name} loaded in {load_s:.2f} s" + (f", reranker {reranker.name} top {args.top_n}" if reranker else ""))
    first = True
    for n in [int(x) for x in args.sizes.split(",") if x]:
        profiles = synthetic_profiles(n)
        scorer = Scorer(E(), reranker=reranker, rerank_top_n=args.top_n)
        # cold: fresh process-level caches are warm after the first size; clear them for fairness
        from icp_engine.scoring import title_match, titles

        for f in (title_match.title_info, titles.title_features, titles.normalize_title, titles.parse_headline):
            f.cache_clear()
        try:  # scorer 3: function classifier and the title backbone's in-process memo
            from icp_engine.scoring import backbone, functions

            functions.classify_title.cache_clear()
            for v in list(backbone._shared.values()):
                if isinstance(v, backbone.MemoEmbedder):
                    v._memo.clear()
            from icp_engine.scoring import layers  # scorer 3.6: the pass shared by both views

            for v in list(layers._shared.values()):
                if isinstance(v, (backbone.MemoEmbedder, layers.BackbonePass)):
                    v._memo.clear()
        except ImportError:
            pass
        t = time.perf_counter()
        res = scorer.score(icp, profiles)
        dt = time.perf_counter() - t
        strong = sum(r.bucket == "strong" for r in res)
        print(f"{n:>6} leads: {dt:6.2f} s  ({n / dt:,.0f} leads/s)  strong={strong}")
        if first:
            print(f"        first call incl. embedder load: {load_s + dt:.2f} s (fresh process)")
            first = False
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
