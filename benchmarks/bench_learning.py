"""Learning from reviews (issue #10): lift curve, the gate on bad labels, refit time.

Usage::

    python benchmarks/bench_learning.py [--pages report|tune|all] [--seeds 5] [--group 3]
                                        [--labels 50,100,200,400] [--bench DIR] [--no-baseline]

Builds 5,000-follower pages from REAL candidate titles of ``../shared/bench`` (one page per
group of ``--group`` consecutive queries of a title track: the page's ICP holds the group's
target titles, keep = rel 2 for any query of the group, everything else is trash; 5,000 of the
track's 6,000 candidates drawn per page). Pages alternate between the ``tune`` set (used to choose
the learner's settings) and the ``report`` set (default; never used for tuning). Each page is
scored by the current static scorer (WordLlama, stage 1); then, per seed:

* ``truth-N``: N random followers labelled truthfully (random queue);
* ``coin-200``: 200 random followers labelled by coin flips;
* ``contra-200``: 200 random followers labelled against the truth (keep = not the ICP's people).

For each, the learner is fitted (cross-validation + gate) and the final score (learned if the
gate applied it, else static) is compared with the static score by AUC on the page's
*unlabelled* followers. ``ungated`` shows what the learned model would have done without the
gate; ``logistic`` is the issue's baseline (a plain logistic head on the embeddings + the static
logit, scikit-learn, C=1). Prints mean +- sd over pages x seeds, the share of fits applied, and
the refit time (mean, and with 2,000 labels). Exits 0 with a message when the folder is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

PAGE_SIZE = 5000
TITLE_TRACKS = ("onet", "esco_jobbert")


def build_pages(bench, group: int, which: str) -> list[dict]:
    """Page definitions: ``{"name", "track", "qids", "icp", "role"}``; role alternates tune/report."""
    from icp_engine.domain import ICP

    pages = []
    for track in TITLE_TRACKS:
        qs = [q for q in bench.queries if q["track"] == track]
        for g in range(0, len(qs) - group + 1, group):
            part = qs[g:g + group]
            titles: list[str] = []
            for q in part:
                titles += [t for t in q["titles"] if t not in titles]
            role = "tune" if (g // group) % 2 == 0 else "report"
            if which != "all" and role != which:
                continue
            pages.append({
                "name": "+".join(q["qid"] for q in part), "track": track,
                "qids": [q["qid"] for q in part], "role": role,
                "icp": ICP(name=" / ".join(q.get("name", "") for q in part), target_titles=titles),
            })
    return pages


def materialise(bench, page: dict, scorer, embedder) -> dict:
    """Draw the page's followers, score them, build the learner's features and the truth."""
    from icp_engine.domain import Profile
    from icp_engine.learning import LeadFeatures

    cands = [p for p in bench.pool if p["track"] == page["track"]]
    seed = sum(ord(c) for c in page["name"])
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(len(cands), size=min(PAGE_SIZE, len(cands)), replace=False))
    cands = [cands[i] for i in pick]
    profiles = [Profile(titles=[c["title"]], source="bench") for c in cands]
    results = scorer.score(page["icp"], profiles)
    truth = np.array([any(bench.qrels.get(q, {}).get(c["pid"], 0) == 2 for q in page["qids"]) for c in cands])
    ids = np.arange(1, len(cands) + 1)
    feats = LeadFeatures.build(ids, profiles, results, embedder, title_embedder=_title_embedder())
    # ranking key of the static score: the displayed score, ties broken by the unrounded fit
    static_key = np.array([r.icp_score + 1e-4 * float((r.components or {}).get("stage1") or 0) for r in results])
    return {"feats": feats, "truth": truth, "static_key": static_key}


def materialise_page(bench, spec, scorer, embedder) -> dict:
    """A follower page of ``benchmarks/learning_pages.py`` through the real upload parser and page
    enrichment, scored; the learner's features; the truth (None = not judged)."""
    import learning_pages as lp
    from bench_followers import profiles_from_page

    from icp_engine.domain import ICP
    from icp_engine.learning import LeadFeatures

    page = lp.build(bench, spec)
    followers, profiles = profiles_from_page(page.html, None)
    results = scorer.score(ICP(**page.icp), profiles)
    tv = page.truth_by_vanity
    lab = [tv.get(f.vanity or "") for f in followers]
    judged = np.array([x is not None for x in lab])
    ids = np.arange(1, len(profiles) + 1)
    feats = LeadFeatures.build(ids, profiles, results, embedder, title_embedder=_title_embedder())
    static_key = np.array([r.icp_score + 1e-4 * float((r.components or {}).get("stage1") or 0) for r in results])
    # followers without a headline are not judged: keep them out of labels and AUCs
    keep = np.flatnonzero(judged)
    return {"feats": feats.subset(keep), "truth": np.array([bool(lab[i]) for i in keep]),
            "static_key": static_key[keep], "stats": page.stats()}


