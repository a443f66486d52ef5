"""The connection to PostgreSQL + pgvector: one SQLAlchemy engine, migrations on start.

With ``DATABASE_URL`` set, that server is used (any Postgres with the ``vector`` extension,
e.g. Supabase). Without it, the embedded server of :mod:`icp_engine.db.embedded` is started.
The schema is the Alembic history in ``icp_engine/db/migrations``; :meth:`Database.migrate`
applies it idempotently under a Postgres advisory lock, so several workers may start at once.
Tables are declared in :mod:`icp_engine.db.schema` (not reflected).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:  # pragma: no cover - alembic is imported only when a migration may be needed
    from alembic.config import Config

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
        """Apply pending migrations (idempotent; serialised across processes by an advisory lock).

        When the database's ``alembic_version`` already is the one head of the migration files
        (:func:`migration_heads`), nothing is imported or locked: one query. (Alembic's import and
        its upgrade check were 0.15 s of every CLI command.)"""
        if self.schema_is_current():
            return
        from alembic import command

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

    def schema_is_current(self) -> bool:
        """True when the database's Alembic version is exactly the head of the migration files."""
        heads = migration_heads()
        if heads is None:
            return False
        try:
            with self.engine.connect() as conn:
                have = {str(v) for v in conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()}
        except sa.exc.DBAPIError:  # no alembic_version table yet: a new database
            return False
        return have == heads

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


_REVISION_RE = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN_RE = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", re.M)


@lru_cache(maxsize=1)
def migration_heads() -> frozenset[str] | None:
    """The head revision ids of the migration files (``revision`` not named by any file's
    ``down_revision``), read from their text without importing Alembic; None when a file does not
    have the two plain assignments this expects (then :meth:`Database.migrate` asks Alembic)."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        rev, down = _REVISION_RE.search(text), _DOWN_RE.search(text)
        if rev is None or down is None:
            return None
        revisions.add(rev.group(1))
        downs.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    heads = frozenset(revisions - downs)
    return heads or None


def alembic_config() -> Config:
    """The Alembic configuration of the product's migrations (no ``alembic.ini`` needed)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg
