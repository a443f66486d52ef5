"""The declared schema (icp_engine/db/schema.py) and the migrated database agree.

Alembic's autogenerate compares the live, migrated database with ``schema.metadata`` (types,
nullability, server defaults, indexes, unique and foreign keys): it must find nothing to do, so a
column added to the schema without a migration (or the reverse) fails here.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from icp_engine.db import schema


def _diff(conn) -> list:
    ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True,
                                                 "include_name": schema.include_name})
    return compare_metadata(ctx, schema.metadata)


def test_autogenerate_finds_no_difference(database):
    with database.connect() as conn:
        assert _diff(conn) == []


def test_a_schema_change_without_migration_is_detected(database):
    md = sa.MetaData()
    for t in schema.metadata.tables.values():
        t.to_metadata(md)
    sa.Table("leads", md, sa.Column("shoe_size", sa.Integer), extend_existing=True)
    with database.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": schema.include_name})
        diff = compare_metadata(ctx, md)
    assert [d[0] for d in diff] == ["add_column"] and diff[0][3].name == "shoe_size"


@pytest.mark.parametrize("table", sorted(schema.metadata.tables))
def test_every_declared_table_exists(database, table):
    with database.connect() as conn:
        assert sa.inspect(conn).has_table(table)


def test_migration_0006_inputs2_backfills_existing_leads(database, settings):
    """A database at revision 0001 with leads: 0006_inputs2 fills ``name_key`` (the key of a URL-less
    lead; name + company, or the company of the headline, for the others) and clears the old
    offline classifier's letter-guessed industries so they are classified again."""
    from alembic import command
    from sqlalchemy.engine import make_url

    from icp_engine.db import Database, alembic_config

    name = "mig_inputs2_test"
    admin = sa.create_engine(database.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    url = make_url(database.url).set(database=name).render_as_string(hide_password=False)
    db = Database(settings, url=url, migrate=False)
    try:
        with db.engine.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0001")
            conn.execute(sa.text("INSERT INTO clients (name) VALUES ('Old')"))
            conn.execute(sa.text("INSERT INTO batches (client_id, name) VALUES (1, 'b')"))
            conn.execute(sa.text(
                "INSERT INTO leads (client_id, batch_id, profile_key, profile_url, input_url, name, headline, company, "
                "industry_class, company_type, classification_source) VALUES "
                "(1, 1, 'name:tamsin okafor|veldmark staffing', '', '', 'Tamsin Okafor', NULL, 'Veldmark Staffing',"
                " NULL, 'unknown', 'offline'),"
                "(1, 1, 'rafael-q', 'https://www.linkedin.com/in/rafael-q', 'https://www.linkedin.com/in/rafael-q',"
                " 'Rafael Quintero', 'Head of Finance at Ostrava Logistics s.r.o.', NULL,"
                " 'Truck Transportation', 'smb', 'offline'),"
                "(1, 1, 'no-name', 'https://www.linkedin.com/in/no-name', 'https://www.linkedin.com/in/no-name',"
                " NULL, NULL, NULL, 'Banking', 'enterprise', 'apify')"))
        with db.engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        with db.engine.connect() as conn:
            rows = {r.profile_key: r for r in conn.execute(sa.text(
                "SELECT profile_key, name_key, industry_class, company_type, company_type_is_guess FROM leads"))}
            assert _diff(conn) == []
        assert rows["name:tamsin okafor|veldmark staffing"].name_key == "name:tamsin okafor|veldmark staffing"
        assert rows["rafael-q"].name_key == "name:rafael quintero|ostrava logistics"
        assert (rows["rafael-q"].industry_class, rows["rafael-q"].company_type) == (None, None)  # re-classified
        assert rows["no-name"].name_key is None
        assert (rows["no-name"].industry_class, rows["no-name"].company_type) == ("Banking", "enterprise")  # data
        assert rows["no-name"].company_type_is_guess is False
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()
