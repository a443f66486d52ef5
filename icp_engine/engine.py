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

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from . import repository as repo
from .config import Settings
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
from .repository import NotFound
from .storage import Database

log = logging.getLogger(__name__)

ENRICH_PROVIDERS = ("page", "apify-json", "apify")
RERANKERS = ("none", "local", "jina", "cohere")


class Engine:
    """Facade over the pipeline. Thread-safe for use from Streamlit sessions.

    Construct with ``Engine(settings=None, db=None)``; raises
    :class:`icp_engine.storage.DatabaseError` when the database cannot be reached.
    """

    def __init__(self, settings: Settings | None = None, db: Database | None = None):
        self.settings = settings or Settings()
        self.db = db or Database(self.settings)
        self.t = self.db.t
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
            return ApifyJsonProvider(options.profiles_path)
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
            return repo.create_client(conn, self.t, name, notes)

    def get_or_create_client(self, name: str) -> dict[str, Any]:
        """The client with this name, created if missing."""
        with self.db.begin() as conn:
            try:
                return repo.get_client(conn, self.t, name)
            except NotFound:
                return repo.create_client(conn, self.t, name)

    def get_client(self, client: int | str) -> dict[str, Any]:
        """A client by id or name; raises :class:`NotFound`."""
        with self.db.connect() as conn:
            return repo.get_client(conn, self.t, client)

    def list_clients(self) -> list[dict[str, Any]]:
        """Clients with lead counts and ICP version, newest first."""
        C, L, I = self.t.clients.c, self.t.leads.c, self.t.client_icps.c
        leads = sa.select(sa.func.count()).where(L.client_id == C.id).scalar_subquery()
        ver = sa.select(sa.func.max(I.version)).where(I.client_id == C.id).scalar_subquery()
        with self.db.connect() as conn:
            rows = conn.execute(
                sa.select(C.id, C.name, C.notes, C.created_at, leads.label("leads"), ver.label("icp_version"))
                .order_by(C.created_at.desc(), C.id.desc())
            ).mappings().all()
        return repo.as_dicts(rows)

    def save_icp(self, client_id: int, icp: ICP, *, author: str = "system", note: str = "") -> dict[str, Any]:
        """Save a new ICP version (unchanged ICP -> current version returned); returns the version row."""
        with self.db.begin() as conn:
            return repo.save_icp(conn, self.t, client_id, icp, author=author, note=note)

    def current_icp(self, client_id: int) -> tuple[dict[str, Any], ICP] | None:
        """``(version_row, ICP)`` of the newest version, or None when the client has no ICP yet."""
        with self.db.connect() as conn:
            row = repo.latest_icp_row(conn, self.t, client_id)
        return (row, ICP.model_validate(row["icp"])) if row else None

    def icp_history(self, client_id: int) -> list[dict[str, Any]]:
        """All ICP versions of a client, newest first (version, icp, created_by, change_note, created_at)."""
        I = self.t.client_icps.c
        with self.db.connect() as conn:
            rows = conn.execute(
                sa.select(self.t.client_icps).where(I.client_id == client_id).order_by(I.version.desc())
            ).mappings().all()
        return repo.as_dicts(rows)

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
            split = repo.split_known(conn, self.t, client_id, parsed.people)
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
            batch = repo.insert_batch_with_leads(
                conn, self.t, client_id, people,
                name=batch_name, source_filename=source_filename, source_kind=source_kind,
                file_sha256=file_sha256, author=author,
            )
        batch["kind"] = source_kind
        batch["warnings"] = warnings or []
        return batch

    def list_batches(self, client_id: int) -> list[dict[str, Any]]:
        """Batches of a client, newest first, with member counts."""
        B = self.t.batches.c
        with self.db.connect() as conn:
            rows = conn.execute(
                sa.select(self.t.batches).where(B.client_id == client_id).order_by(B.created_at.desc(), B.id.desc())
            ).mappings().all()
        return repo.as_dicts(rows)

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
                row = repo.latest_icp_row(conn, self.t, client_id)
                if row is None:
                    raise ValueError("this client has no ICP yet: save one first")
                icp_version_id = row["id"]
            else:
                row = repo.icp_row(conn, self.t, icp_version_id)
                if row["client_id"] != client_id:
                    raise ValueError("that ICP version belongs to another client")
            run_id = conn.execute(
                self.t.runs.insert()
                .values(
                    client_id=client_id, batch_id=batch_id, icp_version_id=icp_version_id,
                    options=options.to_dict(), created_by=author,
                )
                .returning(self.t.runs.c.id)
            ).scalar_one()
        if options.enrich == "apify" and self.settings.apify_api_token:
            est = self.estimate_run(client_id, batch_id, options)
            with self.db.begin() as conn:
                conn.execute(self.t.runs.update().where(self.t.runs.c.id == run_id).values(estimate=est))
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
            run = conn.execute(sa.select(self.t.runs).where(self.t.runs.c.id == run_id)).mappings().first()
        if run is None:
            raise NotFound(f"no run {run_id}")
        options = RunOptions.from_dict(run["options"])
        try:
            ctx = self._context(run_id, options)
        except Exception as exc:
            with self.db.begin() as conn:
                conn.execute(
                    self.t.runs.update()
                    .where(self.t.runs.c.id == run_id)
                    .values(status="failed", error=f"could not prepare the run: {exc}"[:2000])
                )
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
        R = self.t.runs.c
        q = sa.select(self.t.runs).order_by(R.id.desc()).limit(limit)
        if client_id is not None:
            q = q.where(R.client_id == client_id)
        with self.db.connect() as conn:
            return repo.as_dicts(conn.execute(q).mappings().all())

    def _set_run_status(self, run_id: int, status: str, allowed_from: tuple[str, ...]) -> bool:
        R = self.t.runs.c
        with self.db.begin() as conn:
            res = conn.execute(
                self.t.runs.update()
                .where(R.id == run_id, R.status.in_(allowed_from))
                .values(status=status, finished_at=sa.func.now() if status == "cancelled" else None)
            )
        return res.rowcount > 0

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
        R = self.t.runs.c
        stale = sa.func.now() - sa.text(f"interval '{int(LEASE_S)} seconds'")
        with self.db.connect() as conn:
            rows = conn.execute(
                sa.select(R.id, R.status, R.worker_id, (R.heartbeat_at.is_(None) | (R.heartbeat_at < stale)).label("stale"))
                .where(R.status.in_(("running", "queued")))
                .order_by(R.id)
            ).all()
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
        L = self.t.leads.c
        with self.db.begin() as conn:
            res = conn.execute(
                self.t.leads.update()
                .where(repo.scope_condition(self.t, client_id, batch_id), L.status == "failed")
                .values(status="discovered", retry_count=0, error_message=None, updated_at=sa.func.now())
            )
        return int(res.rowcount)

    def estimate_run(self, client_id: int, batch_id: int | None, options: RunOptions) -> dict[str, Any]:
        """Before a run: leads to enrich and, for live Apify, profiles to scrape, runs and cost (USD)."""
        L = self.t.leads.c
        with self.db.connect() as conn:
            pending = conn.execute(
                sa.select(sa.func.count()).where(
                    repo.scope_condition(self.t, client_id, batch_id), L.status == "discovered"
                )
            ).scalar_one()
        est: dict[str, Any] = {"leads_to_enrich": int(pending), "provider": options.enrich}
        if options.enrich == "apify" and self.settings.apify_api_token:
            from .enrich import EnrichRequest
            from .enrich.apify import ApifyProvider

            with self.db.connect() as conn:
                rows = conn.execute(
                    sa.select(L.id, L.profile_key, L.input_url, L.profile_id, L.vanity).where(
                        repo.scope_condition(self.t, client_id, batch_id), L.status == "discovered"
                    )
                ).all()
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
        """Scored leads in a seeded random order per reviewer, never sorted by score.

        The order is ``md5(reviewer:client:lead_id)``: stable across reloads and sessions, different
        per reviewer, independent of the score (labels must not be biased by rank). Leads this
        reviewer already labelled (and did not undo) are left out unless ``include_labelled``.
        Rows carry the lead, its current score and reasoning.
        """
        L, S, F = self.t.leads.c, self.t.lead_scores.c, self.t.lead_feedback.c
        ver = self._current_version_id(client_id)
        order = sa.func.md5(sa.literal(f"{reviewer}:{client_id}:") + sa.cast(L.id, sa.Text))
        labelled = (
            sa.select(F.lead_id)
            .where(F.lead_id == L.id, F.reviewer == reviewer, F.undone_at.is_(None))
            .exists()
        )
        q = (
            sa.select(
                self.t.leads,
                S.icp_score, S.bucket, S.match_reasoning, S.components,
            )
            .join(self.t.lead_scores, sa.and_(S.lead_id == L.id, S.icp_version_id == ver))
            .where(repo.scope_condition(self.t, client_id, batch_id))
            .order_by(order)
            .limit(limit)
        )
        if not include_labelled:
            q = q.where(~labelled)
        with self.db.connect() as conn:
            return repo.as_dicts(conn.execute(q).mappings().all())

    def review_progress(self, client_id: int, reviewer: str, batch_id: int | None = None) -> dict[str, int]:
        """``{"scored": n, "labelled": n, "keep": n, "trash": n, "skip": n}`` for a reviewer."""
        L, S, F = self.t.leads.c, self.t.lead_scores.c, self.t.lead_feedback.c
        ver = self._current_version_id(client_id)
        scope = repo.scope_condition(self.t, client_id, batch_id)
        with self.db.connect() as conn:
            scored = conn.execute(
                sa.select(sa.func.count()).select_from(self.t.lead_scores.join(self.t.leads, L.id == S.lead_id))
                .where(scope, S.icp_version_id == ver)
            ).scalar_one()
            labels = dict(
                conn.execute(
                    sa.select(F.label, sa.func.count(sa.distinct(F.lead_id)))
                    .select_from(self.t.lead_feedback.join(self.t.leads, L.id == F.lead_id))
                    .where(scope, F.reviewer == reviewer, F.undone_at.is_(None))
                    .group_by(F.label)
                ).all()
            )
        out = {"scored": int(scored), "keep": 0, "trash": 0, "skip": 0}
        out.update({k: int(v) for k, v in labels.items()})
        out["labelled"] = out["keep"] + out["trash"] + out["skip"]
        return out

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
        F = self.t.lead_feedback.c
        with self.db.begin() as conn:
            client_id = conn.execute(
                sa.select(self.t.leads.c.client_id).where(self.t.leads.c.id == lead_id)
            ).scalar_one_or_none()
            if client_id is None:
                raise NotFound(f"no lead {lead_id}")
            ver = repo.latest_icp_row(conn, self.t, client_id)
            conn.execute(
                self.t.lead_feedback.update()
                .where(F.lead_id == lead_id, F.reviewer == reviewer, F.undone_at.is_(None))
                .values(undone_at=sa.func.now())
            )
            return int(
                conn.execute(
                    self.t.lead_feedback.insert()
                    .values(lead_id=lead_id, client_id=client_id, label=label, reviewer=reviewer,
                            icp_version_id=ver["id"] if ver else None)
                    .returning(F.id)
                ).scalar_one()
            )

    def undo_last_feedback(self, client_id: int, reviewer: str) -> dict[str, Any] | None:
        """Undo the reviewer's most recent label in this client; returns it, or None if nothing to undo."""
        F = self.t.lead_feedback.c
        with self.db.begin() as conn:
            row = conn.execute(
                sa.select(self.t.lead_feedback)
                .where(F.client_id == client_id, F.reviewer == reviewer, F.undone_at.is_(None))
                .order_by(F.created_at.desc(), F.id.desc())
                .limit(1)
                .with_for_update()
            ).mappings().first()
            if row is None:
                return None
            conn.execute(self.t.lead_feedback.update().where(F.id == row["id"]).values(undone_at=sa.func.now()))
            return dict(row)

    def feedback_rows(self, client_id: int, icp_version_id: int | None = None) -> list[dict[str, Any]]:
        """Current keep/trash labels with the lead's score (for ``eval`` on reviewed leads)."""
        F, S = self.t.lead_feedback.c, self.t.lead_scores.c
        ver = icp_version_id or self._current_version_id(client_id)
        with self.db.connect() as conn:
            rows = conn.execute(
                sa.select(F.lead_id, F.label, F.reviewer, S.icp_score)
                .join(self.t.lead_scores, sa.and_(S.lead_id == F.lead_id, S.icp_version_id == ver))
                .where(F.client_id == client_id, F.undone_at.is_(None), F.label.in_(("keep", "trash")))
            ).mappings().all()
        return repo.as_dicts(rows)

    # ------------------------------------------------------------ export

    def _current_version_id(self, client_id: int) -> int | None:
        with self.db.connect() as conn:
            row = repo.latest_icp_row(conn, self.t, client_id)
        return row["id"] if row else None

    def export_query(
        self,
        client_id: int,
        *,
        batch_id: int | None = None,
        icp_version_id: int | None = None,
        min_score: float | None = None,
        buckets: Sequence[str] | None = None,
        only_kept: bool = False,
    ) -> sa.Select:
        """The SQL behind exports: scored leads of a scope (the CSV's columns), best first."""
        L, S, F, B = self.t.leads.c, self.t.lead_scores.c, self.t.lead_feedback.c, self.t.batches.c
        ver = icp_version_id or self._current_version_id(client_id)
        label = (
            sa.select(F.label)
            .where(F.lead_id == L.id, F.undone_at.is_(None), F.label != "skip")
            .order_by(F.created_at.desc())
            .limit(1)
            .scalar_subquery()
        )
        q = (
            sa.select(
                L.id, L.name, L.profile_url, L.headline, L.titles, L.company, L.industry, L.industry_class,
                L.company_size, L.company_type, L.location, L.status, L.enrichment_source,
                S.icp_score, S.bucket, S.match_reasoning,
                B.name.label("batch_name"),
                label.label("review_label"),
            )
            .join(self.t.lead_scores, sa.and_(S.lead_id == L.id, S.icp_version_id == ver))
            .join(self.t.batches, B.id == L.batch_id)
            .where(repo.scope_condition(self.t, client_id, batch_id))
            .order_by(S.icp_score.desc(), L.id)
        )
        if min_score is not None:
            q = q.where(S.icp_score >= float(min_score))
        if buckets:
            q = q.where(S.bucket.in_(list(buckets)))
        if only_kept:
            q = q.where(label == "keep")
        return q

    def export_rows(self, client_id: int, **filters: Any) -> list[dict[str, Any]]:
        """Scored leads for export (see :meth:`export_query` for filters), best first."""
        with self.db.connect() as conn:
            return repo.as_dicts(conn.execute(self.export_query(client_id, **filters)).mappings().all())

    def export_csv(self, client_id: int, *, mark_exported: bool = True, **filters: Any) -> bytes:
        """The ranked CSV (UTF-8 with BOM) of a scope; exported leads get status ``exported``."""
        rows = self.export_rows(client_id, **filters)
        data = to_csv_bytes(to_frame(rows))
        if mark_exported and rows:
            self.mark_exported([r["id"] for r in rows])
        return data

    def mark_exported(self, lead_ids: Sequence[int]) -> None:
        """Set status ``exported`` (and ``exported_at``) on qualified leads (one statement, one array parameter)."""
        L = self.t.leads.c
        ids = sa.bindparam("ids", [int(i) for i in lead_ids], type_=ARRAY(sa.BigInteger))
        with self.db.begin() as conn:
            conn.execute(
                self.t.leads.update()
                .where(L.id == sa.any_(ids), L.status.in_(("qualified", "exported")))
                .values(status="exported", exported_at=sa.func.now(), updated_at=sa.func.now())
            )

    def score_histogram(
        self, client_id: int, *, batch_id: int | None = None, bin_width: int = 5
    ) -> list[dict[str, Any]]:
        """Score distribution computed in SQL: ``[{"bin_start": 0, "count": n}, ...]`` (bins of ``bin_width``)."""
        S, L = self.t.lead_scores.c, self.t.leads.c
        ver = self._current_version_id(client_id)
        bin_expr = sa.func.least(sa.func.floor(S.icp_score / bin_width) * bin_width, 100 - bin_width)
        with self.db.connect() as conn:
            rows = conn.execute(
                sa.select(bin_expr.label("bin_start"), sa.func.count().label("count"))
                .select_from(self.t.lead_scores.join(self.t.leads, L.id == S.lead_id))
                .where(repo.scope_condition(self.t, client_id, batch_id), S.icp_version_id == ver)
                .group_by(bin_expr)
                .order_by(bin_expr)
            ).mappings().all()
        return [{"bin_start": int(r["bin_start"]), "count": int(r["count"])} for r in rows]

    def bucket_counts(self, client_id: int, *, batch_id: int | None = None) -> dict[str, int]:
        """``{"strong": n, "good": n, "possible": n, "poor": n}`` for the current ICP version."""
        S, L = self.t.lead_scores.c, self.t.leads.c
        ver = self._current_version_id(client_id)
        with self.db.connect() as conn:
            rows = conn.execute(
                sa.select(S.bucket, sa.func.count())
                .select_from(self.t.lead_scores.join(self.t.leads, L.id == S.lead_id))
                .where(repo.scope_condition(self.t, client_id, batch_id), S.icp_version_id == ver)
                .group_by(S.bucket)
            ).all()
        out = {"strong": 0, "good": 0, "possible": 0, "poor": 0}
        out.update({k: int(v) for k, v in rows})
        return out

    def similar_leads(self, lead_id: int, k: int = 5) -> list[dict[str, Any]]:
        """The ``k`` leads of the same client nearest to this one by cosine similarity (pgvector ``<=>``)."""
        E = self.t.lead_embeddings
        L = self.t.leads.c
        model = self.embedder.name
        me = sa.select(E.c.embedding).where(E.c.lead_id == lead_id, E.c.model == model).scalar_subquery()
        client = sa.select(L.client_id).where(L.id == lead_id).scalar_subquery()
        dist = E.c.embedding.cosine_distance(me)
        with self.db.connect() as conn:
            rows = conn.execute(
                sa.select(L.id, L.name, L.headline, (1 - dist).label("cosine_similarity"))
                .select_from(E.join(self.t.leads, L.id == E.c.lead_id))
                .where(E.c.model == model, L.client_id == client, L.id != lead_id)
                .order_by(dist)
                .limit(k)
            ).mappings().all()
        return repo.as_dicts(rows)


def _default_batch_name(filename: str) -> str:
    stem = (filename or "upload").rsplit("/", 1)[-1]
    return f"{stem} · {datetime.now().strftime('%Y-%m-%d %H:%M')}"
