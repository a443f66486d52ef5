"""Qualification runs: enrich -> classify -> embed -> score, resumable, recorded in Postgres.

A run is a row of ``runs`` (client, optional batch, ICP version, options, stage, counts). Every
stage works on leads selected by their *state in the database*, in chunks, committing after each
chunk, so a killed process loses at most the chunk in flight and the next execution of the same
run picks up where it stopped:

* ``enrich``   leads with status ``discovered`` -> ``enriched`` (or ``failed`` after
  :data:`MAX_ATTEMPTS` retryable failures, with ``error_message`` and ``retry_count``).
* ``classify`` enriched leads without ``company_type`` -> industry class + company type.
* ``embed``    leads without a whole-profile vector for the embedder's model -> ``lead_embeddings``.
* ``score``    leads without a ``lead_scores`` row for the run's ICP version -> scored;
  ``enriched`` -> ``qualified``.

A run is executed by one worker at a time: :func:`claim_run` takes a lease (``worker_id`` +
``heartbeat_at``, refreshed every :data:`HEARTBEAT_S` seconds by a background thread); a lease
older than :data:`LEASE_S` is stale and may be taken over (a crashed worker on any machine).
Stopping is cooperative: setting ``runs.status`` to ``paused`` or ``cancelled`` (from any
process) makes the worker stop after the current chunk. Progress is read from the database.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .db import Database
from .db import clients as clients_sql
from .db import leads as leads_sql
from .db import runs as runs_sql
from .db import scores as scores_sql
from .db._util import NOW, with_now
from .domain import ICP, Profile
from .enrich import EnrichmentProvider, EnrichOutcome, EnrichRequest
from .errors import NotFound
from .processes import new_owner_id, owner_dead_on_this_host

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
HEARTBEAT_S = 10.0
LEASE_S = 60.0
REPORT_EVERY_S = 0.5
STAGES = ("enrich", "classify", "embed", "score")

ProgressCallback = Callable[[dict[str, Any]], None]


class RunStopped(Exception):
    """The run was paused or cancelled from outside; raised between chunks."""


class RunBusy(RuntimeError):
    """Another live worker holds the run's lease."""


def new_worker_id() -> str:
    """``host:pid:random`` - unique per process, readable in the runs table."""
    return new_owner_id()


@dataclass
class RunOptions:
    """Options stored in ``runs.options``.

    ``enrich``: ``page`` | ``apify-json`` | ``apify``; ``profiles_path``: the Apify items file for
    ``apify-json``; ``reranker``: ``none`` | ``local`` | ``jina`` | ``cohere``; ``chunk_size``:
    leads per committed chunk (1-10,000); ``classify``: run the classification stage.
    """

    enrich: str = "page"
    profiles_path: str | None = None
    reranker: str = "none"
    rerank_top_n: int = 200
    classify: bool = True
    chunk_size: int = 500

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "RunOptions":
        d = dict(d or {})
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class RunContext:
    """What a run needs besides the database: built by the engine from the run's options.

    ``provider``: enrichment provider; ``scorer``: object with ``score(icp, profiles)`` and
    ``version``; ``embedder``: for whole-profile vectors (None skips the embed stage);
    ``classifier``: callable ``profiles -> list[Classification]`` (None skips classify).
    """

    provider: EnrichmentProvider
    scorer: Any
    embedder: Any | None = None
    classifier: Callable[[Sequence[Profile]], list[Any]] | None = None


# ---------------------------------------------------------------- leases


def claim_run(db: Database, run_id: int, worker_id: str) -> dict[str, Any]:
    """Take the run's lease for ``worker_id`` and mark it running; return the run row.

    Raises :class:`RunBusy` if another worker's heartbeat is fresher than :data:`LEASE_S`,
    :class:`NotFound` for an unknown run, ``ValueError`` for a completed or cancelled run.
    """
    with db.begin() as conn:
        row = runs_sql.get_run(conn, run_id, for_update=True)
        if row["status"] in ("completed", "cancelled"):
            raise ValueError(f"run {run_id} is {row['status']}")
        now = datetime.now(timezone.utc)
        hb = row["heartbeat_at"]
        if (
            row["status"] == "running"
            and row["worker_id"]
            and row["worker_id"] != worker_id
            and hb is not None
            and (now - hb).total_seconds() < LEASE_S
            and not _worker_is_dead(row["worker_id"])
        ):
            raise RunBusy(f"run {run_id} is being worked on by {row['worker_id']}")
        return runs_sql.mark_claimed(conn, run_id, worker_id)


