"""The dashboard never misleads (issue 13): one browser test per point, in Debian's Chromium at 1440 px.

Each test seeds the database through the engine (the same Postgres the app subprocess uses), opens a
page by its URL and checks what the screen says. The README screenshots of the five pages are taken
here (``ICP_UPDATE_SCREENSHOTS=1``, else into a temporary folder). docs/dashboard.md lists each
point of the issue with the test that covers it.

1. a new ICP version keeps the last scored results visible, with a "rerun to apply" banner;
2. the ICP editor adds one chip per Enter (exact match first), chips wrap, the change note clears;
3. an Apify export after a page-data run enriches the leads again and says what changed;
4. one run per batch at a time, runs start only with work to do, runs table with batch and ICP version;
5. Export's counts and charts follow the filters; bucket shares per batch;
6. every stage shows progress, with the stage's rate and ETA from its first seconds;
7. words a user would use, local time, names not ids;
8. Upload: the follower-count check, Position/Company as headline, one message per file, junk refused;
9. nothing is fetched from another server; the database error page names ``db-stop``;
10. delete a batch (confirmed by its name); "Next: Run" after an upload;
and a deep link as the first request of a fresh server runs the app's shell, not a bare page file.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from icp_engine.db import schema
from tests.test_browser import (
    ADMIN,
    ADMIN_PASSWORD,
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    SHOTS,
    WAIT_MS,
    _free_port,
    _idle,
    _sign_in,
)

FIXTURES_UI = ROOT / "tests" / "fixtures" / "ui"
FOLLOWERS_PAGE = FIXTURES_UI / "followers_finance.html"
APIFY_ITEMS = FIXTURES_UI / "apify_items_finance.json"
WIDTH = 1440
FINANCE_LEADERS = {"Ingrid Salvesen", "Marcus Oyelaran", "Helena Castellanos", "Theo Lindgren"}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (/usr/bin/chromium)"),
]


# ---------------------------------------------------------------- the app and the browser


def _start_server(settings, log_path: Path, extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_API_TOKEN"))}
    env["ICP_DATA_DIR"] = str(settings.icp_data_dir)
    env["ICP_ADMIN_USER"], env["ICP_ADMIN_PASSWORD"] = ADMIN, ADMIN_PASSWORD  # the admin account on start
    env.pop("DATABASE_URL", None)
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    env.update(extra_env or {})
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    proc.log = log  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            if httpx.get(f"{url}/_stcore/health", timeout=2).text == "ok":
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            _stop(proc)
            raise RuntimeError("streamlit did not start:\n" + log_path.read_text()[-3000:])
        time.sleep(0.3)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    proc.log.close()  # type: ignore[attr-defined]


@pytest.fixture()
def server(settings, db, tmp_path):
    """A factory: ``server(**env)`` starts ``streamlit run app.py`` on the test database (extra
    environment variables allowed) and returns its URL; every server is stopped after the test."""
    procs: list[subprocess.Popen] = []

    def start(**extra_env: str) -> str:
        proc, url = _start_server(settings, tmp_path / f"streamlit-{len(procs)}.log", extra_env)
        procs.append(proc)
        return url

    yield start
    for p in procs:
        _stop(p)


@pytest.fixture()
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = b.new_context(viewport={"width": WIDTH, "height": 1000}, accept_downloads=True,
                                timezone_id="Europe/Berlin")
        pg = context.new_page()
        pg.set_default_timeout(WAIT_MS)
        try:
            yield pg
        finally:
            pg.screenshot(path=str(Path(tempfile.gettempdir()) / "icp-browser-dashboard-last.png"), full_page=True)
            context.close()
            b.close()


def _open(pg, url: str, path: str, heading: str) -> None:
    """Open ``url + path`` and wait for the page's heading, signing in as the admin (Dana) first when
    the app asks (the session cookie keeps the browser signed in for the next pages)."""
    pg.goto(url + path)
    target = pg.get_by_role("heading", name=heading, exact=True)
    gate = pg.get_by_role("heading", name="Sign in", exact=True)
    target.or_(gate).first.wait_for()
    if gate.count() and gate.first.is_visible():
        _sign_in(pg, ADMIN, ADMIN_PASSWORD)
        target.wait_for()
    _idle(pg)


def _main_text(pg) -> str:
    return pg.get_by_test_id("stMain").inner_text()


def _shot(pg, name: str, *, max_height: int = 3200) -> None:
    """A README screenshot of the whole page at 1440 px wide."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    _idle(pg)
    height = pg.evaluate("() => document.querySelector('[data-testid=\"stMainBlockContainer\"]').scrollHeight")
    pg.set_viewport_size({"width": WIDTH, "height": max(1000, min(int(height) + 120, max_height))})
    pg.wait_for_timeout(600)
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    pg.set_viewport_size({"width": WIDTH, "height": 1000})


