"""SQL of clients and their ICP versions (tables ``clients``, ``client_icps``).

Every function takes an open ``Connection``: the caller owns the transaction, so several steps
compose atomically. Rows are plain dicts of the table's columns.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..domain import ICP
from ..errors import InvalidInput, NotFound
from ._util import Row, as_dicts
from .schema import client_icps, clients, lead_scores, leads

C, I = clients.c, client_icps.c


def create_client(conn: Connection, name: str, notes: str = "") -> Row:
    """Insert a client; raises :class:`InvalidInput` for an empty or already used name."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("a client needs a name")
    if conn.execute(sa.select(C.id).where(C.name == name)).first():
        raise InvalidInput(f"a client named {name!r} already exists")
    return dict(conn.execute(clients.insert().values(name=name, notes=notes).returning(*clients.c)).mappings().one())


def lock_name(conn: Connection, name: str) -> None:
    """Serialise, until the transaction ends, whoever creates or reads-then-creates client ``name``."""
    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext("client:" + (name or "").strip()))))


def get_client(conn: Connection, client: int | str) -> Row:
    """A client by id or exact name; raises :class:`NotFound`."""
    col = C.id if isinstance(client, int) else C.name
    row = conn.execute(sa.select(clients).where(col == client)).mappings().first()
    if row is None:
        raise NotFound(f"no client {client!r}")
    return dict(row)


def list_clients(conn: Connection) -> list[Row]:
    """Clients, newest first, with ``leads`` (count) and ``icp_version`` (newest version or None)."""
    n_leads = sa.select(sa.func.count()).where(leads.c.client_id == C.id).scalar_subquery()
    version = sa.select(sa.func.max(I.version)).where(I.client_id == C.id).scalar_subquery()
    rows = conn.execute(
        sa.select(C.id, C.name, C.notes, C.created_at, n_leads.label("leads"), version.label("icp_version"))
        .order_by(C.created_at.desc(), C.id.desc())
    ).mappings()
    return as_dicts(rows)


def lock_client(conn: Connection, client_id: int) -> None:
    """Lock the client's row until the transaction ends (serialises per-client checks such as
    "one run per batch"); raises :class:`NotFound` for an unknown client."""
    if conn.execute(sa.select(C.id).where(C.id == client_id).with_for_update()).first() is None:
        raise NotFound(f"no client {client_id}")


def save_icp(conn: Connection, client_id: int, icp: ICP, *, author: str = "system", note: str = "") -> Row:
    """Store ``icp`` as the client's next version and return the version row.

    Saving an ICP identical to the current version returns the current version (no new row), so
    repeated CLI runs with the same file do not multiply versions. A row lock on the client
    serialises concurrent saves.
    """
    conn.execute(sa.select(C.id).where(C.id == client_id).with_for_update())
    current = latest_icp(conn, client_id)
    payload = icp.model_dump()
    if current is not None and current["icp"] == payload:
        return current
    version = (current["version"] + 1) if current else 1
    row = conn.execute(
        client_icps.insert()
        .values(client_id=client_id, version=version, icp=payload, created_by=author, change_note=note)
        .returning(*client_icps.c)
    ).mappings().one()
    return dict(row)


def latest_icp(conn: Connection, client_id: int) -> Row | None:
    """The newest ICP version row of a client, or None."""
    row = conn.execute(
        sa.select(client_icps).where(I.client_id == client_id).order_by(I.version.desc()).limit(1)
    ).mappings().first()
    return dict(row) if row else None


def current_version_id(conn: Connection, client_id: int) -> int | None:
    """Id of the client's newest ICP version, or None when it has none."""
    vid = conn.execute(
        sa.select(I.id).where(I.client_id == client_id).order_by(I.version.desc()).limit(1)
    ).scalar_one_or_none()
    return int(vid) if vid is not None else None


def results_version_id(conn: Connection, client_id: int) -> int | None:
    """Id of the newest ICP version of the client that has scores, or None when nothing is scored.

    This is the version whose results the Review and Export pages show by default: saving a new
    version does not hide the results of the previous one until a run scored leads with it.
    """
    scored = sa.select(lead_scores.c.lead_id).where(lead_scores.c.icp_version_id == I.id).exists()
    vid = conn.execute(
        sa.select(I.id).where(I.client_id == client_id, scored).order_by(I.version.desc()).limit(1)
    ).scalar_one_or_none()
    return int(vid) if vid is not None else None


def icp_version(conn: Connection, icp_version_id: int) -> Row:
    """An ICP version row by id; raises :class:`NotFound`."""
    row = conn.execute(sa.select(client_icps).where(I.id == icp_version_id)).mappings().first()
    if row is None:
        raise NotFound(f"no ICP version {icp_version_id}")
    return dict(row)


def icp_history(conn: Connection, client_id: int) -> list[Row]:
    """All ICP versions of a client, newest first (version, icp, created_by, change_note, created_at)."""
    rows = conn.execute(sa.select(client_icps).where(I.client_id == client_id).order_by(I.version.desc())).mappings()
    return as_dicts(rows)


def icp_of(row: dict[str, Any]) -> ICP:
    """The :class:`ICP` stored in a ``client_icps`` row."""
    return ICP.model_validate(row["icp"])
