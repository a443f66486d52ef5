"""SQL of erasure: removing one person everywhere, deleting a client with everything, purging
expired profile-cache rows.

The rules (which rows hold a person, what "everything" of a client is) are
:mod:`icp_engine.erasure`; this module finds and deletes rows. Every function takes an open
``Connection``; callers run one erasure in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ._util import Row, any_of, as_dicts
from .schema import (
    apify_runs,
    batch_members,
    batches,
    client_icps,
    clients,
    lead_embeddings,
    lead_feedback,
    lead_scores,
    leads,
    profile_cache,
    runs,
    text_embeddings,
)

L, P, A, T = leads.c, profile_cache.c, apify_runs.c, text_embeddings.c

#: Lead columns read before a lead is deleted (identity and the texts that may sit in caches).
PERSON_COLUMNS = (L.id, L.client_id, L.profile_key, L.profile_id, L.vanity, L.profile_url, L.input_url, L.name,
                  L.headline, L.titles, L.company, L.industry, L.summary, L.past_roles)


def _ids(values: Iterable[str]) -> list[str]:
    return sorted({v for v in values if v})


def leads_of_person(conn: Connection, keys: Iterable[str], profile_ids: Iterable[str], vanities: Iterable[str]
                    ) -> list[Row]:
    """Leads of every client whose profile key is one of ``keys`` / ``profile_ids`` / ``vanities``,
    or whose ``profile_id`` or ``vanity`` column is one of them (:data:`PERSON_COLUMNS`)."""
    pids, vans = _ids(profile_ids), _ids(vanities)
    all_keys = _ids([*keys, *pids, *vans])
    if not all_keys:
        return []
    cond = [L.profile_key == any_of("keys", all_keys)]
    if pids:
        cond.append(L.profile_id == any_of("pids", pids))
    if vans:
        cond.append(L.vanity == any_of("vans", vans))
    return as_dicts(conn.execute(sa.select(*PERSON_COLUMNS).where(sa.or_(*cond))).mappings())


def lead_dependants(conn: Connection, lead_ids: Sequence[int]) -> dict[str, int]:
    """How many rows hang on these leads: ``{"scores", "labels", "vectors", "batch_memberships"}``."""
    ids = list(lead_ids)
    out = {}
    for name, table in (("scores", lead_scores), ("labels", lead_feedback), ("vectors", lead_embeddings),
                        ("batch_memberships", batch_members)):
        out[name] = int(conn.execute(
            sa.select(sa.func.count()).select_from(table).where(table.c.lead_id == any_of("ids", ids, sa.BigInteger))
        ).scalar_one()) if ids else 0
    return out


def delete_leads(conn: Connection, lead_ids: Sequence[int]) -> int:
    """Delete leads; their scores, labels, vectors and batch memberships go with them (cascade)."""
    if not lead_ids:
        return 0
    return int(conn.execute(leads.delete().where(L.id == any_of("ids", list(lead_ids), sa.BigInteger))).rowcount)


def profile_cache_rows(conn: Connection, keys: Iterable[str], profile_ids: Iterable[str], vanities: Iterable[str]
                       ) -> list[Row]:
    """``profile_cache`` rows (key, id, vanity, item) of a person: the key, the profile id or the
    vanity is one of the given identifiers."""
    ident = _ids([*keys, *profile_ids, *vanities])
    if not ident:
        return []
    rows = conn.execute(
        sa.select(P.profile_key, P.profile_id, P.vanity, P.item).where(sa.or_(
            P.profile_key == any_of("k", ident), P.profile_id == any_of("p", ident), P.vanity == any_of("v", ident)))
    ).mappings()
    return as_dicts(rows)


def delete_profile_cache(conn: Connection, profile_keys: Iterable[str]) -> int:
    """Delete cache rows by ``profile_key``; returns how many."""
    ks = _ids(profile_keys)
    if not ks:
        return 0
    return int(conn.execute(profile_cache.delete().where(P.profile_key == any_of("k", ks))).rowcount)


def purge_expired_profiles(conn: Connection, ttl_days: float) -> int:
    """Delete cache rows fetched ``ttl_days`` days ago or earlier; returns how many."""
    cutoff = sa.func.now() - sa.func.make_interval(0, 0, 0, 0, 0, 0, float(ttl_days) * 86400)
    return int(conn.execute(profile_cache.delete().where(P.fetched_at <= cutoff)).rowcount)


def ledger_rows_touching(conn: Connection, lead_ids: Sequence[int], url_fragments: Iterable[str]) -> list[Row]:
    """Apify ledger rows (``id, input_urls, lead_ids``) holding one of ``lead_ids`` or an input URL
    containing one of ``url_fragments`` (case-insensitive)."""
    frags = _ids(url_fragments)
    cond: list[Any] = []
    if lead_ids:
        cond.append(A.lead_ids.overlap(sa.cast(list(lead_ids), A.lead_ids.type)))
    for i, f in enumerate(frags):
        cond.append(sa.cast(A.input_urls, sa.Text).ilike(sa.bindparam(f"f{i}", "%" + f + "%")))
    if not cond:
        return []
    return as_dicts(conn.execute(sa.select(A.id, A.input_urls, A.lead_ids).where(sa.or_(*cond))).mappings())


def set_ledger_people(conn: Connection, row_id: int, input_urls: list[Any], lead_ids: list[int]) -> None:
    """Replace the person data (``input_urls``, ``lead_ids``) of a ledger row."""
    conn.execute(apify_runs.update().where(A.id == row_id).values(input_urls=input_urls, lead_ids=lead_ids))


def text_embedding_texts(conn: Connection, batch: int = 5000) -> Iterator[tuple[str, str, str]]:
    """Every ``(model, text_sha1, text)`` of the embedding cache, streamed ``batch`` rows at a time
    (keyset on the primary key, so the table is never loaded at once)."""
    after: tuple[str, str] = ("", "")
    while True:
        rows = conn.execute(
            sa.select(T.model, T.text_sha1, T.text)
            .where(sa.tuple_(T.model, T.text_sha1) > sa.tuple_(sa.literal(after[0]), sa.literal(after[1])))
            .order_by(T.model, T.text_sha1).limit(batch)
        ).all()
        if not rows:
            return
        for r in rows:
            yield str(r[0]), str(r[1]), str(r[2])
        after = (str(rows[-1][0]), str(rows[-1][1]))


def delete_text_embeddings(conn: Connection, keys: Sequence[tuple[str, str]]) -> int:
    """Delete embedding-cache rows by ``(model, text_sha1)``; returns how many."""
    n = 0
    by_model: dict[str, list[str]] = {}
    for model, sha in keys:
        by_model.setdefault(model, []).append(sha)
    for model, shas in by_model.items():
        for i in range(0, len(shas), 5000):
            n += int(conn.execute(text_embeddings.delete().where(
                T.model == model, T.text_sha1 == any_of("s", shas[i:i + 5000]))).rowcount)
    return n


# ----------------------------------------------------------------------------- clients


def client_leads(conn: Connection, client_id: int) -> list[Row]:
    """:data:`PERSON_COLUMNS` of every lead of a client."""
    return as_dicts(conn.execute(sa.select(*PERSON_COLUMNS).where(L.client_id == client_id)).mappings())


def keys_of_other_clients(conn: Connection, client_id: int, keys: Iterable[str]) -> set[str]:
    """Which of these identifiers are a profile key, profile id or vanity of a lead of another client."""
    ks = _ids(keys)
    if not ks:
        return set()
    found: set[str] = set()
    for i in range(0, len(ks), 5000):
        chunk = ks[i:i + 5000]
        rows = conn.execute(
            sa.select(L.profile_key, L.profile_id, L.vanity).where(
                L.client_id != client_id,
                sa.or_(L.profile_key == any_of("k", chunk), L.profile_id == any_of("p", chunk),
                       L.vanity == any_of("v", chunk)))
        ).all()
        for r in rows:
            found.update(x for x in r if x)
    return found & set(ks)


def client_counts(conn: Connection, client_id: int) -> dict[str, int]:
    """What a client holds: ``{"icp_versions", "batches", "leads", "runs", "labels", "scores", "vectors",
    "apify_runs"}``."""
    def count(q: Any) -> int:
        return int(conn.execute(q).scalar_one())

    lead_ids = sa.select(L.id).where(L.client_id == client_id)
    run_ids = sa.select(runs.c.id).where(runs.c.client_id == client_id)
    return {
        "icp_versions": count(sa.select(sa.func.count()).where(client_icps.c.client_id == client_id)),
        "batches": count(sa.select(sa.func.count()).where(batches.c.client_id == client_id)),
        "leads": count(sa.select(sa.func.count()).where(L.client_id == client_id)),
        "runs": count(sa.select(sa.func.count()).where(runs.c.client_id == client_id)),
        "labels": count(sa.select(sa.func.count()).where(lead_feedback.c.client_id == client_id)),
        "scores": count(sa.select(sa.func.count()).where(lead_scores.c.lead_id.in_(lead_ids))),
        "vectors": count(sa.select(sa.func.count()).where(lead_embeddings.c.lead_id.in_(lead_ids))),
        "apify_runs": count(sa.select(sa.func.count()).where(A.run_id.in_(run_ids))),
    }


def client_profiles_paths(conn: Connection, client_id: int | None = None) -> list[tuple[int, str]]:
    """``(client_id, profiles_path)`` of runs that read an uploaded Apify file (all clients when None)."""
    path = runs.c.options["profiles_path"].astext
    q = sa.select(runs.c.client_id, path).where(path.is_not(None))
    if client_id is not None:
        q = q.where(runs.c.client_id == client_id)
    return [(int(r[0]), str(r[1])) for r in conn.execute(q).all()]


def delete_client(conn: Connection, client_id: int) -> bool:
    """Delete a client with its Apify ledger rows, runs, ICP versions, batches and leads (scores,
    labels, vectors and batch memberships cascade). True when the client existed."""
    run_ids = sa.select(runs.c.id).where(runs.c.client_id == client_id)
    conn.execute(apify_runs.delete().where(A.run_id.in_(run_ids)))
    conn.execute(runs.delete().where(runs.c.client_id == client_id))
    return conn.execute(clients.delete().where(clients.c.id == client_id)).rowcount == 1
