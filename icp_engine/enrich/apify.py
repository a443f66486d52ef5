"""``apify`` provider: live runs of a LinkedIn profile scraper actor on Apify.

Three modules: this one (the provider: planning, batches, money rules), :mod:`.apify_client`
(the HTTP calls) and :mod:`.apify_ledger` (who may collect which recorded run; its SQL is
:mod:`icp_engine.db.apify_ledger`).

Default actor ``yZnhB5JewWf9xSmoM`` (``supreme_coder/linkedin-profile-scraper``), input
``{"urls": [{"url": ...}], "scrapeCompany": false, "findContacts": false}`` (FORMATS.md §B.2,
up to 1,500 URLs per run). REST flow of docs.apify.com/api/v2 (FORMATS.md §B.6), asynchronous:

1. ``POST /acts/{actor}/runs?timeout=<apify_run_timeout_s>`` -> ``{"data": {id, status, defaultDatasetId, ...}}``
2. ``GET /actor-runs/{id}?waitForFinish=<poll_wait_s>`` until SUCCEEDED / FAILED / TIMED-OUT / ABORTED
3. ``GET /datasets/{datasetId}/items?clean=true&format=json&offset=&limit=`` (pages; header
   ``X-Apify-Pagination-Total``)
4. ``POST /actor-runs/{id}/abort`` - only for runs recorded in ``apify_runs`` by this provider.

Money rules ("never pay twice, never lose a lead"):

* A person with a fresh item in the shared ``profile_cache`` (30 days) gets no run. Requests for the
  same person (same canonical key) share one URL.
* Every run is recorded in ``apify_runs`` (status ``PENDING``, ``input_urls``, ``lead_ids``,
  ``owner``) and committed *before* the start request is sent; the row then gets the Apify run id,
  dataset id, status, ``items_count``, ``matched_count`` and ``cost_usd``. Items are written to the
  profile cache as soon as a dataset is read, so a crash after that loses nothing.
* Starting a run is the only non-idempotent call, so it is not blindly retried: a 429 or a
  refused connection (nothing reached Apify) is retried after ``Retry-After``/backoff; a 5xx,
  timeout or dropped connection is *ambiguous* (the run may have started), so the provider first
  looks for the run among the actor's recent runs (``GET /acts/{actor}/runs?desc=1``, read-only)
  whose ``INPUT`` record (``GET /key-value-stores/{id}/records/INPUT``) holds exactly this
  batch's URLs and is not already in ``apify_runs``; found -> adopted, not found -> retried.
* Start-up / next call with in-flight rows for the requested leads: a row whose owner process is
  gone (same host: pid not alive; other host: older than ``apify_run_timeout_s`` + 10 min) is
  claimed (compare-and-set on ``owner``). ``RUNNING`` (any non-collected row with an Apify run id)
  -> polled and its dataset collected, no new run. ``PENDING`` without an Apify run id -> the
  POST may or may not have reached Apify: **decision** - reconcile as above (search the actor's
  recent runs by exact input); found -> adopted and collected; not found -> marked
  ``NOT_STARTED`` and its leads go into new runs; if the search itself fails the row stays
  ``PENDING`` and its leads are reported retryable (nothing is started for them, so nothing is
  paid twice). Rows of a live foreign owner are left alone and their leads reported retryable.
* Transient errors of the other calls go through :func:`icp_engine.http.send` (tenacity:
  429 with ``Retry-After``, 5xx, timeouts, dropped connections). 401/402/403 raise
  :class:`ApifyFatalError` (bad token / no credit): leads not yet processed get no outcome.
* A lead whose profile did not come back gets ``EnrichOutcome(retryable=True, error=<reason>)``
  (``"not returned by Apify (run <id> ended SUCCEEDED)"``); the pipeline counts attempts
  (``leads.retry_count``) and after 3 marks it failed **and qualifies it on the upload's data**,
  the reason in ``leads.enrichment_note`` and the CSV. A lead without a profile URL is never sent.

* A recorded run that Apify answers 404 for is closed as ``LOST`` and its leads reported retryable.

Known limits: two leads of one person that the upload did not link (one known only by vanity,
one only by ``ACoAA`` id) are two URLs, so that person can be scraped twice; a person in flight
for one client's run is not waited for by another client's concurrent run (the cache serves
every run after it).

Concurrency: at most ``apify_max_concurrent_runs`` runs in flight (one worker thread per run),
``apify_batch_size`` URLs per run (capped at 1,500, the actor's ``maxItems``).
Pricing for estimates (FORMATS.md §B.1, **M**): ``apify_cost_per_profile_usd`` (0.003) per item
plus ``apify_cost_per_run_usd`` (0.002) per actor start.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta, UTC
from typing import Any

import httpx

from ..config import Settings
from ..db.apify_ledger import LOST, NOT_STARTED, NOW, PENDING, TERMINAL
from ..domain import is_name_key
from ..enums import EnrichProvider
from ..http import ServiceError
from ..processes import new_owner_id
from . import EnrichOutcome, EnrichRequest
from . import cache as profile_cache
from .apify_client import ApifyClient, ApifyFatalError
from .apify_ledger import ApifyLedger
from .extract import is_empty_item, profile_from_apify_item
from .matching import match_items, url_identity
from .page import profile_from_page

log = logging.getLogger(__name__)

MAX_URLS_PER_RUN = 1500

#: Note of a lead without a profile URL (a ``Connections.csv`` export without URLs): nothing can be
#: sent to Apify, so the lead is qualified on the upload's data (``EnrichOutcome.fallback``).
NO_URL_NOTE = "no profile URL in the export: not sent to Apify"

__all__ = ["MAX_URLS_PER_RUN", "NO_URL_NOTE", "ApifyFatalError", "ApifyProvider", "make_owner"]


def make_owner() -> str:
    """Owner id of this provider: ``"<hostname>:<pid>:<8 hex>"`` (stored in ``apify_runs.owner``)."""
    return new_owner_id()


def _parse_ts(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


@dataclass
class _Batch:
    requests: list[EnrichRequest]
    urls: list[str]
    row: Any = None  # an apify_runs row when resuming


@dataclass
class _BatchResult:
    batch: _Batch
    row_id: int | None = None
    apify_run_id: str | None = None
    status: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    skipped: bool = False


class ApifyProvider:
    """Live enrichment through Apify actor runs (``name = "apify"``); rules in the module docstring.

    ``ApifyProvider(settings, db, run_id=None, transport=None, *, owner=None, poll_wait_s=60,
    max_backoff_s=30.0, dataset_page_size=1000, abort_grace_s=120)``:

    * ``settings``: :class:`~icp_engine.config.Settings` (``apify_api_token``, ``apify_api_base_url``,
      ``apify_actor_id``, ``apify_batch_size``, ``apify_max_concurrent_runs``, ``apify_run_timeout_s``,
      prices, ``profile_cache_ttl_days``, ``http_max_attempts``);
    * ``db``: :class:`~icp_engine.db.Database`; ``run_id``: the qualification run (``runs.id``)
      stored on each ``apify_runs`` row, or None;
    * ``transport``: an ``httpx`` transport for tests (``httpx.MockTransport``);
    * ``owner``: the ``apify_runs.owner`` id (default :func:`make_owner`); ``poll_wait_s``: the
      ``waitForFinish`` long-poll (0-60 s); ``max_backoff_s``: retry backoff cap;
      ``dataset_page_size``: items per dataset page; ``abort_grace_s``: a run still unfinished
      ``apify_run_timeout_s + abort_grace_s`` seconds after it started is aborted (it is ours).

    Methods: :meth:`estimate`, :meth:`enrich`, :meth:`recover`, :meth:`cancel`,
    :meth:`abort_own_runs`, :meth:`close`. ``stats`` holds the actual numbers of this instance:
    ``runs_started``, ``runs_resumed``, ``runs_not_started``, ``runs_failed``, ``items_charged``,
    ``cached``, ``retries``, ``reconciled``, ``cost_usd``.
    """

    name: str = EnrichProvider.APIFY.value

    def __init__(
        self,
        settings: Settings,
        db: Any,
        run_id: int | None = None,
        transport: httpx.BaseTransport | None = None,
        *,
        owner: str | None = None,
        poll_wait_s: int = 60,
        max_backoff_s: float = 30.0,
        dataset_page_size: int = 1000,
        abort_grace_s: float = 120.0,
    ):
        self.settings = settings
        self.db = db
        self.run_id = run_id
        self.owner = owner or make_owner()
        self.actor_id = settings.apify_actor_id
        self.max_backoff_s = max_backoff_s
        self.abort_grace_s = float(abort_grace_s)
        self.batch_size = max(1, min(int(settings.apify_batch_size), MAX_URLS_PER_RUN))
        self.max_concurrent = max(1, int(settings.apify_max_concurrent_runs))
        self.api = ApifyClient(settings, transport, poll_wait_s=poll_wait_s, max_backoff_s=max_backoff_s,
                               dataset_page_size=dataset_page_size, on_retry=self._on_retry)
        self.ledger = ApifyLedger(db, self.actor_id, self.owner, settings.apify_run_timeout_s)
        self._stats_lock = threading.Lock()
        self._cancel = threading.Event()
        self.stats: dict[str, Any] = {
            "runs_started": 0, "runs_resumed": 0, "runs_not_started": 0, "runs_failed": 0,
            "items_charged": 0, "cached": 0, "retries": 0, "reconciled": 0, "cost_usd": 0.0,
        }

    # ------------------------------------------------------------------ small helpers

    def _bump(self, key: str, n: float = 1) -> None:
        with self._stats_lock:
            self.stats[key] = round(self.stats.get(key, 0) + n, 4)

    def _on_retry(self, attempt: int, reason: str) -> None:
        self._bump("retries")

    def _update_row(self, row_id: int, **values: Any) -> None:
        self.ledger.update(row_id, **values)

    def _run_cost(self, items_count: int) -> float:
        return round(self.settings.apify_cost_per_run_usd + items_count * self.settings.apify_cost_per_profile_usd, 4)

    # ------------------------------------------------------------------ planning

    def _group(self, requests: Sequence[EnrichRequest]) -> tuple[list[list[EnrichRequest]], list[EnrichRequest]]:
        """Requests grouped per person (one URL each) + requests with no usable LinkedIn URL."""
        groups: dict[str, list[EnrichRequest]] = {}
        bad: list[EnrichRequest] = []
        for r in requests:
            key, _ = url_identity(r.url)
            if key is None:
                bad.append(r)
                continue
            groups.setdefault(key, []).append(r)
        return list(groups.values()), bad

    def estimate(self, requests: Sequence[EnrichRequest]) -> dict[str, Any]:
        """What enriching ``requests`` would cost now, before anything is started.

        Returns ``{"requests", "profiles_to_scrape", "cached", "in_flight", "invalid", "no_url",
        "runs_to_start", "cost_usd"}``: ``cached`` = requests served by a fresh cache item,
        ``no_url`` = leads without a profile URL (nothing to send; qualified on the upload's data),
        ``in_flight`` = requests covered by an uncollected run in ``apify_runs`` (collected, not
        paid again), ``profiles_to_scrape`` = distinct people left, ``runs_to_start`` =
        ceil(profiles / batch size), ``cost_usd`` = profiles x price per profile + runs x price per
        start (USD, Settings prices).
        """
        requests = list(requests)
        cached = profile_cache.get_fresh(self.db, requests, self.settings.profile_cache_ttl_days)
        rest = [r for r in requests if r.lead_id not in cached]
        flying: set[int] = set()
        if rest:
            for row in self.ledger.in_flight([r.lead_id for r in rest]):
                flying.update(row.lead_ids or [])
        rest2 = [r for r in rest if r.lead_id not in flying]
        no_url = [r for r in rest2 if not r.url or is_name_key(r.key)]
        groups, bad = self._group([r for r in rest2 if r.url and not is_name_key(r.key)])
        n = len(groups)
        runs = math.ceil(n / self.batch_size) if n else 0
        cost = n * self.settings.apify_cost_per_profile_usd + runs * self.settings.apify_cost_per_run_usd
        return {
            "requests": len(requests), "profiles_to_scrape": n, "cached": len(cached),
            "in_flight": len(rest) - len(rest2), "invalid": len(bad), "no_url": len(no_url),
            "runs_to_start": runs, "cost_usd": round(cost, 4),
        }

    # ------------------------------------------------------------------ main entry

    def enrich(self, requests: Sequence[EnrichRequest]) -> Iterator[EnrichOutcome]:
        """Yield one :class:`EnrichOutcome` per request (any order); see the module docstring.

        Success: ``profile`` (``source = "apify"``) and the raw ``item``; ``note`` says when the
        profile came from the cache or from a resumed run. Failure: ``error`` with the reason;
        ``retryable=True`` when a later attempt may succeed (profile not returned, run failed,
        service unreachable), ``False`` for a URL that is not a LinkedIn profile. A lead without a
        profile URL (``url`` empty or a ``name:`` key) is not sent: it gets the upload's profile
        with ``fallback=True`` and :data:`NO_URL_NOTE`.
        Raises :class:`ApifyFatalError` (after yielding what was already collected) on a missing
        or rejected token / no credit. Stopping the iteration early stops polling; runs in flight
        stay recorded and are collected by a later call (never started again).
        """
        requests = list(requests)
        if not requests:
            return
        if not self.settings.apify_api_token:
            raise ApifyFatalError("APIFY_API_TOKEN is not set: live Apify enrichment is unavailable")
        stop = threading.Event()
        pending: dict[int, EnrichRequest] = {r.lead_id: r for r in requests}
        fatal: list[ApifyFatalError] = []
        pool = ThreadPoolExecutor(max_workers=self.max_concurrent, thread_name_prefix="apify-run")
        finished = False
        try:
            # 1. runs recorded earlier for these leads (crash, lost contact): collect, never restart
            claimed, blocked = self.ledger.claim([r.lead_id for r in requests])
            if claimed:
                futs = [pool.submit(self._guard, self._resume_batch, _Batch(
                    [pending[i] for i in (row.lead_ids or []) if i in pending], list(row.input_urls or []), row),
                    stop, fatal) for row in claimed]
                for res in self._as_completed(futs):
                    yield from self._emit(res, pending, final=False)
            for row in blocked:
                for lid in row.lead_ids or []:
                    if lid in pending:
                        req = pending.pop(lid)
                        yield EnrichOutcome(
                            lead_id=req.lead_id, retryable=True,
                            error=f"being scraped by another worker's Apify run (apify_runs.id={row.id})",
                        )
            if fatal:
                raise fatal[0]

            # 2. fresh profiles in the shared cache
            if pending:
                cached = profile_cache.get_fresh(self.db, list(pending.values()), self.settings.profile_cache_ttl_days)
                for lid, item in cached.items():
                    req = pending.pop(lid)
                    self._bump("cached")
                    o = self._success(req, item, "served from the profile cache")
                    o.from_cache = True
                    yield o

            # 3. leads without a profile URL (exports keyed by name + company): nothing to send
            for req in [r for r in pending.values() if not r.url or is_name_key(r.key)]:
                pending.pop(req.lead_id)
                yield EnrichOutcome(lead_id=req.lead_id, profile=profile_from_page(req), fallback=True,
                                    note=NO_URL_NOTE)

            # 4. new runs for the rest
            groups, bad = self._group(list(pending.values()))
            for req in bad:
                pending.pop(req.lead_id, None)
                yield EnrichOutcome(lead_id=req.lead_id, error=f"not a LinkedIn profile URL: {req.url!r}")
            batches = [
                _Batch(
                    requests=[r for g in groups[i:i + self.batch_size] for r in g],
                    urls=[g[0].url for g in groups[i:i + self.batch_size]],
                )
                for i in range(0, len(groups), self.batch_size)
            ]
            futs = [pool.submit(self._guard, self._new_batch, b, stop, fatal) for b in batches]
            for res in self._as_completed(futs):
                yield from self._emit(res, pending, final=True)
            finished = True
        finally:
            if not finished:
                stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
        if fatal:
            raise fatal[0]

    @staticmethod
    def _as_completed(futs: list[Future]) -> Iterator[_BatchResult]:
        left = set(futs)
        while left:
            done, left = wait(left, return_when=FIRST_COMPLETED)
            for f in done:
                yield f.result()

    def _guard(self, fn: Any, batch: _Batch, stop: threading.Event, fatal: list) -> _BatchResult:
        """Run one batch task; turn a fatal error into a skipped result (raised later by enrich)."""
        if fatal or stop.is_set() or self._cancel.is_set():
            return _BatchResult(batch, skipped=True)
        try:
            return fn(batch, stop)
        except ApifyFatalError as exc:
            fatal.append(exc)
            return _BatchResult(batch, skipped=True, error=str(exc))
        except Exception as exc:  # a bug or DB error in one batch must not lose the others
            log.exception("apify batch failed")
            return _BatchResult(batch, status="ERROR", error=f"enrichment error: {type(exc).__name__}: {exc}")

    def _success(self, req: EnrichRequest, item: dict[str, Any], note: str | None) -> EnrichOutcome:
        if is_empty_item(item):
            reason = item.get("error") or item.get("errorMessage") or "the item holds no profile data"
            return EnrichOutcome(lead_id=req.lead_id, item=item, retryable=True,
                                 error=f"Apify returned no profile data: {reason}")
        prof = profile_from_apify_item(item, source=self.name)
        if req.page is not None:
            prof.name = prof.name or req.page.name
            prof.headline = prof.headline or req.page.headline
            prof.location = prof.location or req.page.location
        return EnrichOutcome(lead_id=req.lead_id, profile=prof, item=item, note=note)

    def _emit(self, res: _BatchResult, pending: dict[int, EnrichRequest], final: bool) -> Iterator[EnrichOutcome]:
        """Outcomes for one finished batch: matched leads (any still pending), then the batch's
        unmatched leads as retryable failures (``final``) or left pending for new runs."""
        if res.skipped:
            return
        note = f"Apify run {res.apify_run_id}" if res.apify_run_id else None
        if res.batch.row is not None:
            note = f"collected from resumed Apify run {res.apify_run_id}"
        matched = 0
        if res.items:
            m = match_items(list(pending.values()), res.items)
            aliases: list[tuple[str, dict]] = []
            for req, item, how in m.pairs:
                pending.pop(req.lead_id, None)
                matched += 1
                if how == "inputUrl" and req.key:
                    aliases.append((req.key, item))
                yield self._success(req, item, note)
            if aliases:
                profile_cache.put(self.db, [a[1] for a in aliases], source=self.name, keys=[a[0] for a in aliases])
        if res.row_id is not None and res.items:
            self._update_row(res.row_id, matched_count=matched)
        if not final and res.error is None:
            return
        if self._cancel.is_set():
            return  # cancelled by the user: unmatched leads stay as they were (no attempt counted)
        for req in res.batch.requests:
            if req.lead_id not in pending:
                continue
            if not final and res.error is not None and res.status is None and res.apify_run_id is None:
                # resumed row that never started: its leads go into new runs
                continue
            pending.pop(req.lead_id)
            if res.error:
                reason = f"not returned by Apify: {res.error}"
            else:
                reason = f"not returned by Apify (run {res.apify_run_id} ended {res.status})"
            yield EnrichOutcome(lead_id=req.lead_id, retryable=True, error=reason)

    # ------------------------------------------------------------------ recovery

    def recover(self) -> dict[str, int]:
        """Collect every uncollected run whose owner is gone (call at start-up), items into the cache.

        Returns ``{"claimed", "collected", "items", "not_started"}``. Nothing new is started.
        """
        claimed, _ = self.ledger.claim(None)
        out = {"claimed": len(claimed), "collected": 0, "items": 0, "not_started": 0}
        stop = threading.Event()
        for row in claimed:
            try:
                res = self._resume_batch(_Batch([], list(row.input_urls or []), row), stop)
            except ServiceError as exc:
                log.warning("could not recover apify run row %s: %s", row.id, exc)
                continue
            if res.error is None:
                out["collected"] += 1
                out["items"] += len(res.items)
            elif res.apify_run_id is None:
                out["not_started"] += 1
        return out

    # ------------------------------------------------------------------ batch lifecycles

    def _new_batch(self, batch: _Batch, stop: threading.Event) -> _BatchResult:
        # recorded and committed BEFORE the start request
        row_id, created_at = self.ledger.record_pending(self.run_id, batch.urls, [r.lead_id for r in batch.requests])
        with self.ledger.working_on(row_id):
            try:
                run = self._start(row_id, created_at, batch.urls)
            except ApifyFatalError as exc:
                self._update_row(row_id, status=NOT_STARTED, error=str(exc)[:1000])
                self._bump("runs_not_started")
                raise
            if run is None:
                return _BatchResult(batch, row_id=row_id, error="could not start an Apify run (see apify_runs)")
            return self._follow(batch, row_id, run, stop)

    def _resume_batch(self, batch: _Batch, stop: threading.Event) -> _BatchResult:
        row = batch.row
        with self.ledger.working_on(row.id):
            self._bump("runs_resumed")
            if row.apify_run_id is None:
                try:
                    run = self._find_started_run(row.created_at, list(row.input_urls or []))
                except ServiceError as exc:
                    self._update_row(row.id, error=f"could not check whether the run started: {exc}"[:1000])
                    return _BatchResult(batch, row_id=row.id, status=PENDING,
                                        error="could not confirm whether a recorded Apify run started")
                if run is None:
                    self._update_row(row.id, status=NOT_STARTED, finished_at=NOW,
                                     error="start request never reached Apify (checked the actor's recent runs)")
                    self._bump("runs_not_started")
                    return _BatchResult(batch, row_id=row.id, error="run never started")
                self._bump("reconciled")
                self._update_row(row.id, apify_run_id=run["id"], dataset_id=run.get("defaultDatasetId"),
                                 status=run.get("status") or "RUNNING",
                                 started_at=_parse_ts(run.get("startedAt")) or NOW)
            else:
                run = {"id": row.apify_run_id, "defaultDatasetId": row.dataset_id, "status": None}
            return self._follow(batch, row.id, run, stop)

    def _start(self, row_id: int, created_at: datetime, urls: list[str]) -> dict[str, Any] | None:
        """Start one run; return its run object, or None when it could not be started (row updated).

        Retries after ``retry`` answers (waiting ``Retry-After`` or a jittered backoff); after an
        ``ambiguous`` one it first looks for the run on Apify and adopts it when found.
        """
        max_attempts = max(1, int(self.settings.http_max_attempts))
        last = ""
        for attempt in range(1, max_attempts + 1):
            got = self.api.start_once(urls)
            if got.outcome == "started":
                assert got.run is not None
                self._record_started(row_id, got.run)
                return got.run
            last = got.message
            if got.outcome == "refused":  # retrying will not help
                self._update_row(row_id, status=NOT_STARTED, error=f"start refused: {last}"[:1000], finished_at=NOW)
                self._bump("runs_not_started")
                return None
            if got.outcome == "ambiguous":
                try:
                    found = self._find_started_run(created_at, urls)
                except ServiceError as exc:
                    self._update_row(row_id, error=f"start unconfirmed ({last}); check failed: {exc}"[:1000])
                    return None  # stays PENDING: checked again later, never blindly restarted
                if found is not None:
                    self._bump("reconciled")
                    self._record_started(row_id, found)
                    return found
            if attempt < max_attempts:
                self._bump("retries")
                wait_s = got.wait_s
                if wait_s is None:
                    wait_s = min(self.max_backoff_s, 0.5 * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
                time.sleep(min(wait_s, self.max_backoff_s * 4))
        self._update_row(row_id, status=NOT_STARTED, error=f"start failed after {max_attempts} attempts: {last}"[:1000],
                         finished_at=NOW)
        self._bump("runs_not_started")
        return None

    def _record_started(self, row_id: int, run: dict[str, Any]) -> None:
        self._bump("runs_started")
        self._update_row(
            row_id, apify_run_id=run["id"], dataset_id=run.get("defaultDatasetId"),
            status=run.get("status") or "READY", started_at=_parse_ts(run.get("startedAt")) or NOW,
        )

    def _find_started_run(self, since: datetime, urls: list[str]) -> dict[str, Any] | None:
        """The actor's run started after ``since`` (- 10 min clock slack) whose input holds exactly
        ``urls`` and that no ``apify_runs`` row knows; None if there is none. Read-only calls."""
        floor = since - timedelta(minutes=10)
        want = sorted(urls)
        offset, limit = 0, 100
        while True:
            runs = self.api.recent_runs(offset, limit)
            known = self.ledger.known_run_ids([r["id"] for r in runs if r.get("id")])
            older = False
            for r in runs:
                started = _parse_ts(r.get("startedAt"))
                if started is not None and started < floor:
                    older = True
                    break
                if r.get("id") in known or not r.get("defaultKeyValueStoreId"):
                    continue
                got = self.api.input_urls(r["defaultKeyValueStoreId"])
                if got is not None and sorted(got) == want:
                    return r
            if older or len(runs) < limit:
                return None
            offset += limit

    def _follow(self, batch: _Batch, row_id: int, run: dict[str, Any], stop: threading.Event) -> _BatchResult:
        """Poll a started run to its end (abort it past the deadline), read its dataset, store."""
        apify_id = run["id"]
        dataset_id = run.get("defaultDatasetId")
        status = run.get("status") if run.get("status") in TERMINAL else None
        deadline = time.monotonic() + self.settings.apify_run_timeout_s + self.abort_grace_s
        aborted = False
        try:
            while status not in TERMINAL:
                if stop.is_set() or self._cancel.is_set():
                    return _BatchResult(batch, row_id=row_id, apify_run_id=apify_id, skipped=True)
                if time.monotonic() > deadline and not aborted:
                    self.api.abort(apify_id)
                    aborted = True
                data = self.api.get_run(apify_id)
                dataset_id = data.get("defaultDatasetId") or dataset_id
                if data.get("status") != status and data.get("status") not in TERMINAL:
                    self._update_row(row_id, status=data.get("status"), dataset_id=dataset_id)
                status = data.get("status")
                run = data
            items = self.api.dataset_items(dataset_id) if dataset_id else []
        except ServiceError as exc:
            if exc.status == 404:  # Apify does not know the run/dataset (deleted, other account)
                self._update_row(row_id, status=LOST, collected_at=NOW, finished_at=NOW,
                                 error=f"run or dataset not found on Apify: {exc}"[:1000])
                return _BatchResult(batch, row_id=row_id, apify_run_id=apify_id, status=LOST,
                                    error=f"Apify run {apify_id} or its dataset was not found")
            self._update_row(row_id, error=f"lost contact: {exc}"[:1000])
            return _BatchResult(batch, row_id=row_id, apify_run_id=apify_id, status=None,
                                error=f"lost contact with Apify run {apify_id} ({exc}); it will be collected later")
        items = [i for i in items if isinstance(i, dict)]
        cost = self._run_cost(len(items))
        if items:
            profile_cache.put(self.db, items, source=self.name)
        self._update_row(
            row_id, status=status, dataset_id=dataset_id, items_count=len(items), cost_usd=cost,
            finished_at=_parse_ts(run.get("finishedAt")) or NOW, collected_at=NOW,
            error=None if status == "SUCCEEDED" else f"run ended {status}: {run.get('statusMessage') or ''}"[:1000],
        )
        self._bump("items_charged", len(items))
        self._bump("cost_usd", cost)
        if status != "SUCCEEDED":
            self._bump("runs_failed")
        return _BatchResult(batch, row_id=row_id, apify_run_id=apify_id, status=status, items=items,
                            error=None if status == "SUCCEEDED" else f"Apify run {apify_id} ended {status}")

    # ------------------------------------------------------------------ stopping

    def abort_own_runs(self) -> list[str]:
        """Abort the unfinished runs recorded in ``apify_runs`` with this provider's ``owner``.

        Never lists the actor's runs to abort them (other users' batches). Returns the aborted
        Apify run ids; their rows stay uncollected, so a later call collects their partial datasets.
        """
        done = []
        for rid in self.ledger.unfinished_own_runs():
            try:
                self.api.abort(rid)
                done.append(rid)
            except ServiceError as exc:
                log.warning("could not abort Apify run %s: %s", rid, exc)
        return done

    def cancel(self) -> list[str]:
        """Stop polling in every ``enrich`` of this instance and abort this provider's runs."""
        self._cancel.set()
        return self.abort_own_runs()

    def close(self) -> None:
        """Close the HTTP client."""
        self.api.close()

    def __enter__(self) -> ApifyProvider:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
