"""How qualification runs are executed: one module between the pipeline and whoever starts runs.

A run is a row of ``runs`` (client, optional batch, ICP version, options, status, stage, counts).
:class:`RunService` records runs, starts them in this process (a background thread) or in a
worker loop, pauses, resumes and cancels them, and reports their progress from the database.
:class:`RunExecutor` executes one run: it takes the run's lease, runs the stages of
:class:`icp_engine.pipeline.RunStages`, and records the outcome.

Leases: a run is executed by one worker at a time. :func:`claim_run` takes a lease
(``worker_id`` + ``heartbeat_at``, refreshed every :data:`HEARTBEAT_S` seconds by a background
thread); a lease older than :data:`LEASE_S` is stale and may be taken over (a crashed worker on
any machine), at once when the holder was a process of this host that is gone. Stopping is
cooperative: setting the status to ``paused`` or ``cancelled`` (from any process) makes the
worker stop after its current chunk. Everything about leases, heartbeats and the worker loop is
in this module, so a job queue can replace it without touching the pipeline or the callers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, UTC
from typing import Any

from . import progress
from .config import Settings
from .db import Database
from .db import clients as clients_sql
from .db import leads as leads_sql
from .db import runs as runs_sql
from .db._util import NOW, with_now
from .enrich import EnrichRequest
from .enums import EnrichProvider, LeadStatus, RunStage, RunStatus
from .errors import InvalidInput, NothingToDo, RunBusy, RunConflict, RunStopped
from .pipeline import RunContext, RunOptions, RunStages
from .processes import new_owner_id, owner_dead_on_this_host
from .wiring import Wiring

log = logging.getLogger(__name__)

HEARTBEAT_S = 10.0
LEASE_S = 60.0
REPORT_EVERY_S = 0.5

ProgressCallback = Callable[[dict[str, Any]], None]


def new_worker_id() -> str:
    """``host:pid:random`` - unique per process, readable in the runs table."""
    return new_owner_id()


# ---------------------------------------------------------------- leases


def claim_run(db: Database, run_id: int, worker_id: str) -> dict[str, Any]:
    """Take the run's lease for ``worker_id`` and mark it running; return the run row.

    Raises :class:`RunBusy` if another worker's heartbeat is fresher than :data:`LEASE_S`,
    :class:`~icp_engine.errors.NotFound` for an unknown run, :class:`InvalidInput` for a
    completed or cancelled run.
    """
    with db.begin() as conn:
        row = runs_sql.get_run(conn, run_id, for_update=True)
        if row["status"] in (RunStatus.COMPLETED, RunStatus.CANCELLED):
            raise InvalidInput(f"run {run_id} is {row['status']}")
        hb = row["heartbeat_at"]
        if (
            row["status"] == RunStatus.RUNNING
            and row["worker_id"]
            and row["worker_id"] != worker_id
            and hb is not None
            and (datetime.now(UTC) - hb).total_seconds() < LEASE_S
            and not owner_dead_on_this_host(row["worker_id"])
        ):
            raise RunBusy(f"run {run_id} is being worked on by {row['worker_id']}")
        return runs_sql.mark_claimed(conn, run_id, worker_id)


def lease_is_stale(run: dict[str, Any]) -> bool:
    """True for a ``running`` run whose worker stopped beating (no heartbeat for :data:`LEASE_S`)."""
    if run.get("status") != RunStatus.RUNNING:
        return False
    hb = run.get("heartbeat_at")
    return hb is None or (datetime.now(UTC) - hb).total_seconds() > LEASE_S


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


# ---------------------------------------------------------------- one run


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
        # kept in runs.counts with the live counts: the embedding model (for the embed stage's
        # count) and when the current stage started (its rate and ETA; icp_engine.progress)
        self._marks: dict[str, Any] = {"embed_model": getattr(ctx.embedder, "name", None)}

    def _set(self, **values: Any) -> None:
        with self.db.begin() as conn:
            runs_sql.update_run(conn, self.run_id, **with_now(values))

    def _check_stop(self) -> None:
        with self.db.connect() as conn:
            status, worker = runs_sql.status_and_worker(conn, self.run_id)
        if status in (RunStatus.PAUSED, RunStatus.CANCELLED):
            raise RunStopped(f"run {self.run_id} {status}")
        if worker != self.worker_id:
            raise RunBusy(f"run {self.run_id} was taken over by {worker}")

    def _report(self, stage: str, force: bool = False) -> None:
        """Store progress counts in ``runs`` (at most every :data:`REPORT_EVERY_S`, always on a new stage)."""
        now = time.monotonic()
        if not force and stage == self._last_stage and now - self._last_report < REPORT_EVERY_S:
            return
        new_stage = stage != self._last_stage
        self._last_stage, self._last_report = stage, now
        prog = run_progress(self.db, self.run_id, marks=self._marks)
        if new_stage:  # this stage's rate and ETA are measured from here
            self._marks.update(progress.stage_mark(stage, prog["counts"], prog["changes"]))
            prog = run_progress(self.db, self.run_id, marks=self._marks)
        self._set(stage=stage, counts=prog["counts"], heartbeat_at=NOW)
        if self.on_progress:
            prog["stage"] = stage
            self.on_progress(prog)

    def execute(self) -> dict[str, Any]:
        """Claim the run, execute its stages, record ``completed`` (or ``failed``); see the class."""
        run = claim_run(self.db, self.run_id, self.worker_id)
        with self.db.connect() as conn:
            ver = clients_sql.icp_version(conn, run["icp_version_id"])
        stages = RunStages(
            self.db, run, clients_sql.icp_of(ver), self.ctx, RunOptions.from_dict(run["options"]),
            check_stop=self._check_stop, report=self._report, store_actual=lambda stats: self._set(actual=stats),
        )
        hb = _Heartbeat(self.db, self.run_id, self.worker_id)
        hb.start()
        try:
            stages.run()
            self._report(RunStage.DONE, force=True)
            self._set(status=RunStatus.COMPLETED, stage=RunStage.DONE, finished_at=NOW)
        except (RunStopped, RunBusy):
            raise
        except Exception as exc:
            log.exception("run %s failed", self.run_id)
            self._set(status=RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=NOW)
            raise
        finally:
            hb.stop_event.set()
        return run_progress(self.db, self.run_id)


def run_progress(db: Database, run_id: int, *, marks: dict[str, Any] | None = None) -> dict[str, Any]:
    """Progress of a run computed from the leads' state in the database.

    Returns ``{"run_id", "status", "stage", "counts": {"total", "discovered", "enriched",
    "failed", "classified", "embedded", "scorable", "scored", ...marks}, "stages": [{"stage",
    "label", "done", "total", "again_done", "again_total"}], "changes", "elapsed_s",
    "rate_per_s", "eta_s", "error", "worker_id"}``. ``rate_per_s`` and ``eta_s`` are those of the
    current stage since it started (:func:`icp_engine.progress.stage_rate_eta`; None until known,
    ``eta_s`` None unless running); ``changes``: what the run changed in leads that already had
    data (:attr:`icp_engine.pipeline.RunStages.changes`). ``marks``: the executor's stage marks
    (default: those stored in ``runs.counts``).
    """
    with db.connect() as conn:
        run = runs_sql.get_run(conn, run_id)
        stored = dict(run.get("counts") or {})
        use = {k: stored.get(k) for k in ("embed_model", "stage", "stage_started_at", "stage_base")}
        if marks is not None:
            use.update(marks)
        run["counts"] = use
        counts = {**runs_sql.progress_counts(conn, run), **{k: v for k, v in use.items() if v is not None}}
    changes = dict((run.get("actual") or {}).get("changes") or {})
    options = RunOptions.from_dict(run["options"])
    elapsed = rate = eta = None
    if run["started_at"] is not None:
        end = run["finished_at"] or datetime.now(UTC)
        elapsed = max(0.0, (end - run["started_at"]).total_seconds())
    if run["status"] == RunStatus.RUNNING:
        rate, eta = progress.stage_rate_eta(run["stage"], counts, changes)
    return {
        "run_id": run_id, "status": run["status"], "stage": run["stage"], "counts": counts,
        "stages": progress.stages(counts, changes, classify=options.classify, embed=bool(counts.get("embed_model"))),
        "changes": changes, "elapsed_s": elapsed, "rate_per_s": rate, "eta_s": eta, "error": run["error"],
        "worker_id": run["worker_id"],
    }


# ---------------------------------------------------------------- the service


class RunService:
    """Records, executes, pauses, resumes and reports runs; the engine's run methods call it.

    ``RunService(db, settings, wiring)``: ``wiring`` builds each run's provider, scorer,
    embedder and classifier (:meth:`Wiring.run_context`). Runs started with
    :meth:`start_background` execute in daemon threads of this process; :meth:`work` is the
    worker loop of ``python -m icp_engine worker``.
    """

    def __init__(self, db: Database, settings: Settings, wiring: Wiring):
        self.db = db
        self.settings = settings
        self.wiring = wiring
        self.worker_id = new_worker_id()
        self._threads: dict[int, threading.Thread] = {}
        self._lock = threading.Lock()

    def create(self, client_id: int, *, batch_id: int | None = None, icp_version_id: int | None = None,
               options: RunOptions | None = None, author: str = "system", require_work: bool = False) -> int:
        """Record a ``queued`` run and return its id (newest ICP version unless one is given).

        One unfinished run per scope: raises :class:`RunConflict` (an :class:`InvalidInput`) while
        a queued, running or paused run of the same batch (or of all leads of the client) exists
        (:meth:`active_run`; the check and the insert are serialised per client). With
        ``require_work`` (the dashboard's "Start") also raises :class:`NothingToDo` when
        :meth:`runnable_leads` finds nothing to enrich or score. Raises :class:`InvalidInput` when
        the client has no ICP or the version is another client's. For live Apify with a token, the
        cost estimate is stored on the run; the work found is stored in ``runs.estimate``.
        """
        options = options or RunOptions()
        with self.db.connect() as conn:
            if icp_version_id is None:
                row = clients_sql.latest_icp(conn, client_id)
                if row is None:
                    raise InvalidInput("this client has no ICP yet: save one first")
            else:
                row = clients_sql.icp_version(conn, icp_version_id)
                if row["client_id"] != client_id:
                    raise InvalidInput("that ICP version belongs to another client")
        work = self.runnable_leads(client_id, batch_id, int(row["id"]), options)
        if require_work and not work["work"]:
            raise NothingToDo(work["sentence"])
        with self.db.begin() as conn:
            clients_sql.lock_client(conn, client_id)
            busy = runs_sql.unfinished_runs(conn, client_id, batch_id)
            if busy:
                raise RunConflict(busy[0])
            run_id = runs_sql.create_run(conn, client_id, batch_id, row["id"], options.to_dict(), author)
            runs_sql.update_run(conn, run_id, estimate={"work": {k: v for k, v in work.items() if k != "sentence"}})
        if options.enrich == EnrichProvider.APIFY and self.settings.apify_api_token:
            est = self.estimate(client_id, batch_id, options)
            with self.db.begin() as conn:
                runs_sql.update_run(conn, run_id, estimate={**est, "work": {k: v for k, v in work.items()
                                                                             if k != "sentence"}})
        return run_id

    def active_run(self, client_id: int, batch_id: int | None) -> dict[str, Any] | None:
        """The queued, running or paused run of this scope (a batch, or all leads of the client when
        ``batch_id`` is None), or None: while one exists no other run of the scope can start."""
        with self.db.connect() as conn:
            busy = runs_sql.unfinished_runs(conn, client_id, batch_id)
        return busy[0] if busy else None

    def runnable_leads(self, client_id: int, batch_id: int | None, icp_version_id: int,
                       options: RunOptions | None = None) -> dict[str, Any]:
        """What a run of this scope, ICP version and options would do (nothing is written).

        Returns ``{"leads": n in the scope, "new": n to enrich for the first time, "again": n with
        upload data only that this provider can enrich again (for an Apify export: those it has an
        item for; 0 for page data), "to_score": n without an up-to-date score of this version after
        that, "scored": n already scored with it, "failed": n, "work": bool, "sentence": str}``.
        ``sentence`` says it in words, e.g. ``"Nothing to do: all 30 leads of this batch are scored
        with v2 and no better data is given."``.
        """
        options = options or RunOptions()
        upgrade = options.enrich != EnrichProvider.PAGE
        with self.db.connect() as conn:
            c = leads_sql.scope_counts(conn, client_id, batch_id, icp_version_id)
            again_ids: list[int] | None = None
            if upgrade and options.enrich == EnrichProvider.APIFY_JSON:
                again_ids = self._export_matches(conn, client_id, batch_id, options.profiles_path)
            again = len(again_ids) if again_ids is not None else (c["upload_only"] if upgrade else 0)
            stale_again = (leads_sql.count_scored_among(conn, icp_version_id, again_ids)
                           if again_ids is not None else c["upload_only_scored"]) if upgrade else 0
            version = clients_sql.icp_version(conn, icp_version_id)["version"]
        to_score = c["unscored"] + stale_again
        out: dict[str, Any] = {"leads": c["leads"], "new": c["discovered"], "again": again, "to_score": to_score,
                               "scored": c["scored"], "failed": c["failed"]}
        out["work"] = bool(out["new"] or out["again"] or out["to_score"])
        where = "of the client" if batch_id is None else "of this batch"
        if not c["leads"]:
            out["sentence"] = f"Nothing to do: there are no leads {where}."
        elif not out["work"]:
            better = {EnrichProvider.PAGE: "", EnrichProvider.APIFY_JSON: " and the Apify export has no better data "
                      "for them", EnrichProvider.APIFY: ""}[options.enrich]
            out["sentence"] = (f"Nothing to do: all {c['leads']:,} leads {where} are scored with v{version}{better}"
                               + (f" ({c['failed']:,} failed: retry them from the run)" if c["failed"] else "") + ".")
        else:
            parts = []
            if out["new"]:
                parts.append(f"{out['new']:,} to enrich")
            if out["again"]:
                parts.append(f"{out['again']:,} to enrich again with better data")
            parts.append(f"{to_score:,} to score with v{version}")
            out["sentence"] = f"{c['leads']:,} leads {where}: " + ", ".join(parts) + "."
        return out

    def _export_matches(self, conn: Any, client_id: int, batch_id: int | None, path: str | None) -> list[int]:
        """Ids of the scope's leads with upload data only that an Apify export has an item for."""
        if not path:
            return []
        from .enrich.apify_json import ApifyJsonProvider

        rows = [r for r in leads_sql.to_enrich(conn, client_id, batch_id, upgrade=True)
                if r.status != LeadStatus.DISCOVERED]
        if not rows:
            return []
        try:
            provider = ApifyJsonProvider(path)
        except InvalidInput:
            return []
        reqs = [EnrichRequest(lead_id=r.id, key=r.profile_key, url=r.input_url, profile_id=r.profile_id,
                              vanity=r.vanity) for r in rows]
        from .enrich.extract import is_empty_item
        from .enrich.matching import match_items

        return [req.lead_id for req, item, _ in match_items(reqs, provider.items).pairs if not is_empty_item(item)]

    def execute(self, run_id: int, on_progress: ProgressCallback | None = None) -> dict[str, Any]:
        """Run (or resume) a run in this thread until done, paused or cancelled (see :class:`RunExecutor`).

        A run whose provider or models cannot be built is marked ``failed`` with the reason.
        """
        with self.db.connect() as conn:
            run = runs_sql.get_run(conn, run_id)
        try:
            ctx = self.wiring.run_context(RunOptions.from_dict(run["options"]), run_id)
        except Exception as exc:
            with self.db.begin() as conn:
                runs_sql.update_run(conn, run_id, status=RunStatus.FAILED,
                                    error=f"could not prepare the run: {exc}"[:2000])
            raise
        return RunExecutor(self.db, run_id, ctx, worker_id=self.worker_id, on_progress=on_progress).execute()

    def start_background(self, run_id: int) -> None:
        """Execute a run in a daemon thread of this process (no-op while one already runs it)."""
        with self._lock:
            th = self._threads.get(run_id)
            if th is not None and th.is_alive():
                return

            def target() -> None:
                try:
                    self.execute(run_id)
                except (RunStopped, RunBusy) as exc:
                    log.info("run %s: %s", run_id, exc)
                except Exception:  # recorded in runs.error by the executor
                    log.exception("background run %s failed", run_id)

            th = threading.Thread(target=target, daemon=True, name=f"run-{run_id}")
            self._threads[run_id] = th
            th.start()

    def is_running_here(self, run_id: int) -> bool:
        """True while this process has a live thread executing the run."""
        th = self._threads.get(run_id)
        return bool(th and th.is_alive())

    def needs_resume(self, run: dict[str, Any]) -> bool:
        """True for a ``running`` run without a live worker (stale lease, not executing here):
        what the dashboard offers to resume."""
        return lease_is_stale(run) and not self.is_running_here(int(run["id"]))

    def status(self, run_id: int) -> dict[str, Any]:
        """Progress read from the database (:func:`run_progress`)."""
        return run_progress(self.db, run_id)

    def list_runs(self, client_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Run rows, newest first."""
        with self.db.connect() as conn:
            return runs_sql.list_runs(conn, client_id, limit)

    def _move(self, run_id: int, status: RunStatus, allowed_from: tuple[RunStatus, ...]) -> bool:
        with self.db.begin() as conn:
            return runs_sql.set_status(conn, run_id, status, allowed_from)

    def pause(self, run_id: int) -> bool:
        """Ask a queued/running run to stop after its current chunk (resumable). True if changed."""
        return self._move(run_id, RunStatus.PAUSED, RunStatus.active())

    def cancel(self, run_id: int) -> bool:
        """Cancel a run for good (work already done stays). True if changed."""
        return self._move(run_id, RunStatus.CANCELLED, (*RunStatus.unfinished(), RunStatus.FAILED))

    def requeue(self, run_id: int) -> bool:
        """Put a paused or failed run back in the queue (it is then executed by whoever takes it)."""
        return self._move(run_id, RunStatus.QUEUED, (RunStatus.PAUSED, RunStatus.FAILED))

    def resume(self, run_id: int) -> None:
        """Resume a paused, failed or stale run in the background of this process."""
        self.requeue(run_id)
        self.start_background(run_id)

    def claimable(self) -> list[int]:
        """Runs a worker may take now: ``queued`` ones, and ``running`` ones whose worker is gone
        (lease older than :data:`LEASE_S` or, on this host, a dead process). Oldest first."""
        with self.db.connect() as conn:
            rows = runs_sql.lease_candidates(conn, LEASE_S)
        return [int(r.id) for r in rows
                if r.status == RunStatus.QUEUED or r.stale or (r.worker_id and owner_dead_on_this_host(r.worker_id))]

    def resume_unfinished(self) -> list[int]:
        """Start, in the background, every claimable run (the dashboard does this on start, so a
        restarted app resumes interrupted work); with an Apify token, first collect actor runs
        left by dead workers. Returns the run ids started."""
        ids = self.claimable()
        if self.settings.apify_api_token:
            try:
                from .enrich.apify import ApifyProvider

                with ApifyProvider(self.settings, self.db, run_id=None) as prov:
                    prov.recover()  # collect actor runs left by dead workers into the profile cache
            except Exception as exc:  # noqa: BLE001 - recovery is best effort; runs retry later
                log.warning("Apify recovery failed: %s", exc)
        for rid in ids:
            self.start_background(rid)
        return ids

    def work(self, *, once: bool = False, poll_s: float = 5.0, stop: threading.Event | None = None) -> int:
        """Worker loop: execute claimable runs one after another (any number of workers, on any
        machines sharing the database; the lease keeps each run to one worker at a time).

        Returns the number of runs completed. ``once``: return when nothing is left to do.
        """
        done = 0
        stop = stop or threading.Event()
        while not stop.is_set():
            ids = self.claimable()
            for rid in ids:
                try:
                    self.execute(rid)
                    done += 1
                except (RunStopped, RunBusy, ValueError) as exc:
                    log.info("run %s skipped: %s", rid, exc)
                except Exception:  # recorded on the run; go on with the next
                    log.exception("run %s failed", rid)
            if once and not ids:
                break
            if not ids:
                stop.wait(poll_s)
        return done

    def retry_failed(self, client_id: int, batch_id: int | None = None) -> int:
        """Put ``failed`` leads of a scope back to ``discovered`` with a fresh attempt count; returns how many."""
        with self.db.begin() as conn:
            return leads_sql.retry_failed(conn, client_id, batch_id)

    def retry_failed_of_run(self, run_id: int, *, author: str = "system") -> tuple[int, int]:
        """Retry the failed leads of a run's scope in a new run with the same options and ICP version,
        started in the background. Returns ``(leads reset, new run id)``."""
        with self.db.connect() as conn:
            run = runs_sql.get_run(conn, run_id)
        n = self.retry_failed(run["client_id"], run["batch_id"])
        new_id = self.create(run["client_id"], batch_id=run["batch_id"], icp_version_id=run["icp_version_id"],
                             options=RunOptions.from_dict(run["options"]), author=author)
        self.start_background(new_id)
        return n, new_id

    def estimate(self, client_id: int, batch_id: int | None, options: RunOptions) -> dict[str, Any]:
        """Before a run: ``{"leads_to_enrich", "provider"}`` (with a provider that has profile data,
        also the leads with upload data only it would enrich again) and, for live Apify with a token, what
        :meth:`icp_engine.enrich.apify.ApifyProvider.estimate` says (profiles to scrape, runs, cost in USD)."""
        upgrade = options.enrich != EnrichProvider.PAGE
        with self.db.connect() as conn:
            pending = leads_sql.count_to_enrich(conn, client_id, batch_id, upgrade=upgrade)
        est: dict[str, Any] = {"leads_to_enrich": pending, "provider": options.enrich.value}
        if options.enrich == EnrichProvider.APIFY and self.settings.apify_api_token:
            from .enrich.apify import ApifyProvider

            with self.db.connect() as conn:
                rows = leads_sql.to_enrich(conn, client_id, batch_id, upgrade=True)
            reqs = [EnrichRequest(lead_id=r.id, key=r.profile_key, url=r.input_url, profile_id=r.profile_id,
                                  vanity=r.vanity) for r in rows]
            with ApifyProvider(self.settings, self.db, run_id=None) as prov:
                est.update(prov.estimate(reqs))
        return est
