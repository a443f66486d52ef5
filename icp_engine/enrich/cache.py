"""The profile cache shared by all clients: which cached item serves which lead (SQL: :mod:`icp_engine.db.profile_cache`).

A scraped item is stored once per person under ``profile_key`` (the vanity when the item has
one, else the ``ACoAA…`` id - the same convention as :attr:`Follower.key`), with its
``profile_id`` and ``vanity`` as lookup aliases. An item is *fresh* for ``ttl_days`` (30 by
default, ``Settings.profile_cache_ttl_days``) after ``fetched_at``; a fresh item means no actor run
is started for that person (never pay twice).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..db import profile_cache as sql
from . import EnrichRequest
from .extract import is_empty_item, item_keys
from .matching import request_identities


@contextmanager
def _conn(conn_or_db: Any) -> Iterator[Any]:
    """The connection itself (it has ``execute``), or a transaction of a :class:`~icp_engine.db.Database`."""
    if hasattr(conn_or_db, "execute"):
        yield conn_or_db
    else:
        with conn_or_db.begin() as conn:
            yield conn


def cache_key(item: dict[str, Any]) -> str | None:
    """``profile_key`` for an item: its vanity (lower-cased, decoded), else its ``ACoAA`` id, else None."""
    pid, vanity, _ = item_keys(item)
    return vanity or pid


def get_fresh(conn_or_db: Any, requests: Sequence[EnrichRequest], ttl_days: int = 30) -> dict[int, dict[str, Any]]:
    """Fresh cached items for ``requests``: ``{lead_id: item}``.

    A request is served by a row whose ``profile_key`` is one of its keys (key, vanity, profile
    id), or whose ``profile_id`` / ``vanity`` column equals one of its ids, and whose
    ``fetched_at`` is less than ``ttl_days`` days old. When several rows match, the newest wins;
    an item whose ``ACoAA`` id differs from the request's known id is never used (reused vanity).
    ``conn_or_db``: a :class:`~icp_engine.db.Database` or an open SQLAlchemy connection.
    """
    if not requests:
        return {}
    idents = {r.lead_id: request_identities(r) for r in requests}
    keys: set[str] = set()
    for pids, vans, urls in idents.values():
        keys |= pids | vans | urls
    keys.discard("")
    if not keys:
        return {}
    with _conn(conn_or_db) as conn:
        rows = sql.fresh_rows(conn, sorted(keys), ttl_days)
    rows.sort(key=lambda r: r.fetched_at, reverse=True)
    index: dict[str, dict[str, Any]] = {}
    for r in rows:  # newest first: keep the first seen per alias
        for k in (r.profile_key, r.profile_id, r.vanity):
            if k and k not in index:
                index[k] = r.item
    out: dict[int, dict[str, Any]] = {}
    for lead_id, (pids, vans, urls) in idents.items():
        for k in [*sorted(pids), *sorted(vans), *sorted(urls)]:
            item = index.get(k)
            if item is None:
                continue
            item_pid = item_keys(item)[0]
            if pids and item_pid and item_pid not in pids:
                continue  # a reused vanity: the cached person has another profile id
            out[lead_id] = item
            break
    return out


def put(
    conn_or_db: Any,
    items: Iterable[dict[str, Any]],
    *,
    source: str = "apify",
    keys: Sequence[str | None] | None = None,
) -> int:
    """Upsert items into the cache (``fetched_at`` = now); return how many rows were written.

    ``keys``: optional ``profile_key`` per item (parallel to ``items``), used to store an item
    under a lead's own key as well (e.g. a renamed profile matched by input URL); None entries
    fall back to :func:`cache_key`. Items with no identity or no profile data
    (:func:`~icp_engine.enrich.extract.is_empty_item`) are skipped.
    """
    items = list(items)
    rows: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict) or is_empty_item(item):
            continue
        pid, vanity, _ = item_keys(item)
        key = (keys[i] if keys is not None and i < len(keys) else None) or vanity or pid
        if not key:
            continue
        rows[key] = {"profile_key": key, "profile_id": pid, "vanity": vanity, "source": source, "item": item}
    if not rows:
        return 0
    with _conn(conn_or_db) as conn:
        return sql.upsert(conn, list(rows.values()))