def _tables_text(pg) -> str:
    """The accessible copy (an HTML table) of every data table on the page, as text."""
    out = []
    for t in pg.get_by_test_id("stDataFrame").all():
        if not t.is_visible():  # e.g. inside a closed expander
            continue
        table = t.locator("table")
        table.wait_for(state="attached")
        out.append(table.inner_text())
    return "\n".join(out)


def _shown(box) -> str:
    """What a selectbox shows: its text and the value of its input (the chosen option)."""
    return " ".join([box.inner_text(), *(i.input_value() for i in box.locator("input").all())])


def _headers(pg) -> list[str]:
    return [h.strip() for h in pg.locator("[data-testid='stDataFrame'] table thead th").all_inner_texts() if h.strip()]


# ---------------------------------------------------------------- seeding through the engine


def _engine(settings, db):
    from icp_engine.engine import Engine

    return Engine(settings, db=db)


FINANCE = dict(name="Finance leaders", target_titles=["CFO", "VP Finance", "Head of Finance"],
               target_industries=["Software Development", "Financial Services"], company_sizes=["51-200", "201-500"])


def _people(n: int, prefix: str):
    from icp_engine.domain import Follower

    return [Follower(key=f"{prefix}-{i}", url=f"https://www.linkedin.com/in/{prefix}-{i}/",
                     profile_url=f"https://www.linkedin.com/in/{prefix}-{i}", vanity=f"{prefix}-{i}",
                     name=f"{prefix.title()} Person{i}", headline=f"Role {i} at Company {i % 5}") for i in range(n)]


def _finance_client(eng, name: str = "Ledgerwise") -> dict:
    """A client with the finance ICP (v1) and the saved followers page as its batch, not run yet."""
    from icp_engine.domain import ICP

    c = eng.create_client(name)
    v1 = eng.save_icp(c["id"], ICP(**FINANCE), author="Dana")
    data = FOLLOWERS_PAGE.read_bytes()
    batch = eng.store_upload(c["id"], [eng.preview_upload(c["id"], "followers.html", data)],
                             batch_name="Followers May", author="Dana")
    return {"client": c, "v1": v1, "batch": batch}


def _run(eng, cid: int, **kw) -> dict:
    """Execute a run in this process (page data unless options say otherwise)."""
    run_id = eng.create_run(cid, author="Dana", **kw)
    return eng.execute_run(run_id)


def _scored_rows(eng, db, cid: int, n: int, batch_name: str, prefix: str, ver_id: int, *, start: float = 0.0,
                 components: dict | None = None) -> list[int]:
    """A batch of ``n`` leads with scores written directly (evenly spread from ``start`` to 100)."""
    from icp_engine.domain import bucket_for

    b = eng.ingest_followers(cid, _people(n, prefix), batch_name=batch_name, author="Dana",
                             source_kind="followers_page")
    ids = sorted(b["new_lead_ids"])
    with db.begin() as conn:
        for i, lid in enumerate(ids):
            score = start + (100.0 - start) * i / max(1, n - 1)
            conn.execute(schema.leads.update().where(schema.leads.c.id == lid).values(
                status="qualified", titles=[f"Title {i}"], company=f"Company {i % 4}", company_type="unknown"))
            conn.execute(schema.lead_scores.insert().values(
                lead_id=lid, icp_version_id=ver_id, icp_score=score, bucket=bucket_for(score),
                match_reasoning=f'title: "Title {i}" ≈ "CFO" ({score / 100:.2f}) · industry: unknown',
                components=components or {"title": round(score / 100, 2), "title_raw": 1.04, "stage1": 0.5,
                                          "excluded": None, "industry": None, "title_evidence": f"Title {i}",
                                          "title_target": "CFO"},
                scorer_version="test"))
    return ids


