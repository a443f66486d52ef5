"""SQL of qualification results: scores (``lead_scores``) and whole-profile vectors (``lead_embeddings``).

A lead has at most one score per ICP version (history across versions is kept) and one vector
per embedding model. Every function takes an open ``Connection``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..enums import LeadStatus
from ._util import Row, as_dicts, copy_into_temp
from .leads import past_enrichment, scope_condition
from .schema import lead_embeddings, lead_scores, leads
from .vectors import copy_rows_binary

L, S, E = leads.c, lead_scores.c, lead_embeddings.c

#: Lead statuses whose leads are scored (enriched, or already qualified/exported under another
#: version, or ``failed``: enrichment gave up and the lead is qualified on the upload's data).
SCORABLE = (LeadStatus.ENRICHED, LeadStatus.QUALIFIED, LeadStatus.EXPORTED, LeadStatus.FAILED)


def has_score(icp_version_id: int) -> sa.Exists:
    """``EXISTS`` a score of the lead (``leads.id``) under this ICP version."""
    return sa.select(S.lead_id).where(S.lead_id == L.id, S.icp_version_id == icp_version_id).exists()


def has_fresh_score(icp_version_id: int) -> sa.Exists:
    """``EXISTS`` a score of the lead under this ICP version computed after its last enrichment
    (a lead enriched again with better data has a stale score until it is scored again)."""
    return sa.select(S.lead_id).where(
        S.lead_id == L.id, S.icp_version_id == icp_version_id,
        sa.or_(L.enriched_at.is_(None), S.scored_at >= L.enriched_at),
    ).exists()


def unscored(icp_version_id: int) -> sa.ColumnElement[bool]:
    """Scorable leads without a score for this ICP version, or with a score older than their data
    (enriched again since): the score stage's work.

    The same leads as ``NOT`` :func:`has_fresh_score`, written as a correlated scalar subquery on
    ``lead_scores``' primary key (at most one row per lead and version), so Postgres probes that
    index once per lead, whatever its statistics say. Why: right after the enrich stage scored a
    fresh upload, the statistics still say the new version has no scores. With ``NOT EXISTS`` the
    planner then materialised the version's 10,000 scores and compared each lead with every one
    (50 million join-filter rows, 2-7 s for a 10,000-lead run with nothing left to score); with a
    plain ``icp_version_id = v`` in the subquery it scanned the version's index for each lead
    (24 s). ``icp_version_id + 0`` keeps that index out of the subquery's reach.
    """
    fresh = (
        sa.select(sa.or_(L.enriched_at.is_(None), S.scored_at >= L.enriched_at))
        .where(S.lead_id == L.id, (S.icp_version_id + 0) == icp_version_id)
        .scalar_subquery()
    )
    return sa.and_(L.status.in_(SCORABLE), fresh.is_not(sa.true()))


def analyze_scores(conn: Connection) -> None:
    """``ANALYZE lead_scores (lead_id, icp_version_id)``: the statistics the joins of a version's
    scores are planned with (0.1 s at 160,000 scores: ``ANALYZE`` samples at most 30,000 rows, and
    these two columns alone skip the reasoning texts and components). See
    :meth:`icp_engine.pipeline.RunStages._refresh_score_statistics`."""
    conn.exec_driver_sql("ANALYZE lead_scores (lead_id, icp_version_id)")


def previous_scores(conn: Connection, icp_version_id: int, lead_ids: Sequence[int]) -> dict[int, tuple[float, str]]:
    """``{lead_id: (icp_score, bucket)}`` of the leads already scored under this version (before a
    score stage replaces stale scores, to report what changed)."""
    if not lead_ids:
        return {}
    rows = conn.execute(
        sa.select(S.lead_id, S.icp_score, S.bucket)
        .where(S.icp_version_id == icp_version_id, S.lead_id.in_([int(i) for i in lead_ids]))
    ).all()
    return {int(r.lead_id): (float(r.icp_score), str(r.bucket)) for r in rows}


def without_vector(model: str) -> sa.ColumnElement[bool]:
    """Enriched leads without a whole-profile vector of ``model`` (the embed stage's work)."""
    has_vec = sa.select(E.lead_id).where(E.lead_id == L.id, E.model == model).exists()
    return sa.and_(past_enrichment(), ~has_vec)


def write_scores(conn: Connection, icp_version_id: int, run_id: int | None, rows: Sequence[dict[str, Any]],
                 *, mark_qualified: bool = True) -> None:
    """Upsert scores and mark the scored ``enriched`` leads ``qualified`` (``failed`` ones stay
    ``failed``: scored on the upload's data, the reason in ``leads.enrichment_note``).

    Each row: ``{"lead_id", "icp_score" (0-100), "bucket", "match_reasoning", "components" (JSON:
    a dict, or its JSON text), "scorer_version"}``. A lead already scored under this version gets the
    new score. ``mark_qualified=False`` leaves the status alone (the caller sets it). One ``COPY``,
    one ``INSERT ... ON CONFLICT`` and one ``UPDATE ... FROM`` per call.
    """
    if not rows:
        return
    cols = (("lead_id", "bigint"), ("icp_score", "real"), ("bucket", "text"), ("match_reasoning", "text"),
            ("components", "jsonb"), ("scorer_version", "text"))
    copy_into_temp(conn, "_scores", cols, (
        (r["lead_id"], r["icp_score"], r["bucket"], r["match_reasoning"],
         r["components"] if isinstance(r["components"], str) else json.dumps(r["components"]), r["scorer_version"])
        for r in rows))
    conn.execute(
        sa.text(
            "INSERT INTO lead_scores (lead_id, icp_version_id, run_id, icp_score, bucket, match_reasoning, "
            "components, scorer_version) SELECT lead_id, :v, :r, icp_score, bucket, match_reasoning, components, "
            "scorer_version FROM _scores ON CONFLICT (lead_id, icp_version_id) DO UPDATE SET "
            "run_id = excluded.run_id, icp_score = excluded.icp_score, bucket = excluded.bucket, "
            "match_reasoning = excluded.match_reasoning, components = excluded.components, "
            # a fresh static score: the learned model's copy of the old one goes (learn stage)
            "scorer_version = excluded.scorer_version, scored_at = now(), static_score = NULL, "
            "static_reasoning = NULL"
        ),
        {"v": icp_version_id, "r": run_id},
    )
    if mark_qualified:
        conn.exec_driver_sql(
            f"UPDATE leads SET status = '{LeadStatus.QUALIFIED.value}', updated_at = now() FROM _scores s "
            f"WHERE leads.id = s.lead_id AND leads.status = '{LeadStatus.ENRICHED.value}'")



def count_unscored(conn: Connection, client_id: int, batch_id: int | None, icp_version_id: int) -> int:
    """Leads of a scope (client, or one batch) that have no score under this ICP version and have
    not failed: what a run would score (before enrichment too)."""
    q = sa.select(sa.func.count()).where(scope_condition(client_id, batch_id), L.status != LeadStatus.FAILED,
                                         ~has_score(icp_version_id))
    return int(conn.execute(q).scalar_one())


def write_vectors(conn: Connection, model: str, rows: Sequence[tuple[int, Any]]) -> None:
    """Insert whole-profile vectors ``(lead_id, vector)`` of ``model``; existing ones are kept.
    One binary COPY (:func:`icp_engine.db.vectors.copy_rows_binary`)."""
    copy_rows_binary(conn, "lead_embeddings", [("lead_id", "int8"), ("model", "text"), ("embedding", "vector")],
                     [(lid, model, v) for lid, v in rows], conflict="DO NOTHING")


def similar_leads(conn: Connection, lead_id: int, model: str, k: int = 5) -> list[Row]:
    """The ``k`` leads of the same client nearest to this one by cosine similarity of their ``model``
    vectors (pgvector ``<=>``): ``[{"id", "name", "headline", "cosine_similarity"}]``, nearest first."""
    me = sa.select(E.embedding).where(E.lead_id == lead_id, E.model == model).scalar_subquery()
    client = sa.select(L.client_id).where(L.id == lead_id).scalar_subquery()
    dist = E.embedding.cosine_distance(me)
    rows = conn.execute(
        sa.select(L.id, L.name, L.headline, (1 - dist).label("cosine_similarity"))
        .select_from(lead_embeddings.join(leads, L.id == E.lead_id))
        .where(E.model == model, L.client_id == client, L.id != lead_id)
        .order_by(dist)
        .limit(k)
    ).mappings()
    return as_dicts(rows)
