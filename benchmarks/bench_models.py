"""Throughput of the offline models on this machine (prints numbers; no assertions).

    python benchmarks/bench_models.py [--profiles 2000] [--titles 5000] [--pairs 200]

* embedders (WordLlama, bge-small-en-v1.5 INT8 ONNX): profile texts/s (headline + titles +
  company + summary, ~300-600 characters) and short titles/s; first-call load time.
* local cross-encoder (ms-marco-MiniLM-L-12-v2 INT8 ONNX): (ICP query, profile text) pairs/s.
* offline classifier: profiles/s.

Texts are generated from invented word lists (deterministic seed), not from any dataset.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SENIORITY = ["", "Senior ", "Lead ", "Head of ", "VP ", "Director of ", "Chief ", "Junior ", "Principal "]
FUNCTION = ["Finance", "Engineering", "Marketing", "Sales", "Operations", "People", "Product", "Data",
            "Design", "Legal", "Revenue Operations", "Customer Success", "Procurement", "Security"]
COMPANIES = ["Brindle Labs", "Ostrander Cloud", "Kestrel Bank", "Quaywise", "Fernhill & Co", "Pellucid Systems",
             "Harbourview Clinic", "Lumen Forge", "Corvid Works", "Ballard Construction"]
TAGS = ["SaaS", "fintech", "B2B", "marketplaces", "AI", "healthcare", "logistics", "climate", "devtools", "payments"]
SUMMARY_WORDS = ("I help teams scale revenue finance operations across Europe and North America with a focus on "
                 "pragmatic process automation data driven planning hiring and building high trust cultures").split()


def make_titles(rng: random.Random, n: int) -> list[str]:
    return [f"{rng.choice(SENIORITY)}{rng.choice(FUNCTION)}".strip() for _ in range(n)]


def make_profiles(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        t = f"{rng.choice(SENIORITY)}{rng.choice(FUNCTION)}".strip()
        c = rng.choice(COMPANIES)
        summary = " ".join(rng.choice(SUMMARY_WORDS) for _ in range(rng.randint(40, 90)))
        out.append(f"{t} at {c} | {rng.choice(TAGS)} | {rng.choice(TAGS)}\nTitles: {t}\nCompany: {c}\n{summary}")
    return out


def rate(fn, items, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(items)
        best = min(best, time.perf_counter() - t0)
    return len(items) / best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profiles", type=int, default=2000)
    ap.add_argument("--titles", type=int, default=5000)
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--bge-profiles", type=int, default=200, help="bge is slow: fewer profile texts")
    args = ap.parse_args()
    rng = random.Random(7)
    titles = make_titles(rng, args.titles)
    profiles = make_profiles(rng, args.profiles)
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f} (other processes skew these numbers)")
    print(f"# profile text: mean {sum(map(len, profiles)) / len(profiles):.0f} chars; titles: mean "
          f"{sum(map(len, titles)) / len(titles):.0f} chars")

    from icp_engine.embeddings.local import BgeSmallOnnxEmbedder, WordLlamaEmbedder

    t0 = time.perf_counter()
    wl = WordLlamaEmbedder()
    load = time.perf_counter() - t0
    wl.embed(titles[:10])
    print(f"{wl.name:38s} load {load:5.2f}s  profiles {rate(wl.embed, profiles, 3):9.0f}/s  "
          f"titles {rate(wl.embed, titles, 3):9.0f}/s")

    for bs in (1, 32):
        t0 = time.perf_counter()
        bge = BgeSmallOnnxEmbedder(batch_size=bs)
        load = time.perf_counter() - t0
        bge.embed(titles[:10])
        print(f"{bge.name + f' (batch {bs})':38s} load {load:5.2f}s  profiles "
              f"{rate(bge.embed, profiles[:args.bge_profiles]):9.0f}/s  titles {rate(bge.embed, titles[:2000]):9.0f}/s")

    from icp_engine.rerank.local import LocalCrossEncoderReranker

    query = "CFO, VP Finance or Head of Finance at a B2B SaaS company with 51-500 employees"
    for bs in (1, 16):
        rr = LocalCrossEncoderReranker(batch_size=bs)
        rr.rerank(query, profiles[:4])
        for label, docs in (("profile pairs", profiles[:args.pairs]), ("title pairs", titles[:args.pairs])):
            t0 = time.perf_counter()
            rr.rerank(query, docs)
            print(f"{rr.name + f' (batch {bs})':38s} {label:14s} {len(docs) / (time.perf_counter() - t0):9.1f}/s")

    from icp_engine.classify import classify_many
    from icp_engine.domain import Profile

    leads = [Profile(headline=p.split("\n", 1)[0], titles=[p.split("\n")[1][8:]], company=p.split("\n")[2][9:])
             for p in profiles]
    classify_many(leads[:5])
    t0 = time.perf_counter()
    classify_many(leads)
    print(f"{'offline classifier (wordllama)':38s} profiles {len(leads) / (time.perf_counter() - t0):9.0f}/s")


if __name__ == "__main__":
    main()