# ---------------------------------------------------------------- 1. a new ICP version hides nothing


def test_p1_new_icp_version_keeps_the_scored_results_visible(server, browser, settings, db):
    from icp_engine.domain import ICP

    eng = _engine(settings, db)
    s = _finance_client(eng)
    cid = s["client"]["id"]
    _run(eng, cid, batch_id=s["batch"]["id"])
    v2 = eng.save_icp(cid, ICP(**{**FINANCE, "target_titles": [*FINANCE["target_titles"], "Financial Controller"]}),
                      author="Dana", note="controllers too")
    url = server()
    pg = browser

    _open(pg, url, f"/review?client={cid}", "Review")
    pg.get_by_text("Scored with v1 · v2 saved — rerun to apply").wait_for()
    assert "No scored leads yet" not in _main_text(pg)
    pg.get_by_text("0 of 12 reviewed").wait_for()
    pg.locator("h3").first.wait_for()  # a lead to label, scored with v1
    _shot(pg, "4-review")

    _open(pg, url, f"/export?client={cid}", "Export")
    pg.get_by_text("Scored with v1 · v2 saved — rerun to apply").wait_for()
    pg.get_by_text(re.compile(r"12\s+leads match the filters")).wait_for()
    version = pg.get_by_test_id("stSelectbox").filter(has=pg.get_by_text("ICP version", exact=True))
    assert "v1" in _shown(version)
    with pg.expect_download(timeout=WAIT_MS) as dl:
        pg.get_by_role("button", name=re.compile(r"Download CSV \(12 leads\)")).click()
    rows = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) == 12 and set(r["name"] for r in rows[:4]) == FINANCE_LEADERS

    # the banner's button opens the Run page with v2 and the leads it has not scored yet
    pg.get_by_role("button", name="Rerun with v2").click()
    pg.get_by_role("heading", name="Run qualification").wait_for()
    _idle(pg)
    icp = pg.get_by_test_id("stSelectbox").filter(has=pg.get_by_text("ICP version", exact=True))
    assert "v2" in _shown(icp)
    leads = pg.get_by_test_id("stSelectbox").filter(has=pg.get_by_text("Leads", exact=True))
    assert "All leads of the client" in _shown(leads)
    assert v2["version"] == 2


# ---------------------------------------------------------------- 2. the ICP editor


def _chip_values(box) -> list[str]:
    """The chips (selected values) of a multiselect, in order."""
    return [t.get_attribute("title") for t in box.locator("[data-tag] span[title]").all()]


def test_p2_icp_editor_one_chip_per_enter_chips_wrap_note_clears(server, browser, settings, db):
    eng = _engine(settings, db)
    c = eng.create_client("Arclight")
    url = server()
    pg = browser
    _open(pg, url, f"/clients?client={c['id']}", "Clients & ICP")
    pg.get_by_role("heading", name="ICP of Arclight").wait_for()

    def type_enter(label: str, text: str) -> None:
        box = pg.get_by_test_id("stMultiSelect").filter(has=pg.get_by_text(label, exact=True))
        box.locator("input").click()
        box.locator("input").fill(text)
        pg.wait_for_timeout(300)
        pg.keyboard.press("Enter")
        _idle(pg)
        pg.keyboard.press("Escape")

    titles = pg.get_by_test_id("stMultiSelect").filter(has=pg.get_by_text("Target titles", exact=True))
    type_enter("Target titles", "CFO")
    assert _chip_values(titles) == ["CFO"]  # not also "Co-Founder" and "Chief Financial Officer"
    industries = pg.get_by_test_id("stMultiSelect").filter(
        has=pg.get_by_text("Industries (LinkedIn V2 taxonomy)", exact=True))
    type_enter("Industries (LinkedIn V2 taxonomy)", "Software Development")
    assert _chip_values(industries) == ["Software Development"]
    for t in ("VP Finance", "Head of Finance", "Finance Director", "Financial Controller", "FP&A Manager",
              "Chief Financial Officer", "Controller"):
        type_enter("Target titles", t)
    assert len(_chip_values(titles)) == 8
    # the chips wrap onto more rows: every chip lies inside the box, nothing scrolls sideways
    tags = titles.get_by_test_id("stMultiSelectTagsContainer")
    box = tags.bounding_box()
    assert tags.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    chips = titles.locator("[data-tag]").all()
    for chip in chips:
        b = chip.bounding_box()
        assert b and box and b["x"] >= box["x"] - 1 and b["x"] + b["width"] <= box["x"] + box["width"] + 1, (b, box)
    assert len({round(ch.bounding_box()["y"]) for ch in chips}) >= 2

    note = pg.get_by_role("textbox", name="Change note")
    note.fill("finance ICP for the pilot")
    note.press("Enter")
    _idle(pg)
    pg.get_by_role("button", name="Save new version").click()
    pg.get_by_text("Saved ICP version 1 by Dana").wait_for()
    _idle(pg)
    assert pg.get_by_role("textbox", name="Change note").input_value() == ""
    row, icp = eng.current_icp(c["id"])
    assert icp.target_titles[0] == "CFO" and len(icp.target_titles) == 8
    assert icp.target_industries == ["Software Development"] and row["change_note"] == "finance ICP for the pilot"


