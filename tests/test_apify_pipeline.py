"""Live Apify enrichment through the real pipeline and CLI, against the fake Apify on loopback.

Checks issue 4's promises at the run level: with a hostile API every lead ends enriched or
failed with a reason, no profile is charged twice, the run stores estimate and actual numbers,
and a SIGKILLed CLI resumed later pays for nothing twice. Issue 8: every follower of the upload
is in the CSV (those Apify did not return with the reason), also after a SIGKILL and the same
command run again.

The CLI tests check the behaviour a user sees (the command, the CSV, the database's leads and
ledger), not how runs are queued or executed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import sqlalchemy as sa
from fakes.fake_apify import FakeApify, FakeApifyConfig

from icp_engine.domain import ICP
from icp_engine.engine import Engine
from icp_engine.ingest.upload import parse_text
from icp_engine.pipeline import RunOptions
from tests.conftest import ROOT

TOKEN = "fake-token"


def _urls(prefix: str, n: int) -> str:
    return "\n".join(f"https://www.linkedin.com/in/{prefix}-{i:04d}" for i in range(n))


def test_hostile_apify_every_lead_enriched_or_failed_none_charged_twice(db, settings):
    cfg = FakeApifyConfig(token=TOKEN, run_duration_s=0.05, fail_rate=0.2, run_failure_rate=0.1,
                          unscrapable={"hostile-0007", "hostile-0100"}, seed=11)
    with FakeApify(cfg) as fake:
        s = settings.model_copy(update=dict(apify_api_token=TOKEN, apify_api_base_url=fake.base_url,
                                            apify_batch_size=25, apify_max_concurrent_runs=4))
        eng = Engine(s, db=db)
        c = eng.create_client("Hostile")
        eng.save_icp(c["id"], ICP(target_titles=["CFO"]))
        parsed = parse_text(_urls("hostile", 200))
        b = eng.ingest_followers(c["id"], parsed.people, batch_name="b", source_kind=parsed.kind)
        opts = RunOptions(enrich="apify", classify=False, chunk_size=100)
        run_id = eng.create_run(c["id"], batch_id=b["id"], options=opts)
        final = eng.execute_run(run_id)
        charged = Counter(fake.charged_keys())
    assert final["status"] == "completed"
    assert max(charged.values()) == 1, [k for k, v in charged.items() if v > 1]
    with db.connect() as conn:
        rows = conn.execute(sa.text("SELECT profile_key, status, error_message, retry_count FROM leads")).all()
        run = conn.execute(sa.text("SELECT estimate, actual FROM runs WHERE id=:i"), {"i": run_id}).one()
        recorded = conn.execute(sa.text("SELECT count(*) FROM apify_runs WHERE apify_run_id IS NOT NULL")).scalar_one()
    by_status = Counter(r.status for r in rows)
    assert set(by_status) <= {"qualified", "failed"}
    failed = {r.profile_key: r for r in rows if r.status == "failed"}
    # the two private profiles always fail; the fake's random faults (drawn in a timing-dependent
    # order by concurrent runs) can make scrapable leads lose all 3 attempts too: the leads left
    # for the last attempt share one actor run (at most one batch of 25), and when that run ends
    # FAILED / TIMED-OUT they fail together (seen: 11 of one TIMED-OUT run, about 1 test in 20)
    assert {"hostile-0007", "hostile-0100"} <= set(failed) and len(failed) <= 2 + 25
    assert all(r.error_message and r.retry_count == 3 for r in failed.values())
    qualified = by_status["qualified"]
    assert qualified == 200 - len(failed)
    assert run.estimate["profiles_to_scrape"] == 200 and run.estimate["runs_to_start"] == 8
    assert run.actual["items_charged"] == qualified and run.actual["runs_started"] == recorded
    assert len(charged) == qualified  # paid exactly once for each profile delivered
    # nothing lost: every follower is in the CSV, the failed ones qualified on the upload's data
    assert final["counts"]["scored"] == 200 and final["counts"]["not_enriched"] == len(failed)
    rows = _csv_rows(eng.export_csv(c["id"], batch_id=b["id"]))
    assert sorted(r["profile_url"] for r in rows) == sorted(f"https://www.linkedin.com/in/hostile-{i:04d}"
                                                             for i in range(200))
    for r in rows:
        if r["profile_url"].rsplit("/", 1)[-1] in failed:
            assert r["name"] == r["profile_url"].rsplit("/", 1)[-1]  # the vanity: the upload had no name
            assert r["status"] == "not enriched"
            assert r["match_reasoning"].startswith("enrichment: not returned by Apify")
        else:
            assert r["status"] == "qualified" and not r["match_reasoning"].startswith("enrichment:")


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _classic_page(prefix: str, n: int) -> str:
    """A saved classic connections page (the markup of tests/fixtures/ingest/connections_classic.html)
    with ``n`` invented people ``<prefix>-0000`` ..., each "CFO at Company <i>"."""
    cards = "".join(
        f'''<li class="list-style-none"><div class="mn-connection-card artdeco-list ember-view">
  <a href="/in/{prefix}-{i:04d}/" class="mn-connection-card__picture ember-view"><span class="visually-hidden">Status is offline</span></a>
  <div class="mn-connection-card__details"><a href="/in/{prefix}-{i:04d}/" class="mn-connection-card__link ember-view">
   <span class="mn-connection-card__name t-16 t-black t-bold">Person {i:04d}</span>
   <span class="mn-connection-card__occupation t-14 t-black--light t-normal">CFO at Company {i}</span></a>
   <time class="time-badge t-12 t-black--light t-normal">Connected 1 month ago</time></div></div></li>'''
        for i in range(n)
    )
    return ('<!DOCTYPE html><html lang="en"><head><title>Connections | LinkedIn</title></head><body>'
            '<main id="main"><section class="mn-connections"><header class="mn-connections__header">'
            f'<h1>{n} Connections</h1></header><ul>{cards}</ul></section></main></body></html>')


def _env(settings, base_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(ICP_DATA_DIR=str(settings.icp_data_dir), APIFY_API_TOKEN=TOKEN, APIFY_API_BASE_URL=base_url,
               APIFY_BATCH_SIZE="20", APIFY_MAX_CONCURRENT_RUNS="2")
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    env.pop("OPENAI_API_KEY", None)
    return env


def test_sigkill_during_live_enrichment_then_resume_pays_nothing_twice(db, settings, tmp_path):
    n = 120
    urls = tmp_path / "urls.txt"
    urls.write_text(_urls("killapify", n) + "\n")
    icp = tmp_path / "icp.json"
    icp.write_text(json.dumps({"target_titles": ["CFO"]}))
    cfg = FakeApifyConfig(token=TOKEN, run_duration_s=1.5, seed=5)
    with FakeApify(cfg) as fake:
        env = _env(settings, fake.base_url)
        proc = subprocess.Popen(
            [sys.executable, "-m", "icp_engine", "run", "--client", "KillApify", "--icp", str(icp), "--input",
             str(urls), "--enrich", "apify", "--no-classify", "--chunk-size", "60", "--out", str(tmp_path / "o.csv")],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        killed = False
        try:
            while time.monotonic() < deadline and proc.poll() is None:
                with db.connect() as conn:
                    running = conn.execute(sa.text(
                        "SELECT count(*) FROM apify_runs WHERE apify_run_id IS NOT NULL AND collected_at IS NULL")).scalar_one()
                if running >= 1:
                    proc.send_signal(signal.SIGKILL)
                    killed = True
                    break
                time.sleep(0.05)
        finally:
            proc.wait(timeout=60)
        assert killed, proc.stdout.read()[-3000:]
        with db.connect() as conn:
            run_id = conn.execute(sa.text("SELECT id FROM runs")).scalar_one()
            in_flight = conn.execute(sa.text(
                "SELECT count(*) FROM apify_runs WHERE collected_at IS NULL")).scalar_one()
        assert in_flight >= 1
        res = subprocess.run([sys.executable, "-m", "icp_engine", "resume", str(run_id)], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
        charged = Counter(fake.charged_keys())
    assert len(charged) == n and max(charged.values()) == 1
    with db.connect() as conn:
        statuses = Counter(conn.execute(sa.text("SELECT status FROM leads")).scalars().all())
        assert conn.execute(sa.text("SELECT status FROM runs WHERE id=:i"), {"i": run_id}).scalar_one() == "completed"
    assert statuses == {"qualified": n}


def test_sigkill_then_the_same_command_again_every_follower_in_the_csv_nothing_paid_twice(db, settings, tmp_path):
    """Hostile Apify (20 % failing requests, 10 % failing runs, profiles missing from the dataset):
    the CLI is SIGKILLed while runs are in flight, then the same ``run`` command is given again.
    The second command collects the first one's recorded runs, pays for no profile twice and
    writes a CSV with every follower of the page."""
    n = 100
    page = tmp_path / "connections.html"
    page.write_text(_classic_page("again", n), encoding="utf-8")
    icp = tmp_path / "icp.json"
    icp.write_text(json.dumps({"target_titles": ["CFO"]}))
    out = tmp_path / "o.csv"
    gone = {"again-0003", "again-0042", "again-0077"}
    cfg = FakeApifyConfig(token=TOKEN, run_duration_s=1.0, fail_rate=0.2, run_failure_rate=0.1,
                          unscrapable=gone, seed=17)
    cmd = [sys.executable, "-m", "icp_engine", "run", "--client", "Again", "--icp", str(icp), "--input", str(page),
           "--enrich", "apify", "--no-classify", "--chunk-size", "50", "--out", str(out)]
    with FakeApify(cfg) as fake:
        env = _env(settings, fake.base_url)
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        killed = False
        try:
            while time.monotonic() < deadline and proc.poll() is None:
                with db.connect() as conn:
                    running = conn.execute(sa.text(
                        "SELECT count(*) FROM apify_runs WHERE apify_run_id IS NOT NULL AND collected_at IS NULL")
                    ).scalar_one()
                if running >= 1:
                    proc.send_signal(signal.SIGKILL)
                    killed = True
                    break
                time.sleep(0.05)
        finally:
            proc.wait(timeout=60)
        assert killed, proc.stdout.read()[-3000:]
        assert not out.exists()
        res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
        charged = Counter(fake.charged_keys())
    assert max(charged.values()) == 1, [k for k, v in charged.items() if v > 1]
    rows = _csv_rows(out.read_bytes())
    assert sorted(r["profile_url"] for r in rows) == sorted(
        f"https://www.linkedin.com/in/again-{i:04d}" for i in range(n))
    with db.connect() as conn:
        leads = {r.vanity: r for r in conn.execute(sa.text("SELECT vanity, status, enrichment_note FROM leads"))}
        uncollected = conn.execute(sa.text("SELECT count(*) FROM apify_runs WHERE collected_at IS NULL "
                                           "AND apify_run_id IS NOT NULL")).scalar_one()
    assert len(leads) == n and uncollected == 0
    failed = {k for k, r in leads.items() if r.status == "failed"}
    # as in the test above: the leads of a last-attempt run that fails can fail together (batch of 20)
    assert gone <= failed and len(failed) <= len(gone) + 20
    assert {k for k in leads if k not in failed} == set(charged)  # paid once for each profile delivered
    by_url = {r["profile_url"].rsplit("/", 1)[-1]: r for r in rows}
    for k in failed:
        assert by_url[k]["match_reasoning"].startswith("enrichment: not returned by Apify")
    said = " ".join(res.stderr.split())
    assert f"{n} of {n} leads scored" in said and f"{len(failed)} scored on the upload's data only" in said
