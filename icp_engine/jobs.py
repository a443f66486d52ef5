"""The job queue of qualification runs: procrastinate (PyPI ``procrastinate``) on the product's Postgres.

A run is a row of ``runs`` (the product's record: options, status, stage, counts). It is executed
by one procrastinate job of the task :func:`qualify_run` in the queue :data:`QUEUE`; the stages
commit chunk by chunk and pick up from the leads' state, so any job of the run resumes it.

* **One batch runs once.** The job's *lock* is ``client:<id>``: two runs over a client's leads
  (the same batch twice, two batches sharing people, the dashboard and the CLI at once) never
  execute at the same time; the second waits, then finds the work done and only exports. Runs of
  different clients run in parallel on as many workers as there are. The *queueing lock*
  ``run:<id>`` keeps a run in the queue at most once.
* **Retries.** A job failing on a transient error (an external service still failing after the
  HTTP retries, a dropped database connection: :data:`RETRY`) is retried by procrastinate up to
  three attempts, 2 / 4 s apart; meanwhile the run shows ``queued`` with the error.
* **Pause, cancel.** The run's status is set and the job is cancelled (waiting) or asked to
  abort (procrastinate's ``abort_requested``); the executing job stops after its current chunk.
* **Stalled jobs.** Each worker sends procrastinate heartbeats. Every worker of ours looks for
  jobs whose worker stopped beating for ``worker_stall_s`` seconds (procrastinate's
  ``get_stalled_jobs``; a machine that died) and retries them (``retry_job``), at start and every
  few seconds; a job whose process is gone *on this host* (``kill -9``) is retried at once.
* **Workers.** ``python -m icp_engine worker`` is a procrastinate worker (one per machine that
  shares the database); the dashboard and the one-shot ``run`` command run one in a thread of
  their own process while their runs are unfinished.

Control operations (defer, cancel, retry, status) use the product's SQLAlchemy connection pool
through procrastinate's synchronous connector; a worker opens its own small asynchronous pool.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

import procrastinate
from procrastinate import exceptions as pq_exceptions
from procrastinate import utils as pq_utils
from procrastinate.job_context import AbortReason, JobContext
from procrastinate.worker import Worker

from .db import Database
from .db.queue import TRANSIENT_DB_ERRORS, EnginePool, driver_connection, libpq_url
from .errors import DatabaseError
from .http import ServiceError

log = logging.getLogger(__name__)

#: The queue of qualification jobs.
QUEUE = "qualify"
#: Transient failures retried by procrastinate (3 attempts in all, waits 2 s then 4 s).
RETRY = procrastinate.RetryStrategy(
    max_attempts=2, exponential_wait=2,
    retry_exceptions=[ServiceError, DatabaseError, *TRANSIENT_DB_ERRORS],
)

#: The procrastinate task name of a run's job.
TASK = "icp.qualify_run"


def qualify_run(context: JobContext, run_id: int) -> None:
    """Execute (or resume) run ``run_id`` (procrastinate task :data:`TASK`).

    The worker that fetched the job passes ``additional_context["execute"]``, the
    :meth:`icp_engine.runs.RunService.execute_job` of its process (models, providers, database).
    """
    context.additional_context["execute"](run_id, context)


def new_app(connector: Any) -> procrastinate.App:
    """A procrastinate app on ``connector`` with the task :data:`TASK` registered (one app per
    connector: procrastinate binds a task object to one app)."""
    app = procrastinate.App(connector=connector)
    app.task(name=TASK, queue=QUEUE, pass_context=True, retry=RETRY)(qualify_run)
    return app


def run_lock(client_id: int) -> str:
    """The procrastinate lock of a client's runs (one executes at a time)."""
    return f"client:{client_id}"


def run_queueing_lock(run_id: int) -> str:
    """The procrastinate queueing lock of a run (waits in the queue at most once)."""
    return f"run:{run_id}"


