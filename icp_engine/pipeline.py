"""The qualification pipeline: enrich -> classify -> embed -> score, stage by stage.

Every stage works on the leads of a run's scope selected by their *state in the database*, in
chunks, committing after each chunk, so a killed process loses at most the chunk in flight and
the next execution of the same run picks up where it stopped:

* ``enrich``   leads with status ``discovered`` -> ``enriched`` (or ``failed`` after
  :data:`MAX_ATTEMPTS` retryable failures, with ``error_message`` and ``retry_count``).
  **Nothing is dropped:** a lead the provider has no data for (not returned by Apify, not in an
  Apify export, no profile URL) keeps the upload's data (name, headline, title and company read
  from the headline) with the reason in ``leads.enrichment_note`` ("enrichment: not returned by
  Apify ..."), and goes through the next stages like any other; ``failed`` leads are scored too
  and stay ``failed`` (the CSV says why). With a provider that has real profile data
  (``apify-json``, ``apify``), leads whose data came only from the upload are offered to it too
  (**re-enrichment**): those it has a profile for get the new data, their classification and
  vector are cleared and their scores become stale (so the next stages redo them); the others keep
  what they had, untouched. What changed is counted in :attr:`RunStages.changes` (stored in
  ``runs.actual["changes"]``).
* ``classify`` enriched (and failed) leads without ``company_type`` -> industry class + company type
  (+ the offline ``industry_guess`` and the source / guess flags).
* ``embed``    leads without a whole-profile vector for the embedder's model -> ``lead_embeddings``.
* ``score``    leads without a ``lead_scores`` row for the run's ICP version, or with one older than
  their data -> scored; ``enriched`` -> ``qualified``.
* ``learn``    a model is refitted on the client's keep / trash reviews (every batch) on the
  static scores and, when its validation gate applies it, sets the scope's scores
  (:func:`icp_engine.feedback.refit_and_apply`; the static score is kept next to it).

:class:`RunStages` does the work of one run; *how* a run is executed (who executes it, leases,
pausing, the worker loop) is :mod:`icp_engine.runs`. Its SQL is in :mod:`icp_engine.db.leads`
and :mod:`icp_engine.db.scores`.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from .db import Database
from .db import leads as leads_sql
from .db import scores as scores_sql
from .domain import ICP, Profile, is_name_key
from .enrich import EnrichmentProvider, EnrichOutcome, EnrichRequest
from .enrich.page import linking_key, profile_from_page
from .enums import EnrichProvider, LeadStatus, RerankerName, RunStage
from .errors import InvalidInput
from .overlap import WriteBehind

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
STAGES = (RunStage.ENRICH, RunStage.CLASSIFY, RunStage.EMBED, RunStage.SCORE, RunStage.LEARN)
#: The first chunk of the classify, embed and score stages is this small (then sizes double up to
#: the run's chunk size), so a stage reports progress, rate and ETA within its first seconds.
FIRST_CHUNK = 50
#: Profile fields whose filling re-enrichment reports (field -> words on screen).
FILLED_FIELDS = {"company_size": "company size", "industry": "industry", "titles": "current titles",
                 "company": "company"}
_BUCKET_ORDER = {"poor": 0, "possible": 1, "good": 2, "strong": 3}


def empty_changes() -> dict[str, Any]:
    """What a run changed in leads that already had data (see :attr:`RunStages.changes`)."""
    return {"to_offer": 0, "reenriched": 0, "no_better_data": 0, "filled": dict.fromkeys(FILLED_FIELDS, 0),
            "rescored": 0, "scores_changed": 0, "bucket_up": 0, "bucket_down": 0, "score_delta_sum": 0.0}


@dataclass
class RunOptions:
    """Options of a run, stored in ``runs.options`` (JSON with the enum values).

    ``enrich``: :class:`~icp_engine.enums.EnrichProvider`; ``profiles_path``: the Apify items
    file for ``apify-json``; ``reranker``: :class:`~icp_engine.enums.RerankerName`;
    ``rerank_top_n``: leads the reranker re-scores; ``classify``: run the classification stage;
    ``chunk_size``: leads per committed chunk (1-10,000); ``judge``: an LLM rules on the leads of
    the uncertain band (needs ``OPENAI_API_KEY``, :mod:`icp_engine.scoring.judge`; its cost is in
    ``runs.estimate["judge"]``); ``learn``: refit the learned model on the client's reviews after
    scoring and apply it where its validation gate says so. Strings are accepted for the enums;
    an unknown value raises :class:`~icp_engine.errors.InvalidInput`.
    """

    enrich: EnrichProvider = EnrichProvider.PAGE
    profiles_path: str | None = None
    reranker: RerankerName = RerankerName.NONE
    rerank_top_n: int = 200
    classify: bool = True
    chunk_size: int = 500
    judge: bool = False
    learn: bool = True

    def __post_init__(self) -> None:
        try:
            self.enrich = EnrichProvider(self.enrich)
        except ValueError:
            raise InvalidInput(f"unknown enrichment provider {self.enrich!r}; choose one of "
                               f"{', '.join(p.value for p in EnrichProvider)}") from None
        try:
            self.reranker = RerankerName(self.reranker or RerankerName.NONE)
        except ValueError:
            raise InvalidInput(f"unknown reranker {self.reranker!r}; choose one of "
                               f"{', '.join(r.value for r in RerankerName)}") from None

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> RunOptions:
        """Options from ``runs.options`` (unknown keys ignored, missing ones defaulted)."""
        d = dict(d or {})
        return cls(**{f.name: d[f.name] for f in fields(cls) if f.name in d})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (enum values as strings)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["enrich"], out["reranker"] = self.enrich.value, self.reranker.value
        return out


@dataclass
class RunContext:
    """What a run needs besides the database, built by :class:`icp_engine.wiring.Wiring`.

    ``provider``: enrichment provider; ``scorer``: object with ``score(icp, profiles)`` and
    ``version``; ``embedder``: for whole-profile vectors (None skips the embed stage);
    ``classifier``: callable ``profiles -> list[Classification]`` (None skips classify).
    """

    provider: EnrichmentProvider
    scorer: Any
    embedder: Any | None = None
    classifier: Callable[[Sequence[Profile]], list[Any]] | None = None


#: Columns the enrich stage reads: the request, plus what :func:`profile_from_row` needs after
#: enrichment (the stage classifies, embeds and scores each chunk it enriches).
_ENRICH_COLUMNS = ("id", "profile_key", "input_url", "profile_id", "vanity", "name", "headline", "location",
                   "company", "titles", "industry_class", "company_type", "industry_guess", "company_type_is_guess",
                   "status", "company_size", "industry")
#: Columns :func:`profile_from_row` reads (what classify, embed and score need).
_PROFILE_COLUMNS = ("id", "name", "headline", "location", "titles", "company", "company_size", "industry",
                    "industry_class", "summary", "past_roles", "skills", "company_type", "profile_id", "vanity",
                    "enrichment_source", "industry_guess", "company_type_is_guess")
#: Providers that answer from local data (no network, no cost): their chunks are larger.
_LOCAL_PROVIDERS = (EnrichProvider.PAGE.value, EnrichProvider.APIFY_JSON.value)


class RunStages:
    """The four stages of one run over its scope.

    ``RunStages(db, run, icp, ctx, options, check_stop, report)``: ``run`` is the ``runs`` row
    (client, batch, ICP version, id); ``check_stop()`` is called before every chunk and raises to
    stop (pause, cancel, lost lease); ``report(stage, delta)`` after every chunk (progress;
    ``delta`` counts what the chunk changed: ``enriched``, ``failed``, ``classified``, ``scored``,
    ``not_enriched``); ``store_actual(stats)`` receives the provider's counters after each enrich
    chunk, and ``{"changes": ...}`` (:attr:`changes`) with them.
    :meth:`run` executes every stage in order; each stage can also be called alone.

    **One pass.** The enrich stage takes each chunk it enriched through classification and
    scoring before committing it, and writes the chunk in one transaction (each lead row rewritten
    once, straight to ``qualified``). The classify and score stages then only find the leads the
    enrich stage did not carry (leads enriched earlier, e.g. re-scored under a new ICP version, and
    leads whose enrichment failed). The whole-profile vectors stay a stage of their own (the score
    does not read them; it writes no lead row), so the Run page shows the embed stage's own
    progress, rate and ETA (issue 13 point 6). With a local provider the enrich stage's chunks start
    at :data:`FIRST_CHUNK` leads and double, so the pass reports progress within its first seconds.
    What is computed is
    the same as stage by stage: each lead's profile is built exactly as :func:`profile_from_row`
    builds it from the stored row (``tests/test_perf_equivalence.py`` compares the two).

    :attr:`changes` counts what this run changed in leads that already had data (kept across a
    pause: it starts from ``run["actual"]["changes"]``): ``reenriched`` (leads with upload data
    only that got a provider profile), ``no_better_data`` (offered, but the provider had nothing
    better), ``filled`` (per profile field, re-enriched leads that had it empty and got it),
    ``to_offer`` (leads with upload data only when the enrich stage started, plus those offered
    before a pause), ``rescored`` (leads whose earlier score of this version was replaced), ``scores_changed``
    (of those, by half a point or more), ``bucket_up`` / ``bucket_down``, ``score_delta_sum``.
    """

    #: False: the stages one at a time (enrich writes ``enriched`` leads, then classify, embed and
    #: score read them back); the reference path ``tests/test_perf_equivalence.py`` compares with.
    one_pass: bool = True
    #: True: each chunk's database write runs in a background thread while the next chunk is
    #: computed (:mod:`icp_engine.overlap`); the same rows are written, in the same order, each
    #: chunk in one transaction. False: one after the other.
    overlap: bool = True

    def __init__(
        self,
        db: Database,
        run: dict[str, Any],
        icp: ICP,
        ctx: RunContext,
        options: RunOptions,
        *,
        check_stop: Callable[[], None],
        report: Callable[..., None],
        store_actual: Callable[[dict[str, Any]], None] = lambda stats: None,
    ):
        self.db = db
        self.run_id = int(run["id"])
        self.client_id = int(run["client_id"])
        self.batch_id = run["batch_id"]
        self.icp_version_id = int(run["icp_version_id"])
        self.icp = icp
        self.ctx = ctx
        self.options = options
        self._check_stop = check_stop
        self._report = report
        self._store_actual = store_actual
        self._scorer_version = str(getattr(self.ctx.scorer, "version", "unknown"))
        actual = dict(run.get("actual") or {})
        self.changes: dict[str, Any] = empty_changes()
        for k, v in (actual.pop("changes", None) or {}).items():
            if k == "filled" and isinstance(v, dict):
                self.changes["filled"].update({f: int(n) for f, n in v.items() if f in FILLED_FIELDS})
            elif k in self.changes:
                self.changes[k] = v
        self._actual: dict[str, Any] = actual
        #: scores written by this execution since the last :meth:`_refresh_score_statistics`
        self._scores_written = 0

    def run(self) -> None:
        """enrich, classify (if a classifier and ``options.classify``), embed (if an embedder), score."""
        self._report(RunStage.ENRICH)
        self._stage_enrich()
        self._refresh_score_statistics()
        if self._classifying:
            self._report(RunStage.CLASSIFY)
            self._stage_classify()
        if self.ctx.embedder is not None:
            self._report(RunStage.EMBED)
            self._stage_embed()
        self._report(RunStage.SCORE)
        self._stage_score()
        self._refresh_score_statistics()
        if self.options.learn and self.ctx.embedder is not None:
            self._report(RunStage.LEARN)
            self._stage_learn()

    def _refresh_score_statistics(self) -> None:
        """After a stage wrote many scores (:data:`icp_engine.db.leads.ANALYZE_MIN_ROWS`), refresh the
        planner's statistics of ``lead_scores`` (:func:`icp_engine.db.scores.analyze_scores`).

        Why: until autovacuum gets to it (a minute or more), the statistics say the run's ICP
        version has no scores, and every later query joining the version's scores (the progress
        counts, the learn stage, the export, the dashboard's lists) was planned for a handful of
        rows: 3 s each for the classify, score and learn stages' reports of a 10,000-lead run that
        had nothing left for them to do.
        """
        if self._scores_written < leads_sql.ANALYZE_MIN_ROWS:
            return
        with self.db.begin() as conn:
            scores_sql.analyze_scores(conn)
        self._scores_written = 0

    @property
    def _classifying(self) -> bool:
        return self.ctx.classifier is not None and self.options.classify

    def _big_chunk(self) -> int:
        """Leads per chunk of the local stages (classify, embed, score; enrich with a local provider)."""
        return max(1, min(self.options.chunk_size * 4, 10_000))

    # -- stage: enrich (+ classify and score of what it enriched)
    def _stage_enrich(self) -> None:
        upgrade = self.options.enrich != EnrichProvider.PAGE  # a provider with real profile data
        offered: set[int] = set()  # leads with upload data already offered to the provider in this run
        provider_name = getattr(self.ctx.provider, "name", EnrichProvider.PAGE.value)
        size = self._big_chunk() if provider_name in _LOCAL_PROVIDERS else max(1, min(self.options.chunk_size, 10_000))
        if upgrade:
            with self.db.connect() as conn:
                upload_only = leads_sql.count_upload_only(conn, self.client_id, self.batch_id)
            c = self.changes
            c["to_offer"] = c["reenriched"] + c["no_better_data"] + upload_only
            self._store_changes()
        for _attempt in range(MAX_ATTEMPTS):
            # leads that stay ``discovered`` after a retryable failure come round in the next attempt;
            # leads with upload data are offered once per execution
            todo = leads_sql.pending_enrichment(upgrade=upgrade, exclude=sorted(offered))
            # local providers: small first chunks (progress within seconds); live Apify: fixed chunks.
            # Each chunk's write overlaps the next chunk's work; all are committed before the next attempt.
            with WriteBehind(enabled=self.overlap) as writer:
                seen = self._enrich_chunks(todo, size, provider_name, again_offered=offered, writer=writer)
            if not seen:
                return

    def _enrich_chunks(self, todo: Any, size: int, provider_name: str, *, again_offered: set[int],
                       writer: WriteBehind) -> bool:
        """One attempt of the enrich stage over the leads matching ``todo``; True if it saw any."""
        seen = False
        for rows in self._chunks(todo, size, _ENRICH_COLUMNS, grow=provider_name in _LOCAL_PROVIDERS):
            seen = True
            again = {r["id"]: r for r in rows if r["status"] != LeadStatus.DISCOVERED}
            again_offered.update(again)
            requests = [
                EnrichRequest(
                    lead_id=r["id"],
                    key=r["profile_key"],
                    url=r["input_url"],
                    profile_id=r["profile_id"],
                    vanity=r["vanity"],
                    page=Profile(
                        name=r["name"], headline=r["headline"], location=r["location"],
                        company=r["company"], titles=list(r["titles"] or []),
                        profile_id=r["profile_id"], vanity=r["vanity"],
                    ),
                )
                for r in rows
            ]
            got: dict[int, EnrichOutcome] = {}
            try:
                for o in self.ctx.provider.enrich(requests):
                    got[o.lead_id] = o
            except BaseException:
                # keep what came back (already paid for); the rest is not an attempt
                writer.settle()
                self._write_outcomes([r for r in requests if r.lead_id in got], got, again, report=False)
                raise
            self._write_outcomes(requests, got, again, {r["id"]: r for r in rows} if self.one_pass else None,
                                 writer=writer)
        return seen

    def _write_outcomes(self, requests: Sequence[EnrichRequest], outcomes: dict[int, EnrichOutcome],
                        again: dict[int, Any] | None = None,
                        rows: dict[int, dict[str, Any]] | None = None, *,
                        writer: WriteBehind | None = None, report: bool = True) -> None:
        """Write one chunk's outcomes in one transaction, then report the progress delta.

        Nothing is dropped: a fallback outcome (the provider had no data) stores the upload's
        profile with ``enrichment_note = "enrichment: <note>"``; a failure stores the attempt and,
        when the pipeline gives up on the lead, the upload's profile with ``"enrichment: <error>"``
        (:func:`icp_engine.db.leads.write_enrich_failures`), so every lead is qualified and exported.

        ``again``: the requests for leads that already had upload data (re-enrichment), by lead id,
        as read before the run (``company_size``, ``industry``, ``titles``, ``company``). For those,
        only a provider profile is written (and their classification and vector cleared); a failure
        or a fallback to the upload's data leaves the lead as it was.

        With the leads' ``rows`` (the enrich stage's read), the enriched leads are also classified
        and scored here (see the class docstring); re-enriched ones too, as the later
        stages would after their classification and vector were cleared.

        With a ``writer`` the transaction runs in its background thread (:class:`WriteBehind`) and
        the report, the rescored counts and the provider's counters follow once it committed;
        without one, all happen before this returns. ``report=False`` (a partial chunk written as
        the stage fails): no progress report, no provider counters.
        """
        again = again or {}
        provider_name = getattr(self.ctx.provider, "name", EnrichProvider.PAGE.value)
        ok: list[dict[str, Any]] = []
        failures: list[dict[str, Any]] = []
        reenriched: list[int] = []
        for req in requests:
            o = outcomes.get(req.lead_id)
            if o is None:
                o = EnrichOutcome(lead_id=req.lead_id, error="the provider returned nothing", retryable=True)
            before = again.get(req.lead_id)
            if before is not None:
                source = (o.profile.source or provider_name) if o.profile is not None else None
                if o.profile is None or source in leads_sql.UPLOAD_ONLY_SOURCES or getattr(o, "fallback", False):
                    self.changes["no_better_data"] += 1
                    continue
                self.changes["reenriched"] += 1
                reenriched.append(req.lead_id)
                for fld in FILLED_FIELDS:
                    old, new = before.get(fld), getattr(o.profile, fld, None)
                    if not old and new:
                        self.changes["filled"][fld] += 1
            if o.profile is None:
                error = o.error or "enrichment failed"
                fallback = profile_from_page(req)
                failures.append({
                    "b_id": req.lead_id, "b_error": error, "b_final": not o.retryable,
                    "b_titles": list(fallback.titles), "b_company": fallback.company,
                    "b_note": f"enrichment: {error}",
                })
                continue
            p = o.profile
            ok.append(
                {
                    "b_id": req.lead_id, "b_name": p.name, "b_headline": p.headline, "b_location": p.location,
                    "b_titles": list(p.titles or []), "b_company": p.company, "b_company_size": p.company_size,
                    "b_industry": p.industry, "b_summary": p.summary, "b_past_roles": list(p.past_roles or []),
                    "b_skills": list(p.skills or []), "b_profile_id": p.profile_id, "b_vanity": p.vanity,
                    "b_source": p.source or provider_name,
                    "b_note": f"enrichment: {o.note or 'no data from ' + provider_name}" if o.fallback else None,
                    # a lead without a URL keeps its key; others get the enriched name + company
                    "b_name_key": None if is_name_key(req.key) else linking_key(
                        p.name or (req.page.name if req.page else None), p.company, p.headline),
                }
            )
        carried = self._carry(ok, rows, set(reenriched)) if rows is not None and ok else None

        def write() -> tuple[int, dict[int, tuple[float, str]]]:
            previous: dict[int, tuple[float, str]] = {}
            with self.db.begin() as conn:
                # re-enriched leads: classification and vector cleared first (carried ones are classified here)
                leads_sql.reset_derived(conn, reenriched)
                if carried is None:
                    leads_sql.write_enriched(conn, ok)
                else:
                    leads_sql.write_enriched(conn, ok, classified=carried.classified, qualified=True)
                    # what the score stage reports of the scores it replaces (re-enriched leads, retried ones)
                    previous = scores_sql.previous_scores(conn, self.icp_version_id, [b["b_id"] for b in ok])
                    scores_sql.write_scores(conn, self.icp_version_id, self.run_id, carried.scores,
                                            mark_qualified=False)
                failed = leads_sql.write_enrich_failures(conn, failures, MAX_ATTEMPTS)
            return failed, previous

        def then(result: tuple[int, dict[int, tuple[float, str]]]) -> None:
            failed, previous = result
            if carried is not None:
                self._scores_written += len(carried.scores)
            if previous and carried is not None:
                self._count_rescored(previous, carried.scores)
            if not report:
                return
            self._report(RunStage.ENRICH, {
                "enriched": len(ok), "failed": failed,
                "not_enriched": sum(1 for r in ok if r["b_note"]) + failed,
                "classified": len(ok) if carried is not None and carried.classified else 0,
                "scored": len(ok) if carried is not None else 0,
            })
            self._store_provider_stats()

        if writer is None:
            then(write())
        else:
            writer.submit(write, then)

    def _carry(self, ok: list[dict[str, Any]], rows: dict[int, dict[str, Any]],
               reenriched: Collection[int] = ()) -> _Carried | None:
        """Classify and score the enriched leads of a chunk before they are written.

        Each lead's row as it will be stored is built here exactly as the SQL of
        :func:`icp_engine.db.leads.write_enriched` and :func:`~icp_engine.db.leads.write_classifications`
        would leave it, so the classifier and scorer see what the stage-by-stage path would read
        back (:func:`profile_from_row`). Adds each lead's classification to its ``ok`` row
        (``"class"``) and returns the score rows to write; None when the chunk holds a
        lead classified before (then the later stages take the chunk one stage at a time). Leads in
        ``reenriched`` (offered again, with a provider profile now) count as unclassified, as
        :func:`icp_engine.db.leads.reset_derived` leaves them for the later stages.
        """
        after: list[dict[str, Any]] = []
        for b in ok:
            r = rows[b["b_id"]]
            after.append({
                **r,
                "name": b["b_name"] if b["b_name"] is not None else r["name"],
                "headline": b["b_headline"] if b["b_headline"] is not None else r["headline"],
                "location": b["b_location"] if b["b_location"] is not None else r["location"],
                "titles": b["b_titles"], "company": b["b_company"], "company_size": b["b_company_size"],
                "industry": b["b_industry"], "summary": b["b_summary"], "past_roles": b["b_past_roles"],
                "skills": b["b_skills"],
                "profile_id": r["profile_id"] if r["profile_id"] is not None else b["b_profile_id"],
                "vanity": r["vanity"] if r["vanity"] is not None else b["b_vanity"],
                "enrichment_source": b["b_source"],
            })
            if b["b_id"] in reenriched:
                after[-1].update(industry_class=None, company_type=None)
        # classify: what the classify stage does for leads without a company type (every lead of a
        # fresh upload). A chunk holding a lead classified before is left to the stages one by one.
        classified = self._classifying
        if classified and any(a["company_type"] is not None for a in after):
            return None
        if classified:
            assert self.ctx.classifier is not None
            results = self.ctx.classifier([profile_from_row(a) for a in after])
            for b, a, c in zip(ok, after, results):
                k = classification_values(c)
                b["class"] = k
                a.update(industry_class=k["b_industry"], company_type=k["b_type"],
                         industry_guess=k["b_industry_guess"], company_type_is_guess=k["b_type_is_guess"])
        profiles = [profile_from_row(a) for a in after]
        carried = _Carried(classified=classified)
        carried.scores = self._score_rows([b["b_id"] for b in ok], profiles)
        return carried

    def _store_provider_stats(self) -> None:
        """Copy the provider's counters (runs started, items charged, retries, cost) and
        :attr:`changes` into ``runs.actual``."""
        stats = getattr(self.ctx.provider, "stats", None)
        if stats:
            self._actual.update(_jsonable(dict(stats)))
        self._store_changes()

    def _store_changes(self) -> None:
        self._store_actual({**self._actual, "changes": _jsonable(self.changes)})

    def _chunks(self, todo: Any, size: int, columns: Sequence[str] | None = None, *,
                grow: bool = True) -> Iterator[list[dict[str, Any]]]:
        """Leads of the run's scope matching ``todo``, in id order, up to ``size`` (1-10,000) at a time
        (``columns``: the ``leads`` columns to read, default all).

        With ``grow`` the first chunk holds :data:`FIRST_CHUNK` leads and each next one twice as many up to
        ``size``, so progress and rate are known within the first seconds of a stage. Keyset
        pagination (each query starts after the last id seen) keeps every chunk's query cheap at
        100k leads; the stop flag is checked before each chunk.
        """
        size = max(1, min(size, 10_000))
        step = min(size, FIRST_CHUNK) if grow else size
        last = 0
        while True:
            self._check_stop()
            with self.db.connect() as conn:
                rows = leads_sql.lead_chunk(conn, self.client_id, self.batch_id, todo, last, step, columns)
            if not rows:
                return
            last = rows[-1]["id"]
            step = min(size, step * 2)
            yield rows

    # -- stage: classify (leads the enrich stage did not carry)
    def _stage_classify(self) -> None:
        assert self.ctx.classifier is not None
        for rows in self._chunks(leads_sql.unclassified(), self._big_chunk(), _PROFILE_COLUMNS):
            profiles = [profile_from_row(r) for r in rows]
            results = self.ctx.classifier(profiles)
            with self.db.begin() as conn:
                leads_sql.write_classifications(conn, [
                    {"b_id": r["id"], **classification_values(c)} for r, c in zip(rows, results)])
            self._report(RunStage.CLASSIFY, {"classified": len(rows)})

    # -- stage: embed (whole-profile vectors for pgvector nearest-neighbour queries)
    def _profile_vectors(self, profiles: Sequence[Profile]) -> np.ndarray:
        """Whole-profile vectors (float32, one row per profile); each distinct text embedded once."""
        assert self.ctx.embedder is not None
        texts = [profile_text(p) for p in profiles]
        uniq = list(dict.fromkeys(texts))
        # whole-profile texts are (nearly) unique per lead: embed them directly, not through the text cache
        inner = getattr(self.ctx.embedder, "inner", self.ctx.embedder)
        vecs = np.asarray(inner.embed(uniq), dtype=np.float32)
        if len(uniq) == len(texts):
            return vecs
        pos = {t: k for k, t in enumerate(uniq)}
        return vecs[[pos[t] for t in texts]]

    def _stage_embed(self) -> None:
        assert self.ctx.embedder is not None
        model = self.ctx.embedder.name

        def writing(pairs: list[tuple[int, np.ndarray]]) -> Callable[[], None]:
            def write() -> None:
                with self.db.begin() as conn:
                    scores_sql.write_vectors(conn, model, pairs)
            return write

        # each chunk's vectors are written while the next chunk is embedded
        with WriteBehind(enabled=self.overlap) as writer:
            for rows in self._chunks(scores_sql.without_vector(model), self._big_chunk(), _PROFILE_COLUMNS):
                vecs = self._profile_vectors([profile_from_row(r) for r in rows])
                writer.submit(writing([(r["id"], v) for r, v in zip(rows, vecs)]),
                              lambda _r: self._report(RunStage.EMBED))

    # -- stage: score (leads the enrich stage did not carry)
    def _score_rows(self, lead_ids: Sequence[int], profiles: Sequence[Profile]) -> list[dict[str, Any]]:
        """``lead_scores`` rows for these leads (the scorer called once for the whole chunk)."""
        results = self.ctx.scorer.score(self.icp, profiles)
        return [
            {
                "lead_id": lid,
                "icp_score": float(res.icp_score),
                "bucket": res.bucket,
                "match_reasoning": res.match_reasoning,
                "components": json.dumps(_jsonable(res.components)),
                "scorer_version": self._scorer_version,
            }
            for lid, res in zip(lead_ids, results)
        ]

    def _stage_score(self) -> None:
        for rows in self._chunks(scores_sql.unscored(self.icp_version_id), self._big_chunk(), _PROFILE_COLUMNS):
            values = self._score_rows([r["id"] for r in rows], [profile_from_row(r) for r in rows])
            with self.db.begin() as conn:
                before = scores_sql.previous_scores(conn, self.icp_version_id, [v["lead_id"] for v in values])
                scores_sql.write_scores(conn, self.icp_version_id, self.run_id, values)
            self._scores_written += len(values)
            if before:
                self._count_rescored(before, values)
            self._report(RunStage.SCORE, {"scored": len(rows)})

    def _count_rescored(self, before: dict[int, tuple[float, str]], values: Sequence[dict[str, Any]]) -> None:
        for v in values:
            old = before.get(v["lead_id"])
            if old is None:
                continue
            self.changes["rescored"] += 1
            delta = float(v["icp_score"]) - old[0]
            if abs(delta) >= 0.5:
                self.changes["scores_changed"] += 1
                self.changes["score_delta_sum"] += delta
            move = _BUCKET_ORDER.get(str(v["bucket"]), 0) - _BUCKET_ORDER.get(old[1], 0)
            if move > 0:
                self.changes["bucket_up"] += 1
            elif move < 0:
                self.changes["bucket_down"] += 1
        self._store_changes()


    # -- stage: learn (refit on the client's reviews, apply when proven; see icp_engine.feedback)
    def _stage_learn(self) -> None:
        from .db import runs as runs_sql
        from .errors import RunInterrupted
        from .feedback import refit_and_apply

        run = {"id": self.run_id, "client_id": self.client_id, "batch_id": self.batch_id,
               "icp_version_id": self.icp_version_id}
        try:
            refit_and_apply(self.db, run, self.icp, self.ctx.scorer, self.ctx.embedder,
                            check_stop=self._check_stop, report=self._report)
        except RunInterrupted:
            raise
        except Exception as exc:
            log.exception("run %s: learning from reviews failed", self.run_id)
            from .feedback import restore_scope

            try:
                restore_scope(self.db, self.client_id, self.batch_id, self.icp_version_id)
            except Exception:
                log.exception("run %s: static scores could not be restored", self.run_id)
            with self.db.begin() as conn:
                runs_sql.merge_actual(conn, self.run_id, {"learning": {
                    "applied": False, "verdict": "error", "reason": f"learning failed: {type(exc).__name__}: {exc}"[:500]}})


@dataclass
class _Carried:
    """What :meth:`RunStages._carry` computed for a chunk: classified or not, score rows."""

    classified: bool = False
    scores: list[dict[str, Any]] = field(default_factory=list)


def classification_values(c: Any) -> dict[str, Any]:
    """The ``b_*`` values :func:`icp_engine.db.leads.write_classifications` stores for a
    :class:`~icp_engine.classify.Classification` (missing company type -> ``"unknown"``)."""
    return {
        "b_industry": getattr(c, "industry", None),
        "b_type": getattr(c, "company_type", None) or "unknown",
        "b_reason": getattr(c, "reasoning", None),
        "b_source": getattr(c, "source", None),
        "b_industry_guess": getattr(c, "industry_guess", None),
        "b_industry_source": getattr(c, "industry_source", None),
        "b_type_source": getattr(c, "company_type_source", None),
        "b_type_is_guess": bool(getattr(c, "company_type_is_guess", False)),
    }


_PLAIN_TYPES = frozenset({str, int, bool, type(None)})


def _jsonable(obj: Any) -> Any:
    """``obj`` with numpy numbers as Python numbers, tuples as lists, non-finite floats as None
    and dict keys as strings (the exact built-in types first: a run writes this per lead)."""
    t = type(obj)
    if t is float:
        return obj if math.isfinite(obj) else None
    if t in _PLAIN_TYPES:
        return obj
    if t is dict:
        return {(k if type(k) is str else str(k)): _jsonable(v) for k, v in obj.items()}
    if t is list or t is tuple:
        return [_jsonable(v) for v in obj]
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
    """A ``leads`` row (mapping) -> :class:`Profile` (the scorer's input).

    ``industry`` comes only from data: the enrichment source's company industry (``leads.industry``)
    or the classification's industry (``industry_class``, from company data or an LLM; never a
    guess). An offline guess travels separately in ``Profile.industry_guess`` (``leads.industry_guess``)
    and ``Profile.company_type_is_guess``: a scorer may give a guess weak credit, never a mismatch.
    """
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
        source=r["enrichment_source"] or EnrichProvider.PAGE.value,
        industry_guess=None if (r["industry"] or r.get("industry_class")) else r.get("industry_guess"),
        company_type_is_guess=bool(r.get("company_type_is_guess")),
    )


def profile_text(p: Profile) -> str:
    """Short profile text for the whole-profile vector: headline, titles, company, industry."""
    parts = [p.headline or "", "; ".join(p.titles or []), p.company or "", p.industry or ""]
    return " | ".join(x for x in parts if x)[:1000]
