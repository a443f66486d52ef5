"""Inputs of the learned model: review labels and per-lead features.

* :class:`Label` - one keep / trash verdict by one reviewer, with the ICP version it was given
  under and the review queue it came from (:data:`QUEUES`).
* :class:`LeadFeatures` - for ``m`` leads: the frozen whole-profile embedding (the text of
  :func:`icp_engine.pipeline.profile_text`, embedded by the project's embedder), the static
  P(keep) (``icp_score / 100``) and the scorer's per-criterion evidence
  (``ScoreResult.components``).
* :class:`EvidenceEncoder` - turns the components dicts into a numeric matrix without knowing the
  scorer's keys: numbers and booleans are features, ``None`` is *unknown* (value 0 after
  standardising plus a missing-indicator column), non-empty strings are a presence indicator.
  Keys are whatever the labelled leads carry, so the encoder survives a scorer rewrite.
* :func:`aggregate_labels` - one training target per lead from all its current labels.

Exported leads are never positives: only explicit ``keep`` / ``trash`` labels become targets
(``skip`` and anything else is ignored, and a lead's status - e.g. exported - is never read).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..enums import ReviewQueue, values

__all__ = [
    "Label",
    "QUEUES",
    "UNBIASED_QUEUES",
    "LeadFeatures",
    "EvidenceEncoder",
    "AggregatedLabels",
    "aggregate_labels",
    "labels_from_rows",
    "fine_static_prob",
    "word_vectors",
]

#: Where a label came from. ``random``: the default review queue (seeded random order, never
#: sorted by score - an unbiased sample of the client's leads). ``informative``: the optional
#: "most informative next" queue (:func:`icp_engine.learning.active.informative_order`) - chosen
#: by the model, so *not* a random sample. ``import``: ``feedback import`` of a CSV; treated as
#: unbiased (the import door is for a sample reviewed outside the tool, not a hand-picked list).
QUEUES: tuple[str, ...] = values(ReviewQueue)
#: Queues whose labels may be used to *measure* the model (validation, calibration check). Labels
#: of every queue are used to *train* it (a Bayesian posterior is valid under any design that
#: depends only on what was observed; a metric is not).
UNBIASED_QUEUES: tuple[str, ...] = ("random", "import")

#: Weight of a label given under an earlier ICP version than the current one (1.0 for the current).
OLD_VERSION_WEIGHT = 0.5


@dataclass(frozen=True)
class Label:
    """One review verdict.

    ``lead_id``: the lead; ``label``: ``"keep"`` or ``"trash"`` (``"skip"`` and other values are
    ignored by the learner); ``reviewer``: who; ``icp_version``: id of the client's ICP version
    the label was given under (None = unknown, counted as the current one); ``queue``: one of
    :data:`QUEUES` (None or unknown values count as ``"random"``, what the dashboard has always
    served); ``created_at``: when.
    """

    lead_id: int
    label: str
    reviewer: str = ""
    icp_version: int | None = None
    queue: str | None = "random"
    created_at: datetime | None = None


def labels_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[Label]:
    """:class:`Label` objects from ``lead_feedback``-shaped rows.

    Each row needs ``lead_id`` and ``label``; optional ``reviewer``, ``icp_version_id`` (or
    ``icp_version``), ``queue``, ``created_at``. Rows with ``undone_at`` set are dropped, and so
    are labels other than keep / trash. A lead's ``status`` (e.g. ``exported``) is ignored on
    purpose: an export is not a judgement.
    """
    out: list[Label] = []
    for r in rows:
        if r.get("undone_at") is not None:
            continue
        lab = r.get("label")
        if lab not in ("keep", "trash"):
            continue
        ver = r.get("icp_version_id", r.get("icp_version"))
        out.append(Label(
            lead_id=int(r["lead_id"]), label=str(lab), reviewer=str(r.get("reviewer") or ""),
            icp_version=None if ver is None else int(ver), queue=r.get("queue") or "random",
            created_at=r.get("created_at"),
        ))
    return out


@dataclass
class AggregatedLabels:
    """One target per labelled lead, sorted by lead id.

    ``lead_ids`` (n,) int64; ``y`` (n,) 1.0 keep / 0.0 trash (majority of the lead's reviewers);
    ``weight`` (n,) in (0, 1]: the best ICP-version weight among the labels that agree with the
    majority; ``unbiased`` (n,) bool: at least one of the lead's labels came from an unbiased
    queue (:data:`UNBIASED_QUEUES`); ``conflicts``: leads dropped because their reviewers split
    evenly; ``multi``: leads with two or more reviewers; ``reviews``: keep/trash labels counted.
    """

    lead_ids: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    unbiased: np.ndarray
    conflicts: int = 0
    multi: int = 0
    reviews: int = 0
    conflict_ids: list[int] = field(default_factory=list)

    @property
    def n(self) -> int:
        return int(self.lead_ids.shape[0])


def aggregate_labels(labels: Sequence[Label], current_icp_version: int | None = None,
                     old_version_weight: float = OLD_VERSION_WEIGHT) -> AggregatedLabels:
    """Combine all labels of each lead into one target (majority vote, ties dropped).

    A label's weight is 1.0 when given under ``current_icp_version`` (or when either version is
    unknown) and ``old_version_weight`` when given under an earlier version (smaller id). When a
    reviewer labelled a lead several times, callers pass only the current label (the database
    marks superseded ones undone). Deterministic: the result does not depend on the order of
    ``labels``.
    """
    by_lead: dict[int, list[Label]] = {}
    reviews = 0
    for lab in labels:
        if lab.label not in ("keep", "trash"):
            continue
        reviews += 1
        by_lead.setdefault(int(lab.lead_id), []).append(lab)
    ids: list[int] = []
    ys: list[float] = []
    ws: list[float] = []
    ub: list[bool] = []
    conflicts: list[int] = []
    multi = 0
    for lid in sorted(by_lead):
        labs = by_lead[lid]
        if len({(lab.reviewer, lab.label) for lab in labs}) > 1:
            multi += 1
        keep = sum(1 for lab in labs if lab.label == "keep")
        trash = len(labs) - keep
        if keep == trash:
            conflicts.append(lid)
            continue
        y = 1.0 if keep > trash else 0.0
        agree = [lab for lab in labs if (lab.label == "keep") == (y == 1.0)]

        def wt(lab: Label) -> float:
            if current_icp_version is None or lab.icp_version is None or lab.icp_version >= current_icp_version:
                return 1.0
            return float(old_version_weight)

        ids.append(lid)
        ys.append(y)
        ws.append(max(wt(lab) for lab in agree))
        ub.append(any((lab.queue or "random") in UNBIASED_QUEUES or (lab.queue or "random") not in QUEUES
                      for lab in labs))
    return AggregatedLabels(
        lead_ids=np.asarray(ids, dtype=np.int64), y=np.asarray(ys, dtype=np.float64),
        weight=np.asarray(ws, dtype=np.float64), unbiased=np.asarray(ub, dtype=bool),
        conflicts=len(conflicts), multi=multi, reviews=reviews, conflict_ids=conflicts,
    )


#: Component keys holding the static probability at full precision (before the displayed score's
#: rounding and floor): ``p_keep`` (an unrounded calibrated P(keep), if the scorer provides it),
#: else ``stage1`` (today's scorer: the combined fit in 0-1 before exclusions and reranking,
#: used only where the displayed score sits at its floor).
FINE_KEYS: tuple[str, ...] = ("p_keep", "stage1")
#: Displayed scores at or below this (in 0-1) are the scorer's floor for non-excluded leads.
FLOOR_PROB = 0.0105


def fine_static_prob(icp_score: float, components: Mapping[str, Any] | None) -> float:
    """The static P(keep) at the finest precision the scorer exposes, in [0, 1].

    ``icp_score / 100`` is rounded to 0.1 points and floored at 1 point for every non-excluded
    lead (so three quarters of a page can tie at 1.0); the learner's prior mean needs the order
    inside those ties. Uses ``components["p_keep"]`` when numeric; else, for a non-excluded lead
    at the floor, ``min(icp_score / 100, components["stage1"])``; else ``icp_score / 100``.
    """
    p = max(0.0, min(1.0, float(icp_score) / 100.0))
    c = components or {}
    v = _as_number(c.get("p_keep"))
    if v is not None:
        return max(0.0, min(1.0, v))
    v = _as_number(c.get("stage1"))
    if v is not None and not c.get("excluded") and p <= FLOOR_PROB:
        return max(0.0, min(p, v))
    return p


def word_vectors(texts: Sequence[str], n_features: int = 2 ** 14):
    """L2-normalised bag-of-words vectors of ``texts`` (scipy CSR, shape (len, n_features)).

    scikit-learn's ``HashingVectorizer`` (word unigrams, lower-cased, non-negative): stateless, so a
    lead's vector never depends on the other leads. Empty texts give zero rows.
    """
    from sklearn.feature_extraction.text import HashingVectorizer

    hv = HashingVectorizer(n_features=n_features, analyzer="word", ngram_range=(1, 1), norm="l2",
                           alternate_sign=False, lowercase=True)
    return hv.transform([t or "" for t in texts]).tocsr()


@dataclass
class LeadFeatures:
    """Features of ``m`` leads (the client's scored leads, labelled or not).

    ``lead_ids`` (m,) int64, unique; ``embeddings`` (m, k) float32 L2-normalised whole-profile
    vectors (zero rows for leads with no text); ``static_prob`` (m,) the static P(keep) shown to
    the user, in [0, 1] (``icp_score / 100``; deltas are measured against it);
    ``components`` list of m dicts (``ScoreResult.components``, any keys); ``texts`` optional m
    whole-profile texts (word features; None = no word features); ``prior_prob`` optional (m,)
    static P(keep) at full precision (:func:`fine_static_prob`; default ``static_prob``), the
    prior mean of the learner. ``title_embeddings`` optional (m, k) L2-normalised vectors of each
    lead's title text (:func:`title_text`; zero rows without one) and ``title_keys`` optional m
    normalised title strings ("" = none): leads with the same title share a correction. Raises
    ``ValueError`` on mismatched lengths or duplicate ids.
    """

    lead_ids: np.ndarray
    embeddings: np.ndarray
    static_prob: np.ndarray
    components: list[Mapping[str, Any]]
    texts: list[str] | None = None
    # None = the static probability; always an (m,) array after __post_init__
    prior_prob: np.ndarray = None  # type: ignore[assignment]
    title_embeddings: np.ndarray | None = None
    title_keys: list[str] | None = None

    def __post_init__(self) -> None:
        self.lead_ids = np.asarray(self.lead_ids, dtype=np.int64)
        self.embeddings = np.asarray(self.embeddings, dtype=np.float32)
        self.static_prob = np.clip(np.asarray(self.static_prob, dtype=np.float64), 0.0, 1.0)
        self.prior_prob = (self.static_prob.copy() if self.prior_prob is None
                           else np.clip(np.asarray(self.prior_prob, dtype=np.float64), 0.0, 1.0))
        self.components = [dict(c or {}) for c in self.components]
        m = self.lead_ids.shape[0]
        if self.embeddings.ndim != 2 or self.embeddings.shape[0] != m or self.static_prob.shape != (m,) \
                or len(self.components) != m or self.prior_prob.shape != (m,) \
                or (self.texts is not None and len(self.texts) != m):
            raise ValueError("lead_ids, embeddings, static_prob, components (and texts, prior_prob) "
                             "must describe the same leads")
        if self.title_embeddings is not None:
            self.title_embeddings = np.asarray(self.title_embeddings, dtype=np.float32)
            if self.title_embeddings.ndim != 2 or self.title_embeddings.shape[0] != m:
                raise ValueError("title_embeddings must have one row per lead")
        if self.title_keys is not None and len(self.title_keys) != m:
            raise ValueError("title_keys must have one entry per lead")
        if len(np.unique(self.lead_ids)) != m:
            raise ValueError("lead_ids must be unique")
        self._pos = {int(x): i for i, x in enumerate(self.lead_ids)}
        self._words = None
        self._tids: np.ndarray | None = None

    @property
    def words(self):
        """Word vectors of ``texts`` (:func:`word_vectors`), computed once; None without texts."""
        if self.texts is None:
            return None
        if self._words is None:
            self._words = word_vectors(self.texts)
        return self._words

    @property
    def m(self) -> int:
        return int(self.lead_ids.shape[0])

    def index_of(self, lead_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Row index of each id (``KeyError`` for an unknown id)."""
        return np.asarray([self._pos[int(x)] for x in lead_ids], dtype=np.int64)

    def has(self, lead_id: int) -> bool:
        return int(lead_id) in self._pos

    def subset(self, idx: np.ndarray) -> LeadFeatures:
        """The leads at row indices ``idx`` (same order)."""
        idx = np.asarray(idx, dtype=np.int64)
        return LeadFeatures(self.lead_ids[idx], self.embeddings[idx], self.static_prob[idx],
                            [self.components[i] for i in idx],
                            None if self.texts is None else [self.texts[i] for i in idx],
                            self.prior_prob[idx],
                            None if self.title_embeddings is None else self.title_embeddings[idx],
                            None if self.title_keys is None else [self.title_keys[i] for i in idx])

    @property
    def title_ids(self) -> np.ndarray | None:
        """A stable integer per title key (blake2b, 63 bits; -1 = no title), shape (m,); None
        without ``title_keys``. Equal ids = equal titles."""
        if self.title_keys is None:
            return None
        if self._tids is None:
            import hashlib

            self._tids = np.asarray(
                [int.from_bytes(hashlib.blake2b(k.encode("utf-8"), digest_size=8).digest(), "big") >> 1 if k else -1
                 for k in self.title_keys], dtype=np.int64)
        return self._tids

    @classmethod
    def build(cls, lead_ids: Sequence[int], profiles: Sequence[Any], results: Sequence[Any],
              embedder: Any, *, vectors: Sequence[Any] | None = None, title_embedder: Any = None) -> LeadFeatures:
        """Features from profiles and their :class:`~icp_engine.domain.ScoreResult`.

        ``profiles``: :class:`~icp_engine.domain.Profile` objects (embedded through
        :func:`icp_engine.pipeline.profile_text`, the text the pipeline stores in
        ``lead_embeddings``); ``results``: score results in the same order (anything with
        ``icp_score`` 0-100 and ``components``); ``embedder``: an
        :class:`icp_engine.embeddings.Embedder` (use the pipeline's, so cached vectors are reused).
        ``vectors``: optional whole-profile vectors already stored (None entries are embedded);
        ``title_embedder``: embeds the title texts (:func:`title_text`, normalised like the
        scorer's titles by :func:`icp_engine.scoring.titles.normalize_title`, so the scorer's
        cached title-backbone vectors are reused; default ``embedder``).
        """
        from ..pipeline import profile_text
        from ..scoring.titles import normalize_title

        texts = [profile_text(p) for p in profiles]
        titles = [title_text(p) for p in profiles]
        if vectors is None:
            emb = _embed(embedder, texts)
        else:
            missing = [i for i, v in enumerate(vectors) if v is None]
            got = _embed(embedder, [texts[i] for i in missing]) if missing else None
            dim = next((len(v) for v in vectors if v is not None), None) or (got.shape[1] if got is not None else 0)
            emb = np.zeros((len(texts), dim), dtype=np.float32)
            for i, v in enumerate(vectors):
                if v is not None:
                    emb[i] = np.asarray(v, dtype=np.float32)
            if got is not None and got.shape[1] == dim:
                emb[missing] = got
            norms = np.linalg.norm(emb, axis=1, keepdims=True)
            emb = emb / np.where(norms > 0, norms, 1.0)
        return cls(np.asarray(lead_ids), emb, np.array([float(r.icp_score) / 100.0 for r in results]),
                   [r.components for r in results], texts,
                   np.array([fine_static_prob(r.icp_score, r.components) for r in results]),
                   _embed(title_embedder or embedder, [normalize_title(t) for t in titles]),
                   [title_key(t) for t in titles])


def _embed(embedder: Any, texts: Sequence[str]) -> np.ndarray:
    """Unit vectors of ``texts`` (zero rows for empty texts), float32 (n, dim)."""
    dim = int(getattr(embedder, "dim", 0) or 0)
    out = np.zeros((len(texts), dim), dtype=np.float32)
    todo = [i for i, t in enumerate(texts) if t and t.strip()]
    if todo:
        vecs = np.asarray(embedder.embed([texts[i] for i in todo]), dtype=np.float32)
        if out.shape[1] != vecs.shape[1]:
            out = np.zeros((len(texts), vecs.shape[1]), dtype=np.float32)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        out[todo] = vecs / np.where(norms > 0, norms, 1.0)
    return out


def title_text(p: Any) -> str:
    """A lead's title as the learner compares it: its current titles (``; ``-joined), else the
    headline up to its first separator (``|``, `` at ``, ``@``, ``,``); "" when neither exists."""
    titles = [t for t in (getattr(p, "titles", None) or []) if t and str(t).strip()]
    if titles:
        return "; ".join(str(t).strip() for t in titles)[:300]
    head = (getattr(p, "headline", None) or "").strip()
    if not head or head == "--":
        return ""
    import re

    return re.split(r"\s\|\s|\s@\s|\sat\s|,\s", head, maxsplit=1)[0].strip()[:300]


def title_key(text: str) -> str:
    """Normalised title for "same title" (lower case, single spaces, accents and punctuation
    around words kept); "" for no title."""
    return " ".join((text or "").lower().split())


def _as_number(v: Any) -> float | None:
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float, np.integer, np.floating)):
        x = float(v)
        return x if math.isfinite(x) else None
    return None


