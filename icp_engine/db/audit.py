"""SQL of the audit trail (table ``audit_log``): who created, changed or deleted what.

An entry holds the actor (account id and name at the time), an action such as ``client.delete``,
the target's type and id, and ``details`` with ids and counts. Callers never put names, profile
URLs or other erased data into an entry: after an erasure the trail says *that* something was
removed, not what. Write entries in the same transaction as the change they describe. Every
function takes an open ``Connection``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ._util import Row, as_dicts
from .schema import audit_log

A = audit_log.c


def record(conn: Connection, *, actor: str, action: str, target_type: str, target_id: int | None = None,
           actor_id: int | None = None, details: dict[str, Any] | None = None) -> int:
    """Append an entry; returns its id."""
    return int(conn.execute(
        audit_log.insert().values(actor=actor or "system", actor_id=actor_id, action=action,
                                  target_type=target_type, target_id=target_id, details=details or {})
        .returning(A.id)
    ).scalar_one())


def recent(conn: Connection, limit: int = 200, *, action_prefix: str | None = None) -> list[Row]:
    """Newest entries first (``id, at, actor_id, actor, action, target_type, target_id, details``)."""
    q = sa.select(audit_log).order_by(A.at.desc(), A.id.desc()).limit(max(1, int(limit)))
    if action_prefix:
        q = q.where(A.action.startswith(action_prefix))
    return as_dicts(conn.execute(q).mappings())
