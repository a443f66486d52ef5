"""Read-side SQL of the dashboard and the export: lead tables, CSV rows, summaries, histograms.

Paging, counting and aggregating happen in Postgres (``LIMIT``/``OFFSET``, ``count(*)``,
``GROUP BY``), so a page never loads a whole table: with 100k leads each query stays well under
a second (``benchmarks/bench_pages.py``). Scores are those of the client's newest ICP version
unless a version is given. Every function takes an open ``Connection``.

Filters (:class:`LeadFilters`, same meaning for the lead table, the summary, the counts, the
charts and the CSV): ``batch_id`` (None = every lead of the client), ``min_score`` (0-100),
``buckets`` (subset of :class:`~icp_engine.enums.Bucket`), ``only_kept`` (only leads whose newest
review label is keep), ``icp_version_id`` (whose scores; None = the newest version with scores,
:func:`~icp_engine.db.clients.results_version_id`, so saving a new ICP version does not hide the
results of the previous one until it is scored).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..enums import Bucket, FeedbackLabel, LeadStatus, RunStatus, values
from ._util import Row, as_dicts
from .clients import current_version_id, results_version_id
from .leads import scope_condition
from .schema import batch_members, batches, client_icps, lead_feedback, lead_scores, leads, runs

L, S, F, B, M, R = leads.c, lead_scores.c, lead_feedback.c, batches.c, batch_members.c, runs.c

#: Columns of :func:`lead_page` rows shown in the dashboard's lead table.
PAGE_COLUMNS: tuple[str, ...] = (
    "id", "name", "headline", "titles", "company", "industry", "company_size", "location",
    "icp_score", "bucket", "review_label", "status", "batch_name", "profile_url", "match_reasoning",
)


#: Further columns of :func:`lead_page` rows that :func:`icp_engine.export.for_display` reads to
#: show a lead as the CSV does (name fallback, guessed industry, enrichment notes).
DISPLAY_COLUMNS: tuple[str, ...] = (
    "vanity", "profile_id", "profile_key", "industry_class", "industry_guess", "enrichment_note",
)


@dataclass(frozen=True)
class LeadFilters:
    """Filters of the Export page's table, summary and CSV.

    ``min_score``: 0-100 or None; ``buckets``: bucket names (empty = all); ``only_kept``: only
    leads whose newest review label is ``keep``; ``batch_id``: one upload or None for all;
    ``icp_version_id``: the ICP version whose scores are shown (None: the newest one with scores).
    """

    batch_id: int | None = None
    min_score: float | None = None
    buckets: tuple[str, ...] = ()
    only_kept: bool = False
    icp_version_id: int | None = None

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :func:`export_rows` / ``Engine.export_csv``."""
        return {"batch_id": self.batch_id, "min_score": self.min_score, "buckets": list(self.buckets) or None,
                "only_kept": self.only_kept, "icp_version_id": self.icp_version_id}


# ---------------------------------------------------------------- the CSV


