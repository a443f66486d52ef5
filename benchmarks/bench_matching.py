"""Matching quality on the shared benchmark (``../shared/bench``), issue #3's table.

Usage::

    python benchmarks/bench_matching.py [--split test|dev] [--bench DIR] [--bge] [--rerank local]
                                        [--tracks onet,esco_jobbert,industry] [--per-query]

Default: the project's default offline configuration (stage 1 with the WordLlama embedder, no
reranker) on the ``test`` split. ``--bge`` adds a configuration with the bge-small-en-v1.5 ONNX
embedder; ``--rerank local`` adds stage 1 + the local cross-encoder on the top N (slow: ~40
pairs/s). Prints per track nDCG@10 / AUC, P@10 / P@50, the calibration property (share of rel 2
among candidates scoring >= 80 and < 40 for the title-only ICPs) and the time taken.
Exits 0 with a message when the benchmark folder is absent.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = {"onet": (0.85, 0.96), "esco_jobbert": (0.93, 0.96), "industry": (0.85, 0.97)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", default=str(ROOT.parent / "shared" / "bench"))
    ap.add_argument("--split", default="test", choices=["test", "dev"])
    ap.add_argument("--tracks", default="")
    ap.add_argument("--bge", action="store_true", help="also evaluate the bge-small ONNX embedder")
    ap.add_argument("--rerank", default="", help="also evaluate with this reranker (local)")
    ap.add_argument("--top-n", type=int, default=50, help="reranker top N per query")
    ap.add_argument("--per-query", action="store_true")
    args = ap.parse_args(argv)

    bench = Path(args.bench)
    if not (bench / "queries.jsonl").is_file():
        print(f"benchmark folder {bench} not found: skipping (it only exists in the dev workspace)")
        return 0

    from icp_engine.embeddings.local import BgeSmallOnnxEmbedder, WordLlamaEmbedder
    from icp_engine.evals import evaluate_benchmark, format_table
    from icp_engine.scoring.scorer import SCORER_VERSION, Scorer

    configs: dict[str, object] = {"default (wordllama, stage 1)": lambda: Scorer(WordLlamaEmbedder())}
    if args.bge:
        configs["bge-small, stage 1"] = lambda: Scorer(BgeSmallOnnxEmbedder())
    if args.rerank:
        from icp_engine.config import Settings
        from icp_engine.rerank import get_reranker

        rr = get_reranker(args.rerank, Settings())
        configs[f"wordllama + {args.rerank} reranker (top {args.top_n})"] = (
            lambda: Scorer(WordLlamaEmbedder(), reranker=rr, rerank_top_n=args.top_n))
    tracks = [t for t in args.tracks.split(",") if t] or None
    t0 = time.perf_counter()
    rows = evaluate_benchmark(bench, split=args.split, configs=configs, tracks=tracks)
    print(f"# Matching benchmark, split={args.split}, scorer {SCORER_VERSION}")
    print()
    print(format_table(rows))
    print()
    print("Targets (nDCG@10 / AUC): " + ", ".join(f"{t} >= {n} / >= {a}" for t, (n, a) in TARGETS.items()))
    for r in rows:
        n, a = TARGETS.get(r.track, (0, 0))
        ok = "meets" if r.ndcg10 >= n and r.auc >= a else "below"
        hi_n, hi_p = r.calib_hi
        lo_n, lo_p = r.calib_lo
        print(f"  {r.config:40s} {r.track:13s} nDCG@10={r.ndcg10:.3f} P@10={r.p10:.3f} P@50={r.p50:.3f} "
              f"AUC={r.auc:.3f} ({ok} target) | >=80: {hi_n} cands, {100 * hi_p:.1f} % rel 2 | "
              f"<40: {lo_n} cands, {100 * lo_p:.2f} % rel 2 | {r.seconds:.1f} s for "
              f"{r.queries} x {r.candidates} leads")
        if args.per_query:
            for qid, m in r.per_query.items():
                print(f"      {qid:10s} nDCG@10={m['ndcg10']:.3f} P@10={m['p10']:.2f} AUC={m['auc']:.3f}")
    print(f"\ntotal wall time {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
