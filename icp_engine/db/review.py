"""SQL of review labels (table ``lead_feedback``): keep / trash / skip per reviewer, with undo.

A label records the reviewer, the time, the client's ICP version at that moment and the queue it
came from (``random``, ``informative`` or ``import``, :class:`~icp_engine.enums.ReviewQueue`). A
newer label by the same reviewer supersedes the older one (kept, marked ``undone_at``), whichever
door it came through (the Review page or ``feedback import``). Every function takes an open
``Connection``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..enums import FeedbackLabel, ReviewQueue, values
from ..errors import NotFound
from ._util import Row, any_of, as_dicts
from .clients import current_version_id, results_version_id
from .leads import scope_condition
from .schema import lead_feedback, lead_scores, leads

L, S, F = leads.c, lead_scores.c, lead_feedback.c


def review_queue(
    conn: Connection,
    client_id: int,
    reviewer: str,
    *,
    batch_id: int | None = None,
    limit: int = 20,
    include_labelled: bool = False,
    icp_version_id: int | None = None,
) -> list[Row]:
    """Scored leads in a seeded random order per reviewer, never by score.

    Scores are those of ``icp_version_id`` (default: the newest version with scores,
    :func:`~icp_engine.db.clients.results_version_id`).

    The order is ``md5(reviewer:client:lead_id)``: stable across reloads and sessions, different
    per reviewer, independent of the score. Leads this reviewer labelled (and did not undo) are
    left out unless ``include_labelled``. Rows: the ``leads`` columns plus ``icp_score``,
    ``bucket``, ``match_reasoning``, ``components``, ``icp_version_id``.
    """
    ver = icp_version_id or results_version_id(conn, client_id)
    order = sa.func.md5(sa.literal(f"{reviewer}:{client_id}:") + sa.cast(L.id, sa.Text))
    labelled = sa.select(F.lead_id).where(F.lead_id == L.id, F.reviewer == reviewer, F.undone_at.is_(None)).exists()
    q = (
        sa.select(leads, S.icp_score, S.bucket, S.match_reasoning, S.components, S.icp_version_id)
        .join(lead_scores, sa.and_(S.lead_id == L.id, S.icp_version_id == ver))
        .where(scope_condition(client_id, batch_id))
        .order_by(order)
        .limit(limit)
    )
    if not include_labelled:
        q = q.where(~labelled)
    return as_dicts(conn.execute(q).mappings())


def leads_with_scores(conn: Connection, lead_ids: Sequence[int], icp_version_id: int) -> list[Row]:
    """Rows like :func:`review_queue` (the ``leads`` columns plus ``icp_score``, ``bucket``,
    ``match_reasoning``, ``components`` under the version) for ``lead_ids``, in id order."""
    if not lead_ids:
        return []
    q = (
        sa.select(leads, S.icp_score, S.bucket, S.match_reasoning, S.components)
        .join(lead_scores, sa.and_(S.lead_id == L.id, S.icp_version_id == icp_version_id))
        .where(L.id == any_of("ids", [int(x) for x in lead_ids], sa.BigInteger))
        .order_by(L.id)
    )
    return as_dicts(conn.execute(q).mappings())


def review_progress(conn: Connection, client_id: int, reviewer: str, batch_id: int | None = None, *,
                    icp_version_id: int | None = None) -> dict[str, int]:
    """``{"scored": n, "labelled": n, "keep": n, "trash": n, "skip": n}`` for a reviewer in a scope
    (scored = leads with a score of ``icp_version_id``, default the newest version with scores;
    labels = distinct scored leads per label)."""
    ver = icp_version_id or results_version_id(conn, client_id)
    scope = scope_condition(client_id, batch_id)
    scored = conn.execute(
        sa.select(sa.func.count()).select_from(lead_scores.join(leads, L.id == S.lead_id))
        .where(scope, S.icp_version_id == ver)
    ).scalar_one()
    labels = conn.execute(
        sa.select(F.label, sa.func.count(sa.distinct(F.lead_id)))
        .select_from(lead_feedback.join(leads, L.id == F.lead_id)
                     .join(lead_scores, sa.and_(S.lead_id == L.id, S.icp_version_id == ver)))
        .where(scope, F.reviewer == reviewer, F.undone_at.is_(None))
        .group_by(F.label)
    ).all()
    out = {"scored": int(scored), **dict.fromkeys(values(FeedbackLabel), 0)}
    out.update({str(k): int(v) for k, v in labels})
    out["labelled"] = sum(out[k] for k in values(FeedbackLabel))
    return out


def record_feedback(conn: Connection, lead_id: int, label: FeedbackLabel, reviewer: str,
                    queue: ReviewQueue = ReviewQueue.RANDOM, *, icp_version_id: int | None = None) -> int:
    """Store a label with the ICP version whose score the reviewer saw (``icp_version_id``; default
    the newest version with scores, else the current one) and the queue it came from; supersede
    the reviewer's earlier label of the lead. Returns the feedback id; raises :class:`NotFound`
    for an unknown lead."""
    client_id = conn.execute(sa.select(L.client_id).where(L.id == lead_id)).scalar_one_or_none()
    if client_id is None:
        raise NotFound(f"no lead {lead_id}")
    ver = icp_version_id or results_version_id(conn, client_id) or current_version_id(conn, client_id)
    conn.execute(
        lead_feedback.update()
        .where(F.lead_id == lead_id, F.reviewer == reviewer, F.undone_at.is_(None))
        .values(undone_at=sa.func.now())
    )
    return int(conn.execute(
        lead_feedback.insert()
        .values(lead_id=lead_id, client_id=client_id, label=label, reviewer=reviewer, icp_version_id=ver,
                queue=queue)
        .returning(F.id)
    ).scalar_one())


def lead_ids_by_key(conn: Connection, client_id: int, keys: Sequence[str]) -> dict[str, int]:
    """``{profile_key: lead_id}`` for the client's leads among ``keys`` (canonical profile keys)."""
    if not keys:
        return {}
    rows = conn.execute(sa.select(L.profile_key, L.id).where(L.client_id == client_id,
                                                             L.profile_key == any_of("keys", set(keys))))
    return {str(k): int(i) for k, i in rows}


