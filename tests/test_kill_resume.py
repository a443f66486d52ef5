"""SIGKILL the CLI in the middle of a run, resume it: nothing lost, nothing done twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import ROOT


def _env(settings) -> dict[str, str]:
    env = dict(os.environ)
    env["ICP_DATA_DIR"] = str(settings.icp_data_dir)
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    env.pop("OPENAI_API_KEY", None)
    env.pop("APIFY_API_TOKEN", None)
    return env


def _events(conn) -> list[str]:
    """procrastinate's event log of the jobs, oldest first."""
    return list(conn.execute(sa.text("SELECT type::text FROM procrastinate_events ORDER BY id")).scalars())


def test_sigkill_mid_run_then_resume(db, settings, tmp_path: Path):
    n = 3000
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(f"https://www.linkedin.com/in/kill-test-{i:05d}" for i in range(n)) + "\n")
    icp = tmp_path / "icp.json"
    icp.write_text(json.dumps({"target_titles": ["CFO"], "keywords": ["finance"]}))
    cmd = [sys.executable, "-m", "icp_engine", "run", "--client", "Kill", "--icp", str(icp), "--input", str(urls),
           "--out", str(tmp_path / "out.csv"), "--chunk-size", "40", "--no-classify"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(settings), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    killed_at = None
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            with db.connect() as conn:
                done = conn.execute(sa.text("SELECT count(*) FROM lead_scores")).scalar_one()
                enriched = conn.execute(sa.text("SELECT count(*) FROM leads WHERE status <> 'discovered'")).scalar_one()
            if 0 < enriched and done < n // 2 and (done > 0 or enriched > n // 3):
                proc.send_signal(signal.SIGKILL)
                killed_at = (enriched, done)
                break
            time.sleep(0.05)
    finally:
        proc.wait(timeout=60)
    assert killed_at is not None, f"the run finished or never started before the kill: {proc.stdout.read()[-2000:]!r}"
    assert proc.returncode == -signal.SIGKILL
    with db.connect() as conn:
        run_id, status = conn.execute(sa.text("SELECT id, status FROM runs")).one()
        assert status == "running"  # the dead worker could not record anything
        scored_before = conn.execute(sa.text("SELECT count(*) FROM lead_scores")).scalar_one()
    assert scored_before < n

    t_resume = time.monotonic()
    res = subprocess.run([sys.executable, "-m", "icp_engine", "resume", str(run_id)], cwd=ROOT, env=_env(settings),
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    print(f"\nSIGKILL at {killed_at[0]} enriched / {killed_at[1]} scored of {n}; resume finished the run in "
          f"{time.monotonic() - t_resume:.1f} s")
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT status FROM runs WHERE id=:i"), {"i": run_id}).scalar_one() == "completed"
        assert conn.execute(sa.text("SELECT count(*) FROM leads")).scalar_one() == n
        assert conn.execute(sa.text("SELECT count(*) FROM leads WHERE status='qualified'")).scalar_one() == n
        # exactly one score per lead (no lead lost, none scored twice under the same ICP version)
        assert conn.execute(sa.text("SELECT count(*), count(DISTINCT lead_id) FROM lead_scores")).one() == (n, n)
        # the killed process's job was put back in the queue at once (its pid is gone) and finished
        assert conn.execute(sa.text("SELECT status::text FROM procrastinate_jobs")).scalars().all() == ["succeeded"]
        assert _events(conn) == ["deferred", "started", "scheduled", "deferred_for_retry", "started", "succeeded"]


def _write_inputs(tmp_path: Path, n: int, prefix: str) -> tuple[Path, Path]:
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(f"https://www.linkedin.com/in/{prefix}-{i:05d}" for i in range(n)) + "\n")
    icp = tmp_path / "icp.json"
    icp.write_text(json.dumps({"target_titles": ["CFO"], "keywords": ["finance"]}))
    return urls, icp


def test_worker_killed_on_another_machine_is_retried_after_the_stall_timeout(db, settings, tmp_path: Path):
    """A ``worker`` process dies (SIGKILL) mid-run and, as if it ran on another machine, leaves no
    process to check: a second worker retries its job once its heartbeat is older than
    ``worker_stall_s``, and the run completes with every lead scored once."""
    from icp_engine.domain import ICP
    from icp_engine.engine import Engine
    from icp_engine.ingest.upload import parse_text
    from icp_engine.pipeline import RunOptions

    n = 2000
    eng = Engine(settings, db=db)
    c = eng.create_client("Stalled")
    eng.save_icp(c["id"], ICP(target_titles=["CFO"], keywords=["finance"]))
    parsed = parse_text("\n".join(f"https://www.linkedin.com/in/stall-{i:05d}" for i in range(n)))
    b = eng.ingest_followers(c["id"], parsed.people, batch_name="b", source_kind=parsed.kind)
    run_id = eng.create_run(c["id"], batch_id=b["id"], options=RunOptions(classify=False, chunk_size=40))
    eng.runs.enqueue(run_id)
    env = _env(settings)
    env.update(WORKER_HEARTBEAT_S="1", WORKER_STALL_S="3")
    proc = subprocess.Popen([sys.executable, "-m", "icp_engine", "worker", "--poll", "0.5"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            with db.connect() as conn:
                done = conn.execute(sa.text("SELECT count(*) FROM lead_scores")).scalar_one()
                enriched = conn.execute(sa.text("SELECT count(*) FROM leads WHERE status <> 'discovered'")).scalar_one()
            if enriched > n // 4 and done < n // 2:
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.stdout.read()[-2000:]
        proc.send_signal(signal.SIGKILL)
        killed = time.monotonic()
    finally:
        proc.wait(timeout=60)
    with db.begin() as conn:  # the dead worker was on another host: only its heartbeat can tell
        conn.execute(sa.text("UPDATE runs SET worker_id = 'other-host:1:deadbeef' WHERE id=:i"), {"i": run_id})
        job_status = conn.execute(sa.text("SELECT status::text FROM procrastinate_jobs")).scalar_one()
    assert job_status == "doing"
    s = settings.model_copy(update=dict(worker_stall_s=3.0, worker_heartbeat_s=1.0))
    other = Engine(s, db=db)
    stop = threading.Event()
    th = threading.Thread(target=other.work, kwargs={"stop": stop, "poll_s": 0.5})
    th.start()
    retried_after = None
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            with db.connect() as conn:
                row = conn.execute(sa.text("SELECT status, worker_id FROM runs WHERE id=:i"), {"i": run_id}).one()
            if retried_after is None and row.worker_id == other.worker_id:
                retried_after = time.monotonic() - killed
            if row.status == "completed":
                break
            time.sleep(0.1)
    finally:
        stop.set()
        th.join(timeout=120)
    print(f"\nworker SIGKILL -> job retried by another worker after {retried_after:.1f} s (stall timeout 3 s)")
    assert retried_after is not None and retried_after >= 2.5  # not before the stall timeout
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT status FROM runs WHERE id=:i"), {"i": run_id}).scalar_one() == "completed"
        assert conn.execute(sa.text("SELECT count(*), count(DISTINCT lead_id) FROM lead_scores")).one() == (n, n)
        assert conn.execute(sa.text("SELECT status::text FROM procrastinate_jobs")).scalars().all() == ["succeeded"]
        events = _events(conn)
    assert events.count("deferred_for_retry") == 1 and events[-1] == "succeeded"  # the same job, retried once


def test_the_same_run_command_twice_at_once_both_write_the_full_csv(db, settings, tmp_path: Path):
    """Issue 8 item 8: two processes run the same command over the same file at the same time.
    The second waits for the first's work (one client's runs never execute at once), reuses it,
    and both CSVs hold every follower; nothing is scored twice."""
    import csv

    n = 1500
    urls, icp = _write_inputs(tmp_path, n, "twice")
    outs = [tmp_path / "first.csv", tmp_path / "second.csv"]
    cmds = [[sys.executable, "-m", "icp_engine", "run", "--client", "Twice", "--icp", str(icp), "--input", str(urls),
             "--out", str(o), "--chunk-size", "40", "--no-classify"] for o in outs]
    t0 = time.monotonic()
    first = subprocess.Popen(cmds[0], cwd=ROOT, env=_env(settings), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and first.poll() is None:  # start the second once the first is working
        with db.connect() as conn:
            if conn.execute(sa.text("SELECT count(*) FROM leads WHERE status <> 'discovered'")).scalar_one() > 0:
                break
        time.sleep(0.05)
    second = subprocess.Popen(cmds[1], cwd=ROOT, env=_env(settings), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    out1, _ = first.communicate(timeout=300)
    out2, _ = second.communicate(timeout=300)
    elapsed = time.monotonic() - t0
    assert first.returncode == 0, out1[-2000:]
    assert second.returncode == 0, out2[-2000:]
    print(f"\ntwo identical runs at once over {n} leads: both done in {elapsed:.1f} s")
    for o in outs:
        with o.open(encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == n, (o.name, len(rows))
    for out in (out1, out2):  # the CLI's run summary (rich wraps long lines)
        assert f"{n:,} of {n:,} leads scored: {n:,} on the upload's data" in " ".join(out.split())
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*), count(DISTINCT lead_id) FROM lead_scores")).one() == (n, n)
        runs = conn.execute(sa.text("SELECT status, started_at, finished_at FROM runs ORDER BY id")).all()
    assert [r.status for r in runs] == ["completed", "completed"]
    assert runs[1].started_at >= runs[0].finished_at  # the second waited for the first
