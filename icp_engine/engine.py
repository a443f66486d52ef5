"""The facade the dashboard and the CLI call: one :class:`Engine` per process.

``Engine()`` reads :class:`~icp_engine.config.Settings`, connects to Postgres (embedded when
``DATABASE_URL`` is unset), applies migrations, and lazily loads models on first use. All state
lives in Postgres; the engine holds only caches (models) and background run threads, so several
engines (dashboard, CLI, workers on other machines) can share one database.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from datetime import datetime
from functools import cached_property
from typing import Any, Callable, Sequence

from .config import Settings
from .db import Database
from .db import clients as clients_sql
from .db import leads as leads_sql
from .db import reports as reports_sql
from .db import review as review_sql
from .db import runs as runs_sql
from .db import scores as scores_sql
from .domain import FEEDBACK_LABELS, ICP, Follower, Profile, ScoreResult
from .export import to_csv_bytes, to_frame
from .pipeline import (
    LEASE_S,
    RunBusy,
    RunContext,
    RunExecutor,
    RunOptions,
    RunStopped,
    _worker_is_dead,
    new_worker_id,
    run_progress,
)
from .errors import NotFound

log = logging.getLogger(__name__)

ENRICH_PROVIDERS = ("page", "apify-json", "apify")
RERANKERS = ("none", "local", "jina", "cohere")


class Engine:
    """Facade over the pipeline. Thread-safe for use from Streamlit sessions.

    Construct with ``Engine(settings=None, db=None)``; raises
    :class:`icp_engine.errors.DatabaseError` when the database cannot be reached.
    """

    def __init__(self, settings: Settings | None = None, db: Database | None = None):
        self.settings = settings or Settings()
        self.db = db or Database(self.settings)
        self.worker_id = new_worker_id()
        self._threads: dict[int, threading.Thread] = {}
        self._lock = threading.Lock()
        self._scorers: dict[tuple[str, int], Any] = {}

    # ------------------------------------------------------------ models (lazy)

    @cached_property
    def embedder(self):
        """The configured embedder (OpenAI with a key, else local WordLlama), cached in Postgres."""
        from .embeddings import get_embedder

        return get_embedder(self.settings, db=self.db)

    def reranker(self, name: str):
        """A reranker by name (``none``, ``local``, ``jina``, ``cohere``); None for ``none``."""
        if name in (None, "", "none"):
            return None
        from .rerank import get_reranker

        return get_reranker(name, self.settings)

    def scorer(self, reranker: str = "none", rerank_top_n: int | None = None):
        """The :class:`~icp_engine.scoring.scorer.Scorer` used by runs, ``rank`` and previews."""
        top_n = int(rerank_top_n or self.settings.rerank_top_n)
        key = (reranker or "none", top_n)
        with self._lock:
            if key not in self._scorers:
                from .scoring.scorer import Scorer

                self._scorers[key] = Scorer(self.embedder, reranker=self.reranker(reranker), rerank_top_n=top_n)
            return self._scorers[key]

    def classifier(self) -> Callable[[Sequence[Profile]], list[Any]]:
        """Batch classifier ``profiles -> [Classification]`` (industry + company type)."""
        from .classify import classify_many

        llm = None
        if self.settings.openai_api_key:
            from .llm import OpenAIChat

            llm = OpenAIChat(self.settings)
        embedder = self.embedder
        return lambda profiles: classify_many(profiles, llm=llm, embedder=embedder)

    def provider(self, options: RunOptions, run_id: int | None = None):
        """The enrichment provider for a run's options; raises ``ValueError`` for a bad choice."""
        name = options.enrich
        if name == "page":
            from .enrich.page import PageProvider

            return PageProvider()
        if name == "apify-json":
            from .enrich.apify_json import ApifyJsonProvider

            if not options.profiles_path:
                raise ValueError("--enrich apify-json needs the exported items file (--profiles ITEMS.json)")
            return ApifyJsonProvider(options.profiles_path, db=self.db)
        if name == "apify":
            if not self.settings.apify_api_token:
                raise ValueError("live Apify enrichment needs APIFY_API_TOKEN")
            from .enrich.apify import ApifyProvider

            return ApifyProvider(self.settings, self.db, run_id=run_id)
        raise ValueError(f"unknown enrichment provider {name!r}; choose one of {', '.join(ENRICH_PROVIDERS)}")

    # ------------------------------------------------------------ clients and ICPs

    def create_client(self, name: str, notes: str = "") -> dict[str, Any]:
        """Create a client; ``ValueError`` if the name is empty or taken."""
        with self.db.begin() as conn:
            return clients_sql.create_client(conn, name, notes)

    def get_or_create_client(self, name: str) -> dict[str, Any]:
        """The client with this name, created if missing."""
        with self.db.begin() as conn:
            try:
                return clients_sql.get_client(conn, name)
            except NotFound:
                return clients_sql.create_client(conn, name)

    def get_client(self, client: int | str) -> dict[str, Any]:
        """A client by id or name; raises :class:`NotFound`."""
        with self.db.connect() as conn:
            return clients_sql.get_client(conn, client)

    def list_clients(self) -> list[dict[str, Any]]:
        """Clients with lead counts and ICP version, newest first."""
        with self.db.connect() as conn:
            return clients_sql.list_clients(conn)

    def save_icp(self, client_id: int, icp: ICP, *, author: str = "system", note: str = "") -> dict[str, Any]:
        """Save a new ICP version (unchanged ICP -> current version returned); returns the version row."""
        with self.db.begin() as conn:
            return clients_sql.save_icp(conn, client_id, icp, author=author, note=note)

    def current_icp(self, client_id: int) -> tuple[dict[str, Any], ICP] | None:
        """``(version_row, ICP)`` of the newest version, or None when the client has no ICP yet."""
        with self.db.connect() as conn:
            row = clients_sql.latest_icp(conn, client_id)
        return (row, ICP.model_validate(row["icp"])) if row else None

    def icp_history(self, client_id: int) -> list[dict[str, Any]]:
        """All ICP versions of a client, newest first (version, icp, created_by, change_note, created_at)."""
        with self.db.connect() as conn:
            return clients_sql.icp_history(conn, client_id)

    # ------------------------------------------------------------ uploads

    def parse_upload(self, filename: str, data: bytes):
        """Parse an uploaded file without storing anything; raises ``UploadError`` for bad input."""
        from .ingest.upload import parse_upload

        return parse_upload(filename, data, max_bytes=self.settings.max_upload_bytes)

    def preview_upload(self, client_id: int, filename: str, data: bytes) -> dict[str, Any]:
        """Parse and compare with the client's leads; nothing is written.

        Returns ``{"parsed": ParsedUpload, "new": n, "known": n, "known_indexes": set[int]}``.
        Raises ``UploadError`` (a ``ValueError``) with a user-facing message for bad input.
        """
        parsed = self.parse_upload(filename, data)
        with self.db.connect() as conn:
            split = leads_sql.split_known(conn, client_id, parsed.people)
        return {"parsed": parsed, "new": len(split.new), "known": len(split.known), "known_indexes": set(split.known)}

    def ingest_upload(
        self,
        client_id: int,
        filename: str,
        data: bytes,
        *,
        batch_name: str | None = None,
        author: str = "system",
    ) -> dict[str, Any]:
        """Parse a file and store its people as a batch of the client, atomically.

        Returns the batch row plus ``new_lead_ids``, ``known_lead_ids``, ``kind`` and
        ``warnings``. Raises ``UploadError`` for bad input, with nothing written.
        """
        parsed = self.parse_upload(filename, data)
        sha = hashlib.sha256(data).hexdigest()
        return self.ingest_followers(
            client_id,
            parsed.people,
            batch_name=batch_name or _default_batch_name(filename),
            source_filename=filename,
            source_kind=parsed.kind,
            file_sha256=sha,
            author=author,
            warnings=list(parsed.warnings),
        )

    def ingest_followers(
        self,
        client_id: int,
        people: Sequence[Follower],
        *,
        batch_name: str,
        source_filename: str = "",
        source_kind: str = "",
        file_sha256: str | None = None,
        author: str = "system",
        warnings: list[str] | None = None,
    ) -> dict[str, Any]:
        """Store already parsed followers as a new batch (one transaction)."""
        if not people:
            raise ValueError("no people to store")
        with self.db.begin() as conn:
            batch = leads_sql.insert_batch_with_leads(
                conn, client_id, people,
                name=batch_name, source_filename=source_filename, source_kind=source_kind,
                file_sha256=file_sha256, author=author,
            )
        batch["kind"] = source_kind
        batch["warnings"] = warnings or []
        return batch

    def list_batches(self, client_id: int) -> list[dict[str, Any]]:
        """Batches of a client, newest first, with member counts."""
        with self.db.connect() as conn:
            return leads_sql.list_batches(conn, client_id)

    # ------------------------------------------------------------ runs

    def create_run(
        self,
        client_id: int,
        *,
        batch_id: int | None = None,
        icp_version_id: int | None = None,
        options: RunOptions | None = None,
        author: str = "system",
    ) -> int:
        """Record a qualification run (status ``queued``) and return its id.

        Uses the client's newest ICP version unless one is given; raises ``ValueError`` when
        the client has no ICP or the provider choice is invalid (checked before anything runs).
        """
        options = options or RunOptions()
        if options.enrich not in ENRICH_PROVIDERS:
            raise ValueError(f"unknown enrichment provider {options.enrich!r}")
        if options.reranker not in RERANKERS:
            raise ValueError(f"unknown reranker {options.reranker!r}")
        with self.db.begin() as conn:
            if icp_version_id is None:
                row = clients_sql.latest_icp(conn, client_id)
                if row is None:
                    raise ValueError("this client has no ICP yet: save one first")
                icp_version_id = row["id"]
            else:
                row = clients_sql.icp_version(conn, icp_version_id)
                if row["client_id"] != client_id:
                    raise ValueError("that ICP version belongs to another client")
            run_id = runs_sql.create_run(conn, client_id, batch_id, icp_version_id, options.to_dict(), author)
        if options.enrich == "apify" and self.settings.apify_api_token:
            est = self.estimate_run(client_id, batch_id, options)
            with self.db.begin() as conn:
                runs_sql.update_run(conn, run_id, estimate=est)
        return int(run_id)

    def _context(self, run_id: int, options: RunOptions) -> RunContext:
        return RunContext(
            provider=self.provider(options, run_id=run_id),
            scorer=self.scorer(options.reranker, options.rerank_top_n),
            embedder=self.embedder,
            classifier=self.classifier() if options.classify else None,
        )

    def execute_run(self, run_id: int, on_progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """Run (or resume) a run in this thread until done, paused or cancelled.

        Returns the final progress dict (:func:`icp_engine.pipeline.run_progress`). Raises
        :class:`~icp_engine.pipeline.RunStopped` when paused/cancelled, ``RunBusy`` when another
        live worker has it.
        """
        with self.db.connect() as conn:
            run = runs_sql.get_run(conn, run_id)
        options = RunOptions.from_dict(run["options"])
        try:
            ctx = self._context(run_id, options)
        except Exception as exc:
            with self.db.begin() as conn:
                runs_sql.update_run(conn, run_id, status="failed", error=f"could not prepare the run: {exc}"[:2000])
            raise
        return RunExecutor(self.db, run_id, ctx, worker_id=self.worker_id, on_progress=on_progress).execute()

    def start_run_background(self, run_id: int) -> None:
        """Execute a run in a daemon thread of this process (the dashboard's "Start")."""
        with self._lock:
            th = self._threads.get(run_id)
            if th is not None and th.is_alive():
                return

            def target() -> None:
                try:
                    self.execute_run(run_id)
                except (RunStopped, RunBusy) as exc:
                    log.info("run %s: %s", run_id, exc)
                except Exception:  # noqa: BLE001 - recorded in runs.error by the executor
                    log.exception("background run %s failed", run_id)

            th = threading.Thread(target=target, daemon=True, name=f"run-{run_id}")
            self._threads[run_id] = th
            th.start()

    def is_running_here(self, run_id: int) -> bool:
        """True while this process has a live thread executing the run."""
        th = self._threads.get(run_id)
        return bool(th and th.is_alive())

    def run_status(self, run_id: int) -> dict[str, Any]:
        """Progress read from the database (same truth for every page and process)."""
        return run_progress(self.db, run_id)

    def list_runs(self, client_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Runs, newest first, with their stored counts."""
        with self.db.connect() as conn:
            return runs_sql.list_runs(conn, client_id, limit)

    def _set_run_status(self, run_id: int, status: str, allowed_from: tuple[str, ...]) -> bool:
        with self.db.begin() as conn:
            return runs_sql.set_status(conn, run_id, status, allowed_from)

    def pause_run(self, run_id: int) -> bool:
        """Ask a queued/running run to stop after its current chunk (resumable). True if changed."""
        return self._set_run_status(run_id, "paused", ("queued", "running"))

    def cancel_run(self, run_id: int) -> bool:
        """Cancel a run for good (work already done stays). True if changed."""
        return self._set_run_status(run_id, "cancelled", ("queued", "running", "paused", "failed"))

    def resume_run(self, run_id: int) -> None:
        """Resume a paused, failed or stale run in the background."""
        self._set_run_status(run_id, "queued", ("paused", "failed"))
        self.start_run_background(run_id)

    def resume_unfinished_runs(self) -> list[int]:
        """Start, in the background, every run left ``running`` with a stale lease or ``queued``.

        Called when the dashboard starts, so a restarted app resumes interrupted work.
        Returns the run ids resumed.
        """
        ids = self.claimable_runs()
        if self.settings.apify_api_token:
            try:
                from .enrich.apify import ApifyProvider

                with ApifyProvider(self.settings, self.db, run_id=None) as prov:
                    prov.recover()  # collect actor runs left by dead workers into the profile cache
            except Exception as exc:  # noqa: BLE001 - recovery is best effort; runs retry later
                log.warning("Apify recovery failed: %s", exc)
        for rid in ids:
            self.start_run_background(int(rid))
        return [int(i) for i in ids]

    def claimable_runs(self) -> list[int]:
        """Runs a worker may take now: ``queued`` ones, and ``running`` ones whose worker is gone
        (lease older than ``LEASE_S`` or, on this host, a dead process). Oldest first."""
        with self.db.connect() as conn:
            rows = runs_sql.lease_candidates(conn, LEASE_S)
        return [
            int(r.id) for r in rows
            if r.status == "queued" or r.stale or (r.worker_id and _worker_is_dead(r.worker_id))
        ]

    def work(self, *, once: bool = False, poll_s: float = 5.0, stop: threading.Event | None = None) -> int:
        """Worker loop: execute claimable runs one after another (any number of workers, on any
        machines sharing the database; the run lease keeps each run to one worker at a time).

        Returns the number of runs completed. ``once``: return when nothing is left to do.
        """
        done = 0
        stop = stop or threading.Event()
        while not stop.is_set():
            ids = self.claimable_runs()
            for rid in ids:
                try:
                    self.execute_run(rid)
                    done += 1
                except (RunStopped, RunBusy, ValueError) as exc:
                    log.info("run %s skipped: %s", rid, exc)
                except Exception:  # noqa: BLE001 - recorded on the run; go on with the next
                    log.exception("run %s failed", rid)
            if once and not ids:
                break
            if not ids:
                stop.wait(poll_s)
        return done

    def retry_failed(self, client_id: int, batch_id: int | None = None) -> int:
        """Put ``failed`` leads of a scope back to ``discovered`` with ``retry_count`` 0; returns how many."""
        with self.db.begin() as conn:
            return leads_sql.retry_failed(conn, client_id, batch_id)

    def estimate_run(self, client_id: int, batch_id: int | None, options: RunOptions) -> dict[str, Any]:
        """Before a run: leads to enrich and, for live Apify, profiles to scrape, runs and cost (USD)."""
        with self.db.connect() as conn:
            pending = leads_sql.count_to_enrich(conn, client_id, batch_id)
        est: dict[str, Any] = {"leads_to_enrich": int(pending), "provider": options.enrich}
        if options.enrich == "apify" and self.settings.apify_api_token:
            from .enrich import EnrichRequest
            from .enrich.apify import ApifyProvider

            with self.db.connect() as conn:
                rows = leads_sql.to_enrich(conn, client_id, batch_id)
            reqs = [EnrichRequest(lead_id=r.id, key=r.profile_key, url=r.input_url, profile_id=r.profile_id,
                                  vanity=r.vanity) for r in rows]
            with ApifyProvider(self.settings, self.db, run_id=None) as prov:
                est.update(prov.estimate(reqs))
        return est

    # ------------------------------------------------------------ scoring without the database

    def rank(self, icp: ICP, profiles: Sequence[Profile], reranker: str = "none") -> list[ScoreResult]:
        """Score profiles against an ICP with exactly the scorer of the pipeline (CLI ``rank``)."""
        return self.scorer(reranker).score(icp, profiles)

    # ------------------------------------------------------------ review

    def review_queue(
        self,
        client_id: int,
        reviewer: str,
        *,
        batch_id: int | None = None,
        limit: int = 20,
        include_labelled: bool = False,
    ) -> list[dict[str, Any]]:
        """Scored leads in a seeded random order per reviewer, never sorted by score
        (see :func:`icp_engine.db.review.review_queue`)."""
        with self.db.connect() as conn:
            return review_sql.review_queue(conn, client_id, reviewer, batch_id=batch_id, limit=limit,
                                           include_labelled=include_labelled)

    def review_progress(self, client_id: int, reviewer: str, batch_id: int | None = None) -> dict[str, int]:
        """``{"scored": n, "labelled": n, "keep": n, "trash": n, "skip": n}`` for a reviewer."""
        with self.db.connect() as conn:
            return review_sql.review_progress(conn, client_id, reviewer, batch_id)

    def record_feedback(self, lead_id: int, label: str, reviewer: str) -> int:
        """Store keep / trash / skip for a lead with reviewer, time and current ICP version.

        A new label by the same reviewer supersedes the previous one (the old row is kept, marked
        undone). Returns the feedback id. Raises ``ValueError`` for an unknown label or reviewer.
        """
        if label not in FEEDBACK_LABELS:
            raise ValueError(f"label must be one of {FEEDBACK_LABELS}")
        reviewer = (reviewer or "").strip()
        if not reviewer:
            raise ValueError("a reviewer name is required")
        with self.db.begin() as conn:
            return review_sql.record_feedback(conn, lead_id, label, reviewer)

    def undo_last_feedback(self, client_id: int, reviewer: str) -> dict[str, Any] | None:
        """Undo the reviewer's most recent label in this client; returns it, or None if nothing to undo."""
        with self.db.begin() as conn:
            return review_sql.undo_last(conn, client_id, reviewer)

    def feedback_rows(self, client_id: int, icp_version_id: int | None = None) -> list[dict[str, Any]]:
        """Current keep/trash labels with the lead's score (for ``eval`` on reviewed leads)."""
        with self.db.connect() as conn:
            return review_sql.feedback_rows(conn, client_id, icp_version_id)

    # ------------------------------------------------------------ export

    def _current_version_id(self, client_id: int) -> int | None:
        with self.db.connect() as conn:
            return clients_sql.current_version_id(conn, client_id)

    def export_rows(self, client_id: int, **filters: Any) -> list[dict[str, Any]]:
        """Scored leads for export (filters of :func:`icp_engine.db.reports.export_query`), best first."""
        with self.db.connect() as conn:
            return reports_sql.export_rows(conn, client_id, **filters)

    def export_csv(self, client_id: int, *, mark_exported: bool = True, **filters: Any) -> bytes:
        """The ranked CSV (UTF-8 with BOM) of a scope; exported leads get status ``exported``."""
        rows = self.export_rows(client_id, **filters)
        data = to_csv_bytes(to_frame(rows))
        if mark_exported and rows:
            self.mark_exported([r["id"] for r in rows])
        return data

    def mark_exported(self, lead_ids: Sequence[int]) -> None:
        """Set status ``exported`` (and ``exported_at``) on qualified leads (one statement, one array parameter)."""
        with self.db.begin() as conn:
            leads_sql.mark_exported(conn, lead_ids)

    def score_histogram(
        self, client_id: int, *, batch_id: int | None = None, bin_width: int = 5
    ) -> list[dict[str, Any]]:
        """Score distribution computed in SQL: ``[{"bin_start": 0, "count": n}, ...]`` (bins of ``bin_width``)."""
        with self.db.connect() as conn:
            return reports_sql.score_histogram(conn, client_id, batch_id=batch_id, bin_width=bin_width)

    def bucket_counts(self, client_id: int, *, batch_id: int | None = None) -> dict[str, int]:
        """``{"strong": n, "good": n, "possible": n, "poor": n}`` for the current ICP version."""
        with self.db.connect() as conn:
            return reports_sql.bucket_counts(conn, client_id, batch_id=batch_id)

    def similar_leads(self, lead_id: int, k: int = 5) -> list[dict[str, Any]]:
        """The ``k`` leads of the same client nearest to this one by cosine similarity (pgvector ``<=>``)."""
        with self.db.connect() as conn:
            return scores_sql.similar_leads(conn, lead_id, self.embedder.name, k)


def _default_batch_name(filename: str) -> str:
    stem = (filename or "upload").rsplit("/", 1)[-1]
    return f"{stem} · {datetime.now().strftime('%Y-%m-%d %H:%M')}"