# ---------------------------------------------------------------- 3. better data is used


def test_p3_apify_export_after_a_page_data_run_enriches_again_and_says_what_changed(server, browser, settings, db):
    eng = _engine(settings, db)
    s = _finance_client(eng)
    cid = s["client"]["id"]
    _run(eng, cid, batch_id=s["batch"]["id"])
    before = {r["name"]: r for r in eng.export_rows(cid)}
    assert before["Ingrid Salvesen"]["company_size"] is None
    url = server()
    pg = browser
    _open(pg, url, f"/run?client={cid}", "Run qualification")
    pg.get_by_text(re.compile("Nothing to do: all 12 leads of the client are scored with v1")).wait_for()
    pg.get_by_text("Apify items I exported (JSON file)").click()
    _idle(pg)
    pg.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(APIFY_ITEMS))
    pg.get_by_text(re.compile(r"4 to enrich again with better data")).wait_for()
    _idle(pg)
    pg.get_by_role("button", name="Start qualification").click()
    pg.get_by_text(re.compile(r"Enriched 4 leads again with the Apify export: 4 got a company size, 4 got an "
                              r"industry")).wait_for(timeout=120_000)
    text = _main_text(pg)
    assert re.search(r"\d+ of 4 scores changed", text), text
    assert "8 leads had no better data in the Apify export and kept what they had." in text
    assert "better data: 12/12 leads checked, 4 enriched again" in text
    after = {r["name"]: r for r in eng.export_rows(cid)}
    assert after["Ingrid Salvesen"]["company_size"] == "51-200"
    assert after["Ingrid Salvesen"]["enrichment_source"] == "apify-json"
    assert after["Oliver Pennington"]["icp_score"] == before["Oliver Pennington"]["icp_score"]  # not in the export
    assert any(after[n]["icp_score"] != before[n]["icp_score"] for n in FINANCE_LEADERS)


# ---------------------------------------------------------------- 4. runs


def test_p4_one_run_per_batch_runs_only_with_work_runs_table_names_batch_and_version(server, browser, settings, db):
    from icp_engine.domain import ICP

    eng = _engine(settings, db)
    s = _finance_client(eng)
    cid = s["client"]["id"]
    first = _run(eng, cid, batch_id=s["batch"]["id"])
    assert first["status"] == "completed"
    # the same people again in a second upload: a batch whose leads are all known and scored
    again = eng.store_upload(cid, [eng.preview_upload(cid, "again.html", FOLLOWERS_PAGE.read_bytes())],
                             batch_name="Followers June", author="Dana")
    noop = eng.create_run(cid, batch_id=again["id"], author="Dana")  # the CLI may record a run with nothing to do
    eng.execute_run(noop)
    eng.save_icp(cid, ICP(**{**FINANCE, "keywords": ["SaaS"]}), author="Dana")
    url = server()
    pg = browser
    _open(pg, url, f"/run?client={cid}", "Run qualification")

    # default: v2 and every lead of the client it has not scored (not just the newest batch)
    leads = pg.get_by_test_id("stSelectbox").filter(has=pg.get_by_text("Leads", exact=True))
    assert "All leads of the client" in _shown(leads)
    pg.get_by_text("12 leads of the client: 12 to score with v2.").wait_for()
    start = pg.get_by_role("button", name="Start qualification")
    assert start.is_enabled()

    # with v1 there is nothing to do: the start is refused and says why
    icp = pg.get_by_test_id("stSelectbox").filter(has=pg.get_by_text("ICP version", exact=True))
    icp.click()
    pg.get_by_role("option", name=re.compile(r"^v1 · Finance leaders")).click()
    _idle(pg)
    pg.get_by_text(re.compile("Nothing to do: all 12 leads of the client are scored with v1")).wait_for()
    assert start.is_disabled()

    # the runs table names the batch and the ICP version; a run that did nothing scored 0
    _shot(pg, "3-run")
    table = _tables_text(pg)
    assert "Followers May" in table and "Followers June" in table and "v1" in table
    assert {"Run", "Status", "Leads", "ICP version", "Scored by this run"} <= set(_headers(pg))
    runs = {r["id"]: r for r in eng.views.run_rows(cid)}
    assert runs[noop]["scored_by_run"] == 0 and runs[first["run_id"]]["scored_by_run"] == 12

    # a paused run of all leads of the client: no second run of the same leads
    paused = eng.create_run(cid, author="Dana")
    eng.pause_run(paused)
    pg.reload()
    pg.get_by_role("heading", name="Run qualification").wait_for()
    _idle(pg)
    pg.get_by_text(f"Run #{paused} of these leads is paused").wait_for()
    assert pg.get_by_role("button", name="Start qualification").is_disabled()
    from icp_engine import RunConflict

    with pytest.raises(RunConflict):
        eng.create_run(cid, author="Dana")
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.runs)).scalar_one() == 3


# ---------------------------------------------------------------- 5. counts and charts follow the filters


def _plot_data(pg, index: int) -> list[dict]:
    """The traces of the ``index``-th chart as plotly.js drew them (``_fullData``: numbers arrive
    base64-encoded in ``data`` since plotly 6 and are decoded there)."""
    return pg.evaluate("(i) => document.querySelectorAll('.js-plotly-plot')[i]._fullData"
                       ".map(t => ({name: t.name, x: Array.from(t.x), y: Array.from(t.y)}))", index)


def test_p5_export_counts_and_charts_follow_the_filters_with_shares_per_batch(server, browser, settings, db):
    from icp_engine.domain import ICP

    eng = _engine(settings, db)
    c = eng.create_client("Brindlepath")
    ver = eng.save_icp(c["id"], ICP(**FINANCE), author="Dana")
    _scored_rows(eng, db, c["id"], 200, "Big upload", "big", ver["id"])
    _scored_rows(eng, db, c["id"], 10, "Small upload", "small", ver["id"], start=50.0)
    url = server()
    pg = browser
    _open(pg, url, f"/export?client={c['id']}", "Export")
    pg.locator(".js-plotly-plot").nth(1).wait_for()
    # shares, not counts: every batch's bar adds up to 100 %, the 200-lead batch does not dwarf the other
    per_batch = _plot_data(pg, 1)
    for i in range(2):
        assert abs(sum(t["y"][i] for t in per_batch) - 100) < 0.01, per_batch

    slider = pg.get_by_test_id("stSlider").filter(has=pg.get_by_text("Minimum score", exact=True))
    slider.get_by_role("slider").focus()
    for _ in range(16):  # 0 -> 80 in steps of 5
        pg.keyboard.press("ArrowRight")
    _idle(pg)
    expected = eng.views.export_summary(c["id"], eng_filters(min_score=80))["leads"]
    pg.get_by_text(re.compile(rf"{expected}\s+leads match the filters")).wait_for()
    metrics = {m.get_by_test_id("stMetricLabel").inner_text(): m.get_by_test_id("stMetricValue").inner_text()
               for m in pg.get_by_test_id("stMetric").all()}
    assert metrics == {"Strong": str(expected), "Good": "0", "Possible": "0", "Poor": "0"}, metrics
    hist = _plot_data(pg, 0)
    assert sum(hist[0]["y"]) == expected and min(hist[0]["x"]) >= 80
    _shot(pg, "5-export")

    batch = pg.get_by_test_id("stSelectbox").filter(has=pg.get_by_text("Leads", exact=True))
    batch.click()
    pg.get_by_role("option", name="Small upload").click()
    _idle(pg)
    small = eng.views.export_summary(c["id"], eng_filters(min_score=80, batch_id=_batch_id(db, "Small upload")))
    pg.get_by_text(re.compile(rf"{small['leads']}\s+leads match the filters")).wait_for()
    per_batch = _plot_data(pg, 1)
    assert {x for t in per_batch for x in t["x"]} == {x for x in per_batch[0]["x"]} and len(per_batch[0]["x"]) == 1
    assert per_batch[0]["x"][0].startswith("Small upload")


