"""SQL of discovery calls (table ``fathom_calls``) and of the client's e-mail domains
(``clients.email_domains``).

One row per call read for a client: the transcript (utterances, invitees), what the extractor found
(``findings``), which extractor, ``status`` (:class:`~icp_engine.enums.CallStatus`), who imported
it and the ICP version saved by the review that included it. The proposal of a client is the
accumulation of every ``processed`` row (:mod:`icp_engine.calls.service`). Every function takes
an open ``Connection``; rows are plain dicts of the table's columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..enums import CallStatus
from ..errors import NotFound
from ._util import Row, any_of, as_dicts
from .schema import clients, fathom_calls

K, C = fathom_calls.c, clients.c

#: Columns of a call without its transcript and findings (lists of calls on screen).
SUMMARY_COLUMNS = [
    K.id, K.client_id, K.call_key, K.source, K.recording_id, K.title, K.call_date, K.url, K.language,
    K.duration_s, K.filename, K.invitee_domains, K.extractor, K.status, K.error, K.imported_by, K.imported_at,
    K.read_at, K.applied_icp_version_id,
    sa.func.jsonb_array_length(K.utterances).label("turns"),
    sa.func.jsonb_array_length(K.findings).label("findings_count"),
]


def lock_client(conn: Connection, client_id: int) -> Row:
    """The client's row, locked for this transaction (serialises imports and reviews of one
    client); raises :class:`NotFound`."""
    row = conn.execute(sa.select(clients).where(C.id == client_id).with_for_update()).mappings().first()
    if row is None:
        raise NotFound(f"no client {client_id!r}")
    return dict(row)


def email_domains(conn: Connection, client_id: int) -> list[str]:
    """The client's e-mail domains (``[]`` when none); raises :class:`NotFound`."""
    row = conn.execute(sa.select(C.email_domains).where(C.id == client_id)).first()
    if row is None:
        raise NotFound(f"no client {client_id!r}")
    return list(row[0] or [])


def set_email_domains(conn: Connection, client_id: int, domains: Sequence[str]) -> list[str]:
    """Replace the client's e-mail domains (already normalised by the caller); returns them.
    Raises :class:`NotFound`."""
    res = conn.execute(clients.update().where(C.id == client_id).values(email_domains=list(domains))
                       .returning(C.email_domains)).first()
    if res is None:
        raise NotFound(f"no client {client_id!r}")
    return list(res[0])


def find_same(conn: Connection, client_id: int, call_key: str, content_sha256: str) -> Row | None:
    """A stored call of the client with this key or the same transcript text, or None."""
    row = conn.execute(
        sa.select(*SUMMARY_COLUMNS).where(K.client_id == client_id,
                                          sa.or_(K.call_key == call_key, K.content_sha256 == content_sha256))
        .order_by(K.id).limit(1)
    ).mappings().first()
    return dict(row) if row else None


def insert_call(conn: Connection, client_id: int, values: dict[str, Any]) -> Row:
    """Insert one call (``values``: the table's columns except id/client_id); returns its summary."""
    vals = dict(values)
    if isinstance(vals.get("call_date"), str):
        vals["call_date"] = _date(vals["call_date"])
    new_id = conn.execute(fathom_calls.insert().values(client_id=client_id, **vals).returning(K.id)).scalar_one()
    return get_call(conn, int(new_id), content=False)


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def get_call(conn: Connection, call_id: int, *, content: bool = True) -> Row:
    """One call by id (with ``utterances``, ``invitees`` and ``findings`` when ``content``);
    raises :class:`NotFound`."""
    cols = [fathom_calls] if content else SUMMARY_COLUMNS
    row = conn.execute(sa.select(*cols).where(K.id == call_id)).mappings().first()
    if row is None:
        raise NotFound(f"no call {call_id}")
    return dict(row)


def list_calls(conn: Connection, client_id: int, *, statuses: Iterable[CallStatus | str] | None = None,
               content: bool = False) -> list[Row]:
    """The client's calls in the order they happened (date, undated last, then import order).

    ``statuses``: only these; ``content``: include ``utterances``, ``invitees`` and ``findings``.
    """
    cols = [fathom_calls] if content else SUMMARY_COLUMNS
    q = sa.select(*cols).where(K.client_id == client_id)
    if statuses is not None:
        q = q.where(K.status == any_of("statuses", [str(s) for s in statuses]))
    q = q.order_by(K.call_date.asc().nulls_last(), K.id)
    return as_dicts(conn.execute(q).mappings())


def update_reading(conn: Connection, call_id: int, *, utterances: list[dict[str, Any]], findings: list[dict[str, Any]],
                   extractor: str, status: CallStatus | str, error: str | None) -> None:
    """Store a new reading of a call (roles, findings, extractor, status, error; ``read_at`` = now)."""
    conn.execute(fathom_calls.update().where(K.id == call_id).values(
        utterances=utterances, findings=findings, extractor=extractor, status=str(status), error=error,
        read_at=sa.func.now()))


def set_status(conn: Connection, client_id: int, call_id: int, status: CallStatus | str) -> bool:
    """Set a call's status (only a call of this client); True if it changed."""
    res = conn.execute(fathom_calls.update().where(K.id == call_id, K.client_id == client_id,
                                                   K.status != str(status)).values(status=str(status)))
    return bool(res.rowcount)


def mark_applied(conn: Connection, call_ids: Sequence[int], icp_version_id: int) -> None:
    """Record that a review which saved (or kept) ``icp_version_id`` included these calls."""
    if call_ids:
        conn.execute(fathom_calls.update().where(K.id == any_of("ids", list(call_ids), sa.BigInteger))
                     .values(applied_icp_version_id=icp_version_id))


def recording_ids(conn: Connection, client_id: int) -> dict[int, Row]:
    """``{recording_id: call summary}`` of the client's Fathom calls (which meetings were read)."""
    rows = conn.execute(sa.select(*SUMMARY_COLUMNS).where(K.client_id == client_id, K.recording_id.is_not(None))
                        ).mappings()
    return {int(r["recording_id"]): dict(r) for r in rows}