def _title_embedder():
    """The learner's title embedder as the pipeline has it (the scorer's title backbone)."""
    from icp_engine.feedback import title_embedder

    return title_embedder(None)


def logistic_baseline(feats, lab_idx, y) -> np.ndarray | None:
    """Plain logistic head on [embedding, static logit] (the issue's baseline); None if one class."""
    from sklearn.linear_model import LogisticRegression

    from icp_engine.learning.gp import logit

    if len(set(y.tolist())) < 2:
        return None
    X = np.hstack([feats.embeddings, logit(feats.static_prob, 0.005)[:, None]])
    clf = LogisticRegression(C=1.0, max_iter=2000)
    clf.fit(X[lab_idx], y)
    return clf.decision_function(X)


def run_case(data: dict, labels_idx: np.ndarray, y_lab: np.ndarray, config, baseline: bool) -> dict:
    from icp_engine.evals import auc
    from icp_engine.learning import Label, LearnedModel, apply

    feats = data["feats"]
    truth = data["truth"]
    labels = [Label(int(feats.lead_ids[i]), "keep" if y else "trash", "bench", None, "random")
              for i, y in zip(labels_idx, y_lab)]
    model = LearnedModel(config)
    t = time.perf_counter()
    rep = model.fit(labels, feats)
    secs = time.perf_counter() - t
    prob, _delta = apply(model, feats)
    rest = np.ones(feats.m, dtype=bool)
    rest[labels_idx] = False
    static_auc = auc(data["static_key"][rest], truth[rest])
    final_key = data["static_key"] if not model.applied else prob
    out = {
        "static": static_auc,
        "final": auc(final_key[rest], truth[rest]),
        "applied": float(model.applied),
        "seconds": secs,
        "verdict": rep.verdict,
        "suggest": rep.suggested_extra_labels,
        "cv_static": rep.static_auc, "cv_learned": rep.learned_auc,
    }
    if model.gp is not None:
        p_ung, _ = model.predict(feats)
        out["ungated"] = auc(p_ung[rest], truth[rest])
        # calibration on the unlabelled followers: log-loss static vs final
        eps = 0.005
        sp = np.clip(feats.static_prob[rest], eps, 1 - eps)
        fp = np.clip(prob[rest], 1e-6, 1 - 1e-6)
        t_ = truth[rest].astype(float)
        out["ll_static"] = float(-np.mean(t_ * np.log(sp) + (1 - t_) * np.log1p(-sp)))
        out["ll_final"] = float(-np.mean(t_ * np.log(fp) + (1 - t_) * np.log1p(-fp)))
    else:
        out["ungated"] = static_auc
    if baseline:
        s = logistic_baseline(feats, labels_idx, y_lab.astype(int))
        out["logistic"] = static_auc if s is None else auc(s[rest], truth[rest])
    return out