def eng_filters(**kw):
    from icp_engine import LeadFilters

    return LeadFilters(**kw)


def _batch_id(db, name: str) -> int:
    with db.connect() as conn:
        return int(conn.execute(sa.select(schema.batches.c.id).where(schema.batches.c.name == name)).scalar_one())


# ---------------------------------------------------------------- 6. progress of every stage


def test_p6_every_stage_shows_progress_with_rate_and_eta_from_its_first_seconds(server, browser, settings, db):
    from icp_engine.domain import ICP

    eng = _engine(settings, db)
    c = eng.create_client("Quorvex")
    eng.save_icp(c["id"], ICP(**FINANCE), author="Dana")
    eng.ingest_followers(c["id"], _people(1500, "lead"), batch_name="Followers 1,500", author="Dana")
    # the app embeds profiles at ~4 ms per lead (tests/fakes/slow_embed.py): the embed stage lasts ~6 s
    url = server(ICP_WIRING_HOOK="tests.fakes.slow_embed:slow_embed_stage")
    pg = browser
    _open(pg, url, f"/run?client={c['id']}", "Run qualification")
    pg.get_by_role("button", name="Start qualification").click()
    embed = pg.get_by_text(re.compile(r"^Embed: [\d,]+/1,500 · in progress$"))
    embed.wait_for(timeout=90_000)
    t_seen = time.time()
    rate = pg.get_by_test_id("stMetric").filter(has=pg.get_by_text("Rate (embed)", exact=True))
    rate.get_by_text(re.compile(r"leads/s$")).wait_for(timeout=5_000)
    eta = pg.get_by_test_id("stMetric").filter(has=pg.get_by_text("ETA (embed)", exact=True))
    assert re.search(r"\d+ s|\d+ min", eta.get_by_test_id("stMetricValue").inner_text())
    assert time.time() - t_seen < 5
    for label in ("Enrich", "Classify", "Score"):
        pg.get_by_text(re.compile(rf"^{label}: [\d,]+/1,500")).first.wait_for()
    pg.get_by_text(re.compile(r"Done: this run scored 1,500 leads")).wait_for(timeout=120_000)
    pg.get_by_text(re.compile(r"^Embed: 1,500/1,500$")).wait_for()


# ---------------------------------------------------------------- 7. words a user would use


def test_p7_words_a_user_would_use_local_time_and_names(server, browser, settings, db):
    from icp_engine.domain import ICP

    eng = _engine(settings, db)
    c = eng.create_client("Sunfield")
    ver = eng.save_icp(c["id"], ICP(**FINANCE), author="Dana")
    ids = _scored_rows(eng, db, c["id"], 6, "Followers page export", "sun", ver["id"], start=85.0)
    eng.record_feedback(ids[0], "trash", "Dana")
    with db.connect() as conn:
        stored = conn.execute(sa.select(schema.batches.c.created_at)).scalar_one()
    url = server()
    pg = browser
    internal = ["stage1", "title_raw", "excluded", "components", "icp_score", "match_reasoning", "batch_name",
                "source_kind", "followers_page", "created_at", "+00:00", "↑", "↓"]

    _open(pg, url, f"/review?client={c['id']}", "Review")
    pg.get_by_role("button", name=re.compile("Undo last label")).click()
    _idle(pg)
    pg.get_by_text("Undid Trash on Sun Person0.").wait_for()  # a name, not "lead 34"
    pg.get_by_test_id("stCheckbox").filter(has_text="Show scores").click()
    _idle(pg)
    pg.get_by_text("ICP score").wait_for()
    facts = _main_text(pg)
    assert "Company type\n–" in facts and "unknown" not in facts.split("Evidence per criterion")[0]
    tables = _tables_text(pg)
    for word in internal:
        assert word not in facts and word not in tables, word
    assert "Title" in tables and "not known" in tables  # criteria in words; unknown is said so

    local = stored.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    _open(pg, url, f"/upload?client={c['id']}", "Upload followers")
    pg.get_by_text(re.compile(r"Earlier uploads of this client")).click()
    _idle(pg)
    text = _main_text(pg) + _tables_text(pg)
    assert "Followers page" in text and f"{local.day} {local:%b %Y, %H:%M}" in text  # the browser's time zone
    for page, heading in (("clients", "Clients & ICP"), ("run", "Run qualification"), ("export", "Export")):
        _open(pg, url, f"/{page}?client={c['id']}", heading)
        text = _main_text(pg) + _tables_text(pg)
        for word in internal:
            assert word not in text, (page, word)
        for h in _headers(pg):
            assert "_" not in h and h[:1] == h[:1].upper(), (page, h)


