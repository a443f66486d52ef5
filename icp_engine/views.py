"""Read-side helpers for the dashboard pages (no Streamlit here); the SQL is :mod:`icp_engine.db.reports`.

Every function takes an :class:`icp_engine.engine.Engine` and returns small plain Python
structures. Filters (:class:`LeadFilters`) have the meaning of the CSV export.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from .db import reports
from .db import review as review_sql
from .db.reports import PAGE_COLUMNS, LeadFilters

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine

BUCKETS: tuple[str, ...] = ("strong", "good", "possible", "poor")

__all__ = ["BUCKETS", "PAGE_COLUMNS", "LeadFilters"]


def lead_page(engine: "Engine", client_id: int, filters: LeadFilters | None = None, *, page: int = 0,
              page_size: int = 50) -> dict[str, Any]:
    """One page of scored leads, best first (:func:`icp_engine.db.reports.lead_page`)."""
    with engine.db.connect() as conn:
        return reports.lead_page(conn, client_id, filters, page=page, page_size=page_size)


def export_ids(engine: "Engine", client_id: int, filters: LeadFilters | None = None) -> list[int]:
    """Ids of the leads an export with these filters would contain, best first."""
    with engine.db.connect() as conn:
        return reports.export_ids(conn, client_id, filters)


def export_summary(engine: "Engine", client_id: int, filters: LeadFilters | None = None, *, top: int = 8
                   ) -> dict[str, Any]:
    """Summary of the filtered, scored leads (:func:`icp_engine.db.reports.export_summary`)."""
    with engine.db.connect() as conn:
        return reports.export_summary(conn, client_id, filters, top=top)


def buckets_by_batch(engine: "Engine", client_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
    """Bucket counts per batch, oldest batch first (:func:`icp_engine.db.reports.buckets_by_batch`)."""
    with engine.db.connect() as conn:
        return reports.buckets_by_batch(conn, client_id, limit=limit)


def sample_leads(engine: "Engine", client_id: int, n: int = 5, *, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` (1-20) leads of the client for the ICP editor's live preview."""
    with engine.db.connect() as conn:
        return reports.sample_leads(conn, client_id, n, seed=seed)


def client_overview(engine: "Engine", client_id: int) -> dict[str, Any]:
    """Counts for a client's header (:func:`icp_engine.db.reports.client_overview`)."""
    with engine.db.connect() as conn:
        return reports.client_overview(conn, client_id)


def batch_options(engine: "Engine", client_id: int, limit: int = 200) -> list[dict[str, Any]]:
    """Batches for a picker, newest first."""
    with engine.db.connect() as conn:
        return reports.batch_options(conn, client_id, limit)


def recent_labels(engine: "Engine", client_id: int, reviewer: str, limit: int = 10) -> list[dict[str, Any]]:
    """The reviewer's newest labels in this client (undone ones flagged)."""
    with engine.db.connect() as conn:
        return review_sql.recent_labels(conn, client_id, reviewer, limit)


def failed_count(engine: "Engine", client_id: int, batch_id: int | None = None) -> int:
    """Number of ``failed`` leads in a scope (what "Retry failed leads" would reset)."""
    with engine.db.connect() as conn:
        return reports.failed_count(conn, client_id, batch_id)


def unscored_count(engine: "Engine", client_id: int, batch_id: int | None, icp_version_id: int) -> int:
    """Leads of a scope (not ``failed``) without a score for this ICP version: what a run would score."""
    with engine.db.connect() as conn:
        return reports.unscored_count(conn, client_id, batch_id, icp_version_id)


def icp_diff(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Human-readable changes between two ICP JSON dicts, e.g. ``["+ titles: CFO", "notes changed"]``.

    List fields report added (``+``) and removed (``-``) items; text fields report "changed".
    The first version reports every non-empty field as added.
    """
    old = old or {}
    out: list[str] = []
    labels = {
        "target_titles": "titles", "target_industries": "industries", "company_sizes": "sizes",
        "keywords": "keywords", "locations": "locations", "exclusions": "exclusions",
        "company_types": "company types",
    }
    for key, label in labels.items():
        a, b = list(old.get(key) or []), list(new.get(key) or [])
        added = [x for x in b if x not in a]
        removed = [x for x in a if x not in b]
        if added:
            out.append(f"+ {label}: {', '.join(added)}")
        if removed:
            out.append(f"- {label}: {', '.join(removed)}")
    for key in ("name", "notes"):
        if (old.get(key) or "") != (new.get(key) or ""):
            out.append(f"{key} changed" if old else f"{key} set")
    return out


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
