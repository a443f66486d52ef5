"""Templates / instructions around titles before the title backbone embeds them (issue 9).

Usage::

    python benchmarks/bench_prompts.py [--bench DIR] [--variants bare,bgeq,jobtitle]
        [--symmetric] [--pipeline] [--int8-check]

Each variant is a text template with ``{}`` for the normalised title (:data:`VARIANTS`). By
default only the ICP side (target titles and their expansions, embedded in ``Scorer._prepare``)
is templated and lead titles stay bare; ``--symmetric`` templates the lead titles too (and the
background titles of the ``hub`` centroid, recomputed in-process). The template is applied by
patching the scorer in this process only (every Scorer's title backbone is wrapped; inside
``Scorer._prepare`` it formats texts with the ICP template, elsewhere with the lead template), so
the scorer's own feature code (:func:`title_model.features`) and ``fit_title_model.py``'s fit and
leave-one-track-out evaluation are used unchanged. Per variant it prints, per title track, cosine alone
(``cmax``, the max cosine to the targets, as ``fit_title_model.py`` prints it) and the raw title model fitted
leave-one-track-out (features ``cvar,ccen,fun,lv,tok,hub``, cvar / ccen tied), on the dev and the
test split of the left-out track (the fit always uses the dev split of the other two tracks);
``--pipeline`` adds the whole scorer's leave-one-track-out table (test and dev).
``--int8-check`` (then exits) compares, per single-template variant, the static-INT8 backbone's vectors of templated ICP
titles with the fp32 (dequantised) graph's: the INT8 activation ranges
(:mod:`icp_engine.embeddings.bge_ranges`) were calibrated on bare titles.

``--symmetric`` templates both sides; ``--mapped L`` keeps lead titles bare but passes their
vectors through a ridge map (penalty ``L``, toward the identity) to the templated vectors, fitted
on the package's background titles (no benchmark title, no label); ``--combine`` adds the
templated view as a second cvar / ccen pair; ``--speed R`` times ``bench_scoring_speed.py
--sizes 10000`` in-process, bare and each variant, ``R`` interleaved rounds; ``--full V`` refits on
all three dev tracks in memory and runs ``bench_matching`` (test, dev) and ``bench_followers
--sample`` for one variant.

Measured (Dec 2, scorer 3.5.0, load 3-8 with two other helpers; nDCG@10, "/ x" = AUC).
Bare (main f563ad5): cosine alone test 0.758 / 0.829 / 0.627 (onet / esco_jobbert / groups), dev
0.753 / 0.824 / 0.592; raw LOTO test 0.811 / 0.874 / 0.675 (AUC 0.962 / 0.934 / 0.899), dev 0.790 /
0.868 / 0.622; whole scorer LOTO test 0.810 / 0.891 / 0.685, dev 0.792 / 0.888 / 0.624.

ICP side only (raw LOTO test | dev): bgeq 0.802 / 0.866 / 0.669 | 0.781 / 0.857 / 0.615 (cosine
alone test 0.762 / 0.837 / 0.637: the instruction helps the cosine a little, the fitted model
not); occ 0.773 / 0.865 / 0.660 | 0.738 / 0.848 / 0.605; jobtitle 0.802 / 0.863 / 0.684 | 0.770 /
0.865 / 0.620; iwork 0.796 / 0.889 / 0.666 | 0.777 / 0.845 / 0.621; paren 0.801 / 0.876 / 0.679 |
0.777 / 0.871 / 0.625; a 0.800 / 0.868 / 0.678 | 0.790 / 0.851 / 0.628; ensembles (unit mean
over templates) ens_bq 0.802 / 0.873 / 0.677 | 0.787 / 0.869 / 0.619, ens_tpl 0.801 / 0.876 /
0.679 | 0.787 / 0.853 / 0.632, ens_all 0.808 / 0.875 / 0.678 | 0.784 / 0.861 / 0.625 (cosine alone
test 0.769 / 0.827 / 0.638); hub centroid under the ICP template (``--hub-icp``): paren 0.813 /
0.882 / 0.678 | 0.783 / 0.873 / 0.624, a 0.804 / 0.871 / 0.683 | 0.792 / 0.859 / 0.628, bgeq and
ens_all lower; ``--combine`` (bare and templated pairs, tied or two columns): 0.798-0.808 on onet
test. Every ICP-side-only variant lowers onet left out (an asymmetric template moves the ICP
vectors off the lead titles' region; the fitted weights do not transfer).

Both sides (raw LOTO test | dev): bgeq 0.806 / 0.865 / 0.673 | 0.766 / 0.846 / 0.609; jobtitle
0.815 / 0.849 / 0.680 | 0.785 / 0.847 / 0.613; paren 0.817 / 0.858 / 0.679 | 0.785 / 0.869 / 0.630;
iwork 0.812 / 0.877 / 0.679 | 0.779 / 0.870 / 0.633; worka 0.821 / 0.870 / 0.674 | 0.782 / 0.868 /
0.622; asa 0.810 / 0.867 / 0.677 | 0.784 / 0.870 / 0.635; **a** ("a {}", one token) 0.814 /
0.890 / 0.686 (AUC 0.966 / 0.934 / 0.904) | 0.788 / 0.857 / 0.635. Whole scorer LOTO: iwork test
0.812 / 0.918 / 0.694, dev 0.790 / 0.897 / 0.638; a test 0.808 / 0.907 / 0.693 (AUC 0.967 / 0.930 /
0.901), dev 0.792 / 0.902 / 0.641. ``--full a --symmetric`` (weights refitted on all dev; shipped
3.5.0 in brackets): test onet 0.813 / 0.713 / 0.967 (0.813 / 0.706 / 0.963), esco_jobbert 0.912 /
0.881 / 0.933 (0.916 / 0.894 / 0.932), groups 0.691 / 0.639 / 0.902 (0.689 / 0.641 / 0.898); dev
nDCG 0.793 / 0.897 / 0.643 (0.793 / 0.903 / 0.631); calibration test >= 80: 261, 89.3 % rel 2, <
40: 1.15 %, dev 88.5 % / 1.11 %; follower pages title-only 0.913 / 0.923, with industries and
sizes 0.817 / 0.946; shared-sample checks pass. Speed (the blocker): CPU time to embed the 3,752
distinct titles of the 10k synthetic leads, 3 rounds, load ~7: bare 3.24 / 3.31 / 3.30 s, "a"
3.60 / 3.76 / 3.77 s (+12 %), iwork 5.11 / 5.30 / 5.08 s (+57 %); ``--speed`` 10k leads, interleaved,
load 5.9-6.7: bare 8.57 / 7.92 / 8.43 s, a 8.54 / 9.79 / 10.32 s; load 5.3-5.5: bare 7.21 / 6.98 s,
iwork 10.87 / 9.84 s. No symmetric template keeps today's 10k time.

INT8 calibration (``--int8-check``, static INT8 vs fp32 graph, mean / min cosine): ICP titles and
expansions (271) bare 0.9969 / 0.9942, bgeq 0.9955 / 0.9846, occ 0.9968, jobtitle 0.9969, iwork
0.9974, paren 0.9963, a 0.9971 / 0.9949; 1,000 pool titles bare 0.9969, bgeq 0.9959, a 0.9972,
iwork 0.9974: the ranges calibrated on bare titles hold for templated text (bgeq, the longest,
drifts most). Templated vectors stay bit-equal alone / in a batch (per text, same-length batches).

Exits 0 when the benchmark is absent. Nothing here names a benchmark title.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

#: name -> template (``{}`` = the normalised title). "bgeq" is the query instruction of the
#: bge-small-en-v1.5 model card (BAAI, "Represent this sentence for searching relevant passages: ").
VARIANTS: dict[str, str] = {
    "bare": "{}",
    "bgeq": "Represent this sentence for searching relevant passages: {}",
    "occ": "Represent this job title for finding people in the same occupation: {}",
    "jobtitle": "job title: {}",
    "iwork": "I work as a {}",
    "paren": "{} (occupation)",
    # shorter forms of "iwork" for the symmetric case (each added token costs lead-side time)
    "worka": "work as a {}",
    "asa": "as a {}",
    "a": "a {}",
}
#: Prompt ensembles (ICP side only: each template costs one more forward pass per ICP title,
#: nothing per lead): the unit mean of the vectors of the title under each template.
ENSEMBLES: dict[str, tuple[str, ...]] = {
    "ens_bq": ("bare", "bgeq"),
    "ens_tpl": ("bare", "jobtitle", "paren", "iwork"),
    "ens_all": ("bare", "bgeq", "jobtitle", "paren", "iwork"),
}


class Mapped:
    """Lead-side stand-in for a template at no extra tokens: the bare vector times a fixed
    ``(dim, dim)`` map ``M`` fitted by ridge regression (toward the identity) from bare to
    templated vectors of the package's own background titles (:func:`lexical.background_titles`;
    no benchmark title, no label), then L2-normalised. Per text, so batch-invariant."""

    def __init__(self, M: np.ndarray, label: str):
        self.M = M
        self.label = label

    def __repr__(self) -> str:
        return f"Mapped({self.label})"


def fit_map(template: str, lam: float) -> Mapped:
    """:class:`Mapped` for ``template``: ``M = (X'X + lam I)^-1 (X'Y + lam I)``, ``X`` / ``Y`` the bare /
    templated unit vectors of the background titles."""
    from icp_engine.scoring import lexical
    from icp_engine.scoring.backbone import title_backbone
    from icp_engine.scoring.titles import normalize_title

    bb = title_backbone()
    texts = [normalize_title(t) for t in lexical.background_titles()]
    X = np.asarray(bb.embed(texts), dtype=np.float64)
    Y = np.asarray(bb.embed([template.format(t) for t in texts]), dtype=np.float64)
    d = X.shape[1]
    M = np.linalg.solve(X.T @ X + lam * np.eye(d), X.T @ Y + lam * np.eye(d))
    return Mapped(M.astype(np.float32), f"{template!r}, lambda {lam}")


def template_of(name: str) -> Any:
    """A template string, or a tuple of them for an ensemble name."""
    return tuple(VARIANTS[v] for v in ENSEMBLES[name]) if name in ENSEMBLES else VARIANTS[name]


def apply_template(inner: Any, tpl: Any, texts: Sequence[str]) -> np.ndarray:
    """Embed ``texts`` under ``tpl`` (a template, a tuple: unit mean over the templates, or a
    :class:`Mapped`: bare vectors through its map)."""
    if isinstance(tpl, Mapped):
        v = np.asarray(inner.embed(list(texts)), dtype=np.float32) @ tpl.M
        n = np.linalg.norm(v, axis=1, keepdims=True)
        return (v / np.where(n > 0, n, 1.0)).astype(np.float32)
    tpls = tpl if isinstance(tpl, tuple) else (tpl,)
    acc = None
    for one in tpls:
        v = np.asarray(inner.embed([one.format(t) if t and t.strip() else "" for t in texts]), dtype=np.float64)
        acc = v if acc is None else acc + v
    assert acc is not None
    n = np.linalg.norm(acc, axis=1, keepdims=True)
    return (acc / np.where(n > 0, n, 1.0)).astype(np.float32)


class TemplatedEmbedder:
    """Embedder wrapper: ``embed(texts)`` embeds ``template.format(t)`` for each non-blank ``t``
    (blank texts stay blank: zero rows). ``name`` / ``dim`` as ``inner`` (benchmark use only)."""

    def __init__(self, inner: Any, template: Any):
        self.inner = inner
        self.template = template
        self.name = inner.name
        self.dim = inner.dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return apply_template(self.inner, self.template, texts)


class _Switch:
    """The backbone every Scorer of this process gets: applies ``lead`` (lead side, the
    default) or, inside ``Scorer._prepare``, ``icp``."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.current: Any = "{}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return apply_template(self.inner, self.current, texts)