# ---------------------------------------------------------------- 8. upload


def test_p8_upload_says_follower_count_headline_one_message_per_file_refuses_junk(server, browser, settings, db,
                                                                                  tmp_path):
    import base64
    import random

    eng = _engine(settings, db)
    c = eng.create_client("Corvana")
    page = tmp_path / "Followers.html"
    page.write_text(FOLLOWERS_PAGE.read_text().replace("12 people are following you", "1,284 followers"))
    conn_csv = tmp_path / "Connections.csv"
    conn_csv.write_text(
        "Notes:\n\"When exporting your connection data, you may notice that some of the email addresses are missing.\"\n\n"
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        "Ada,Quill,https://www.linkedin.com/in/ada-quill,,Tallowbrook Software,CFO,01 Mar 2024\n"
        "Bo,Reyes,https://www.linkedin.com/in/bo-reyes,,Lumivane AI,Head of Finance,02 Mar 2024\n")
    junk = tmp_path / "attachment.txt"
    junk.write_bytes(base64.encodebytes(random.Random(3).randbytes(4 * 1024 * 1024)))
    url = server()
    pg = browser
    _open(pg, url, f"/upload?client={c['id']}", "Upload followers")
    pg.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(conn_csv), str(page), str(junk)])
    pg.get_by_role("button", name="Store 14 people").wait_for()
    _idle(pg)
    alerts = [a.inner_text() for a in pg.get_by_test_id("stAlert").all()]
    assert len(alerts) == 3, alerts  # one message per file
    # each message opens with its file's name (the icon's name comes first in the text)
    by_file = {name: [a for a in alerts if a.split("\n", 1)[-1].strip().startswith(name)]
               for name in ("Followers.html", "Connections.csv", "attachment.txt")}
    assert all(len(v) == 1 for v in by_file.values()), by_file
    followers = by_file["Followers.html"][0]
    assert "The page header says 1,284 followers; 12 are in this file." in followers
    assert "scroll to the end of the list" in followers and followers.count("Followers.html") == 1
    refused = by_file["attachment.txt"][0]
    assert "nothing from this file will be stored" in refused and "No LinkedIn profile URLs were found" in refused
    assert refused.count("attachment.txt") == 1
    assert "Connections.csv · LinkedIn connections export: 2 people" in by_file["Connections.csv"][0]
    table = _tables_text(pg)
    # the connections (listed first) read "Position at Company", not an empty headline
    assert re.search(r"Ada Quill\s*CFO at Tallowbrook Software", table), table
    assert re.search(r"Bo Reyes\s*Head of Finance at Lumivane AI", table), table
    _shot(pg, "2-upload")


# ---------------------------------------------------------------- 9. served locally; the right command


