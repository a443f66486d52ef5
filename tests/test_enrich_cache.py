"""The shared profile cache (table profile_cache), on the real Postgres."""

from __future__ import annotations

import json

import sqlalchemy as sa

from conftest import FIXTURES
from icp_engine.enrich import EnrichRequest
from icp_engine.enrich.cache import cache_key, get_fresh, put
from icp_engine.db import schema

OWN = FIXTURES / "enrich" / "apify_items.json"


def _items():
    return json.loads(OWN.read_text(encoding="utf-8"))


def test_put_and_get_fresh_by_key_id_vanity_and_url(db):
    items = _items()
    n = put(db, items, source="apify")
    assert n == 6  # the error item is not cached
    with db.begin() as conn:
        rows = conn.execute(sa.select(schema.profile_cache)).all()
    assert {r.profile_key for r in rows} >= {"maren-okafor-lind", "abena-mensah-clarke", "oskar-haaland"}
    assert all(r.source == "apify" for r in rows)

    reqs = [
        # by profile id (URN-keyed lead)
        EnrichRequest(1, "ACoAAD4fGh6Jk8Lm0Nb2Vc4Xz6Sa8Qw0Er2Ty4u",
                      "https://www.linkedin.com/in/ACoAAD4fGh6Jk8Lm0Nb2Vc4Xz6Sa8Qw0Er2Ty4u"),
        # by vanity, given in another case
        EnrichRequest(2, "tomasz-wierzbicki-fd", "https://www.linkedin.com/in/Tomasz-Wierzbicki-FD",
                      vanity="Tomasz-Wierzbicki-FD"),
        # by the vanity in the URL only
        EnrichRequest(3, "x", "https://www.linkedin.com/in/lucia-ferrante/"),
        # unknown
        EnrichRequest(4, "nobody", "https://www.linkedin.com/in/nobody"),
    ]
    got = get_fresh(db, reqs)
    assert set(got) == {1, 2, 3}
    assert got[1]["firstName"] == "Abena" and got[2]["firstName"] == "Tomasz" and got[3]["firstName"] == "Lucia"
    # also works on an open connection
    with db.begin() as conn:
        assert set(get_fresh(conn, reqs)) == {1, 2, 3}


def test_ttl_30_days_and_upsert_refreshes(db):
    item = _items()[0]
    put(db, [item])
    req = EnrichRequest(1, "maren-okafor-lind", "https://www.linkedin.com/in/maren-okafor-lind")
    assert 1 in get_fresh(db, [req], ttl_days=30)
    with db.begin() as conn:
        conn.execute(sa.text("UPDATE profile_cache SET fetched_at = now() - interval '31 days'"))
    assert get_fresh(db, [req], ttl_days=30) == {}
    assert 1 in get_fresh(db, [req], ttl_days=40)
    changed = dict(item, headline="New headline")
    put(db, [changed])  # upsert: one row, fresh again, new content
    got = get_fresh(db, [req])
    assert got[1]["headline"] == "New headline"
    with db.begin() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM profile_cache")).scalar() == 1


def test_put_under_explicit_alias_key(db):
    item = [i for i in _items() if i.get("publicIdentifier") == "gwen-ashcombe-new"][0]
    put(db, [item], keys=["gwendolyn-ashcombe-77"])
    req = EnrichRequest(1, "gwendolyn-ashcombe-77", "https://uk.linkedin.com/in/gwendolyn-ashcombe-77/")
    assert get_fresh(db, [req])[1]["firstName"] == "Gwendolyn"
    assert cache_key(item) == "gwen-ashcombe-new"
    assert get_fresh(db, []) == {}
    assert put(db, []) == 0


def test_reused_vanity_with_other_profile_id_is_not_served(db):
    item = _items()[0]  # maren-okafor-lind, ACoAAB3x...
    put(db, [item])
    other = EnrichRequest(1, "maren-okafor-lind", "https://www.linkedin.com/in/maren-okafor-lind",
                          profile_id="ACoAAZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", vanity="maren-okafor-lind")
    same = EnrichRequest(2, "maren-okafor-lind", "https://www.linkedin.com/in/maren-okafor-lind",
                         profile_id=item["profileId"], vanity="maren-okafor-lind")
    assert set(get_fresh(db, [other, same])) == {2}