_ORIG: dict[str, Any] = {}
_STATE: dict[str, Any] = {"icp": "{}", "lead": "{}", "switches": {}}


def install(icp_template: Any, lead_template: Any = "{}", hub_template: Any = None) -> None:
    """Patch the scorer (this process only) so the ICP side embeds ``icp_template`` and the lead
    side ``lead_template`` (``{}`` = bare); the ``hub`` centroid's background titles are embedded
    under ``hub_template`` (default: ``lead_template``)."""
    from icp_engine.scoring import lexical
    from icp_engine.scoring import scorer as sc
    from icp_engine.scoring.backbone import title_backbone

    if not _ORIG:
        _ORIG["prepare"] = sc.Scorer._prepare
        _ORIG["backbone"] = sc.title_backbone
        _ORIG["centroid"] = lexical.generic_centroid()
        prep0 = _ORIG["prepare"]

        def backbone(db: Any = None) -> _Switch:
            inner = _ORIG["backbone"](db)
            sw = _STATE["switches"].get(id(inner))
            if sw is None:
                sw = _STATE["switches"][id(inner)] = _Switch(inner)
            sw.current = _STATE["lead"]
            return sw

        def prepare(self, icp):
            sw = self.backbone
            sw.current = _STATE["icp"]
            try:
                return prep0(self, icp)
            finally:
                sw.current = _STATE["lead"]

        sc.title_backbone = backbone
        sc.Scorer._prepare = prepare  # type: ignore[method-assign]
    _STATE["icp"], _STATE["lead"] = icp_template, lead_template
    for sw in _STATE["switches"].values():
        sw.current = lead_template
    hub = lead_template if hub_template is None else hub_template
    lexical._centroid.clear()
    if hub == "{}":
        lexical._centroid.append(_ORIG["centroid"])
    else:
        lexical._centroid.append(lexical.compute_generic_centroid(TemplatedEmbedder(title_backbone(), hub)))