def _worker_is_dead(worker_id: str) -> bool:
    """True when ``worker_id`` names a dead process of this host (see :mod:`icp_engine.processes`).

    Lets a restarted process take over at once from a SIGKILLed one on the same machine instead of
    waiting for the lease to expire; workers on other hosts are judged by their heartbeat only.
    """
    return owner_dead_on_this_host(worker_id)


class _Heartbeat(threading.Thread):
    def __init__(self, db: Database, run_id: int, worker_id: str):
        super().__init__(daemon=True, name=f"heartbeat-run-{run_id}")
        self.db, self.run_id, self.worker_id = db, run_id, worker_id
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.wait(HEARTBEAT_S):
            try:
                with self.db.begin() as conn:
                    runs_sql.heartbeat(conn, self.run_id, self.worker_id)
            except Exception as exc:  # noqa: BLE001 - a missed heartbeat is not fatal
                log.warning("heartbeat for run %s failed: %s", self.run_id, exc)


# ---------------------------------------------------------------- the run


class RunExecutor:
    """Executes one run to completion (or until paused/cancelled).

    ``RunExecutor(db, run_id, ctx, worker_id=None, on_progress=None).execute()`` returns the
    final progress dict (see :func:`run_progress`). Raises :class:`RunStopped` when paused or
    cancelled from outside (state is consistent; call again to resume), :class:`RunBusy` when
    another live worker holds the run. Any other exception marks the run ``failed`` with the
    message and re-raises.
    """

    def __init__(
        self,
        db: Database,
        run_id: int,
        ctx: RunContext,
        *,
        worker_id: str | None = None,
        on_progress: ProgressCallback | None = None,
    ):
        self.db = db
        self.run_id = run_id
        self.ctx = ctx
        self.worker_id = worker_id or new_worker_id()
        self.on_progress = on_progress
        self._last_stage = ""
        self._last_report = 0.0

    # -- helpers
    def _set(self, **values: Any) -> None:
        with self.db.begin() as conn:
            runs_sql.update_run(conn, self.run_id, **with_now(values))

    def _check_stop(self) -> None:
        with self.db.connect() as conn:
            status, worker = runs_sql.status_and_worker(conn, self.run_id)
        if status in ("paused", "cancelled"):
            raise RunStopped(f"run {self.run_id} {status}")
        if worker != self.worker_id:
            raise RunBusy(f"run {self.run_id} was taken over by {worker}")

    def _report(self, stage: str, force: bool = False) -> None:
        """Store progress counts in ``runs`` (at most every :data:`REPORT_EVERY_S`, always on a new stage)."""
        now = time.monotonic()
        if not force and stage == self._last_stage and now - self._last_report < REPORT_EVERY_S:
            return
        self._last_stage, self._last_report = stage, now
        prog = run_progress(self.db, self.run_id)
        self._set(stage=stage, counts=prog["counts"], heartbeat_at=NOW)
        if self.on_progress:
            prog["stage"] = stage
            self.on_progress(prog)

    def execute(self) -> dict[str, Any]:
        run = claim_run(self.db, self.run_id, self.worker_id)
        self.client_id = run["client_id"]
        self.batch_id = run["batch_id"]
        self.options = RunOptions.from_dict(run["options"])
        with self.db.connect() as conn:
            ver = clients_sql.icp_version(conn, run["icp_version_id"])
        self.icp_version_id = ver["id"]
        self.icp = ICP.model_validate(ver["icp"])
        hb = _Heartbeat(self.db, self.run_id, self.worker_id)
        hb.start()
        try:
            self._report("enrich")
            self._stage_enrich()
            if self.ctx.classifier is not None and self.options.classify:
                self._report("classify")
                self._stage_classify()
            if self.ctx.embedder is not None:
                self._report("embed")
                self._stage_embed()
            self._report("score")
            self._stage_score()
            self._report("done", force=True)
            self._set(status="completed", stage="done", finished_at=NOW)
        except (RunStopped, RunBusy):
            raise
        except Exception as exc:
            log.exception("run %s failed", self.run_id)
            self._set(status="failed", error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=NOW)
            raise
        finally:
            hb.stop_event.set()
        return run_progress(self.db, self.run_id)

    # -- stage: enrich
    def _stage_enrich(self) -> None:
        for _attempt in range(MAX_ATTEMPTS):
            with self.db.connect() as conn:
                pending = leads_sql.to_enrich(conn, self.client_id, self.batch_id)
            if not pending:
                return
            size = max(1, min(self.options.chunk_size, 10_000))
            for start in range(0, len(pending), size):
                self._check_stop()
                chunk = pending[start : start + size]
                requests = [
                    EnrichRequest(
                        lead_id=r.id,
                        key=r.profile_key,
                        url=r.input_url,
                        profile_id=r.profile_id,
                        vanity=r.vanity,
                        page=Profile(
                            name=r.name, headline=r.headline, location=r.location,
                            company=r.company, titles=list(r.titles or []),
                            profile_id=r.profile_id, vanity=r.vanity,
                        ),
                    )
                    for r in chunk
                ]
                got: dict[int, EnrichOutcome] = {}
                try:
                    for o in self.ctx.provider.enrich(requests):
                        got[o.lead_id] = o
                except BaseException:
                    # keep what came back (already paid for); the rest is not an attempt
                    self._write_outcomes([r for r in requests if r.lead_id in got], got)
                    raise
                self._write_outcomes(requests, got)
                self._store_provider_stats()
                self._report("enrich")

    def _write_outcomes(self, requests: Sequence[EnrichRequest], outcomes: dict[int, EnrichOutcome]) -> None:
        """Write one chunk's outcomes in one transaction (batched statements)."""
        provider_name = getattr(self.ctx.provider, "name", "page")
        ok: list[dict[str, Any]] = []
        failures: list[dict[str, Any]] = []
        for req in requests:
            o = outcomes.get(req.lead_id)
            if o is None:
                o = EnrichOutcome(lead_id=req.lead_id, error="the provider returned nothing", retryable=True)
            if o.profile is None:
                failures.append(
                    {"b_id": req.lead_id, "b_error": o.error or "enrichment failed", "b_final": not o.retryable}
                )
                continue
            p = o.profile
            ok.append(
                {
                    "b_id": req.lead_id, "b_name": p.name, "b_headline": p.headline, "b_location": p.location,
                    "b_titles": list(p.titles or []), "b_company": p.company, "b_company_size": p.company_size,
                    "b_industry": p.industry, "b_summary": p.summary, "b_past_roles": list(p.past_roles or []),
                    "b_skills": list(p.skills or []), "b_profile_id": p.profile_id, "b_vanity": p.vanity,
                    "b_source": p.source or provider_name,
                }
            )
        with self.db.begin() as conn:
            leads_sql.write_enriched(conn, ok)
            leads_sql.write_enrich_failures(conn, failures, MAX_ATTEMPTS)

    def _store_provider_stats(self) -> None:
        """Copy the provider's counters (runs started, items charged, retries, cost) into ``runs.actual``."""
        stats = getattr(self.ctx.provider, "stats", None)
        if stats:
            self._set(actual=_jsonable(dict(stats)))

    def _chunks(self, todo: Any, size: int) -> Iterator[list[dict[str, Any]]]:
        """Leads of the run's scope matching ``todo``, in id order, ``size`` (1-10,000) at a time.

        Keyset pagination (each query starts after the last id seen) keeps every chunk's query
        cheap at 100k leads; the stop flag is checked before each chunk.
        """
        size = max(1, min(size, 10_000))
        last = 0
        while True:
            self._check_stop()
            with self.db.connect() as conn:
                rows = leads_sql.lead_chunk(conn, self.client_id, self.batch_id, todo, last, size)
            if not rows:
                return
            last = rows[-1]["id"]
            yield rows

    # -- stage: classify
    def _stage_classify(self) -> None:
        assert self.ctx.classifier is not None
        for rows in self._chunks(leads_sql.unclassified(), self.options.chunk_size * 4):
            profiles = [profile_from_row(r) for r in rows]
            results = self.ctx.classifier(profiles)
            with self.db.begin() as conn:
                leads_sql.write_classifications(conn, [
                    {
                        "b_id": r["id"],
                        "b_industry": getattr(c, "industry", None),
                        "b_type": getattr(c, "company_type", None) or "unknown",
                        "b_reason": getattr(c, "reasoning", None),
                        "b_source": getattr(c, "source", None),
                    }
                    for r, c in zip(rows, results)
                ])
            self._report("classify")

    # -- stage: embed (whole-profile vectors for pgvector nearest-neighbour queries)
    def _stage_embed(self) -> None:
        assert self.ctx.embedder is not None
        model = self.ctx.embedder.name
        for rows in self._chunks(scores_sql.without_vector(model), self.options.chunk_size * 4):
            texts = [profile_text(profile_from_row(r)) for r in rows]
            # whole-profile texts are unique per lead: embed them directly, not through the text cache
            inner = getattr(self.ctx.embedder, "inner", self.ctx.embedder)
            vecs = np.asarray(inner.embed(texts), dtype=np.float32)
            with self.db.begin() as conn:
                scores_sql.write_vectors(conn, model, [(r["id"], v) for r, v in zip(rows, vecs)])
            self._report("embed")

    # -- stage: score
    def _stage_score(self) -> None:
        version = str(getattr(self.ctx.scorer, "version", "unknown"))
        for rows in self._chunks(scores_sql.unscored(self.icp_version_id), self.options.chunk_size * 4):
            profiles = [profile_from_row(r) for r in rows]
            results = self.ctx.scorer.score(self.icp, profiles)
            values = [
                {
                    "lead_id": r["id"],
                    "icp_score": float(res.icp_score),
                    "bucket": res.bucket,
                    "match_reasoning": res.match_reasoning,
                    "components": _jsonable(res.components),
                    "scorer_version": version,
                }
                for r, res in zip(rows, results)
            ]
            with self.db.begin() as conn:
                scores_sql.write_scores(conn, self.icp_version_id, self.run_id, values)
            self._report("score")


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def profile_from_row(r: Any) -> Profile:
    """A ``leads`` row (mapping) -> :class:`Profile` (the scorer's input)."""
    return Profile(
        name=r["name"],
        headline=r["headline"],
        location=r["location"],
        titles=list(r["titles"] or []),
        company=r["company"],
        company_size=r["company_size"],
        industry=r["industry"] or r.get("industry_class"),
        summary=r["summary"],
        past_roles=list(r["past_roles"] or []),
        skills=list(r["skills"] or []),
        company_type=r.get("company_type"),
        profile_id=r["profile_id"],
        vanity=r["vanity"],
        source=r["enrichment_source"] or "page",
    )