#: A string (or list item) key with at most this many distinct values among the labelled leads is
#: one-hot encoded (``key=value`` columns); with more it is only a "present" indicator.
MAX_CATEGORIES = 24
#: Nested dicts are flattened to ``key.sub`` (one level deeper at most).
_MAX_DEPTH = 2


def flatten_components(c: Mapping[str, Any] | None, prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """``{"a": {"b": 1}, "c": 2}`` -> ``{"a.b": 1, "c": 2}`` (dicts nested up to 2 levels; deeper
    values and anything that is not a number, bool, string, list or None are dropped)."""
    out: dict[str, Any] = {}
    for k, v in (c or {}).items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            if depth + 1 < _MAX_DEPTH:
                out.update(flatten_components(v, key + ".", depth + 1))
        elif v is None or isinstance(v, (str, bool, int, float, np.integer, np.floating, list, tuple)):
            out[key] = v
    return out


class EvidenceEncoder:
    """Generic encoder of ``ScoreResult.components`` dicts into a standardised matrix.

    ``fit(components)`` learns the columns from the given dicts (nested dicts are flattened to
    ``key.sub``, :func:`flatten_components`): for each key seen with a number or boolean, a value
    column ``key`` and an indicator column ``key?`` (1 = unknown: missing or None); for each key
    seen only with strings, one-hot columns ``key=value`` when it takes at most
    :data:`MAX_CATEGORIES` distinct values (e.g. a seniority level, which ICP title matched), else
    an indicator ``key=*`` (1 = a non-empty string, e.g. an exclusion reason); for each key holding
    lists of strings, a column ``key[value]`` per item seen (at most :data:`MAX_CATEGORIES` of the
    most frequent; e.g. job functions). Columns that are constant over the fit set are dropped.
    Values are clipped to the fit set's [min, max] and standardised by its mean / std; unknown
    values become 0 (the mean). ``transform`` returns shape (len, d) float64. Deterministic;
    columns sorted by key. Keys are whatever the scorer writes, so a scorer rewrite never breaks it.
    """

    def __init__(self) -> None:
        # (key, kind, value) kind in value|missing|present|category|item
        self.columns: list[tuple[str, str, str]] = []
        self.lo = np.zeros(0)
        self.hi = np.zeros(0)
        self.mean = np.zeros(0)
        self.std = np.ones(0)

    def _raw(self, comps: Sequence[Mapping[str, Any]], cols: list[tuple[str, str, str]]
             ) -> tuple[np.ndarray, np.ndarray]:
        X = np.zeros((len(comps), len(cols)))
        known = np.ones((len(comps), len(cols)), dtype=bool)
        flat = [flatten_components(c) for c in comps]
        for i, c in enumerate(flat):
            for j, (k, kind, val) in enumerate(cols):
                v = c.get(k)
                if kind == "value":
                    x = _as_number(v)
                    if x is None:
                        known[i, j] = False
                    else:
                        X[i, j] = x
                elif kind == "missing":
                    X[i, j] = 1.0 if _as_number(v) is None else 0.0
                elif kind == "category":
                    X[i, j] = 1.0 if isinstance(v, str) and v.strip() == val else 0.0
                elif kind == "item":
                    X[i, j] = 1.0 if isinstance(v, (list, tuple)) and val in {str(x) for x in v} else 0.0
                else:
                    X[i, j] = 1.0 if isinstance(v, str) and v.strip() else 0.0
        return X, known

    def fit(self, components: Sequence[Mapping[str, Any]]) -> EvidenceEncoder:
        from collections import Counter

        numeric: set[str] = set()
        strings: dict[str, Counter[str]] = {}
        items: dict[str, Counter[str]] = {}
        for c in components:
            for k, v in flatten_components(c).items():
                if _as_number(v) is not None:
                    numeric.add(k)
                elif isinstance(v, str):
                    if v.strip():
                        strings.setdefault(k, Counter())[v.strip()] += 1
                    else:
                        strings.setdefault(k, Counter())
                elif isinstance(v, (list, tuple)):
                    cnt = items.setdefault(k, Counter())
                    for x in v:
                        if isinstance(x, (str, int)) and not isinstance(x, bool):
                            cnt[str(x)] += 1
        cols: list[tuple[str, str, str]] = []
        for k in sorted(numeric):
            cols.append((k, "value", ""))
            cols.append((k, "missing", ""))
        for k in sorted(set(strings) - numeric):
            cnt = strings[k]
            if 0 < len(cnt) <= MAX_CATEGORIES:
                cols.extend((k, "category", v) for v in sorted(cnt))
            else:
                cols.append((k, "present", ""))
        for k in sorted(set(items) - numeric - set(strings)):
            top = sorted(items[k].items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_CATEGORIES]
            cols.extend((k, "item", v) for v in sorted(v for v, _ in top))
        X, known = self._raw(components, cols)
        keep: list[int] = []
        lo, hi, mean, std = [], [], [], []
        for j in range(len(cols)):
            vals = X[known[:, j], j]
            if vals.size == 0 or float(vals.max() - vals.min()) < 1e-9:
                continue
            keep.append(j)
            lo.append(float(vals.min()))
            hi.append(float(vals.max()))
            mean.append(float(vals.mean()))
            std.append(float(vals.std()) or 1.0)
        self.columns = [cols[j] for j in keep]
        self.lo, self.hi = np.asarray(lo), np.asarray(hi)
        self.mean, self.std = np.asarray(mean), np.asarray(std)
        return self

    def transform(self, components: Sequence[Mapping[str, Any]]) -> np.ndarray:
        if not self.columns:
            return np.zeros((len(components), 0))
        X, known = self._raw(components, self.columns)
        X = np.clip(X, self.lo, self.hi)
        Z = (X - self.mean) / self.std
        Z[~known] = 0.0
        return Z

    @property
    def names(self) -> list[str]:
        """Column names: ``key``, ``key?`` (unknown indicator), ``key=*`` (string present),
        ``key=value`` (category) or ``key[value]`` (list item)."""
        out = []
        for k, kind, val in self.columns:
            out.append({"value": k, "missing": k + "?", "present": k + "=*", "category": f"{k}={val}",
                        "item": f"{k}[{val}]"}[kind])
        return out