def uninstall() -> None:
    """Undo :func:`install` (the scorer, its backbone factory and the hub centroid as shipped)."""
    from icp_engine.scoring import lexical
    from icp_engine.scoring import scorer as sc

    if not _ORIG:
        return
    sc.Scorer._prepare = _ORIG["prepare"]  # type: ignore[method-assign]
    sc.title_backbone = _ORIG["backbone"]
    lexical._centroid.clear()
    lexical._centroid.append(_ORIG["centroid"])
    _ORIG.clear()
    _STATE.update(icp="{}", lead="{}", switches={})


def loto_table(data, tracks, cols, expand, top_k: int = 1000) -> dict[str, tuple[float, ...]]:
    """Per track: cosine alone (test, dev) and raw LOTO model (test, dev): nDCG@10 / AUC each."""
    import fit_title_model as ftm

    out = {}
    for t in tracks:
        c2, b2 = ftm.fit_logistic(*ftm.stack(data, [x for x in tracks if x != t], "dev", cols, 0.0, top_k))
        lt = ftm.evaluate(data, t, "test", cols, c2, b2)
        ld = ftm.evaluate(data, t, "dev", cols, c2, b2)
        ct = ftm.evaluate(data, t, "test", [0], np.array([1.0]), 0.0)
        cd = ftm.evaluate(data, t, "dev", [0], np.array([1.0]), 0.0)
        out[t] = (*ct, *cd, *lt, *ld)
    return out


