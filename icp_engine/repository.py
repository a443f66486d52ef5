"""SQL for clients, ICP versions, batches and leads: the write side of the engine.

Every function takes an open SQLAlchemy ``Connection`` (inside the caller's transaction) and the
reflected :class:`icp_engine.storage.Tables`, so a caller can compose several steps atomically
(an upload writes its batch, leads and members in one transaction: all or nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from .domain import ICP, Follower
from .storage import Tables


class NotFound(LookupError):
    """A client, ICP version, batch, run or lead id/name that does not exist."""


# ---------------------------------------------------------------- clients and ICPs


def create_client(conn: Connection, t: Tables, name: str, notes: str = "") -> dict[str, Any]:
    """Insert a client; raises ``ValueError`` for an empty or already used name."""
    name = (name or "").strip()
    if not name:
        raise ValueError("a client needs a name")
    exists = conn.execute(sa.select(t.clients.c.id).where(t.clients.c.name == name)).first()
    if exists:
        raise ValueError(f"a client named {name!r} already exists")
    row = conn.execute(
        t.clients.insert().values(name=name, notes=notes).returning(*t.clients.c)
    ).mappings().one()
    return dict(row)


def get_client(conn: Connection, t: Tables, client: int | str) -> dict[str, Any]:
    """A client by id or exact name; raises :class:`NotFound`."""
    col = t.clients.c.id if isinstance(client, int) else t.clients.c.name
    row = conn.execute(sa.select(t.clients).where(col == client)).mappings().first()
    if row is None:
        raise NotFound(f"no client {client!r}")
    return dict(row)


def save_icp(
    conn: Connection, t: Tables, client_id: int, icp: ICP, *, author: str = "system", note: str = ""
) -> dict[str, Any]:
    """Store ``icp`` as the client's next version and return the version row.

    Saving an ICP identical to the current version returns the current version (no new row), so
    repeated CLI runs with the same file do not multiply versions. A row lock on the client
    serialises concurrent saves.
    """
    conn.execute(sa.select(t.clients.c.id).where(t.clients.c.id == client_id).with_for_update())
    current = latest_icp_row(conn, t, client_id)
    payload = icp.model_dump()
    if current is not None and current["icp"] == payload:
        return current
    version = (current["version"] + 1) if current else 1
    row = conn.execute(
        t.client_icps.insert()
        .values(client_id=client_id, version=version, icp=payload, created_by=author, change_note=note)
        .returning(*t.client_icps.c)
    ).mappings().one()
    return dict(row)


def latest_icp_row(conn: Connection, t: Tables, client_id: int) -> dict[str, Any] | None:
    """The newest ICP version row of a client, or None."""
    row = conn.execute(
        sa.select(t.client_icps)
        .where(t.client_icps.c.client_id == client_id)
        .order_by(t.client_icps.c.version.desc())
        .limit(1)
    ).mappings().first()
    return dict(row) if row else None


def icp_row(conn: Connection, t: Tables, icp_version_id: int) -> dict[str, Any]:
    """An ICP version row by id; raises :class:`NotFound`."""
    row = conn.execute(sa.select(t.client_icps).where(t.client_icps.c.id == icp_version_id)).mappings().first()
    if row is None:
        raise NotFound(f"no ICP version {icp_version_id}")
    return dict(row)


# ---------------------------------------------------------------- leads


@dataclass
class KnownSplit:
    """Followers of an upload split into new ones and ones already leads of the client.

    ``known`` maps the index in ``people`` to the existing lead id.
    """

    new: list[int] = field(default_factory=list)
    known: dict[int, int] = field(default_factory=dict)


def split_known(conn: Connection, t: Tables, client_id: int, people: Sequence[Follower]) -> KnownSplit:
    """Which followers are already leads of this client (matched on key, profile id or vanity)."""
    keys = {p.key for p in people}
    ids = {p.profile_id for p in people if p.profile_id}
    vanities = {p.vanity for p in people if p.vanity}
    L = t.leads.c
    found: dict[str, int] = {}

    def arr(name: str, values: set[str]):  # one array parameter, not one parameter per person
        return sa.any_(sa.bindparam(name, sorted(values), type_=ARRAY(sa.Text)))

    if people:
        rows = conn.execute(
            sa.select(L.id, L.profile_key, L.profile_id, L.vanity).where(
                L.client_id == client_id,
                sa.or_(
                    L.profile_key == arr("keys", keys),
                    L.profile_id == arr("ids", ids),
                    L.vanity == arr("vanities", vanities),
                ),
            )
        ).all()
        for r in rows:
            for k in (r.profile_key, r.profile_id, r.vanity):
                if k:
                    found.setdefault(k, r.id)
    out = KnownSplit()
    for i, p in enumerate(people):
        lead_id = found.get(p.key) or (found.get(p.profile_id) if p.profile_id else None) or (
            found.get(p.vanity) if p.vanity else None
        )
        if lead_id is None:
            out.new.append(i)
        else:
            out.known[i] = lead_id
    return out


def insert_batch_with_leads(
    conn: Connection,
    t: Tables,
    client_id: int,
    people: Sequence[Follower],
    *,
    name: str,
    source_filename: str,
    source_kind: str,
    file_sha256: str | None,
    author: str,
) -> dict[str, Any]:
    """Create a batch, insert the new leads, record every follower as a batch member.

    Returns the batch row plus ``new_lead_ids`` / ``known_lead_ids``. Runs inside the caller's
    transaction: on any error nothing is written.
    """
    split = split_known(conn, t, client_id, people)
    batch = conn.execute(
        t.batches.insert()
        .values(
            client_id=client_id,
            name=name,
            source_filename=source_filename,
            source_kind=source_kind,
            file_sha256=file_sha256,
            people_in_file=len(people),
            new_leads=len(split.new),
            known_leads=len(split.known),
            created_by=author,
        )
        .returning(*t.batches.c)
    ).mappings().one()
    new_ids: list[int] = []
    if split.new:
        rows = [_lead_values(client_id, batch["id"], people[i]) for i in split.new]
        got = _copy_insert_returning(
            conn, "leads", rows, conflict="(client_id, profile_key) DO NOTHING", returning=("id", "profile_key")
        )
        keyed = {key: lid for lid, key in got}
        for v in rows:
            lid = keyed.get(v["profile_key"])
            if lid is None:  # a concurrent upload inserted the same person first: keep theirs
                lid = conn.execute(
                    sa.select(t.leads.c.id).where(
                        t.leads.c.client_id == client_id, t.leads.c.profile_key == v["profile_key"]
                    )
                ).scalar_one()
            new_ids.append(lid)
    members = []
    new_iter = iter(new_ids)
    lead_for_index: dict[int, int] = {}
    for i in split.new:
        lead_for_index[i] = next(new_iter)
    lead_for_index.update(split.known)
    seen: set[int] = set()
    for i in range(len(people)):
        lid = lead_for_index[i]
        if lid in seen:
            continue
        seen.add(lid)
        members.append({"batch_id": batch["id"], "lead_id": lid, "position": i, "is_new": i not in split.known})
    _copy_insert_returning(conn, "batch_members", members)
    # fill aliases learnt from this upload into known leads (e.g. a vanity for a URN-only lead)
    if split.known:
        L = t.leads.c
        conn.execute(
            t.leads.update()
            .where(L.id == sa.bindparam("b_id"))
            .values(
                profile_id=sa.func.coalesce(L.profile_id, sa.bindparam("b_profile_id")),
                vanity=sa.func.coalesce(L.vanity, sa.bindparam("b_vanity")),
                name=sa.func.coalesce(L.name, sa.bindparam("b_name")),
                headline=sa.func.coalesce(L.headline, sa.bindparam("b_headline")),
                location=sa.func.coalesce(L.location, sa.bindparam("b_location")),
            ),
            [
                {"b_id": lid, "b_profile_id": people[i].profile_id, "b_vanity": people[i].vanity,
                 "b_name": people[i].name, "b_headline": people[i].headline, "b_location": people[i].location}
                for i, lid in split.known.items()
            ],
        )
    out = dict(batch)
    out["new_lead_ids"] = new_ids
    out["known_lead_ids"] = list(split.known.values())
    return out


def _copy_insert_returning(
    conn: Connection,
    table: str,
    rows: Sequence[dict[str, Any]],
    *,
    conflict: str | None = None,
    returning: tuple[str, ...] = (),
) -> list[tuple[Any, ...]]:
    """Bulk insert with ``COPY`` into a temporary table, then one ``INSERT ... SELECT``.

    Several times faster than multi-row INSERTs for tens of thousands of rows (50k leads: the
    statement text and its parameters are never built). Runs in the caller's transaction; the
    temporary table is dropped at commit. ``conflict`` is the text after ``ON CONFLICT``;
    returns the ``returning`` columns of the inserted rows.
    """
    if not rows:
        return []
    cols = list(rows[0])
    col_list = ", ".join(cols)
    tmp = f"_bulk_{table}"
    # same column types, no constraints or defaults; dropped at commit
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {tmp}")
    conn.exec_driver_sql(f"CREATE TEMP TABLE {tmp} ON COMMIT DROP AS SELECT {col_list} FROM {table} WITH NO DATA")
    raw = conn.connection.driver_connection  # psycopg 3 connection, same transaction
    with raw.cursor() as cur, cur.copy(f"COPY {tmp} ({col_list}) FROM STDIN") as copy:
        for r in rows:
            copy.write_row([r[c] for c in cols])
    sql = f"INSERT INTO {table} ({col_list}) SELECT {col_list} FROM {tmp}"
    if conflict:
        sql += f" ON CONFLICT {conflict}"
    if returning:
        sql += " RETURNING " + ", ".join(returning)
    result = conn.exec_driver_sql(sql)  # SQLAlchemy wraps errors (IntegrityError, ...)
    return [tuple(r) for r in result] if returning else []


def _lead_values(client_id: int, batch_id: int, p: Follower) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "batch_id": batch_id,
        "profile_key": p.key,
        "profile_id": p.profile_id,
        "vanity": p.vanity,
        "profile_url": p.profile_url,
        "input_url": p.url,
        "name": p.name,
        "headline": p.headline,
        "location": p.location,
        "degree": p.degree,
        "company": p.company,
        "titles": [p.title] if p.title else [],
    }


def scope_condition(t: Tables, client_id: int, batch_id: int | None) -> sa.ColumnElement[bool]:
    """SQL condition selecting the leads of a client, or of one batch (its members)."""
    cond = t.leads.c.client_id == client_id
    if batch_id is not None:
        members = sa.select(t.batch_members.c.lead_id).where(t.batch_members.c.batch_id == batch_id)
        cond = sa.and_(cond, t.leads.c.id.in_(members))
    return cond


def status_counts(conn: Connection, t: Tables, client_id: int, batch_id: int | None) -> dict[str, int]:
    """Number of leads per status in a scope, e.g. ``{"discovered": 3, "qualified": 27}``."""
    rows = conn.execute(
        sa.select(t.leads.c.status, sa.func.count())
        .where(scope_condition(t, client_id, batch_id))
        .group_by(t.leads.c.status)
    ).all()
    return {r[0]: int(r[1]) for r in rows}


def as_dicts(rows: Iterable[Any]) -> list[dict[str, Any]]:
    """Mappings -> plain dicts."""
    return [dict(r) for r in rows]
