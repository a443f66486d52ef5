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
from .db.reports import PAGE_COLUMNS, LeadFilters
from .export import for_display

__all__ = ["PAGE_COLUMNS", "LeadFilters", "Views", "enrichment_summary", "score_rows"]


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

    def buckets_by_batch(self, client_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
        """Bucket counts per batch, oldest batch first (:func:`icp_engine.db.reports.buckets_by_batch`)."""
        with self.db.connect() as conn:
            return reports.buckets_by_batch(conn, client_id, limit=limit)

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


def enrichment_summary(counts: dict[str, Any], provider: str | None = None) -> str:
    """One sentence on a run's enrichment from its progress ``counts``
    (:func:`icp_engine.db.runs.progress_counts`) and its provider (``RunOptions.enrich``), for the
    CLI and the Run page, e.g. ``"300 of 300 leads scored: 294 enriched by apify, 6 scored on the
    upload's data only (enrichment had nothing for them; the reason is in their match_reasoning)"``.
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
        parts = [f"{enriched:,} enriched" + (f" by {provider}" if provider else "")]
    if not_enriched:
        parts.append(f"{not_enriched:,} scored on the upload's data only (enrichment had nothing for them; "
                     "the reason is in their match_reasoning)")
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