def int8_check(templates: dict[str, str], titles: Sequence[str]) -> None:
    """Mean / min cosine between the static-INT8 and the fp32 graph's vectors of templated titles."""
    from icp_engine.embeddings.local import BgeSmallFp32Embedder, BgeSmallInt8Embedder

    q, f = BgeSmallInt8Embedder(), BgeSmallFp32Embedder()
    print("\n| variant | INT8 vs fp32 cosine: mean / min (n titles) |\n|---|---|")
    for name, tpl in templates.items():
        texts = [tpl.format(t) for t in titles]
        c = (q.embed(texts) * f.embed(texts)).sum(axis=1)
        print(f"| {name} | {c.mean():.4f} / {c.min():.4f} ({len(texts)}) |", flush=True)


def combine(bench: Path, names: Sequence[str], cols0: list[int], tied: list[int], nf: int) -> int:
    """Raw LOTO of the bare model with the variant's ICP-side cvar / ccen as a second view."""
    import fit_title_model as ftm

    install("{}", "{}")
    base = ftm.feature_sets(bench)
    print("\n| variant | mode | track | raw LOTO test | raw LOTO dev |\n|---|---|---|---|---|")
    for name in names:
        install(template_of(name), "{}")
        other = ftm.feature_sets(bench)
        for mode in ("tie4", "two"):
            data = {}
            for key, rows in base.items():
                out = []
                for (X, r), (X2, _r2) in zip(rows, other[key]):
                    b = X[:, tied].mean(axis=1, keepdims=True)
                    o = X2[:, tied].mean(axis=1, keepdims=True)
                    extra = [(b + o) / 2] if mode == "tie4" else [b, o]
                    out.append((np.hstack([X, *extra]), r))
                data[key] = out
            cols = cols0 + ([nf] if mode == "tie4" else [nf, nf + 1])
            for t in ftm.TRACKS:
                c2, b2 = ftm.fit_logistic(*ftm.stack(data, [x for x in ftm.TRACKS if x != t], "dev", cols, 0.0, 1000))
                lt = ftm.evaluate(data, t, "test", cols, c2, b2)
                ld = ftm.evaluate(data, t, "dev", cols, c2, b2)
                print(f"| {name} | {mode} | {t} | {lt[0]:.3f} / {lt[1]:.3f} | {ld[0]:.3f} / {ld[1]:.3f} | "
                      f"{np.round(c2[-2:], 2).tolist()}", flush=True)
    return 0