class JobQueue:
    """Control side of the queue for one :class:`~icp_engine.db.Database`.

    ``JobQueue(db)``: :meth:`defer` queues a run (inside the caller's transaction), :meth:`cancel`
    cancels or aborts a job, :meth:`retry` puts a stalled job back; :meth:`worker_app` is the app a
    worker runs (its own asynchronous pool). Uses procrastinate's public API only.
    """

    def __init__(self, db: Database):
        self.db = db
        self.app = new_app(procrastinate.SyncPsycopgConnector())
        self.app.open(EnginePool(db.engine))  # a duck-typed pool

    def defer(self, conn: Any, run_id: int, client_id: int) -> int | None:
        """Queue a job for the run in the transaction of ``conn``; returns its id, or None when the run
        already waits in the queue (queueing lock)."""
        raw = driver_connection(conn)
        try:
            return int(self.app.configure_task(
                TASK, queue=QUEUE, lock=run_lock(client_id), queueing_lock=run_queueing_lock(run_id), connection=raw,
            ).defer(run_id=run_id))
        except pq_exceptions.AlreadyEnqueued:
            return None

    def cancel(self, job_id: int, *, abort: bool = True) -> bool:
        """Cancel a waiting job; with ``abort``, also ask an executing one to stop. True if done."""
        return bool(self.app.job_manager.cancel_job_by_id(job_id, abort=abort))

    def retry(self, job_id: int) -> bool:
        """Put a ``doing`` job of a dead worker back in the queue now; False if it is no longer ``doing``."""
        try:
            self.app.job_manager.retry_job_by_id(job_id, retry_at=pq_utils.utcnow())
            return True
        except pq_exceptions.ConnectorException as exc:  # the job moved on meanwhile
            log.info("job %s not retried: %s", job_id, exc)
            return False

    def worker_app(self) -> procrastinate.App:
        """An app with its own asynchronous pool (open it in the worker's event loop)."""
        return new_app(procrastinate.PsycopgConnector(conninfo=libpq_url(self.db.url), min_size=1, max_size=3))