def fmt(vals: list[float]) -> str:
    v = np.array([x for x in vals if x is not None and np.isfinite(x)], dtype=float)
    if v.size == 0:
        return "   -          "
    return f"{v.mean():.3f} ± {v.std():.3f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", default=str(ROOT.parent / "shared" / "bench"))
    ap.add_argument("--pages", default="report", choices=["report", "tune", "all"])
    ap.add_argument("--group", type=int, default=3, help="queries per page ICP")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--labels", default="50,100,200,400")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated page names (debugging)")
    ap.add_argument("--kernel", default="", help="JSON of KernelSpec overrides (tuning)")
    ap.add_argument("--alpha", type=float, default=None, help="override LearningConfig.alpha (tuning)")
    ap.add_argument("--per-page", action="store_true")
    ap.add_argument("--refit-n", type=int, default=2000, help="labels for the refit-time measurement")
    ap.add_argument("--composition", default="uniform", choices=["uniform", "topical", "broad"],
                    help="uniform: the part-1 pages (5,000 of the track's candidates); topical / broad: "
                         "follower pages of benchmarks/learning_pages.py (10-30 %% ICP people)")
    ap.add_argument("--config", default="", help="JSON of LearningConfig overrides (tuning)")
    args = ap.parse_args(argv)

    bench_dir = Path(args.bench)
    if not (bench_dir / "queries.jsonl").is_file():
        print(f"benchmark folder {bench_dir} not found: skipping (it only exists in the dev workspace)")
        return 0

    from icp_engine.embeddings.local import WordLlamaEmbedder
    from icp_engine.evals import Benchmark, MemoEmbedder
    from icp_engine.learning import Label, LearnedModel, LearningConfig
    from icp_engine.learning.gp import KernelSpec
    from icp_engine.scoring.scorer import SCORER_VERSION, Scorer

    bench = Benchmark.load(bench_dir)
    embedder = MemoEmbedder(WordLlamaEmbedder())
    scorer = Scorer(embedder)
    config = LearningConfig()
    if args.kernel:
        config = replace(config, kernel=KernelSpec(**{**config.kernel.__dict__, **json.loads(args.kernel)}))
    if args.alpha is not None:
        config = replace(config, alpha=args.alpha)
    if args.config:
        config = replace(config, **{k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(args.config).items()})
    if args.composition == "uniform":
        pages = build_pages(bench, args.group, args.pages)
    else:
        import learning_pages as lp

        pages = [{"name": sp.name, "role": sp.role, "spec": sp}
                 for sp in lp.page_specs(bench, group=args.group, which=args.pages, composition=args.composition)]
    if args.only:
        pages = [p for p in pages if p["name"] in args.only.split(",")]
    ns = [int(x) for x in args.labels.split(",") if x]
    cases = [(f"truth-{n}", n, "truth") for n in ns] + [("coin-200", 200, "coin"), ("contra-200", 200, "contra")]
    print(f"# Learning from reviews: {len(pages)} {args.pages} pages x {args.seeds} seeds, "
          f"{PAGE_SIZE} followers each, scorer {SCORER_VERSION}, kernel {config.kernel}")
    results: dict[str, list[dict]] = defaultdict(list)
    per_page: dict[tuple[str, str], list[dict]] = defaultdict(list)
    t_all = time.perf_counter()
    datas = {}
    for page in pages:
        data = (materialise(bench, page, scorer, embedder) if "spec" not in page
                else materialise_page(bench, page["spec"], scorer, embedder))
        datas[page["name"]] = data
        prev = data["truth"].mean()
        print(f"  page {page['name']:32s} ({page['role']}) keep rate {100 * prev:.1f} %", flush=True)
        for seed in range(args.seeds):
            for cname, n, kind in cases:
                rng = np.random.default_rng(1000 * seed + n + (7 if kind == "coin" else 13 if kind == "contra" else 0))
                idx = np.sort(rng.choice(data["feats"].m, size=n, replace=False))
                truth = data["truth"][idx]
                if kind == "truth":
                    y = truth.astype(float)
                elif kind == "coin":
                    y = (rng.random(n) < 0.5).astype(float)
                else:
                    y = (~truth).astype(float)
                r = run_case(data, idx, y, config, not args.no_baseline)
                results[cname].append(r)
                per_page[(page["name"], cname)].append(r)
    print()
    head = (f"{'labels':<11} {'static AUC':>15} {'final AUC':>15} {'gain':>15} {'ungated':>15} "
            f"{'logistic':>15} {'applied':>8} {'logloss s->f':>14} {'fit s':>6}  verdicts")
    print(head)
    for cname, _n, _k in cases:
        rs = results[cname]
        verdicts = defaultdict(int)
        for r in rs:
            verdicts[r["verdict"]] += 1
        ll = [(r.get("ll_static"), r.get("ll_final")) for r in rs if r.get("ll_static") is not None]
        lls = f"{np.mean([a for a, _ in ll]):.3f}->{np.mean([b for _, b in ll]):.3f}" if ll else "-"
        print(f"{cname:<11} {fmt([r['static'] for r in rs]):>15} {fmt([r['final'] for r in rs]):>15} "
              f"{fmt([r['final'] - r['static'] for r in rs]):>15} {fmt([r['ungated'] for r in rs]):>15} "
              f"{fmt([r.get('logistic') for r in rs]):>15} {100 * np.mean([r['applied'] for r in rs]):>7.0f}% "
              f"{lls:>14} {np.mean([r['seconds'] for r in rs]):>6.2f}  "
              + ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items())))
    sugg = [r["suggest"] for r in results.get("truth-200", []) if r["suggest"] is not None]
    if sugg:
        print(f"\nsuggested extra labels after truth-200: median {int(np.median(sugg))} "
              f"(range {min(sugg)}-{max(sugg)})")
    if args.per_page:
        print("\nper page (mean over seeds): static -> final [applied]")
        for page in pages:
            line = [f"  {page['name']:32s}"]
            for cname, _n, _k in cases:
                rs = per_page[(page["name"], cname)]
                line.append(f"{cname} {np.mean([r['static'] for r in rs]):.3f}->{np.mean([r['final'] for r in rs]):.3f}"
                            f"[{sum(r['applied'] for r in rs):.0f}]")
            print(" ".join(line))

    # refit time with many labels
    if pages and args.refit_n:
        data = datas[pages[0]["name"]]
        n = min(args.refit_n, data["feats"].m)
        rng = np.random.default_rng(5)
        idx = np.sort(rng.choice(data["feats"].m, size=n, replace=False))
        labels = [Label(int(data["feats"].lead_ids[i]), "keep" if data["truth"][i] else "trash", "bench")
                  for i in idx]
        model = LearnedModel(config)
        t = time.perf_counter()
        rep = model.fit(labels, data["feats"])
        t_fit = time.perf_counter() - t
        t = time.perf_counter()
        model.predict(data["feats"])
        t_pred = time.perf_counter() - t
        print(f"\nrefit with {n} labels (validation + learning curve included): {t_fit:.1f} s; "
              f"predicting {data['feats'].m} leads: {t_pred:.2f} s; verdict {rep.verdict}")
    print(f"total wall time {time.perf_counter() - t_all:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
