"""Learning from reviews, wired to the database (issue 10): labels in, the learned model out.

:class:`FeedbackService` is what the CLI, the pipeline and the Review page call:

* **Labels in, from both doors.** The Review page stores labels one by one
  (:meth:`icp_engine.engine.Engine.record_feedback`, queue ``random`` or ``informative``);
  :meth:`FeedbackService.import_csv` stores a CSV (``profile_url,label[,reviewer]``, CLI
  ``feedback import``) exactly like dashboard labels - current ICP version, each label supersedes
  the reviewer's earlier one of the lead - with queue ``import``. URLs are matched by canonical
  profile key (:func:`icp_engine.ingest.profile_url.canonical_key`); unknown URLs are reported and,
  unless ``skip_unknown``, nothing is stored; a bad row stores nothing. One transaction.
* **Refit at run start** (:func:`refit_and_apply`, the pipeline's ``learn`` stage after static
  scoring): a :class:`~icp_engine.learning.LearnedModel` is fitted on the current keep / trash
  labels of every batch of the client, on the *static* scores (``coalesce(static_score,
  icp_score)``: a learned score is never a training input). When its gate applies it, the run's
  leads get ``icp_score = 100 x learned P(keep)`` and a reasoning that ends in ``learned from N
  reviews: +X``, their static score and reasoning kept in ``static_score`` / ``static_reasoning``;
  when it does not, learned scores in the run's scope are put back to the static ones. Leads an
  ICP exclusion put at 0 stay there (an exclusion is the client's rule, not a guess). The
  :class:`~icp_engine.learning.FitReport` goes to ``runs.actual["learning"]``.
* **Shown to the user**: :meth:`FeedbackService.measure` (static vs learned AUC on held-out
  labels, how many more labels would help; cached per label set) for the Review page and ``eval
  --client``; :meth:`FeedbackService.informative_queue` (the "most informative next" order).

Exported leads are not positives: only explicit keep / trash labels are targets.
"""

from __future__ import annotations

import csv
import io
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .db import Database
from .db import clients as clients_sql
from .db import learning as learning_sql
from .db import review as review_sql
from .db import runs as runs_sql
from .domain import ICP, ScoreResult, bucket_for
from .enums import FeedbackLabel, LeadStatus, ReviewQueue, RunStage
from .errors import InvalidInput
from .learning import FitReport, LeadFeatures, LearnedModel, LearningConfig, explain_delta, labels_from_rows

log = logging.getLogger(__name__)

#: Leads per chunk when learned scores are written.
APPLY_CHUNK = 2000
#: The "most informative next" queue picks among at most this many unlabelled leads (a seeded
#: random sample of the scope, so the page stays fast on 100k leads).
INFORMATIVE_POOL = 5000
#: The "most informative next" order keeps the client's labels at least half unbiased: while the
#: client has fewer than ``LearningConfig.min_labels`` random / imported labels, or no more of them
#: than informative ones, the next lead it serves is the reviewer's next *random-order* lead (its
#: label stored with queue ``random``). Informative labels only train; without this, a client who
#: switched to that order after 50 random reviews was never measured again and the gate applied
#: the model in 33 % of the bench's fits at 200 labels instead of 58 % (``bench_learning_cli.py
#: --queue-compare``; docs/learning.md part 4).
BALANCE_UNBIASED = True
#: Lowest learned score of a lead that is not excluded (the scorer's floor, 2-decimal scores).
MIN_LEARNED_SCORE = 0.01
_PROFILE_STATUSES = (LeadStatus.ENRICHED, LeadStatus.QUALIFIED, LeadStatus.EXPORTED)


# ---------------------------------------------------------------------------- CSV import


@dataclass
class LabelRow:
    """One row of a labels CSV: ``line`` (1-based, header = 1), ``url``, ``label``, ``reviewer``,
    ``key`` (canonical profile key or None when the URL is not a LinkedIn member profile)."""

    line: int
    url: str
    label: str
    reviewer: str
    key: str | None = None


@dataclass
class ImportReport:
    """What ``feedback import`` did. ``rows``: data rows read; ``stored``: labels written (0 on a
    dry run or when refused); ``keep`` / ``trash``: among the rows to store; ``unknown``: ``(line,
    url)`` of URLs that are no lead of the client; ``duplicates``: rows repeating an earlier row's
    lead and reviewer (the last one wins); ``reviewers``: distinct reviewers; ``refused``: why
    nothing was stored (None when stored or a dry run); ``icp_version``: the version number the
    labels were (or would be) stored under."""

    rows: int = 0
    stored: int = 0
    keep: int = 0
    trash: int = 0
    unknown: list[tuple[int, str]] = field(default_factory=list)
    duplicates: int = 0
    reviewers: list[str] = field(default_factory=list)
    refused: str | None = None
    dry_run: bool = False
    icp_version: int | None = None

    def message(self) -> str:
        """One paragraph for the user."""
        parts = [f"{self.rows} row(s): {self.keep} keep, {self.trash} trash"]
        if self.duplicates:
            parts.append(f"{self.duplicates} repeated (the last label of a lead and reviewer counts)")
        if self.unknown:
            shown = ", ".join(f"line {n}: {u}" for n, u in self.unknown[:10])
            more = f" and {len(self.unknown) - 10} more" if len(self.unknown) > 10 else ""
            parts.append(f"{len(self.unknown)} URL(s) are not leads of this client ({shown}{more})")
        head = "; ".join(parts) + "."
        if self.refused:
            return f"{head} Nothing was stored: {self.refused}"
        if self.dry_run:
            return f"{head} Dry run: nothing was stored."
        ver = f" under ICP version {self.icp_version}" if self.icp_version is not None else ""
        return f"{head} Stored {self.stored} label(s){ver}, queue 'import'."


def parse_labels_csv(data: bytes, *, default_reviewer: str = "import") -> list[LabelRow]:
    """Rows of a labels CSV: a header with ``profile_url`` and ``label`` (any case, any order;
    ``url`` is accepted for ``profile_url``) and optionally ``reviewer``; delimiter ``,``, ``;`` or
    tab; UTF-8 with or without BOM. ``label`` is ``keep`` or ``trash`` (any case). A row without a
    reviewer gets ``default_reviewer``. Blank lines are skipped.

    Raises :class:`InvalidInput` listing the problems (missing columns, rows with a bad label, an
    empty or non-profile URL); nothing is returned partially.
    """
    from .ingest.profile_url import canonical_key

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the labels file is not UTF-8 text (save it as CSV UTF-8)") from None
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    delim = max((",", ";", "\t"), key=first.count) if first else ","
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    header: list[str] | None = None
    rows: list[LabelRow] = []
    problems: list[str] = []
    for line_no, cells in enumerate(reader, 1):
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = [c.strip().lower().replace(" ", "_") for c in cells]
            missing = [c for c in ("profile_url", "label") if c not in header
                       and not (c == "profile_url" and "url" in header)]
            if missing:
                raise InvalidInput("the labels file needs a header with the columns profile_url,label "
                                   f"(and optionally reviewer); missing: {', '.join(missing)}")
            i_url = header.index("profile_url") if "profile_url" in header else header.index("url")
            i_lab = header.index("label")
            i_rev = header.index("reviewer") if "reviewer" in header else None
            continue
        url = cells[i_url].strip() if i_url < len(cells) else ""
        lab = cells[i_lab].strip().lower() if i_lab < len(cells) else ""
        rev = (cells[i_rev].strip() if i_rev is not None and i_rev < len(cells) else "") or default_reviewer
        if lab not in (FeedbackLabel.KEEP, FeedbackLabel.TRASH):
            problems.append(f"line {line_no}: label {lab or '(empty)'!r} is not keep or trash")
            continue
        if not url:
            problems.append(f"line {line_no}: no profile_url")
            continue
        key = canonical_key(url)
        if key is None:
            problems.append(f"line {line_no}: {url!r} is not a LinkedIn profile URL")
            continue
        rows.append(LabelRow(line_no, url, lab, rev, key))
    if header is None:
        raise InvalidInput("the labels file is empty")
    if problems:
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise InvalidInput(f"{len(problems)} row(s) cannot be read, nothing was stored: "
                           + "; ".join(problems[:10]) + more)
    return rows


# ---------------------------------------------------------------------------- features from rows


def _result(row: dict[str, Any]) -> ScoreResult:
    score = float(row["static_score"])
    return ScoreResult(score, bucket_for(score), row.get("static_reasoning") or "", dict(row.get("components") or {}))


def _profile_embedder(embedder: Any) -> Any:
    """Whole-profile texts are unique per lead: embed them past the text cache (like the embed stage)."""
    return getattr(embedder, "inner", embedder)


def title_embedder(embedder: Any) -> Any:
    """The embedder of the learner's title vectors: the scorer's title backbone (bge-small,
    :func:`icp_engine.scoring.backbone.title_backbone`; its vectors cached per text in the same
    database as ``embedder``, so the titles the scorer embedded are not embedded again), or
    ``embedder`` itself when the backbone's model files are missing."""
    from .embeddings.local import ModelNotAvailableError
    from .scoring.backbone import title_backbone

    try:
        return title_backbone(getattr(embedder, "db", None))
    except ModelNotAvailableError:
        log.warning("the title backbone is not available: the learner compares titles with %s", _model_name(embedder))
        return embedder


def features_from_rows(rows: Sequence[dict[str, Any]], embedder: Any,
                       results: Sequence[ScoreResult] | None = None) -> LeadFeatures:
    """:class:`LeadFeatures` of feature rows (:func:`icp_engine.db.learning.feature_rows`): stored
    vectors reused, missing ones embedded; title vectors from :func:`title_embedder`; ``results``
    overrides the rows' static scores (leads scored in memory)."""
    from .pipeline import profile_from_row

    profiles = [profile_from_row(r) for r in rows]
    res = list(results) if results is not None else [_result(r) for r in rows]
    vectors = [r.get("vector") for r in rows]
    return LeadFeatures.build([int(r["id"]) for r in rows], profiles, res, _profile_embedder(embedder),
                              vectors=vectors, title_embedder=title_embedder(embedder))


def _is_excluded(components: dict[str, Any] | None, static_score: float) -> bool:
    return bool((components or {}).get("excluded")) or static_score <= 0.0


def training_set(db: Database, client_id: int, icp_version_id: int, icp: ICP | None, embedder: Any,
                 scorer: Any = None) -> tuple[list[Any], LeadFeatures | None, int]:
    """``(labels, features of the labelled leads, labelled leads without features)`` for a fit.

    Labels: every current keep / trash label of the client (all batches). Features: the static
    score under ``icp_version_id``; labelled leads without one are scored in memory by ``scorer``
    (when given, with ``icp``) if they have a profile, else left out (counted).
    """
    with db.connect() as conn:
        label_rows = learning_sql.current_labels(conn, client_id)
        labels = labels_from_rows(label_rows)
        ids = sorted({lab.lead_id for lab in labels})
        rows = learning_sql.feature_rows(conn, icp_version_id, ids, _model_name(embedder))
        have = {int(r["id"]) for r in rows}
        rest = [i for i in ids if i not in have]
        extra = learning_sql.rows_for_profiles(conn, rest) if rest and scorer is not None and icp is not None else []
    extra = [r for r in extra if r["status"] in _PROFILE_STATUSES]
    feats_parts: list[tuple[list[dict[str, Any]], list[ScoreResult] | None]] = [(rows, None)]
    if extra:
        from .pipeline import profile_from_row

        res = list(scorer.score(icp, [profile_from_row(r) for r in extra]))
        for r, s in zip(extra, res):
            r.update(static_score=float(s.icp_score), static_reasoning=s.match_reasoning, components=s.components,
                     vector=None)
        feats_parts.append((extra, res))
    all_rows = [r for part, _ in feats_parts for r in part]
    missing = len(ids) - len(all_rows)
    if not all_rows:
        return labels, None, missing
    all_rows.sort(key=lambda r: int(r["id"]))
    return labels, features_from_rows(all_rows, embedder), missing


def _model_name(embedder: Any) -> str:
    return str(getattr(embedder, "name", "unknown"))


# ---------------------------------------------------------------------------- the run's learn stage


def refit_and_apply(db: Database, run: dict[str, Any], icp: ICP, scorer: Any, embedder: Any, *,
                    config: LearningConfig | None = None, check_stop: Callable[[], None] = lambda: None,
                    report: Callable[[str], None] = lambda stage: None) -> dict[str, Any]:
    """The ``learn`` stage of a run: refit on the client's labels, apply to the run's scope when the
    gate says so (else put static scores back). Returns (and stores in ``runs.actual["learning"]``)
    the :class:`FitReport` as a dict plus ``applied_to`` (leads given a learned score),
    ``restored`` (leads put back to their static score), ``icp_version_id`` and ``seconds``
    (the whole stage). Idempotent: a killed stage is simply run again.
    """
    t0 = time.perf_counter()
    client_id, batch_id, ver = int(run["client_id"]), run["batch_id"], int(run["icp_version_id"])
    labels, feats, missing = training_set(db, client_id, ver, icp, embedder, scorer)
    model = LearnedModel(config)
    if feats is None:
        rep = FitReport(reason="no reviews yet" if not labels else "the reviewed leads have no profile yet",
                        n_reviews=len(labels), unknown_leads=missing)
    else:
        rep = model.fit(labels, feats, current_icp_version=ver)
        rep.unknown_leads += missing
    applied = restored = 0
    if model.applied:
        applied = _apply_scope(db, model, rep, client_id, batch_id, ver, embedder, check_stop, report)
    else:
        restored = restore_scope(db, client_id, batch_id, ver)
    out = {**rep.to_dict(), "applied_to": applied, "restored": restored, "icp_version_id": ver,
           "stage_seconds": round(time.perf_counter() - t0, 3)}
    with db.begin() as conn:
        runs_sql.merge_actual(conn, int(run["id"]), {"learning": _plain(out)})
    log.info("run %s learn: %s (%s leads learned, %s restored)", run["id"], rep.verdict, applied, restored)
    return out


def _apply_scope(db: Database, model: LearnedModel, rep: FitReport, client_id: int, batch_id: int | None,
                 ver: int, embedder: Any, check_stop: Callable[[], None], report: Callable[[str], None]) -> int:
    last, n = 0, 0
    while True:
        check_stop()
        with db.connect() as conn:
            rows = learning_sql.scope_feature_chunk(conn, client_id, batch_id, ver, _model_name(embedder), last,
                                                    APPLY_CHUNK)
        if not rows:
            return n
        last = int(rows[-1]["id"])
        feats = features_from_rows(rows, embedder)
        prob, _ = model.predict(feats, with_var=False)
        out = []
        for r, p in zip(rows, prob):
            static = float(r["static_score"])
            if _is_excluded(r.get("components"), static):
                if r.get("learned"):  # excluded since: back to the static score
                    out.append({"b_id": int(r["id"]), "b_score": static, "b_bucket": bucket_for(static),
                                "b_reasoning": r["static_reasoning"], "b_static": static,
                                "b_static_reasoning": r["static_reasoning"]})
                continue
            score = round(min(100.0, max(MIN_LEARNED_SCORE, 100.0 * float(p))), 2)
            delta = score - static
            reasoning = (r["static_reasoning"] or "").rstrip()
            reasoning = (reasoning + " · " if reasoning else "") + explain_delta(rep.n_reviews, delta)
            out.append({"b_id": int(r["id"]), "b_score": score, "b_bucket": bucket_for(score),
                        "b_reasoning": reasoning, "b_static": static, "b_static_reasoning": r["static_reasoning"]})
        with db.begin() as conn:
            learning_sql.write_learned(conn, ver, out)
        n += sum(1 for o in out if o["b_static_reasoning"] != o["b_reasoning"])
        report(RunStage.LEARN)


def restore_scope(db: Database, client_id: int, batch_id: int | None, ver: int) -> int:
    """Put the static score back on every lead of a scope that has a learned one; returns how many."""
    with db.begin() as conn:
        rows = learning_sql.learned_in_scope(conn, client_id, batch_id, ver)
        learning_sql.restore_static(conn, ver, [
            {"b_id": int(r["lead_id"]), "b_score": float(r["static_score"]), "b_bucket": bucket_for(float(r["static_score"])),
             "b_reasoning": r["static_reasoning"] or ""} for r in rows])
    return len(rows)


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


# ---------------------------------------------------------------------------- the service