def full(bench: Path, name: str, symmetric: bool, hub_icp: bool, cols: list[int], tied: list[int], nf: int,
         mapped: str = "") -> int:
    """Whole-scorer benchmarks of one variant with weights refitted on all three dev tracks
    (``mapped``: one ridge penalty, lead side through :func:`fit_map`)."""
    import bench_followers
    import bench_matching
    import fit_title_model as ftm
    from icp_engine.scoring import title_model as tm

    tpl = template_of(name)
    if mapped:
        mp = fit_map(tpl, float(mapped))
        install(tpl, mp, mp)
    else:
        install(tpl, tpl if symmetric else "{}", tpl if hub_icp else None)
    data = ftm.feature_sets(bench)
    for rows in data.values():
        for k, (X, r) in enumerate(rows):
            rows[k] = (np.hstack([X, X[:, tied].mean(axis=1, keepdims=True)]), r)
    coef, b = ftm.fit_logistic(*ftm.stack(data, ftm.TRACKS, "dev", cols, 0.0, 1000))
    w = ftm.expander(nf, cols, tied)(coef)
    tm.WEIGHTS, tm.INTERCEPT = tuple(float(v) for v in w), float(b)
    print(f"{name} ({'both sides' if symmetric else 'ICP side'}): weights {np.round(w, 3).tolist()} intercept {b:.3f}",
          flush=True)
    for split in ("test", "dev"):
        bench_matching.main(["--bench", str(bench), "--split", split])
    bench_followers.main(["--sample"])
    return 0


