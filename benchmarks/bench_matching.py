"""Matching quality through ``python -m icp_engine rank`` semantics, per track (issue #9's table).

Usage::

    python benchmarks/bench_matching.py [--split test|dev] [--bench DIR]
        [--tracks onet,esco_jobbert,industry,groups] [--per-query] [--root CHECKOUT]
        [--via-cli] [--rerank local --top-n 50] [--worst N] [--json OUT]

Each query becomes an ICP (titles, industries, company sizes, keywords) and ranks the candidates
of its track and split. Candidates are given exactly as a user gives leads to ``rank``: title
tracks ``{"id", "titles": [t], "headline": t}``, the industry track ``{"id", "industry": i}``,
parsed by the CLI's own JSON reader; the ranking is by the score *as printed* (two decimals),
ties in input order. ``--via-cli`` really runs ``python -m icp_engine rank`` once per query
(slow, for the final check); otherwise the same code runs in-process. ``--root`` imports
``icp_engine`` from another checkout (e.g. the main branch, for the "before" column).

Tracks: ``onet``, ``esco_jobbert``, ``industry`` (``../shared/bench``) and ``groups``, the
held-out-like track of :mod:`occupation_groups` (US SOC 2018 / ISCO-08 group titles over the
onet / esco pools). Metrics per track, macro-averaged over queries: nDCG@10 (gain 2^rel - 1),
P@10 (share rel 2), AUC (rel 2 vs rel 0), and the calibration of title-only ICPs: share of
rel 2 among candidates scoring >= 80 and < 40 (pooled over the track's queries). ``--worst N``
prints, per track, the N worst-nDCG queries' top 10 as scored (label, score, title features) and
where their first rel-2 candidates rank (in-process only).
Exits 0 with a message when the benchmark folder is absent.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

TARGETS = {"onet": (0.85, 0.95), "esco_jobbert": (0.93, 0.95), "industry": (0.95, 0.98), "groups": (0.72, 0.95)}
TITLE_TRACKS = ("onet", "esco_jobbert", "groups")


def load_tracks(bench: Path) -> dict[str, dict]:
    """``{track: {"queries": [...], "qrels": {...}}}`` plus ``"_pool"``: pid -> pool entry."""
    from occupation_groups import build_track

    queries = [json.loads(x) for x in (bench / "queries.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    pool = [json.loads(x) for x in (bench / "pool.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    qrels: dict[str, dict[str, int]] = {}
    for line in (bench / "qrels.tsv").read_text(encoding="utf-8").splitlines():
        p = line.split()
        if len(p) == 4:
            qrels.setdefault(p[0], {})[p[2]] = int(p[3])
    out: dict[str, dict] = {}
    for q in queries:
        q.pop("gold", None)  # never shown to the matcher
        q["pool_track"] = q["track"]
        out.setdefault(q["track"], {"queries": [], "qrels": qrels})["queries"].append(q)
    out["groups"] = build_track(bench)
    out["_pool"] = {"pool": pool}
    return out


def lead_of(cand: dict) -> dict:
    """The ``rank`` JSONL object of a pool candidate."""
    if cand.get("title") is not None:
        t = str(cand["title"])
        return {"id": cand["pid"], "titles": [t], "headline": t}
    return {"id": cand["pid"], "industry": str(cand.get("industry") or "")}


def metrics(scores, rels):
    from icp_engine.evals import auc, ndcg_at_k, precision_at_k

    return ndcg_at_k(scores, rels, 10), precision_at_k(scores, rels, 10), auc(scores, rels)


def run(args) -> list[dict]:
    bench = Path(args.bench)
    tracks = load_tracks(bench)
    pool = tracks.pop("_pool")["pool"]
    want = [t for t in (args.tracks.split(",") if args.tracks else ["onet", "esco_jobbert", "industry", "groups"]) if t in tracks]
    import numpy as np

    from icp_engine.cli import _profile_from_json
    from icp_engine.domain import ICP

    scorer = None
    if not args.via_cli:
        from icp_engine.embeddings import get_embedder
        from icp_engine.config import Settings
        from icp_engine.evals import MemoEmbedder
        from icp_engine.scoring.scorer import Scorer

        settings = Settings()
        rr = None
        if args.rerank:
            from icp_engine.rerank import get_reranker

            rr = get_reranker(args.rerank, settings)
        scorer = Scorer(MemoEmbedder(get_embedder(settings, db=None)), reranker=rr, rerank_top_n=args.top_n)
    rows = []
    for track in want:
        data = tracks[track]
        split = "test" if track == "industry" else args.split
        per_q = {}
        hi = [0, 0]
        lo = [0, 0]
        t0 = time.perf_counter()
        for q in data["queries"]:
            cands = [c for c in pool if c["track"] == q["pool_track"] and c.get("split") == split]
            if not cands:
                continue
            leads = [lead_of(c) for c in cands]
            icp_d = {"name": q.get("name", ""), "target_titles": q.get("titles") or [],
                     "target_industries": q.get("industries") or [], "company_sizes": q.get("company_sizes") or [],
                     "keywords": q.get("keywords") or []}
            if args.via_cli:
                printed = _rank_cli(icp_d, leads, args)
            else:
                res = scorer.score(ICP(**icp_d), [_profile_from_json(x) for x in leads])
                printed = [round(float(r.icp_score), 2) for r in res]
            s = np.asarray(printed, dtype=np.float64)
            qr = data["qrels"].get(q["qid"], {})
            rels = np.array([qr.get(c["pid"], 0) for c in cands])
            n, p, a = metrics(s, rels)
            per_q[q["qid"]] = {"ndcg10": n, "p10": p, "auc": a, "name": q.get("name", "")}
            if getattr(args, "worst", 0) and not args.via_cli:
                per_q[q["qid"]]["top"] = _top_rows(q, cands, res, s, rels)
            if not (q.get("industries") or q.get("company_sizes") or q.get("keywords")):
                h, lw = s >= 80, s < 40
                hi[0] += int(h.sum())
                hi[1] += int((rels[h] == 2).sum())
                lo[0] += int(lw.sum())
                lo[1] += int((rels[lw] == 2).sum())

        def mean(k, per_q=per_q):
            v = [m[k] for m in per_q.values() if not math.isnan(m[k])]
            return float(np.mean(v)) if v else float("nan")

        rows.append({"track": track, "split": split, "queries": len(per_q), "ndcg10": mean("ndcg10"),
                     "p10": mean("p10"), "auc": mean("auc"), "hi_n": hi[0], "hi_rel2": hi[1], "lo_n": lo[0],
                     "lo_rel2": lo[1], "seconds": time.perf_counter() - t0, "per_query": per_q})
    return rows


def _top_rows(q: dict, cands: list[dict], res: list, s, rels, k: int = 10) -> dict:
    """The query's top ``k`` as printed (score, rel, lead title, title features) and the ranks of
    its first three rel-2 candidates, for ``--worst``."""
    import numpy as np

    order = np.argsort(-s, kind="stable")

    def row(i: int) -> dict:
        c = res[i].components or {}
        return {"rank": int(np.nonzero(order == i)[0][0]) + 1, "rel": int(rels[i]), "score": float(s[i]),
                "title": str(cands[i].get("title") or cands[i].get("industry") or ""),
                "features": c.get("title_features") or {}}

    first2 = [int(i) for i in order if rels[i] == 2][:3]
    return {"icp": list(q.get("titles") or []) + list(q.get("industries") or []),
            "n_rel2": int((rels == 2).sum()), "n_rel1": int((rels == 1).sum()),
            "top": [row(int(i)) for i in order[:k]], "first_rel2": [row(i) for i in first2]}


def print_worst(rows: list[dict], n: int) -> None:
    """Per track, the ``n`` queries with the lowest nDCG@10: their top 10 with labels and title
    features (rel 0 / 1 above rel 2 are the errors nDCG@10 counts)."""
    for r in rows:
        worst = sorted(((m["ndcg10"], qid, m) for qid, m in r["per_query"].items() if "top" in m), key=lambda x: x[0])[:n]
        print(f"\n## worst {len(worst)} queries, {r['track']} ({r['split']})")
        for nd, qid, m in worst:
            t = m["top"]
            print(f"\n{qid} nDCG@10 {nd:.3f}  ICP {t['icp']}  rel 2: {t['n_rel2']}, rel 1: {t['n_rel1']}")
            for x in t["top"] + [dict(y, title="[first rel 2] " + y["title"]) for y in t["first_rel2"]]:
                f = " ".join(f"{k}={v:.2f}" for k, v in x["features"].items() if isinstance(v, (int, float)))
                print(f"  {x['rank']:>5} rel {x['rel']} {x['score']:6.2f}  {x['title'][:48]:48s} {f}")


def _rank_cli(icp_d: dict, leads: list[dict], args) -> list[float]:
    with tempfile.TemporaryDirectory() as td:
        ip, lp = Path(td) / "icp.json", Path(td) / "leads.jsonl"
        ip.write_text(json.dumps(icp_d), encoding="utf-8")
        lp.write_text("".join(json.dumps(x) + "\n" for x in leads), encoding="utf-8")
        cmd = [sys.executable, "-m", "icp_engine", "rank", "--icp", str(ip), "--leads", str(lp)]
        if args.rerank:
            cmd += ["--reranker", args.rerank]
        env = dict(os.environ)
        env["PYTHONPATH"] = str(Path(args.root or ROOT))
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True, cwd=td).stdout
    by_id = {}
    for line in out.splitlines():
        if line.strip():
            o = json.loads(line)
            by_id[o["id"]] = float(o["icp_score"])
    return [by_id[x["id"]] for x in leads]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", default=str(ROOT.parent / "shared" / "bench"))
    ap.add_argument("--split", default="test", choices=["test", "dev"])
    ap.add_argument("--tracks", default="")
    ap.add_argument("--root", default="", help="import icp_engine from this checkout")
    ap.add_argument("--via-cli", action="store_true", help="run python -m icp_engine rank per query")
    ap.add_argument("--rerank", default="", help="reranker for rank --reranker (local)")
    ap.add_argument("--top-n", type=int, default=50)
    ap.add_argument("--per-query", action="store_true")
    ap.add_argument("--worst", type=int, default=0,
                    help="print the N worst-nDCG queries' top 10 per track with labels and title features")
    ap.add_argument("--json", default="", help="also write the rows to this JSON file")
    args = ap.parse_args(argv)
    bench = Path(args.bench)
    if not (bench / "queries.jsonl").is_file():
        print(f"benchmark folder {bench} not found: skipping (it only exists in the dev workspace)")
        return 0
    sys.path.insert(0, str(Path(args.root).resolve() if args.root else ROOT))
    from icp_engine.scoring.scorer import SCORER_VERSION

    t0 = time.perf_counter()
    rows = run(args)
    print(f"# Matching benchmark via rank, split={args.split}, scorer {SCORER_VERSION}"
          + (f" (from {args.root})" if args.root else ""))
    print()
    print("| track | queries | nDCG@10 | P@10 | AUC | >=80: n (rel 2) | <40: n (rel 2) | target | seconds |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        tn, ta = TARGETS[r["track"]]
        ok = "meets" if r["ndcg10"] >= tn and r["auc"] >= ta else "below"
        hi = f"{r['hi_n']} ({100 * r['hi_rel2'] / r['hi_n']:.1f} %)" if r["hi_n"] else "0"
        lo = f"{r['lo_n']} ({100 * r['lo_rel2'] / r['lo_n']:.2f} %)" if r["lo_n"] else "0"
        print(f"| {r['track']} ({r['split']}) | {r['queries']} | {r['ndcg10']:.3f} | {r['p10']:.3f} | {r['auc']:.3f} "
              f"| {hi} | {lo} | {tn} / {ta} {ok} | {r['seconds']:.1f} |")
    t_rows = [r for r in rows if r["track"] in ("onet", "esco_jobbert")]
    if t_rows:
        hn, hk = sum(r["hi_n"] for r in t_rows), sum(r["hi_rel2"] for r in t_rows)
        ln, lk = sum(r["lo_n"] for r in t_rows), sum(r["lo_rel2"] for r in t_rows)
        print(f"\ncalibration, title-only ICPs (onet + esco_jobbert): >=80: {hn} candidates, "
              f"{100 * hk / max(hn, 1):.1f} % rel 2 | <40: {ln}, {100 * lk / max(ln, 1):.2f} % rel 2")
    if args.per_query:
        for r in rows:
            for qid, m in r["per_query"].items():
                print(f"  {r['track']:13s} {qid:10s} nDCG@10={m['ndcg10']:.3f} P@10={m['p10']:.2f} "
                      f"AUC={m['auc']:.3f}  {m['name']}")
    if args.worst:
        print_worst(rows, args.worst)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1, default=float), encoding="utf-8")
    print(f"\ntotal wall time {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
