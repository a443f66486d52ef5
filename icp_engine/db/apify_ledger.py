"""SQL of the Apify ledger (table ``apify_runs``): every actor run the product starts.

A row is inserted (``PENDING``, with its input URLs, lead ids and owner) and committed *before*
the start request is sent, then gets the Apify run id, dataset id, status, counts and cost; a
collected run has ``collected_at``. The policy around it (who may collect a row, what is in
flight) is :class:`icp_engine.enrich.apify_ledger.ApifyLedger`. Every function takes an open
``Connection``.

``status`` holds Apify's run statuses (``READY``, ``RUNNING``, ``SUCCEEDED``, ``FAILED``,
``TIMED-OUT``, ``ABORTED``; docs.apify.com/platform/actors/running/runs-and-builds) or one of
the product's own: :data:`PENDING`, :data:`NOT_STARTED`, :data:`LOST`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ._util import NOW, with_now
from .schema import apify_runs

A = apify_runs.c

__all__ = ["LOST", "NOT_STARTED", "NOW", "PENDING", "TERMINAL", "in_flight", "insert_pending", "known_apify_run_ids",
           "take_over", "unfinished_of_owner", "update"]

#: Terminal statuses of an Apify actor run.
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED-OUT", "ABORTED"})
#: Recorded, start request not (yet) known to have reached Apify.
PENDING = "PENDING"
#: The start request was refused or never reached Apify: nothing was paid; leads go into new runs.
NOT_STARTED = "NOT_STARTED"
#: A recorded run that Apify answers 404 for (deleted, or another account): closed, leads retryable.
LOST = "LOST"


def insert_pending(
    conn: Connection, *, run_id: int | None, actor_id: str, urls: Sequence[str], lead_ids: Sequence[int], owner: str
) -> tuple[int, datetime]:
    """Record a run about to be started; returns ``(row id, created_at)``. Commit before starting it."""
    row = conn.execute(
        sa.insert(apify_runs)
        .values(run_id=run_id, actor_id=actor_id, status=PENDING, input_urls=list(urls), lead_ids=list(lead_ids),
                owner=owner)
        .returning(A.id, A.created_at)
    ).one()
    return int(row[0]), row[1]


def update(conn: Connection, row_id: int, **values: Any) -> None:
    """Set columns of a ledger row (``status``, ``apify_run_id``, ``items_count``, ``collected_at``...);
    a value :data:`NOW` stores the database's ``now()``."""
    conn.execute(sa.update(apify_runs).where(A.id == row_id).values(**with_now(values)))


def in_flight(conn: Connection, actor_id: str, lead_ids: Sequence[int] | None) -> list[Any]:
    """Uncollected rows of ``actor_id`` that may still deliver (all but ``NOT_STARTED``), in id order;
    only rows holding one of ``lead_ids`` when given."""
    q = sa.select(apify_runs).where(A.actor_id == actor_id, A.collected_at.is_(None), A.status != NOT_STARTED)
    if lead_ids is not None:
        q = q.where(A.lead_ids.overlap(sa.cast(list(lead_ids), A.lead_ids.type)))
    return list(conn.execute(q.order_by(A.id)).all())


def take_over(conn: Connection, row_id: int, old_owner: str, new_owner: str) -> bool:
    """Compare-and-set the owner of an uncollected row; True when this call took it."""
    res = conn.execute(
        sa.update(apify_runs)
        .where(A.id == row_id, A.owner == old_owner, A.collected_at.is_(None))
        .values(owner=new_owner)
    )
    return res.rowcount == 1


def known_apify_run_ids(conn: Connection, apify_run_ids: Iterable[str]) -> set[str]:
    """Which of these Apify run ids a ledger row already holds."""
    ids = [i for i in apify_run_ids if i]
    if not ids:
        return set()
    return set(conn.execute(sa.select(A.apify_run_id).where(A.apify_run_id.in_(ids))).scalars())


def unfinished_of_owner(conn: Connection, owner: str) -> list[str]:
    """Apify run ids of ``owner``'s started, uncollected runs not yet in a terminal status."""
    return [str(r) for r in conn.execute(
        sa.select(A.apify_run_id).where(
            A.owner == owner, A.apify_run_id.is_not(None), A.collected_at.is_(None), A.status.not_in(list(TERMINAL)),
        )
    ).scalars()]
