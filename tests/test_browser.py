"""The whole dashboard flow in a real browser (Playwright + Debian's Chromium, no downloaded browser).

create client → edit the ICP → upload a saved followers page → preview → store → run →
review with keep / trash → download the CSV, whose contents are checked (finance leaders on top,
the student at the bottom). Screenshots of every page go to ``docs/screenshots/`` (used by README) when
``ICP_UPDATE_SCREENSHOTS=1`` is set.

The app runs as ``streamlit run app.py`` in a subprocess against the test database: the test
session's embedded Postgres (same ``ICP_DATA_DIR``) or ``TEST_DATABASE_URL``.
"""

from __future__ import annotations

import csv
import io
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from icp_engine.db import schema

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
FOLLOWERS_PAGE = ROOT / "tests" / "fixtures" / "ui" / "followers_finance.html"
# README screenshots are refreshed only on request (ICP_UPDATE_SCREENSHOTS=1), so a test run
# does not dirty the work tree; otherwise they go to a temporary folder.
SHOTS = (ROOT / "docs" / "screenshots") if os.environ.get("ICP_UPDATE_SCREENSHOTS") else (
    Path(tempfile.gettempdir()) / "icp-browser-screenshots")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync",
]
FINANCE_LEADERS = {"Ingrid Salvesen", "Marcus Oyelaran", "Helena Castellanos", "Theo Lindgren"}
WAIT_MS = 60_000  # generous: Streamlit reruns + first model load on 2 cores

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (/usr/bin/chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def app_url(settings, db, tmp_path):
    """``streamlit run app.py`` on a free port, pointed at the test database; yields its URL."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_API_TOKEN"))}
    env["ICP_DATA_DIR"] = str(settings.icp_data_dir)
    env.pop("DATABASE_URL", None)
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    log = open(tmp_path / "streamlit.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=2).text == "ok":
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("streamlit did not start:\n" + (tmp_path / "streamlit.log").read_text()[-3000:])
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture()
def browser_page(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        pg = context.new_page()
        pg.set_default_timeout(WAIT_MS)
        pg.goto(app_url)
        try:
            yield pg
        finally:
            # the last state of the page, for debugging a failure (not a README screenshot)
            pg.screenshot(path=str(Path(tempfile.gettempdir()) / "icp-browser-test-last.png"), full_page=True)
            context.close()
        browser.close()


def _idle(pg) -> None:
    """Wait until Streamlit finished the current rerun (no running indicator, no stale elements)."""
    pg.wait_for_timeout(250)
    pg.wait_for_function(
        "() => { const app = document.querySelector('[data-testid=\"stApp\"]');"
        " return app && app.dataset.testScriptState === 'notRunning'"
        " && app.dataset.testConnectionState === 'CONNECTED'; }",
        timeout=WAIT_MS,
    )


def _shot(pg, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    _idle(pg)
    # Streamlit scrolls inside its main container: grow the viewport to the content for the shot
    height = pg.evaluate("() => document.querySelector('[data-testid=\"stMainBlockContainer\"]').scrollHeight")
    pg.set_viewport_size({"width": 1400, "height": max(1000, min(int(height) + 120, 3200))})
    pg.wait_for_timeout(400)
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    pg.set_viewport_size({"width": 1400, "height": 1000})


def _goto(pg, title: str, heading: str) -> None:
    pg.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    pg.get_by_role("heading", name=heading).wait_for()
    _idle(pg)


def _chips(pg, label: str, values: list[str]) -> None:
    """Pick values in the multiselect labelled ``label`` by typing each and pressing Enter."""
    box = pg.get_by_test_id("stMultiSelect").filter(has=pg.get_by_text(label, exact=True))
    for v in values:
        box.locator("input").click()
        box.locator("input").fill(v)
        option = pg.get_by_role("option", name=v, exact=True)
        option.first.click()
        _idle(pg)
        pg.keyboard.press("Escape")
        box.get_by_text(v, exact=True).first.wait_for()


def test_full_flow_in_browser(browser_page, db):
    pg = browser_page
    pg.get_by_role("heading", name="Clients & ICP").wait_for()
    _idle(pg)

    # reviewer name (sidebar) and a new client
    reviewer = pg.get_by_test_id("stSidebar").get_by_role("textbox", name="Reviewer name")
    reviewer.fill("Dana")
    reviewer.press("Enter")
    _idle(pg)
    assert reviewer.input_value() == "Dana"
    pg.get_by_role("textbox", name="Client name").fill("Ledgerwise")
    pg.get_by_role("button", name="Create client").click()
    pg.get_by_role("heading", name="ICP of Ledgerwise").wait_for()
    _idle(pg)

    # the finance ICP
    pg.get_by_role("textbox", name="ICP name").fill("Finance leaders")
    pg.get_by_role("textbox", name="ICP name").press("Enter")
    _idle(pg)
    _chips(pg, "Target titles", ["CFO", "VP Finance", "Head of Finance"])
    _chips(pg, "Industries (LinkedIn V2 taxonomy)", ["Software Development", "Financial Services"])
    _chips(pg, "Company sizes (employees)", ["51-200", "201-500"])
    pg.get_by_role("textbox", name="Change note").fill("finance ICP for the pilot")
    pg.get_by_role("textbox", name="Change note").press("Enter")
    _idle(pg)
    pg.get_by_role("button", name="Save new version").click()
    pg.get_by_text("Saved ICP version 1 by Dana").wait_for()
    _idle(pg)

    # upload a saved followers page: preview first, nothing stored yet
    _goto(pg, "Upload", "Upload followers")
    pg.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(FOLLOWERS_PAGE))
    pg.get_by_role("button", name="Store 12 people").wait_for()
    _idle(pg)
    assert pg.get_by_test_id("stMetric").filter(has_text="People found").inner_text().endswith("12")
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.leads)).scalar_one() == 0
    _shot(pg, "2-upload")
    pg.get_by_role("button", name="Store 12 people").click()
    pg.get_by_text("12 new leads, 0 already leads").wait_for()
    _idle(pg)

    # the ICP page now previews five of the client's leads
    _goto(pg, "Clients & ICP", "Clients & ICP")
    pg.get_by_role("heading", name="Live preview").wait_for()
    _shot(pg, "1-clients-icp")

    # run qualification in the background; progress is polled from the database
    _goto(pg, "Run", "Run qualification")
    pg.get_by_text("12** leads to enrich").or_(pg.get_by_text("12 leads to enrich")).first.wait_for()
    pg.get_by_role("button", name="Start qualification").click()
    pg.get_by_text("Done. Next:").wait_for(timeout=120_000)
    _shot(pg, "3-run")
    # a reload starts a new session: progress comes from the database, client/reviewer from the URL
    pg.reload()
    pg.get_by_role("heading", name="Run qualification").wait_for()
    pg.get_by_text("Done. Next:").wait_for()
    pg.get_by_text("Score: 12/12").wait_for()
    _idle(pg)
    assert pg.get_by_test_id("stSidebar").get_by_role("textbox", name="Reviewer name").input_value() == "Dana"

    # review: scores hidden; keep a finance leader, trash the others we see
    _goto(pg, "Review", "Review")
    pg.get_by_text("0 of 12 reviewed").wait_for()
    assert pg.get_by_text("ICP score").count() == 0
    _shot(pg, "4-review")
    labelled = {}
    for i in range(4):
        pg.get_by_text(f"{i} of 12 reviewed").wait_for()
        name = pg.locator("h3").first.inner_text().strip()
        label = "keep" if name in FINANCE_LEADERS else "trash"
        if i < 2:
            pg.get_by_role("button", name=re.compile(r"\bKeep\b" if label == "keep" else r"\bTrash\b")).click()
        else:  # keyboard shortcuts K / T
            pg.get_by_role("heading", name="Review").click()
            pg.keyboard.press("k" if label == "keep" else "t")
        labelled[name] = label
        _idle(pg)
    pg.get_by_text("4 of 12 reviewed").wait_for()

    # export: charts, summary, download
    _goto(pg, "Export", "Export")
    pg.get_by_text("12** leads match").or_(pg.get_by_text("12 leads match")).first.wait_for()
    pg.locator(".js-plotly-plot").first.wait_for()
    _shot(pg, "5-export")
    with pg.expect_download(timeout=WAIT_MS) as dl:
        pg.get_by_role("button", name=re.compile(r"Download CSV \(12 leads\)")).click()
    data = Path(dl.value.path()).read_bytes()

    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    names = [r["name"] for r in rows]
    assert len(rows) == 12 and len(set(names)) == 12
    assert set(names[:4]) == FINANCE_LEADERS, names
    assert "Oliver Pennington" in names[-3:], names  # the student
    assert "Beatriz Nakamura-Holt" not in names and "Wendell Asante" not in names  # owner, suggestion
    scores = [float(r["icp_score"]) for r in rows]
    assert scores == sorted(scores, reverse=True)
    by_name = {r["name"]: r for r in rows}
    for name, label in labelled.items():
        assert by_name[name]["review_label"] == label
    assert by_name["Ingrid Salvesen"]["profile_url"] == "https://www.linkedin.com/in/ingrid-salvesen-cfo"

    with db.connect() as conn:
        statuses = conn.execute(sa.select(schema.leads.c.status, sa.func.count()).group_by(schema.leads.c.status)).all()
        icp = conn.execute(sa.select(schema.client_icps.c.icp, schema.client_icps.c.created_by)).one()
    assert dict(statuses) == {"exported": 12}
    assert icp.created_by == "Dana"
    assert icp.icp["target_titles"] == ["CFO", "VP Finance", "Head of Finance"]
    assert icp.icp["target_industries"] == ["Software Development", "Financial Services"]
    assert icp.icp["company_sizes"] == ["51-200", "201-500"]
