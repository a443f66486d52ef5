"""The connection to PostgreSQL + pgvector: one SQLAlchemy engine, migrations on start.

With ``DATABASE_URL`` set, that server is used (any Postgres with the ``vector`` extension,
e.g. Supabase). Without it, the embedded server of :mod:`icp_engine.db.embedded` is started.
The schema is the Alembic history in ``icp_engine/db/migrations``; :meth:`Database.migrate`
applies it idempotently under a Postgres advisory lock, so several workers may start at once.
Tables are declared in :mod:`icp_engine.db.schema` (not reflected).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine

from ..config import Settings
from ..errors import DatabaseError
from .embedded import normalise_url, release_embedded_postgres, start_embedded_postgres

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK_KEY = 7_301_955_001  # arbitrary constant for pg_advisory_lock


class Database:
    """One SQLAlchemy engine on the product's database.

    ``Database(settings)`` connects to ``settings.database_url`` or the embedded server and runs
    the migrations (``migrate=False`` skips them, e.g. for a process that only reads). Use
    :meth:`begin` for a transaction, :meth:`connect` for reads.
    Raises :class:`~icp_engine.errors.DatabaseError` when the server is unreachable or pgvector
    is missing.
    """

    def __init__(self, settings: Settings | None = None, *, url: str | None = None, migrate: bool = True):
        self.settings = settings or Settings()
        raw = url or self.settings.database_url
        self.embedded = raw is None
        if raw is None:
            raw = start_embedded_postgres(self.settings.icp_data_dir,
                                          idle_stop_s=self.settings.embedded_idle_stop_s)
        self.url = normalise_url(raw)
        self.engine: Engine = sa.create_engine(self.url, pool_pre_ping=True, pool_size=5, max_overflow=10)
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.OperationalError as exc:
            raise DatabaseError(f"cannot connect to the database: {exc.orig}") from exc
        if migrate:
            self.migrate()

    def migrate(self) -> None:
        """Apply pending migrations (idempotent; serialised across processes by an advisory lock)."""
        with self.engine.begin() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
            try:
                try:
                    conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
                except sa.exc.DBAPIError as exc:
                    raise DatabaseError(
                        "the database lacks the pgvector extension (CREATE EXTENSION vector failed): "
                        f"{exc.orig}"
                    ) from exc
                cfg = alembic_config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK_KEY})

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection inside a transaction, committed on success, rolled back on error."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A plain connection (autocommit off; call ``conn.commit()`` yourself)."""
        with self.engine.connect() as conn:
            yield conn

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def release(self) -> bool:
        """End of a one-shot command: close the pools and, for an embedded server this process
        started that nobody else is connected to, stop it. True if the server was stopped."""
        self.dispose()
        if not self.embedded:
            return False
        return release_embedded_postgres(self.settings.icp_data_dir, self.url)


def alembic_config() -> Config:
    """The Alembic configuration of the product's migrations (no ``alembic.ini`` needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg
