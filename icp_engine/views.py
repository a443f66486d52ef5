"""The dashboard's read side: small plain structures for the pages (no Streamlit here).

:class:`Views` (``engine.views``) wraps the read queries of :mod:`icp_engine.db.reports` and
:mod:`icp_engine.db.review`, one connection per call. Filters (:class:`LeadFilters`) have the
meaning of the CSV export; scores are those of the client's newest ICP version.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .db import Database, reports
from .db import review as review_sql
from .db import runs as runs_sql
from .db.reports import PAGE_COLUMNS, LeadFilters
from .enums import Bucket
from .export import for_display

__all__ = ["CRITERIA", "PAGE_COLUMNS", "LeadFilters", "Views", "change_summary", "criteria_rows",
           "enrichment_summary", "score_rows"]


class Views:
    """Read-only queries of the pages over one :class:`~icp_engine.db.Database`."""

    def __init__(self, db: Database):
        self.db = db

    def lead_page(self, client_id: int, filters: LeadFilters | None = None, *, page: int = 0,
                  page_size: int = 50) -> dict[str, Any]:
        """One page of scored leads, best first (:func:`icp_engine.db.reports.lead_page`); each row
        as the CSV shows it (:func:`icp_engine.export.for_display`: name, industry, reasoning with
        the enrichment notes, status) with the :data:`PAGE_COLUMNS`."""
        with self.db.connect() as conn:
            out = reports.lead_page(conn, client_id, filters, page=page, page_size=page_size)
        out["rows"] = [{k: v for k, v in for_display(r).items() if k in PAGE_COLUMNS} for r in out["rows"]]
        return out

    def export_ids(self, client_id: int, filters: LeadFilters | None = None) -> list[int]:
        """Ids of the leads an export with these filters would contain, best first."""
        with self.db.connect() as conn:
            return reports.export_ids(conn, client_id, filters)

    def export_summary(self, client_id: int, filters: LeadFilters | None = None, *, top: int = 8) -> dict[str, Any]:
        """Summary of the filtered, scored leads (:func:`icp_engine.db.reports.export_summary`)."""
        with self.db.connect() as conn:
            return reports.export_summary(conn, client_id, filters, top=top)

    def buckets_by_batch(self, client_id: int, filters: LeadFilters | None = None, *, limit: int = 20
                         ) -> list[dict[str, Any]]:
        """Bucket counts per batch of the filtered leads, oldest batch first, each with its bucket
        shares (``share_strong`` ... in 0-1 of the batch's matching leads;
        :func:`icp_engine.db.reports.buckets_by_batch`)."""
        with self.db.connect() as conn:
            rows = reports.buckets_by_batch(conn, client_id, filters, limit=limit)
        for r in rows:
            for b in Bucket:
                r[f"share_{b.value}"] = r[b.value] / r["leads"] if r["leads"] else 0.0
        return rows

    def run_rows(self, client_id: int, limit: int = 20) -> list[dict[str, Any]]:
        """The client's runs, newest first, with batch name, ICP version number and the leads each
        run scored itself (:func:`icp_engine.db.runs.run_rows`)."""
        with self.db.connect() as conn:
            return runs_sql.run_rows(conn, client_id, limit)

    def version_scores(self, client_id: int) -> list[dict[str, Any]]:
        """The client's ICP versions, newest first, with how many leads each scored
        (:func:`icp_engine.db.reports.version_scores`)."""
        with self.db.connect() as conn:
            return reports.version_scores(conn, client_id)

    def results_state(self, client_id: int) -> dict[str, Any]:
        """Which ICP version's results the pages show, and whether a newer version awaits a run.

        Returns ``{"current": version row | None, "shown": version row | None, "stale": bool}``
        with rows of :meth:`version_scores`: ``current`` is the newest saved version, ``shown`` the
        newest one with scores (what Review and Export show by default), ``stale`` is True when
        the current version is newer than the shown one (saved, not run yet) - the pages then say
        "scored with v1 · v2 saved - rerun to apply" instead of looking empty.
        """
        versions = self.version_scores(client_id)
        current = versions[0] if versions else None
        shown = next((v for v in versions if v["scored"]), None)
        stale = bool(current and shown and current["id"] != shown["id"])
        return {"current": current, "shown": shown, "stale": stale}

    def sample_leads(self, client_id: int, n: int = 5, *, seed: int = 0) -> list[dict[str, Any]]:
        """``n`` (1-20) leads of the client for the ICP editor's live preview, enriched ones first."""
        with self.db.connect() as conn:
            return reports.sample_leads(conn, client_id, n, seed=seed)

    def client_overview(self, client_id: int) -> dict[str, Any]:
        """Counts for a client's header (:func:`icp_engine.db.reports.client_overview`)."""
        with self.db.connect() as conn:
            return reports.client_overview(conn, client_id)

    def batch_options(self, client_id: int, limit: int = 200) -> list[dict[str, Any]]:
        """Batches for a picker, newest first."""
        with self.db.connect() as conn:
            return reports.batch_options(conn, client_id, limit)

    def recent_labels(self, client_id: int, reviewer: str, limit: int = 10) -> list[dict[str, Any]]:
        """The reviewer's newest labels in this client (undone ones flagged)."""
        with self.db.connect() as conn:
            return review_sql.recent_labels(conn, client_id, reviewer, limit)

    def failed_count(self, client_id: int, batch_id: int | None = None) -> int:
        """Number of ``failed`` leads in a scope (what "Retry failed leads" would reset)."""
        with self.db.connect() as conn:
            return reports.failed_count(conn, client_id, batch_id)

    def unscored_count(self, client_id: int, batch_id: int | None, icp_version_id: int) -> int:
        """Leads of a scope without a score for this ICP version: what a run would score."""
        with self.db.connect() as conn:
            return reports.unscored_count(conn, client_id, batch_id, icp_version_id)