def import_labels(conn: Connection, client_id: int, rows: Sequence[tuple[int, FeedbackLabel, str]],
                  queue: ReviewQueue = ReviewQueue.IMPORT) -> int:
    """Store many labels ``(lead_id, label, reviewer)`` of one client at once, exactly like
    :func:`record_feedback` (current ICP version, each supersedes the reviewer's earlier label of
    the lead; for a lead and reviewer given twice the last row wins). Returns the labels stored.
    The caller checks that every lead belongs to the client."""
    last: dict[tuple[int, str], FeedbackLabel] = {}
    for lead_id, label, reviewer in rows:
        last[(int(lead_id), reviewer)] = label
    if not last:
        return 0
    ver = current_version_id(conn, client_id)
    pairs = sorted(last)
    for reviewer in sorted({r for _, r in pairs}):
        ids = [lid for lid, r in pairs if r == reviewer]
        conn.execute(
            lead_feedback.update()
            .where(F.client_id == client_id, F.reviewer == reviewer, F.undone_at.is_(None),
                   F.lead_id == any_of("ids", ids, sa.BigInteger))
            .values(undone_at=sa.func.now())
        )
    conn.execute(lead_feedback.insert(), [
        {"lead_id": lid, "client_id": client_id, "label": last[(lid, r)], "reviewer": r, "icp_version_id": ver,
         "queue": queue}
        for lid, r in pairs
    ])
    return len(pairs)


def undo_last(conn: Connection, client_id: int, reviewer: str) -> Row | None:
    """Undo the reviewer's most recent label in this client; returns it (the ``lead_feedback`` row
    plus the lead's ``name``), or None if nothing to undo."""
    row = conn.execute(
        sa.select(lead_feedback)
        .where(F.client_id == client_id, F.reviewer == reviewer, F.undone_at.is_(None))
        .order_by(F.created_at.desc(), F.id.desc())
        .limit(1)
        .with_for_update()
    ).mappings().first()
    if row is None:
        return None
    conn.execute(lead_feedback.update().where(F.id == row["id"]).values(undone_at=sa.func.now()))
    name = conn.execute(sa.select(L.name).where(L.id == row["lead_id"])).scalar_one_or_none()
    return {**dict(row), "name": name}


def feedback_rows(conn: Connection, client_id: int, icp_version_id: int | None = None) -> list[Row]:
    """Current keep/trash labels with the lead's score under ``icp_version_id`` (default: the newest
    version with scores): ``[{"lead_id", "label", "reviewer", "queue", "icp_score", "static_score"}]``
    (``icp_score``: the score shown, learned or not; ``static_score``: the scorer's; for ``eval --client``)."""
    ver = icp_version_id or results_version_id(conn, client_id)
    rows = conn.execute(
        sa.select(F.lead_id, F.label, F.reviewer, F.queue, S.icp_score,
                  sa.func.coalesce(S.static_score, S.icp_score).label("static_score"))
        .join(lead_scores, sa.and_(S.lead_id == F.lead_id, S.icp_version_id == ver))
        .where(F.client_id == client_id, F.undone_at.is_(None),
               F.label.in_((FeedbackLabel.KEEP, FeedbackLabel.TRASH)))
    ).mappings()
    return as_dicts(rows)


def recent_labels(conn: Connection, client_id: int, reviewer: str, limit: int = 10) -> list[Row]:
    """The reviewer's newest labels in this client (undone ones flagged): ``[{"lead_id", "name",
    "label", "created_at", "undone"}]``."""
    rows = conn.execute(
        sa.select(F.lead_id, L.name, F.label, F.created_at, F.undone_at.is_not(None).label("undone"))
        .select_from(lead_feedback.join(leads, L.id == F.lead_id))
        .where(F.client_id == client_id, F.reviewer == reviewer)
        .order_by(F.created_at.desc(), F.id.desc())
        .limit(max(1, int(limit)))
    ).mappings()
    return as_dicts(rows)
