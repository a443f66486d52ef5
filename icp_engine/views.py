"""Read-side SQL helpers for the dashboard pages (no Streamlit here).

Every function takes an :class:`icp_engine.engine.Engine` and returns small plain Python
structures. Paging, counting and aggregating happen in Postgres (``LIMIT``/``OFFSET``,
``count(*)``, ``GROUP BY``), so a page never loads a whole table: with 100k leads in a batch each
helper stays well under a second (see ``benchmarks/bench_pages.py``).

Filters shared by the lead tables and summaries (same meaning as
:meth:`icp_engine.engine.Engine.export_query`): ``batch_id`` (None = every lead of the client),
``min_score`` (0-100), ``buckets`` (subset of ``strong``/``good``/``possible``/``poor``),
``only_kept`` (only leads whose current review label is ``keep``). Scores are those of the
client's newest ICP version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import sqlalchemy as sa

from .repository import as_dicts, scope_condition

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine

BUCKETS: tuple[str, ...] = ("strong", "good", "possible", "poor")

#: Columns of :func:`lead_page` rows shown in the dashboard's lead table.
PAGE_COLUMNS: tuple[str, ...] = (
    "id", "name", "headline", "titles", "company", "industry", "company_size", "location",
    "icp_score", "bucket", "review_label", "status", "batch_name", "profile_url", "match_reasoning",
)


@dataclass(frozen=True)
class LeadFilters:
    """Filters of the Export page's table, summary and CSV.

    ``min_score``: 0-100 or None; ``buckets``: bucket names (empty = all); ``only_kept``: only
    leads whose newest review label is ``keep``; ``batch_id``: one upload or None for all.
    """

    batch_id: int | None = None
    min_score: float | None = None
    buckets: tuple[str, ...] = ()
    only_kept: bool = False

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :meth:`Engine.export_query` / :meth:`Engine.export_csv`."""
        return {
            "batch_id": self.batch_id,
            "min_score": self.min_score,
            "buckets": list(self.buckets) or None,
            "only_kept": self.only_kept,
        }


def _filters(f: LeadFilters | None) -> LeadFilters:
    return f or LeadFilters()


def filtered_query(engine: "Engine", client_id: int, filters: LeadFilters | None = None) -> sa.Select:
    """Scored leads of a scope with the filters applied, best first (``icp_score`` desc, id).

    Same rows and order as :meth:`Engine.export_query` (the CSV), but the current review label
    comes from one ``DISTINCT ON (lead_id)`` pass over the client's labels joined in, instead of
    a correlated subquery per lead, so counts and aggregates over 100k leads stay fast. Columns:
    the ``leads`` columns, ``icp_score``, ``bucket``, ``match_reasoning``, ``components``,
    ``review_label`` (newest non-undone keep/trash of any reviewer, or None).
    """
    f = _filters(filters)
    t = engine.t
    L, S, F = t.leads.c, t.lead_scores.c, t.lead_feedback.c
    ver = engine._current_version_id(client_id)  # noqa: SLF001 - read-only helper of the facade
    labels = (
        sa.select(F.lead_id, F.label)
        .where(F.client_id == client_id, F.undone_at.is_(None), F.label != "skip")
        .distinct(F.lead_id)
        .order_by(F.lead_id, F.created_at.desc(), F.id.desc())
        .subquery("labels")
    )
    q = (
        sa.select(
            t.leads, S.icp_score, S.bucket, S.match_reasoning, S.components, labels.c.label.label("review_label"),
        )
        .select_from(
            t.leads.join(t.lead_scores, sa.and_(S.lead_id == L.id, S.icp_version_id == ver)).outerjoin(
                labels, labels.c.lead_id == L.id
            )
        )
        .where(scope_condition(t, client_id, f.batch_id))
        .order_by(S.icp_score.desc(), L.id)
    )
    if f.min_score is not None:
        q = q.where(S.icp_score >= float(f.min_score))
    if f.buckets:
        q = q.where(S.bucket.in_(list(f.buckets)))
    if f.only_kept:
        q = q.where(labels.c.label == "keep")
    return q