_PROVIDER_WORDS = {"page": "the page data", "apify-json": "the Apify export", "apify": "live Apify"}


def change_summary(changes: dict[str, Any] | None, provider: str | None = None) -> str | None:
    """What a run changed in leads that already had data, in one sentence, or None when it changed
    nothing of the kind (:attr:`icp_engine.pipeline.RunStages.changes`), e.g. ``"Enriched 30 leads
    again with the Apify export: 30 got a company size, 30 an industry. 18 of 30 scores changed
    (12 moved to a better bucket, average +14 points)."``."""
    c = changes or {}
    again, none = int(c.get("reenriched") or 0), int(c.get("no_better_data") or 0)
    rescored, changed = int(c.get("rescored") or 0), int(c.get("scores_changed") or 0)
    if not (again or none or rescored):
        return None
    src = _PROVIDER_WORDS.get(str(provider or ""), "better data")
    out: list[str] = []
    if again:
        filled = c.get("filled") or {}
        words = {"company_size": "a company size", "industry": "an industry", "company": "a company",
                 "titles": "current titles"}
        got = [f"{int(filled.get(f) or 0):,} got {w}" for f, w in words.items() if int(filled.get(f) or 0)]
        out.append(f"Enriched {again:,} leads again with {src}" + (": " + ", ".join(got) if got else "") + ".")
    if none:
        out.append(f"{none:,} leads had no better data in {src} and kept what they had.")
    if rescored:
        part = f"{changed:,} of {rescored:,} scores changed"
        details = []
        if int(c.get("bucket_up") or 0):
            details.append(f"{int(c['bucket_up']):,} moved to a better bucket")
        if int(c.get("bucket_down") or 0):
            details.append(f"{int(c['bucket_down']):,} to a lower one")
        if changed:
            details.append(f"average {float(c.get('score_delta_sum') or 0) / changed:+.0f} points")
        out.append(part + (f" ({', '.join(details)})" if details else "") + ".")
    return " ".join(out)


