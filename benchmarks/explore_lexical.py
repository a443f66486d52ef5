"""Screen candidate lexical / hubness features for the title model, raw model leave-one-track-out.

Usage::

    python benchmarks/explore_lexical.py [--bench DIR] [--only=NAME,A+B,-tok+A] [--paired]

Computes the title model's own features (:func:`title_model.features`) plus candidate columns
from :mod:`icp_engine.scoring.lexical` for every (query, candidate) of the three title tracks
(cached in ``/tmp/explore_lexical.pkl``; delete it after changing the scorer), then, per candidate
column, test and dev nDCG@10 / AUC of the raw model fitted on the two other tracks' dev split
(top-1000 two-stage fit, as ``fit_title_model.py``). ``A+B`` adds several columns, ``-tok`` drops a
base one; ``--paired`` prints per-query paired differences with a 95 % bootstrap interval. Exits 0
when the benchmark is absent.

Measured (scorer 3.3.1 base: test onet / esco_jobbert / groups 0.812 / 0.864 / 0.660, dev 0.776 /
0.846 / 0.619): ``cosmean`` (cosine to the background centroid, shipped as ``hub``) 0.810 / 0.865 /
0.668, dev 0.791 / 0.855 / 0.621; char n-gram cosine ``chr3`` 0.802 / 0.875 / 0.660 (dev 0.746 /
0.846 / 0.619), ``chr34`` 0.798 / 0.871 / 0.660, ``chr4`` 0.796 / 0.869 / 0.660, ``chr3idf`` (IDF
from the background titles) 0.804 / 0.874 / 0.662 (dev all down), all with a negative weight;
CSLS top-k hubness ``hub5/10/30`` 0.814-0.818 / 0.868-0.869 / 0.643-0.645 (groups down), ``csls10``
0.811 / 0.873 / 0.647; centred cosine ``ccvar`` 0.809 / 0.859 / 0.658; centroid projected out
``projvar`` 0.806 / 0.859 / 0.660 (with cosmean 0.808 / 0.881 / 0.669, onet down); target-side
correction ``tcorr1`` 0.811 / 0.860 / 0.661; ``extra`` / ``missing`` word shares 0.814 / 0.850 /
0.658 and 0.798 / 0.864 / 0.647; centroids of smaller backgrounds (role nouns only 0.820 / 0.860 /
0.660, one head noun per role kind 0.808 / 0.870 / 0.667, eight common role nouns 0.810 / 0.873 /
0.657: the groups track moves +-0.006 with the choice, so the full background was kept).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from fit_title_model import TRACKS, evaluate, fit_logistic, stack  # noqa: E402

BASE = ("cvar", "ccen", "fun", "lv", "tok")


def collect(bench: Path):
    """``{(track, split): [dict(X, rels, titles, C, prep), ...]}``."""
    from bench_matching import lead_of, load_tracks
    from icp_engine.cli import _profile_from_json
    from icp_engine.domain import ICP
    from icp_engine.embeddings.local import WordLlamaEmbedder
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
                X = tm.features(C, titles, prep.tset)
                qr = tracks[track]["qrels"].get(q["qid"], {})
                rows.append({"X": X[:, [tm.FEATURES.index(f) for f in BASE]],
                             "rels": np.array([qr.get(c["pid"], 0) for c in cands]),
                             "titles": titles, "C": C, "prep": prep})
            out[(track, split)] = rows
    return out, scorer


def table(data, extra: dict, name: str, drop: tuple[str, ...] = ()) -> str:
    """One line: LOTO test and dev nDCG@10 / AUC per track with base (minus ``drop``) + ``extra``
    columns."""
    d2 = {}
    for key, rows in data.items():
        d2[key] = [(np.hstack([r["X"]] + [e[key][i][:, None] for e in extra.values()]), r["rels"])
                   for i, r in enumerate(rows)]
    cols = [i for i, f in enumerate(BASE) if f not in drop] + list(range(len(BASE), len(BASE) + len(extra)))
    cells = []
    fits = {t: fit_logistic(*stack(d2, [x for x in TRACKS if x != t], "dev", cols, 0.0, 1000)) for t in TRACKS}
    for split in ("test", "dev"):
        for t in TRACKS:
            n, a = evaluate(d2, t, split, cols, *fits[t])
            cells.append(f"{n:.3f}/{a:.3f}")
    c2, b2 = fit_logistic(*stack(d2, list(TRACKS), "dev", cols, 0.0, 1000))
    return f"| {name} | " + " | ".join(cells) + f" | {np.round(c2[len(BASE) - len(drop):], 2).tolist()} |"


def paired(data, extra: dict, name: str, boots: int = 2000) -> str:
    """Per left-out track and split: mean per-query nDCG@10 difference (base + ``extra`` minus
    base), queries up / down, and a 95 % paired bootstrap interval over queries (seed 0)."""
    from icp_engine.evals import ndcg_at_k

    def per_query(ex):
        d2 = {key: [(np.hstack([r["X"]] + [e[key][i][:, None] for e in ex.values()]), r["rels"])
                    for i, r in enumerate(rows)] for key, rows in data.items()}
        cols = list(range(len(BASE) + len(ex)))
        out = {}
        for t in TRACKS:
            c, b = fit_logistic(*stack(d2, [x for x in TRACKS if x != t], "dev", cols, 0.0, 1000))
            for split in ("test", "dev"):
                out[(t, split)] = np.array([ndcg_at_k(X[:, cols] @ c + b, r, 10) for X, r in d2[(t, split)]])
        return out

    a, b = per_query({}), per_query(extra)
    rng = np.random.default_rng(0)
    cells = []
    for key in a:
        d = b[key] - a[key]
        bs = [d[rng.integers(0, len(d), len(d))].mean() for _ in range(boots)]
        cells.append(f"{key[0]} {key[1]}: {d.mean():+.3f} [{np.percentile(bs, 2.5):+.3f}, {np.percentile(bs, 97.5):+.3f}] "
                     f"up {int((d > 1e-9).sum())} / down {int((d < -1e-9).sum())}")
    return f"{name}: " + "; ".join(cells)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", default=str(ROOT.parent / "shared" / "bench"))
    ap.add_argument("--only", default="")
    ap.add_argument("--paired", action="store_true", help="per-query paired bootstrap vs base for --only")
    args = ap.parse_args(argv)
    bench = Path(args.bench)
    if not (bench / "queries.jsonl").is_file():
        print(f"benchmark folder {bench} not found: skipping")
        return 0
    from icp_engine.scoring import lexical as lx
    from icp_engine.scoring.titles import normalize_title

    import pickle

    cache = Path("/tmp/explore_lexical.pkl")
    if cache.is_file():
        data, Bv = pickle.loads(cache.read_bytes())
    else:
        data, scorer = collect(bench)
        for rows in data.values():
            for r in rows:
                p = r.pop("prep")
                r["targets"], r["variants"], r["V"], r["T"] = p.targets, p.variants, p.tset.V, p.tset.T
        Bv = lx.background_vectors(scorer.backbone)
        from icp_engine.scoring.lexical import _BG_ROLES
        extra = np.asarray(scorer.backbone.embed([normalize_title(r) for r in _BG_ROLES]))
        Bv = (Bv, extra)
        cache.write_bytes(pickle.dumps((data, Bv)))
    Bv, role_vecs = Bv

    def scorer_embed(_texts):
        return role_vecs

    print("background titles:", len(Bv))

    def per_row(fn):
        return {key: [fn(r) for r in rows] for key, rows in data.items()}

    def grams(r, sizes):
        return [lx.char_ngrams(t, sizes) for t in dict.fromkeys(r["targets"] + r["variants"])]

    cands = {}
    cands["chr34"] = lambda: per_row(lambda r: np.array([lx.ngram_similarity(t, g, (3, 4)) for g in [grams(r, (3, 4))] for t in r["titles"]]))
    cands["chr3"] = lambda: per_row(lambda r: np.array([lx.ngram_similarity(t, g, (3,)) for g in [grams(r, (3,))] for t in r["titles"]]))
    cands["chr4"] = lambda: per_row(lambda r: np.array([lx.ngram_similarity(t, g, (4,)) for g in [grams(r, (4,))] for t in r["titles"]]))
    for k in (5, 10, 30):
        cands[f"hub{k}"] = (lambda k=k: per_row(lambda r: lx.hubness(r["C"], Bv, k)))
        cands[f"cvar-hub{k}"] = (lambda k=k: per_row(lambda r: r["X"][:, 0] - lx.hubness(r["C"], Bv, k)))

    def csls(r, k):
        V = r["V"]
        rv = lx.hubness(V, Bv, k)
        return (2 * (r["C"] @ V.T) - rv[None, :]).max(axis=1) - lx.hubness(r["C"], Bv, k)

    cands["csls10"] = lambda: per_row(lambda r: csls(r, 10))
    gmean = Bv.mean(axis=0)
    gmean = gmean / np.linalg.norm(gmean)
    cands["cosmean"] = lambda: per_row(lambda r: r["C"] @ gmean)
    roles = np.asarray(scorer_embed([normalize_title(r) for r in lx._BG_ROLES]))
    rmean = roles.mean(axis=0)
    rmean = rmean / np.linalg.norm(rmean)
    cands["cosrole"] = lambda: per_row(lambda r: r["C"] @ rmean)

    def centered(r, mu):
        Cc = r["C"] - mu
        Cc = Cc / np.linalg.norm(Cc, axis=1, keepdims=True)
        Vc = r["V"] - mu
        Vc = Vc / np.linalg.norm(Vc, axis=1, keepdims=True)
        return (Cc @ Vc.T).max(axis=1)

    mu = Bv.mean(axis=0)
    from icp_engine.scoring.titles import ROLE_KINDS

    nr = len(lx._BG_ROLES)
    heads = [lx._BG_ROLES.index(ws[0]) for ws in ROLE_KINDS.values() if ws[0] in lx._BG_ROLES]

    def unit(v):
        return v / np.linalg.norm(v)

    sub_heads = unit(Bv[[f * nr + r for f in range(len(Bv) // nr) for r in heads]].mean(axis=0))
    sub_mgr = unit(Bv[[f * nr + lx._BG_ROLES.index(w) for f in range(len(Bv) // nr)
                       for w in ("manager", "director", "specialist", "analyst", "assistant", "engineer", "consultant", "coordinator")]].mean(axis=0))
    cands["cosmean_heads"] = lambda: per_row(lambda r: r["C"] @ sub_heads)
    cands["cosmean_8"] = lambda: per_row(lambda r: r["C"] @ sub_mgr)
    def tcorr(r, a):
        vh = r["V"] @ gmean
        return (r["C"] @ r["V"].T - a * vh[None, :]).max(axis=1)

    cands["tcorr0.5"] = lambda: per_row(lambda r: tcorr(r, 0.5))
    cands["tcorr1"] = lambda: per_row(lambda r: tcorr(r, 1.0))
    from icp_engine.scoring.title_model import content_words

    def asym(r, which):
        cs = [content_words(t) for t in dict.fromkeys(r["targets"] + r["variants"])]
        cs = [c for c in cs if c]
        out = np.zeros(len(r["titles"]))
        if not cs:
            return out + 0.5
        for i, t in enumerate(r["titles"]):
            m = content_words(t)
            if which == "extra":
                out[i] = min(len(m - c) / len(m) for c in cs) if m else 0.0
            else:
                out[i] = min(len(c - m) / len(c) for c in cs)
        return out

    cands["extra"] = lambda: per_row(lambda r: asym(r, "extra"))
    cands["missing"] = lambda: per_row(lambda r: asym(r, "missing"))
    import math
    from collections import Counter

    df = Counter(g for t in lx.background_titles() for g in lx.char_ngrams(t, (3,)))
    nb = len(lx.background_titles())

    def idf(g):
        return math.log((nb + 1) / (df.get(g, 0) + 1)) + 1.0

    def tfidf_sim(r):
        tg = []
        for t in dict.fromkeys(r["targets"] + r["variants"]):
            g = lx.char_ngrams(t, (3,))
            w = {x: idf(x) for x in g}
            tg.append((w, math.sqrt(sum(v * v for v in w.values())) or 1.0))
        out = np.zeros(len(r["titles"]))
        for i, t in enumerate(r["titles"]):
            g = lx.char_ngrams(t, (3,))
            if not g:
                continue
            w = {x: idf(x) for x in g}
            nrm = math.sqrt(sum(v * v for v in w.values()))
            out[i] = max((sum(w[x] * tw[x] for x in g if x in tw) / (nrm * tn) for tw, tn in tg), default=0.0)
        return out

    cands["chr3idf"] = lambda: per_row(tfidf_sim)
    def proj(r, a=1.0):
        def rm(M):
            M = M - a * (M @ gmean)[:, None] * gmean[None, :]
            return M / np.linalg.norm(M, axis=1, keepdims=True)
        return (rm(r["C"]) @ rm(r["V"]).T).max(axis=1)

    cands["projvar"] = lambda: per_row(proj)
    cands["projvar.5"] = lambda: per_row(lambda r: proj(r, 0.5))
    cands["cvarXcosmean"] = lambda: per_row(lambda r: r["X"][:, 0] * (r["C"] @ gmean))
    cands["ccvar"] = lambda: per_row(lambda r: centered(r, mu))
    cands["ccvar_half"] = lambda: per_row(lambda r: centered(r, 0.5 * mu))
    only = [x for x in args.only.split(",") if x]
    hdr = " | ".join(f"{s} {t}" for s in ("test", "dev") for t in TRACKS)
    print(f"| feature | {hdr} | weight (all dev) |\n|---" * 1 + "|---" * 7 + "|")
    print(table(data, {}, "base"), flush=True)
    if args.paired:
        for name in only:
            print(paired(data, {n: cands[n]() for n in name.split("+")}, name), flush=True)
        return 0
    for name, fn in cands.items():
        if only and name not in only:
            continue
        print(table(data, {name: fn()}, name), flush=True)
    for combo in [x for x in only if "+" in x or x.startswith("-")]:
        names = [n for n in combo.split("+") if n and not n.startswith("-")]
        drop = tuple(n[1:] for n in combo.split("+") if n.startswith("-"))
        print(table(data, {n: cands[n]() for n in names}, combo, drop), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