def export_query(
    client_id: int,
    icp_version_id: int | None,
    *,
    batch_id: int | None = None,
    min_score: float | None = None,
    buckets: Sequence[str] | None = None,
    only_kept: bool = False,
) -> sa.Select:
    """The SQL behind exports: scored leads of a scope (the CSV's columns), best first."""
    label = (
        sa.select(F.label)
        .where(F.lead_id == L.id, F.undone_at.is_(None), F.label != FeedbackLabel.SKIP)
        .order_by(F.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    q = (
        sa.select(
            L.id, L.name, L.vanity, L.profile_id, L.profile_key, L.profile_url, L.headline, L.titles, L.company,
            L.industry, L.industry_class, L.industry_guess, L.company_size, L.company_type, L.location, L.status,
            L.enrichment_source, L.enrichment_note,
            S.icp_score, S.bucket, S.match_reasoning, B.name.label("batch_name"), label.label("review_label"),
        )
        .join(lead_scores, sa.and_(S.lead_id == L.id, S.icp_version_id == icp_version_id))
        .join(batches, B.id == L.batch_id)
        .where(scope_condition(client_id, batch_id))
        .order_by(S.icp_score.desc(), L.id)
    )
    if min_score is not None:
        q = q.where(S.icp_score >= float(min_score))
    if buckets:
        q = q.where(S.bucket.in_(list(buckets)))
    if only_kept:
        q = q.where(label == FeedbackLabel.KEEP)
    return q


def export_rows(conn: Connection, client_id: int, *, icp_version_id: int | None = None, **filters: Any) -> list[Row]:
    """Scored leads for export (filters of :func:`export_query`), best first; scores of
    ``icp_version_id`` (default: the newest version with scores)."""
    ver = icp_version_id or results_version_id(conn, client_id)
    return as_dicts(conn.execute(export_query(client_id, ver, **filters)).mappings())


def export_row_chunks(conn: Connection, client_id: int, *, icp_version_id: int | None = None,
                      chunk_rows: int = 5000, **filters: Any) -> Iterator[list[Row]]:
    """:func:`export_rows` in order, ``chunk_rows`` rows at a time, read through a server-side
    cursor: a 100,000-lead export never holds all its rows in Python."""
    ver = icp_version_id or results_version_id(conn, client_id)
    result = conn.execution_options(stream_results=True, yield_per=chunk_rows).execute(
        export_query(client_id, ver, **filters))
    for part in result.mappings().partitions(chunk_rows):
        yield as_dicts(part)


# ---------------------------------------------------------------- the lead table


def filtered_query(conn: Connection, client_id: int, filters: LeadFilters | None = None) -> sa.Select:
    """Scored leads of a scope with the filters applied, best first (``icp_score`` desc, id).

    Same rows and order as :func:`export_query` (the CSV), but the current review label comes
    from one ``DISTINCT ON (lead_id)`` pass over the client's labels joined in, instead of a
    correlated subquery per lead, so counts and aggregates over 100k leads stay fast. Columns:
    the ``leads`` columns, ``icp_score``, ``bucket``, ``match_reasoning``, ``components``,
    ``review_label`` (newest non-undone keep/trash of any reviewer, or None).
    """
    f = filters or LeadFilters()
    ver = f.icp_version_id or results_version_id(conn, client_id)
    labels = (
        sa.select(F.lead_id, F.label)
        .where(F.client_id == client_id, F.undone_at.is_(None), F.label != FeedbackLabel.SKIP)
        .distinct(F.lead_id)
        .order_by(F.lead_id, F.created_at.desc(), F.id.desc())
        .subquery("labels")
    )
    q = (
        sa.select(leads, S.icp_score, S.bucket, S.match_reasoning, S.components, labels.c.label.label("review_label"))
        .select_from(
            leads.join(lead_scores, sa.and_(S.lead_id == L.id, S.icp_version_id == ver))
            .outerjoin(labels, labels.c.lead_id == L.id)
        )
        .where(scope_condition(client_id, f.batch_id))
        .order_by(S.icp_score.desc(), L.id)
    )
    if f.min_score is not None:
        q = q.where(S.icp_score >= float(f.min_score))
    if f.buckets:
        q = q.where(S.bucket.in_(list(f.buckets)))
    if f.only_kept:
        q = q.where(labels.c.label == FeedbackLabel.KEEP)
    return q


def count_rows(conn: Connection, query: sa.Select) -> int:
    """``count(*)`` of a select (its ORDER BY dropped)."""
    sub = query.order_by(None).subquery()
    return int(conn.execute(sa.select(sa.func.count()).select_from(sub)).scalar_one())


def lead_page(
    conn: Connection, client_id: int, filters: LeadFilters | None = None, *, page: int = 0, page_size: int = 50
) -> dict[str, Any]:
    """One page of scored leads, best first.

    Returns ``{"rows": [dict with PAGE_COLUMNS + DISPLAY_COLUMNS], "total": n, "page": p, "pages": n_pages,
    "page_size": k}``. ``page`` is 0-based and clamped to the last page; ``page_size`` is
    clamped to 1-500. ``total`` is computed with ``count(*)`` in SQL; rows with ``LIMIT``/``OFFSET``.
    """
    page_size = max(1, min(int(page_size), 500))
    q = filtered_query(conn, client_id, filters)
    total = count_rows(conn, q)
    pages = max(1, -(-total // page_size))
    page = max(0, min(int(page), pages - 1))
    sub = q.limit(page_size).offset(page * page_size).subquery()
    cols = [sub.c[c] if c != "batch_name" else B.name.label("batch_name") for c in PAGE_COLUMNS + DISPLAY_COLUMNS]
    rows = conn.execute(
        sa.select(*cols).select_from(sub.join(batches, B.id == sub.c.batch_id))
        .order_by(sub.c.icp_score.desc(), sub.c.id)
    ).mappings()
    return {"rows": as_dicts(rows), "total": total, "page": page, "pages": pages, "page_size": page_size}


def export_ids(conn: Connection, client_id: int, filters: LeadFilters | None = None) -> list[int]:
    """Ids of the leads an export with these filters would contain, best first."""
    sub = filtered_query(conn, client_id, filters).subquery()
    return [int(i) for i in conn.execute(sa.select(sub.c.id).order_by(sub.c.icp_score.desc(), sub.c.id)).scalars()]


def export_summary(conn: Connection, client_id: int, filters: LeadFilters | None = None, *, top: int = 8
                   ) -> dict[str, Any]:
    """Summary of the filtered, scored leads.

    Returns ``{"leads": n, "strong": n, "avg_score": float | None, "kept": n,
    "top_titles": [(title, n)], "top_companies": [(company, n)]}``. Titles are the enriched
    current titles (``unnest(titles)``), companies the current company; ``top`` limits both
    lists (1-50). One statement, nothing loaded row by row.
    """
    top = max(1, min(int(top), 50))
    sub = filtered_query(conn, client_id, filters).order_by(None).subquery()
    # one statement: the filtered join is computed once (a CTE used three times is materialised)
    base = sa.select(sub.c.titles, sub.c.company, sub.c.icp_score, sub.c.bucket, sub.c.review_label).cte("base")
    agg = sa.select(
        sa.func.json_build_object(
            "leads", sa.func.count(),
            "strong", sa.func.count().filter(base.c.bucket == Bucket.STRONG),
            "avg_score", sa.func.avg(base.c.icp_score),
            "kept", sa.func.count().filter(base.c.review_label == FeedbackLabel.KEEP),
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

    a, titles, companies = conn.execute(sa.select(agg.scalar_subquery(), as_json(t_top), as_json(c_top))).one()
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


# ---------------------------------------------------------------- charts and counts


def score_histogram(conn: Connection, client_id: int, filters: LeadFilters | None = None, *, bin_width: int = 5
                    ) -> list[dict[str, int]]:
    """Score distribution of the filtered leads (:func:`filtered_query`): ``[{"bin_start": 0,
    "count": n}, ...]``, bins of ``bin_width`` points; 100 falls in the last bin."""
    sub = filtered_query(conn, client_id, filters).order_by(None).subquery()
    bin_expr = sa.func.least(sa.func.floor(sub.c.icp_score / bin_width) * bin_width, 100 - bin_width)
    rows = conn.execute(
        sa.select(bin_expr.label("bin_start"), sa.func.count().label("count"))
        .select_from(sub)
        .group_by(bin_expr)
        .order_by(bin_expr)
    ).mappings().all()
    return [{"bin_start": int(r["bin_start"]), "count": int(r["count"])} for r in rows]


def bucket_counts(conn: Connection, client_id: int, filters: LeadFilters | None = None) -> dict[str, int]:
    """``{"strong": n, "good": n, "possible": n, "poor": n}`` of the filtered leads (:func:`filtered_query`)."""
    sub = filtered_query(conn, client_id, filters).order_by(None).subquery()
    rows = conn.execute(sa.select(sub.c.bucket, sa.func.count()).select_from(sub).group_by(sub.c.bucket)).all()
    out = dict.fromkeys(values(Bucket), 0)
    out.update({str(k): int(v) for k, v in rows})
    return out


def buckets_by_batch(conn: Connection, client_id: int, filters: LeadFilters | None = None, *, limit: int = 20
                     ) -> list[dict[str, Any]]:
    """Bucket counts per batch of the filtered leads (the score mix over time), oldest batch first.

    Returns ``[{"batch_id", "batch_name", "created_at", "leads", "strong", "good", "possible",
    "poor"}]`` for the newest ``limit`` batches of the client (only ``filters.batch_id`` when it is
    set), with the other filters and the ICP version of :func:`filtered_query`; batches without a
    matching lead are left out. A lead counts in every batch it was uploaded in (``batch_members``).
    """
    f = filters or LeadFilters()
    sub = filtered_query(conn, client_id, replace(f, batch_id=None)).order_by(None).subquery()
    recent = sa.select(B.id, B.name, B.created_at).where(B.client_id == client_id)
    if f.batch_id is not None:
        recent = recent.where(B.id == f.batch_id)
    recent_sq = recent.order_by(B.created_at.desc(), B.id.desc()).limit(max(1, int(limit))).subquery()
    q = (
        sa.select(recent_sq.c.id, recent_sq.c.name, recent_sq.c.created_at, sub.c.bucket, sa.func.count().label("n"))
        .select_from(recent_sq.join(batch_members, M.batch_id == recent_sq.c.id).join(sub, sub.c.id == M.lead_id))
        .group_by(recent_sq.c.id, recent_sq.c.name, recent_sq.c.created_at, sub.c.bucket)
    )
    out: dict[int, dict[str, Any]] = {}
    for bid, name, created, bucket, n in conn.execute(q).all():
        row = out.setdefault(int(bid), {"batch_id": int(bid), "batch_name": name, "created_at": created, "leads": 0,
                                        **dict.fromkeys(values(Bucket), 0)})
        row[bucket] = int(n)
        row["leads"] += int(n)
    return sorted(out.values(), key=lambda r: (r["created_at"], r["batch_id"]))


def sample_leads(conn: Connection, client_id: int, n: int = 5, *, seed: int = 0) -> list[Row]:
    """``n`` (1-20) full lead rows of the client for the ICP editor's live preview.

    A stable pseudo-random pick (``md5(seed:id)`` order) that prefers enriched leads (they carry
    titles, company, industry) over leads known only from the page.
    """
    n = max(1, min(int(n), 20))
    order = sa.func.md5(sa.literal(f"{int(seed)}:") + sa.cast(L.id, sa.Text))
    q = (
        sa.select(leads)
        .where(L.client_id == client_id)
        .order_by(sa.case((L.status == LeadStatus.DISCOVERED, 1), else_=0), order)
        .limit(n)
    )
    return as_dicts(conn.execute(q).mappings())


def client_overview(conn: Connection, client_id: int) -> dict[str, Any]:
    """Counts for a client's header: ``{"leads", "by_status": {status: n}, "batches", "scored",
    "labels": {label: n}, "runs_active"}`` (scored = with a score of the current ICP version;
    active runs = queued, running or paused)."""
    ver = current_version_id(conn, client_id)
    by_status = {str(s): int(n) for s, n in conn.execute(
        sa.select(L.status, sa.func.count()).where(L.client_id == client_id).group_by(L.status)).all()}
    n_batches = conn.execute(sa.select(sa.func.count()).select_from(batches).where(B.client_id == client_id)
                             ).scalar_one()
    scored = 0
    if ver is not None:
        scored = conn.execute(sa.select(sa.func.count()).select_from(lead_scores).where(S.icp_version_id == ver)
                              ).scalar_one()
    labels = {str(lab): int(n) for lab, n in conn.execute(
        sa.select(F.label, sa.func.count()).where(F.client_id == client_id, F.undone_at.is_(None)).group_by(F.label)
    ).all()}
    active = conn.execute(
        sa.select(sa.func.count()).select_from(runs)
        .where(R.client_id == client_id, R.status.in_(RunStatus.unfinished()))
    ).scalar_one()
    return {"leads": sum(by_status.values()), "by_status": by_status, "batches": int(n_batches),
            "scored": int(scored), "labels": labels, "runs_active": int(active)}


def batch_options(conn: Connection, client_id: int, limit: int = 200) -> list[Row]:
    """Batches for a picker, newest first: ``[{"id", "name", "people_in_file", "new_leads",
    "known_leads", "created_at", "source_kind"}]`` (at most ``limit``)."""
    rows = conn.execute(
        sa.select(B.id, B.name, B.people_in_file, B.new_leads, B.known_leads, B.created_at, B.source_kind)
        .where(B.client_id == client_id)
        .order_by(B.created_at.desc(), B.id.desc())
        .limit(max(1, int(limit)))
    ).mappings()
    return as_dicts(rows)


def failed_count(conn: Connection, client_id: int, batch_id: int | None = None) -> int:
    """Number of ``failed`` leads in a scope (what "Retry failed leads" would reset)."""
    return int(conn.execute(
        sa.select(sa.func.count()).where(scope_condition(client_id, batch_id), L.status == LeadStatus.FAILED)
    ).scalar_one())


def unscored_count(conn: Connection, client_id: int, batch_id: int | None, icp_version_id: int) -> int:
    """Leads of a scope without a score for this ICP version: what a run would score (every lead,
    ``failed`` ones included: they are scored on the upload's data)."""
    scored = sa.select(S.lead_id).where(S.lead_id == L.id, S.icp_version_id == icp_version_id).exists()
    return int(conn.execute(
        sa.select(sa.func.count()).where(scope_condition(client_id, batch_id), ~scored)
    ).scalar_one())


def version_scores(conn: Connection, client_id: int) -> list[Row]:
    """Every ICP version of a client with how many of its leads it scored, newest first:
    ``[{"id", "version", "name", "created_by", "created_at", "scored"}]`` (``scored`` 0 for a
    version no run has used yet)."""
    I = client_icps.c
    n = sa.select(sa.func.count()).where(S.icp_version_id == I.id).scalar_subquery()
    rows = conn.execute(
        sa.select(I.id, I.version, I.icp["name"].astext.label("name"), I.created_by, I.created_at, n.label("scored"))
        .where(I.client_id == client_id)
        .order_by(I.version.desc())
    ).mappings()
    return [dict(r, scored=int(r["scored"]), name=r["name"] or "") for r in rows]
