"""How qualification runs are executed: one module between the pipeline, the job queue and whoever starts runs.

A run is a row of ``runs`` (client, optional batch, ICP version, options, status, stage, counts):
the product's record. It is executed by a procrastinate job (:mod:`icp_engine.jobs`: locks,
retries, abort, stalled-job recovery). :class:`RunService` records runs, queues them, runs a queue
worker in this process while it waits for its runs (the CLI's one-shot ``run``, the dashboard),
pauses, resumes and cancels them, and reports their progress from the database.
:meth:`RunService.execute_job` is the task body a worker calls; :class:`RunExecutor` executes one
run's stages (:class:`icp_engine.pipeline.RunStages`) and records the outcome.

Stopping is cooperative: the run's status (``paused`` / ``cancelled``, set from any process) and
the job's abort request are checked before every chunk; a worker that is shutting down hands the
run back to the queue after its current chunk.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, UTC
from typing import Any

from procrastinate.job_context import JobContext

from . import jobs, progress
from .config import Settings
from .db import Database
from .db import clients as clients_sql
from .db import leads as leads_sql
from .db import runs as runs_sql
from .db import scores as scores_sql
from .db._util import NOW, with_now
from .enrich import EnrichRequest
from .enums import EnrichProvider, LeadStatus, RunStage, RunStatus
from .errors import ICPError, InvalidInput, NothingToDo, NotFound, RunBusy, RunConflict, RunFailed, RunStopped
from .pipeline import RunContext, RunOptions, RunStages
from .processes import new_owner_id, owner_dead_on_this_host
from .wiring import Wiring

log = logging.getLogger(__name__)

#: A running stage stores its progress at most every this many seconds ...
REPORT_EVERY_S = 0.5
#: ... and at most once per this many times as long as the last progress count took (so counting the leads
#: of a 100k scope does not take a noticeable share of the run)
REPORT_COST_FACTOR = 8.0
WAIT_POLL_S = 0.25

ProgressCallback = Callable[[dict[str, Any]], None]


class _HandBack(Exception):
    """The worker executing the run is shutting down: stop after this chunk, queue the run again."""


def failure_message(exc: BaseException) -> str:
    """What a failed run records: the sentence of one of our errors (it names what to fix), else the
    exception type and message (at most 2,000 characters)."""
    text = str(exc) if isinstance(exc, ICPError) else f"{type(exc).__name__}: {exc}"
    return text[:2000]


def new_worker_id() -> str:
    """``host:pid:random`` - unique per process, readable in the runs table."""
    return new_owner_id()


# ---------------------------------------------------------------- one run


class RunExecutor:
    """Executes one run's stages to completion (or until paused/cancelled).

    ``RunExecutor(db, run_id, ctx, worker_id=None, job_id=None, on_progress=None, should_stop=None)``:
    ``should_stop()`` is polled before every chunk (the job's abort request) and may raise.
    :meth:`execute` returns the final progress dict (see :func:`run_progress`). Raises
    :class:`RunStopped` when paused or cancelled from outside (state is consistent; execute again
    to resume), :class:`RunBusy` when another worker took the run over. Any other exception marks
    the run ``failed`` with the message and re-raises (the job wrapper may turn that into a retry).
    """

    def __init__(
        self,
        db: Database,
        run_id: int,
        ctx: RunContext,
        *,
        worker_id: str | None = None,
        job_id: int | None = None,
        on_progress: ProgressCallback | None = None,
        should_stop: Callable[[], None] | None = None,
    ):
        self.db = db
        self.run_id = run_id
        self.ctx = ctx
        self.worker_id = worker_id or new_worker_id()
        self.job_id = job_id
        self.on_progress = on_progress
        self.should_stop = should_stop
        self._last_stage = ""
        self._last_report = 0.0
        self._report_every = REPORT_EVERY_S
        # kept in runs.counts with the live counts: the embedding model (for the embed stage's
        # count) and when the current stage started (its rate and ETA; icp_engine.progress)
        self._marks: dict[str, Any] = {"embed_model": getattr(ctx.embedder, "name", None)}
        self._stage_started = 0.0
        #: ``runs.actual["stage_seconds"]``: wall seconds per stage (summed over the run's executions)
        self._stage_seconds: dict[str, float] = {}

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
        if self.should_stop is not None:
            self.should_stop()

    def _report(self, stage: str, delta: dict[str, int] | None = None, *, force: bool = False) -> None:
        """Store progress counts in ``runs`` (at most every :data:`REPORT_EVERY_S`, or
        :data:`REPORT_COST_FACTOR` times the last count's duration if longer; always on a new stage).

        The counts are read from the leads' state (:func:`run_progress`); ``delta`` (what the
        chunk changed, passed by :class:`~icp_engine.pipeline.RunStages`) is accepted and not
        needed. A new stage also closes the previous one's entry in ``runs.actual["stage_seconds"]``.
        """
        del delta  # the counts come from the database
        now = time.monotonic()
        if not force and stage == self._last_stage and now - self._last_report < self._report_every:
            return
        new_stage = stage != self._last_stage
        if new_stage:
            if self._last_stage:
                spent = self._stage_seconds
                spent[self._last_stage] = round(spent.get(self._last_stage, 0.0) + now - self._stage_started, 3)
                self._store_actual({"stage_seconds": dict(spent)}, own=True)
            self._stage_started = now
        self._last_stage, self._last_report = stage, now
        prog = run_progress(self.db, self.run_id, marks=self._marks)
        # counting a large scope takes a while (~50-100 ms at 100k leads): report at most ~1/8 of the time
        self._report_every = max(REPORT_EVERY_S, REPORT_COST_FACTOR * (time.monotonic() - now))
        if new_stage:  # this stage's rate and ETA are measured from here
            self._marks.update(progress.stage_mark(stage, prog["counts"], prog["changes"]))
            prog = run_progress(self.db, self.run_id, marks=self._marks)
        self._set(stage=stage, counts=prog["counts"])
        if self.on_progress:
            prog["stage"] = stage
            self.on_progress(prog)

    def _store_actual(self, stats: dict[str, Any], *, own: bool = False) -> None:
        """Merge keys into ``runs.actual`` (the provider's counters, the run's ``changes``), keeping
        the others (``learning``, and ``stage_seconds``, which only :meth:`_report` writes: ``own``)."""
        values = stats if own else {k: v for k, v in stats.items() if k != "stage_seconds"}
        with self.db.begin() as conn:
            runs_sql.merge_actual(conn, self.run_id, values)

    def execute(self) -> dict[str, Any]:
        """Mark the run running, execute its stages, record ``completed`` (or ``failed``); see the class."""
        with self.db.begin() as conn:
            row = runs_sql.get_run(conn, self.run_id, for_update=True)
            if row["status"] in (RunStatus.COMPLETED, RunStatus.CANCELLED):
                raise InvalidInput(f"run {self.run_id} is {row['status']}")
            run = runs_sql.mark_claimed(conn, self.run_id, self.worker_id, self.job_id)
        with self.db.connect() as conn:
            ver = clients_sql.icp_version(conn, run["icp_version_id"])
        stages = RunStages(
            self.db, run, clients_sql.icp_of(ver), self.ctx, RunOptions.from_dict(run["options"]),
            check_stop=self._check_stop, report=self._report, store_actual=self._store_actual,
        )
        self._stage_seconds = {str(k): float(v) for k, v in ((run.get("actual") or {}).get("stage_seconds") or {}).items()}
        try:
            stages.run()
            self._report(RunStage.DONE, force=True)
            self._set(status=RunStatus.COMPLETED, stage=RunStage.DONE, finished_at=NOW)
        except (RunStopped, RunBusy, _HandBack):
            raise
        except Exception as exc:
            log.exception("run %s failed", self.run_id)
            self._set(status=RunStatus.FAILED, error=failure_message(exc), finished_at=NOW)
            raise
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
    """Records, queues, executes, pauses, resumes and reports runs; the engine's run methods call it.

    ``RunService(db, settings, wiring)``: ``wiring`` builds each run's provider, scorer, embedder
    and classifier (:meth:`Wiring.run_context`). Runs are executed by procrastinate jobs
    (:mod:`icp_engine.jobs`); :meth:`start_background` runs a queue worker in a daemon thread of
    this process while runs it started are unfinished, :meth:`execute` does the same in the
    foreground and waits, :meth:`work` is ``python -m icp_engine worker``.
    """

    def __init__(self, db: Database, settings: Settings, wiring: Wiring):
        self.db = db
        self.settings = settings
        self.wiring = wiring
        self.worker_id = new_worker_id()
        self._queue: jobs.JobQueue | None = None
        self._lock = threading.RLock()
        self._watched: set[int] = set()
        self._background: jobs.QueueWorker | None = None
        self._executing: set[int] = set()
        #: the latest progress dict of each run executing in this process (its executor's report), so a
        #: foreground wait (:meth:`execute`) shows it without counting the leads again
        self._published: dict[int, dict[str, Any]] = {}

    @property
    def queue(self) -> jobs.JobQueue:
        """The job queue's control side (created on first use)."""
        with self._lock:
            if self._queue is None:
                self._queue = jobs.JobQueue(self.db)
            return self._queue

    # ------------------------------------------------------------ recording and queueing

    def create(self, client_id: int, *, batch_id: int | None = None, icp_version_id: int | None = None,
               options: RunOptions | None = None, author: str = "system", require_work: bool = False) -> int:
        """Record a ``queued`` run and return its id (newest ICP version unless one is given).

        The run is executed once it is queued (:meth:`enqueue`, done by :meth:`execute`,
        :meth:`start_background` and :meth:`resume_unfinished`).

        One unfinished run per scope: raises :class:`RunConflict` (an :class:`InvalidInput`) while
        a queued, running or paused run of the same batch (or of all leads of the client) exists
        (:meth:`active_run`; the check and the insert are serialised per client). With
        ``require_work`` (the dashboard's "Start") also raises :class:`NothingToDo` when
        :meth:`runnable_leads` finds nothing to enrich or score. Raises :class:`InvalidInput` when
        the client has no ICP or the version is another client's, or when ``options.judge`` is set
        without ``OPENAI_API_KEY``. For live Apify with a token, and for the LLM judgement, the
        cost estimate is stored on the run; the work found is stored in ``runs.estimate``.
        """
        options = options or RunOptions()
        if options.judge and not self.settings.openai_api_key:
            raise InvalidInput("the LLM judgement needs OPENAI_API_KEY")
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
        if (options.enrich == EnrichProvider.APIFY and self.settings.apify_api_token) or options.judge:
            est = self.estimate(client_id, batch_id, options, icp_version_id=row["id"])
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

    def enqueue(self, run_id: int) -> int | None:
        """Queue a job for a ``queued`` run unless one is waiting or executing; returns the new job id
        (None: nothing to queue). Raises :class:`NotFound` for an unknown run."""
        with self.db.begin() as conn:
            run = runs_sql.get_run(conn, run_id, for_update=True)
            if run["status"] != RunStatus.QUEUED:
                return None
            _, job_status = runs_sql.job_status(conn, run_id)
            if job_status == "todo":
                return None
            job_id = self.queue.defer(conn, run_id, run["client_id"])
            if job_id is not None:
                runs_sql.set_job(conn, run_id, job_id)
            return job_id

    # ------------------------------------------------------------ the job (task body)

    def execute_job(self, run_id: int, context: JobContext) -> None:
        """Body of the procrastinate task: execute run ``run_id`` in job ``context.job``.

        Nothing happens for a run that is no longer queued or running. Pause/cancel end the job
        ``aborted``; a stopping worker hands the run back (run ``queued``, a new job); a transient
        failure (:data:`icp_engine.jobs.RETRY`) leaves the run ``queued`` with the error while
        procrastinate retries the job; any other failure marks the run ``failed`` and fails the job.
        """
        job = context.job
        with self.db.begin() as conn:  # claim first: the run names this process before models load
            try:
                run = runs_sql.get_run(conn, run_id, for_update=True)
            except NotFound:
                log.info("job %s: run %s no longer exists", job.id, run_id)
                return
            if run["status"] not in RunStatus.active():
                log.info("job %s: run %s is %s, nothing to do", job.id, run_id, run["status"])
                return
            runs_sql.mark_claimed(conn, run_id, self.worker_id, job.id)
        try:
            ctx = self.wiring.run_context(RunOptions.from_dict(run["options"]), run_id)
        except Exception as exc:
            with self.db.begin() as conn:
                runs_sql.update_run(conn, run_id, **with_now(dict(
                    status=RunStatus.FAILED, finished_at=NOW, error=f"could not prepare the run: {exc}"[:2000])))
            raise

        def should_stop() -> None:
            if jobs.shutdown_requested(context):
                raise _HandBack(f"worker {self.worker_id} is stopping")
            if jobs.abort_requested(context):
                raise RunStopped(f"job {job.id} of run {run_id} was aborted")

        def publish(prog: dict[str, Any]) -> None:
            self._published[run_id] = prog

        executor = RunExecutor(self.db, run_id, ctx, worker_id=self.worker_id, job_id=job.id, should_stop=should_stop,
                               on_progress=publish)
        with self._lock:
            self._executing.add(run_id)
        try:
            executor.execute()
        except (RunStopped, RunBusy) as exc:
            log.info("run %s: %s", run_id, exc)
            raise jobs.job_aborted(str(exc)) from exc
        except _HandBack as exc:
            with self.db.begin() as conn:
                runs_sql.update_run(conn, run_id, status=RunStatus.QUEUED)
            self.enqueue(run_id)
            raise jobs.job_aborted(str(exc)) from exc
        except Exception as exc:
            if jobs.RETRY.get_retry_decision(exception=exc, job=job) is not None:
                with self.db.begin() as conn:
                    runs_sql.update_run(conn, run_id, status=RunStatus.QUEUED, finished_at=None, error=(
                        f"{type(exc).__name__}: {exc} (attempt {job.attempts + 1}; retrying)")[:2000])
            raise
        finally:
            close = getattr(ctx.provider, "close", None)
            if callable(close):
                close()
            with self._lock:
                self._executing.discard(run_id)
                self._published.pop(run_id, None)

    # ------------------------------------------------------------ workers of this process

    def _worker(self, *, name: str, wait: bool = True, keep_running: Callable[[], bool] | None = None,
                poll_s: float = 1.0, foreground: bool = False) -> jobs.QueueWorker:
        return jobs.QueueWorker(
            self.queue, self.execute_job, name=name, wait=wait, keep_running=keep_running, poll_s=poll_s,
            stall_s=self.settings.worker_stall_s, heartbeat_s=self.settings.worker_heartbeat_s,
            dead_here=self.dead_jobs_here,
            install_signal_handlers=foreground and threading.current_thread() is threading.main_thread(),
        )

    def dead_jobs_here(self) -> list[int]:
        """Ids of ``doing`` jobs whose executing process was on this host and is gone (``kill -9``)."""
        with self.db.connect() as conn:
            rows = runs_sql.executing(conn)
        return [int(r.job_id) for r in rows if r.worker_id and owner_dead_on_this_host(r.worker_id)]

    def _unfinished(self, run_ids: set[int]) -> bool:
        """True while one of the runs is ``queued``/``running`` or still has a live job (gone runs: finished)."""
        with self.db.connect() as conn:
            for rid in run_ids:
                try:
                    status, job_status = runs_sql.job_status(conn, rid)
                except NotFound:
                    continue
                if status in RunStatus.active() or job_status in runs_sql.LIVE_JOB:
                    return True
        return False

    def _keep_background(self) -> bool:
        """``keep_running`` of the background worker: False (and forget it) once every run started
        here is finished; a run started meanwhile gets a new worker."""
        with self._lock:
            watched = set(self._watched)
        if self._unfinished(watched):
            return True
        with self._lock:
            if self._watched - watched:
                return True
            self._watched.clear()
            self._background = None
            return False

    def start_background(self, run_id: int) -> None:
        """Queue the run and make sure this process runs a queue worker in a daemon thread until
        every run started here is finished (any worker sharing the database may execute it)."""
        self.enqueue(run_id)
        with self._lock:
            self._watched.add(run_id)
            if self._background is not None and self._background.alive():
                return
            self._background = self._worker(name=f"background-{self.worker_id}", keep_running=self._keep_background)
            self._background.start()

    def execute(self, run_id: int, on_progress: ProgressCallback | None = None) -> dict[str, Any]:
        """Queue the run and wait for it to end, executing it in a queue worker of this process (or
        watching another worker execute it); ``on_progress`` gets the progress dict every
        :data:`WAIT_POLL_S` seconds (while this process executes the run: the executor's latest
        report, so waiting adds no count queries to the run's own). Returns the final progress.

        Raises :class:`RunStopped` when the run was paused or cancelled, :class:`RunFailed` when
        it failed (the recorded error), :class:`NotFound` for an unknown run.
        """
        with self.db.connect() as conn:
            runs_sql.get_run(conn, run_id)
        self.enqueue(run_id)
        watched = {run_id}
        worker = self._worker(name=f"oneshot-{self.worker_id}", keep_running=lambda: self._unfinished(set(watched)),
                              poll_s=0.5)
        worker.start()
        try:
            shown: dict[str, Any] | None = None
            while self._unfinished(set(watched)) and worker.thread is not None and worker.thread.is_alive():
                if on_progress is not None:
                    with self._lock:
                        here = run_id in self._executing
                        latest = self._published.get(run_id)
                    if not here:
                        on_progress(run_progress(self.db, run_id))
                    elif latest is not None and latest is not shown:
                        on_progress(latest)
                        shown = latest
                time.sleep(WAIT_POLL_S)
        finally:
            worker.stop()
            if worker.thread is not None:
                worker.thread.join(timeout=600)
        final = run_progress(self.db, run_id)
        if on_progress is not None:
            on_progress(final)
        if final["status"] in (RunStatus.PAUSED, RunStatus.CANCELLED):
            raise RunStopped(f"run {run_id} {final['status']}")
        if final["status"] == RunStatus.FAILED:
            raise RunFailed(final["error"] or f"run {run_id} failed")
        if final["status"] != RunStatus.COMPLETED:
            raise RunFailed(f"run {run_id} is {final['status']}: the queue worker of this process stopped")
        return final

    def is_running_here(self, run_id: int) -> bool:
        """True while a queue worker of this process executes the run."""
        with self._lock:
            return run_id in self._executing

    def needs_resume(self, run: dict[str, Any]) -> bool:
        """True for a ``running`` or ``queued`` run that no live job will execute (its process died
        and no worker retried it yet, or it was never queued): what the dashboard offers to resume."""
        if run.get("status") not in RunStatus.active() or self.is_running_here(int(run["id"])):
            return False
        with self.db.connect() as conn:
            _, job_status = runs_sql.job_status(conn, int(run["id"]))
            if job_status not in runs_sql.LIVE_JOB:
                return True
            if job_status == "todo":
                return False
            for r in runs_sql.executing(conn):
                if r.run_id == run["id"]:
                    age = r.heartbeat_age_s
                    return (age is None or float(age) > self.settings.worker_stall_s
                            or bool(r.worker_id and owner_dead_on_this_host(r.worker_id)))
        return False

    def status(self, run_id: int) -> dict[str, Any]:
        """Progress read from the database (:func:`run_progress`)."""
        return run_progress(self.db, run_id)

    def list_runs(self, client_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Run rows, newest first."""
        with self.db.connect() as conn:
            return runs_sql.list_runs(conn, client_id, limit)

    def _move(self, run_id: int, status: RunStatus, allowed_from: tuple[RunStatus, ...]) -> bool:
        with self.db.begin() as conn:
            changed = runs_sql.set_status(conn, run_id, status, allowed_from)
            job_id = runs_sql.get_run(conn, run_id)["job_id"] if changed else None
        if changed and job_id is not None and status in (RunStatus.PAUSED, RunStatus.CANCELLED):
            self.queue.cancel(int(job_id), abort=True)  # waiting: cancelled; executing: asked to abort
        return changed

    def pause(self, run_id: int) -> bool:
        """Ask a queued/running run to stop after its current chunk (resumable). True if changed."""
        return self._move(run_id, RunStatus.PAUSED, RunStatus.active())

    def cancel(self, run_id: int) -> bool:
        """Cancel a run for good (work already done stays). True if changed."""
        return self._move(run_id, RunStatus.CANCELLED, (*RunStatus.unfinished(), RunStatus.FAILED))

    def requeue(self, run_id: int) -> bool:
        """Put a paused or failed run back in the ``queued`` state (queue it with :meth:`enqueue`)."""
        return self._move(run_id, RunStatus.QUEUED, (RunStatus.PAUSED, RunStatus.FAILED))

    def _adopt_if_dead(self, run_id: int) -> None:
        """A ``running`` run whose process is gone: put its job back now, or queue it anew."""
        for job_id in self.dead_jobs_here():
            with self.db.connect() as conn:
                if runs_sql.get_run(conn, run_id)["job_id"] == job_id:
                    self.queue.retry(job_id)
        with self.db.begin() as conn:
            status, job_status = runs_sql.job_status(conn, run_id)
            if status == RunStatus.RUNNING and job_status not in runs_sql.LIVE_JOB:
                runs_sql.update_run(conn, run_id, status=RunStatus.QUEUED)

    def resume(self, run_id: int) -> None:
        """Resume a paused, failed or abandoned run in the background of this process."""
        self.requeue(run_id)
        self._adopt_if_dead(run_id)
        self.start_background(run_id)

    def resume_foreground(self, run_id: int, on_progress: ProgressCallback | None = None) -> dict[str, Any]:
        """Resume a paused, failed or abandoned run and wait for it (:meth:`execute`; CLI ``resume``)."""
        self.requeue(run_id)
        self._adopt_if_dead(run_id)
        return self.execute(run_id, on_progress)

    def resume_unfinished(self) -> list[int]:
        """Queue every ``queued``/``running`` run without a live job, retry jobs of dead processes of
        this host, and run a background worker for them (the dashboard does this on start, so a
        restarted app resumes interrupted work); with an Apify token, first collect actor runs left
        by dead workers. Returns the run ids resumed."""
        if self.settings.apify_api_token:
            try:
                from .enrich.apify import ApifyProvider

                with ApifyProvider(self.settings, self.db, run_id=None) as prov:
                    prov.recover()  # collect actor runs left by dead workers into the profile cache
            except Exception as exc:  # noqa: BLE001 - recovery is best effort; runs retry later
                log.warning("Apify recovery failed: %s", exc)
        dead = set(self.dead_jobs_here())
        with self.db.connect() as conn:
            ids = set(runs_sql.without_live_job(conn))
            ids |= {int(r.run_id) for r in runs_sql.executing(conn) if int(r.job_id) in dead}
        for job_id in dead:
            self.queue.retry(job_id)
        for rid in sorted(ids):
            with self.db.begin() as conn:
                status, job_status = runs_sql.job_status(conn, rid)
                if status == RunStatus.RUNNING and job_status not in runs_sql.LIVE_JOB:
                    runs_sql.update_run(conn, rid, status=RunStatus.QUEUED)
            self.start_background(rid)
        return sorted(ids)

    def work(self, *, once: bool = False, poll_s: float = 5.0, stop: threading.Event | None = None) -> int:
        """Be a queue worker in this thread (``python -m icp_engine worker``): execute jobs of any run,
        one at a time, with any number of workers on any machines sharing the database.

        Returns the number of runs this worker executed to their end. ``once``: return when no job
        can be fetched; ``stop``: an event that ends the worker (after the current chunk; the run
        goes back to the queue). Without either, runs until SIGINT/SIGTERM.
        """
        if once:
            with self.db.connect() as conn:
                orphans = runs_sql.without_live_job(conn)
            for rid in orphans:
                self.enqueue(rid)
        keep = (lambda: not stop.is_set()) if stop is not None else None
        worker = self._worker(name=f"worker-{self.worker_id}", wait=not once, keep_running=keep, poll_s=poll_s,
                              foreground=True)
        worker.run()
        return worker.completed

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

    def estimate(self, client_id: int, batch_id: int | None, options: RunOptions, *,
                 icp_version_id: int | None = None) -> dict[str, Any]:
        """Before a run: ``{"leads_to_enrich", "provider"}`` (with a provider that has profile data,
        also the leads with upload data only it would enrich again); for live Apify with a token, what
        :meth:`icp_engine.enrich.apify.ApifyProvider.estimate` says (profiles to scrape, runs, cost in
        USD); with ``options.judge`` (and a key), ``"judge"``: the LLM judgement's upper bound,
        :func:`icp_engine.scoring.judge.judge_estimate` for the leads of the scope not yet scored
        under the ICP version (default: the newest) - only those that land in the uncertain band
        are sent, so the run costs at most that."""
        upgrade = options.enrich != EnrichProvider.PAGE
        with self.db.connect() as conn:
            pending = leads_sql.count_to_enrich(conn, client_id, batch_id, upgrade=upgrade)
        est: dict[str, Any] = {"leads_to_enrich": pending, "provider": options.enrich.value}
        if options.judge and self.settings.openai_api_key:
            from .scoring.judge import judge_estimate

            with self.db.connect() as conn:
                row = (clients_sql.icp_version(conn, icp_version_id) if icp_version_id is not None
                       else clients_sql.latest_icp(conn, client_id))
                if row is not None:
                    n = scores_sql.count_unscored(conn, client_id, batch_id, row["id"])
                    est["judge"] = judge_estimate(n, clients_sql.icp_of(row), self.settings)
        if options.enrich == EnrichProvider.APIFY and self.settings.apify_api_token:
            from .enrich.apify import ApifyProvider

            with self.db.connect() as conn:
                rows = leads_sql.to_enrich(conn, client_id, batch_id, upgrade=True)
            reqs = [EnrichRequest(lead_id=r.id, key=r.profile_key, url=r.input_url, profile_id=r.profile_id,
                                  vanity=r.vanity) for r in rows]
            with ApifyProvider(self.settings, self.db, run_id=None) as prov:
                est.update(prov.estimate(reqs))
        return est
