"""Offline evaluation of the matcher: ranking metrics, the shared benchmark, client feedback.

Metrics follow ``../shared/bench/README.md`` exactly:

* **nDCG@10** with gain ``2^rel - 1`` and log2 discount ``1 / log2(rank + 1)``; the ideal ranking
  is built from all judged candidates of the query (in the split evaluated).
* **P@10** / **P@50**: share of the top k with ``rel == 2`` (denominator k, even when fewer
  candidates exist).
* **AUC**: probability that a random rel-2 candidate scores above a random rel-0 candidate
  (ties count one half). rel-1 candidates are left out of AUC.

Entry points for the CLI (``python -m icp_engine eval``):

* :func:`evaluate_benchmark` - run one or more scorer configurations over the benchmark files
  (``queries.jsonl``, ``pool.jsonl``, ``qrels.tsv``) of one split and return a table.
* :func:`evaluate_feedback` - metrics on a client's reviewed leads (keep = positive, trash =
  negative).
"""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from .domain import ICP, Profile

# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------


def _order(scores: Sequence[float]) -> np.ndarray:
    """Indices sorted by score descending; ties keep input order (stable), so results repeat."""
    s = np.asarray(scores, dtype=np.float64)
    return np.argsort(-s, kind="stable")


def ndcg_at_k(scores: Sequence[float], rels: Sequence[int], k: int = 10) -> float:
    """nDCG@k of one ranked list.

    ``scores``: one model score per candidate (higher ranks first). ``rels``: graded relevance per
    candidate (0, 1, 2; same order). Gain ``2^rel - 1``, discount ``log2(rank + 1)`` with rank
    starting at 1. Returns a value in [0, 1]; 0.0 when no candidate is relevant.
    """
    rels_a = np.asarray(rels, dtype=np.float64)
    if rels_a.size == 0:
        return 0.0
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    top = rels_a[_order(scores)][:k]
    dcg = float(np.sum((2.0 ** top - 1.0) * disc[: top.size]))
    ideal = np.sort(rels_a)[::-1][:k]
    idcg = float(np.sum((2.0 ** ideal - 1.0) * disc[: ideal.size]))
    return dcg / idcg if idcg > 0 else 0.0


def precision_at_k(scores: Sequence[float], rels: Sequence[int], k: int = 10, min_rel: int = 2) -> float:
    """Share of the top ``k`` candidates with ``rel >= min_rel`` (denominator is always ``k``)."""
    rels_a = np.asarray(rels)
    if rels_a.size == 0:
        return 0.0
    top = rels_a[_order(scores)][:k]
    return float(np.sum(top >= min_rel)) / k