def lead_page(
    engine: "Engine",
    client_id: int,
    filters: LeadFilters | None = None,
    *,
    page: int = 0,
    page_size: int = 50,
) -> dict[str, Any]:
    """One page of scored leads, best first.

    Returns ``{"rows": [dict with PAGE_COLUMNS], "total": n, "page": p, "pages": n_pages,
    "page_size": k}``. ``page`` is 0-based and clamped to the last page; ``page_size`` is
    clamped to 1-500. ``total`` is computed with ``count(*)`` in SQL; rows with
    ``LIMIT``/``OFFSET``.
    """
    page_size = max(1, min(int(page_size), 500))
    q = filtered_query(engine, client_id, filters)
    total = count_rows(engine, q)
    pages = max(1, -(-total // page_size))
    page = max(0, min(int(page), pages - 1))
    sub = q.limit(page_size).offset(page * page_size).subquery()
    B = engine.t.batches.c
    cols = [sub.c[c] if c != "batch_name" else B.name.label("batch_name") for c in PAGE_COLUMNS]
    with engine.db.connect() as conn:
        rows = as_dicts(
            conn.execute(
                sa.select(*cols)
                .select_from(sub.join(engine.t.batches, B.id == sub.c.batch_id))
                .order_by(sub.c.icp_score.desc(), sub.c.id)
            ).mappings().all()
        )
    return {"rows": rows, "total": total, "page": page, "pages": pages, "page_size": page_size}


def count_rows(engine: "Engine", query: sa.Select) -> int:
    """``count(*)`` of a select (its ORDER BY dropped)."""
    sub = query.order_by(None).subquery()
    with engine.db.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(sub)).scalar_one())


def export_ids(engine: "Engine", client_id: int, filters: LeadFilters | None = None) -> list[int]:
    """Ids of the leads an export with these filters would contain, best first."""
    sub = filtered_query(engine, client_id, filters).subquery()
    with engine.db.connect() as conn:
        return [int(i) for i in conn.execute(sa.select(sub.c.id).order_by(sub.c.icp_score.desc(), sub.c.id)).scalars()]


def export_summary(
    engine: "Engine", client_id: int, filters: LeadFilters | None = None, *, top: int = 8
) -> dict[str, Any]:
    """Summary of the filtered, scored leads.

    Returns ``{"leads": n, "strong": n, "avg_score": float | None, "kept": n,
    "top_titles": [(title, n)], "top_companies": [(company, n)]}``. Titles are the enriched
    current titles (``unnest(titles)``), companies the current company; ``top`` limits both
    lists (1-50). Three aggregate queries, nothing loaded row by row.
    """
    top = max(1, min(int(top), 50))
    q = filtered_query(engine, client_id, filters).order_by(None)
    sub = q.subquery()
    # one statement: the filtered join is computed once (a CTE used three times is materialised)
    base = sa.select(sub.c.titles, sub.c.company, sub.c.icp_score, sub.c.bucket, sub.c.review_label).cte("base")
    agg = sa.select(
        sa.func.json_build_object(
            "leads", sa.func.count(),
            "strong", sa.func.count().filter(base.c.bucket == "strong"),
            "avg_score", sa.func.avg(base.c.icp_score),
            "kept", sa.func.count().filter(base.c.review_label == "keep"),
        )
    ).select_from(base)
    unnested = sa.select(sa.func.unnest(base.c.titles).label("v")).subquery()
    t_top = (
        sa.select(unnested.c.v, sa.func.count().label("n"))
        .where(sa.func.length(sa.func.trim(unnested.c.v)) > 0)
        .group_by(unnested.c.v)
        .order_by(sa.desc("n"), unnested.c.v)
        .limit(top)
        .subquery()
    )
    c_top = (
        sa.select(base.c.company.label("v"), sa.func.count().label("n"))
        .where(base.c.company.is_not(None), sa.func.length(sa.func.trim(base.c.company)) > 0)
        .group_by(base.c.company)
        .order_by(sa.desc("n"), base.c.company)
        .limit(top)
        .subquery()
    )

    def as_json(x: sa.Subquery) -> sa.ScalarSelect:
        pairs = sa.func.json_agg(sa.func.json_build_array(x.c.v, x.c.n))
        return sa.select(sa.func.coalesce(pairs, sa.text("'[]'::json"))).select_from(x).scalar_subquery()

    with engine.db.connect() as conn:
        a, titles, companies = conn.execute(
            sa.select(agg.scalar_subquery(), as_json(t_top), as_json(c_top))
        ).one()
    titles = sorted(titles, key=lambda p: (-p[1], p[0]))
    companies = sorted(companies, key=lambda p: (-p[1], p[0]))
    return {
        "leads": int(a["leads"]),
        "strong": int(a["strong"]),
        "avg_score": float(a["avg_score"]) if a["avg_score"] is not None else None,
        "kept": int(a["kept"]),
        "top_titles": [(str(t), int(n)) for t, n in titles],
        "top_companies": [(str(c), int(n)) for c, n in companies],
    }


