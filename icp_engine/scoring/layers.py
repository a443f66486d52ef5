"""A second title view from the same bge-small forward pass: mean pooling of the last layer.

The title backbone (:class:`icp_engine.embeddings.local.BgeSmallInt8Embedder`) keeps the
``[CLS]`` row of bge-small's last hidden state. The same output, ``(batch, seq, 384)``, also holds
one row per word piece; their mean (the ``[CLS]`` and ``[SEP]`` rows left out), L2-normalised, is
a second view of the title at no extra forward pass: ``[CLS]`` is what bge-small was trained to
pool, the mean weights every word of the title equally (more lexical: "Market Research Analyst"
and "Economic Research Analyst" differ in one of three words, not in one direction of the
summary).

:class:`BackbonePass` runs the static-INT8 graph once per text and returns both views;
:func:`shared_pass` is the per-process instance the title backbone (:mod:`backbone`) and
:func:`view_backbone` share, so a text goes through the network once whichever of the two asks
first. The view is cached per text in Postgres like the backbone (``text_embeddings``, model name
:data:`VIEW_NAME`). Batches hold texts of the same token length only (no padding), so the mean
is over the text's own tokens and a vector never depends on its batch-mates.

In the title model the view is fused into the tied title cosine: ``lvar`` / ``lcen`` are ``cvar``
/ ``ccen`` computed on the normalised concatenation of the two views (each cosine the mean of the
``[CLS]`` cosine and the mean-pooled cosine), see :func:`view_columns`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

__all__ = ["VIEW_NAME", "BackbonePass", "ViewTargets", "attach_view", "shared_pass", "view_backbone",
           "view_columns"]

#: ``text_embeddings.model`` of the mean-pooled view (the [CLS] view keeps the backbone's name).
VIEW_NAME = "bge-small-en-int8s-meanx-384"

_lock = threading.Lock()
_shared: dict[str, Any] = {}


def mean_pool(hidden: np.ndarray) -> np.ndarray:
    """Mean over the token axis of ``hidden`` ``(batch, seq, dim)`` without the first (``[CLS]``)
    and last (``[SEP]``) rows (all rows when ``seq`` <= 2); ``(batch, dim)`` float32, not normalised."""
    h = hidden[:, 1:-1, :] if hidden.shape[1] > 2 else hidden
    return h.mean(axis=1).astype(np.float32)


class _Ids:
    """Token ids of one text (the ``.ids`` of a ``tokenizers.Encoding``)."""

    def __init__(self, ids: list[int]):
        self.ids = ids


class _View:
    """One view of a :class:`BackbonePass` as an embedder (``name``, ``dim``, ``embed``)."""

    def __init__(self, owner: BackbonePass, which: int, name: str):
        self._owner, self._which, self.name, self.dim = owner, which, name, owner.dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self._owner.take(texts, self._which)

    def __repr__(self) -> str:
        return f"BackbonePass view {self.name!r}"


class BackbonePass:
    """bge-small static INT8, one forward pass per text, two pooled views.

    ``embed_both(texts)`` -> ``(cls, meanx)``, each float32 ``(n, 384)`` L2-normalised, zero rows
    for blank texts: ``cls`` is bit-equal to :class:`BgeSmallInt8Embedder`'s vectors (same graph,
    same session, same batching); ``meanx`` is :func:`mean_pool` of the same output. ``cls`` and
    ``view`` are embedder facades (``cls.name`` ``"bge-small-en-int8s-384"``, ``view.name``
    :data:`VIEW_NAME`), each normally behind its own memo / Postgres cache. A forward pass
    requested by one facade keeps the *other* view's vectors until that facade takes them (at
    most ``max_items`` texts, oldest dropped first; a dropped or already taken vector is computed
    again on request, with the same value), so the scorer runs each text through the network
    once and no vector is held twice for long. Thread-safe.
    Raises :class:`icp_engine.embeddings.local.ModelNotAvailableError` when the model files are missing.
    """

    dim = 384

    def __init__(self, max_items: int = 50_000, batch_size: int = 64, template: Any = None):
        from ..embeddings.local import BgeSmallInt8Embedder
        from .prompts import active

        self._model = BgeSmallInt8Embedder(batch_size=batch_size)
        self.max_items = max_items
        self._memo: OrderedDict[str, list[Any]] = OrderedDict()  # pending [cls, view] (None = taken)
        self._mlock = threading.Lock()
        self.template = active() if template is None else template  # prompts.TitleTemplate
        self._span = self.template.span(self._model._tok)
        sfx = self.template.suffix()
        self.cls = _View(self, 0, self._model.name + sfx)
        self.view = _View(self, 1, VIEW_NAME + sfx)

    def _forward(self, texts: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        from ..embeddings.local import l2_normalise

        m = self._model
        tpl = self.template
        encs = m._tok.encode_batch(texts if tpl.bare else [tpl.apply(t) for t in texts])
        p, s = self._span if tpl.pool == "title" else (0, 0)
        s += 0 if tpl.drop_sep else 1  # rows after the pooled ones: template suffix (title pooling), [SEP]
        if tpl.drop_sep:  # the template's token takes the closing [SEP]'s place (bare length)
            encs = [_Ids(e.ids[:-1]) for e in encs]
        by_len: dict[int, list[int]] = {}
        for k, e in enumerate(encs):
            by_len.setdefault(len(e.ids), []).append(k)
        cls = np.zeros((len(texts), self.dim), np.float32)
        mx = np.zeros((len(texts), self.dim), np.float32)
        for _n, ks in sorted(by_len.items()):
            for start in range(0, len(ks), m.batch_size):
                chunk = ks[start:start + m.batch_size]
                ids = np.array([encs[k].ids for k in chunk], dtype=np.int64)
                feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
                feeds = {k: v for k, v in feeds.items() if k in m._input_names}
                hidden = m._session.run(None, feeds)[0]
                cls[chunk] = hidden[:, 0, :]
                if tpl.bare:
                    mx[chunk] = mean_pool(hidden)
                else:  # rows 1 + p .. n - s: the title's word pieces (title pooling) or all but the specials
                    mx[chunk] = hidden[:, 1 + p:hidden.shape[1] - s, :].mean(axis=1)
        cls, mx = l2_normalise(cls), l2_normalise(mx)
        return {t: (cls[i], mx[i]) for i, t in enumerate(texts)}

    def embed_both(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Both views of ``texts``, computed now (the pending vectors are neither read nor changed)."""
        texts = [t if isinstance(t, str) else ("" if t is None else str(t)) for t in texts]
        uniq = [t for t in dict.fromkeys(texts) if t.strip()]
        got = self._forward(uniq) if uniq else {}
        return self._rows(texts, got, 0), self._rows(texts, got, 1)

    def take(self, texts: Sequence[str], which: int) -> np.ndarray:
        """One view (0 = [CLS], 1 = mean-pooled) of ``texts``, ``(n, 384)``: pending vectors of that
        view are handed over (and dropped here); the rest are computed, and their *other* view is
        kept pending for the other facade."""
        texts = [t if isinstance(t, str) else ("" if t is None else str(t)) for t in texts]
        uniq = [t for t in dict.fromkeys(texts) if t.strip()]
        other = 1 - which
        got: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        with self._mlock:
            for t in uniq:
                e = self._memo.get(t)
                if e is not None and e[which] is not None:
                    v = e[which]
                    got[t] = (v, v)  # only index ``which`` is read
                    e[which] = None
                    if e[other] is None:
                        del self._memo[t]
        miss = [t for t in uniq if t not in got]
        fresh = self._forward(miss) if miss else {}
        with self._mlock:
            for t, v in fresh.items():
                e = self._memo.setdefault(t, [None, None])
                e[other] = v[other]
            while len(self._memo) > self.max_items:
                self._memo.popitem(last=False)
        got.update(fresh)
        return self._rows(texts, got, which)

    def _rows(self, texts: list[str], got: dict[str, tuple[np.ndarray, np.ndarray]], which: int) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, t in enumerate(texts):
            r = got.get(t)
            if r is not None:
                out[i] = r[which]
        return out


