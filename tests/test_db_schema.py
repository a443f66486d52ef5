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
