"""Dashboard page logic with Streamlit's AppTest, on the real test Postgres.

The app builds its engine from environment variables; the ``app_env`` fixture points them at the
test database (the session's embedded server via ``ICP_DATA_DIR``, or ``TEST_DATABASE_URL``) and
clears Streamlit's resource cache so the app connects there. Data is seeded through the same
engine API the pages use; scores are written as rows of ``lead_scores`` so the Review/Export tests
do not depend on the scorer's exact numbers.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from icp_engine import Bucket, LeadFilters, icp_diff
from icp_engine.domain import ICP, Follower, bucket_for
from icp_engine.db import schema

ROOT = Path(__file__).resolve().parent.parent
FIXTURES_UI = ROOT / "tests" / "fixtures" / "ui"
APP = str(ROOT / "pages" / "_app.py")  # the main script every session runs (app.py is the server)
FINANCE_ICP = ICP(
    name="Finance leaders",
    target_titles=["CFO", "VP Finance", "Head of Finance"],
    target_industries=["Software Development", "Financial Services"],
    company_sizes=["51-200", "201-500"],
)
KEY_ENV = ("OPENAI_API_KEY", "APIFY_API_TOKEN", "JINA_API_KEY", "COHERE_API_KEY", "FATHOM_API_KEY")


_STATE: dict = {}  # the test database of the running test, for new_app's sign-in


@pytest.fixture()
def app_env(settings, db, monkeypatch, tmp_path):
    """Environment for the dashboard (``pages/_app.py``): the test database, no API keys, a clean
    resource cache."""
    import streamlit as st

    from icp_engine.auth import Auth

    _STATE["auth"] = Auth(db, settings)
    monkeypatch.delenv("ICP_ADMIN_USER", raising=False)
    monkeypatch.delenv("ICP_ADMIN_PASSWORD", raising=False)

    monkeypatch.setenv("ICP_DATA_DIR", str(settings.icp_data_dir))
    if settings.database_url:
        monkeypatch.setenv("DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    for k in KEY_ENV:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env / secrets.toml of the developer
    monkeypatch.syspath_prepend(str(ROOT))
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


@pytest.fixture()
def eng(settings, db):
    from icp_engine.engine import Engine

    return Engine(settings, db=db)


PASSWORD = "correct horse battery staple"


def plain(markdown: str) -> str:
    """What an escaped Markdown string (``pages._ui.md``) shows: escapes and word joiners removed."""
    import re

    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


def sign_in_token(username: str, role: str = "admin") -> str:
    """A real session token of an account (created when missing) on the test database."""
    auth = _STATE["auth"]
    if not any(u["username"] == username for u in auth.list_users()):
        auth.create_user(username, PASSWORD, role, actor="test")
    return auth.login(username, PASSWORD)[1]


def new_app(reviewer: str = "Dana", role: str = "admin") -> AppTest:
    """The app with ``reviewer`` signed in (an admin unless ``role`` says otherwise); ``reviewer=None``
    for a visitor who is not signed in."""
    at = AppTest.from_file(APP, default_timeout=120)
    if reviewer is not None:
        at.session_state["_auth_token"] = sign_in_token(reviewer, role)
    return at


def people(n: int, prefix: str = "person") -> list[Follower]:
    return [
        Follower(
            key=f"{prefix}-{i}",
            url=f"https://www.linkedin.com/in/{prefix}-{i}/",
            profile_url=f"https://www.linkedin.com/in/{prefix}-{i}",
            vanity=f"{prefix}-{i}",
            name=f"{prefix.title()} Number{i}",
            headline=f"Role {i} at Company {i % 7}",
        )
        for i in range(n)
    ]


def seed_scored(eng, db, n: int = 30, client: str = "Acme") -> dict:
    """A client with an ICP, one batch of ``n`` leads, enriched and scored (score = 100*i/(n-1))."""
    c = eng.create_client(client)
    ver = eng.save_icp(c["id"], FINANCE_ICP, author="setup")
    batch = eng.ingest_followers(c["id"], people(n), batch_name="first upload")
    ids = sorted(batch["new_lead_ids"])
    t = schema
    with db.begin() as conn:
        for i, lid in enumerate(ids):
            score = 100.0 * i / max(1, n - 1)
            conn.execute(
                t.leads.update().where(t.leads.c.id == lid).values(
                    status="qualified", titles=["CFO" if score >= 80 else f"Title {i % 3}"],
                    company=f"Company {i % 4}", industry="Software Development", company_size="51-200",
                )
            )
            conn.execute(
                t.lead_scores.insert().values(
                    lead_id=lid, icp_version_id=ver["id"], icp_score=score, bucket=bucket_for(score),
                    match_reasoning=f"title evidence {i}", components={"title": round(score / 100, 2), "industry": 1.0},
                    scorer_version="test",
                )
            )
    return {"client": c, "version": ver, "batch": batch, "lead_ids": ids}


def open_page(at: AppTest, page: str) -> AppTest:
    """Run the app, then open ``page`` (a page file, relative to ``pages/_app.py``; a leading
    ``pages/`` is dropped)."""
    at.run()
    assert not at.exception, at.exception
    at.switch_page(page.removeprefix("pages/")).run()
    assert not at.exception, at.exception
    return at


# ---------------------------------------------------------------- app shell


def test_app_starts_with_no_client(app_env):
    at = new_app()
    at.run()
    assert not at.exception
    assert at.title[0].value == "Clients & ICP"
    assert at.sidebar.selectbox(key="client_id").value is None
    assert any("Create a client" in i.value for i in at.info)


def test_database_error_page(app_env, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody:nopw@127.0.0.1:1/none")
    at = new_app()
    at.run()
    assert not at.exception
    assert at.title[0].value == "The database could not start"
    assert "cannot connect" in at.error[0].value


def test_client_comes_from_the_url(app_env, eng):
    first = eng.create_client("First")
    second = eng.create_client("Second")
    at = new_app("Lee")
    at.query_params["client"] = str(second["id"])
    at.run()
    assert not at.exception
    assert at.sidebar.selectbox(key="client_id").value == second["id"]
    assert at.header[0].value == "ICP of Second"
    assert any("Signed in as **Lee**" in c.value for c in at.sidebar.caption)
    # and the choice is written back to the URL
    at.sidebar.selectbox(key="client_id").select(first["id"]).run()
    assert at.query_params["client"] in (str(first["id"]), [str(first["id"])])


@pytest.mark.parametrize("bad", ["999999", "abc"])
def test_unknown_client_in_the_url_is_an_error_not_another_clients_data(app_env, eng, bad):
    eng.create_client("Only Client")
    at = new_app("Lee")
    at.query_params["client"] = bad
    at.run()
    assert not at.exception
    assert any("names a client that does not exist" in e.value for e in at.error)
    assert at.sidebar.selectbox(key="client_id").value is None
    assert not at.header  # no client's ICP is shown
    assert "client" not in at.query_params


def test_pages_ask_for_a_client_first(app_env):
    for page in ("2_upload.py", "3_run.py", "4_review.py", "5_export.py"):
        at = open_page(new_app(), page)
        assert any("Create or pick a client" in i.value for i in at.info), page


# ---------------------------------------------------------------- clients & ICP


def test_create_client_selects_it(app_env, eng):
    at = new_app()
    at.run()
    form_name = next(t for t in at.text_input if t.label == "Client name")
    form_name.input("Northwind Finance")
    next(b for b in at.button if b.label == "Create client").click()
    at.run()
    assert not at.exception
    clients = eng.list_clients()
    assert [c["name"] for c in clients] == ["Northwind Finance"]
    assert at.sidebar.selectbox(key="client_id").value == clients[0]["id"]
    assert any("created" in s.value for s in at.success)

    # duplicate name: clear error, nothing created
    next(t for t in at.text_input if t.label == "Client name").input("Northwind Finance")
    next(b for b in at.button if b.label == "Create client").click()
    at.run()
    assert at.error and len(eng.list_clients()) == 1


def test_icp_editor_saves_versions_with_author_and_history(app_env, eng):
    c = eng.create_client("Acme")
    at = new_app(reviewer="Dana")
    at.run()
    cid = c["id"]
    assert at.sidebar.selectbox(key="client_id").value == cid
    save = at.button(key=f"icp_save_{cid}")
    assert save.disabled  # empty ICP cannot be saved
    at.multiselect(key=f"icp_target_titles_{cid}").set_value(["CFO", "VP Finance", "Head of Finance"])
    at.multiselect(key=f"icp_target_industries_{cid}").set_value(["Software Development", "Financial Services"])
    at.multiselect(key=f"icp_company_sizes_{cid}").set_value(["51-200", "201-500"])
    at.text_input(key=f"icp_note_{cid}_0").input("first cut")
    at.run()
    at.button(key=f"icp_save_{cid}").click().run()
    assert not at.exception
    row, icp = eng.current_icp(cid)
    assert row["version"] == 1 and row["created_by"] == "Dana" and row["change_note"] == "first cut"
    assert icp.target_titles == ["CFO", "VP Finance", "Head of Finance"]
    assert icp.company_sizes == ["51-200", "201-500"]

    # second version: drop a title, add an exclusion; history shows who changed what
    at.multiselect(key=f"icp_target_titles_{cid}").unselect("Head of Finance")
    at.multiselect(key=f"icp_exclusions_{cid}").select("student")
    at.run()
    at.button(key=f"icp_save_{cid}").click().run()
    history = eng.icp_history(cid)
    assert [h["version"] for h in history] == [2, 1]
    table = at.dataframe[-1].value
    assert list(table["Version"]) == ["v2", "v1"]
    assert "- titles: Head of Finance" in table["Changes"][0] and "+ exclusions: student" in table["Changes"][0]
    assert list(table["By"]) == ["Dana", "Dana"]
    # unchanged ICP: save disabled
    assert at.button(key=f"icp_save_{cid}").disabled


def test_icp_editor_function_and_seniority_pickers(app_env, eng):
    c = eng.create_client("Pickers")
    cid = c["id"]
    at = new_app()
    at.run()
    fk, sk = f"icp_functions_{cid}", f"icp_seniorities_{cid}"
    assert at.multiselect(key=fk).value == [] and at.multiselect(key=sk).value == []
    assert "Finance" in at.multiselect(key=fk).options and "CXO" in at.multiselect(key=sk).options
    # free titles fill the pickers with what they imply; saving them keeps the ICP a titles ICP
    at.multiselect(key=f"icp_target_titles_{cid}").set_value(["CFO", "VP Finance"]).run()
    assert at.multiselect(key=fk).value == ["Finance"]
    assert at.multiselect(key=sk).value == ["CXO", "Vice President"]
    assert any("Filled in from the target titles" in x.value for x in at.caption)
    at.button(key=f"icp_save_{cid}").click().run()
    assert not at.exception
    _, icp = eng.current_icp(cid)
    assert icp.target_titles == ["CFO", "VP Finance"] and icp.functions == [] and icp.seniorities == []
    # the pickers follow the titles until changed
    at.multiselect(key=f"icp_target_titles_{cid}").select("Head of Finance").run()
    assert at.multiselect(key=sk).value == ["CXO", "Vice President", "Director"]
    # a change makes them the ICP's own criteria, saved with the version and shown in the history
    at.multiselect(key=fk).select("Accounting").run()
    assert any("Picked by you" in x.value for x in at.caption)
    at.button(key=f"icp_save_{cid}").click().run()
    row, icp = eng.current_icp(cid)
    assert row["version"] == 2 and icp.functions == ["Finance", "Accounting"] and icp.seniorities == []
    assert "+ job functions: Finance, Accounting" in at.dataframe[-1].value["Changes"][0]
    # a fresh session loads the saved picks; titles no longer change them
    at = new_app()
    at.run()
    assert at.multiselect(key=fk).value == ["Finance", "Accounting"]
    at.multiselect(key=f"icp_target_titles_{cid}").set_value(["Marketing Director"]).run()
    assert at.multiselect(key=fk).value == ["Finance", "Accounting"]
    assert at.multiselect(key=sk).value == ["Director"]  # levels were not picked: implied by the titles
    # back to what the titles imply
    at.button(key=f"icp_roles_reset_{cid}").click().run()
    from icp_engine import implied_roles

    assert at.multiselect(key=fk).value == implied_roles(["Marketing Director"])[0]
    assert not any("Picked by you" in x.value for x in at.caption)


def test_icp_template_fills_the_editor(app_env, eng):
    c = eng.create_client("Seedy")
    at = new_app()
    at.run()
    cid = c["id"]
    at.selectbox(key=f"icp_template_{cid}").select("Founders of seed-stage startups").run()
    at.button(key=f"icp_apply_{cid}").click().run()
    assert not at.exception
    assert at.multiselect(key=f"icp_target_titles_{cid}").value == ["Founder", "Co-Founder", "CEO"]
    assert at.multiselect(key=f"icp_company_sizes_{cid}").value == ["1-10", "11-50"]
    assert at.multiselect(key=f"icp_company_types_{cid}").value == ["startup"]
    assert at.text_input(key=f"icp_note_{cid}_0").value.startswith("from template")
    at.button(key=f"icp_save_{cid}").click().run()
    row, icp = eng.current_icp(cid)
    assert icp.company_types == ["startup"] and row["change_note"] == "from template: Founders of seed-stage startups"


def test_icp_restore_earlier_version(app_env, eng):
    c = eng.create_client("Acme")
    eng.save_icp(c["id"], ICP(target_titles=["CFO"]), author="a")
    eng.save_icp(c["id"], ICP(target_titles=["CTO"]), author="b")
    at = new_app()
    at.run()
    cid = c["id"]
    assert at.multiselect(key=f"icp_target_titles_{cid}").value == ["CTO"]
    at.selectbox(key=f"icp_restore_{cid}").select(1).run()
    at.button(key=f"icp_load_{cid}").click().run()
    assert at.multiselect(key=f"icp_target_titles_{cid}").value == ["CFO"]


# ---------------------------------------------------------------- upload


URLS = "\n".join(f"https://www.linkedin.com/in/paste-person-{i}/" for i in range(5))


def test_upload_pasted_urls_preview_then_store(app_env, eng):
    c = eng.create_client("Acme")
    at = open_page(new_app(), "2_upload.py")
    at.text_area[0].input(URLS).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"People found": "5", "New leads": "5", "Already leads": "0"}
    assert eng.list_batches(c["id"]) == []  # preview stores nothing
    store = next(b for b in at.button if b.label.startswith("Store 5 people"))
    store.click().run()
    assert not at.exception
    batches = eng.list_batches(c["id"])
    assert len(batches) == 1 and batches[0]["new_leads"] == 5 and batches[0]["created_by"] == "Dana"
    assert any("5 new leads" in s.value for s in at.success)

    # the same people again (plus one): known ones are reported, one new
    at.text_area[0].input(URLS + "\nhttps://www.linkedin.com/in/paste-person-9/").run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"People found": "6", "New leads": "1", "Already leads": "5"}
    assert list(at.dataframe[-1].value["Status"]).count("already a lead") == 5


def test_upload_bad_input_shows_error_and_stores_nothing(app_env, eng):
    c = eng.create_client("Acme")
    at = open_page(new_app(), "2_upload.py")
    at.text_area[0].input("hello, these are not profile links").run()
    assert not at.exception
    assert at.error and "pasted-urls.txt" in plain(at.error[0].value)
    assert not [b for b in at.button if b.label.startswith("Store")]
    assert eng.list_batches(c["id"]) == []


def test_upload_files_merge_dedupe_and_zip(app_env, eng):
    import io
    import zipfile

    c = eng.create_client("Acme")
    page = (FIXTURES_UI / "followers_finance.html").read_bytes()
    urls = b"https://www.linkedin.com/in/ingrid-salvesen-cfo/\nhttps://www.linkedin.com/in/brand-new-person/\n"
    at = open_page(new_app(), "2_upload.py")
    at.file_uploader[0].set_value([("followers.html", page, "text/html"), ("more.txt", urls, "text/plain")]).run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric} == {"People found": "13", "New leads": "13", "Already leads": "0"}
    assert any("followers.html" in plain(m.value) and "**12** people" in m.value for m in [*at.success, *at.warning])
    next(b for b in at.button if b.label.startswith("Store 13 people")).click().run()
    assert not at.exception
    (batch,) = eng.list_batches(c["id"])
    assert batch["new_leads"] == 13 and batch["source_filename"] == "followers.html, more.txt"

    # the same page again: everyone is known now
    at.file_uploader[0].set_value(("followers-again.html", page, "text/html")).run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric} == {"People found": "12", "New leads": "0", "Already leads": "12"}

    # a zip that is not LinkedIn's data export: a clear error, nothing offered for storing
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("Followers _ LinkedIn.html", page)
    at.file_uploader[0].set_value(("saved.zip", buf.getvalue(), "application/zip")).run()
    assert not at.exception
    assert "saved.zip" in plain(at.error[0].value) and "nothing from this file will be stored" in at.error[0].value
    assert plain(at.error[0].value).count("saved.zip") == 1  # the file is named once
    assert not at.metric and not [b for b in at.button if b.label.startswith("Store")]
    assert len(eng.list_batches(c["id"])) == 1


# ---------------------------------------------------------------- run


def test_run_page_needs_icp_then_runs_in_background(app_env, eng, db):
    c = eng.create_client("Acme")
    eng.ingest_followers(c["id"], people(6), batch_name="b1")
    at = open_page(new_app(), "3_run.py")
    assert any("no ICP yet" in w.value for w in at.warning)

    eng.save_icp(c["id"], FINANCE_ICP, author="setup")
    at.run()
    assert not at.exception
    assert any("6 leads of the client: 6 to enrich, 6 to score with v1." in i.value for i in at.info)
    # live Apify without a token is offered but blocks the start
    at.radio(key=f"run_enrich_{c['id']}").set_value("apify").run()
    assert any("APIFY_API_TOKEN" in e.value for e in at.error)
    assert at.button(key=f"run_start_{c['id']}").disabled
    assert at.radio(key=f"run_rerank_{c['id']}").options == ["None", "Local cross-encoder (offline)"]
    at.radio(key=f"run_enrich_{c['id']}").set_value("page").run()
    at.button(key=f"run_start_{c['id']}").click().run()
    assert not at.exception
    runs = eng.list_runs(c["id"])
    assert len(runs) == 1 and runs[0]["created_by"] == "Dana"
    run_id = runs[0]["id"]
    deadline = time.time() + 120
    while eng.run_status(run_id)["status"] in ("queued", "running") and time.time() < deadline:
        time.sleep(0.5)
    status = eng.run_status(run_id)
    assert status["status"] == "completed", status
    assert status["counts"]["scored"] == 6
    at.run()
    assert any("Done: this run scored 6 leads." in s.value for s in at.success)
    assert any("Score: 6/6" in p.proto.text for p in at.get("progress"))
    # nothing left to do: the start is refused, and says why
    assert at.button(key=f"run_start_{c['id']}").disabled
    assert any("Nothing to do: all 6 leads of the client are scored with v1" in s.value for s in at.success)


def test_run_page_apify_estimate_when_token_set(app_env, eng, monkeypatch):
    monkeypatch.setenv("APIFY_API_TOKEN", "apify_api_test_token")
    monkeypatch.setenv("JINA_API_KEY", "jina_test_key")
    c = eng.create_client("Acme")
    eng.save_icp(c["id"], FINANCE_ICP)
    eng.ingest_followers(c["id"], people(6), batch_name="b1")
    at = open_page(new_app(), "3_run.py")
    cid = c["id"]
    assert at.radio(key=f"run_rerank_{cid}").options == [
        "None", "Local cross-encoder (offline)", "Jina reranker (API)"]
    at.radio(key=f"run_enrich_{cid}").set_value("apify").run()
    assert not at.exception and not at.error
    assert not at.button(key=f"run_start_{cid}").disabled
    est = next(i.value for i in at.info if "Apify:" in i.value)
    # 6 profiles x $0.003 + 1 actor start x $0.002 (Settings defaults)
    assert "**6** profiles to scrape in 1 actor runs" in est and "**$0.02**" in est
    assert eng.list_runs(cid) == []  # estimating starts nothing


def test_run_page_llm_judgement_checkbox_only_with_a_key(app_env, eng, monkeypatch):
    c = eng.create_client("Acme")
    eng.save_icp(c["id"], FINANCE_ICP)
    eng.ingest_followers(c["id"], people(6), batch_name="b1")
    cid = c["id"]
    at = open_page(new_app(), "pages/3_run.py")
    assert not [b for b in at.checkbox if b.key == f"run_judge_{cid}"]  # no key: not offered
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("EMBEDDING_PROVIDER", "local")
    import streamlit as st

    st.cache_resource.clear()  # the app's engine reads the settings once
    at = open_page(new_app(), "pages/3_run.py")
    box = at.checkbox(key=f"run_judge_{cid}")
    assert box.label == "LLM judgement of uncertain leads (paid)" and box.value is False
    est = next(i.value for i in at.info if "to score with v1" in i.value)  # what the run would do and cost
    assert "LLM judgement" not in est
    box.check().run()
    assert not at.exception and not at.error
    est = next(i.value for i in at.info if "to score with v1" in i.value).replace("\\", "")
    assert "LLM judgement: up to **6** leads in 1 requests, at most **$0.0" in est and "gpt-5-mini" in est
    assert eng.list_runs(cid) == []  # estimating starts nothing


def test_run_with_exported_apify_items(app_env, eng, db, settings):
    c = eng.create_client("Ledgerwise")
    cid = c["id"]
    eng.save_icp(cid, FINANCE_ICP, author="setup")
    page = (FIXTURES_UI / "followers_finance.html").read_bytes()
    eng.store_upload(cid, [eng.preview_upload(cid, "followers.html", page)], batch_name="followers")
    at = open_page(new_app(), "3_run.py")
    at.radio(key=f"run_enrich_{cid}").set_value("apify-json").run()
    assert any("Upload the exported Apify items" in e.value for e in at.error)
    assert at.button(key=f"run_start_{cid}").disabled
    items = (FIXTURES_UI / "apify_items_finance.json").read_bytes()
    at.file_uploader(key=f"run_items_{cid}").set_value(("dataset.json", items, "application/json")).run()
    assert not at.exception and not at.error
    saved = list((Path(settings.icp_data_dir) / "uploads").glob("*-dataset.json"))
    assert saved and saved[0].read_bytes() == items
    at.button(key=f"run_start_{cid}").click().run()
    run_id = eng.list_runs(cid)[0]["id"]
    assert eng.list_runs(cid)[0]["options"]["enrich"] == "apify-json"
    deadline = time.time() + 120
    while eng.run_status(run_id)["status"] in ("queued", "running") and time.time() < deadline:
        time.sleep(0.5)
    assert eng.run_status(run_id)["status"] == "completed", eng.run_status(run_id)
    rows = {r["name"]: r for r in eng.export_rows(cid)}
    assert len(rows) == 12
    ingrid = rows["Ingrid Salvesen"]
    assert (ingrid["company"], ingrid["company_size"], ingrid["enrichment_source"]) == (
        "Tallowbrook Software", "51-200", "apify-json")
    assert rows["Marcus Oyelaran"]["company_size"] == "201-500"
    ranked = [r["name"] for r in eng.export_rows(cid)]
    assert set(ranked[:4]) == {"Ingrid Salvesen", "Marcus Oyelaran", "Helena Castellanos", "Theo Lindgren"}
    assert ranked.index("Oliver Pennington") >= 9


def test_run_page_pause_resume_cancel_and_retry(app_env, eng, db):
    s = seed_scored(eng, db, n=4)
    cid = s["client"]["id"]
    at = open_page(new_app(), "3_run.py")  # the app's engine starts (and resumes old runs) here
    run_id = eng.create_run(cid, batch_id=s["batch"]["id"])  # queued, nobody works on it
    with db.begin() as conn:  # one failed lead to retry
        conn.execute(schema.leads.update().where(schema.leads.c.id == s["lead_ids"][0]).values(
            status="failed", error_message="boom", retry_count=3))
    at.run()
    assert at.selectbox(key=f"run_pick_{cid}_{run_id}").value == run_id
    at.button(key=f"pause_{run_id}").click().run()
    assert eng.run_status(run_id)["status"] == "paused"
    at.button(key=f"cancel_{run_id}").click().run()
    assert eng.run_status(run_id)["status"] == "cancelled"
    retry = at.button(key=f"retry_{run_id}")
    assert retry.label == "Retry 1 failed leads" and not retry.disabled
    retry.click().run()
    assert not at.exception
    runs = eng.list_runs(cid)
    assert len(runs) == 2 and runs[0]["id"] != run_id
    with db.connect() as conn:
        st_ = conn.execute(sa.select(schema.leads.c.status, schema.leads.c.retry_count)
                           .where(schema.leads.c.id == s["lead_ids"][0])).one()
    assert st_.status != "failed" and st_.retry_count == 0


# ---------------------------------------------------------------- review


def test_review_random_order_hidden_scores_keep_trash_undo(app_env, eng, db):
    s = seed_scored(eng, db, n=12)
    cid = s["client"]["id"]
    at = open_page(new_app(reviewer="Dana"), "4_review.py")
    assert not at.get("metric")  # score hidden by default
    first = eng.review_queue(cid, "Dana", limit=20)
    scores = [r["icp_score"] for r in first]
    assert scores != sorted(scores, reverse=True) and scores != sorted(scores)  # not sorted by score
    lead = first[0]
    assert lead["name"] in at.markdown[0].value or any(lead["name"] in m.value for m in at.markdown)

    at.toggle(key="review_show_scores").set_value(True).run()
    assert at.metric[0].label == "ICP score"

    at.button(key=f"keep_{lead['id']}").click().run()
    assert not at.exception
    second = first[1]
    at.button(key=f"trash_{second['id']}").click().run()
    third = first[2]
    at.button(key=f"skip_{third['id']}").click().run()
    prog = eng.review_progress(cid, "Dana")
    assert (prog["keep"], prog["trash"], prog["skip"], prog["labelled"]) == (1, 1, 1, 3)
    with db.connect() as conn:
        fb = conn.execute(sa.select(schema.lead_feedback).order_by(schema.lead_feedback.c.id)).mappings().all()
    assert [(f["lead_id"], f["label"], f["reviewer"], f["icp_version_id"]) for f in fb] == [
        (lead["id"], "keep", "Dana", s["version"]["id"]),
        (second["id"], "trash", "Dana", s["version"]["id"]),
        (third["id"], "skip", "Dana", s["version"]["id"]),
    ]
    assert "3 of 12 reviewed" in at.get("progress")[0].proto.text

    at.toggle(key="review_similar").set_value(True).run()
    assert not at.exception
    assert any("No embeddings yet" in c.value for c in at.caption)  # seeded leads have no vectors

    at.button(key="review_undo").click().run()
    assert eng.review_progress(cid, "Dana")["labelled"] == 2
    # the undone lead is back at its place in the queue
    assert any(third["name"] in m.value for m in at.markdown)


def test_review_order_is_per_reviewer_and_stable(app_env, eng, db):
    s = seed_scored(eng, db, n=15)
    cid = s["client"]["id"]
    a1 = [r["id"] for r in eng.review_queue(cid, "Dana", limit=15)]
    a2 = [r["id"] for r in eng.review_queue(cid, "Dana", limit=15)]
    b = [r["id"] for r in eng.review_queue(cid, "Lee", limit=15)]
    assert a1 == a2 and a1 != b and sorted(a1) == sorted(b)
    at = open_page(new_app(reviewer="Lee"), "4_review.py")
    assert at.button(key=f"keep_{b[0]}")


def test_review_labels_carry_the_signed_in_account(app_env, eng, db):
    s = seed_scored(eng, db, n=3)
    at = open_page(new_app(reviewer="Rita", role="reviewer"), "4_review.py")
    assert not at.exception and at.title[0].value == "Review"
    assert not at.sidebar.get("text_input")  # no free-text reviewer field
    lead = eng.review_queue(s["client"]["id"], "Rita", limit=1)[0]
    at.button(key=f"keep_{lead['id']}").click().run()
    with db.connect() as conn:
        assert conn.execute(sa.select(schema.lead_feedback.c.reviewer)).scalars().all() == ["Rita"]


# ---------------------------------------------------------------- export


def test_export_page_filters_summary_paging(app_env, eng, db):
    s = seed_scored(eng, db, n=120)
    cid = s["client"]["id"]
    at = open_page(new_app(), "5_export.py")
    assert not at.exception
    counts = eng.bucket_counts(cid)
    assert {m.label.lower(): int(m.value) for m in at.metric} == counts
    assert sum(counts.values()) == 120
    assert any("**120** leads match" in m.value for m in at.markdown)
    table = at.dataframe[-1].value
    assert len(table) == 50 and list(table["icp_score"]) == sorted(table["icp_score"], reverse=True)
    assert any("Page 1 of 3" in c.value for c in at.caption)
    at.button(key=f"next_{cid}").click().run()
    assert any("Page 2 of 3" in c.value for c in at.caption)
    assert at.dataframe[-1].value["icp_score"].max() < table["icp_score"].min()

    # filter: minimum score 80 -> only strong; page resets to 1
    at.slider(key=f"export_min_{cid}").set_value(80).run()
    assert any("Page 1 of 1" in c.value for c in at.caption)
    n_strong = counts["strong"]
    assert any(f"**{n_strong}** leads match" in m.value for m in at.markdown)
    assert (at.dataframe[-1].value["icp_score"] >= 80).all()
    dl = at.get("download_button")[0]
    assert f"({n_strong} leads)" in dl.proto.label

    # only kept: none yet -> download disabled
    at.checkbox(key=f"export_kept_{cid}").check().run()
    assert any("**0** leads match" in m.value for m in at.markdown)
    assert at.get("download_button")[0].proto.disabled


# ---------------------------------------------------------------- views (SQL helpers)


def test_views_lead_page_and_summary(eng, db):
    s = seed_scored(eng, db, n=30)
    cid = s["client"]["id"]
    page = eng.views.lead_page(cid, page=0, page_size=10)
    assert page["total"] == 30 and page["pages"] == 3 and len(page["rows"]) == 10
    assert [r["icp_score"] for r in page["rows"]] == sorted((r["icp_score"] for r in page["rows"]), reverse=True)
    last = eng.views.lead_page(cid, page=99, page_size=10)
    assert last["page"] == 2 and len(last["rows"]) == 10
    assert last["rows"][-1]["icp_score"] == 0

    f = LeadFilters(buckets=("strong",))
    summ = eng.views.export_summary(cid, f)
    strong = eng.bucket_counts(cid)["strong"]
    assert summ["leads"] == strong == summ["strong"]
    assert summ["top_titles"] == [("CFO", strong)]
    assert sum(n for _, n in summ["top_companies"]) == strong

    eng.record_feedback(s["lead_ids"][-1], "keep", "Dana")
    kept = LeadFilters(only_kept=True)
    assert eng.views.export_ids(cid, kept) == [s["lead_ids"][-1]]
    assert eng.views.export_summary(cid)["kept"] == 1


def test_views_batches_samples_overview(eng, db):
    s = seed_scored(eng, db, n=10)
    cid = s["client"]["id"]
    eng.ingest_followers(cid, people(12), batch_name="second")  # 10 known + 2 new, unscored
    per_batch = eng.views.buckets_by_batch(cid)
    assert [b["batch_name"] for b in per_batch] == ["first upload", "second"]
    assert sum(per_batch[0][b] for b in Bucket) == 10
    assert sum(per_batch[1][b] for b in Bucket) == 10  # the 10 known leads are scored
    sample = eng.views.sample_leads(cid, 5)
    assert len(sample) == 5 and all(r["status"] == "qualified" for r in sample)
    assert [r["id"] for r in sample] == [r["id"] for r in eng.views.sample_leads(cid, 5)]
    ov = eng.views.client_overview(cid)
    assert ov["leads"] == 12 and ov["batches"] == 2 and ov["scored"] == 10
    assert ov["by_status"] == {"qualified": 10, "discovered": 2}


def test_icp_diff():
    assert icp_diff(None, {"target_titles": ["CFO"], "notes": "x"}) == ["+ titles: CFO", "notes set"]
    assert icp_diff({"target_titles": ["CFO", "CEO"]}, {"target_titles": ["CFO"], "keywords": ["SaaS"]}) == [
        "- titles: CEO", "+ keywords: SaaS",
    ]
    assert icp_diff({"name": "a"}, {"name": "a"}) == []


def test_views_filters_match_the_csv_export(eng, db):
    """The page table/summary (views.filtered_query) select exactly the rows of the CSV export."""
    s = seed_scored(eng, db, n=40)
    cid = s["client"]["id"]
    ids = s["lead_ids"]
    eng.record_feedback(ids[-1], "keep", "Dana")
    eng.record_feedback(ids[-2], "keep", "Dana")
    eng.record_feedback(ids[-2], "trash", "Lee")  # newest label wins: trash
    eng.record_feedback(ids[5], "keep", "Dana")
    eng.undo_last_feedback(cid, "Dana")  # undoes the keep on ids[5]
    eng.record_feedback(ids[6], "skip", "Dana")  # skips are not labels for export
    other = eng.ingest_followers(cid, people(3, prefix="other"), batch_name="other batch")
    assert other["new_leads"] == 3
    combos = [
        LeadFilters(),
        LeadFilters(only_kept=True),
        LeadFilters(min_score=50),
        LeadFilters(buckets=("good", "possible")),
        LeadFilters(batch_id=s["batch"]["id"], min_score=10, buckets=("poor", "strong")),
        LeadFilters(batch_id=other["id"]),
    ]
    for f in combos:
        expected = [r["id"] for r in eng.export_rows(cid, **f.as_kwargs())]
        assert eng.views.export_ids(cid, f) == expected, f
        assert eng.views.lead_page(cid, f, page_size=500)["total"] == len(expected)
    assert eng.views.export_ids(cid, LeadFilters(only_kept=True)) == [ids[-1]]
    labels = {r["id"]: r["review_label"] for r in eng.views.lead_page(cid, page_size=500)["rows"]}
    assert labels[ids[-1]] == "keep" and labels[ids[-2]] == "trash" and labels[ids[5]] is None and labels[ids[6]] is None


def test_clients_page_overview_and_preview(app_env, eng, db):
    s = seed_scored(eng, db, n=10)
    eng.record_feedback(s["lead_ids"][0], "keep", "Dana")
    at = new_app()
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Leads": "10", "Uploads": "1", "Scored (current ICP)": "10", "Reviewed": "1", "Active runs": "0"}
    # live preview: five of the client's leads scored with the editor's (unsaved) ICP
    preview = at.dataframe[1].value
    assert len(preview) == 5 and list(preview["score"]) == sorted(preview["score"], reverse=True)
    assert set(preview["bucket"]) <= {"Strong", "Good", "Possible", "Poor"}


def _wait_done(eng, run_id: int, timeout: float = 120) -> dict:
    deadline = time.time() + timeout
    while eng.run_status(run_id)["status"] in ("queued", "running") and time.time() < deadline:
        time.sleep(0.3)
    return eng.run_status(run_id)


def test_app_start_resumes_unfinished_runs(app_env, eng):
    c = eng.create_client("Acme")
    eng.save_icp(c["id"], FINANCE_ICP)
    eng.ingest_followers(c["id"], people(5), batch_name="b1")
    run_id = eng.create_run(c["id"])  # queued by a process that died before starting it
    at = new_app()
    at.run()  # the dashboard starts: its engine resumes the run in the background
    assert _wait_done(eng, run_id)["status"] == "completed"


def test_run_page_offers_resume_for_a_run_without_worker(app_env, eng, db):
    c = eng.create_client("Acme")
    cid = c["id"]
    eng.save_icp(cid, FINANCE_ICP)
    eng.ingest_followers(cid, people(5), batch_name="b1")
    at = open_page(new_app(), "3_run.py")
    run_id = eng.create_run(cid)
    eng.runs.enqueue(run_id)
    with db.begin() as conn:  # a worker on another machine crashed mid-run: its job is doing, its heartbeat long gone
        worker = conn.execute(sa.text("INSERT INTO procrastinate_workers (last_heartbeat) "
                                      "VALUES (now() - interval '10 minutes') RETURNING id")).scalar_one()
        conn.execute(sa.text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w"), {"w": worker})
        conn.execute(schema.runs.update().where(schema.runs.c.id == run_id).values(
            status="running", stage="enrich", worker_id="dead-host:1:abc", started_at=sa.func.now()))
    at.run()
    assert any("no live worker" in w.value for w in at.warning)
    resume = at.button(key=f"resume_{run_id}")
    assert not resume.disabled
    resume.click().run()
    assert not at.exception
    assert _wait_done(eng, run_id)["status"] == "completed"
    assert eng.run_status(run_id)["counts"]["scored"] == 5
    at.run()
    assert any("Nothing to do: all 5 leads of the client are scored with v1." in m.value for m in at.success)


# ---------------------------------------------------------------- sign-in, roles, admin


PAGES = ["1_clients.py", "2_upload.py", "3_run.py", "4_review.py", "5_export.py",
         "6_admin.py"]


def _everything_shown(at: AppTest) -> str:
    """The text of every element of the last run (main area and sidebar), for "shows no data" checks."""
    out = []

    def walk(node):
        for attr in ("value", "label", "body", "options"):
            try:
                v = getattr(node, attr)
            except Exception:  # noqa: BLE001 - elements without that attribute
                continue
            if v is not None and not callable(v):
                out.append(v.to_csv() if hasattr(v, "to_csv") else str(v))
        for child in getattr(node, "children", {}).values() if isinstance(getattr(node, "children", None), dict) else []:
            walk(child)

    walk(at._tree)
    return "\n".join(out)


def _sign_in(at: AppTest, username: str, password: str) -> AppTest:
    next(t for t in at.text_input if t.label == "User name").input(username)
    next(t for t in at.text_input if t.label == "Password").input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    return at.run()


def test_before_sign_in_no_page_and_no_deep_link_shows_client_data(app_env, eng, db):
    s = seed_scored(eng, db, n=5, client="Acme Secretive")
    eng.create_client("Beta Hidden")
    sign_in_token("Dana")  # an account exists: the sign-in form, not the first-admin form
    for page in PAGES:
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params["client"] = str(s["client"]["id"])
        at.run()
        at.switch_page(page).run()
        assert not at.exception, page
        shown = _everything_shown(at)
        assert at.title[0].value == "ICP Qualifier" and "Sign in" in shown, page
        for secret in ("Acme Secretive", "Beta Hidden", "Person Number", "CFO", "Client"):
            assert secret not in shown, (page, secret)
        assert not at.sidebar.get("selectbox") and not at.get("dataframe")


def test_wrong_password_is_refused_then_the_right_one_signs_in(app_env, eng, db):
    seed_scored(eng, db, n=5, client="Acme")
    sign_in_token("Dana")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    _sign_in(at, "Dana", "not the password")
    assert any("Wrong user name or password" in e.value for e in at.error)
    assert "Acme" not in _everything_shown(at)
    _sign_in(at, "dana", PASSWORD)  # names are case-insensitive
    assert not at.exception
    assert at.title[0].value == "Clients & ICP" and at.header[0].value == "ICP of Acme"
    assert at.session_state["_auth_user"].username == "Dana"
    # sign out: back to the form, and the session row is gone (a copied cookie would be dead)
    token = at.session_state["_auth_token"]
    at.sidebar.button(key="sign_out").click().run()
    assert at.title[0].value == "ICP Qualifier" and "Acme" not in _everything_shown(at)
    assert _STATE["auth"].session_user(token) is None


def test_first_start_creates_the_admin_account(app_env, eng, db):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert any(s.value == "Create the admin account" for s in at.subheader)
    boxes = {t.label: t for t in at.text_input}
    boxes["User name"].input("Owner")
    boxes["Password"].input("short")
    boxes["Repeat the password"].input("short")
    next(b for b in at.button if b.label == "Create the admin account").click().run()
    assert any("at least 10 characters" in e.value for e in at.error)
    assert not _STATE["auth"].has_users()
    boxes = {t.label: t for t in at.text_input}
    boxes["Password"].input(PASSWORD)
    boxes["Repeat the password"].input(PASSWORD)
    next(b for b in at.button if b.label == "Create the admin account").click().run()
    assert not at.exception and at.title[0].value == "Clients & ICP"
    (owner,) = _STATE["auth"].list_users()
    assert owner["username"] == "Owner" and owner["role"] == "admin"
    actions = [e["action"] for e in eng.audit_trail()]
    assert "user.create_first_admin" in actions and "session.login" in actions


def test_admin_from_environment(app_env, monkeypatch, eng):
    monkeypatch.setenv("ICP_ADMIN_USER", "boss")
    monkeypatch.setenv("ICP_ADMIN_PASSWORD", PASSWORD)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert any(s.value == "Sign in" for s in at.subheader)  # no first-admin form: the account exists
    _sign_in(at, "boss", PASSWORD)
    assert at.title[0].value == "Clients & ICP"
    assert at.session_state["_auth_user"].role == "admin"


def test_reviewer_sees_review_and_export_only_and_cannot_delete(app_env, eng, db):
    s = seed_scored(eng, db, n=4, client="Acme")
    at = new_app("Rita", role="reviewer")
    at.run()
    assert not at.exception and at.title[0].value == "Review"  # the reviewer's first page
    for page in ("1_clients.py", "2_upload.py", "3_run.py", "6_admin.py"):
        with pytest.raises(ValueError, match=r"Known pages: \['.*4_review.py', '.*5_export.py'\]"):
            at.switch_page(page)  # not in the reviewer's navigation at all
    assert not [b for b in at.button if b.label in ("Delete client", "Erase this person", "Create client")]
    at.switch_page("5_export.py").run()
    assert at.title[0].value == "Export" and not at.exception
    assert eng.list_clients()[0]["id"] == s["client"]["id"]


def test_admin_deletes_a_client_after_typing_its_name(app_env, eng, db):
    keep = seed_scored(eng, db, n=3, client="Keep Me")
    gone = seed_scored(eng, db, n=4, client="Delete Me")
    at = open_page(new_app("Dana"), "6_admin.py")
    at.selectbox(key="delete_client_pick").select(gone["client"]["id"]).run()
    button = at.button(key=f"delete_client_{gone['client']['id']}")
    assert button.disabled
    at.text_input(key=f"delete_client_confirm_{gone['client']['id']}").input("Delete me").run()  # wrong case
    assert at.button(key=f"delete_client_{gone['client']['id']}").disabled
    at.text_input(key=f"delete_client_confirm_{gone['client']['id']}").input("Delete Me").run()
    at.button(key=f"delete_client_{gone['client']['id']}").click().run()
    assert not at.exception
    assert [c["name"] for c in eng.list_clients()] == ["Keep Me"]
    assert any("Client deleted" in s.value and "4 lead" in s.value for s in at.success)
    assert len(eng.export_rows(keep["client"]["id"])) == 3
    entry = next(e for e in eng.audit_trail() if e["action"] == "client.delete")
    assert entry["actor"] == "Dana" and entry["target_id"] == gone["client"]["id"]


def test_admin_erases_a_person_and_manages_accounts(app_env, eng, db):
    s = seed_scored(eng, db, n=3, client="Acme")
    at = open_page(new_app("Dana"), "6_admin.py")
    at.text_input(key="forget_url").input("https://www.linkedin.com/in/person-1/").run()
    assert at.button(key="forget_go").disabled  # not confirmed yet
    at.checkbox(key="forget_sure").check().run()
    at.button(key="forget_go").click().run()
    assert not at.exception
    assert any("Erased" in m.value and "1 lead" in m.value for m in at.success)
    assert len(eng.export_rows(s["client"]["id"])) == 2

    # a reviewer account, then its role, then deleting it
    boxes = {t.label: t for t in at.text_input}
    boxes["User name"].input("Rita")
    boxes["Password (at least 10 characters)"].input(PASSWORD)
    next(b for b in at.button if b.label == "Create account").click().run()
    assert not at.exception
    rita = next(u for u in _STATE["auth"].list_users() if u["username"] == "Rita")
    assert rita["role"] == "reviewer"
    at.selectbox(key="edit_user").select(rita["id"]).run()
    at.selectbox(key=f"role_{rita['id']}").select("admin").run()
    at.button(key=f"set_role_{rita['id']}").click().run()
    assert _STATE["auth"].get_user(rita["id"]).role == "admin"
    at.checkbox(key=f"del_ok_{rita['id']}").check().run()
    at.button(key=f"del_user_{rita['id']}").click().run()
    assert [u["username"] for u in _STATE["auth"].list_users()] == ["Dana"]
    actions = [e["action"] for e in eng.audit_trail()]
    for a in ("person.forget", "user.create", "user.role", "user.delete"):
        assert a in actions, a
    # the audit tab lists them; no entry holds the erased URL
    assert "person-1" not in json.dumps([e["details"] for e in eng.audit_trail()], default=str)


def test_secrets_are_never_shown_on_any_page(app_env, eng, db, monkeypatch):
    from tests.test_secrets import SECRETS, _leaks

    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ICP_ADMIN_USER", "boss")
    monkeypatch.setenv("EMBEDDING_PROVIDER", "local")
    seed_scored(eng, db, n=3)
    at = new_app("Dana")
    at.run()
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, page
        shown = _everything_shown(at)
        assert _leaks(shown) == [], page
    assert "set" in _everything_shown(at)  # the Settings tab says which keys are set, not their values


def _oidc_app(user: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "id", "client_secret": "secret",
                          "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}
    at.user = user
    return at


def test_oidc_sign_in_maps_the_identity_to_an_account(app_env, eng, db):
    """With an [auth] block, Streamlit's st.login identity (its e-mail) is the account name."""
    eng.create_client("Acme")
    at = _oidc_app({"is_logged_in": False})
    at.run()
    assert not at.exception
    assert any(b.label == "Sign in with your identity provider" for b in at.button)
    assert "Acme" not in _everything_shown(at)

    # first identity on a fresh installation may become the admin
    at = _oidc_app({"is_logged_in": True, "email": "owner@agency.example", "name": "Owner"})
    at.run()
    assert any(s.value == "Create the admin account" for s in at.subheader)
    next(b for b in at.button if b.label == "Make me the admin").click().run()
    assert not at.exception and at.title[0].value == "Clients & ICP"
    owner = _STATE["auth"].user_for_identity("owner@agency.example")
    assert owner.role == "admin"

    # an identity without an account sees no data; one with a reviewer account gets Review
    at = _oidc_app({"is_logged_in": True, "email": "stranger@else.example"})
    at.run()
    assert any("has no account here" in w.value for w in at.warning) and "Acme" not in _everything_shown(at)
    _STATE["auth"].create_user("rita@agency.example", None, "reviewer", actor=owner)
    at = _oidc_app({"is_logged_in": True, "email": "Rita@agency.example"})
    at.run()
    assert not at.exception and at.title[0].value == "Review"
