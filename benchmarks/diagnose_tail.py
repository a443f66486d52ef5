"""Where the true matches that score LOW end up, and why (issue 9's AUC lever).

Usage::

    python benchmarks/diagnose_tail.py [--bench DIR] [--split test|dev] [--tracks onet,esco_jobbert,groups]
        [--n 25] [--dump OUT.jsonl]

For each title track, every (query, candidate) is scored by the whole scorer as
``bench_matching`` does (leads ``{"id", "titles": [t], "headline": t}``). Per candidate it records
the printed score, the title model's raw probability (no recalibration, floors or caps, from the
evidence's features), the exclusion, and which step moved it. Prints, per track: the AUC
decomposition (share of (rel 2, rel 0) pairs lost by ties and by inversions), the rel-2
candidates with the lowest scores with their features and the cause the scorer gives (exclusion,
bare-role cap, headline penalty, or the model itself: the feature whose contribution is most
below the rel-2 average), the counts of causes, and the rel-0 candidates that score highest.
Exits 0 when the benchmark is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def collect(bench: Path, split: str, tracks: list[str]) -> list[dict]:
    """One row per (track, query, candidate): score, rel, title features, raw model p, cause."""
    from bench_matching import lead_of, load_tracks

    from icp_engine.cli import _profile_from_json
    from icp_engine.config import Settings
    from icp_engine.domain import ICP
    from icp_engine.embeddings import get_embedder
    from icp_engine.evals import MemoEmbedder
    from icp_engine.scoring import title_model as tm
    from icp_engine.scoring.scorer import Scorer

    data = load_tracks(bench)
    pool = data.pop("_pool")["pool"]
    scorer = Scorer(MemoEmbedder(get_embedder(Settings(), db=None)))
    w = np.asarray(tm.WEIGHTS)
    rows = []
    for track in tracks:
        for q in data[track]["queries"]:
            cands = [c for c in pool if c["track"] == q["pool_track"] and c.get("split") == split]
            if not cands:
                continue
            res = scorer.score(ICP(target_titles=q.get("titles") or []),
                               [_profile_from_json(lead_of(c)) for c in cands])
            qr = data[track]["qrels"].get(q["qid"], {})
            for c, r in zip(cands, res):
                comp = r.components
                f = comp.get("title_features") or {}
                x = np.array([f.get(n, 0.0) for n in tm.FEATURES])
                z = float(x @ w + tm.INTERCEPT)
                rows.append({"track": track, "qid": q["qid"], "query": " | ".join(q.get("titles") or []),
                             "title": c.get("title"), "rel": qr.get(c["pid"], 0),
                             "score": round(float(r.icp_score), 2), "z": round(z, 3),
                             "p_title": comp.get("title"), "source": comp.get("title_source"),
                             "excluded": comp.get("excluded"), "features": f})
    return rows


def contributions(rows: list[dict]) -> dict[str, float]:
    """Mean weighted contribution ``w_j * x_j`` per feature over rel-2 rows (the reference)."""
    from icp_engine.scoring import title_model as tm

    pos = [r for r in rows if r["rel"] == 2 and r["features"]]
    return {n: float(np.mean([r["features"][n] * w for r in pos])) for n, w in zip(tm.FEATURES, tm.WEIGHTS) if w}


def cause(r: dict, ref: dict[str, float]) -> str:
    """Why a row scores what it does: exclusion, bare-role cap, headline text, or the model
    feature whose contribution is furthest below the rel-2 average."""
    from icp_engine.scoring import calibration as cal
    from icp_engine.scoring import title_model as tm

    if r["excluded"]:
        return "excluded:" + str(r["excluded"])
    if not r["features"]:
        return "no-title-evidence"
    from icp_engine.scoring.tail import recalibrate

    p_rec = recalibrate(cal.sigmoid(r["z"]))
    if r["p_title"] is not None and r["p_title"] < p_rec - 1e-3:
        return "capped (bare role / headline)"
    gaps = {n: r["features"][n] * w - ref[n] for n, w in zip(tm.FEATURES, tm.WEIGHTS) if w}
    worst = min(gaps, key=gaps.get)
    return f"model:{worst}"


def report(rows: list[dict], n: int) -> None:
    from icp_engine.scoring import title_model as tm

    ref = contributions(rows)
    by_q: dict[str, list[dict]] = {}
    for r in rows:
        by_q.setdefault(r["qid"], []).append(r)
    ties = inv = tot = 0.0
    for lst in by_q.values():
        s = np.array([r["score"] for r in lst])
        rel = np.array([r["rel"] for r in lst])
        p, z = s[rel == 2], s[rel == 0]
        if len(p) == 0 or len(z) == 0:
            continue
        zs = np.sort(z)
        lt = np.searchsorted(zs, p, side="left")
        le = np.searchsorted(zs, p, side="right")
        m = len(p) * len(z)
        ties += float((le - lt).sum()) / m
        inv += float((len(z) - le).sum()) / m
        tot += 1
    print(f"  AUC lost per query (mean): inversions {inv / tot:.4f}, ties {0.5 * ties / tot:.4f}"
          f" -> AUC ~ {1 - inv / tot - 0.5 * ties / tot:.4f}")
    pos = sorted((r for r in rows if r["rel"] == 2), key=lambda r: r["score"])
    print(f"  rel-2 rows: {len(pos)}; score <= 1: {sum(r['score'] <= 1 for r in pos)}, "
          f"<= 5: {sum(r['score'] <= 5 for r in pos)}, excluded: {sum(bool(r['excluded']) for r in pos)}")
    # per-query rank-normalised position of each rel-2 (share of rel 0 above it)
    lows = []
    for lst in by_q.values():
        z = np.array([r["score"] for r in lst if r["rel"] == 0])
        for r in lst:
            if r["rel"] == 2 and len(z):
                lows.append((float((z > r["score"]).mean() + 0.5 * (z == r["score"]).mean()), r))
    lows.sort(key=lambda t: -t[0])
    cnt = Counter(cause(r, ref) for share, r in lows if share > 0.2)
    print(f"  rel-2 with > 20 % of the query's rel 0 above them: {sum(1 for s, _ in lows if s > 0.2)}; causes:",
          dict(cnt.most_common()))
    cnt_all = Counter(cause(r, ref) for s, r in lows)
    print("  causes over all rel-2 (reference):", dict(cnt_all.most_common()))
    lost = Counter()
    for s, r in lows:
        lost[cause(r, ref)] += s
    print("  AUC mass lost by cause (sum of shares):", {k: round(v, 1) for k, v in lost.most_common()})
    print(f"  worst {n} rel-2 (share of rel 0 above | score | z | query -> title | features):")
    for s, r in lows[:n]:
        f = r["features"]
        fs = " ".join(f"{k}={f[k]:.2f}" for k in tm.FEATURES if k in f)
        print(f"    {s:.2f} | {r['score']:6.2f} | {r['z']:6.2f} | {r['query'][:45]} -> {r['title']} | {fs} | {cause(r, ref)}")
    neg = sorted((r for r in rows if r["rel"] == 0), key=lambda r: -r["score"])[:n]
    print(f"  top {n} rel-0 by score:")
    for r in neg:
        print(f"    {r['score']:6.2f} | {r['z']:6.2f} | {r['query'][:45]} -> {r['title']}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", default=str(ROOT.parent / "shared" / "bench"))
    ap.add_argument("--split", default="test", choices=("test", "dev"))
    ap.add_argument("--tracks", default="onet,esco_jobbert,groups")
    ap.add_argument("--n", type=int, default=25)
    ap.add_argument("--dump", default="")
    args = ap.parse_args(argv)
    bench = Path(args.bench)
    if not (bench / "queries.jsonl").is_file():
        print(f"benchmark folder {bench} not found: skipping")
        return 0
    for t in args.tracks.split(","):
        rows = collect(bench, args.split, [t])
        print(f"\n## {t} ({args.split})")
        report(rows, args.n)
        if args.dump:
            with open(args.dump, "a", encoding="utf-8") as fh:
                for r in rows:
                    fh.write(json.dumps({**r, "split": args.split}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
