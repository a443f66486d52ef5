"""SQL of the learned model (issue 10): its training labels, its features, and learned scores.

The learner reads a client's current keep / trash labels (every batch), the *static* score and
components of each lead under an ICP version (``coalesce(static_score, icp_score)``: a learned
score is never a training input) and the lead's whole-profile vector; it writes learned scores
over ``icp_score`` / ``bucket`` / ``match_reasoning`` while keeping the scorer's own score and
reasoning in ``static_score`` / ``static_reasoning``, and restores them when the model is not
applied. Every function takes an open ``Connection``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..enums import FeedbackLabel
from ._util import Row, as_dicts
from .leads import scope_condition
from .schema import lead_embeddings, lead_feedback, lead_scores, leads

L, S, F, E = leads.c, lead_scores.c, lead_feedback.c, lead_embeddings.c

#: The static score of a lead under a version (the scorer's, whatever a learned model set).
STATIC_SCORE = sa.func.coalesce(S.static_score, S.icp_score)
STATIC_REASONING = sa.func.coalesce(S.static_reasoning, S.match_reasoning)


def current_labels(conn: Connection, client_id: int) -> list[Row]:
    """The client's current keep / trash labels, every batch: ``[{"id", "lead_id", "label",
    "reviewer", "icp_version_id", "queue", "created_at"}]`` (undone labels and skips left out),
    oldest first."""
    rows = conn.execute(
        sa.select(F.id, F.lead_id, F.label, F.reviewer, F.icp_version_id, F.queue, F.created_at)
        .where(F.client_id == client_id, F.undone_at.is_(None),
               F.label.in_((FeedbackLabel.KEEP, FeedbackLabel.TRASH)))
        .order_by(F.id)
    ).mappings()
    return as_dicts(rows)


def labels_fingerprint(conn: Connection, client_id: int) -> tuple[int, int, int]:
    """``(labels, newest label id, newest undo count)`` of the client: changes whenever a label is
    added or undone (a cache key for measurements)."""
    row = conn.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.max(F.id), 0),
                  sa.func.count(F.undone_at))
        .where(F.client_id == client_id)
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def _feature_select(icp_version_id: int, model: str) -> sa.Select:
    vec = (sa.select(E.embedding).where(E.lead_id == L.id, E.model == model).scalar_subquery())
    return (
        sa.select(leads, STATIC_SCORE.label("static_score"), STATIC_REASONING.label("static_reasoning"),
                  S.components, S.static_score.is_not(None).label("learned"), vec.label("vector"))
        .join(lead_scores, sa.and_(S.lead_id == L.id, S.icp_version_id == icp_version_id))
    )


def feature_rows(conn: Connection, icp_version_id: int, lead_ids: Sequence[int], model: str) -> list[Row]:
    """Lead rows of ``lead_ids`` scored under ``icp_version_id``, with ``static_score`` (0-100),
    ``static_reasoning``, ``components``, ``learned`` (bool: a learned score is set) and
    ``vector`` (the ``model`` whole-profile vector, or None). Leads without a score under the
    version are not returned."""
    if not lead_ids:
        return []
    rows = conn.execute(_feature_select(icp_version_id, model).where(L.id.in_([int(x) for x in lead_ids]))
                        .order_by(L.id)).mappings()
    return as_dicts(rows)


def scope_feature_chunk(conn: Connection, client_id: int, batch_id: int | None, icp_version_id: int, model: str,
                        after_id: int, size: int) -> list[Row]:
    """Like :func:`feature_rows` for the scored leads of a scope, ``size`` at a time after ``after_id``
    (keyset pagination, id order)."""
    rows = conn.execute(
        _feature_select(icp_version_id, model)
        .where(scope_condition(client_id, batch_id), L.id > after_id)
        .order_by(L.id).limit(size)
    ).mappings()
    return as_dicts(rows)


def rows_for_profiles(conn: Connection, lead_ids: Sequence[int]) -> list[Row]:
    """Full lead rows (to score in memory the labelled leads that have no score under a version)."""
    if not lead_ids:
        return []
    return as_dicts(conn.execute(sa.select(leads).where(L.id.in_([int(x) for x in lead_ids])).order_by(L.id))
                    .mappings())


def write_learned(conn: Connection, icp_version_id: int, rows: Sequence[dict[str, Any]]) -> None:
    """Set learned scores: each row ``{"b_id" (lead), "b_score" (0-100), "b_bucket",
    "b_reasoning", "b_static", "b_static_reasoning"}``; the scorer's own score and reasoning go to
    ``static_score`` / ``static_reasoning``."""
    if not rows:
        return
    conn.execute(
        lead_scores.update()
        .where(S.lead_id == sa.bindparam("b_id"), S.icp_version_id == icp_version_id)
        .values(icp_score=sa.bindparam("b_score"), bucket=sa.bindparam("b_bucket"),
                match_reasoning=sa.bindparam("b_reasoning"), static_score=sa.bindparam("b_static"),
                static_reasoning=sa.bindparam("b_static_reasoning")),
        list(rows),
    )


def learned_in_scope(conn: Connection, client_id: int, batch_id: int | None, icp_version_id: int) -> list[Row]:
    """Leads of a scope whose score under the version is a learned one: ``[{"lead_id",
    "static_score", "static_reasoning"}]``."""
    rows = conn.execute(
        sa.select(S.lead_id, S.static_score, S.static_reasoning)
        .select_from(lead_scores.join(leads, L.id == S.lead_id))
        .where(scope_condition(client_id, batch_id), S.icp_version_id == icp_version_id,
               S.static_score.is_not(None))
        .order_by(S.lead_id)
    ).mappings()
    return as_dicts(rows)


def restore_static(conn: Connection, icp_version_id: int, rows: Sequence[dict[str, Any]]) -> None:
    """Put the scorer's score back: each row ``{"b_id", "b_score", "b_bucket", "b_reasoning"}``
    (from :func:`learned_in_scope`); ``static_score`` / ``static_reasoning`` become NULL."""
    if not rows:
        return
    conn.execute(
        lead_scores.update()
        .where(S.lead_id == sa.bindparam("b_id"), S.icp_version_id == icp_version_id)
        .values(icp_score=sa.bindparam("b_score"), bucket=sa.bindparam("b_bucket"),
                match_reasoning=sa.bindparam("b_reasoning"), static_score=None, static_reasoning=None),
        list(rows),
    )


def unlabelled_scored_ids(conn: Connection, client_id: int, batch_id: int | None, icp_version_id: int) -> list[int]:
    """Ids of the scope's leads scored under the version that nobody labelled (current keep /
    trash / skip), in id order: the candidates of the "most informative next" queue."""
    labelled = sa.select(F.lead_id).where(F.lead_id == L.id, F.undone_at.is_(None)).exists()
    rows = conn.execute(
        sa.select(L.id).select_from(leads.join(lead_scores, sa.and_(S.lead_id == L.id,
                                                                    S.icp_version_id == icp_version_id)))
        .where(scope_condition(client_id, batch_id), ~labelled).order_by(L.id)
    ).scalars()
    return [int(x) for x in rows]
