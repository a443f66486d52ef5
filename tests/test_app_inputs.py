"""Upload and Run pages for exports without profile URLs and leads enrichment had nothing for
(issue 8), with Streamlit's AppTest on the real test Postgres (helpers of tests/test_app.py)."""

from __future__ import annotations

from tests.conftest import FIXTURES
from tests.test_app import app_env, eng, new_app, open_page  # noqa: F401 - fixtures and helpers

EXPORT = FIXTURES / "ingest" / "exports" / "Connections_2022.csv"
PAGE = FIXTURES / "ingest" / "connections_classic.html"


def test_upload_export_without_urls_says_so_then_a_page_links_to_it(app_env, eng):  # noqa: F811
    c = eng.create_client("Acme")
    at = open_page(new_app(), "pages/2_upload.py")
    at.file_uploader[0].set_value([("Connections.csv", EXPORT.read_bytes(), "text/csv")]).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"People found": "5", "New leads": "5", "Already leads": "0", "Without profile URL": "5"}
    warnings = " ".join(w.value for w in at.warning).replace("\\", "")  # as shown: Markdown escapes removed
    assert "no profile URLs" in warnings and "live Apify enrichment cannot look them up" in warnings
    assert "1 row(s) have no name" in warnings  # the skipped row is counted
    assert list(at.dataframe[-1].value["Profile"]) == ["no URL"] * 5
    next(b for b in at.button if b.label.startswith("Store 5 people")).click().run()
    assert not at.exception and eng.list_batches(c["id"])[0]["new_leads"] == 5

    at.file_uploader[0].set_value([("connections.html", PAGE.read_bytes(), "text/html")]).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"People found": "5", "New leads": "1", "Already leads": "4"}
    # one message for the file (dashboard point 8): the header's total once, the linking note in it
    said = [x.value.replace("\\", "") for x in (*at.warning, *at.info)]  # as shown: Markdown escapes removed
    assert len(said) == 1, said
    assert "4 of them match a lead without a profile URL by name and company" in said[0]
    assert said[0].count("1,284") == 1
    profiles = list(at.dataframe[-1].value["Profile"])
    assert all(p.startswith("https://www.linkedin.com/in/") for p in profiles)


def test_run_page_summary_counts_leads_scored_on_upload_data(app_env, eng, db):  # noqa: F811
    from icp_engine.domain import ICP
    from icp_engine.pipeline import RunOptions

    c = eng.create_client("Acme")
    eng.save_icp(c["id"], ICP(target_titles=["CFO"]))
    preview = eng.preview_upload(c["id"], "Connections.csv", EXPORT.read_bytes())
    batch = eng.store_upload(c["id"], [preview])
    items = eng.save_apify_items("items.json", b'[{"publicIdentifier": "someone-else", "firstName": "X"}]')
    run_id = eng.create_run(c["id"], batch_id=batch["id"],
                            options=RunOptions(enrich="apify-json", profiles_path=items, classify=False))
    assert eng.execute_run(run_id)["counts"]["not_enriched"] == 5
    at = open_page(new_app(), "pages/3_run.py")
    text = " ".join(x.value for x in at.caption) + " ".join(getattr(p, "text", "") or "" for p in at.get("progress"))
    assert "5 of 5 leads scored: 0 enriched from the Apify export, 5 scored on the upload's data only" in text
    assert "5 without a profile URL" in text