def shared_pass() -> BackbonePass:
    """The per-process :class:`BackbonePass` (loaded once; ~1-2 s the first time)."""
    with _lock:
        got = _shared.get("_pass")
        if got is None:
            got = BackbonePass()
            _shared["_pass"] = got
    return got


def view_backbone(db: Any = None) -> Any:
    """The mean-pooled view as an embedder (``name`` :data:`VIEW_NAME`, ``dim`` 384), memoised per
    process and - with ``db`` (an :class:`icp_engine.storage.Database`) - cached in Postgres
    (``text_embeddings``) like :func:`backbone.title_backbone`."""
    from .backbone import MemoEmbedder

    key = f"db:{id(db):x}" if db is not None else "memory"
    with _lock:
        got = _shared.get(key)
    if got is None:
        inner: Any = shared_pass().view
        if db is not None:
            from ..embeddings.cache import CachedEmbedder

            inner = CachedEmbedder(inner, db, lru_size=0)
        with _lock:
            got = _shared.setdefault(key, MemoEmbedder(inner))
    return got


@dataclass
class ViewTargets:
    """The ICP side under the view: unit vectors of the expansions ``V`` ``(n_variants, 384)``,
    the unit centroid of the targets ``cen`` ``(384,)``, and the embedder for lead titles."""

    V: np.ndarray
    cen: np.ndarray
    embedder: Any


def attach_view(tset: Any, t_norm: Sequence[str], v_norm: Sequence[str], db: Any = None) -> None:
    """Set ``tset.view`` (:class:`ViewTargets`) for the normalised target titles ``t_norm`` and
    expansions ``v_norm`` (as :meth:`Scorer._prepare` embeds them)."""
    emb = view_backbone(db)
    T = np.asarray(emb.embed(list(t_norm)), dtype=np.float32)
    V = np.asarray(emb.embed(list(v_norm)), dtype=np.float32)
    cen = T.mean(axis=0) if len(T) else np.zeros(384, np.float32)
    n = float(np.linalg.norm(cen))
    tset.view = ViewTargets(V, (cen / n if n > 0 else cen).astype(np.float32), emb)


def view_columns(C: np.ndarray, norms: Sequence[str], ts: Any) -> np.ndarray:
    """``(n, 2)`` float64: ``lvar``, ``lcen`` for lead titles with backbone vectors ``C`` ``(n,
    384)`` and normalised texts ``norms`` against a target set ``ts`` (``ts.V``, ``ts.cen`` of the
    backbone, ``ts.view`` of the mean-pooled view): ``lvar`` = max over the expansions of the mean
    of the two views' cosines, ``lcen`` = mean of the two views' cosines to their target
    centroids; in [-1, 1]. Without ``ts.view`` (no target titles) both are 0."""
    out = np.zeros((len(norms), 2), dtype=np.float64)
    tv = getattr(ts, "view", None)
    if tv is None or not len(norms) or not len(tv.V):
        return out
    M = np.asarray(tv.embedder.embed(list(norms)), dtype=np.float32)
    out[:, 0] = (0.5 * (C @ ts.V.T + M @ tv.V.T)).max(axis=1)
    out[:, 1] = 0.5 * (C @ ts.cen + M @ tv.cen)
    return out
