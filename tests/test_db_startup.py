"""Start-up of a command: the schema check is one query when the database is current (issue 15)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from icp_engine.db.database import alembic_config, migration_heads

ROOT = Path(__file__).resolve().parent.parent


def test_the_heads_read_from_the_files_are_alembics_heads():
    from alembic.script import ScriptDirectory

    assert migration_heads() == frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def test_a_current_database_skips_alembic_and_an_older_one_is_upgraded(database, monkeypatch):
    assert database.schema_is_current()
    calls: list[str] = []
    import alembic.command

    monkeypatch.setattr(alembic.command, "upgrade", lambda cfg, rev: calls.append(rev))
    database.migrate()
    assert calls == []  # current: alembic not asked
    (head,) = migration_heads() or {""}
    with database.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0006_match2'"))
    try:
        assert not database.schema_is_current()
        database.migrate()  # an older database: alembic upgrades it (recorded here, not run)
    finally:
        with database.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :h"), {"h": head})
    assert calls == ["head"]
    assert database.schema_is_current()


def test_a_command_does_not_import_alembic_pandas_or_scipy_at_start():
    code = ("import sys, icp_engine.engine, icp_engine.cli; "
            "print(sorted(m for m in ('alembic', 'pandas', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