class QueueWorker:
    """A procrastinate worker on :data:`QUEUE` executing jobs with ``execute`` (one job at a time).

    ``QueueWorker(queue, execute, *, name, wait=True, keep_running=None, poll_s=1.0, stall_s=30.0,
    heartbeat_s=5.0, recover_every_s=5.0, dead_here=None)``:

    * ``execute(run_id, context)``: the task body (:meth:`icp_engine.runs.RunService.execute_job`);
    * ``wait``: False returns when no job can be fetched (``worker --once``);
    * ``keep_running()``: polled every 0.5 s in a thread; False stops the worker (the job in hand is
      asked to stop after its chunk and handed back to the queue);
    * ``stall_s``: a worker without heartbeat for that long is dead; its jobs are retried;
    * ``dead_here()``: ids of ``doing`` jobs whose process on this host is gone (retried at once).

    :meth:`run` blocks (own event loop); :meth:`start` runs it in a daemon thread; :meth:`stop`
    may be called from any thread. ``completed`` counts the jobs that finished their run.
    """

    def __init__(
        self,
        queue: JobQueue,
        execute: Callable[[int, JobContext], None],
        *,
        name: str,
        wait: bool = True,
        keep_running: Callable[[], bool] | None = None,
        poll_s: float = 1.0,
        stall_s: float = 30.0,
        heartbeat_s: float = 5.0,
        recover_every_s: float = 5.0,
        dead_here: Callable[[], list[int]] | None = None,
        install_signal_handlers: bool = False,
    ):
        self.queue = queue
        self.execute = execute
        self.name = name
        self.wait = wait
        self.keep_running = keep_running
        self.poll_s = poll_s
        self.stall_s = stall_s
        self.heartbeat_s = heartbeat_s
        self.recover_every_s = recover_every_s
        self.dead_here = dead_here
        self.install_signal_handlers = install_signal_handlers
        self.completed = 0
        self.thread: threading.Thread | None = None
        self._worker: Worker | None = None
        self._stop_requested = threading.Event()

    # -- running
    def run(self) -> None:
        """Run the worker in this thread until stopped (or, without ``wait``, until the queue is drained)."""
        asyncio.run(self._main())

    def start(self) -> threading.Thread:
        """Run the worker in a daemon thread; returns the thread."""
        self.thread = threading.Thread(target=self._run_logged, daemon=True, name=f"queue-worker-{self.name}")
        self.thread.start()
        return self.thread

    def _run_logged(self) -> None:
        try:
            self.run()
        except Exception:  # a worker thread must not die silently
            log.exception("queue worker %s stopped on an error", self.name)

    def stop(self) -> None:
        """Ask the worker to stop (thread-safe): it hands the job in hand back after its current chunk."""
        self._stop_requested.set()
        if self._worker is not None:
            self._worker.stop()

    def alive(self) -> bool:
        """True while the worker thread runs and no stop was requested."""
        return bool(self.thread and self.thread.is_alive() and not self._stop_requested.is_set())

    async def _main(self) -> None:
        app = self.queue.worker_app()
        async with app.open_async():
            await self.recover(app)
            worker = Worker(
                app=app, queues=[QUEUE], name=self.name, concurrency=1, wait=self.wait,
                fetch_job_polling_interval=self.poll_s, abort_job_polling_interval=min(self.poll_s, 2.0),
                shutdown_graceful_timeout=0.0, listen_notify=True, delete_jobs="never",
                additional_context={"execute": self._execute},
                install_signal_handlers=self.install_signal_handlers,
                update_heartbeat_interval=self.heartbeat_s, stalled_worker_timeout=self.stall_s,
            )
            self._worker = worker
            if self._stop_requested.is_set():
                return
            side = [asyncio.create_task(self._recover_loop(app))]
            if self.keep_running is not None:
                side.append(asyncio.create_task(self._watch(worker)))
            try:
                await worker.run()
            finally:
                for t in side:
                    t.cancel()
                await asyncio.gather(*side, return_exceptions=True)

    def _execute(self, run_id: int, context: JobContext) -> None:
        self.execute(run_id, context)
        self.completed += 1

    async def _watch(self, worker: Worker) -> None:
        assert self.keep_running is not None
        failing_since: float | None = None
        while True:
            await asyncio.sleep(0.5)
            try:
                keep = await asyncio.to_thread(self.keep_running)
                failing_since = None
            except Exception as exc:  # noqa: BLE001 - a failed check keeps the worker (checked again) for a minute
                now = asyncio.get_running_loop().time()
                failing_since = failing_since or now
                log.info("queue worker %s: keep_running failed: %s", self.name, exc)
                keep = now - failing_since < 60.0
            if not keep:
                worker.stop()
                return

    # -- stalled jobs
    async def recover(self, app: procrastinate.App) -> list[int]:
        """Retry the jobs of dead workers now: procrastinate's stalled jobs (no heartbeat for
        ``stall_s``) and ``dead_here()``. Returns the job ids put back in the queue."""
        jm = app.job_manager
        try:
            ids = {j.id for j in await jm.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=self.stall_s)
                   if j.id is not None}
            if self.dead_here is not None:
                ids |= set(await asyncio.to_thread(self.dead_here))
        except Exception as exc:  # noqa: BLE001 - recovery is retried on the next round
            log.warning("looking for stalled jobs failed: %s", exc)
            return []
        done = []
        for job_id in sorted(ids):
            try:
                await jm.retry_job_by_id_async(job_id, retry_at=pq_utils.utcnow())
                done.append(job_id)
                log.info("job %s of a dead worker put back in the queue", job_id)
            except pq_exceptions.ConnectorException as exc:  # finished or retried by another worker meanwhile
                log.info("job %s not retried: %s", job_id, exc)
        return done

    async def _recover_loop(self, app: procrastinate.App) -> None:
        while True:
            await asyncio.sleep(self.recover_every_s)
            await self.recover(app)


def shutdown_requested(context: JobContext) -> bool:
    """True when the worker executing the job is stopping (the job should hand its run back)."""
    return context.abort_reason() == AbortReason.SHUTDOWN


def abort_requested(context: JobContext) -> bool:
    """True when someone asked procrastinate to abort the job (cancel / pause of the run)."""
    return context.abort_reason() == AbortReason.USER_REQUEST


def job_aborted(message: str) -> BaseException:
    """The exception a task raises to end its job as ``aborted`` (not retried)."""
    return pq_exceptions.JobAborted(message)