def auc(scores: Sequence[float], labels: Sequence[int] | Sequence[bool], pos: int = 2, neg: int = 0) -> float:
    """Probability that a random positive scores above a random negative (ties = 1/2).

    ``labels``: relevance grades (positives ``== pos``, negatives ``== neg``; others ignored) or
    booleans (True positive, False negative). Returns ``nan`` when either class is empty.
    Computed with ranks (Mann-Whitney U), O(n log n).
    """
    lab = np.asarray(labels)
    s = np.asarray(scores, dtype=np.float64)
    if lab.dtype == bool:
        p_mask, n_mask = lab, ~lab
    else:
        p_mask, n_mask = lab == pos, lab == neg
    n_p, n_n = int(p_mask.sum()), int(n_mask.sum())
    if n_p == 0 or n_n == 0:
        return float("nan")
    sel = p_mask | n_mask
    s2 = s[sel]
    is_p = p_mask[sel]
    # average ranks for ties (1-based), vectorised
    uniq, inv, counts = np.unique(s2, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    avg = ends - (counts - 1) / 2.0
    ranks = avg[inv]
    r_p = float(ranks[is_p].sum())
    u = r_p - n_p * (n_p + 1) / 2.0
    return u / (n_p * n_n)


# --------------------------------------------------------------------------------------------
# Benchmark
# --------------------------------------------------------------------------------------------

#: Tracks of ``../shared/bench`` and the candidate field each one fills.
TRACK_FIELD: dict[str, str] = {"onet": "title", "esco_jobbert": "title", "industry": "industry"}


@dataclass
class Benchmark:
    """The benchmark files of one folder, loaded.

    ``queries``: dicts with ``qid``, ``track``, ``titles``, ``industries``, ``company_sizes``,
    ``keywords`` (``gold`` is dropped: the matcher must not see it). ``pool``: dicts with ``pid``,
    ``track``, ``split`` and ``title`` or ``industry``. ``qrels``: ``{qid: {pid: rel}}``.
    """

    queries: list[dict[str, Any]]
    pool: list[dict[str, Any]]
    qrels: dict[str, dict[str, int]]

    @classmethod
    def load(cls, bench_dir: str | Path) -> Benchmark:
        """Read ``queries.jsonl``, ``pool.jsonl`` and ``qrels.tsv`` (TREC ``qid 0 pid rel``).

        Raises ``FileNotFoundError`` when a file is missing. ``pool_gold.jsonl`` is never read.
        """
        d = Path(bench_dir)
        queries = []
        for line in (d / "queries.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                q = json.loads(line)
                q.pop("gold", None)
                queries.append(q)
        pool = [json.loads(line) for line in (d / "pool.jsonl").read_text(encoding="utf-8").splitlines()
                if line.strip()]
        qrels: dict[str, dict[str, int]] = defaultdict(dict)
        for line in (d / "qrels.tsv").read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) == 4:
                qrels[parts[0]][parts[2]] = int(parts[3])
        return cls(queries, pool, dict(qrels))

    def icp_of(self, query: Mapping[str, Any]) -> ICP:
        """The ICP a matcher may see for a query: titles, industries, company sizes, keywords."""
        return ICP(
            name=str(query.get("name", "")),
            target_titles=list(query.get("titles") or []),
            target_industries=list(query.get("industries") or []),
            company_sizes=list(query.get("company_sizes") or []),
            keywords=list(query.get("keywords") or []),
        )

    def candidates(self, track: str, split: str) -> list[dict[str, Any]]:
        """Pool entries of ``track`` in ``split`` (the industry track exists in ``test`` only)."""
        return [p for p in self.pool if p["track"] == track and p.get("split") == split]


def _profile_of(cand: Mapping[str, Any]) -> Profile:
    if cand.get("title") is not None:
        return Profile(titles=[str(cand["title"])], source="bench")
    return Profile(industry=str(cand.get("industry") or ""), source="bench")


class MemoEmbedder:
    """Wraps an embedder with an in-memory cache (the benchmark embeds the same pool per query).

    Same ``name``/``dim`` as the wrapped embedder; ``embed`` returns identical vectors.
    """

    def __init__(self, inner: Any):
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self._cache: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        miss = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if miss:
            vecs = np.asarray(self.inner.embed(miss), dtype=np.float32)
            for t, v in zip(miss, vecs):
                self._cache[t] = v
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])


@dataclass
class TrackResult:
    """Metrics of one configuration on one track (macro-averaged over the track's queries).

    ``calib_hi`` / ``calib_lo``: ``(number of candidates, share with rel 2)`` among candidates
    scoring >= 80 and < 40 (all queries of the track pooled). ``seconds``: wall time of scoring
    (embedding + stage 1 + reranking); ``candidates``: pool size of the track/split.
    """

    config: str
    track: str
    split: str
    queries: int
    candidates: int
    ndcg10: float
    p10: float
    p50: float
    auc: float
    calib_hi: tuple[int, float]
    calib_lo: tuple[int, float]
    seconds: float
    per_query: dict[str, dict[str, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in ("config", "track", "split", "queries", "candidates",
                                            "ndcg10", "p10", "p50", "auc", "seconds")}
        d["calib_hi_n"], d["calib_hi_rel2"] = self.calib_hi
        d["calib_lo_n"], d["calib_lo_rel2"] = self.calib_lo
        return d


def evaluate_benchmark(
    bench_dir: str | Path,
    split: str = "test",
    configs: Mapping[str, Any] | None = None,
    tracks: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[TrackResult]:
    """Run scorer configurations over the benchmark and return one row per (config, track).

    ``bench_dir``: folder with ``queries.jsonl``, ``pool.jsonl``, ``qrels.tsv`` (format:
    ``../shared/bench/README.md``). ``split``: ``"dev"`` or ``"test"``; tracks with no candidates
    in that split (the industry track outside ``test``) are skipped. ``configs``: ``{name:
    Scorer}`` or ``{name: callable returning a Scorer}`` (component comparison: e.g. stage 1
    alone and with each reranker); each scorer's embedder is wrapped in :class:`MemoEmbedder`.
    ``tracks``: subset of tracks (default all). Each query becomes an :class:`ICP` (titles,
    industries, company sizes, keywords only) and ranks the candidates of its own track, each a
    :class:`Profile` holding only the candidate's title or industry. ``progress(msg)`` is called
    per query. Raises ``FileNotFoundError`` when the files are missing, ``ValueError`` when no
    config is given.
    """
    if not configs:
        raise ValueError("evaluate_benchmark needs at least one scorer configuration")
    bench = Benchmark.load(bench_dir)
    all_tracks = list(dict.fromkeys(q["track"] for q in bench.queries))
    tracks = [t for t in (tracks or all_tracks) if t in all_tracks]
    out: list[TrackResult] = []
    for cname, cfg in configs.items():
        scorer = cfg() if callable(cfg) and not hasattr(cfg, "score") else cfg
        import copy

        scorer = copy.copy(scorer)
        if not isinstance(scorer.embedder, MemoEmbedder):
            scorer.embedder = MemoEmbedder(scorer.embedder)
        for track in tracks:
            cands = bench.candidates(track, split)
            if not cands:
                continue
            profiles = [_profile_of(c) for c in cands]
            pids = [c["pid"] for c in cands]
            per_q: dict[str, dict[str, float]] = {}
            hi = [0, 0]
            lo = [0, 0]
            elapsed = 0.0
            for q in bench.queries:
                if q["track"] != track:
                    continue
                icp = bench.icp_of(q)
                t0 = time.perf_counter()
                res = scorer.score(icp, profiles)
                elapsed += time.perf_counter() - t0
                scores = np.array([r.icp_score for r in res], dtype=np.float64)
                # tie-break equal displayed scores by the unrounded stage-1 fit + rerank value
                fine = np.array([_fine_score(r) for r in res], dtype=np.float64)
                key = scores + 1e-4 * fine
                qr = bench.qrels.get(q["qid"], {})
                rels = np.array([qr.get(p, 0) for p in pids])
                per_q[q["qid"]] = {
                    "ndcg10": ndcg_at_k(key, rels, 10),
                    "p10": precision_at_k(key, rels, 10),
                    "p50": precision_at_k(key, rels, 50),
                    "auc": auc(key, rels),
                }
                h = scores >= 80
                lw = scores < 40
                hi[0] += int(h.sum())
                hi[1] += int((rels[h] == 2).sum())
                lo[0] += int(lw.sum())
                lo[1] += int((rels[lw] == 2).sum())
                if progress:
                    progress(f"{cname} {track} {q['qid']} nDCG@10={per_q[q['qid']]['ndcg10']:.3f}")
            if not per_q:
                continue

            def mean(k: str) -> float:
                vals = [v[k] for v in per_q.values() if not math.isnan(v[k])]
                return float(np.mean(vals)) if vals else float("nan")

            out.append(TrackResult(
                config=cname, track=track, split=split, queries=len(per_q), candidates=len(cands),
                ndcg10=mean("ndcg10"), p10=mean("p10"), p50=mean("p50"), auc=mean("auc"),
                calib_hi=(hi[0], hi[1] / hi[0] if hi[0] else float("nan")),
                calib_lo=(lo[0], lo[1] / lo[0] if lo[0] else float("nan")),
                seconds=elapsed, per_query=per_q,
            ))
    return out


def _fine_score(r: Any) -> float:
    """Tie-break for equal displayed scores: stage-1 fit, reranker value, then raw title score."""
    c = r.components or {}
    v = float(c.get("stage1") or 0.0)
    if c.get("rerank") is not None:
        v += float(c["rerank"])
    raw = c.get("title_raw")
    if raw is not None:
        v += 1e-3 * math.tanh(float(raw))
    return v


def format_table(results: Sequence[TrackResult], markdown: bool = True) -> str:
    """Render :func:`evaluate_benchmark` rows as a table: one line per config, one column per
    track (``nDCG@10 / AUC``), then P@10, P@50, the calibration property and the time.

    Calibration column: ``>=80: n (x % rel 2) · <40: n (y % rel 2)`` pooled over title tracks.
    """
    tracks = list(dict.fromkeys(r.track for r in results))
    configs = list(dict.fromkeys(r.config for r in results))
    by = {(r.config, r.track): r for r in results}
    head = ["config"] + [f"{t} nDCG@10 / AUC" for t in tracks] + [f"{t} P@10 / P@50" for t in tracks] + [
        "title-only calibration (>=80 | <40: share rel 2)", "seconds"]
    lines = []
    for c in configs:
        row = [c]
        for t in tracks:
            r = by.get((c, t))
            row.append(f"{r.ndcg10:.3f} / {r.auc:.3f}" if r else "-")
        for t in tracks:
            r = by.get((c, t))
            row.append(f"{r.p10:.3f} / {r.p50:.3f}" if r else "-")
        hi_n = sum(by[(c, t)].calib_hi[0] for t in tracks if (c, t) in by and TRACK_FIELD.get(t) == "title")
        hi_k = sum(round(by[(c, t)].calib_hi[0] * (by[(c, t)].calib_hi[1] or 0)) for t in tracks
                   if (c, t) in by and TRACK_FIELD.get(t) == "title" and by[(c, t)].calib_hi[0])
        lo_n = sum(by[(c, t)].calib_lo[0] for t in tracks if (c, t) in by and TRACK_FIELD.get(t) == "title")
        lo_k = sum(round(by[(c, t)].calib_lo[0] * (by[(c, t)].calib_lo[1] or 0)) for t in tracks
                   if (c, t) in by and TRACK_FIELD.get(t) == "title" and by[(c, t)].calib_lo[0])
        if hi_n or lo_n:
            row.append(f">=80: {hi_n} ({100 * hi_k / hi_n if hi_n else float('nan'):.1f} %) | "
                       f"<40: {lo_n} ({100 * lo_k / lo_n if lo_n else float('nan'):.2f} %)")
        else:
            row.append("-")
        row.append(f"{sum(by[(c, t)].seconds for t in tracks if (c, t) in by):.1f}")
        lines.append(row)
    if not markdown:
        widths = [max(len(str(x)) for x in col) for col in zip(head, *lines)]
        fmt = "  ".join("{:<" + str(w) + "}" for w in widths)
        return "\n".join([fmt.format(*head)] + [fmt.format(*r) for r in lines])
    md = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    md += ["| " + " | ".join(r) + " |" for r in lines]
    return "\n".join(md)


# --------------------------------------------------------------------------------------------
# Client feedback
# --------------------------------------------------------------------------------------------


def _get(row: Any, key: str) -> Any:
    if isinstance(row, Mapping):
        return row.get(key)
    return getattr(row, key, None)


def evaluate_feedback(rows: Iterable[Any]) -> dict[str, Any]:
    """Metrics of the scorer on a client's reviewed leads.

    ``rows``: mappings or objects with ``icp_score`` (0-100) and ``label`` (``"keep"`` =
    positive, ``"trash"`` = negative; ``"skip"``/None ignored; ``feedback`` is accepted as an
    alias of ``label``). Returns ``{"n", "keep", "trash", "auc", "ndcg10", "p10", "p50",
    "by_bucket"}`` where nDCG uses gain 1 for keep, P@k is the share of keep among the k
    highest-scored reviewed leads (denominator k) and ``by_bucket`` maps each bucket to
    ``{"n", "keep_rate"}``. AUC is ``nan`` when one class is missing.
    """
    from .domain import bucket_for

    scores: list[float] = []
    labels: list[int] = []
    for r in rows:
        lab = _get(r, "label") or _get(r, "feedback")
        sc = _get(r, "icp_score")
        if lab not in ("keep", "trash") or sc is None:
            continue
        scores.append(float(sc))
        labels.append(1 if lab == "keep" else 0)
    n = len(scores)
    out: dict[str, Any] = {"n": n, "keep": int(sum(labels)), "trash": n - int(sum(labels))}
    if n == 0:
        out.update(auc=float("nan"), ndcg10=float("nan"), p10=float("nan"), p50=float("nan"), by_bucket={})
        return out
    lab_arr = np.array(labels)
    out["auc"] = auc(scores, lab_arr.astype(bool))
    out["ndcg10"] = ndcg_at_k(scores, lab_arr, 10)
    out["p10"] = precision_at_k(scores, lab_arr, 10, min_rel=1)
    out["p50"] = precision_at_k(scores, lab_arr, 50, min_rel=1)
    buckets: dict[str, list[int]] = defaultdict(list)
    for s, l in zip(scores, labels):
        buckets[bucket_for(s)].append(l)
    out["by_bucket"] = {b: {"n": len(v), "keep_rate": float(np.mean(v))} for b, v in buckets.items()}
    return out
