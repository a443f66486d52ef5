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
ADMIN, ADMIN_PASSWORD = "Dana", "browser-test admin password"

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
    env["ICP_ADMIN_USER"], env["ICP_ADMIN_PASSWORD"] = ADMIN, ADMIN_PASSWORD  # the admin account on start
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
        context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
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
    pg.set_viewport_size({"width": 1440, "height": max(1000, min(int(height) + 120, 3200))})
    pg.wait_for_timeout(400)
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    pg.set_viewport_size({"width": 1440, "height": 1000})


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


def _sign_in(pg, username: str, password: str) -> None:
    pg.get_by_role("heading", name="Sign in").wait_for()
    _idle(pg)
    pg.get_by_role("textbox", name="User name").fill(username)
    pg.get_by_role("textbox", name="Password").fill(password)
    pg.get_by_role("button", name="Sign in").click()
    _idle(pg)


def test_full_flow_in_browser(browser_page, db):
    pg = browser_page
    _sign_in(pg, ADMIN, ADMIN_PASSWORD)
    pg.get_by_role("heading", name="Clients & ICP").wait_for()
    _idle(pg)

    # a new client (labels, ICP versions and uploads are recorded with the signed-in account)
    pg.get_by_test_id("stSidebar").get_by_text(f"Signed in as {ADMIN}").wait_for()
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
    pg.get_by_text("12 leads of the client: 12 to enrich, 12 to score with v1.").wait_for()
    pg.get_by_role("button", name="Start qualification").click()
    pg.get_by_text(re.compile(r"Done: this run scored 12 leads\. Next:")).wait_for(timeout=120_000)
    _shot(pg, "3-run")
    # a reload starts a new session: still signed in (session cookie), progress from the database,
    # the client from the URL
    pg.reload()
    pg.get_by_role("heading", name="Run qualification").wait_for()
    pg.get_by_text(re.compile(r"Done: this run scored 12 leads\. Next:")).wait_for()
    pg.get_by_text("Score: 12/12").wait_for()
    _idle(pg)
    pg.get_by_test_id("stSidebar").get_by_text(f"Signed in as {ADMIN}").wait_for()

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


# ---------------------------------------------------------------- sign-in, roles, user text as text

HOSTILE_HEADLINE = "**Bold claim** <b>html tag</b> $x^2$ [click me](https://evil.example) :red[red] _it_"
HOSTILE_NAME = "Mallory <i>Markup</i>"
SECRET_CLIENT, OTHER_CLIENT = "Hostile **Agency** $y$", "Quiet Client Ltd"
REVIEWER, REVIEWER_PASSWORD = "Rita", "browser-test reviewer password"
SHOT_WIDTH = 1440


def _seed_two_clients(settings, db) -> dict:
    """Two clients with scored leads; one lead's name and headline hold Markdown, HTML and $…$."""
    from icp_engine.domain import ICP, Follower, bucket_for
    from icp_engine.engine import Engine

    eng = Engine(settings, db=db)
    out = {}
    for cname, prefix in ((SECRET_CLIENT, "hostile"), (OTHER_CLIENT, "quiet")):
        c = eng.create_client(cname)
        ver = eng.save_icp(c["id"], ICP(target_titles=["CFO"]), author="setup")
        people = [Follower(key=f"{prefix}-{i}", url=f"https://www.linkedin.com/in/{prefix}-{i}/",
                           profile_url=f"https://www.linkedin.com/in/{prefix}-{i}", vanity=f"{prefix}-{i}",
                           name=(HOSTILE_NAME if prefix == "hostile" and i == 0 else f"{prefix.title()} Person{i}"),
                           headline=(HOSTILE_HEADLINE if prefix == "hostile" and i == 0 else f"Role {i}"))
                  for i in range(1 if prefix == "hostile" else 3)]
        batch = eng.ingest_followers(c["id"], people, batch_name=f"<b>{prefix}</b> batch $z$")
        with db.begin() as conn:
            for i, lid in enumerate(sorted(batch["new_lead_ids"])):
                score = 90.0 - 30 * i
                conn.execute(schema.leads.update().where(schema.leads.c.id == lid).values(status="qualified"))
                conn.execute(schema.lead_scores.insert().values(
                    lead_id=lid, icp_version_id=ver["id"], icp_score=score, bucket=bucket_for(score),
                    match_reasoning=f'title: "{people[i].headline}" ≈ "CFO" (0.5)', components={}, scorer_version="t"))
        out[prefix] = c
    eng.auth.create_user(REVIEWER, REVIEWER_PASSWORD, "reviewer", actor="test")
    return out


