"""SIGKILL the CLI in the middle of a run, resume it: nothing lost, nothing done twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
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

    res = subprocess.run([sys.executable, "-m", "icp_engine", "resume", str(run_id)], cwd=ROOT, env=_env(settings),
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT status FROM runs WHERE id=:i"), {"i": run_id}).scalar_one() == "completed"
        assert conn.execute(sa.text("SELECT count(*) FROM leads")).scalar_one() == n
        assert conn.execute(sa.text("SELECT count(*) FROM leads WHERE status='qualified'")).scalar_one() == n
        # exactly one score per lead (no lead lost, none scored twice under the same ICP version)
        assert conn.execute(sa.text("SELECT count(*), count(DISTINCT lead_id) FROM lead_scores")).one() == (n, n)
