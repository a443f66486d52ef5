"""The CLI's ``run`` loads the run's models in the background while the page is parsed (issue 15)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import sqlalchemy as sa

from icp_engine.wiring import Wiring

ROOT = Path(__file__).resolve().parent.parent


def test_prefetch_loads_the_models_the_run_then_uses(settings, database):
    from icp_engine.scoring.backbone import title_backbone

    w = Wiring(settings, database)
    thread = w.prefetch_models()
    assert thread.name == "model-prefetch" and not thread.daemon
    thread.join(180)
    assert not thread.is_alive()
    assert "embedder" in w.__dict__  # the configured embedder is built and cached
    loaded = title_backbone(getattr(w.embedder, "db", None))
    scorer = w.scorer()
    assert scorer.embedder is w.embedder
    assert scorer.backbone is loaded  # the scorer reuses the prefetched backbone, no second load


def test_a_failing_prefetch_is_silent(settings, monkeypatch):
    bad = settings.model_copy(update={"embedding_provider": "no-such-provider"})
    seen: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: seen.append(args.exc_value))
    w = Wiring(bad, None)
    thread = w.prefetch_models()
    thread.join(180)
    assert not thread.is_alive() and seen == []
    try:  # the first real use raises the error instead
        w.embedder
    except ValueError as exc:
        assert "no-such-provider" in str(exc)
    else:
        raise AssertionError("an unknown embedding provider must raise on first use")


def test_run_on_a_bad_page_exits_cleanly_while_models_load(settings, db, tmp_path):
    """A fresh process rejects the page while the prefetch may still be loading: exit code 2 and
    the usual message, no interpreter abort, nothing written."""
    (tmp_path / "icp.json").write_text(json.dumps({"target_titles": ["CFO"]}))
    bad = tmp_path / "notes.html"
    bad.write_text("<html><body><h1>My holiday photos</h1></body></html>")
    env = dict(os.environ, PYTHONPATH=str(ROOT), ICP_DATA_DIR=str(settings.icp_data_dir))
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    for key in ("OPENAI_API_KEY", "APIFY_API_TOKEN", "JINA_API_KEY", "COHERE_API_KEY"):
        env.pop(key, None)
    out = subprocess.run([sys.executable, "-m", "icp_engine", "run", "--client", "Bad", "--icp",
                          str(tmp_path / "icp.json"), "--input", str(bad), "--out", str(tmp_path / "x.csv")],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=180)
    assert out.returncode == 2, out.stderr[-2000:]
    assert "Cannot read" in out.stderr
    assert not (tmp_path / "x.csv").exists()
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM leads")).scalar_one() == 0