class FeedbackService:
    """Labels in (CSV import), the measured effect of the learned model, the informative queue.

    ``FeedbackService(db, wiring, config=None)``: ``wiring`` gives the embedder (and the scorer for
    labelled leads without a score under the current ICP). Measurements and fitted models are
    cached per client and label set (in this process). Thread-safe.
    """

    def __init__(self, db: Database, wiring: Any, config: LearningConfig | None = None):
        self.db = db
        self.wiring = wiring
        self.config = config or LearningConfig()
        self._lock = threading.Lock()
        self._measures: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
        self._pools: OrderedDict[tuple[Any, ...], tuple[list[int], LeadFeatures | None]] = OrderedDict()
        self._models: OrderedDict[tuple[Any, ...], LearnedModel] = OrderedDict()

    # ------------------------------------------------------------ labels in
    def import_csv(self, client_id: int, data: bytes, *, default_reviewer: str = "import",
                   skip_unknown: bool = False, dry_run: bool = False) -> ImportReport:
        """Store the labels of a CSV (see :func:`parse_labels_csv`) for the client, in one
        transaction, queue ``import``, under the client's current ICP version.

        Raises :class:`InvalidInput` (nothing stored) for an unreadable file, bad rows or a
        client without an ICP. URLs that are no lead of the client are listed in the report and,
        unless ``skip_unknown``, nothing is stored (``refused``). ``dry_run`` checks only.
        """
        rows = parse_labels_csv(data, default_reviewer=(default_reviewer or "import").strip() or "import")
        rep = ImportReport(rows=len(rows), dry_run=dry_run)
        with self.db.begin() as conn:
            latest = clients_sql.latest_icp(conn, client_id)
            if latest is None:
                raise InvalidInput("this client has no ICP yet: labels are stored with the ICP version they "
                                   "were given under, so save an ICP (and run it) first")
            rep.icp_version = int(latest["version"])
            ids = review_sql.lead_ids_by_key(conn, client_id, [r.key for r in rows if r.key])
            todo: list[tuple[int, FeedbackLabel, str]] = []
            seen: set[tuple[int, str]] = set()
            for r in rows:
                lid = ids.get(r.key or "")
                if lid is None:
                    rep.unknown.append((r.line, r.url))
                    continue
                if (lid, r.reviewer) in seen:
                    rep.duplicates += 1
                seen.add((lid, r.reviewer))
                todo.append((lid, FeedbackLabel(r.label), r.reviewer))
            final = {(lid, rev): lab for lid, lab, rev in todo}
            rep.keep = sum(1 for v in final.values() if v == FeedbackLabel.KEEP)
            rep.trash = sum(1 for v in final.values() if v == FeedbackLabel.TRASH)
            rep.reviewers = sorted({rev for _, rev in final})
            if rep.unknown and not skip_unknown:
                rep.refused = "some URLs are not leads of this client (upload them first, or import with --skip-unknown)"
                return rep
            if dry_run:
                return rep
            rep.stored = review_sql.import_labels(conn, client_id, todo, ReviewQueue.IMPORT)
        return rep

    # ------------------------------------------------------------ measured effect
    def measure(self, client_id: int, *, refresh: bool = False) -> dict[str, Any] | None:
        """Fit on the client's labels (features of the labelled leads under the current ICP) and
        return the :class:`FitReport` dict (static vs learned AUC on held-out labels, the gate's
        verdict, the learning curve, ``suggested_extra_labels``) plus ``labels_key``; None when the
        client has no ICP. Cached per label set unless ``refresh``."""
        with self.db.connect() as conn:
            ver = clients_sql.current_version_id(conn, client_id)
            if ver is None:
                return None
            fp = learning_sql.labels_fingerprint(conn, client_id)
        key = (client_id, ver, fp)
        with self._lock:
            if not refresh and key in self._measures:
                return self._measures[key]
        icp = self._icp(client_id)
        embedder = self.wiring.embedder
        labels, feats, missing = training_set(self.db, client_id, ver, icp, embedder, scorer=None)
        model = LearnedModel(self.config)
        if feats is None:
            rep = FitReport(reason="no reviews yet" if not labels else "the reviewed leads are not scored under "
                            "the current ICP yet: run it first", n_reviews=len(labels), unknown_leads=missing)
        else:
            rep = model.fit(labels, feats, current_icp_version=ver)
            rep.unknown_leads += missing
        out = _plain({**rep.to_dict(), "icp_version_id": ver, "labels": fp[0], "measured_at": time.time()})
        with self._lock:
            self._measures[key] = out
            while len(self._measures) > 32:
                self._measures.popitem(last=False)
        return out

    def last_run_learning(self, client_id: int) -> dict[str, Any] | None:
        """``runs.actual["learning"]`` of the client's newest run that has one, with ``run_id``; or None."""
        with self.db.connect() as conn:
            got = runs_sql.latest_actual(conn, client_id, "learning")
        if got is None:
            return None
        run_id, data = got
        return {**(data or {}), "run_id": run_id}

    # ------------------------------------------------------------ the informative queue
    def informative_queue(self, client_id: int, reviewer: str, *, batch_id: int | None = None,
                          limit: int = 20, method: str = "bald_density") -> list[dict[str, Any]]:
        """The next ``limit`` leads to review in the "most informative next" order: among (at most
        :data:`INFORMATIVE_POOL`, a seeded sample of) the scope's scored leads nobody labelled yet,
        those whose label would teach the model most (BALD weighted by how many candidates share the
        lead's title, :func:`icp_engine.learning.informative_order` ``bald_density``; plain BALD
        taught less than random reviews on the bench), best first. The model is refitted on every label (no validation: it only orders the
        queue). Rows as :meth:`icp_engine.engine.Engine.review_queue` plus ``review_queue``: the
        queue to store the row's label with - ``informative``, or ``random`` for the reviewer's
        next random-order lead, served first while the client's unbiased labels are fewer than
        ``min_labels`` or no more than its informative ones (:data:`BALANCE_UNBIASED`)."""
        from .learning import informative_order

        with self.db.connect() as conn:
            ver = clients_sql.current_version_id(conn, client_id)
            if ver is None:
                return []
            fp = learning_sql.labels_fingerprint(conn, client_id)
            cand = learning_sql.unlabelled_scored_ids(conn, client_id, batch_id, ver)
            first: list[dict[str, Any]] = []
            if BALANCE_UNBIASED and cand:
                queues = [str(r.get("queue") or "random") for r in learning_sql.current_labels(conn, client_id)]
                n_inf = sum(1 for q in queues if q == ReviewQueue.INFORMATIVE.value)
                n_unb = len(queues) - n_inf
                if n_unb < self.config.min_labels or n_unb <= n_inf:
                    first = [{**r, "review_queue": ReviewQueue.RANDOM.value} for r in review_sql.review_queue(
                        conn, client_id, reviewer, batch_id=batch_id, limit=1, icp_version_id=ver)]
        if not cand:
            return []
        if first and limit <= 1:
            return first
        # unlabelled leads + the client's feedback rows: a new label (or skip) moves one lead from one
        # to the other, so the pool's features are not rebuilt after every review (a new upload, an
        # undo or a relabel rebuilds them)
        pool_key = (client_id, batch_id, ver, len(cand) + fp[0])
        with self._lock:
            cached = self._pools.get(pool_key)
        if cached is None:
            rng = np.random.default_rng([client_id, batch_id or 0, ver])
            ids = sorted(cand) if len(cand) <= INFORMATIVE_POOL else sorted(
                int(x) for x in rng.choice(cand, size=INFORMATIVE_POOL, replace=False))
            with self.db.connect() as conn:
                rows = learning_sql.feature_rows(conn, ver, ids, _model_name(self.wiring.embedder))
            feats = features_from_rows(rows, self.wiring.embedder) if rows else None
            cached = (ids, feats)
            with self._lock:
                self._pools[pool_key] = cached
                while len(self._pools) > 4:
                    self._pools.popitem(last=False)
        _ids, pool = cached
        if pool is None:
            return []
        model_key = (client_id, ver, fp)
        with self._lock:
            model = self._models.get(model_key)
        if model is None:
            labels, feats, _ = training_set(self.db, client_id, ver, None, self.wiring.embedder)
            model = LearnedModel(self.config)
            if feats is not None and labels:
                model.fit(labels, feats, current_icp_version=ver, validate=False)
            with self._lock:
                self._models[model_key] = model
                while len(self._models) > 8:
                    self._models.popitem(last=False)
        still = set(cand)
        exclude = [int(x) for x in pool.lead_ids if int(x) not in still]
        skip = {int(r["id"]) for r in first}
        order = [x for x in informative_order(model if model.gp is not None else None, pool,
                                              exclude=exclude + sorted(skip), k=limit, method=method)][: limit - len(first)]
        if not order:
            return first
        with self.db.connect() as conn:
            rows = review_sql.leads_with_scores(conn, order, ver)
        pos = {lid: i for i, lid in enumerate(order)}
        return first + [{**r, "review_queue": ReviewQueue.INFORMATIVE.value}
                        for r in sorted(rows, key=lambda r: pos[int(r["id"])])]

    def _icp(self, client_id: int) -> ICP | None:
        with self.db.connect() as conn:
            row = clients_sql.latest_icp(conn, client_id)
        return clients_sql.icp_of(row) if row else None


def report_dict(rep: FitReport) -> dict[str, Any]:
    """A :class:`FitReport` as plain JSON types."""
    return _plain(asdict(rep))