def _shot_at(pg, name: str) -> None:
    """A full-page screenshot at 1440 px wide (login and admin pages)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    _idle(pg)
    pg.wait_for_timeout(600)
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _no_rendered_markup(pg) -> None:
    """Nothing on the page was rendered from the hostile text: no bold/italic/link/math made of it."""
    main = pg.get_by_test_id("stMain")
    assert main.locator(".katex").count() == 0
    assert main.locator("a[href*='evil.example']").count() == 0
    # markup made from inside the text would wrap just these words (a whole name may be bold on purpose)
    assert main.locator("strong, b").filter(has_text=re.compile(r"^\s*(Bold claim|html tag|Agency|quiet)\s*$")).count() == 0
    assert main.locator("em, i").filter(has_text=re.compile(r"^\s*(Markup|it|y|x\^2)\s*$")).count() == 0


def _shows(pg, text: str) -> bool:
    """True when the main area shows ``text`` literally (ignoring the invisible word joiners that
    keep bare URLs from becoming links)."""
    return text in pg.get_by_test_id("stMain").inner_text().replace("\u2060", "")


@pytest.fixture()
def seeded(settings, db):
    return _seed_two_clients(settings, db)


def _body(pg) -> str:
    return pg.locator("body").inner_text()


def test_sign_in_gate_roles_and_literal_user_text_in_browser(seeded, browser_page, app_url, db):
    pg = browser_page
    pg.set_viewport_size({"width": SHOT_WIDTH, "height": 1000})
    hostile_id, quiet_id = seeded["hostile"]["id"], seeded["quiet"]["id"]
    secrets_on_pages = ["Hostile", "Quiet Client", "Mallory", "Bold claim", "Person0", "Person1", "batch"]

    # before sign-in: every page and deep link shows the sign-in form and none of the data
    for path in ("/", "/clients", "/upload", "/run", "/review", "/export", "/admin",
                 f"/?client={hostile_id}", f"/review?client={quiet_id}", f"/export?client={hostile_id}"):
        pg.goto(app_url + path)
        pg.get_by_role("heading", name="Sign in").wait_for()
        _idle(pg)
        body = _body(pg)
        for word in secrets_on_pages:
            assert word not in body, (path, word)
        assert pg.get_by_test_id("stSidebar").count() == 0 or "Client" not in pg.get_by_test_id("stSidebar").inner_text()
    _shot_at(pg, "0-sign-in")

    # a wrong password is refused; the right one opens the deep link's page and client
    pg.goto(app_url + f"/review?client={hostile_id}")
    _sign_in(pg, ADMIN, "not the password at all")
    pg.get_by_text("Wrong user name or password").wait_for()
    assert "Mallory" not in _body(pg)
    pg.get_by_role("textbox", name="Password").fill(ADMIN_PASSWORD)
    pg.get_by_role("button", name="Sign in").click()
    pg.get_by_role("heading", name="Review").wait_for()
    _idle(pg)
    pg.wait_for_timeout(500)  # the cookie route answered the page's post
    cookies = {c["name"]: c for c in pg.context.cookies()}
    assert cookies["icp_session"]["httpOnly"] and cookies["icp_session"]["sameSite"] == "Strict"

    # the hostile lead shows literally on every page that shows it (scores on: the card is the top lead)
    def literal_everywhere() -> None:
        picker = pg.get_by_test_id("stSidebar").get_by_test_id("stSelectbox")
        values = [picker.inner_text()] + [i.input_value() for i in picker.locator("input").all()]
        assert any(SECRET_CLIENT in v for v in values), values  # the client picker shows the name as typed
        _no_rendered_markup(pg)

    pg.get_by_text(HOSTILE_NAME, exact=True).first.wait_for()  # the review card
    assert _shows(pg, HOSTILE_HEADLINE) and _shows(pg, HOSTILE_NAME)
    literal_everywhere()
    pg.reload()  # survives a reload: the cookie refers to the session row
    pg.get_by_role("heading", name="Review").wait_for()
    pg.get_by_text(HOSTILE_NAME, exact=True).first.wait_for()
    _idle(pg)
    assert _shows(pg, HOSTILE_HEADLINE)
    # data tables draw on a canvas; their accessible copy (an HTML table) holds the same plain text
    _goto(pg, "Clients & ICP", "Clients & ICP")
    pg.get_by_role("heading", name=f"ICP of {SECRET_CLIENT}").wait_for()
    pg.get_by_role("heading", name="Live preview").wait_for()
    literal_everywhere()
    preview = pg.get_by_test_id("stDataFrame").nth(1).locator("table")
    preview.wait_for(state="attached")
    assert HOSTILE_HEADLINE in preview.inner_text() and HOSTILE_NAME in preview.inner_text()
    _goto(pg, "Export", "Export")
    pg.get_by_text("leads match").first.wait_for()
    literal_everywhere()
    leads_table = pg.get_by_test_id("stDataFrame").last.locator("table")
    leads_table.wait_for(state="attached")
    assert HOSTILE_NAME in leads_table.inner_text()
    _goto(pg, "Run", "Run qualification")
    literal_everywhere()
    _goto(pg, "Upload", "Upload followers")
    literal_everywhere()

    # the admin pages (screenshots at 1440 px)
    _goto(pg, "Admin", "Admin")
    _shot_at(pg, "6-admin-users")
    for tab, name in (("Delete a client", "6-admin-delete-client"), ("Erase a person", "6-admin-erase"),
                      ("Audit trail", "6-admin-audit"), ("Settings", "6-admin-settings")):
        pg.get_by_role("tab", name=tab).click()
        _idle(pg)
        if tab == "Delete a client":  # the confirmation step, with the hostile name shown as typed
            panel = pg.get_by_role("tabpanel", name=tab)
            panel.get_by_test_id("stSelectbox").click()
            pg.get_by_role("option", name=SECRET_CLIENT, exact=True).click()
            _idle(pg)
            panel.get_by_text("Type the client's name to confirm").wait_for()
            assert _shows(pg, f"This deletes {SECRET_CLIENT} with")
            assert pg.get_by_role("button", name="Delete client").is_disabled()
            literal_everywhere()
        _shot_at(pg, name)
    assert "key" in _body(pg) and "sk-" not in _body(pg)

    # a reviewer: Review and Export only, no deletion anywhere, /admin is not reachable
    pg.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    pg.get_by_role("heading", name="Sign in").wait_for()
    _sign_in(pg, REVIEWER, REVIEWER_PASSWORD)
    pg.get_by_role("heading", name="Review").wait_for()
    _idle(pg)
    nav = pg.get_by_test_id("stSidebarNav").inner_text()
    assert "Review" in nav and "Export" in nav and "Admin" not in nav and "Upload" not in nav
    for path in ("/admin", "/clients", "/upload", "/run"):
        pg.goto(app_url + path)
        pg.get_by_test_id("stSidebar").get_by_text(f"Signed in as {REVIEWER}").wait_for()
        _idle(pg)
        assert pg.get_by_role("button", name="Delete client").count() == 0
        assert pg.get_by_role("button", name="Erase this person").count() == 0
        assert pg.get_by_role("heading", name="Admin").count() == 0
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.clients)).scalar_one() == 2
