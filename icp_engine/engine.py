"""The facade the dashboard and the CLI call: one :class:`Engine` per process.

``Engine()`` reads :class:`~icp_engine.config.Settings`, connects to Postgres (embedded when
``DATABASE_URL`` is unset), applies migrations, and loads models lazily on first use. All state
lives in Postgres; the engine holds only caches (models) and background run threads, so several
engines (dashboard, CLI, workers on other machines) can share one database.

The engine composes focused services and delegates to them: :attr:`Engine.wiring` (models and
providers, :mod:`icp_engine.wiring`), :attr:`Engine.runs` (run execution, :mod:`icp_engine.runs`),
:attr:`Engine.uploads` (:mod:`icp_engine.uploads`) and :attr:`Engine.views` (the pages' read
side, :mod:`icp_engine.views`) and :attr:`Engine.calls` (discovery calls: import, review as a
diff, accept; :mod:`icp_engine.calls.service`). Clients, ICP versions, review labels and exports
go straight to their query modules in :mod:`icp_engine.db`.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .auth import Actor, Auth, actor_fields
from .config import Settings
from .db import Database
from .db import audit as audit_sql
from .db import clients as clients_sql
from .db import leads as leads_sql
from .db import reports as reports_sql
from .db import review as review_sql
from .db import scores as scores_sql
from .domain import ICP, Follower, Profile, ScoreResult
from .enums import FeedbackLabel, RerankerName, ReviewQueue, values
from .erasure import ClientDeletion, Erasure, ForgetReport
from .errors import InvalidInput, NotFound
from .export import for_display, write_csv
from .feedback import FeedbackService
from .overlap import BackgroundTransaction
from .ingest.upload import ParsedUpload
from .db.reports import LeadFilters
from .pipeline import RunOptions, profile_from_row
from .runs import ProgressCallback, RunService
from .uploads import UploadPreview, Uploads
from .views import Views
from .wiring import Wiring

if TYPE_CHECKING:  # pragma: no cover
    from .calls.service import CallService

Row = dict[str, Any]


class Engine:
    """Facade over the product. Thread-safe for use from Streamlit sessions.

    ``Engine(settings=None, db=None, *, wiring=None)``: ``db`` defaults to a
    :class:`~icp_engine.db.Database` on the settings' database, ``wiring`` to
    ``Wiring(settings, db)`` (pass one with stand-ins in tests). Raises
    :class:`~icp_engine.errors.DatabaseError` when the database cannot be reached.
    """

    def __init__(self, settings: Settings | None = None, db: Database | None = None, *, wiring: Wiring | None = None):
        self.settings = settings or Settings()
        self.db = db or Database(self.settings)
        self.wiring = wiring or Wiring(self.settings, self.db)
        self.runs = RunService(self.db, self.settings, self.wiring)
        self.uploads = Uploads(self.db, self.settings)
        self.views = Views(self.db)
        self.feedback = FeedbackService(self.db, self.wiring)  # import_csv, measure, informative_queue
        self.auth = Auth(self.db, self.settings)
        self.erasure = Erasure(self.db, self.settings)
        self.erasure.purge_expired_profiles()  # the cache's 30-day TTL: expired profiles are deleted
        self.auth.purge_expired_sessions()

    @cached_property
    def calls(self) -> CallService:
        """Discovery calls of clients: import transcripts and Fathom meetings, the proposal as a
        diff against the ICP, accept into a new version (:class:`~icp_engine.calls.service.CallService`;
        loaded on first use)."""
        from .calls.service import CallService

        return CallService(self.db, self.wiring)

    @property
    def worker_id(self) -> str:
        """This process's worker id (``host:pid:hex``), the holder of the leases it takes."""
        return self.runs.worker_id

    # ------------------------------------------------------------ clients and ICPs

    def create_client(self, name: str, notes: str = "", *, author: Actor = "system") -> Row:
        """Create a client (audited); :class:`InvalidInput` if the name is empty or taken."""
        with self.db.begin() as conn:
            row = clients_sql.create_client(conn, name, notes)
            self._audit(conn, author, "client.create", "client", row["id"])
            return row

    def get_or_create_client(self, name: str, *, author: Actor = "system") -> Row:
        """The client with this name, created (audited) if missing."""
        with self.db.begin() as conn:  # serialised per name: two processes at once get the same client
            clients_sql.lock_name(conn, name)
            try:
                return clients_sql.get_client(conn, name)
            except NotFound:
                row = clients_sql.create_client(conn, name)
                self._audit(conn, author, "client.create", "client", row["id"])
                return row

    @staticmethod
    def _audit(conn: Any, author: Actor | None, action: str, target_type: str, target_id: int | None,
               details: dict[str, Any] | None = None) -> None:
        who, who_id = actor_fields(author)
        audit_sql.record(conn, actor=who, actor_id=who_id, action=action, target_type=target_type,
                         target_id=target_id, details=details)

    def delete_client(self, client: int | str, *, author: Actor = "system") -> ClientDeletion:
        """Delete a client with everything it holds (:meth:`Erasure.delete_client`; audited)."""
        return self.erasure.delete_client(client, actor=author)

    def forget_person(self, profile_url: str, *, author: Actor = "system") -> ForgetReport:
        """Remove one person everywhere (:meth:`Erasure.forget_person`; audited without the URL)."""
        report = self.erasure.forget_person(profile_url, actor=author)
        embedder = self.wiring.__dict__.get("embedder")  # only when already loaded (a cached_property)
        clear = getattr(embedder, "clear_memory", None)
        if callable(clear):  # this process's in-memory copy of cached texts
            clear()
        return report

    def audit_trail(self, limit: int = 200) -> list[Row]:
        """Newest audit entries first (:func:`icp_engine.db.audit.recent`)."""
        with self.db.connect() as conn:
            return audit_sql.recent(conn, limit)

    def get_client(self, client: int | str) -> Row:
        """A client by id or name; raises :class:`NotFound`."""
        with self.db.connect() as conn:
            return clients_sql.get_client(conn, client)

    def list_clients(self) -> list[Row]:
        """Clients with lead counts (``leads``) and newest ICP version (``icp_version``), newest first."""
        with self.db.connect() as conn:
            return clients_sql.list_clients(conn)

    def save_icp(self, client_id: int, icp: ICP, *, author: Actor = "system", note: str = "") -> Row:
        """Save a new ICP version (unchanged ICP -> current version returned; a new one is audited);
        returns the version row."""
        who, _ = actor_fields(author)
        with self.db.begin() as conn:
            before = clients_sql.current_version_id(conn, client_id)
            row = clients_sql.save_icp(conn, client_id, icp, author=who, note=note)
            if row["id"] != before:
                self._audit(conn, author, "icp.save", "icp_version", row["id"],
                            {"client_id": client_id, "version": row["version"]})
            return row

    def current_icp(self, client_id: int) -> tuple[Row, ICP] | None:
        """``(version_row, ICP)`` of the newest version, or None when the client has no ICP yet."""
        with self.db.connect() as conn:
            row = clients_sql.latest_icp(conn, client_id)
        return (row, clients_sql.icp_of(row)) if row else None

    def icp_history(self, client_id: int) -> list[Row]:
        """All ICP versions of a client, newest first (version, icp, created_by, change_note, created_at)."""
        with self.db.connect() as conn:
            return clients_sql.icp_history(conn, client_id)

    # ------------------------------------------------------------ uploads

    def parse_upload(self, filename: str, data: bytes, *, max_bytes: int | None = None) -> ParsedUpload:
        """Parse a file without storing anything (``max_bytes``: default the upload limit); raises ``UploadError``."""
        return self.uploads.parse(filename, data, max_bytes=max_bytes)

    def preview_upload(self, client_id: int, filename: str, data: bytes) -> UploadPreview:
        """Parse a file and compare it with the client's leads; nothing is written (``UploadError``)."""
        return self.uploads.preview(client_id, filename, data)

    def store_upload(self, client_id: int, previews: Sequence[UploadPreview], *, batch_name: str | None = None,
                     author: Actor = "system") -> Row:
        """Store previewed files as one batch (merged, deduplicated; see :meth:`Uploads.store`)."""
        return self.uploads.store(client_id, previews, batch_name=batch_name, author=actor_fields(author)[0])

    def ingest_followers(self, client_id: int, people: Sequence[Follower], *, batch_name: str,
                         source_filename: str = "", source_kind: str = "", file_sha256: str | None = None,
                         author: str = "system", warnings: list[str] | None = None) -> Row:
        """Store already parsed followers as a new batch (one transaction; see :meth:`Uploads.store_followers`)."""
        return self.uploads.store_followers(client_id, people, batch_name=batch_name, source_filename=source_filename,
                                            source_kind=source_kind, file_sha256=file_sha256, author=author,
                                            warnings=warnings)

    def list_batches(self, client_id: int) -> list[Row]:
        """Batches of a client (full rows), newest first."""
        with self.db.connect() as conn:
            return leads_sql.list_batches(conn, client_id)

    def batch_deletion(self, batch_id: int) -> Row:
        """What deleting a batch would do (:meth:`Uploads.batch_deletion`)."""
        return self.uploads.batch_deletion(batch_id)

    def delete_batch(self, batch_id: int, *, author: Actor = "system") -> Row:
        """Delete an upload and the leads found only in it (:meth:`Uploads.delete_batch`; audited)."""
        return self.uploads.delete_batch(batch_id, author=author)

    def save_apify_items(self, filename: str, data: bytes) -> str:
        """Keep an uploaded Apify dataset file and return its path (for ``RunOptions.profiles_path``)."""
        return self.uploads.save_apify_items(filename, data)

    # ------------------------------------------------------------ runs (see icp_engine.runs)

    def create_run(self, client_id: int, *, batch_id: int | None = None, icp_version_id: int | None = None,
                   options: RunOptions | None = None, author: Actor = "system", require_work: bool = False) -> int:
        """Record a ``queued`` run (newest ICP version unless given) and return its id. Raises
        :class:`InvalidInput` when the client has no ICP, :class:`~icp_engine.errors.RunConflict` while a
        run of the same batch is unfinished, and with ``require_work`` :class:`~icp_engine.errors.NothingToDo`
        when the run would change nothing (:meth:`runnable_leads`). Expired profile-cache rows are
        purged first (30-day TTL)."""
        self.erasure.purge_expired_profiles()
        return self.runs.create(client_id, batch_id=batch_id, icp_version_id=icp_version_id, options=options,
                                author=actor_fields(author)[0], require_work=require_work)

    def active_run(self, client_id: int, batch_id: int | None) -> Row | None:
        """The unfinished run of this batch (``None``: all leads of the client) (:meth:`RunService.active_run`)."""
        return self.runs.active_run(client_id, batch_id)

    def runnable_leads(self, client_id: int, batch_id: int | None, icp_version_id: int,
                       options: RunOptions | None = None) -> Row:
        """What a run would do (:meth:`icp_engine.runs.RunService.runnable_leads`)."""
        return self.runs.runnable_leads(client_id, batch_id, icp_version_id, options)

    def execute_run(self, run_id: int, on_progress: ProgressCallback | None = None) -> Row:
        """Run (or resume) a run in this thread until done; returns its final progress. Raises
        ``RunStopped`` when paused/cancelled, ``RunBusy`` when another live worker has it."""
        return self.runs.execute(run_id, on_progress)

    def start_run_background(self, run_id: int) -> None:
        """Execute a run in a daemon thread of this process (the dashboard's "Start")."""
        self.runs.start_background(run_id)

    def is_running_here(self, run_id: int) -> bool:
        """True while this process has a live thread executing the run."""
        return self.runs.is_running_here(run_id)

    def run_needs_resume(self, run: Row) -> bool:
        """True for a ``running`` run (a ``runs`` row) that no live worker executes."""
        return self.runs.needs_resume(run)

    def run_status(self, run_id: int) -> Row:
        """Progress read from the database (same truth for every page and process)."""
        return self.runs.status(run_id)

    def list_runs(self, client_id: int | None = None, limit: int = 50) -> list[Row]:
        """Runs, newest first, with their stored counts."""
        return self.runs.list_runs(client_id, limit)

    def pause_run(self, run_id: int) -> bool:
        """Ask a queued/running run to stop after its current chunk (resumable). True if changed."""
        return self.runs.pause(run_id)

    def cancel_run(self, run_id: int) -> bool:
        """Cancel a run for good (work already done stays). True if changed."""
        return self.runs.cancel(run_id)

    def requeue_run(self, run_id: int) -> bool:
        """Put a paused or failed run back in the queue. True if changed."""
        return self.runs.requeue(run_id)

    def resume_run(self, run_id: int) -> None:
        """Resume a paused, failed or stale run in the background."""
        self.runs.resume(run_id)

    def resume_unfinished_runs(self) -> list[int]:
        """Start every queued or abandoned run in the background (the dashboard, on start)."""
        return self.runs.resume_unfinished()

    def work(self, *, once: bool = False, poll_s: float = 5.0, stop: threading.Event | None = None) -> int:
        """Worker loop of ``python -m icp_engine worker`` (until ``stop`` is set, or nothing is left with
        ``once``); returns the number of runs completed."""
        return self.runs.work(once=once, poll_s=poll_s, stop=stop)

    def retry_failed(self, client_id: int, batch_id: int | None = None) -> int:
        """Put ``failed`` leads of a scope back to ``discovered`` with ``retry_count`` 0; returns how many."""
        return self.runs.retry_failed(client_id, batch_id)

    def retry_failed_run(self, run_id: int, *, author: Actor = "system") -> tuple[int, int]:
        """Retry a run's failed leads in a new background run; returns ``(leads reset, new run id)``."""
        return self.runs.retry_failed_of_run(run_id, author=actor_fields(author)[0])

    def estimate_run(self, client_id: int, batch_id: int | None, options: RunOptions, *,
                     icp_version_id: int | None = None) -> Row:
        """Before a run: leads to enrich; for live Apify, profiles to scrape, runs and cost (USD); with
        ``options.judge``, the LLM judgement's upper bound (``"judge"``: leads, requests, tokens, USD)."""
        return self.runs.estimate(client_id, batch_id, options, icp_version_id=icp_version_id)

    # ------------------------------------------------------------ scoring without a run

    def rank(self, icp: ICP, profiles: Sequence[Profile], reranker: RerankerName | str = RerankerName.NONE
             ) -> list[ScoreResult]:
        """Score profiles against an ICP with exactly the scorer of the pipeline (CLI ``rank``)."""
        return list(self.wiring.scorer(reranker).score(icp, profiles))

    def preview_icp(self, client_id: int, icp: ICP, n: int = 5, *, seed: int = 0) -> list[Row]:
        """How ``n`` sample leads of the client (:meth:`Views.sample_leads`) score with ``icp`` (saved or
        not), best first: ``[{"name", "headline", "score" (0-100, 1 decimal), "bucket", "why"}]``.
        ``[]`` when the client has no leads; score, bucket and why are None when the ICP sets no criterion."""
        rows = self.views.sample_leads(client_id, n, seed=seed)
        if not rows or icp.is_empty():
            return [{"name": r["name"], "headline": r["headline"], "score": None, "bucket": None, "why": None}
                    for r in rows]
        results = self.rank(icp, [profile_from_row(r) for r in rows])
        out = [{"name": r["name"], "headline": r["headline"], "score": round(float(res.icp_score), 1),
                "bucket": res.bucket, "why": res.match_reasoning} for r, res in zip(rows, results, strict=True)]
        return sorted(out, key=lambda d: -d["score"])

    # ------------------------------------------------------------ review

    def review_queue(self, client_id: int, reviewer: str, *, batch_id: int | None = None, limit: int = 20,
                     include_labelled: bool = False, icp_version_id: int | None = None) -> list[Row]:
        """Scored leads in a seeded random order per reviewer, never sorted by score; scores of
        ``icp_version_id`` (default: the newest version with scores;
        :func:`icp_engine.db.review.review_queue`), shown as the CSV shows them
        (:func:`icp_engine.export.for_display`: name fallback, guessed industry, enrichment notes)."""
        with self.db.connect() as conn:
            rows = review_sql.review_queue(conn, client_id, reviewer, batch_id=batch_id, limit=limit,
                                           include_labelled=include_labelled, icp_version_id=icp_version_id)
        return [for_display(r) for r in rows]

    def review_progress(self, client_id: int, reviewer: str, batch_id: int | None = None, *,
                        icp_version_id: int | None = None) -> dict[str, int]:
        """``{"scored": n, "labelled": n, "keep": n, "trash": n, "skip": n}`` for a reviewer (scores of
        ``icp_version_id``, default the newest version with scores)."""
        with self.db.connect() as conn:
            return review_sql.review_progress(conn, client_id, reviewer, batch_id, icp_version_id=icp_version_id)

    def record_feedback(self, lead_id: int, label: FeedbackLabel | str, reviewer: str,
                        queue: ReviewQueue | str = ReviewQueue.RANDOM, *, icp_version_id: int | None = None) -> int:
        """Store keep / trash / skip for a lead with reviewer, time, the ICP version whose score the
        reviewer saw (``icp_version_id``; default the newest version with scores) and the review queue.

        A new label by the same reviewer supersedes the previous one (kept, marked undone).
        Returns the feedback id. :class:`InvalidInput` for an unknown label or queue, or no reviewer.
        """
        try:
            kind, source = FeedbackLabel(label), ReviewQueue(queue)
        except ValueError:
            raise InvalidInput(f"label must be one of {values(FeedbackLabel)}, queue one of {values(ReviewQueue)}") from None
        reviewer = (reviewer or "").strip()
        if not reviewer:
            raise InvalidInput("a reviewer name is required")
        with self.db.begin() as conn:
            return review_sql.record_feedback(conn, lead_id, kind, reviewer, source, icp_version_id=icp_version_id)

    def undo_last_feedback(self, client_id: int, reviewer: str) -> Row | None:
        """Undo the reviewer's most recent label in this client; returns it, or None if nothing to undo."""
        with self.db.begin() as conn:
            return review_sql.undo_last(conn, client_id, reviewer)

    def feedback_rows(self, client_id: int, icp_version_id: int | None = None) -> list[Row]:
        """Current keep/trash labels with the lead's score (for ``eval --client``)."""
        with self.db.connect() as conn:
            return review_sql.feedback_rows(conn, client_id, icp_version_id)

    # ------------------------------------------------------------ export

    def export_rows(self, client_id: int, **filters: Any) -> list[Row]:
        """Scored leads for export (filters of :func:`icp_engine.db.reports.export_query`), best first."""
        with self.db.connect() as conn:
            return reports_sql.export_rows(conn, client_id, **filters)

    def export_csv(self, client_id: int, *, mark_exported: bool = True, **filters: Any) -> bytes:
        """The ranked CSV (UTF-8, BOM) of a scope in chunks; its leads marked exported in one background transaction."""
        with self.db.connect() as conn, BackgroundTransaction(self.db, name="icp-export") as marks:
            mark = (lambda ids: marks.submit(lambda c: leads_sql.mark_exported(c, ids))) if mark_exported else None
            write_csv(reports_sql.export_row_chunks(conn, client_id, **filters), buf := io.BytesIO(), on_chunk=mark)
        return buf.getvalue()

    def mark_exported(self, lead_ids: Sequence[int]) -> None:
        """Set status ``exported`` (and ``exported_at``) on qualified leads."""
        with self.db.begin() as conn:
            leads_sql.mark_exported(conn, lead_ids)

    def score_histogram(self, client_id: int, filters: LeadFilters | None = None, *, batch_id: int | None = None,
                        bin_width: int = 5) -> list[dict[str, int]]:
        """Score distribution of the filtered leads, computed in SQL: ``[{"bin_start": 0, "count": n}, ...]``
        (bins of ``bin_width``). ``batch_id`` is a shortcut for ``LeadFilters(batch_id=...)``."""
        f = filters or LeadFilters(batch_id=batch_id)
        with self.db.connect() as conn:
            return reports_sql.score_histogram(conn, client_id, f, bin_width=bin_width)

    def bucket_counts(self, client_id: int, filters: LeadFilters | None = None, *, batch_id: int | None = None
                      ) -> dict[str, int]:
        """``{"strong": n, "good": n, "possible": n, "poor": n}`` of the filtered leads (default: every
        lead scored with the newest version that has scores). ``batch_id``: as in :meth:`score_histogram`."""
        f = filters or LeadFilters(batch_id=batch_id)
        with self.db.connect() as conn:
            return reports_sql.bucket_counts(conn, client_id, f)

    def similar_leads(self, lead_id: int, k: int = 5) -> list[Row]:
        """The ``k`` leads of the same client nearest to this one by cosine similarity (pgvector ``<=>``)."""
        with self.db.connect() as conn:
            return scores_sql.similar_leads(conn, lead_id, self.wiring.embedder.name, k)