def buckets_by_batch(engine: "Engine", client_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
    """Bucket counts per batch (the score mix over time), oldest batch first.

    Returns ``[{"batch_id", "batch_name", "created_at", "strong", "good", "possible", "poor"}]``
    for the newest ``limit`` batches of the client, scored with its current ICP version. A lead
    counts in every batch it was uploaded in (``batch_members``).
    """
    t = engine.t
    ver = engine._current_version_id(client_id)  # noqa: SLF001 - read-only helper of the facade
    B, M, S = t.batches.c, t.batch_members.c, t.lead_scores.c
    recent = (
        sa.select(B.id, B.name, B.created_at)
        .where(B.client_id == client_id)
        .order_by(B.created_at.desc(), B.id.desc())
        .limit(max(1, int(limit)))
        .subquery()
    )
    q = (
        sa.select(recent.c.id, recent.c.name, recent.c.created_at, S.bucket, sa.func.count().label("n"))
        .select_from(recent.join(t.batch_members, M.batch_id == recent.c.id))
        .join(t.lead_scores, sa.and_(S.lead_id == M.lead_id, S.icp_version_id == ver))
        .group_by(recent.c.id, recent.c.name, recent.c.created_at, S.bucket)
    )
    out: dict[int, dict[str, Any]] = {}
    with engine.db.connect() as conn:
        for bid, name, created, bucket, n in conn.execute(q).all():
            row = out.setdefault(
                int(bid), {"batch_id": int(bid), "batch_name": name, "created_at": created, **{b: 0 for b in BUCKETS}}
            )
            row[bucket] = int(n)
    return sorted(out.values(), key=lambda r: (r["created_at"], r["batch_id"]))


def sample_leads(engine: "Engine", client_id: int, n: int = 5, *, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` (1-20) leads of the client for the ICP editor's live preview.

    A stable pseudo-random pick (``md5(seed:id)`` order) that prefers enriched leads (they carry
    titles, company, industry) over leads known only from the page. Rows are full ``leads``
    rows, ready for :func:`icp_engine.pipeline.profile_from_row`.
    """
    n = max(1, min(int(n), 20))
    L = engine.t.leads.c
    order = sa.func.md5(sa.literal(f"{int(seed)}:") + sa.cast(L.id, sa.Text))
    q = (
        sa.select(engine.t.leads)
        .where(L.client_id == client_id)
        .order_by(sa.case((L.status == "discovered", 1), else_=0), order)
        .limit(n)
    )
    with engine.db.connect() as conn:
        return as_dicts(conn.execute(q).mappings().all())


def client_overview(engine: "Engine", client_id: int) -> dict[str, Any]:
    """Counts for a client's header: ``{"leads", "by_status": {status: n}, "batches", "scored",
    "labels": {label: n}, "runs_active"}`` (scored = with a score of the current ICP version)."""
    t = engine.t
    L, S, F, R = t.leads.c, t.lead_scores.c, t.lead_feedback.c, t.runs.c
    ver = engine._current_version_id(client_id)  # noqa: SLF001
    with engine.db.connect() as conn:
        by_status = {
            s: int(n)
            for s, n in conn.execute(
                sa.select(L.status, sa.func.count()).where(L.client_id == client_id).group_by(L.status)
            ).all()
        }
        batches = conn.execute(
            sa.select(sa.func.count()).select_from(t.batches).where(t.batches.c.client_id == client_id)
        ).scalar_one()
        scored = 0
        if ver is not None:
            scored = conn.execute(
                sa.select(sa.func.count()).select_from(t.lead_scores).where(S.icp_version_id == ver)
            ).scalar_one()
        labels = {
            lab: int(n)
            for lab, n in conn.execute(
                sa.select(F.label, sa.func.count())
                .where(F.client_id == client_id, F.undone_at.is_(None))
                .group_by(F.label)
            ).all()
        }
        active = conn.execute(
            sa.select(sa.func.count())
            .select_from(t.runs)
            .where(R.client_id == client_id, R.status.in_(("queued", "running", "paused")))
        ).scalar_one()
    return {
        "leads": sum(by_status.values()),
        "by_status": by_status,
        "batches": int(batches),
        "scored": int(scored),
        "labels": labels,
        "runs_active": int(active),
    }


def batch_options(engine: "Engine", client_id: int, limit: int = 200) -> list[dict[str, Any]]:
    """Batches for a picker, newest first: ``[{"id", "name", "people_in_file", "new_leads",
    "known_leads", "created_at", "source_kind"}]`` (at most ``limit``)."""
    B = engine.t.batches.c
    with engine.db.connect() as conn:
        rows = conn.execute(
            sa.select(B.id, B.name, B.people_in_file, B.new_leads, B.known_leads, B.created_at, B.source_kind)
            .where(B.client_id == client_id)
            .order_by(B.created_at.desc(), B.id.desc())
            .limit(max(1, int(limit)))
        ).mappings().all()
    return as_dicts(rows)


def recent_labels(engine: "Engine", client_id: int, reviewer: str, limit: int = 10) -> list[dict[str, Any]]:
    """The reviewer's newest labels in this client (undone ones flagged): ``[{"lead_id", "name",
    "label", "created_at", "undone"}]``."""
    F, L = engine.t.lead_feedback.c, engine.t.leads.c
    with engine.db.connect() as conn:
        rows = conn.execute(
            sa.select(F.lead_id, L.name, F.label, F.created_at, F.undone_at.is_not(None).label("undone"))
            .select_from(engine.t.lead_feedback.join(engine.t.leads, L.id == F.lead_id))
            .where(F.client_id == client_id, F.reviewer == reviewer)
            .order_by(F.created_at.desc(), F.id.desc())
            .limit(max(1, int(limit)))
        ).mappings().all()
    return as_dicts(rows)


def failed_count(engine: "Engine", client_id: int, batch_id: int | None = None) -> int:
    """Number of ``failed`` leads in a scope (what "Retry failed leads" would reset)."""
    L = engine.t.leads.c
    with engine.db.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count()).where(
                    scope_condition(engine.t, client_id, batch_id), L.status == "failed"
                )
            ).scalar_one()
        )


def unscored_count(engine: "Engine", client_id: int, batch_id: int | None, icp_version_id: int) -> int:
    """Leads of a scope (not ``failed``) without a score for this ICP version: what a run would score."""
    L, S = engine.t.leads.c, engine.t.lead_scores.c
    scored = sa.select(S.lead_id).where(S.lead_id == L.id, S.icp_version_id == icp_version_id).exists()
    with engine.db.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count()).where(
                    scope_condition(engine.t, client_id, batch_id), L.status != "failed", ~scored
                )
            ).scalar_one()
        )


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
