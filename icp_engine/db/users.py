"""SQL of dashboard accounts and their sessions (tables ``users``, ``user_sessions``).

The policy (password hashing, lock-out, roles, session lifetime, cookies) is
:mod:`icp_engine.auth`; this module only reads and writes rows. A session row holds the SHA-256
of the random token the browser's cookie carries, never the token. Every function takes an open
``Connection``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ._util import NOW, Row, as_dicts, with_now
from .schema import user_sessions, users

U, S = users.c, user_sessions.c

#: Columns of a user row handed out of this module (never the password hash).
_PUBLIC = (U.id, U.username, U.role, U.last_login_at, U.created_at, U.updated_at, U.locked_until)


def lock_users(conn: Connection) -> None:
    """Lock the accounts table against concurrent writers until the transaction ends (so "no admin
    yet" / "last admin" checks and the change they guard happen atomically)."""
    conn.execute(sa.text("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE"))


def count_users(conn: Connection) -> int:
    """How many accounts exist."""
    return int(conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one())


def insert_user(conn: Connection, username: str, username_key: str, role: str, password_hash: str | None) -> Row:
    """Insert an account; returns its public row. Raises ``IntegrityError`` for a taken name key."""
    row = conn.execute(
        users.insert().values(username=username, username_key=username_key, role=role, password_hash=password_hash)
        .returning(*_PUBLIC)
    ).mappings().one()
    return dict(row)


def user_by_key(conn: Connection, username_key: str, *, for_update: bool = False) -> Row | None:
    """The full row (with ``password_hash``, ``failed_logins``) of the account with this name key."""
    q = sa.select(users).where(U.username_key == username_key)
    if for_update:
        q = q.with_for_update()
    row = conn.execute(q).mappings().first()
    return dict(row) if row else None


def user_by_id(conn: Connection, user_id: int) -> Row | None:
    """The public row of an account, or None."""
    row = conn.execute(sa.select(*_PUBLIC).where(U.id == user_id)).mappings().first()
    return dict(row) if row else None


def list_users(conn: Connection) -> list[Row]:
    """Public rows of every account, by name, with ``sessions`` (how many live sessions)."""
    live = (sa.select(sa.func.count()).where(S.user_id == U.id, S.expires_at > sa.func.now())
            .scalar_subquery())
    return as_dicts(conn.execute(sa.select(*_PUBLIC, live.label("sessions")).order_by(U.username_key)).mappings())


def count_admins(conn: Connection) -> int:
    """How many accounts have the ``admin`` role."""
    return int(conn.execute(sa.select(sa.func.count()).where(U.role == "admin")).scalar_one())


def update_user(conn: Connection, user_id: int, **values: Any) -> bool:
    """Set columns of an account (``role``, ``password_hash``, ``failed_logins``, ``locked_until``,
    ``last_login_at``; :data:`~icp_engine.db._util.NOW` for the database clock); ``updated_at``
    becomes now. True when the account exists."""
    values.setdefault("updated_at", NOW)
    res = conn.execute(users.update().where(U.id == user_id).values(**with_now(values)))
    return res.rowcount == 1


def delete_user(conn: Connection, user_id: int) -> bool:
    """Delete an account and (cascade) its sessions. True when it existed."""
    return conn.execute(users.delete().where(U.id == user_id)).rowcount == 1


def insert_session(conn: Connection, user_id: int, token_sha256: str, expires_at: datetime) -> int:
    """Record a session; returns its id."""
    return int(conn.execute(
        user_sessions.insert().values(user_id=user_id, token_sha256=token_sha256, expires_at=expires_at)
        .returning(S.id)
    ).scalar_one())


def live_session(conn: Connection, token_sha256: str) -> Row | None:
    """The unexpired session with this token hash joined with its account's public columns:
    ``{"session_id", "user_id", "username", "role", "expires_at", "last_seen_at"}``, or None."""
    row = conn.execute(
        sa.select(S.id.label("session_id"), S.user_id, U.username, U.role, S.expires_at, S.last_seen_at)
        .select_from(user_sessions.join(users, U.id == S.user_id))
        .where(S.token_sha256 == token_sha256, S.expires_at > sa.func.now())
    ).mappings().first()
    return dict(row) if row else None


def touch_session(conn: Connection, session_id: int) -> None:
    """Set ``last_seen_at`` to now."""
    conn.execute(user_sessions.update().where(S.id == session_id).values(last_seen_at=sa.func.now()))


def delete_session(conn: Connection, token_sha256: str) -> bool:
    """Delete the session with this token hash (sign-out). True when it existed."""
    return conn.execute(user_sessions.delete().where(S.token_sha256 == token_sha256)).rowcount == 1


def delete_sessions_of(conn: Connection, user_id: int) -> int:
    """Delete every session of an account (password or role changed); returns how many."""
    return int(conn.execute(user_sessions.delete().where(S.user_id == user_id)).rowcount)


def purge_expired_sessions(conn: Connection) -> int:
    """Delete expired sessions; returns how many."""
    return int(conn.execute(user_sessions.delete().where(S.expires_at <= sa.func.now())).rowcount)