def test_p9_nothing_is_fetched_from_another_server_and_the_database_page_says_db_stop(server, browser, settings, db):
    eng = _engine(settings, db)
    c = eng.create_client("Meridale")
    url = server()
    pg = browser
    outside: list[str] = []
    pg.on("request", lambda r: outside.append(r.url)
          if not r.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")) else None)
    for page, heading in (("clients", "Clients & ICP"), ("upload", "Upload followers"), ("run", "Run qualification"),
                          ("review", "Review"), ("export", "Export")):
        _open(pg, url, f"/{page}?client={c['id']}", heading)
    pg.wait_for_timeout(1500)
    icons = pg.evaluate("() => [...document.querySelectorAll('link[rel~=icon]')].map(l => l.href)")
    assert icons and all(h.startswith(url) for h in icons), icons
    assert httpx.get(icons[-1]).headers["content-type"].startswith("image/")
    assert outside == [], outside

    broken = server(DATABASE_URL="postgresql+psycopg://nobody:nothing@127.0.0.1:9/nowhere?connect_timeout=2")
    _open(pg, broken, "/", "The database could not start")
    text = _main_text(pg)
    assert "python -m icp_engine db-stop" in text and "db stop" not in text


# ---------------------------------------------------------------- 10. delete a batch; the next step


def test_p10_delete_batch_with_confirmation_and_next_step_after_upload(server, browser, settings, db):
    from icp_engine.domain import ICP

    eng = _engine(settings, db)
    c = eng.create_client("Pebblecraft")
    eng.save_icp(c["id"], ICP(**FINANCE), author="Dana")
    keep = eng.ingest_followers(c["id"], _people(3, "shared"), batch_name="Older upload", author="Dana")
    url = server()
    pg = browser
    _open(pg, url, f"/upload?client={c['id']}", "Upload followers")
    pg.get_by_role("textbox", name="…or paste profile URLs (one per line)").fill(
        "https://www.linkedin.com/in/shared-0/\nhttps://www.linkedin.com/in/only-here-1/\n"
        "https://www.linkedin.com/in/only-here-2/")
    pg.keyboard.press("Control+Enter")
    pg.get_by_role("button", name="Store 3 people").click()
    pg.get_by_text("2 new leads, 1 already leads").wait_for()
    _idle(pg)
    pg.get_by_role("link", name=re.compile("Next: run qualification on pasted-urls")).click()
    pg.get_by_role("heading", name="Run qualification").wait_for()
    _idle(pg)

    _open(pg, url, f"/upload?client={c['id']}", "Upload followers")
    pg.get_by_text(re.compile(r"Earlier uploads of this client \(2\)")).click()
    _idle(pg)
    picker = pg.get_by_test_id("stSelectbox").filter(has=pg.get_by_text("Batch to delete", exact=True))
    picker.click()
    pg.get_by_role("option", name=re.compile(r"^pasted-urls")).click()
    _idle(pg)
    pg.get_by_text(re.compile(r"2 leads that are in no other upload go with their scores and review labels; "
                              r"1 leads that are also in another upload stay")).wait_for()
    delete = pg.get_by_role("button", name="Delete batch")
    assert delete.is_disabled()
    with db.connect() as conn:
        typed = conn.execute(sa.select(schema.batches.c.name).where(schema.batches.c.name.startswith("pasted-urls"))
                             ).scalar_one()
    pg.get_by_role("textbox", name="Type the batch's name to confirm").fill(typed)
    pg.keyboard.press("Enter")
    _idle(pg)
    delete.click()
    pg.get_by_text(f"Deleted the batch {typed}").wait_for()
    with db.connect() as conn:
        names = conn.execute(sa.select(schema.batches.c.name)).scalars().all()
        vanities = set(conn.execute(sa.select(schema.leads.c.vanity)).scalars())
    assert names == ["Older upload"] and vanities == {"shared-0", "shared-1", "shared-2"}
    assert keep["new_leads"] == 3


# ---------------------------------------------------------------- a deep link on a fresh server


def test_deep_link_as_the_first_request_of_a_fresh_server_runs_the_app_shell(server, browser, settings, db):
    eng = _engine(settings, db)
    c = eng.create_client("Tallowbrook")
    url = server()  # nothing has been requested from this server yet
    pg = browser
    _open(pg, url, f"/upload?client={c['id']}", "Upload followers")  # through the sign-in gate
    nav = pg.get_by_test_id("stSidebarNav").inner_text()
    assert "Clients & ICP" in nav and "Upload" in nav and "Export" in nav
    assert not {"app", "clients", "upload", "ui", "calls", "auth routes"} & {w.strip().lower() for w in nav.split("\n")
                                                                          if w.strip().islower()}, nav
    picker = pg.get_by_test_id("stSidebar").get_by_test_id("stSelectbox")
    assert "Tallowbrook" in _shown(picker)
    # what is typed right after the start is kept (widget ids do not change after the first run)
    box = pg.get_by_role("textbox", name="…or paste profile URLs (one per line)")
    box.fill("https://www.linkedin.com/in/first-typed/")
    pg.keyboard.press("Control+Enter")
    pg.get_by_role("button", name="Store 1 people").wait_for()