def speed(names: Sequence[str], reps: int, symmetric: bool) -> int:
    """Interleaved 10k-lead timings (``bench_scoring_speed.py``) per variant, with the load average."""
    import os

    import bench_scoring_speed

    for rep in range(reps):
        for name in dict.fromkeys(["bare", *names]):
            tpl = template_of(name)
            install(tpl, tpl if symmetric else "{}")
            print(f"--- {name} ({'both sides' if symmetric else 'ICP side'}), round {rep + 1}, "
                  f"load {os.getloadavg()[0]:.2f}", flush=True)
            bench_scoring_speed.main(["--sizes", "10000"])
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", default=str(ROOT.parent / "shared" / "bench"))
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--symmetric", action="store_true", help="template the lead titles too")
    ap.add_argument("--pipeline", action="store_true", help="whole-scorer LOTO (test and dev) per variant")
    ap.add_argument("--int8-check", action="store_true")
    ap.add_argument("--hub-icp", action="store_true",
                    help="embed the hub centroid's background titles under the ICP template (not the lead's)")
    ap.add_argument("--speed", type=int, default=0, metavar="REPS",
                    help="time bench_scoring_speed.py --sizes 10000 in-process, bare and each variant "
                         "(lead side templated with --symmetric), REPS interleaved rounds; then exit")
    ap.add_argument("--full", default="", metavar="VARIANT",
                    help="what-if for one variant: fit on all three dev tracks (as fit_title_model.py --write "
                         "would, in memory only), then bench_matching test and dev, and bench_followers --sample")
    ap.add_argument("--mapped", default="", metavar="LAMBDAS",
                    help="ICP side templated for real, lead side (and hub centroid) bare vectors through a ridge map "
                         "to the templated ones, fitted on the background titles; e.g. 0.1,1")
    ap.add_argument("--combine", action="store_true",
                    help="keep the bare cvar / ccen and add the variant's (ICP side templated) as a second view: "
                         "all four tied, or the two pairs as two columns (raw model only)")
    args = ap.parse_args(argv)
    bench = Path(args.bench)
    if args.speed:
        return speed([v for v in args.variants.split(",") if v], args.speed, args.symmetric)
    if not (bench / "queries.jsonl").is_file():
        print(f"benchmark folder {bench} not found: skipping")
        return 0
    import fit_title_model as ftm
    from icp_engine.scoring import title_model as tm

    names = [v for v in args.variants.split(",") if v]
    TR = ftm.TRACKS
    if args.int8_check:
        from bench_matching import load_tracks
        from icp_engine.scoring.targets import expand_target
        from icp_engine.scoring.titles import normalize_title

        tracks = load_tracks(bench)
        icp_titles = list(dict.fromkeys(normalize_title(v) for tr in TR for q in tracks[tr]["queries"]
                                        for t in q["titles"] for v in [t, *expand_target(t)] if normalize_title(v)))
        pool = [normalize_title(c["title"]) for c in tracks["_pool"]["pool"][:2000] if c.get("title")]
        int8_check({n: VARIANTS[n] for n in names}, icp_titles)
        print("(lead-side sample, pool titles)")
        int8_check({n: VARIANTS[n] for n in names}, [p for p in pool if p][:1000])
        return 0
    cols0 = [tm.FEATURES.index(f) for f in ("fun", "lv", "tok", "hub")]
    tied = [tm.FEATURES.index("cvar"), tm.FEATURES.index("ccen")]
    nf = len(tm.FEATURES)
    cols = cols0 + [nf]
    expand = ftm.expander(nf, cols, tied)
    if args.combine:
        return combine(bench, names, cols0, tied, nf)
    if args.full:
        return full(bench, args.full, args.symmetric, args.hub_icp, cols0 + [nf], tied, nf, args.mapped)
    print("\n| variant | side | track | cos alone test | cos dev | raw LOTO test | raw LOTO dev |")
    print("|---|---|---|---|---|---|---|")
    runs: list[tuple[str, Any, Any, Any]] = []
    for name in names:
        tpl = template_of(name)
        if args.mapped:
            for lam in (float(x) for x in args.mapped.split(",")):
                mp = fit_map(tpl, lam)
                runs.append((f"{name} map {lam:g}", tpl, mp, mp))
        else:
            runs.append((name, tpl, tpl if args.symmetric else "{}", tpl if args.hub_icp else None))
    for name, tpl, lead_tpl, hub_tpl in runs:
        install(tpl, lead_tpl, hub_tpl)
        t0 = time.perf_counter()
        data = ftm.feature_sets(bench)
        for rows in data.values():
            for k, (X, r) in enumerate(rows):
                rows[k] = (np.hstack([X, X[:, tied].mean(axis=1, keepdims=True)]), r)
        res = loto_table(data, TR, cols, expand)
        side = "mapped" if args.mapped else ("both" if args.symmetric else "icp")
        for t in TR:
            v = res[t]
            print(f"| {name} | {side} | {t} | {v[0]:.3f} / {v[1]:.3f} | {v[2]:.3f} / {v[3]:.3f} | "
                  f"{v[4]:.3f} / {v[5]:.3f} | {v[6]:.3f} / {v[7]:.3f} |", flush=True)
        print(f"  ({time.perf_counter() - t0:.0f} s)", flush=True)
        if args.pipeline:
            for split in ("test", "dev"):
                print(f"  whole scorer, {name}, {split}:")
                ftm.pipeline_loto(bench, data, cols, 0.0, 1000, split, expand)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
