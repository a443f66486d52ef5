"""Erasure on a real Postgres: ``forget`` removes one person everywhere, ``clients delete`` removes
one client with everything and leaves the other untouched, the profile cache's TTL purges rows.

The proof is a ``pg_dump`` of the whole database (schema and data) searched for the person's name,
vanity and profile id. Both clients are qualified by real runs (apify-json enrichment, so the
profile cache, the embedding cache and whole-profile vectors are filled as in production).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from typer.testing import CliRunner

from icp_engine.cli import app
from icp_engine.db import apify_ledger, schema
from icp_engine.domain import ICP
from icp_engine.pipeline import RunOptions
from tests.conftest import FIXTURES

PAGE = FIXTURES / "ui" / "followers_finance.html"
ITEMS = FIXTURES / "ui" / "apify_items_finance.json"
ICP_FIN = ICP(name="Finance leaders", target_titles=["CFO", "VP Finance", "Head of Finance"],
              target_industries=["Software Development"], company_sizes=["51-200", "201-500"])
INGRID = {"url": "https://www.linkedin.com/in/ingrid-salvesen-cfo/", "name": "Ingrid Salvesen",
          "vanity": "ingrid-salvesen-cfo", "pid": "ACoAAle8aOkapObhoauwTwXnoY9FoQi8out19xx"}
MARCUS = {"name": "Marcus Oyelaran", "pid": "ACoAAGEKWOzNEW1oMOPQTq2nTeRrYQZm5hWoBxx"}


@pytest.fixture()
def eng(settings, db):
    from icp_engine.engine import Engine

    return Engine(settings, db=db)


@pytest.fixture()
def cli(db, settings, monkeypatch):
    monkeypatch.setenv("ICP_DATA_DIR", str(settings.icp_data_dir))
    if settings.database_url:
        monkeypatch.setenv("DATABASE_URL", settings.database_url)
    for key in ("OPENAI_API_KEY", "APIFY_API_TOKEN", "JINA_API_KEY", "COHERE_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args), catch_exceptions=False)


def _qualified_client(eng, name: str, *, items_path: str, people_filter=None) -> dict:
    c = eng.create_client(name, author="setup")
    eng.save_icp(c["id"], ICP_FIN, author="setup")
    parsed = eng.parse_upload(PAGE.name, PAGE.read_bytes())
    people = [p for p in parsed.people if people_filter is None or people_filter(p)]
    batch = eng.ingest_followers(c["id"], people, batch_name=f"{name} followers", source_filename=PAGE.name)
    run_id = eng.create_run(c["id"], batch_id=batch["id"], options=RunOptions(enrich="apify-json",
                                                                               profiles_path=items_path))
    final = eng.execute_run(run_id)
    assert final["status"] == "completed", final
    return {"client": c, "batch": batch, "run_id": run_id}


@pytest.fixture()
def two_clients(eng, db, settings):
    """North (all 12 people) and South (Ingrid, Marcus and Theo), both qualified from the saved
    page plus an uploaded Apify file; a review label, an Apify ledger row and a name-bearing cached
    text for Ingrid; every cache filled by the runs."""
    items_path = eng.save_apify_items("dataset.json", ITEMS.read_bytes())
    north = _qualified_client(eng, "North Agency", items_path=items_path)
    south = _qualified_client(eng, "South Agency", items_path=items_path,
                              people_filter=lambda p: p.name in ("Ingrid Salvesen", "Marcus Oyelaran", "Theo Lindgren"))
    ids = {}
    with db.begin() as conn:
        for r in conn.execute(sa.select(schema.leads.c.id, schema.leads.c.client_id, schema.leads.c.name)):
            ids[(r.client_id, r.name)] = r.id
        ingrid_leads = [v for (cid, n), v in ids.items() if n == INGRID["name"]]
        apify_ledger.insert_pending(conn, run_id=north["run_id"], actor_id="actor", owner="test",
                                    urls=[INGRID["url"], "https://www.linkedin.com/in/marcus-oyelaran/"],
                                    lead_ids=[*ingrid_leads, ids[(north["client"]["id"], MARCUS["name"])]])
        # a headline-like cached text naming her (what the scorer stores for a name-only headline)
        conn.execute(pg_insert(schema.text_embeddings).values(
            model="test-model", text_sha1="x" * 40, text="ingrid salvesen | finance", dim=2, embedding=[0.1, 0.2])
            .on_conflict_do_nothing())
    eng.record_feedback(ids[(north["client"]["id"], INGRID["name"])], "keep", "dana")
    eng.record_feedback(ids[(south["client"]["id"], MARCUS["name"])], "keep", "dana")
    return {"north": north, "south": south, "ids": ids, "items_path": items_path}


def _count(db, table, *where) -> int:
    with db.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one())


def test_forget_removes_the_person_everywhere(two_clients, cli, db, pg_dump, settings):
    before = pg_dump()
    for needle in (INGRID["name"], INGRID["pid"], INGRID["vanity"]):
        assert needle in before, needle  # the test data really holds her in the dump
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.profile_cache)).scalar_one() >= 4
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.lead_embeddings)).scalar_one() == 15

    refused = cli("forget", INGRID["url"])  # without --yes nothing happens
    assert refused.exit_code == 1 and INGRID["name"] in pg_dump()

    res = cli("forget", INGRID["url"], "--yes")
    assert res.exit_code == 0, res.output
    out = res.output
    assert "2 lead(s) in 2 client(s)" in out and "1 review label(s)" in out and "cached profile(s)" in out
    assert "whole-profile vector(s)" in out and "Apify ledger row(s)" in out and "uploaded Apify file(s) rewritten" in out

    dump = pg_dump()
    low = dump.lower()
    for needle in (INGRID["name"], "salvesen", INGRID["pid"], INGRID["vanity"]):
        assert needle.lower() not in low, needle
    # everyone else is still there, in both clients, with scores, labels, cache rows, ledger entry
    assert MARCUS["name"] in dump and MARCUS["pid"] in dump
    assert _count(db, schema.leads) == 13 and _count(db, schema.lead_scores) == 13
    assert _count(db, schema.lead_feedback) == 1
    with db.connect() as conn:
        ledger = conn.execute(sa.select(schema.apify_runs.c.input_urls, schema.apify_runs.c.lead_ids)).one()
    assert ledger.input_urls == ["https://www.linkedin.com/in/marcus-oyelaran/"] and len(ledger.lead_ids) == 1
    # the uploaded Apify file no longer holds her; the other items are intact
    items = json.loads(Path(two_clients["items_path"]).read_text(encoding="utf-8"))
    assert len(items) == 3 and all(i.get("publicIdentifier") != INGRID["vanity"] for i in items)
    # the audit trail says a person was forgotten, with counts only
    with db.connect() as conn:
        entry = conn.execute(sa.select(schema.audit_log).where(schema.audit_log.c.action == "person.forget")).one()
    assert entry.actor.startswith("cli") and entry.details["leads"] == 2 and entry.target_id is None

    again = cli("forget", INGRID["url"], "--yes")
    assert again.exit_code == 0 and "nothing stored about this person" in again.output


def test_forget_by_profile_id_url_and_bad_url(two_clients, eng, db, pg_dump):
    """A URL holding the ACoAA id finds the leads stored under the vanity (aliases are followed)."""
    report = eng.forget_person(f"https://www.linkedin.com/in/{MARCUS['pid']}", author="test")
    assert report.leads == 2 and sorted(report.clients) == sorted(
        [two_clients["north"]["client"]["id"], two_clients["south"]["client"]["id"]])
    assert report.labels == 1
    assert MARCUS["name"] not in pg_dump() and MARCUS["pid"] not in pg_dump()
    with pytest.raises(ValueError, match="not a LinkedIn profile URL"):
        eng.forget_person("https://example.com/someone")


def test_clients_delete_removes_one_client_and_leaves_the_other(two_clients, cli, db, pg_dump):
    north_id = two_clients["north"]["client"]["id"]
    south_id = two_clients["south"]["client"]["id"]
    south_before = {t: _count(db, getattr(schema, t), getattr(schema, t).c.client_id == south_id)
                    for t in ("leads", "batches", "runs", "client_icps", "lead_feedback")}
    south_scores = _count(db, schema.lead_scores, schema.lead_scores.c.lead_id.in_(
        sa.select(schema.leads.c.id).where(schema.leads.c.client_id == south_id)))
    with db.connect() as conn:
        south_rows = conn.execute(sa.select(schema.leads).where(schema.leads.c.client_id == south_id)
                                  .order_by(schema.leads.c.id)).mappings().all()

    assert cli("clients", "delete", "North Agency").exit_code == 1  # needs --yes
    assert _count(db, schema.clients) == 2
    res = cli("clients", "delete", "North Agency", "--yes")
    assert res.exit_code == 0, res.output
    assert f"deleted client #{north_id}" in res.output and "12 lead(s)" in res.output and "1 run(s)" in res.output

    for t in ("leads", "batches", "runs", "client_icps", "lead_feedback"):
        assert _count(db, getattr(schema, t), getattr(schema, t).c.client_id == north_id) == 0, t
    assert _count(db, schema.apify_runs) == 0  # the ledger row of North's run
    dump = pg_dump()
    # people who were leads of North only are gone from every table (and the shared caches)
    for name in ("Aiko Fujimura", "Oliver Pennington", "Helena Castellanos", "Lucas Ferreira", "North Agency"):
        assert name not in dump, name
    for pid in ("ACoAA8cwECa5ppwWan5ZxG4YS0jGi9o6KDndPxx", "ACoAAAQUstzomZ7Qvw5Zw1GSRJSDvNX9aPV1vxx"):
        assert pid not in dump
    # South is untouched: same rows, scores and labels; its people keep their cached profiles
    for t, n in south_before.items():
        assert _count(db, getattr(schema, t), getattr(schema, t).c.client_id == south_id) == n, t
    assert _count(db, schema.lead_scores, schema.lead_scores.c.lead_id.in_(
        sa.select(schema.leads.c.id).where(schema.leads.c.client_id == south_id))) == south_scores
    with db.connect() as conn:
        after = conn.execute(sa.select(schema.leads).where(schema.leads.c.client_id == south_id)
                             .order_by(schema.leads.c.id)).mappings().all()
        cached = set(conn.execute(sa.select(schema.profile_cache.c.vanity)).scalars())
    assert [dict(r) for r in after] == [dict(r) for r in south_rows]
    assert {"ingrid-salvesen-cfo", "marcus-oyelaran"} <= cached
    assert "South Agency" in dump and INGRID["name"] in dump
    with db.connect() as conn:
        entry = conn.execute(sa.select(schema.audit_log).where(schema.audit_log.c.action == "client.delete")).one()
    assert entry.target_id == north_id and entry.details["leads"] == 12
    assert "North" not in json.dumps(entry.details)


def test_clients_delete_unknown_name(cli, db):
    res = cli("clients", "delete", "Nobody", "--yes")
    assert res.exit_code == 2 and "No client named" in res.output


def test_expired_profiles_are_purged_on_start_and_before_runs(eng, db, settings):
    from icp_engine.engine import Engine

    with db.begin() as conn:
        for key, age in (("fresh-person", 1), ("old-person", 31), ("older-person", 400)):
            conn.execute(schema.profile_cache.insert().values(
                profile_key=key, vanity=key, source="apify", item={"publicIdentifier": key},
                fetched_at=sa.func.now() - sa.func.make_interval(0, 0, 0, age)))
    Engine(settings, db=db)  # start
    with db.connect() as conn:
        assert set(conn.execute(sa.select(schema.profile_cache.c.profile_key)).scalars()) == {"fresh-person"}
        conn.execute(schema.profile_cache.update().values(fetched_at=sa.func.now() - sa.text("interval '40 days'")))
        conn.commit()
    c = eng.create_client("Acme")
    eng.save_icp(c["id"], ICP_FIN)
    eng.ingest_followers(c["id"], eng.parse_upload(PAGE.name, PAGE.read_bytes()).people[:2], batch_name="b")
    eng.create_run(c["id"])  # run start
    assert _count(db, schema.profile_cache) == 0


def test_reviewer_may_not_erase(eng, db):
    from icp_engine import PermissionDenied, Role

    admin = eng.auth.create_user("boss", "correct horse battery", Role.ADMIN, actor="test")
    rev = eng.auth.create_user("rita", "correct horse battery", Role.REVIEWER, actor=admin)
    c = eng.create_client("Acme", author=admin)
    with pytest.raises(PermissionDenied):
        eng.delete_client(c["id"], author=rev)
    with pytest.raises(PermissionDenied):
        eng.forget_person(INGRID["url"], author=rev)
    assert _count(db, schema.clients) == 1
    eng.delete_client(c["id"], author=admin)
    assert _count(db, schema.clients) == 0