def profile_text(p: Profile) -> str:
    """Short profile text for the whole-profile vector: headline, titles, company, industry."""
    parts = [p.headline or "", "; ".join(p.titles or []), p.company or "", p.industry or ""]
    return " | ".join(x for x in parts if x)[:1000]


# ---------------------------------------------------------------- progress (read side)


def run_progress(db: Database, run_id: int) -> dict[str, Any]:
    """Progress of a run computed from the leads' state in the database.

    Returns ``{"run_id", "status", "stage", "counts": {"total", "discovered", "enriched",
    "failed", "classified", "scored"}, "elapsed_s", "rate_per_s", "eta_s", "error"}``;
    ``rate_per_s`` is scored leads per second since the run started, ``eta_s`` the remaining
    scoring time at that rate (None when unknown).
    """
    with db.connect() as conn:
        run = runs_sql.get_run(conn, run_id)
        counts = runs_sql.progress_counts(conn, run)
    total, failed, scored = counts["total"], counts["failed"], counts["scored"]
    elapsed = None
    rate = None
    eta = None
    if run["started_at"] is not None:
        end = run["finished_at"] or datetime.now(timezone.utc)
        elapsed = max(0.0, (end - run["started_at"]).total_seconds())
        if elapsed > 0 and scored:
            rate = scored / elapsed
            remaining = total - failed - scored
            eta = remaining / rate if rate and run["status"] == "running" else None
    return {
        "run_id": run_id,
        "status": run["status"],
        "stage": run["stage"],
        "counts": counts,
        "elapsed_s": elapsed,
        "rate_per_s": rate,
        "eta_s": eta,
        "error": run["error"],
        "worker_id": run["worker_id"],
    }