#: Score components shown to a user, in this order, with their names on screen. Anything else in
#: ``lead_scores.components`` (``stage1``, ``title_raw``, ranks, model names...) is internal.
CRITERIA: dict[str, str] = {
    "title": "Title", "seniority": "Seniority", "industry": "Industry", "size": "Company size",
    "keywords": "Keywords", "location": "Location", "company_type": "Company type", "rerank": "Reranker",
}


def criteria_rows(components: dict[str, Any] | None) -> list[dict[str, str]]:
    """A score's components as a user reads them: ``[{"criterion": "Title", "fit": "72 %",
    "evidence": '"VP of Finance" matches "VP Finance"'}]``.

    Only the ICP's criteria (:data:`CRITERIA`) are listed; a fit in 0-1 is shown as a percentage,
    None as "not known" (unknown is not a mismatch). An exclusion that applied comes first as
    ``{"criterion": "Excluded", "fit": "yes", "evidence": reason}``.
    """
    comps = dict(components or {})
    out: list[dict[str, str]] = []
    if comps.get("excluded"):
        out.append({"criterion": "Excluded", "fit": "yes", "evidence": str(comps["excluded"])})
    for key, label in CRITERIA.items():
        if key not in comps:
            continue
        v = comps[key]
        if isinstance(v, bool):
            fit = "yes" if v else "no"
        elif isinstance(v, (int, float)):
            fit = f"{max(0.0, min(1.0, float(v))) * 100:.0f} %"
        elif v is None:
            fit = "not known"
        else:
            fit = str(v)
        evidence = ""
        if key == "title" and comps.get("title_evidence") and comps.get("title_target"):
            evidence = f'"{comps["title_evidence"]}" matches "{comps["title_target"]}"'
        elif key == "rerank" and comps.get("reranker"):
            evidence = f"{comps['reranker']} reranker"
        out.append({"criterion": label, "fit": fit, "evidence": evidence})
    return out
def enrichment_summary(counts: dict[str, Any], provider: str | None = None) -> str:
    """One sentence on a run's enrichment from its progress ``counts``
    (:func:`icp_engine.db.runs.progress_counts`) and its provider (``RunOptions.enrich``), for the
    CLI and the Run page, e.g. ``"300 of 300 leads scored: 294 enriched from live Apify, 6 scored on the
    upload's data only (enrichment had nothing for them; the CSV says why)"``.
    Parts with a zero count are left out. With the ``page`` provider every lead is scored on the
    upload's data by choice, which is said once."""
    total, scored = int(counts.get("total") or 0), int(counts.get("scored") or 0)
    not_enriched = int(counts.get("not_enriched") or 0)
    no_url = int(counts.get("no_url") or 0)
    discovered = int(counts.get("discovered") or 0)
    enriched = max(0, total - discovered - not_enriched)
    provider = str(provider) if provider else None
    if provider == "page":
        parts = [f"{total - discovered:,} on the upload's data (no enrichment provider)"]
        not_enriched = 0
    else:
        parts = [f"{enriched:,} enriched" + (f" from {_PROVIDER_WORDS.get(provider, provider)}" if provider else "")]
    if not_enriched:
        parts.append(f"{not_enriched:,} scored on the upload's data only (enrichment had nothing for them; "
                     "the CSV says why)")
    if no_url:
        parts.append(f"{no_url:,} without a profile URL")
    if discovered:
        parts.append(f"{discovered:,} not enriched yet")
    return f"{scored:,} of {total:,} leads scored: " + ", ".join(parts)


def score_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows for display: score rounded to one decimal, titles joined with ``; ``."""
    out = []
    for r in rows:
        d = dict(r)
        if d.get("icp_score") is not None:
            d["icp_score"] = round(float(d["icp_score"]), 1)
        if isinstance(d.get("titles"), list):
            d["titles"] = "; ".join(d["titles"])
        out.append(d)
    return out
